//! New indicators from practice: unmatched rows are read the way the matcher reads names
//! (`wording::Key`), clustered so that the variants of one indicator written by different
//! projects become one candidate with its evidence, and a candidate can be turned into a full
//! indicator draft for the curator's review queue.
//!
//! Rows are grouped by key first (same key, level 1 and kind of unit); two groups join when their
//! wordings are alike enough (`matching::plain_similarity` ≥ `JOIN` between any of the readings
//! `Wording::keys` gives, as the matcher compares: shared sounds, order, characters) and
//! their units are not of different kinds; groups joined through a chain of such pairs
//! form one candidate. The result does not depend on the order of the rows.
//!
//! Before that, an import compares its unmatched rows with the library (`review_lone_near`): a
//! wording that only one project uses and that is near a library name goes to review instead.

use super::matching::{Matcher, plain_similarity, unordered_grams};
use super::stats::{Spread, fmt_num};
use super::units;
use super::wording::{Key, Wording};
use crate::domain::{
    Basis, Candidate, Catalog, Code, CostKind, Direction, EvaluatedProject, Evidence, Indicator,
    Match, MatchMethod, Provenance, SourceRef, Status, Term, ValueType,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Likeness at which two wordings are taken for the same indicator.
pub const JOIN: f32 = 0.7;

/// A sound bigram shared by more groups than this (满意, 意度) is too common to find pairs by.
const COMMON_GRAM: usize = 400;

fn most_common(values: impl Iterator<Item = String>) -> String {
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (n, v) in values.enumerate() {
        let e = counts.entry(v).or_insert((0, n));
        e.0 += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| {
            (a.1.0)
                .cmp(&b.1.0)
                .then(b.0.chars().count().cmp(&a.0.chars().count()))
                .then(b.1.1.cmp(&a.1.1))
        })
        .map(|(v, _)| v)
        .unwrap_or_default()
}

/// Units of different kinds (人 and %) keep two wordings apart; 天 and 个工作日 do not: the
/// same new indicator may be timed either way.
fn different_kinds(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a != b)
}

/// How alike two groups' wordings are: the best of their readings, as the matcher compares a
/// row with a name (a typo inside 比例, 币例, escapes the folding of 比例 to 率).
fn alike(a: &Group, b: &Group) -> f32 {
    a.keys
        .iter()
        .flat_map(|x| b.keys.iter().map(move |y| plain_similarity(x, y)))
        .fold(0.0, f32::max)
        .max(qualified(&a.keys[0], &b.keys[0]))
}

/// A wording that is another with a qualifier added (会议促成合作项目数 and 合作项目数, in any
/// order): `JOIN` when the sounds of the shorter, of at least `QUALIFIED` characters, are all in
/// the longer, at most twice as long; 0 otherwise.
fn qualified(a: &Key, b: &Key) -> f32 {
    let (short, long) = if a.chars.len() <= b.chars.len() {
        (a, b)
    } else {
        (b, a)
    };
    let (s, l) = (short.sound_bag(), long.sound_bag());
    if s.len() < QUALIFIED || l.len() > 2 * s.len() {
        return 0.0;
    }
    // Both sorted: every sound of the shorter found in turn in the longer.
    let mut rest = l.iter();
    if s.iter().all(|x| rest.any(|y| y == x)) {
        JOIN
    } else {
        0.0
    }
}

/// The fewest characters a wording needs for a longer one holding its sounds to join it.
const QUALIFIED: usize = 5;

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Rows with one key and level 1.
struct Group {
    level1: String,
    /// The key, then the other readings the matcher compares (`Wording::keys`).
    keys: Vec<Key>,
    /// The kind of unit its rows are in (to keep 人 and % apart), when known.
    kind: Option<String>,
    members: Vec<(Evidence, String)>,
}

