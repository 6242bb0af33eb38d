//! Project names as budgets write them: relaxed matching, type recognition from the whole library,
//! a table for every project, forgiving Chinese input, and floors on the relevance evaluation.
//! Every failure message names the query.

use crate::helpers::{enc, shared_app};
use serde_json::{Value, json};
use std::sync::Arc;
use zhibiao::drafting::{self, DraftRequest};
use zhibiao::ingest::library::{self, IndicatorInput};
use zhibiao::search::{SearchIndex, Vocabulary};

async fn search(q: &str, extra: &str) -> Value {
    let (status, body) = shared_app()
        .json(&format!("/api/v1/search?q={}{extra}", enc(q)))
        .await;
    assert_eq!(status, 200, "{q}: {body}");
    body
}

fn names(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_long_project_name_is_relaxed_and_explain_names_the_words_set_aside() {
    let q = "2024年乡镇卫生院基本药物制度补助";
    let body = search(q, "&explain=1").await;
    let top = names(&body);
    assert!(body["total"].as_u64().unwrap() >= 10, "{q}: {body}");
    assert!(
        top.iter()
            .take(5)
            .any(|n| n.contains("药物") || n.contains("卫生院")),
        "{q}: {top:?}"
    );
    let relaxed = &body["relaxed"];
    let aside: Vec<&str> = relaxed["set_aside"]
        .as_array()
        .unwrap_or_else(|| panic!("{q}: no relaxed block in {body}"))
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(aside.contains(&"2024"), "{q}: set aside {aside:?}");
    let words: Vec<&str> = relaxed["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(words.contains(&"药物"), "{q}: words {words:?}");
    assert!(!words.contains(&"2024"), "{q}: words {words:?}");
}

#[tokio::test]
async fn a_project_names_type_outranks_another_domain_sharing_a_generic_word() {
    // 敬老院 names the elderly-care type through its keywords; 运营 alone is 公交's too.
    let q = "敬老院运营补助";
    let top = names(&search(q, "&explain=1").await);
    assert!(
        top.iter().take(3).all(|n| !n.contains("公交")),
        "{q}: {top:?}"
    );
    // No keyword names the type, but the few whole-name matches are all 污水 indicators: a pair of
    // generic words (乡村 + 生活) must not bring 乡村教师 indicators onto the first page.
    let q = "农村生活污水治理";
    let body = search(q, "&explain=1").await;
    let top = names(&body);
    assert!(top.iter().all(|n| !n.contains("教师")), "{q}: {top:?}");
    let said = body["hits"][3]["explain"].to_string();
    assert!(said.contains("项目名称所指类型"), "{q}: explain {said}");
}

#[tokio::test]
async fn boilerplate_words_do_not_stand_for_a_project_name() {
    // 工作 + 经费 are two of the three words of 河湖长制工作经费 (and of its synonym 河长制工作经费):
    // they must not bring 履职经费 or 新兵征集 indicators onto the first page.
    let q = "河湖长制工作经费";
    let top = names(&search(q, "").await);
    assert!(top.len() >= 5, "{q}: {top:?}");
    assert!(
        top.iter().all(|n| n.contains('河') || n.contains('湖')),
        "{q}: {top:?}"
    );
}

#[tokio::test]
async fn an_ordinal_and_parts_of_a_word_no_indicator_holds_are_set_aside() {
    // 第四次 is an ordinal, 全国 an administrative level; 第四 and 四次, the parts of 第四次, are
    // in no indicator and must not count as words of the project's subject.
    let q = "第四次全国经济普查专项经费";
    let body = search(q, "&explain=1").await;
    let top = names(&body);
    assert!(top[0].contains("普查"), "{q}: {top:?}");
    if let Some(words) = body["relaxed"]["words"].as_array() {
        let words: Vec<&str> = words.iter().map(|w| w.as_str().unwrap()).collect();
        for w in ["第四", "四次", "第四次", "全国"] {
            assert!(!words.contains(&w), "{q}: words {words:?}");
        }
    }
    let s = suggest_targets(q).await;
    assert_eq!(
        s["project_type"]["code"], "statistical_survey",
        "{q}: {}",
        s["project_type"]
    );
}

#[tokio::test]
async fn a_query_whose_words_match_together_is_not_relaxed() {
    let q = "新建道路里程";
    let body = search(q, "").await;
    assert!(body.get("relaxed").is_none(), "{q}: {body}");
    assert_eq!(names(&body)[0], "新建道路里程", "{q}");
}

#[tokio::test]
async fn a_word_no_indicator_has_does_not_empty_the_answer() {
    // 口袋公园 is one word that no name holds; its parts (公园) do.
    for q in ["口袋公园建设", "2025年全县统计调查专项经费"] {
        let body = search(q, "").await;
        assert!(body["total"].as_u64().unwrap() > 0, "{q}: zero hits");
    }
}

#[tokio::test]
async fn a_same_sound_typo_still_finds_the_indicator_below_exact_matches() {
    let q = "严收合格率"; // 验收 typed with a character of the same sound
    let top = names(&search(q, "").await);
    assert!(
        top.iter().take(3).all(|n| n.contains("验收合格率")),
        "{q}: {top:?}"
    );
    // A correctly typed query is never widened to its homophones (经典 must not find 景点).
    let body = search("验收合格率", "&explain=1").await;
    let explained = body.to_string();
    assert!(!explained.contains("同音"), "验收合格率: {explained}");
}

#[tokio::test]
async fn characters_and_pinyin_mix_in_one_query() {
    let q = "道路yanshou";
    let top = names(&search(q, "").await);
    assert!(
        top.first()
            .is_some_and(|n| n.contains("道路") && n.contains("验收")),
        "{q}: {top:?}"
    );
}

#[tokio::test]
async fn policy_shorthand_and_full_width_input_are_understood() {
    for (q, want) in [
        ("一网通办", "网上可办"),
        ("雪亮工程", "视频监控"),
        ("ＬＥＤ路灯", "LED"),
    ] {
        let top = names(&search(q, "").await);
        assert!(top.iter().take(3).any(|n| n.contains(want)), "{q}: {top:?}");
    }
}

async fn suggest_targets(project: &str) -> Value {
    let r = shared_app()
        .client
        .post(shared_app().url("/api/v1/suggest-targets"))
        .json(&json!({ "project_name": project }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{project}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_project_of_no_known_type_gets_a_full_honest_table() {
    let q = "海洋牧场人工鱼礁建设";
    let body = suggest_targets(q).await;
    assert!(
        body["project_type"].is_null(),
        "{q}: {}",
        body["project_type"]
    );
    assert!(
        body["notice"]
            .as_str()
            .unwrap_or("")
            .contains("指标库尚无该类项目"),
        "{q}: {}",
        body["notice"]
    );
    let groups = body["groups"].as_array().unwrap();
    for l1 in ["产出指标", "效益指标", "满意度指标"] {
        assert!(
            groups.iter().any(|g| g["level1"] == l1),
            "{q}: no {l1} rows"
        );
    }
    // Every row says where it came from.
    for g in groups {
        for i in g["indicators"].as_array().unwrap() {
            let source = i["source"].as_str().unwrap();
            assert!(["项目类型", "检索", "共性"].contains(&source), "{q}: {i}");
        }
    }
    assert!(
        !body["candidates"].as_array().unwrap().is_empty(),
        "{q}: no candidates"
    );
}

#[tokio::test]
async fn a_recognised_type_comes_with_its_scored_alternatives() {
    let q = "城乡居民基本养老保险缴费补贴";
    let body = suggest_targets(q).await;
    assert_eq!(
        body["project_type"]["code"], "resident_pension",
        "{q}: {body}"
    );
    let c = &body["candidates"][0];
    assert!(c["coverage"].as_f64().unwrap() >= 0.6, "{q}: {c}");
    assert!(c["score"].as_f64().unwrap() > 0.0, "{q}: {c}");
}

/// The bundled library without its 殡葬 type (if it has one) and the indicators only that type
/// uses: a library that cannot know the test's project.
fn library_without_funeral_services() -> library::Library {
    let mut lib = library::load_dir(&library::default_dir()).unwrap();
    let gone: Vec<String> = lib
        .catalog
        .project_types
        .iter()
        .filter(|t| t.name.contains("殡葬") || t.keywords.iter().any(|k| k.contains("殡葬")))
        .map(|t| t.code.clone())
        .collect();
    lib.catalog
        .project_types
        .retain(|t| !gone.contains(&t.code));
    for i in &mut lib.indicators {
        i.project_types.retain(|t| !gone.contains(t));
        i.core.retain(|t| !gone.contains(t));
    }
    lib.indicators
        .retain(|i| !i.project_types.is_empty() || !i.natures.is_empty());
    lib
}

/// That library with the test's own 殡葬 type, written as a curator would.
fn library_with_funeral_services() -> library::Library {
    let mut lib = library_without_funeral_services();
    let mut t = lib.catalog.project_types[0].clone();
    t.code = "funeral".into();
    t.prefix = "BZS".into();
    t.name = "惠民殡葬服务".into();
    t.group = "补助补贴".into();
    t.natures = vec!["subsidy".into()];
    t.keywords = vec![
        "殡葬".into(),
        "惠民殡葬".into(),
        "公益性公墓".into(),
        "骨灰".into(),
    ];
    t.description = "减免基本殡葬服务费用，建设公益性公墓和骨灰堂。".into();
    lib.catalog.project_types.push(t);
    let ind = |code: &str, name: &str, l1: &str, l2: &str, unit: &str| IndicatorInput {
        code: code.into(),
        name: name.into(),
        level1: l1.into(),
        level2: l2.into(),
        definition: format!("反映{name}。"),
        formula: if unit == "%" {
            "分子÷分母×100%".into()
        } else {
            String::new()
        },
        value_type: "定量".into(),
        direction: "≥".into(),
        unit: unit.into(),
        target: "90".into(),
        basis: "计划标准".into(),
        data_source: "项目验收资料".into(),
        scoring: "实际完成值÷目标值×分值。".into(),
        weight: 10,
        project_types: vec!["funeral".into()],
        core: vec!["funeral".into()],
        ..IndicatorInput::default()
    };
    for raw in [
        ind(
            "BZS-001",
            "基本殡葬服务费用减免人数",
            "产出指标",
            "数量指标",
            "人",
        ),
        ind(
            "BZS-002",
            "新建公益性公墓墓穴数",
            "产出指标",
            "数量指标",
            "个",
        ),
        ind("BZS-003", "遗体火化率", "产出指标", "质量指标", "%"),
        ind(
            "BZS-004",
            "群众治丧费用减负总额",
            "效益指标",
            "社会效益指标",
            "万元",
        ),
        ind(
            "BZS-005",
            "治丧家庭满意度",
            "满意度指标",
            "服务对象满意度指标",
            "%",
        ),
    ] {
        lib.indicators
            .push(library::validate(raw, &lib.catalog).unwrap_or_else(|e| panic!("{e:?}")));
    }
    lib
}

#[test]
fn a_type_added_only_to_the_library_is_recognised_without_code_changes() {
    let q = "2025年惠民殡葬基本服务费用减免资金";
    let lib = library_with_funeral_services();
    let vocab = Arc::new(Vocabulary::load(&zhibiao::search::vocab::default_dir()).unwrap());
    let index = SearchIndex::in_ram(vocab.clone(), Arc::new(lib.catalog), lib.indicators).unwrap();
    let input = DraftRequest::named(q);
    let s = drafting::suggest(&index, &input).unwrap();
    assert_eq!(
        s.project_type.as_ref().map(|t| t.code.as_str()),
        Some("funeral"),
        "{q}: {:?}",
        s.candidates
    );
    let outputs: Vec<&str> = s
        .groups
        .iter()
        .filter(|g| g.level1 == "产出指标")
        .flat_map(|g| g.indicators.iter().map(|i| i.code.as_str()))
        .collect();
    assert!(outputs.contains(&"BZS-001"), "{q}: {outputs:?}");

    // The same name against a library without such a type: none fits, and none is pretended.
    let lib = library_without_funeral_services();
    let index = SearchIndex::in_ram(vocab, Arc::new(lib.catalog), lib.indicators).unwrap();
    let s = drafting::suggest(&index, &input).unwrap();
    assert!(s.project_type.is_none(), "{q}: {:?}", s.project_type);
}

fn bundled_index() -> SearchIndex {
    let lib = library::load_dir(&library::default_dir()).unwrap();
    let vocab = Arc::new(Vocabulary::load(&zhibiao::search::vocab::default_dir()).unwrap());
    SearchIndex::in_ram(vocab, Arc::new(lib.catalog), lib.indicators).unwrap()
}

fn recognised(index: &SearchIndex, q: &str) -> drafting::Suggestions {
    drafting::suggest(index, &DraftRequest::named(q)).unwrap()
}

/// A name opens with who spends and ends with what is funded: the unit's name before the funded
/// subject does not decide the type, and a type that clearly leads is taken although a word of
/// the name (加工) is in none of its indicators.
#[test]
fn the_funded_subject_at_the_end_of_a_name_decides_its_type() {
    let index = bundled_index();
    for (q, code) in [
        ("县消防救援大队整体支出", "department_overall"),
        ("2025年县卫生健康局部门整体支出", "department_overall"),
        ("档案数字化加工项目", "archives"),
    ] {
        let s = recognised(&index, q);
        assert_eq!(
            s.project_type.as_ref().map(|t| t.code.as_str()),
            Some(code),
            "{q}: {:?}",
            s.candidates
        );
        assert!(
            s.groups
                .iter()
                .any(|g| g.level2.contains("满意度") && !g.indicators.is_empty()),
            "{q}: no satisfaction rows"
        );
    }
}

/// Floors on zhibiao's own set across the functional classification, on the held-out set
/// (written before any tuning and never tuned on), on the fresh set (written before the
/// fifteenth session's tuning, only its totals read), on the rel4 set (likewise for the
/// session after) and on the rel5 set (likewise, measured once), a little under the figures in
/// docs/PERFORMANCE.md (`zhibiao eval` prints the same figures).
#[test]
fn the_relevance_evaluation_holds_its_floors() {
    let index = bundled_index();
    // (file, least cases, complete tables, on-topic tables, precision@10)
    let floors = [
        ("projects_functional.tsv", 150, 0.98, 0.93, 0.76),
        ("projects_holdout.tsv", 100, 0.97, 0.82, 0.65),
        ("projects_fresh.tsv", 100, 0.97, 0.71, 0.62),
        ("projects_rel4.tsv", 100, 0.98, 0.79, 0.68),
        ("projects_rel5.tsv", 100, 0.97, 0.79, 0.72),
    ];
    for (file, least, complete, on_topic, precision) in floors {
        let path = format!("{}/tests/relevance/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let cases = zhibiao::relevance::parse_cases(&text).unwrap();
        assert!(cases.len() >= least, "{file}: {} cases", cases.len());
        let r = zhibiao::relevance::evaluate(&index, &cases).unwrap();
        let s = &r.summary;
        let failing: Vec<String> = r
            .cases
            .iter()
            .filter(|c| !c.table_on_topic() || c.hits == 0)
            .map(|c| c.query.clone())
            .collect();
        assert_eq!(s.zero_hit_share, 0.0, "{file}: zero hits: {failing:?}");
        assert!(s.complete_tables >= complete, "{file}: {s:?}; {failing:?}");
        assert!(s.on_topic_tables >= on_topic, "{file}: {s:?}; {failing:?}");
        assert!(s.precision >= precision, "{file}: {s:?}");
        assert!(s.wrong_share <= 0.02, "{file}: {s:?}");
    }
}

/// A 部门整体支出 table is judged by its own framework's headings (决策/过程/产出/效益, 预算执行 and
/// 服务对象满意度 under 效益), not by the default 产出/效益/满意度; a project table still needs 满意度.
#[test]
fn the_relevance_evaluation_judges_a_department_table_by_its_framework() {
    let lib = library::load_dir(&library::default_dir()).unwrap();
    let vocab = Arc::new(Vocabulary::load(&zhibiao::search::vocab::default_dir()).unwrap());
    let index = SearchIndex::in_ram(vocab, Arc::new(lib.catalog), lib.indicators).unwrap();
    let cases = zhibiao::relevance::parse_cases(
        "2025年县财政局部门整体支出绩效目标\t预算|执行|整体\t学生\n老旧小区改造\t小区|改造\t学生\n",
    )
    .unwrap();
    let r = zhibiao::relevance::evaluate(&index, &cases).unwrap();
    let dept = &r.cases[0];
    assert_eq!(
        dept.project_type.as_deref(),
        Some("department_overall"),
        "{dept:?}"
    );
    assert!(dept.complete, "{dept:?}");
    assert!(r.cases[1].complete, "{:?}", r.cases[1]);

    // Rules that ask the department framework for a heading it has no row for: incomplete.
    let mut rules = zhibiao::domain::lint::LintConfig::bundled();
    rules
        .frameworks
        .get_mut("department")
        .unwrap()
        .required_level2
        .push("资产管理指标".into());
    rules
        .frameworks
        .get_mut("department")
        .unwrap()
        .required_level1
        .push("满意度指标".into());
    let r = zhibiao::relevance::evaluate_under(&index, &cases, &rules).unwrap();
    assert!(!r.cases[0].complete, "{:?}", r.cases[0]);
    assert!(r.cases[1].complete, "{:?}", r.cases[1]);
}
