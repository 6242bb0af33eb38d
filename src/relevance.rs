//! Relevance evaluation (`zhibiao eval`), in the manner of Elasticsearch's ranking evaluation API:
//! project names as budget units write them, each with the keywords that make an indicator name on
//! topic and those that mark a wrong domain, measured through search and the drafting assistant.
//!
//! A case file has one case a line, `query<TAB>on-topic keywords<TAB>wrong-domain keywords`, the
//! keywords separated by `|`; `#` starts a comment line.

use crate::domain::lint::LintConfig;
use crate::drafting::{self, DraftRequest};
use crate::search::{SearchIndex, SearchRequest};
use serde::Serialize;

/// How many results a search is judged on (precision@10).
pub const TOP: usize = 10;
/// On-topic output rows a drafting table needs to count as on topic.
pub const MIN_ON_TOPIC_OUTPUTS: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub query: String,
    pub on_topic: Vec<String>,
    pub wrong_domain: Vec<String>,
}

/// Reads a case file; a malformed line is an error naming its line number.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let list = |i: usize| -> Vec<String> {
            cols.get(i)
                .map(|c| {
                    c.split('|')
                        .map(|k| crate::text::normalize(k.trim()))
                        .filter(|k| !k.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let query = cols[0].trim().to_string();
        let on_topic = list(1);
        if query.is_empty() || on_topic.is_empty() {
            return Err(format!(
                "第 {} 行：应为“项目名称<TAB>相关关键词|…<TAB>错误领域关键词|…”",
                n + 1
            ));
        }
        cases.push(Case {
            query,
            on_topic,
            wrong_domain: list(2),
        });
    }
    Ok(cases)
}

/// What one case scored.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub query: String,
    /// Search: total hits, and the names of the first `TOP`.
    pub hits: usize,
    pub top: Vec<String>,
    /// Share of the first `TOP` places holding an on-topic name (an empty place counts as a miss).
    pub precision: f64,
    /// Share of the first `TOP` names from a wrong domain.
    pub wrong_share: f64,
    /// Drafting: the recognised project type (code), if any.
    pub project_type: Option<String>,
    /// The best-ranked types with their scores, as the drafting page offers them.
    pub candidates: Vec<drafting::TypeCandidate>,
    /// The table has a row under every heading the review rules require of its framework: 产出,
    /// 效益 and 满意度 by default; 决策/过程/产出/效益 with 预算执行 and 服务对象满意度 for 部门整体支出.
    pub complete: bool,
    /// Output rows whose name is on topic.
    pub on_topic_outputs: usize,
    /// Rows whose name is from a wrong domain.
    pub wrong_rows: Vec<String>,
    pub rows: usize,
    /// The table's rows as `二级指标：名称（来源）`, for reading why a table is off topic.
    pub table: Vec<String>,
}