/// The unmatched rows of `projects` grouped by level 1, kind of unit and key, each group's
/// members in file order.
fn groups<'p>(
    projects: impl Iterator<Item = &'p EvaluatedProject>,
    wording: &Wording,
) -> Vec<Group> {
    let table = units::table();
    // Rows by level 1, kind of unit and key.
    type GroupKey = (String, String, String);
    let mut by_key: BTreeMap<GroupKey, Vec<(Evidence, String)>> = BTreeMap::new();
    let mut keys: HashMap<String, Vec<Key>> = HashMap::new();
    for p in projects {
        for r in p.rows.iter().filter(|r| r.matched.is_none()) {
            let read = wording.keys(&r.name);
            let key = &read[0];
            if key.is_empty() {
                continue;
            }
            let kind = table.kind(&r.unit).unwrap_or_default().to_string();
            by_key
                .entry((r.level1.clone(), kind, key.text.clone()))
                .or_default()
                .push((
                    Evidence {
                        project_id: p.id(),
                        project: p.name.clone(),
                        unit_name: p.unit_name.clone(),
                        year: p.year,
                        project_type: p.project_type.clone(),
                        name: r.name.clone(),
                        unit: r.unit.clone(),
                        direction: r.direction.clone(),
                        target: r.target.clone(),
                        actual: r.actual.clone(),
                        grade: p.grade,
                        source: r.source.clone(),
                    },
                    r.level2.clone(),
                ));
            keys.entry(key.text.clone()).or_insert(read);
        }
    }
    by_key
        .into_iter()
        .map(|((level1, kind, text), mut members)| {
            members.sort_by(|a, b| {
                (&a.0.source.file, &a.0.source.sheet, a.0.source.row).cmp(&(
                    &b.0.source.file,
                    &b.0.source.sheet,
                    b.0.source.row,
                ))
            });
            Group {
                level1,
                kind: (!kind.is_empty()).then_some(kind),
                keys: keys[&text].clone(),
                members,
            }
        })
        .collect()
}

/// The groups joined through chains of alike pairs: each group's cluster, as the index of the
/// group at its root.
fn join(groups: &[Group]) -> Vec<usize> {
    // Pairs worth comparing share a sound bigram.
    let mut by_gram: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        let mut grams: Vec<(u64, u64)> = group.keys.iter().flat_map(unordered_grams).collect();
        grams.sort_unstable();
        grams.dedup();
        for gram in grams {
            by_gram.entry(gram).or_default().push(g);
        }
    }
    let mut parent: Vec<usize> = (0..groups.len()).collect();
    for posting in by_gram.values().filter(|p| p.len() <= COMMON_GRAM) {
        for (n, &a) in posting.iter().enumerate() {
            for &b in &posting[n + 1..] {
                let (ga, gb) = (&groups[a], &groups[b]);
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra == rb
                    || ga.level1 != gb.level1
                    || different_kinds(ga.kind.as_deref(), gb.kind.as_deref())
                    || alike(ga, gb) < JOIN
                {
                    continue;
                }
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    (0..groups.len()).map(|g| find(&mut parent, g)).collect()
}

/// How alike by name alone a library indicator must be for a row that no other project words
/// alike to go to review rather than to the candidates.
pub const LONE_NEAR: f64 = 0.5;

/// Compares the unmatched rows of `projects` with the library before they are clustered: a
/// row whose wording no other project shares (its cluster among the unmatched rows of
/// `projects` and `others` rests on one project) and whose name is at least `LONE_NEAR` alike
/// one of the library's goes to review, proposed for that indicator. A wording of one project
/// near a library name is more likely that indicator reworded (上入库图率值 for 上图入库率, a
/// synonym the vocabulary lacks, a level 1 of an earlier edition) than a new measure; a
/// curator who finds it new sends it to the candidates. A new indicator that several projects
/// word alike stays a candidate however near a library name it is. `others` (the evaluations
/// already stored) are read, never changed: a stored row left unmatched may be a curator's
/// decision. Returns how many rows were sent to review.
pub fn review_lone_near<'o>(
    projects: &mut [EvaluatedProject],
    others: impl Iterator<Item = &'o EvaluatedProject>,
    matcher: &Matcher,
) -> usize {
    let others: Vec<&EvaluatedProject> = others.collect();
    let groups = groups(
        projects.iter().chain(others.iter().copied()),
        matcher.wording(),
    );
    let roots = join(&groups);
    // Per cluster: the one project (unit and name, any year) its rows come from, or none.
    let mut single: HashMap<usize, Option<(&str, &str)>> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        for (e, _) in &group.members {
            let own = (e.unit_name.as_str(), e.project.as_str());
            single
                .entry(roots[g])
                .and_modify(|s| {
                    if *s != Some(own) {
                        *s = None;
                    }
                })
                .or_insert(Some(own));
        }
    }
    let lone: HashSet<(&str, &SourceRef)> = groups
        .iter()
        .enumerate()
        .filter(|(g, _)| single[&roots[*g]].is_some())
        .flat_map(|(_, group)| group.members.iter())
        .map(|(e, _)| (e.project_id.as_str(), &e.source))
        .collect();
    let mut sent = Vec::new();
    for (pi, p) in projects.iter().enumerate() {
        let id = p.id();
        for (ri, r) in p.rows.iter().enumerate() {
            if r.matched.is_none()
                && lone.contains(&(id.as_str(), &r.source))
                && let Some((code, sim)) = matcher.closest_by_name(r)
                && sim >= LONE_NEAR
            {
                sent.push((pi, ri, code));
            }
        }
    }
    let n = sent.len();
    for (pi, ri, code) in sent {
        projects[pi].rows[ri].matched = Some(Match {
            code,
            method: MatchMethod::Similar,
            confidence: super::matching::REVIEW,
            confirmed_by: None,
        });
    }
    n
}

