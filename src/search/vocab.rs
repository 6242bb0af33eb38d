//! The search vocabulary kept in `index/`: jieba user dictionary, synonyms, stop words.
//!
//! Its hash is written into the index, which rebuilds itself when the vocabulary changes, so no
//! document stays indexed under an old segmentation.

use crate::text::normalize;
use aho_corasick::AhoCorasick;
use jieba_rs::Jieba;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug)]
pub struct Vocabulary {
    /// `(word, frequency, tag)` lines for jieba.
    pub dictionary: Vec<(String, Option<usize>, Option<String>)>,
    /// Groups of interchangeable words, normalised.
    pub synonyms: Vec<Vec<String>>,
    pub stop_words: HashSet<String>,
    /// Project-name boilerplate (`boilerplate.txt`): set aside first when a long query finds too
    /// little. Query-side only, so not part of `hash`.
    pub boilerplate: HashSet<String>,
    /// Spending-nature cues (`natures.txt`): nature code and the words that reveal it, in order.
    pub nature_cues: Vec<(String, Vec<String>)>,
    /// Generic project-name words (`generic.txt`: 运营, 建设, 管理, 城市 …): they say how or where
    /// money is spent, in every domain, so they weigh less than the words of the project's
    /// subject. Query-side only, so not part of `hash`.
    pub generic: HashSet<String>,
    pub hash: String,
    /// Every synonym of two characters or more, found in a query in one pass (a query used to
    /// be searched for each of them in turn, a twentieth of a search).
    finder: AhoCorasick,
    /// For each pattern of `finder`: the groups it belongs to and its place there.
    owners: Vec<Vec<(usize, usize)>>,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct VocabError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

impl Vocabulary {
    /// Loads `user_dict.txt`, `synonyms.txt`, `stop_words.txt`, `boilerplate.txt`,
    /// `natures.txt` and `generic.txt` from `dir` (each optional).
    pub fn load(dir: &Path) -> Result<Vocabulary, VocabError> {
        let read = |name: &str| -> Result<String, VocabError> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(t) => Ok(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
                Err(e) => Err(VocabError {
                    file: path,
                    line: 0,
                    message: format!("无法读取：{e}"),
                }),
            }
        };
        let mut v = Self::parse(
            &read("user_dict.txt")?,
            &read("synonyms.txt")?,
            &read("stop_words.txt")?,
            dir,
        )?;
        v.boilerplate = content_lines(&read("boilerplate.txt")?)
            .map(|(_, l)| normalize(l))
            .collect();
        v.nature_cues = content_lines(&read("natures.txt")?)
            .filter_map(|(_, l)| {
                let mut words = l.split_whitespace();
                let code = words.next()?.to_string();
                Some((code, words.map(normalize).collect()))
            })
            .collect();
        v.generic = content_lines(&read("generic.txt")?)
            .flat_map(|(_, l)| l.split_whitespace().map(normalize).collect::<Vec<_>>())
            .collect();
        Ok(v)
    }

    /// Whether a query word is generic (`generic.txt`): it tells the nature or the place of the
    /// spending, not its subject.
    pub fn is_generic(&self, word: &str) -> bool {
        self.generic.contains(word)
    }

