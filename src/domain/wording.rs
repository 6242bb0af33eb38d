//! Finding vague words in a name or target, word by word: 有效 in 有效提升 is vague, in 有效率
//! (a treatment's efficacy rate) or 有效投资 (a statistical aggregate) it names a measure.

/// Terms that contain a vague word and still name something measurable: a statistical or
/// clinical measure (有效率, 有效投资, 有效灌溉面积), a grade band (良好及以上, 较大及以上事故) or
/// a legal severity class (较大事故, 较大风险).
pub const MEASURE_TERMS: &[&str] = &[
    "有效率",
    "有效投资",
    "有效灌溉",
    "有效期",
    "有效样本",
    "有效问卷",
    "有效投诉",
    "有效发明专利",
    "有效注册",
    "良好及以上",
    "良好以上",
    "良好率",
    "良好等级",
    "良好级",
    "优良",
    "较大及以上",
    "较大以上",
    "较大事故",
    "较大风险",
    "较大隐患",
    "较大险情",
];

/// The vague words of `words` that occur in `text` outside a measure term, in list order.
pub fn vague_words_in<'a, S: AsRef<str>>(text: &str, words: &'a [S]) -> Vec<&'a str> {
    // A measure term is blanked out (one placeholder per character, so no new word forms
    // across it) before the vague words are looked for.
    let mut masked = text.to_string();
    for t in MEASURE_TERMS {
        masked = masked.replace(t, &"\u{25A1}".repeat(t.chars().count()));
    }
    words
        .iter()
        .map(AsRef::as_ref)
        .filter(|w| !w.is_empty() && masked.contains(w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: &[&str] = &["有效", "良好", "较大", "明显"];

    #[test]
    fn measure_terms_are_not_vague_but_the_words_elsewhere_are() {
        for measure in [
            "慢性病治疗有效率",
            "带动有效投资",
            "新增有效灌溉面积",
            "学业质量监测良好及以上比例",
            "较大及以上生产安全事故起数",
        ] {
            assert!(vague_words_in(measure, WORDS).is_empty(), "{measure}");
        }
        assert_eq!(vague_words_in("服务能力有效提升", WORDS), vec!["有效"]);
        assert_eq!(vague_words_in("运行良好", WORDS), vec!["良好"]);
        assert_eq!(
            vague_words_in("有效率明显提高", WORDS),
            vec!["明显"],
            "a measure term beside a vague word: only the vague word counts"
        );
        assert_eq!(vague_words_in("有效提高有效率", WORDS), vec!["有效"]);
    }
}
