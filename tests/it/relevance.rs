//! Relevance table: query -> what must come back, with failure messages that name the query.
//! Each row is a case a Chinese finance officer expects; see issue "Search that a Chinese finance
//! officer trusts". Cases use names from the bundled library.

use crate::helpers::{enc, shared_app};

enum Expect {
    /// The first hit's name equals this.
    Top(&'static str),
    /// A hit with this name is within the first n.
    Within(&'static str, usize),
    /// Every one of the first n hits' names contains this.
    AllContain(&'static str, usize),
    /// The first n hits' names each contain one of these.
    AllContainAny(&'static [&'static str], usize),
    /// Hits whose name starts with the query come before every other hit.
    PrefixFirst,
    /// The first n hits include output, effect and satisfaction indicators.
    EveryLevel1Within(usize),
    /// The first n hits all fit this project type.
    AllInType(&'static str, usize),
    /// Hits, each explained, none found through pinyin (Chinese queries never go through pinyin).
    NoPinyinChannel,
}

use Expect::*;

const CASES: &[(&str, &str, &str, Expect)] = &[
    // (case, query, extra parameters, expectation)
    ("whole word", "满意度", "", AllContain("满意度", 20)),
    (
        "2-char prefix of a word",
        "满意",
        "",
        AllContain("满意度", 20),
    ),
    ("exact name first", "新建道路里程", "", Top("新建道路里程")),
    (
        "exact name first",
        "黑臭水体消除比例",
        "",
        Top("黑臭水体消除比例"),
    ),
    ("alias", "项目验收合格率", "", Top("工程验收合格率")),
    (
        "infix: 处理 inside longer words",
        "处理",
        "",
        Within("生活垃圾无害化处理率", 40),
    ),
    (
        "infix: 改造 inside a name",
        "改造",
        "",
        Within("老旧燃气管道更新改造长度", 60),
    ),
    (
        "infix across segmentation",
        "臭水",
        "",
        AllContain("臭水", 3),
    ),
    (
        "half-typed word ranks completions first",
        "污水处",
        "",
        PrefixFirst,
    ),
    (
        "half-typed word ranks completions first",
        "验收合",
        "",
        AllContain("验收合", 3),
    ),
    (
        "half-typed word ranks completions first",
        "垃圾分",
        "",
        PrefixFirst,
    ),
    (
        "synonym 满意率 -> 满意度",
        "满意率",
        "",
        AllContain("满意度", 10),
    ),
    (
        "synonym 违建 -> 违法建设",
        "违建",
        "",
        AllContainAny(
            &["违建", "违法建设", "违法建筑", "违章建筑", "违章建房"],
            10,
        ),
    ),
    (
        "synonym finds the other word",
        "违建",
        "",
        Within("违法建设复建率", 10),
    ),
    (
        "traditional characters",
        "滿意度",
        "",
        AllContain("满意度", 10),
    ),
    ("traditional characters", "培訓人次", "", Top("培训人次")),
    ("full pinyin", "manyidu", "", AllContain("满意度", 10)),
    ("pinyin initials", "myd", "", AllContain("满意度", 10)),
    ("full pinyin", "wushui", "", AllContain("污水", 10)),
    ("full pinyin mid-name", "daolu", "", AllContain("道路", 10)),
    (
        "pinyin across jieba tokens",
        "jishilv",
        "",
        AllContain("及时率", 10),
    ),
    // 经典 stood here, but nothing in the library has it or sounds like it: no hits, nothing
    // checked. 世故 is found by sound alone (事故), where a pinyin channel would show first.
    (
        "Chinese never through pinyin",
        "世故",
        "&explain=1",
        NoPinyinChannel,
    ),
    (
        "Chinese never through pinyin",
        "事故",
        "&explain=1",
        NoPinyinChannel,
    ),
    (
        "filter with query",
        "道路",
        "&level1=%E6%BB%A1%E6%84%8F%E5%BA%A6%E6%8C%87%E6%A0%87",
        AllContain("满意度", 3),
    ),
    (
        "project name surfaces its type",
        "城市道路改扩建",
        "",
        AllInType("road", 10),
    ),
    (
        "project name surfaces its type",
        "黑臭水体治理",
        "",
        AllInType("water_env", 10),
    ),
    (
        "project name surfaces its type",
        "困难群众救助",
        "",
        AllInType("assistance", 10),
    ),
    (
        "project name surfaces its type",
        "教师培训",
        "",
        AllInType("training", 10),
    ),
    (
        "project name: first page has every level 1",
        "城市道路改扩建",
        "",
        EveryLevel1Within(10),
    ),
    (
        "project name: first page has every level 1",
        "黑臭水体治理",
        "",
        EveryLevel1Within(10),
    ),
    (
        "project name: first page has every level 1",
        "老旧小区改造",
        "",
        EveryLevel1Within(10),
    ),
    (
        "project name: first page has every level 1",
        "教师培训",
        "",
        EveryLevel1Within(10),
    ),
    (
        "project name: first page has every level 1",
        "中小企业扶持资金",
        "",
        EveryLevel1Within(10),
    ),
    (
        "project name: first page has every level 1",
        "政务信息化系统建设",
        "",
        EveryLevel1Within(10),
    ),
    (
        "project name: first page has every level 1",
        "困难群众救助",
        "",
        EveryLevel1Within(10),
    ),
    (
        "half-typed project type name",
        "养老服",
        "",
        Within("享受高龄津贴人数", 60),
    ),
];

#[tokio::test]
async fn the_relevance_table_holds() {
    let mut failures = Vec::new();
    for (case, q, extra, expect) in CASES {
        let (status, body) = shared_app()
            .json(&format!("/api/v1/search?q={}&limit=60{extra}", enc(q)))
            .await;
        assert_eq!(status, 200, "{q}: {body}");
        let hits = body["hits"].as_array().unwrap();
        let names: Vec<&str> = hits.iter().map(|h| h["name"].as_str().unwrap()).collect();
        let ok = match expect {
            Top(n) => names.first() == Some(n),
            Within(n, k) => names.iter().take(*k).any(|x| x == n),
            AllContain(s, k) => {
                names.len() >= (*k).min(1) && names.iter().take(*k).all(|x| x.contains(s))
            }
            AllContainAny(list, k) => {
                !names.is_empty()
                    && names
                        .iter()
                        .take(*k)
                        .all(|x| list.iter().any(|s| x.contains(s)))
            }
            PrefixFirst => {
                let first_other = names.iter().position(|x| !x.starts_with(q));
                first_other.is_some_and(|p| p > 0)
                    && names[first_other.unwrap()..]
                        .iter()
                        .all(|x| !x.starts_with(q))
            }
            EveryLevel1Within(k) => ["产出指标", "效益指标", "满意度指标"]
                .iter()
                .all(|l| hits.iter().take(*k).any(|h| h["level1"] == *l)),
            AllInType(t, k) => {
                let (_, of_type) = shared_app()
                    .json(&format!("/api/v1/search?project_type={t}&limit=100"))
                    .await;
                let codes: Vec<&str> = of_type["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h["code"].as_str().unwrap())
                    .collect();
                !hits.is_empty()
                    && hits
                        .iter()
                        .take(*k)
                        .all(|h| codes.contains(&h["code"].as_str().unwrap()))
            }
            // Hits there must be, each explained: an absent explanation proves nothing.
            NoPinyinChannel => {
                !hits.is_empty()
                    && hits.iter().all(|h| {
                        h["explain"].as_array().is_some_and(|e| {
                            !e.is_empty()
                                && e.iter().all(|l| {
                                    !l.as_str().unwrap().contains("拼音")
                                        && !l.as_str().unwrap().contains("首字母")
                                })
                        })
                    })
            }
        };
        if !ok {
            failures.push(format!(
                "[{case}] query {q:?}: expectation not met; top hits: {:?}",
                &names[..names.len().min(8)]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} relevance failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
