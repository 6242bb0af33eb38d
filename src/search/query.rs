//! Running a search: the request checked, the strict plan run, widened when it finds too little
//! (half-typed type names, then relaxation), the first page balanced, and the hits built with
//! their highlights and explanations. Suggestions run the names-only plan.

use super::balance::{BALANCE_WINDOW, balance_first_page};
use super::collect::TopCount;
use super::facets::FacetCollector;
use super::index::{SearchError, SearchIndex};
use super::matcher::Found;
use super::plan::{Plan, Reach, segments};
use super::request::{
    Facets, Filters, Hit, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, Relaxed, SearchRequest,
    SearchResults, Suggestion,
};
use crate::text::{is_word_char, normalize};
use tantivy::{DocAddress, Score};

/// A query whose words together match fewer documents than this (or than the page asked for,
/// if smaller) is relaxed: a first page of a search box.
const RELAX_BELOW: usize = 10;

impl SearchIndex {
    fn check(q: &str, limit: usize, offset: usize) -> Result<(), SearchError> {
        let n = q.chars().count();
        if n > MAX_QUERY_CHARS {
            return Err(SearchError::QueryTooLong {
                max: MAX_QUERY_CHARS,
                got: n,
            });
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err(SearchError::BadRequest(format!(
                "每页条数 limit 应在 1–{MAX_LIMIT} 之间，收到 {limit}"
            )));
        }
        if offset > MAX_OFFSET {
            return Err(SearchError::BadRequest(format!(
                "起始位置 offset 不能超过 {MAX_OFFSET}，收到 {offset}"
            )));
        }
        Ok(())
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        Self::check(&req.q, req.limit, req.offset)?;
        // Nothing searchable (empty, or only punctuation) and no filter: an empty result, not
        // the whole library. Filters alone list everything in them.
        let searchable = !segments(&normalize(&req.q)).is_empty();
        if !searchable && (!req.q.trim().is_empty() || req.filters.is_empty()) {
            return Ok(SearchResults {
                total: 0,
                hits: Vec::new(),
                facets: Facets::default(),
                relaxed: None,
            });
        }
        let searcher = self.reader.searcher();
        // Longer queries are usually project names: their first page should show every level 1
        // (output, effect, satisfaction) that has a fair candidate, not only outputs.
        let balance = req.q.chars().filter(|c| is_word_char(*c)).count() >= 4;
        let window = if balance {
            (req.offset + req.limit).max(BALANCE_WINDOW)
        } else {
            req.limit
        };
        let top = TopCount {
            limit: window,
            offset: if balance { 0 } else { req.offset },
            lengths: &self.name_lengths,
        };
        let facets = FacetCollector {
            cache: &self.facet_columns,
        };
        let run = |plan: &Plan| {
            plan.matcher.run(
                &searcher,
                &self.names,
                &self.term_sets,
                &top,
                req.facets.then_some(&facets),
                req.explain,
            )
        };
        let mut plan = self.plan(&searcher, &req.q, &req.filters, Reach::Full);
        let mut found = run(&plan)?;
        // Too few results: widen to half-typed project type names (养老服 -> 养老服务), a channel
        // that would otherwise add thousands of weak matches to every query.
        if found.total < req.limit {
            let wider = self.plan(&searcher, &req.q, &req.filters, Reach::WithTypeNames);
            let more = run(&wider)?;
            if more.total > found.total {
                (found, plan) = (more, wider);
            }
        }
        // Still too few: a project name carries words no indicator has (专项经费, 2024年, the
        // unit's name). Set aside boilerplate, then the least informative words, until a page is
        // found or one word is left; more matched words still rank first.
        let mut relaxed = None;
        let page = req.limit.min(RELAX_BELOW);
        // Enough matches, but a project name may share a generic word (运营) with another domain
        // as much as with its own: when it names a project type (敬老院), the type's indicators
        // that share a word with it rank up.
        let named = if balance && req.relax && found.total >= page {
            self.query_types(&normalize(&req.q))
        } else {
            Vec::new()
        };
        if let [seg] = plan.matcher.segments.as_mut_slice()
            && !named.is_empty()
        {
            let words = self.relaxable_words(&normalize(&req.q)).0;
            // Plain weights: the strict plan found a page, and a type's indicators that share the
            // name's generic word (社区日间照料中心运营数) belong there above another domain's.
            seg.extend(self.named_type_channel(&searcher, &named, &words, &[]));
            found = run(&plan)?;
        }
        if req.relax
            && found.total < page
            && self.whole_code(&searcher, &normalize(&req.q)).is_none()
        {
            let (groups, aside) = self.relaxable_words(&normalize(&req.q));
            // A project name that names a project type: that type's indicators sharing a word
            // with it rank up. With no type named in so many words, the one that most of the few
            // whole-query matches belong to (农村生活污水治理 finds three 污水 indicators first).
            let types = match self.query_types(&normalize(&req.q)) {
                named if !named.is_empty() => named,
                _ if balance => self.types_of_best(&searcher, &found.top),
                _ => Vec::new(),
            };
            let n = groups.len();
            if n > 0 {
                let mut by_frequency: Vec<(u64, &str)> = groups
                    .iter()
                    .map(|g| (self.frequency(&searcher, &g[0]), g[0].as_str()))
                    .collect();
                by_frequency.sort_by_key(|w| std::cmp::Reverse(w.0));
                for min in (1..=n).rev() {
                    let p = self.relaxed_plan(&searcher, req, &groups, min, &types);
                    let more = run(&p)?;
                    if more.total > found.total {
                        let mut set_aside = aside.clone();
                        set_aside
                            .extend(by_frequency[..n - min].iter().map(|(_, w)| w.to_string()));
                        relaxed = Some(Relaxed {
                            words: groups.iter().map(|g| g[0].clone()).collect(),
                            min_words: min,
                            set_aside,
                        });
                        (found, plan) = (more, p);
                    }
                    if found.total >= page {
                        break;
                    }
                }
            }
        }
        if relaxed.is_none() && req.relax {
            relaxed = self.boilerplate_left_out(&req.q);
        }
        let Found {
            top,
            total,
            facets: counts,
            explain,
        } = found;
        let mut found: Vec<(Score, DocAddress)> = top;
        if balance {
            // Level 1 of each candidate from its fast-field column: only the page is decoded.
            // A candidate is promoted only when its name holds one of the query's own words:
            // a satisfaction indicator that shares a generic word (出行群众满意度 for a 背街小巷
            // project) is not about the project.
            // Read only when some candidate could be promoted.
            let topic = std::cell::OnceCell::new();
            let about = |a: DocAddress| {
                let topic: &Vec<String> = topic.get_or_init(|| {
                    let groups = self.relaxable_words(&normalize(&req.q)).0;
                    groups.into_iter().flatten().collect()
                });
                topic.is_empty()
                    || self
                        .names
                        .word_chars(searcher.segment_reader(a.segment_ord), a.doc_id)
                        .is_ok_and(|n| topic.iter().any(|w| n.contains(w.as_str())))
            };
            let mut with_l1: Vec<(Score, (DocAddress, String))> = found
                .into_iter()
                .map(|(s, a)| (s, (a, self.level1_of(&searcher, a))))
                .collect();
            balance_first_page(&mut with_l1, |(_, l1)| l1.as_str(), |(a, _)| about(*a));
            found = with_l1
                .into_iter()
                .skip(req.offset)
                .take(req.limit)
                .map(|(s, (a, _))| (s, a))
                .collect();
        }
        let mut hits = Vec::with_capacity(found.len());
        for (score, addr) in found {
            let Some(shown) = self.shown(&searcher, addr) else {
                continue;
            };
            let explain = explain
                .iter()
                .find(|(a, _)| *a == addr)
                .map(|(_, e)| e.clone())
                .unwrap_or_default();
            let ind = &shown.indicator;
            hits.push(Hit {
                name_html: plan.marks.html_of(&ind.name, &shown.name),
                snippet_html: plan
                    .marks
                    .snippet_of(&ind.definition, shown.definition(), 60),
                indicator: ind.clone(),
                score,
                explain,
            });
        }
        let facets = match counts {
            Some(counts) => self.facets(counts, &req.filters),
            None => Facets::default(),
        };
        Ok(SearchResults {
            total,
            hits,
            facets,
            relaxed,
        })
    }