/// Clusters every unmatched row of `projects` into candidates, most evidence first.
pub fn candidates<'p>(
    projects: impl IntoIterator<Item = &'p EvaluatedProject>,
    wording: &Wording,
) -> Vec<Candidate> {
    let table = units::table();
    let groups = groups(projects.into_iter(), wording);
    let roots = join(&groups);
    let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (g, root) in roots.into_iter().enumerate() {
        clusters.entry(root).or_default().push(g);
    }
    let mut out: Vec<Candidate> = clusters
        .into_values()
        .map(|members| {
            let level1 = groups[members[0]].level1.clone();
            let members: Vec<(Evidence, String)> = members
                .into_iter()
                .flat_map(|g| groups[g].members.iter().cloned())
                .collect();
            let name = most_common(members.iter().map(|(e, _)| e.name.clone()));
            let mut variants: Vec<String> = members
                .iter()
                .map(|(e, _)| e.name.clone())
                .filter(|n| *n != name)
                .collect();
            variants.sort();
            variants.dedup();
            let level2 = most_common(members.iter().map(|(_, l2)| l2.clone()));
            let unit = most_common(
                members
                    .iter()
                    .map(|(e, _)| table.canonical(&e.unit).unwrap_or_else(|| e.unit.clone())),
            );
            let direction = most_common(members.iter().map(|(e, _)| e.direction.clone()));
            // The kind of unit too: one wording counted in 个 and in 万元 is two candidates.
            let kind = table.kind(&unit).unwrap_or_default();
            let mut h = Sha256::new();
            h.update(format!("{level1}|{kind}|{}", wording.key(&name).text));
            let id: String = h
                .finalize()
                .iter()
                .take(5)
                .map(|b| format!("{b:02x}"))
                .collect();
            Candidate {
                id,
                name,
                variants,
                level1,
                level2,
                unit,
                direction,
                evidence: members.into_iter().map(|(e, _)| e).collect(),
            }
        })
        .collect();
    unique_ids(&mut out);
    out.sort_by(|a, b| b.projects().cmp(&a.projects()).then(a.name.cmp(&b.name)));
    out
}

/// Gives every candidate but the first of those sharing an id (a cluster whose wording reached
/// two kinds of unit through a row of unknown unit) an id of its own, from its first row: the
/// store keeps candidates by id, and a proposal names the one it came from by id.
fn unique_ids(cands: &mut [Candidate]) {
    let first = |c: &Candidate| {
        c.evidence
            .iter()
            .map(|e| (&e.project_id, &e.source.file, &e.source.sheet, e.source.row))
            .min()
            .map(|s| format!("{s:?}"))
    };
    cands.sort_by_cached_key(|c| (c.id.clone(), first(c)));
    for i in 1..cands.len() {
        if cands[..i].iter().any(|c| c.id == cands[i].id) {
            let mut h = Sha256::new();
            h.update(format!(
                "{}|{}",
                cands[i].id,
                first(&cands[i]).unwrap_or_default()
            ));
            cands[i].id = h
                .finalize()
                .iter()
                .take(5)
                .map(|b| format!("{b:02x}"))
                .collect();
        }
    }
}

