//! Linking imported indicator rows to library indicators, most certain way first:
//!
//! 1. the code written in the row (`Code`, confidence 1);
//! 2. the same normalised name, unit and level 2 (`Exact`, 1);
//! 3. the same normalised name, or one of an indicator's aliases (`Name` 0.9 / `Alias` 0.85–0.95);
//! 4. similarity: the candidates are the search hits for the name (same level 1, with and
//!    without the project-type filter) plus the indicators that fit the project's type; each is
//!    scored by character-bigram overlap (Dice) of the normalised names (or best alias), plus small
//!    bonuses when unit, level 2 and project type agree (`Similar`, 0..1).
//!
//! A match below `CERTAIN` waits for a curator on the review page and stays out of statistics;
//! below `MIN_SIMILAR` the row is left unmatched and feeds the new-indicator candidates.

use crate::domain::{Catalog, EvaluationRow, Indicator, Match, MatchMethod};
use crate::search::text::{is_word_char, normalize};
use crate::search::{Filters, SearchIndex, SearchRequest};
use std::collections::{HashMap, HashSet};

/// Below this confidence a similarity match is not kept at all.
pub const MIN_SIMILAR: f64 = 0.55;
/// Below this character overlap a search hit is not a match, whatever else agrees.
const MIN_OVERLAP: f32 = 0.5;

/// Word endings written interchangeably in forms, folded to the library's usual word.
const SYNONYMS: &[(&str, &str)] = &[
    ("达成率", "完成率"),
    ("完成比例", "完成率"),
    ("完成比率", "完成率"),
    ("满意率", "满意度"),
    ("满意程度", "满意度"),
    ("达标比例", "达标率"),
    ("合格比例", "合格率"),
];

/// Leading words that do not change what is measured (年度新建道路里程 = 新建道路里程).
const LEADING_FILLER: &[&str] = &["本年度", "年度", "全年", "本年", "当年", "项目"];

/// The comparable form of an indicator name: width, case and script folded; bracketed notes
/// (units such as （%）、(公里)) and punctuation dropped; synonyms and leading filler folded.
pub fn name_key(s: &str) -> String {
    let s = normalize(s);
    let mut out = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' | '【' | '〔' | '{' => depth += 1,
            ')' | ']' | '】' | '〕' | '}' => depth = depth.saturating_sub(1),
            c if depth == 0 && is_word_char(c) && c != '%' => out.push(c),
            _ => {}
        }
    }
    for (from, to) in SYNONYMS {
        if out.contains(from) {
            out = out.replace(from, to);
        }
    }
    for f in LEADING_FILLER {
        if let Some(rest) = out.strip_prefix(f)
            && rest.chars().count() >= 3
        {
            out = rest.to_string();
            break;
        }
    }
    out
}

/// The comparable form of a unit: ％ → %, km → 公里, ㎡/m2/平米 → 平方米, 人/次 → 人次 ...
pub fn unit_key(s: &str) -> String {
    let s: String = normalize(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let s = s.trim_start_matches('(').trim_end_matches(')').to_string();
    let mapped = match s.as_str() {
        "km" | "千米" => "公里",
        "m" => "米",
        "㎡" | "m2" | "m²" | "平米" => "平方米",
        "万㎡" | "万m2" | "万m²" | "万平米" => "万平方米",
        "m3" | "m³" | "方" => "立方米",
        "人/次" => "人次",
        "百分比" | "百分率" => "%",
        "台(套)" | "台套" => "台/套",
        "个/家" => "家",
        "元/人/年" => "元/人",
        other => other,
    };
    mapped.to_string()
}

fn bigrams(s: &str) -> Vec<(char, char)> {
    let cs: Vec<char> = s.chars().collect();
    if cs.len() == 1 {
        return vec![(cs[0], '\0')];
    }
    let mut v: Vec<(char, char)> = cs.windows(2).map(|w| (w[0], w[1])).collect();
    v.sort_unstable();
    v
}

/// Dice coefficient of the character bigrams (multiset) of two keys: 1 for equal, 0 for nothing
/// in common.
pub fn similarity(a: &str, b: &str) -> f32 {
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    2.0 * common as f32 / (x.len() + y.len()) as f32
}

/// The library as the matcher sees it: active indicators with their name and alias keys.
pub struct Matcher<'a> {
    search: &'a SearchIndex,
    catalog: std::sync::Arc<Catalog>,
    inds: Vec<Indicator>,
    by_code: HashMap<String, usize>,
    /// name key -> indicators with that name.
    by_name: HashMap<String, Vec<usize>>,
    /// alias key -> indicators with that alias.
    by_alias: HashMap<String, Vec<usize>>,
    keys: Vec<Vec<String>>,
}