    /// Whether a name's tail after a phrase is boilerplate only (经费, 专项资金, 项目 …), so the
    /// phrase is the name's head: what is funded.
    pub fn is_boilerplate_tail(&self, tail: &str) -> bool {
        let chars: Vec<char> = tail.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let Some(n) = (1..=(chars.len() - i).min(6))
                .rev()
                .find(|n| self.is_boilerplate(&chars[i..i + n].iter().collect::<String>()))
            else {
                return false;
            };
            i += n;
        }
        true
    }

    /// How much of a phrase (normalised) says what is funded: its characters outside generic
    /// words, counting those inside at a quarter. 设备采购 says little (2 of 8 quarters), 教学设备
    /// more (2.5), 整体支出 all (4).
    pub fn subject_chars(&self, phrase: &str) -> f32 {
        // Byte offsets of the characters, so candidate words are slices, not new strings: this
        // runs for every type keyword on every suggest-targets call.
        let bounds: Vec<usize> = phrase
            .char_indices()
            .map(|(at, _)| at)
            .chain(std::iter::once(phrase.len()))
            .collect();
        let count = bounds.len() - 1;
        let longest = self
            .generic
            .iter()
            .map(|g| g.chars().count())
            .max()
            .unwrap_or(0);
        let (mut subject, mut generic, mut i) = (0usize, 0usize, 0usize);
        while i < count {
            let hit = (2..=longest.min(count - i))
                .rev()
                .find(|n| self.generic.contains(&phrase[bounds[i]..bounds[i + n]]));
            match hit {
                Some(n) => {
                    generic += n;
                    i += n;
                }
                None => {
                    subject += 1;
                    i += 1;
                }
            }
        }
        subject as f32 + generic as f32 / 4.0
    }

    /// Whether a query word says nothing about what an indicator measures: listed boilerplate,
    /// a number or year (2024, 2024年), or an ordinal (第四次, 第二批).
    pub fn is_boilerplate(&self, word: &str) -> bool {
        let digits = word.trim_end_matches(['年', '度']);
        let ordinal = word
            .strip_prefix('第')
            .unwrap_or(word)
            .trim_end_matches(['次', '届', '批', '期', '轮']);
        self.boilerplate.contains(word)
            || (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
            || (ordinal.chars().count() < word.chars().count()
                && !ordinal.is_empty()
                && ordinal
                    .chars()
                    .all(|c| c.is_ascii_digit() || "一二三四五六七八九十百".contains(c)))
    }

    /// The spending natures a project name reveals, in the order of `natures.txt`.
    pub fn natures_of(&self, text: &str) -> Vec<&str> {
        self.nature_cues
            .iter()
            .filter(|(_, cues)| cues.iter().any(|c| text.contains(c.as_str())))
            .map(|(code, _)| code.as_str())
            .collect()
    }

    pub fn parse(
        dict: &str,
        synonyms: &str,
        stops: &str,
        dir: &Path,
    ) -> Result<Vocabulary, VocabError> {
        let mut hasher = Sha256::new();
        for t in [dict, synonyms, stops] {
            hasher.update(t.as_bytes());
            hasher.update([0]);
        }
        let mut dictionary = Vec::new();
        for (line, l) in content_lines(dict) {
            let mut parts = l.split_whitespace();
            let word = normalize(parts.next().unwrap_or_default());
            let freq = match parts.next() {
                None => None,
                Some(f) => Some(f.parse::<usize>().map_err(|_| VocabError {
                    file: dir.join("user_dict.txt"),
                    line,
                    message: format!("词频“{f}”不是整数"),
                })?),
            };
            dictionary.push((word, freq, parts.next().map(str::to_string)));
        }
        let synonyms: Vec<Vec<String>> = content_lines(synonyms)
            .map(|(_, l)| {
                let mut g: Vec<String> = l
                    .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、'))
                    .filter(|w| !w.is_empty())
                    .map(normalize)
                    .collect();
                g.dedup();
                g
            })
            .filter(|g| g.len() > 1)
            .collect();
        let stop_words = content_lines(stops).map(|(_, l)| normalize(l)).collect();
        let (finder, owners) = synonym_finder(&synonyms);
        Ok(Vocabulary {
            dictionary,
            synonyms,
            stop_words,
            boilerplate: HashSet::new(),
            nature_cues: Vec::new(),
            generic: HashSet::new(),
            hash: format!("{:x}", hasher.finalize()),
            finder,
            owners,
        })
    }

    /// An empty vocabulary (plain jieba), for tests of the mechanism itself.
    pub fn empty() -> Vocabulary {
        Self::parse("", "", "", Path::new(".")).expect("empty vocabulary parses")
    }

    /// For every synonym found inside `segment`: the segment with that word replaced by each other
    /// member of its group (`满意率` -> `满意度`; `违建拆除` -> `违法建设拆除`).
    pub fn rewrites(&self, segment: &str) -> Vec<String> {
        // In the order of the file: group by group, word by word.
        let mut found: Vec<(usize, usize)> = self
            .finder
            .find_overlapping_iter(segment)
            .flat_map(|m| self.owners[m.pattern().as_usize()].iter().copied())
            .collect();
        found.sort_unstable();
        found.dedup();
        let mut out = Vec::new();
        for (g, i) in found {
            let group = &self.synonyms[g];
            let word = &group[i];
            for other in group.iter().filter(|o| *o != word) {
                let r = segment.replacen(word.as_str(), other, 1);
                if r != segment && !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        out.truncate(8);
        out
    }

    /// The jieba instance for this vocabulary. Dictionaries cost ≈ 0.1 s and 32 MiB each, so one
    /// is built per distinct vocabulary and shared by every tokenizer clone.
    pub fn jieba(&self) -> Arc<Jieba> {
        static CACHE: OnceLock<Mutex<HashMap<String, Arc<Jieba>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(self.hash.clone())
            .or_insert_with(|| {
                let mut j = Jieba::new();
                for (w, f, t) in &self.dictionary {
                    j.add_word(w, *f, t.as_deref());
                }
                Arc::new(j)
            })
            .clone()
    }
}

/// The automaton over the synonyms of two characters or more (a lone character would rewrite
/// every query holding it), and the groups each pattern belongs to.
fn synonym_finder(groups: &[Vec<String>]) -> (AhoCorasick, Vec<Vec<(usize, usize)>>) {
    let mut patterns: Vec<&str> = Vec::new();
    let mut owners: Vec<Vec<(usize, usize)>> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        for (i, word) in group.iter().enumerate() {
            if word.chars().count() < 2 {
                continue;
            }
            match patterns.iter().position(|p| *p == word) {
                Some(k) => owners[k].push((g, i)),
                None => {
                    patterns.push(word);
                    owners.push(vec![(g, i)]);
                }
            }
        }
    }
    let finder = AhoCorasick::new(&patterns).expect("synonyms are short literal patterns");
    (finder, owners)
}

/// The vocabulary folder: `./index` in the repository, else the copy beside the manifest.
pub fn default_dir() -> PathBuf {
    let here = PathBuf::from("index");
    if here.join("user_dict.txt").exists() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("index")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_rewrite_inside_longer_queries() {
        let v = Vocabulary::parse("", "# c\n满意度 满意率\n违建，违法建设", "", Path::new("."))
            .unwrap();
        assert_eq!(v.rewrites("满意率"), vec!["满意度"]);
        assert_eq!(v.rewrites("违建拆除"), vec!["违法建设拆除"]);
        assert!(v.rewrites("道路").is_empty());
    }

    #[test]
    fn a_bad_frequency_names_its_line() {
        let e = Vocabulary::parse("# h\n黑臭水体 abc n", "", "", Path::new("/v")).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("abc"));
    }

    #[test]
    fn generic_words_say_a_quarter_of_their_characters_about_a_subject() {
        let v = Vocabulary::load(&default_dir()).unwrap();
        assert_eq!(v.subject_chars("整体支出"), 4.0);
        assert_eq!(v.subject_chars("设备采购"), 1.0);
        assert_eq!(v.subject_chars("教学设备"), 2.5);
        assert!(v.subject_chars("公共机构节能") < v.subject_chars("黑臭水体"));
    }

    #[test]
    fn a_tail_of_boilerplate_leaves_the_phrase_before_it_the_names_head() {
        let v = Vocabulary::load(&default_dir()).unwrap();
        for tail in ["", "资金", "专项经费", "项目", "工作经费"] {
            assert!(v.is_boilerplate_tail(tail), "{tail}");
        }
        for tail in ["训练", "改造项目", "资金使用"] {
            assert!(!v.is_boilerplate_tail(tail), "{tail}");
        }
    }

    #[test]
    fn years_numbers_and_ordinals_are_boilerplate_words_are_not() {
        let v = Vocabulary::load(&default_dir()).unwrap();
        for w in [
            "2024年",
            "2024",
            "第四次",
            "第二批",
            "第3期",
            "四次",
            "工作经费",
            "全国",
        ] {
            assert!(v.is_boilerplate(w), "{w}");
        }
        for w in ["第一书记", "普查", "次", "十四五", "批次"] {
            assert!(!v.is_boilerplate(w), "{w}");
        }
    }

    #[test]
    fn generic_words_are_read_from_their_file_and_are_not_boilerplate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("generic.txt"), "# c\n运营 建设\n城市\n").unwrap();
        let v = Vocabulary::load(dir.path()).unwrap();
        for w in ["运营", "建设", "城市"] {
            assert!(v.is_generic(w), "{w}");
        }
        assert!(!v.is_generic("敬老院"));
        let bundled = Vocabulary::load(&default_dir()).unwrap();
        assert!(bundled.is_generic("运营") && !bundled.is_generic("敬老院"));
        assert!(
            !bundled.is_boilerplate("运营"),
            "generic words are kept, not set aside"
        );
    }

    #[test]
    fn the_bundled_vocabulary_loads() {
        let v = Vocabulary::load(&default_dir()).unwrap();
        assert!(v.dictionary.len() >= 500, "{}", v.dictionary.len());
        assert!(v.synonyms.len() >= 100);
        assert!(v.stop_words.contains("的"));
    }
}