impl CaseResult {
    /// The table is complete, has enough on-topic outputs and no wrong-domain row.
    pub fn table_on_topic(&self) -> bool {
        self.complete && self.on_topic_outputs >= MIN_ON_TOPIC_OUTPUTS && self.wrong_rows.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub zero_hit_share: f64,
    pub precision: f64,
    pub wrong_share: f64,
    pub complete_tables: f64,
    pub on_topic_tables: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub cases: Vec<CaseResult>,
}

fn holds_any(name: &str, keywords: &[String]) -> bool {
    let name = crate::text::normalize(name);
    keywords.iter().any(|k| name.contains(k.as_str()))
}

/// Runs every case through search and the drafting assistant, judging tables by the bundled review
/// rules.
pub fn evaluate(search: &SearchIndex, cases: &[Case]) -> Result<Report, drafting::DraftingError> {
    evaluate_under(search, cases, &LintConfig::bundled())
}

/// Runs every case through search and the drafting assistant; a table is complete when it carries
/// the headings `rules` require of the framework of its recognised project type.
pub fn evaluate_under(
    search: &SearchIndex,
    cases: &[Case],
    rules: &LintConfig,
) -> Result<Report, drafting::DraftingError> {
    let catalog = search.catalog();
    let mut out = Vec::with_capacity(cases.len());
    for c in cases {
        let mut req = SearchRequest::new(&c.query);
        req.limit = TOP;
        let res = search.search(&req)?;
        let top: Vec<String> = res.hits.iter().map(|h| h.indicator.name.clone()).collect();
        let on = top.iter().filter(|n| holds_any(n, &c.on_topic)).count();
        let wrong = top.iter().filter(|n| holds_any(n, &c.wrong_domain)).count();
        let input = DraftRequest::named(&c.query);
        let drafting::Suggestions {
            project_type: guess,
            groups,
            candidates,
        } = drafting::suggest(search, &input)?;
        let framework = guess
            .as_ref()
            .and_then(|g| catalog.project_type(&g.code))
            .map_or_else(|| catalog.framework(), |t| catalog.framework_of(t));
        let (required_level1, required_level2) = rules.required_under(framework);
        let has = |l1: &str, l2: Option<&str>| {
            groups.iter().any(|g| {
                g.level1 == l1 && l2.is_none_or(|l2| g.level2 == l2) && !g.indicators.is_empty()
            })
        };
        let complete = required_level1.iter().all(|l1| has(l1, None))
            && required_level2
                .iter()
                .all(|l2| has(framework.level1_of(l2).unwrap_or_default(), Some(l2)));
        let rows: Vec<(&str, &str)> = groups
            .iter()
            .flat_map(|g| {
                g.indicators
                    .iter()
                    .map(move |i| (g.level1.as_str(), i.name.as_str()))
            })
            .collect();
        out.push(CaseResult {
            query: c.query.clone(),
            hits: res.total,
            precision: on as f64 / TOP as f64,
            wrong_share: if top.is_empty() {
                0.0
            } else {
                wrong as f64 / top.len() as f64
            },
            top,
            project_type: guess.map(|g| g.code),
            candidates,
            complete,
            on_topic_outputs: rows
                .iter()
                .filter(|(l1, n)| *l1 == "产出指标" && holds_any(n, &c.on_topic))
                .count(),
            wrong_rows: rows
                .iter()
                .filter(|(_, n)| holds_any(n, &c.wrong_domain))
                .map(|(_, n)| n.to_string())
                .collect(),
            rows: rows.len(),
            table: groups
                .iter()
                .flat_map(|g| {
                    g.indicators
                        .iter()
                        .map(move |i| format!("{}：{}（{}）", g.level2, i.name, i.source))
                })
                .collect(),
        });
    }
    let n = out.len().max(1) as f64;
    let share = |f: &dyn Fn(&CaseResult) -> bool| out.iter().filter(|c| f(c)).count() as f64 / n;
    let mean = |f: &dyn Fn(&CaseResult) -> f64| out.iter().map(f).sum::<f64>() / n;
    let summary = Summary {
        cases: out.len(),
        zero_hit_share: share(&|c| c.hits == 0),
        precision: mean(&|c| c.precision),
        wrong_share: mean(&|c| c.wrong_share),
        complete_tables: share(&|c| c.complete),
        on_topic_tables: share(&|c| c.table_on_topic()),
    };
    Ok(Report {
        summary,
        cases: out,
    })
}

/// The report as a person reads it: one line a case, then the totals.
pub fn render(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for c in &r.cases {
        let _ = writeln!(
            s,
            "{}  命中 {}  P@10 {:.1}  错域 {:.1}  类型 {}  表 {}{}  产出相关 {}  错域行 {}",
            c.query,
            c.hits,
            c.precision,
            c.wrong_share,
            c.project_type.as_deref().unwrap_or("—"),
            if c.complete { "完整" } else { "不完整" },
            if c.table_on_topic() { "✓" } else { "✗" },
            c.on_topic_outputs,
            if c.wrong_rows.is_empty() {
                "0".to_string()
            } else {
                c.wrong_rows.join("、")
            },
        );
    }
    let m = &r.summary;
    let _ = writeln!(
        s,
        "\n{} 个项目：零命中 {:.0}%，P@10 {:.2}，错域占比 {:.2}；目标表完整 {:.0}%，产出相关且无错域 {:.0}%",
        m.cases,
        m.zero_hit_share * 100.0,
        m.precision,
        m.wrong_share,
        m.complete_tables * 100.0,
        m.on_topic_tables * 100.0
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_files_skip_comments_and_name_a_bad_line() {
        let cases = parse_cases("# 注释\n道路改造\t道路|路面\t学生\n\n污水处理\t污水\n").unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].on_topic, vec!["道路", "路面"]);
        assert_eq!(cases[0].wrong_domain, vec!["学生"]);
        assert!(cases[1].wrong_domain.is_empty());
        let err = parse_cases("道路改造\t道路\n只有名称\n").unwrap_err();
        assert!(err.contains("第 2 行"), "{err}");
    }
}
