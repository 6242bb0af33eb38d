//! The search vocabulary checked against the library: a stop word must not be a unit nor make two
//! indicators' names the same, and a synonym group must join only words that mean the same (not
//! two units, not two indicators).

use super::Finding;
use crate::domain::{Catalog, Indicator};
use std::collections::{HashMap, HashSet};

/// Every vocabulary rule. `synonyms` are the groups of index/synonyms.txt and `stop_words` the
/// words of index/stop_words.txt, both as the search loads them.
pub fn check_vocabulary(
    catalog: &Catalog,
    indicators: &[Indicator],
    synonyms: &[Vec<String>],
    stop_words: &HashSet<String>,
) -> Vec<Finding> {
    let units: HashSet<&str> = catalog.units.iter().map(|u| u.name.as_str()).collect();
    let mut out = Vec::new();
    let mut stops: Vec<&String> = stop_words
        .iter()
        .filter(|w| units.contains(w.as_str()))
        .collect();
    stops.sort();
    for w in stops {
        out.push(Finding {
            rule: "stopword-is-unit",
            code: None,
            message: format!("停用词“{w}”是计量单位（units.toml）：检索时会丢掉“5{w}”这样的数量"),
        });
    }
    let names: HashMap<&str, &Indicator> = indicators
        .iter()
        .filter(|i| i.is_active())
        .map(|i| (i.name.as_str(), i))
        .collect();
    // A stop word is dropped from queries and names alike: one whose removal turns a name into
    // another indicator's (被审计单位… into 审计单位…) makes the two indistinguishable.
    let mut sorted_stops: Vec<&String> = stop_words.iter().collect();
    sorted_stops.sort();
    for w in sorted_stops {
        for (name, i) in names.iter().filter(|(n, _)| n.contains(w.as_str())) {
            let other = name.replace(w.as_str(), "");
            if let Some(o) = names.get(other.as_str()).filter(|o| o.code != i.code) {
                out.push(Finding {
                    rule: "stopword-joins-indicators",
                    code: Some(i.code.to_string()),
                    message: format!(
                        "停用词“{w}”在检索时被丢掉，使指标“{name}”与 {}“{other}”无法区分：从停用词表删去“{w}”",
                        o.code
                    ),
                });
            }
        }
    }
    for group in synonyms {
        let group_units: Vec<&String> = group
            .iter()
            .filter(|w| units.contains(w.as_str()))
            .collect();
        if group_units.len() > 1 {
            out.push(Finding {
                rule: "synonym-joins-units",
                code: None,
                message: format!(
                    "同义词组“{}”把不同的计量单位（{}）当作同义词",
                    group.join(" "),
                    group_units
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            });
        }
        let mut reported = HashSet::new();
        for a in group {
            for b in group.iter().filter(|b| *b != a) {
                for (name, i) in names.iter().filter(|(n, _)| n.contains(a.as_str())) {
                    let other = name.replace(a.as_str(), b);
                    let Some(o) = names.get(other.as_str()).filter(|o| o.code != i.code) else {
                        continue;
                    };
                    let pair = if i.code < o.code {
                        (i.code.clone(), o.code.clone())
                    } else {
                        (o.code.clone(), i.code.clone())
                    };
                    if reported.insert(pair) {
                        out.push(Finding {
                            rule: "synonym-joins-indicators",
                            code: Some(i.code.to_string()),
                            message: format!(
                                "同义词组“{}”把“{a}”与“{b}”视为同义，使指标“{name}”与 {}“{other}”在检索中无法区分：两者若是同一指标应统一名称，否则从词组中删去该词",
                                group.join(" "),
                                o.code
                            ),
                        });
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library::{default_dir, load_dir};

    fn vocab() -> (Vec<Vec<String>>, HashSet<String>) {
        let v = crate::search::vocab::Vocabulary::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index"),
        )
        .unwrap();
        (v.synonyms.clone(), v.stop_words.clone())
    }

    #[test]
    fn the_bundled_vocabulary_fits_the_library() {
        let lib = load_dir(&default_dir()).unwrap();
        let (syn, stops) = vocab();
        let found = check_vocabulary(&lib.catalog, &lib.indicators, &syn, &stops);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn each_vocabulary_rule_catches_its_failing_example() {
        let lib = load_dir(&default_dir()).unwrap();
        let (mut syn, mut stops) = vocab();
        stops.insert("本".into());
        syn.push(vec!["学时".into(), "课时".into()]);
        // Two indicators whose names differ only by words of one group.
        let a = lib
            .indicators
            .iter()
            .find(|i| i.name.contains("满意度"))
            .unwrap();
        let mut b = a.clone();
        b.code = crate::domain::Code::parse("ZZ-999").unwrap();
        b.name = a.name.replace("满意度", "好评度");
        syn.push(vec!["满意度".into(), "好评度".into()]);
        let mut inds = lib.indicators.clone();
        inds.push(b);
        // 被 dropped: 被审计单位整改率 would read as 审计单位整改率.
        stops.insert("被".into());
        let mut audited = a.clone();
        audited.code = crate::domain::Code::parse("ZZ-998").unwrap();
        audited.name = "被审计单位问题整改率".into();
        let mut auditing = a.clone();
        auditing.code = crate::domain::Code::parse("ZZ-997").unwrap();
        auditing.name = "审计单位问题整改率".into();
        inds.extend([audited, auditing]);
        let rules: Vec<&str> = check_vocabulary(&lib.catalog, &inds, &syn, &stops)
            .into_iter()
            .map(|f| f.rule)
            .collect();
        for rule in [
            "stopword-is-unit",
            "stopword-joins-indicators",
            "synonym-joins-units",
            "synonym-joins-indicators",
        ] {
            assert!(rules.contains(&rule), "{rule} not in {rules:?}");
        }
    }
}