impl<'a> Matcher<'a> {
    pub fn new(search: &'a SearchIndex, indicators: Vec<Indicator>) -> Matcher<'a> {
        let inds: Vec<Indicator> = indicators.into_iter().filter(|i| i.is_active()).collect();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_alias: HashMap<String, Vec<usize>> = HashMap::new();
        let mut keys = Vec::with_capacity(inds.len());
        for (n, i) in inds.iter().enumerate() {
            let k = name_key(&i.name);
            by_name.entry(k.clone()).or_default().push(n);
            let mut ks = vec![k];
            for a in &i.aliases {
                let ak = name_key(a);
                by_alias.entry(ak.clone()).or_default().push(n);
                ks.push(ak);
            }
            keys.push(ks);
        }
        Matcher {
            search,
            catalog: search.catalog(),
            by_code: inds
                .iter()
                .enumerate()
                .map(|(n, i)| (i.code.to_string(), n))
                .collect(),
            inds,
            by_name,
            by_alias,
            keys,
        }
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.by_code.get(code).map(|&n| &self.inds[n])
    }

    fn fits(&self, i: &Indicator, project_type: Option<&str>) -> bool {
        project_type
            .and_then(|t| self.catalog.project_type(t))
            .is_some_and(|t| i.fits(t))
    }

    /// Written for the type itself (个性), not only common to its spending nature.
    fn written_for(i: &Indicator, project_type: Option<&str>) -> bool {
        project_type.is_some_and(|t| i.project_types.iter().any(|c| c == t))
    }

    /// Among indicators sharing a key, the one agreeing most (level 2, type, unit).
    fn best_of(&self, cands: &[usize], row: &EvaluationRow, project_type: Option<&str>) -> usize {
        let unit = unit_key(&row.unit);
        *cands
            .iter()
            .max_by_key(|&&n| {
                let i = &self.inds[n];
                (
                    (i.level2 == row.level2) as u8 * 8
                        + Self::written_for(i, project_type) as u8 * 4
                        + self.fits(i, project_type) as u8 * 2
                        + (unit_key(&i.unit) == unit) as u8,
                    std::cmp::Reverse(i.code.clone()),
                )
            })
            .expect("non-empty")
    }

    /// The library indicator for one row, or `None` when nothing is similar enough.
    pub fn match_row(&self, row: &EvaluationRow, project_type: Option<&str>) -> Option<Match> {
        let sure = |code: &str, method, confidence| Match {
            code: code.to_string(),
            method,
            confidence,
            confirmed_by: None,
        };
        if let Some(code) = &row.code
            && self.by_code.contains_key(code)
        {
            return Some(sure(code, MatchMethod::Code, 1.0));
        }
        let key = name_key(&row.name);
        let unit = unit_key(&row.unit);
        let agrees = |i: &Indicator| unit_key(&i.unit) == unit && i.level2 == row.level2;
        if let Some(c) = self.by_name.get(&key) {
            let i = &self.inds[self.best_of(c, row, project_type)];
            return Some(if agrees(i) {
                sure(i.code.as_str(), MatchMethod::Exact, 1.0)
            } else {
                sure(i.code.as_str(), MatchMethod::Name, 0.9)
            });
        }
        if let Some(c) = self.by_alias.get(&key) {
            let i = &self.inds[self.best_of(c, row, project_type)];
            let conf = if agrees(i) { 0.95 } else { 0.85 };
            return Some(sure(i.code.as_str(), MatchMethod::Alias, conf));
        }
        self.similar(row, &key, &unit, project_type)
    }

    fn similar(
        &self,
        row: &EvaluationRow,
        key: &str,
        unit: &str,
        project_type: Option<&str>,
    ) -> Option<Match> {
        if key.is_empty() {
            return None;
        }
        let mut pool: HashSet<usize> = HashSet::new();
        let fw = self.catalog.framework();
        let level1 = fw
            .level1
            .iter()
            .any(|l| l.name == row.level1)
            .then(|| row.level1.clone());
        for t in [project_type, None] {
            let mut req = SearchRequest::new(&key.chars().take(60).collect::<String>());
            req.limit = 10;
            req.filters = Filters {
                level1: level1.clone(),
                project_type: t
                    .filter(|t| self.catalog.project_type(t).is_some())
                    .map(str::to_string),
                ..Filters::default()
            };
            if let Ok(res) = self.search.search(&req) {
                pool.extend(
                    res.hits
                        .iter()
                        .filter_map(|h| self.by_code.get(h.indicator.code.as_str())),
                );
            }
        }
        if let Some(t) = project_type.and_then(|t| self.catalog.project_type(t)) {
            pool.extend(
                self.inds
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.fits(t) && i.level1 == row.level1)
                    .map(|(n, _)| n),
            );
        }
        let mut best: Option<(f64, f32, usize)> = None;
        for n in pool {
            let i = &self.inds[n];
            let overlap = self.keys[n]
                .iter()
                .map(|k| similarity(key, k))
                .fold(0.0f32, f32::max);
            let flag = |b: bool| if b { 1.0 } else { 0.0 };
            let conf = 0.7 * overlap as f64
                + 0.1 * flag(unit_key(&i.unit) == unit)
                + 0.1 * flag(i.level2 == row.level2)
                + 0.1 * flag(self.fits(i, project_type))
                // Between equally similar names, the type's own indicator before a common one.
                + 0.01 * flag(Self::written_for(i, project_type));
            let conf = conf.min(1.0);
            let better = match best {
                None => true,
                Some((c, o, m)) => {
                    conf > c
                        || (conf == c
                            && (overlap > o || (overlap == o && i.code < self.inds[m].code)))
                }
            };
            if better {
                best = Some((conf, overlap, n));
            }
        }
        let (conf, overlap, n) = best?;
        if overlap < MIN_OVERLAP || conf < MIN_SIMILAR {
            return None;
        }
        Some(Match {
            code: self.inds[n].code.to_string(),
            method: MatchMethod::Similar,
            confidence: (conf * 100.0).round() / 100.0,
            confirmed_by: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_fold_notes_synonyms_and_filler() {
        assert_eq!(name_key("新建道路里程（公里）"), "新建道路里程");
        assert_eq!(name_key("年度建设任务达成率(%)"), "建设任务完成率");
        assert_eq!(name_key("群众满意率"), "群众满意度");
        assert_eq!(name_key("項目驗收合格率"), "验收合格率");
        // Filler is kept when little would remain.
        assert_eq!(name_key("年度目标"), "年度目标");
    }

    #[test]
    fn units_fold_to_the_controlled_list() {
        assert_eq!(unit_key("％"), "%");
        assert_eq!(unit_key("km"), "公里");
        assert_eq!(unit_key("㎡"), "平方米");
        assert_eq!(unit_key("万m2"), "万平方米");
        assert_eq!(unit_key("人/次"), "人次");
    }

    #[test]
    fn similarity_is_bigram_overlap() {
        assert_eq!(similarity("新建道路里程", "新建道路里程"), 1.0);
        let s = similarity("城区新建道路里程", "新建道路里程");
        assert!((s - 10.0 / 12.0).abs() < 1e-6, "{s}");
        assert_eq!(similarity("路灯亮灯率", "培训人次"), 0.0);
    }
}