/// A full indicator draft from a candidate: code `PJ-<last year>-<id>`, provenance 评价沉淀,
/// the median target as reference value (历史标准), definition, formula and scoring rule written
/// from the evidence, fitted to the project types it was used in. A curator reviews it before
/// it joins the library.
pub fn candidate_to_indicator(c: &Candidate, catalog: &Catalog) -> Indicator {
    let year = c.evidence.iter().map(|e| e.year).max().unwrap_or(0);
    let code = Code::parse(&format!("PJ-{year}-{}", c.id.to_ascii_uppercase()))
        .expect("hex id makes a valid code");
    let direction = Direction::parse(&c.direction).unwrap_or(Direction::AtLeast);
    let qualitative = direction == Direction::Qualitative;
    let targets: Vec<f64> = c
        .evidence
        .iter()
        .filter_map(|e| super::import::number(&e.target))
        .collect();
    let target = if qualitative {
        most_common(c.evidence.iter().map(|e| e.target.clone()))
    } else {
        Spread::of(&targets)
            .map(|s| fmt_num(s.median))
            .unwrap_or_default()
    };
    let mut types: Vec<String> = c
        .evidence
        .iter()
        .filter_map(|e| e.project_type.clone())
        .filter(|t| catalog.project_type(t).is_some())
        .collect();
    types.sort();
    types.dedup();
    let projects = c.projects();
    let years: Vec<i32> = c.evidence.iter().map(|e| e.year).collect();
    let (y0, y1) = (
        years.iter().min().copied().unwrap_or(year),
        years.iter().max().copied().unwrap_or(year),
    );
    let span = if y0 == y1 {
        format!("{y0} 年")
    } else {
        format!("{y0}–{y1} 年")
    };
    let is_rate = matches!(c.unit.as_str(), "%" | "‰");
    let subject = c
        .name
        .trim_end_matches("率")
        .trim_end_matches("度")
        .to_string();
    let definition = format!(
        "反映项目{}情况。由 {span} {projects} 个项目的绩效自评实践沉淀，各项目表述：{}。",
        c.name,
        std::iter::once(c.name.as_str())
            .chain(c.variants.iter().map(String::as_str))
            .take(5)
            .collect::<Vec<_>>()
            .join("、")
    );
    let formula = if is_rate {
        format!("{subject}达到要求的数量÷应达到要求的总数×100%（请结合项目实际细化分子分母）")
    } else if qualitative {
        String::new()
    } else {
        format!("按年度内实际完成的{}累计（以{}计）", c.name, c.unit)
    };
    let scoring = match direction {
        Direction::AtLeast => "实际完成值÷目标值×分值，最高得满分。",
        Direction::AtMost => "实际值不超过目标值得满分；超过的，按目标值÷实际值×分值计分。",
        Direction::Exactly => "实际值等于目标值得满分；每偏离目标值的1%扣分值的10%，扣完为止。",
        Direction::Qualitative => "达到目标得满分，部分达到得分值的60%，未达到不得分。",
    };
    let weight = if c.level1 == "满意度指标" { 10 } else { 5 };
    Indicator {
        code,
        name: c.name.clone(),
        aliases: c.variants.clone(),
        level1: c.level1.clone(),
        level2: c.level2.clone(),
        definition,
        formula,
        value_type: if qualitative {
            ValueType::Qualitative
        } else {
            ValueType::Quantitative
        },
        direction,
        unit: c.unit.clone(),
        target,
        basis: Basis::History,
        basis_doc: String::new(),
        valid_year: String::new(),
        data_source: "项目绩效自评报告及佐证材料".into(),
        scoring: scoring.into(),
        weight,
        project_types: types,
        natures: vec![],
        core: vec![],
        term: Term::Annual,
        cost_kind: c.level2.contains("成本").then_some(CostKind::Economic),
        provenance: Provenance::Evaluations,
        status: Status::Active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EvaluationRow, Grade, SourceRef};
    use crate::ingest::library;

    fn wording() -> std::sync::Arc<Wording> {
        let v = crate::search::Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
        Wording::shared(&v)
    }

    fn project(name: &str, t: &str, rows: &[(&str, &str, &str)]) -> EvaluatedProject {
        EvaluatedProject {
            name: name.into(),
            unit_name: "区某局".into(),
            year: 2024,
            project_type: Some(t.into()),
            budget_wan: 100.0,
            execution_rate: 98.0,
            score: 91.0,
            grade: Grade::Excellent,
            import: String::new(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(n, (ind, target, actual))| EvaluationRow {
                    level1: "产出指标".into(),
                    level2: "质量指标".into(),
                    name: ind.to_string(),
                    code: None,
                    unit: "%".into(),
                    direction: "≥".into(),
                    target: target.to_string(),
                    actual: actual.to_string(),
                    score: None,
                    deviation_reason: String::new(),
                    matched: None,
                    source: SourceRef {
                        file: "f.csv".into(),
                        sheet: "CSV".into(),
                        row: n as u32 + 2,
                    },
                })
                .collect(),
        }
    }

    fn with_unit(mut p: EvaluatedProject, unit: &str) -> EvaluatedProject {
        for r in &mut p.rows {
            r.unit = unit.into();
        }
        p
    }

    #[test]
    fn reworded_variants_join_and_other_kinds_of_unit_stay_apart() {
        let ps = vec![
            with_unit(
                project("甲", "food_safety", &[("举报线索首次核查用时", "3", "2")]),
                "天",
            ),
            // Year, notes, a same-sound typo, another word order, another time unit.
            with_unit(
                project(
                    "乙",
                    "food_safety",
                    &[("2025年举报线所首次核查用时（天）", "3", "3")],
                ),
                "个工作日",
            ),
            with_unit(
                project("丙", "food_safety", &[("首次核查举报线索用时", "2", "2")]),
                "日",
            ),
            // Same words, but a count: another indicator.
            with_unit(
                project("丁", "food_safety", &[("举报线索首次核查用时", "5", "5")]),
                "人",
            ),
        ];
        let cs = candidates(&ps, &wording());
        assert_eq!(cs.len(), 2, "{cs:#?}");
        assert_eq!(cs[0].projects(), 3, "{cs:#?}");
        assert_eq!(cs[1].unit, "人");
        // Two candidates, two ids: the store keeps them by id, proposals name them by id.
        assert_ne!(cs[0].id, cs[1].id);
    }

    #[test]
    fn candidates_that_would_share_an_id_get_their_own_whatever_the_order() {
        let ps = vec![
            project("甲", "meeting", &[("合作项目数", "3", "4")]),
            project("乙", "meeting", &[("培训场次", "3", "4")]),
        ];
        let mut cs = candidates(&ps, &wording());
        cs[1].id = cs[0].id.clone();
        let mut reversed: Vec<Candidate> = cs.iter().rev().cloned().collect();
        unique_ids(&mut cs);
        unique_ids(&mut reversed);
        assert_ne!(cs[0].id, cs[1].id);
        let ids = |v: &[Candidate]| {
            let mut v: Vec<(String, String)> =
                v.iter().map(|c| (c.name.clone(), c.id.clone())).collect();
            v.sort();
            v
        };
        assert_eq!(ids(&cs), ids(&reversed));
    }

    #[test]
    fn a_wording_with_a_qualifier_or_a_typo_in_a_rate_ending_joins() {
        let ps = vec![
            project("甲", "meeting", &[("合作项目数", "3", "4")]),
            // Words reordered and a qualifier added.
            project("乙", "meeting", &[("会议合作促成项目数", "2", "2")]),
            // A typo in 比例, which the key folds to 率 only when spelt right.
            project("丙", "road", &[("绿色建材使用比例", "60", "62")]),
            project("丁", "road", &[("绿色建材应用币例", "60", "65")]),
        ];
        let cs = candidates(&ps, &wording());
        assert_eq!(cs.len(), 2, "{cs:#?}");
        assert!(cs.iter().all(|c| c.evidence.len() == 2), "{cs:#?}");
    }

    #[test]
    fn near_identical_wordings_from_different_projects_become_one_candidate() {
        let ps = vec![
            project(
                "甲",
                "road",
                &[
                    ("智慧路灯远程监控覆盖率", "90", "93"),
                    ("垃圾桶满溢率", "5", "4"),
                ],
            ),
            project(
                "乙",
                "lighting",
                &[("智慧路灯远程监控覆盖率（%）", "95", "96")],
            ),
            project(
                "丙",
                "lighting",
                &[("智慧路灯远程监控覆盖比例", "92", "90")],
            ),
        ];
        let cs = candidates(&ps, &wording());
        assert_eq!(cs.len(), 2, "{cs:#?}");
        let c = &cs[0];
        assert_eq!(c.projects(), 3);
        assert_eq!(c.evidence.len(), 3);
        assert!(
            c.variants
                .contains(&"智慧路灯远程监控覆盖率（%）".to_string())
        );
        // The same data clusters to the same ids.
        assert_eq!(candidates(&ps, &wording())[0].id, c.id);
    }

    fn library_matcher() -> Matcher {
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let v = crate::search::Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
        Matcher::with(std::sync::Arc::new(lib.catalog), &v, lib.indicators)
    }

    #[test]
    fn a_wording_of_one_project_near_a_library_name_goes_to_review_first() {
        let m = library_matcher();
        let mut ps = vec![
            // 危树处置率 (an alias of LH-021) with a synonym the vocabulary lacks, written by one
            // project in two years.
            project("甲", "greening", &[("危树处理率", "95", "96")]),
            project("甲", "greening", &[("危树处理率", "95", "97")]),
            // A new indicator that two projects word alike, near 施工扰民投诉件数 (GX-JS-013).
            with_unit(
                project("乙", "road", &[("施工噪声扰民投诉次数", "3", "2")]),
                "次",
            ),
            with_unit(
                project("丙", "road", &[("施工期噪声扰民投诉次数", "3", "1")]),
                "次",
            ),
            // Like nothing in the library.
            with_unit(
                project(
                    "丁",
                    "research",
                    &[("研究结论纳入区级政策文件数", "2", "3")],
                ),
                "个",
            ),
        ];
        ps[1].year = 2025;
        let near = m.closest_by_name(&ps[2].rows[0]).unwrap();
        assert!(near.1 >= LONE_NEAR, "{near:?}");
        let sent = review_lone_near(&mut ps, std::iter::empty(), &m);
        let got: Vec<_> = ps.iter().map(|p| &p.rows[0].matched).collect();
        assert_eq!(sent, 2, "{got:?}");
        for p in &ps[..2] {
            let got = p.rows[0].matched.as_ref().expect("sent to review");
            assert_eq!(got.code, "LH-021");
            assert!(!got.is_certain(), "{got:?}");
        }
        assert!(ps[2..].iter().all(|p| p.rows[0].matched.is_none()));
        let cs = candidates(&ps, m.wording());
        assert_eq!(cs.len(), 2, "{cs:#?}");
        // Stored evaluations count as other projects, and are never changed.
        let mut lone = vec![project("戊", "greening", &[("危树处理率", "95", "96")])];
        let stored = [project("己", "greening", &[("危树处理率", "90", "91")])];
        assert_eq!(review_lone_near(&mut lone, stored.iter(), &m), 0);
        assert!(lone[0].rows[0].matched.is_none());
    }

    #[test]
    fn a_candidate_becomes_an_indicator_that_passes_the_library_rules() {
        let catalog = library::load_dir(&library::default_dir()).unwrap().catalog;
        let ps = vec![
            project("甲", "lighting", &[("智慧路灯远程监控覆盖率", "90", "93")]),
            project("乙", "lighting", &[("智慧路灯远程监控覆盖率", "96", "96")]),
        ];
        let c = &candidates(&ps, &wording())[0];
        let i = candidate_to_indicator(c, &catalog);
        assert!(i.code.as_str().starts_with("PJ-2024-"), "{}", i.code);
        assert_eq!(i.provenance, Provenance::Evaluations);
        assert_eq!(i.target, "93");
        assert_eq!(i.project_types, vec!["lighting".to_string()]);
        let findings = crate::domain::quality::check_indicator(&i);
        assert!(findings.is_empty(), "{findings:?}");
    }
}