    /// Indicator names for a half-typed input, best first, each name once.
    pub fn suggest(&self, q: &str, limit: usize) -> Result<Vec<Suggestion>, SearchError> {
        Self::check(q, limit, 0)?;
        let searcher = self.reader.searcher();
        let plan = self.plan(&searcher, q, &Filters::default(), Reach::Names);
        if plan.matcher.segments.is_empty() {
            return Ok(Vec::new());
        }
        let top = TopCount {
            limit: limit * 3,
            offset: 0,
            lengths: &self.name_lengths,
        };
        let found = plan.matcher.run(
            &searcher,
            &self.names,
            &self.term_sets,
            &top,
            None::<&FacetCollector>,
            false,
        )?;
        let top = found.top;
        let mut out: Vec<Suggestion> = Vec::with_capacity(limit);
        // Names that differ only in punctuation, case or traditional characters are one
        // suggestion. Telling them apart by the name column skips reading and decoding the
        // stored indicator of every repeat (a large library repeats common names many times).
        let mut seen: Vec<String> = Vec::with_capacity(limit);
        for (_, addr) in top {
            let reader = searcher.segment_reader(addr.segment_ord);
            let chars = self.names.word_chars(reader, addr.doc_id)?;
            if seen.contains(&chars) {
                continue;
            }
            let Some(shown) = self.shown(&searcher, addr) else {
                continue;
            };
            seen.push(chars);
            let ind = &shown.indicator;
            out.push(Suggestion {
                code: ind.code.to_string(),
                name_html: plan.marks.html_of(&ind.name, &shown.name),
                name: ind.name.clone(),
                level1: ind.level1.clone(),
                level2: ind.level2.clone(),
                unit: ind.unit.clone(),
            });
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::relax::GENERIC_WEIGHT;
    use super::*;
    use crate::domain::Indicator;
    use crate::ingest::library;
    use crate::search::{Vocabulary, vocab};
    use std::sync::Arc;

    fn ind(code: &str, name: &str, definition: &str) -> Indicator {
        serde_json::from_value(serde_json::json!({
            "code": code, "name": name, "level1": "产出指标", "level2": "数量指标",
            "definition": definition, "value_type": "定量", "direction": "≥", "unit": "%",
            "basis": "计划标准", "weight": 10, "term": "年度", "provenance": "地方参考"
        }))
        .unwrap()
    }

    /// Names found for `q` in an index of two candidates and 20 fillers whose definitions
    /// mention 项目 or not.
    fn names_found(q: &str, fillers_say_project: bool) -> Vec<String> {
        let mut inds = vec![
            ind("C001", "桥梁完好率", "反映桥梁的完好情况。"),
            // Matches only 完好率 in its name and 项目 in its definition.
            ind("C002", "路灯完好率", "反映项目实施后路灯的完好情况。"),
        ];
        for i in 0..20 {
            let def = if fillers_say_project {
                "反映项目实施后的受益情况。"
            } else {
                "反映实施后的受益情况。"
            };
            inds.push(ind(&format!("F{i:03}"), &format!("受益人数{i}"), def));
        }
        let (_dir, index) = index_of(inds);
        let mut req = SearchRequest::new(q);
        req.limit = 50;
        // The rule under test is the strict plan's; relaxation would add what it leaves out.
        req.relax = false;
        let res = index.search(&req).unwrap();
        res.hits.iter().map(|h| h.indicator.name.clone()).collect()
    }

    /// An index of `inds` with the bundled catalog and vocabulary, in a temporary directory.
    fn index_of(inds: Vec<Indicator>) -> (tempfile::TempDir, SearchIndex) {
        let dir = tempfile::tempdir().unwrap();
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let (index, _) = SearchIndex::open_or_build(
            dir.path(),
            Arc::new(Vocabulary::load(&vocab::default_dir()).unwrap()),
            Arc::new(lib.catalog),
            || inds.into_iter().map(Ok),
            1,
        )
        .unwrap();
        (dir, index)
    }

    /// An index of indicators with these names and one plain definition.
    fn index_of_names(names: &[&str]) -> (tempfile::TempDir, SearchIndex) {
        let inds = names
            .iter()
            .enumerate()
            .map(|(i, n)| ind(&format!("N{i:03}"), n, "反映情况。"))
            .collect();
        index_of(inds)
    }

    /// A relaxed project name: two indicators share two generic words of it (运营, 补助), one
    /// holds its subject (敬老院). Plain weights put the two generic words first; subject first
    /// puts the subject's indicator first.
    fn relaxed_order(subject_first: bool) -> Vec<String> {
        let mut inds = vec![
            ind("A01", "运营补助车辆数", "反映车辆情况。"),
            ind("A02", "运营补助资金到位率", "反映资金情况。"),
            ind("B01", "敬老院床位数", "反映床位情况。"),
        ];
        for i in 0..20 {
            inds.push(ind(
                &format!("F{i:03}"),
                &format!("受益人数{i}"),
                "反映受益情况。",
            ));
        }
        let (_dir, index) = index_of(inds);
        let mut req = SearchRequest::new("城市敬老院运营补助");
        req.subject_first = subject_first;
        let res = index.search(&req).unwrap();
        assert!(res.relaxed.is_some(), "the name is relaxed");
        res.hits.iter().map(|h| h.indicator.name.clone()).collect()
    }

    #[test]
    fn a_relaxed_name_ranks_its_subject_above_its_generic_words() {
        let subject = relaxed_order(true);
        assert_eq!(
            subject.first().map(String::as_str),
            Some("敬老院床位数"),
            "{subject:?}"
        );
        let plain = relaxed_order(false);
        assert_ne!(
            plain.first().map(String::as_str),
            Some("敬老院床位数"),
            "{plain:?}"
        );
    }

    #[test]
    fn generic_words_weigh_less_only_beside_a_subject() {
        let (_dir, index) = index_of(vec![ind("A01", "敬老院床位数", "反映床位情况。")]);
        let g =
            |w: &[&str]| -> Vec<Vec<String>> { w.iter().map(|w| vec![w.to_string()]).collect() };
        assert_eq!(
            index.topic_weights(&g(&["敬老院", "运营", "城市"])),
            vec![1.0, GENERIC_WEIGHT, GENERIC_WEIGHT]
        );
        assert_eq!(index.topic_weights(&g(&["运行", "维护"])), vec![1.0, 1.0]);
    }

    #[test]
    fn a_code_is_found_typed_in_either_case_whatever_case_it_is_written_in() {
        let inds = vec![
            ind("GX-HD-001", "培训人次", "反映培训的人次。"),
            ind("ind-000002", "验收合格率", "反映验收合格的比例。"),
            ind("Mx-7", "路灯完好率", "反映路灯的完好情况。"),
        ];
        let (_dir, index) = index_of(inds);
        for (q, name) in [
            ("GX-HD-001", "培训人次"),
            ("gx-hd-001", "培训人次"),
            ("IND-000002", "验收合格率"),
            ("ind-000002", "验收合格率"),
            ("mx-7", "路灯完好率"),
            ("MX-7", "路灯完好率"),
        ] {
            let res = index.search(&SearchRequest::new(q)).unwrap();
            assert_eq!(
                res.hits.first().map(|h| h.indicator.name.as_str()),
                Some(name),
                "{q}"
            );
        }
        assert!(index.get("ind-000002").is_some() && index.get("IND-000002").is_none());
    }

    #[test]
    fn a_long_segment_needs_its_characters_in_a_row_not_only_its_trigrams() {
        // 甲乙丙乙丙丁 holds both trigrams of 甲乙丙丁 (甲乙丙, 乙丙丁) but not the run itself.
        let (_dir, index) = index_of_names(&["甲乙丙丁数量", "甲乙丙乙丙丁数量", "戊己数量"]);
        // The strict plan's check is under test: relaxation would add names by their words.
        let found = |q: &str| {
            let mut req = SearchRequest::new(q);
            req.relax = false;
            let res = index.search(&req).unwrap();
            let names: Vec<String> = res.hits.iter().map(|h| h.indicator.name.clone()).collect();
            (res.total, names)
        };
        assert_eq!(found("甲乙丙丁"), (1, vec!["甲乙丙丁数量".to_string()]));
        assert_eq!(
            found("乙丙乙丙丁"),
            (1, vec!["甲乙丙乙丙丁数量".to_string()])
        );
        // The same run at the start of the name ranks first, and explains why.
        let mut req = SearchRequest::new("甲乙丙丁数");
        req.explain = true;
        req.relax = false;
        let res = index.search(&req).unwrap();
        assert_eq!(res.total, 1, "{:?}", res.hits);
        let why = res.hits[0].explain.join(" ");
        assert!(
            why.contains("名称开头 甲乙丙丁数") && why.contains("名称包含"),
            "{why}"
        );
    }

    #[test]
    fn a_long_run_starts_a_name_only_where_the_name_begins_with_all_of_it() {
        // The second name begins with the run's first four characters and holds the whole run
        // later: the name-prefix term lets it through, the check must not.
        let (_dir, index) =
            index_of_names(&["甲乙丙丁戊数量", "甲乙丙丁己甲乙丙丁戊", "庚甲乙丙丁戊"]);
        let mut req = SearchRequest::new("甲乙丙丁戊");
        req.explain = true;
        let res = index.search(&req).unwrap();
        assert_eq!(res.total, 3, "{:?}", res.hits);
        for h in &res.hits {
            let why = h.explain.join(" ");
            let starts = h.indicator.name.starts_with("甲乙丙丁戊");
            assert_eq!(
                why.contains("名称开头"),
                starts,
                "{}: {why}",
                h.indicator.name
            );
            assert!(why.contains("名称包含"), "{}: {why}", h.indicator.name);
        }
        assert_eq!(res.hits[0].indicator.name, "甲乙丙丁戊数量");
        assert_eq!(
            index.suggest("甲乙丙丁戊", 8).unwrap()[0].name,
            "甲乙丙丁戊数量"
        );
    }

    #[test]
    fn a_run_taken_on_trust_is_checked_before_its_weight_counts() {
        // 乙丙丁甲乙丙 holds both trigrams of 甲乙丙丁 but not the run; it matches through its
        // definition, so the name is checked only once it reaches the page, and then loses the
        // substring's weight: the longer name holding the run ranks first.
        let inds = vec![
            ind("T001", "甲乙丙丁数量统计指标", "反映情况。"),
            ind("T002", "乙丙丁甲乙丙", "甲乙丙丁的情况。"),
        ];
        let (_dir, index) = index_of(inds);
        let mut req = SearchRequest::new("甲乙丙丁");
        req.explain = true;
        let res = index.search(&req).unwrap();
        let names: Vec<&str> = res.hits.iter().map(|h| h.indicator.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["甲乙丙丁数量统计指标", "乙丙丁甲乙丙"],
            "{res:?}"
        );
        assert_eq!(res.total, 2);
        let why = res.hits[1].explain.join(" ");
        assert!(!why.contains("名称包含"), "{why}");
        assert!(why.contains("定义"), "{why}");
        // Suggestions come from the same check.
        let s = index.suggest("甲乙丙丁", 8).unwrap();
        assert_eq!(s[0].name, "甲乙丙丁数量统计指标");
    }

    #[test]
    fn a_word_in_most_definitions_need_not_match_there() {
        // A segment this long reads as a project name, whose boilerplate (项目) is left out of
        // its words: however rare 项目 is in definitions, 路灯完好率 holds only one word of two.
        // (Before boilerplate was left out, a rare 项目 counted there like any word and found it.)
        let rare = names_found("项目桥梁完好率", false);
        assert_eq!(rare, vec!["桥梁完好率"], "rare: {rare:?}");
        // 项目 in 21 of 22: 路灯完好率 holds only one other word, and drops out.
        let common = names_found("项目桥梁完好率", true);
        assert_eq!(common, vec!["桥梁完好率"], "common: {common:?}");
    }

    #[test]
    fn suggestions_show_a_name_once_whatever_its_punctuation_or_script() {
        let (_dir, index) = index_of_names(&[
            "群众满意度",
            "群眾滿意度",
            "群众 满意度",
            "群众满意度",
            "群众满意率",
        ]);
        let names: Vec<String> = index
            .suggest("群众满意", 8)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&"群众满意率".to_string()), "{names:?}");
    }
}
