//! The demonstration evaluation files reworded the way budget units write (a generator of our
//! own, fixed seed), and the floors the matcher and the clustering must hold on them: automatic
//! links ≥ 99% right, ≥ 90% of library rows linked automatically, no row of a truly new
//! indicator linked, at most 2 candidates per new indicator and none made only of library rows;
//! values in another unit of the same quantity converted back exactly.
//!
//! The generator's word lists are its own (synonyms that are not in `index/synonyms.txt`,
//! filler the matcher does not list), so the figures are not circular.
//!
//! `cargo test --release --test it reworded -- --nocapture` prints the figures of
//! docs/PERFORMANCE.md ("Matching"). With `ZHIBIAO_REWORDED_DIR=DIR` it also measures, and holds
//! to the same floors, the evaluation files in DIR (`.csv`/`.xlsx`) against `DIR/answer_key.csv`
//! (`file,row,code` as in `evaluations/demo/`, `NEW:<id>` for indicators the library lacks).
//! `ZHIBIAO_REWORDED_OUT=DIR` writes the reworded files, one folder per seed, in that layout;
//! `ZHIBIAO_REWORDED_SEEDS=1,2` rewords with other seeds than the four held here.

use pinyin::ToPinyin;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zhibiao::domain::{EvaluatedProject, Indicator};
use zhibiao::evaluations::{cluster, import, matching::Matcher, units};
use zhibiao::ingest::library;
use zhibiao::search::Vocabulary;

/// splitmix64: a small deterministic generator, enough for rewording.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Words units swap for one another (several are not in index/synonyms.txt).
const SYNONYMS: &[(&str, &[&str])] = &[
    ("满意度", &["满意率", "满意程度", "满意比例"]),
    ("完成率", &["完成比例", "达成率", "完成比率"]),
    ("合格率", &["合格比例", "合格比率"]),
    ("达标率", &["达标比例"]),
    ("覆盖率", &["覆盖比例", "覆盖面"]),
    ("及时率", &["及时比例", "按时率"]),
    ("知晓率", &["知晓度", "知晓比例"]),
    ("人数", &["人员数", "人员数量"]),
    ("次数", &["频次"]),
    ("时间", &["时长", "用时"]),
    ("时长", &["时间", "用时"]),
    ("提升", &["提高"]),
    ("下降", &["降低"]),
    ("增加", &["增长"]),
    ("处置", &["处理"]),
    ("维修", &["修理"]),
    ("按期", &["按时", "如期"]),
    ("竣工", &["完工"]),
    ("个数", &["数量"]),
    ("费用", &["经费"]),
    ("单价", &["单位成本"]),
    ("准确率", &["正确率", "精准率"]),
    ("利用率", &["使用率"]),
    ("改造", &["改建"]),
    ("补助", &["补贴"]),
    ("居民", &["住户"]),
    ("开展", &["组织"]),
    ("发放", &["兑付"]),
];

const PREFIXES: &[&str] = &[
    "年度",
    "全年",
    "本年度",
    "当年",
    "年内",
    "本期",
    "累计",
    "全年累计",
    "实际",
    "本项目",
];
const SUFFIXES: &[&str] = &["情况", "完成情况", "指标", "（年度）", "值"];
const NUMBERING: &[&str] = &["1.", "2、", "（一）", "一、", "①", "(3)"];

/// A row's cells besides the name, as a rewording of the name may quote them.
struct Cells<'a> {
    unit: &'a str,
    year: &'a str,
    direction: &'a str,
    target: &'a str,
}

/// Simplified → traditional for characters common in indicator names.
const TRADITIONAL: &[(char, char)] = &[
    ('满', '滿'),
    ('设', '設'),
    ('资', '資'),
    ('数', '數'),
    ('项', '項'),
    ('时', '時'),
    ('验', '驗'),
    ('发', '發'),
    ('盖', '蓋'),
    ('务', '務'),
    ('达', '達'),
    ('标', '標'),
    ('训', '訓'),
    ('护', '護'),
    ('绿', '綠'),
    ('网', '網'),
    ('质', '質'),
    ('评', '評'),
    ('价', '價'),
    ('员', '員'),
    ('费', '費'),
    ('处', '處'),
    ('检', '檢'),
    ('测', '測'),
    ('应', '應'),
    ('办', '辦'),
    ('统', '統'),
    ('运', '運'),
    ('维', '維'),
    ('养', '養'),
    ('补', '補'),
    ('贴', '貼'),
    ('实', '實'),
    ('现', '現'),
    ('经', '經'),
    ('济', '濟'),
    ('环', '環'),
    ('卫', '衛'),
    ('业', '業'),
    ('农', '農'),
    ('学', '學'),
    ('区', '區'),
    ('线', '線'),
    ('电', '電'),
    ('园', '園'),
    ('场', '場'),
    ('车', '車'),
    ('灯', '燈'),
    ('问', '問'),
    ('题', '題'),
    ('课', '課'),
    ('垃', '垃'),
    ('圾', '圾'),
    ('减', '減'),
];

/// Other spellings of a unit, and how many of them one of the unit is (values are multiplied).
fn unit_spellings(unit: &str) -> &'static [(&'static str, f64)] {
    match unit {
        "万元" => &[("元", 10_000.0), ("千元", 10.0)],
        "亿元" => &[("万元", 10_000.0)],
        // 公里（双向） is a spelling no table knows: its values must be reported, not counted.
        "公里" => &[
            ("千米", 1.0),
            ("km", 1.0),
            ("米", 1000.0),
            ("公里（双向）", 1.0),
        ],
        "%" => &[("％", 1.0), ("百分比", 1.0), ("百分率", 1.0)],
        "小时" => &[("h", 1.0), ("个小时", 1.0), ("分钟", 60.0)],
        // Working days are not calendar days: reported, not counted.
        "天" => &[("日", 1.0), ("d", 1.0), ("个工作日", 1.0)],
        "工作日" => &[("个工作日", 1.0)],
        "人次" => &[("人·次", 1.0), ("人/次", 1.0)],
        "元/人" => &[("元每人", 1.0), ("元/名", 1.0)],
        "人" => &[("名", 1.0)],
        "平方米" => &[("㎡", 1.0), ("m²", 1.0), ("平米", 1.0)],
        "万平方米" => &[("平方米", 10_000.0)],
        "万人" => &[("人", 10_000.0)],
        "元/平方米" => &[("元每平方米", 1.0)],
        "吨" => &[("t", 1.0), ("千克", 1000.0)],
        "分钟" => &[("min", 1.0)],
        _ => &[],
    }
}

/// Unit spellings with conversions the list above lacks (kind `UnitMore`): only values that
/// convert exactly are respelled.
fn more_unit_spellings(unit: &str) -> &'static [(&'static str, f64)] {
    match unit {
        "亿元" => &[("元", 1e8), ("千元", 1e5)],
        "万元" => &[("万元人民币", 1.0), ("百万元", 0.01)],
        "亩" => &[("公顷", 1.0 / 15.0), ("万亩", 0.0001)],
        "万亩" => &[("亩", 10_000.0), ("公顷", 10_000.0 / 15.0)],
        "公顷" => &[("亩", 15.0), ("ha", 1.0)],
        "万平方米" => &[("㎡", 10_000.0), ("m2", 10_000.0), ("万㎡", 1.0)],
        "平方米" => &[("m2", 1.0), ("平方", 1.0), ("万平方米", 0.0001)],
        "吨" => &[("公斤", 1000.0), ("万吨", 0.0001)],
        "万吨" => &[("吨", 10_000.0), ("t", 10_000.0)],
        "人次" => &[("万人次", 0.0001), ("次人", 1.0)],
        "万人次" => &[("人次", 10_000.0), ("人·次", 10_000.0)],
        "万千瓦时" => &[("千瓦时", 10_000.0), ("kWh", 10_000.0), ("万度", 1.0)],
        "月" => &[("个月", 1.0)],
        "年" => &[("个月", 12.0)],
        "元/平方米" => &[("元/㎡", 1.0), ("元/m2", 1.0)],
        "元/亩" => &[("元每亩", 1.0)],
        "万元/公里" => &[("元/米", 10.0)],
        "元/人·天" => &[("元/人/天", 1.0), ("元/人日", 1.0)],
        "万元/项" => &[("元/项", 10_000.0)],
        _ => &[],
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    // Name kinds are applied in reverse order of this list: decorations last.
    Format,
    /// A line break or wide space typed inside the name (Alt+Enter in a cell). Held out.
    Break,
    /// The target written into the name: 合格率≥95%, 满意度不低于90%.
    Target,
    /// A verb of intent before the name: 确保/实现/达到/保障/保持.
    Verb,
    Year,
    Filler,
    Done,
    Order,
    Synonym,
    /// Form words of the name itself: 数量 → 数/个数, a closing 率 → 比率/比例, 总 before a total.
    FormWord,
    Typo,
    // Row kinds, applied to the other cells.
    Unit,
    /// A unit spelling with a conversion the first list lacks (亩/公顷, 万吨/吨, 万平方米/㎡).
    UnitMore,
    /// The unit written into the name (完成率/%, 资金[万元]), its cell often left empty.
    UnitInName,
    /// The row filed under a neighbouring 二级指标 of the same 一级指标. Held out.
    Level2,
}

impl Kind {
    /// Kinds written apart from the others, to be measured once and not tuned on.
    const HELD_OUT: [Kind; 2] = [Kind::Break, Kind::Level2];

    /// Rewords the other cells than the name.
    fn of_row(self) -> bool {
        self >= Kind::Unit
    }
}

const NAME_KINDS: [(Kind, u32); 11] = [
    (Kind::Year, 14),
    (Kind::Filler, 14),
    (Kind::Done, 8),
    (Kind::Order, 14),
    (Kind::Synonym, 18),
    (Kind::Typo, 16),
    (Kind::Format, 16),
    (Kind::Target, 10),
    (Kind::Verb, 6),
    (Kind::FormWord, 12),
    (Kind::Break, 8),
];

/// Verbs of intent units put before an indicator name.
const VERBS: &[&str] = &["确保", "实现", "达到", "保障", "保持"];

/// Neighbouring 二级指标 under one 一级指标 (the local framework's).
const LEVEL2: &[&[&str]] = &[
    &["数量指标", "质量指标", "时效指标", "成本指标"],
    &[
        "经济效益指标",
        "社会效益指标",
        "生态效益指标",
        "可持续影响指标",
    ],
];

/// Rewords indicator rows.
struct Generator {
    rng: Rng,
    jieba: jieba_rs::Jieba,
    /// Toneless reading → characters of the library text read that way.
    homophones: HashMap<String, Vec<char>>,
    /// Names and aliases of the library: a rewording must not become another indicator's.
    names: HashMap<String, String>,
    /// Whether the held-out kinds are written too.
    held_out: bool,
}

fn plain(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

impl Generator {
    fn new(seed: u64, inds: &[Indicator]) -> Generator {
        let mut homophones: HashMap<String, Vec<char>> = HashMap::new();
        let mut seen = HashSet::new();
        for i in inds {
            for c in i.name.chars().chain(i.definition.chars()) {
                if seen.insert(c)
                    && let Some(p) = c.to_pinyin()
                {
                    homophones.entry(p.plain().to_string()).or_default().push(c);
                }
            }
        }
        for v in homophones.values_mut() {
            v.sort_unstable();
        }
        let mut names = HashMap::new();
        for i in inds {
            for n in std::iter::once(&i.name).chain(&i.aliases) {
                names.insert(plain(n), i.code.to_string());
            }
        }
        Generator {
            rng: Rng(seed),
            jieba: jieba_rs::Jieba::new(),
            homophones,
            names,
            held_out: false,
        }
    }

    fn kind(&mut self) -> Kind {
        let held_out = self.held_out;
        let kinds: Vec<(Kind, u32)> = NAME_KINDS
            .into_iter()
            .filter(|(k, _)| held_out || !Kind::HELD_OUT.contains(k))
            .collect();
        let total: u32 = kinds.iter().map(|k| k.1).sum();
        let mut x = self.rng.below(total as usize) as u32;
        for (k, w) in kinds {
            if x < w {
                return k;
            }
            x -= w;
        }
        unreachable!()
    }

    /// One rewording of `name` of `kind`, or `None` when the kind does not apply.
    fn apply(&mut self, kind: Kind, name: &str, cells: &Cells) -> Option<String> {
        let (unit, year) = (cells.unit, cells.year);
        let r = &mut self.rng;
        Some(match kind {
            Kind::Target => {
                let t = cells.target;
                if t.is_empty() || import::number(t).is_none() {
                    return None;
                }
                let unit = if unit == "%" { "%" } else { unit };
                let (op, words) = match cells.direction {
                    "≥" => ("≥", &["不低于", "达到", "≥"][..]),
                    "≤" => ("≤", &["不高于", "控制在", "≤"][..]),
                    "=" => ("=", &["为", "达到", "="][..]),
                    _ => return None,
                };
                match r.below(3) {
                    0 => format!("{name}{op}{t}{unit}"),
                    1 => format!("{name}（{op}{t}{unit}）"),
                    _ => format!("{name}{}{t}{unit}", r.pick(words)),
                }
            }
            Kind::Verb => format!("{}{name}", r.pick(VERBS)),
            Kind::FormWord => {
                let mut options: Vec<String> = Vec::new();
                for (w, alts) in [
                    ("数量", &["数", "个数"][..]),
                    ("个数", &["数", "数量"][..]),
                    ("满意率", &["满意度"][..]),
                    ("面积", &["总面积"][..]),
                    ("里程", &["总里程"][..]),
                    ("人数", &["总人数"][..]),
                ] {
                    if name.contains(w) && !name.contains(&format!("总{w}")) {
                        options.extend(alts.iter().map(|a| name.replacen(w, a, 1)));
                    }
                }
                if let Some(stem) = name.strip_suffix('率')
                    && !stem.ends_with(['比', '效', '频'])
                    && stem.chars().count() >= 2
                {
                    options.extend(["比率", "比例"].iter().map(|e| format!("{stem}{e}")));
                }
                if options.is_empty() {
                    return None;
                }
                r.pick(&options).clone()
            }
            Kind::Break => {
                let cs: Vec<char> = name.chars().collect();
                if cs.len() < 3 {
                    return None;
                }
                let at = 1 + r.below(cs.len() - 1);
                let (a, b) = cs.split_at(at);
                let gap = *r.pick(&["\n", "\r\n", "　", "  ", " \n"]);
                format!(
                    "{}{gap}{}",
                    a.iter().collect::<String>(),
                    b.iter().collect::<String>()
                )
            }
            Kind::Year => match r.below(4) {
                0 => format!("{year}年{name}"),
                1 => format!("{year}年度{name}"),
                2 => format!("{name}（{year}年）"),
                _ => format!("{year}年度{name}（{unit}）"),
            },
            Kind::Filler => {
                if r.chance(0.5) {
                    format!("{}{name}", r.pick(PREFIXES))
                } else if r.chance(0.5) && !unit.is_empty() {
                    match r.below(3) {
                        0 => format!("{name}（{unit}）"),
                        1 => format!("{name}(单位：{unit})"),
                        _ => format!("{name}【{unit}】"),
                    }
                } else {
                    format!("{name}{}", r.pick(SUFFIXES))
                }
            }
            Kind::Done => match r.below(3) {
                0 => format!("完成{name}"),
                1 => format!("全年完成{name}"),
                _ => format!("实际完成{name}"),
            },
            Kind::Order => {
                let words: Vec<&str> = self.jieba.cut(name, false).iter().map(|t| t.word).collect();
                if words.len() < 3 {
                    return None;
                }
                let i = self.rng.below(words.len() - 2);
                let mut w = words.clone();
                w.swap(i, i + 1);
                let s = w.concat();
                (s != name).then_some(s)?
            }
            Kind::Synonym => {
                let options: Vec<(&str, &[&str])> = SYNONYMS
                    .iter()
                    .filter(|(w, _)| name.contains(w))
                    .copied()
                    .collect();
                if options.is_empty() {
                    return None;
                }
                let (w, alts) = *r.pick(&options);
                let alt: &&str = r.pick(alts);
                name.replacen(w, alt, 1)
            }
            Kind::Typo => {
                let cs: Vec<char> = name.chars().collect();
                // Typed by its usual reading, another character of that reading picked (补 → 捕).
                let spots: Vec<(usize, Vec<char>)> = cs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, &c)| {
                        let reading = c.to_pinyin()?.plain().to_string();
                        let others: Vec<char> = self
                            .homophones
                            .get(&reading)?
                            .iter()
                            .copied()
                            .filter(|&o| o != c)
                            .collect();
                        (!others.is_empty()).then_some((i, others))
                    })
                    .collect();
                if spots.is_empty() {
                    return None;
                }
                let (i, others) = self.rng.pick(&spots).clone();
                let mut cs = cs;
                cs[i] = *self.rng.pick(&others);
                cs.into_iter().collect()
            }
            Kind::Format => match r.below(5) {
                0 => name
                    .chars()
                    .map(|c| {
                        TRADITIONAL
                            .iter()
                            .find(|(s, _)| *s == c)
                            .map_or(c, |(_, t)| *t)
                    })
                    .collect(),
                1 => {
                    let cs: Vec<char> = name.chars().collect();
                    let at = 1 + r.below(cs.len().saturating_sub(1).max(1));
                    let (a, b) = cs.split_at(at.min(cs.len()));
                    format!(
                        "{} {}",
                        a.iter().collect::<String>(),
                        b.iter().collect::<String>()
                    )
                }
                2 => format!("{}{name}", r.pick(NUMBERING)),
                3 => format!("{name}{}", r.pick(&["。", "；", "："])),
                _ => name
                    .chars()
                    .map(|c| match c {
                        '0'..='9' | 'A'..='Z' | 'a'..='z' => {
                            char::from_u32(c as u32 - 0x20 + 0xFF00).unwrap_or(c)
                        }
                        c => c,
                    })
                    .collect::<String>()
                    .replace('%', "％"),
            },
            Kind::Unit | Kind::UnitMore | Kind::UnitInName | Kind::Level2 => {
                unreachable!("other cells are reworded apart")
            }
        })
    }

    /// The name reworded in 0, 1 or 2 ways, and which.
    fn reword(&mut self, name: &str, cells: &Cells) -> (String, Vec<Kind>) {
        let n = match self.rng.below(10) {
            0..=2 => 0,
            3..=7 => 1,
            _ => 2,
        };
        for _ in 0..20 {
            let mut chosen: Vec<Kind> = Vec::new();
            while chosen.len() < n {
                let k = self.kind();
                if !chosen.contains(&k) {
                    chosen.push(k);
                }
            }
            // Words change first, then what is written around them (as a form is filled in).
            chosen.sort();
            chosen.reverse();
            let mut out = name.to_string();
            let mut kinds = Vec::new();
            for k in chosen {
                if let Some(s) = self.apply(k, &out, cells) {
                    out = s;
                    kinds.push(k);
                }
            }
            // A rewording that is another indicator's name would be that indicator.
            match self.names.get(&plain(&out)) {
                Some(_) if out != name => continue,
                _ => return (out, kinds),
            }
        }
        (name.to_string(), vec![])
    }
}

fn format_value(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A value with its unit respelled (from the second list when `more`): (new unit, new
/// target, new actual), or `None` to keep all three.
fn respell(
    rng: &mut Rng,
    unit: &str,
    target: &str,
    actual: &str,
    more: bool,
) -> Option<(String, String, String)> {
    let options = if more {
        more_unit_spellings(unit)
    } else {
        unit_spellings(unit)
    };
    if options.is_empty() || !rng.chance(0.35) {
        return None;
    }
    let (spelling, factor) = *rng.pick(options);
    // Only values written exactly in the new unit (to the 4 decimals forms keep).
    let scale = |s: &str| -> Option<String> {
        let sign: String = s.chars().take_while(|c| !c.is_ascii_digit()).collect();
        let v: f64 = s[sign.len()..].parse().ok()?;
        let scaled = v * factor;
        let written: f64 = format_value(scaled).parse().ok()?;
        ((written - scaled).abs() <= 1e-9 * scaled.abs().max(1.0))
            .then(|| format!("{sign}{}", format_value(scaled)))
    };
    Some((spelling.to_string(), scale(target)?, scale(actual)?))
}

/// By (file stem, row): the kinds of rewording, and the unit, target and actual as first written.
type Details = HashMap<(String, u32), (Vec<Kind>, String, String, String)>;

/// One reworded file: the CSV bytes and, by row, what was done.
struct Reworded {
    name: String,
    bytes: Vec<u8>,
    /// Row number → (kinds, original unit, original target, original actual).
    rows: HashMap<u32, (Vec<Kind>, String, String, String)>,
    /// (row number in the original, line the row starts on here).
    lines: Vec<(u32, u32)>,
}

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("evaluations/demo")
}

fn reword_file(g: &mut Generator, stem: &str) -> Reworded {
    let mut r = csv::Reader::from_path(demo_dir().join(format!("{stem}.csv"))).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (c_name, c_code, c_unit, c_target, c_actual, c_year) = (
        col("三级指标"),
        col("指标编码"),
        col("计量单位"),
        col("年度目标值"),
        col("实际完成值"),
        col("年度"),
    );
    let (c_level2, c_direction) = (col("二级指标"), col("指标方向"));
    let mut bytes = Vec::new();
    let mut rows = HashMap::new();
    let (mut lines, mut line) = (Vec::new(), 2u32);
    {
        let mut w = csv::Writer::from_writer(&mut bytes);
        w.write_record(&header).unwrap();
        for (i, rec) in r.records().enumerate() {
            let mut rec: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
            let row = i as u32 + 2;
            let original = (
                rec[c_unit].clone(),
                rec[c_target].clone(),
                rec[c_actual].clone(),
            );
            let cells = Cells {
                unit: &rec[c_unit],
                year: &rec[c_year],
                direction: &rec[c_direction],
                target: &rec[c_target],
            };
            let (name, mut kinds) = g.reword(&rec[c_name], &cells);
            rec[c_name] = name;
            rec[c_code].clear();
            let more = g.rng.chance(0.3);
            if let Some((u, t, a)) = respell(
                &mut g.rng,
                &rec[c_unit],
                &rec[c_target],
                &rec[c_actual],
                more,
            ) {
                rec[c_unit] = u;
                rec[c_target] = t;
                rec[c_actual] = a;
                kinds.push(if more { Kind::UnitMore } else { Kind::Unit });
            }
            let unit = rec[c_unit].clone();
            if !unit.is_empty() && !["等级", "定性"].contains(&unit.as_str()) && g.rng.chance(0.1)
            {
                let name = &rec[c_name];
                rec[c_name] = match g.rng.below(4) {
                    0 => format!("{name}/{unit}"),
                    1 => format!("{name}[{unit}]"),
                    2 => format!("{name}（单位：{unit}）"),
                    _ => format!("{name}({unit})"),
                };
                if g.rng.chance(0.6) {
                    rec[c_unit].clear();
                }
                kinds.push(Kind::UnitInName);
            }
            if g.held_out && g.rng.chance(0.06) {
                let level2 = rec[c_level2].clone();
                if let Some(group) = LEVEL2.iter().find(|g| g.contains(&level2.as_str())) {
                    let others: Vec<&str> =
                        group.iter().copied().filter(|l| *l != level2).collect();
                    rec[c_level2] = g.rng.pick(&others).to_string();
                    kinds.push(Kind::Level2);
                }
            }
            // The import numbers a row by the line it starts on: a line break typed in a
            // cell moves the rows after it.
            let breaks: usize = rec.iter().map(|c| c.matches('\n').count()).sum();
            lines.push((row, line));
            line += 1 + breaks as u32;
            rows.insert(row, (kinds, original.0, original.1, original.2));
            w.write_record(&rec).unwrap();
        }
    }
    Reworded {
        name: format!("{stem}-reworded.csv"),
        bytes,
        rows,
        lines,
    }
}

/// (file stem, row) → the library code the row was written from, or `NEW:<id>`.
fn answer_key(path: &Path) -> HashMap<(String, u32), String> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                (rec[0].to_string(), rec[1].parse().unwrap()),
                rec[2].to_string(),
            )
        })
        .collect()
}

/// What matching and clustering did with a set of files.
#[derive(Default)]
struct Figures {
    library_rows: usize,
    auto: usize,
    auto_right: usize,
    review: usize,
    review_right: usize,
    unmatched: usize,
    new_rows: usize,
    new_auto: usize,
    new_review: usize,
    new_in_candidates: usize,
    candidates: usize,
    /// New indicator → candidates holding its rows.
    per_new: BTreeMap<String, usize>,
    library_only_candidates: usize,
    mixed_candidates: usize,
    /// Library rows linked automatically and rightly, by kind of rewording: (rows, right).
    by_kind: BTreeMap<String, (usize, usize)>,
    /// Rows linked rightly whose values reach statistics (unit known or convertible).
    values_reach: (usize, usize),
    /// Values converted back to the original (unit respelled): (rows, exact).
    converted: (usize, usize),
    /// Rows respelled in a unit that does not convert: (rows, of which the table says why).
    unconvertible: (usize, usize),
    /// Rightly linked rows whose unit as first written no longer converts to the indicator's
    /// (the library changed it between editions: 元 → 元/功能点, 万元 → %).
    edition_units: usize,
    /// Automatic links by method: (links, right).
    by_method: BTreeMap<String, (usize, usize)>,
    mistakes: Vec<String>,
}

impl Figures {
    fn precision(&self) -> f64 {
        self.auto_right as f64 / (self.auto + self.new_auto).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.auto_right as f64 / self.library_rows.max(1) as f64
    }
    fn print(&self, what: &str) {
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        eprintln!("== {what}");
        eprintln!(
            "library rows {}: linked automatically {} ({} right: precision {:.2}%, recall {:.1}%); review {} ({} suggestions right); unmatched {}",
            self.library_rows,
            self.auto,
            self.auto_right,
            100.0 * self.precision(),
            100.0 * self.recall(),
            self.review,
            self.review_right,
            self.unmatched
        );
        eprintln!(
            "new-indicator rows {}: linked automatically {}, review {}, in candidates {} ({:.1}%)",
            self.new_rows,
            self.new_auto,
            self.new_review,
            self.new_in_candidates,
            pct(self.new_in_candidates, self.new_rows)
        );
        eprintln!(
            "candidates {}: per new indicator {:?}; made only of library rows {}; mixed {}",
            self.candidates, self.per_new, self.library_only_candidates, self.mixed_candidates
        );
        eprintln!(
            "values reaching statistics: {} of {} rightly linked rows ({} in a unit the library has since changed); respelled units converted back exactly: {} of {}; not convertible and reported: {} of {}",
            self.values_reach.1,
            self.values_reach.0,
            self.edition_units,
            self.converted.1,
            self.converted.0,
            self.unconvertible.1,
            self.unconvertible.0
        );
        eprintln!(
            "automatic links by method (links, right): {:?}",
            self.by_method
        );
        for (k, (n, right)) in &self.by_kind {
            eprintln!(
                "  {k:<16} {n:>5} rows, {:.1}% linked automatically and rightly",
                pct(*right, *n)
            );
        }
        for m in self.mistakes.iter().take(40) {
            eprintln!("  {m}");
        }
    }

    fn hold_floors(&self, what: &str) {
        assert!(
            self.precision() >= 0.99,
            "{what}: automatic precision {:.2}% < 99%",
            100.0 * self.precision()
        );
        assert!(
            self.recall() >= 0.90,
            "{what}: library rows linked automatically {:.1}% < 90%",
            100.0 * self.recall()
        );
        assert_eq!(self.new_auto, 0, "{what}: rows of new indicators linked");
        for (id, n) in &self.per_new {
            assert!(*n <= 2, "{what}: {id} split into {n} candidates");
        }
        assert_eq!(
            self.library_only_candidates, 0,
            "{what}: candidates made only of library indicators"
        );
    }
}

struct Library {
    catalog: Arc<zhibiao::domain::Catalog>,
    vocab: Vocabulary,
    indicators: Vec<Indicator>,
}

fn library() -> Library {
    let lib = library::load_dir(&library::default_dir()).unwrap();
    Library {
        catalog: Arc::new(lib.catalog),
        vocab: Vocabulary::load(&zhibiao::search::vocab::default_dir()).unwrap(),
        indicators: lib.indicators,
    }
}

/// Imports, matches and clusters `files` (name, bytes) and compares with `key`. `details` gives,
/// by (file stem, row), the kinds of rewording and the original unit and values.
fn measure(
    lib: &Library,
    files: &[(String, Vec<u8>)],
    key: &HashMap<(String, u32), String>,
    stem_of: &dyn Fn(&str) -> String,
    details: &Details,
) -> Figures {
    let matcher = Matcher::with(lib.catalog.clone(), &lib.vocab, lib.indicators.clone());
    let table = units::table();
    let mut projects: Vec<EvaluatedProject> = Vec::new();
    let mut stems: Vec<String> = Vec::new();
    let mut truth: HashMap<(String, u32), String> = HashMap::new();
    let mut f = Figures::default();
    let debug = std::env::var_os("ZHIBIAO_MATCH_DEBUG").is_some();
    for (name, bytes) in files {
        let parsed = import::parse(
            name,
            bytes,
            &lib.catalog,
            &zhibiao::ingest::sheet::SheetLimits::default(),
        )
        .unwrap();
        assert!(
            parsed.errors.is_empty(),
            "{name}: {:?}",
            &parsed.errors[..3.min(parsed.errors.len())]
        );
        let stem = stem_of(name);
        for mut p in parsed.projects {
            let t = p.project_type.clone();
            for r in &mut p.rows {
                r.matched = matcher.match_row(r, t.as_deref());
            }
            stems.push(stem.clone());
            projects.push(p);
        }
    }
    // As an import does: a wording of one project near a library name goes to review.
    cluster::review_lone_near(&mut projects, std::iter::empty(), &matcher);
    for (p, stem) in projects.iter().zip(&stems) {
        let t = p.project_type.clone();
        for r in &p.rows {
            let k = (stem.clone(), r.source.row);
            let code = key
                .get(&k)
                .unwrap_or_else(|| panic!("no answer for {k:?}"))
                .clone();
            truth.insert((r.source.file.clone(), r.source.row), code.clone());
            let kinds = details.get(&k).map(|d| d.0.clone()).unwrap_or_default();
            if debug
                && !r
                    .matched
                    .as_ref()
                    .is_some_and(|m| m.is_certain() && m.code == code)
            {
                let near: Vec<String> = matcher
                    .nearest(r, t.as_deref(), 3)
                    .into_iter()
                    .map(|(c, s)| {
                        format!(
                            "{c}:{}:{s}",
                            matcher.indicator(&c).map_or("", |i| i.name.as_str())
                        )
                    })
                    .collect();
                eprintln!(
                    "DEBUG {code} {} | {:?} | {:?} | near {near:?}",
                    r.name,
                    r.matched.as_ref().map(|m| (&m.code, m.confidence)),
                    kinds
                );
            }
            if debug
                && r.matched.is_none()
                && let Some((c, sim)) = matcher.closest_by_name(r)
            {
                eprintln!("UNMATCHED {code} {sim:.3} {c} {}", r.name);
            }
            if code.starts_with("NEW:") {
                f.new_rows += 1;
                match &r.matched {
                    Some(m) if m.is_certain() => {
                        f.new_auto += 1;
                        f.mistakes.push(format!(
                            "NEW {} → {} {:?} {}",
                            r.name, m.code, m.method, m.confidence
                        ));
                    }
                    Some(_) => f.new_review += 1,
                    None => {}
                }
                continue;
            }
            f.library_rows += 1;
            let right = r.matched.as_ref().is_some_and(|m| m.code == code);
            let auto_right = match &r.matched {
                Some(m) if m.is_certain() => {
                    f.auto += 1;
                    let e = f.by_method.entry(m.method.key().to_string()).or_default();
                    e.0 += 1;
                    e.1 += right as usize;
                    if right {
                        f.auto_right += 1;
                    } else {
                        f.mistakes.push(format!(
                            "{} → {} {:?} {} (right: {code})",
                            r.name, m.code, m.method, m.confidence
                        ));
                    }
                    right
                }
                Some(_) => {
                    f.review += 1;
                    f.review_right += right as usize;
                    false
                }
                None => {
                    f.unmatched += 1;
                    false
                }
            };
            let mut labels: Vec<String> = kinds.iter().map(|k| format!("{k:?}")).collect();
            if kinds.is_empty() {
                labels.push("unchanged".into());
            } else if kinds.iter().filter(|k| !k.of_row()).count() >= 2 {
                labels.push("two at once".into());
            }
            for l in labels {
                let e = f.by_kind.entry(l).or_default();
                e.0 += 1;
                e.1 += auto_right as usize;
            }
            if right && let Some(ind) = matcher.indicator(&code) {
                f.values_reach.0 += 1;
                let factor = table.factor(&r.unit, &ind.unit);
                f.values_reach.1 += factor.is_ok() as usize;
                let first_unit = details.get(&k).map_or(r.unit.as_str(), |d| d.1.as_str());
                let respelled = kinds.contains(&Kind::Unit) || kinds.contains(&Kind::UnitMore);
                let respelled_away = respelled
                    && ["公里（双向）", "个工作日"].contains(&r.unit.as_str())
                    && first_unit != "工作日";
                if factor.is_err()
                    && !respelled_away
                    && table.factor(first_unit, &ind.unit).is_err()
                {
                    f.edition_units += 1;
                } else if factor.is_err() && !respelled_away {
                    f.mistakes.push(format!(
                        "values left out: {} [{}] for {code} [{}]",
                        r.name, r.unit, ind.unit
                    ));
                }
                if let Some((_, unit, target, _)) = details.get(&k)
                    && respelled
                    && let (Some(orig), Some(now)) =
                        (import::number(target), import::number(&r.target))
                {
                    if ["公里（双向）", "个工作日"].contains(&r.unit.as_str()) && unit != "工作日"
                    {
                        // Counted below as unconvertible, not as an edition change.
                        f.unconvertible.0 += 1;
                        f.unconvertible.1 += factor.is_err() as usize;
                    } else {
                        f.converted.0 += 1;
                        let back = table.convert(now, &r.unit, unit).unwrap_or(f64::NAN);
                        f.converted.1 +=
                            ((back - orig).abs() <= 1e-9 * orig.abs().max(1.0)) as usize;
                    }
                }
            }
        }
    }
    let candidates = cluster::candidates(&projects, matcher.wording());
    f.candidates = candidates.len();
    let mut per_new: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in &candidates {
        let codes: BTreeSet<&String> = c
            .evidence
            .iter()
            .map(|e| &truth[&(e.source.file.clone(), e.source.row)])
            .collect();
        let news: Vec<&&String> = codes.iter().filter(|c| c.starts_with("NEW:")).collect();
        f.new_in_candidates += c
            .evidence
            .iter()
            .filter(|e| truth[&(e.source.file.clone(), e.source.row)].starts_with("NEW:"))
            .count();
        if news.is_empty() {
            f.library_only_candidates += 1;
            f.mistakes.push(format!(
                "candidate of library rows: {} ({:?})",
                c.name, codes
            ));
        } else if news.len() < codes.len() {
            f.mixed_candidates += 1;
        }
        for n in news {
            per_new
                .entry((*n).clone())
                .or_default()
                .insert(c.id.clone());
            if debug {
                eprintln!("CANDIDATE {n} {} | {:?}", c.name, c.variants);
            }
        }
    }
    f.per_new = per_new.into_iter().map(|(k, v)| (k, v.len())).collect();
    f
}

/// The demo files of both years reworded with `seed` (and the held-out kinds when
/// `held_out`), measured.
fn reworded_demo(lib: &Library, seed: u64, held_out: bool) -> Figures {
    let mut g = Generator::new(seed, &lib.indicators);
    g.held_out = held_out;
    let original = answer_key(&demo_dir().join("answer_key.csv"));
    // By the lines the reworded rows start on.
    let mut key = HashMap::new();
    let mut files = Vec::new();
    let mut details = HashMap::new();
    for stem in ["self-evaluations-2024", "self-evaluations-2025"] {
        let mut r = reword_file(&mut g, stem);
        for &(row, line) in &r.lines {
            let k = (stem.to_string(), line);
            key.insert(k.clone(), original[&(stem.to_string(), row)].clone());
            details.insert(k, r.rows.remove(&row).unwrap());
        }
        files.push((r.name, r.bytes));
    }
    // ZHIBIAO_REWORDED_OUT=DIR keeps the files, with their answer key.
    if let Some(dir) =
        std::env::var_os("ZHIBIAO_REWORDED_OUT").map(|d| PathBuf::from(d).join(seed.to_string()))
    {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &files {
            std::fs::write(dir.join(name.replace("-reworded", "")), bytes).unwrap();
        }
        let mut w = csv::Writer::from_path(dir.join("answer_key.csv")).unwrap();
        w.write_record(["file", "row", "code"]).unwrap();
        let mut rows: Vec<_> = key.iter().collect();
        rows.sort();
        for ((stem, line), code) in rows {
            w.write_record([stem.as_str(), &line.to_string(), code.as_str()])
                .unwrap();
        }
    }
    measure(
        lib,
        &files,
        &key,
        &|name: &str| name.trim_end_matches("-reworded.csv").to_string(),
        &details,
    )
}

#[test]
fn reworded_demo_files_hold_the_matching_floors() {
    let lib = library();
    // ZHIBIAO_REWORDED_SEEDS=1,2 measures other seeds (a check that the figures do not rest
    // on these). 1234567 reworded 上图入库率 into a name found only through a rare bigram;
    // 424242 numbered a name ① before its year.
    let seeds: Vec<u64> = std::env::var("ZHIBIAO_REWORDED_SEEDS").map_or_else(
        |_| vec![20_251_201, 7, 1_234_567, 424_242],
        |v| v.split(',').map(|s| s.trim().parse().unwrap()).collect(),
    );
    // Every seed printed before any is held: one failing seed does not hide the others.
    let figures: Vec<(u64, Figures)> = seeds
        .into_iter()
        .map(|seed| {
            let f = reworded_demo(&lib, seed, false);
            f.print(&format!("demo files reworded, seed {seed}"));
            (seed, f)
        })
        .collect();
    for (seed, f) in figures {
        f.hold_floors(&format!("seed {seed}"));
        f.hold_values();
    }
}

/// A seed and two kinds (`Kind::HELD_OUT`) the matcher was not tuned on: written with the
/// others, measured once when the rest held, and held to the same floors since.
#[test]
fn held_out_kinds_and_seed_hold_the_matching_floors() {
    let lib = library();
    let seed = 31_337;
    let f = reworded_demo(&lib, seed, true);
    f.print(&format!(
        "held out: seed {seed} with kinds {:?}",
        Kind::HELD_OUT
    ));
    f.hold_floors("held out");
    f.hold_values();
}

impl Figures {
    /// Respelled values convert back; those left out are exactly the unconvertible ones.
    fn hold_values(&self) {
        let f = self;
        assert_eq!(
            f.converted.0, f.converted.1,
            "respelled values not converted back"
        );
        // Every rightly linked row whose values stay out is one respelled in a unit that does
        // not convert, and the unit table says so.
        assert_eq!(f.unconvertible.0, f.unconvertible.1);
        assert_eq!(
            f.values_reach.0 - f.values_reach.1,
            f.unconvertible.0 + f.edition_units
        );
        assert!(
            f.converted.0 > 100,
            "too few respelled units: {}",
            f.converted.0
        );
    }
}

/// The original demo files: nothing to reword, the same floors.
#[test]
fn the_demo_files_as_generated_hold_the_matching_floors() {
    let lib = library();
    let key = answer_key(&demo_dir().join("answer_key.csv"));
    let files: Vec<(String, Vec<u8>)> = ["self-evaluations-2024.csv", "self-evaluations-2025.xlsx"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(demo_dir().join(n)).unwrap()))
        .collect();
    let f = measure(
        &lib,
        &files,
        &key,
        &|n: &str| n.rsplit_once('.').unwrap().0.to_string(),
        &HashMap::new(),
    );
    f.print("demo files as generated");
    f.hold_floors("demo");
}

/// Evaluation files reworded elsewhere (`ZHIBIAO_REWORDED_DIR`), when given.
#[test]
fn reworded_files_from_elsewhere_hold_the_matching_floors() {
    let Some(dir) = std::env::var_os("ZHIBIAO_REWORDED_DIR").map(PathBuf::from) else {
        return;
    };
    let lib = library();
    let key = answer_key(&dir.join("answer_key.csv"));
    let mut files = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name != "answer_key.csv" && (name.ends_with(".csv") || name.ends_with(".xlsx")) {
            files.push((name, std::fs::read(&p).unwrap()));
        }
    }
    files.sort();
    let f = measure(
        &lib,
        &files,
        &key,
        &|n: &str| n.rsplit_once('.').unwrap().0.to_string(),
        &HashMap::new(),
    );
    f.print(&format!("{}", dir.display()));
    f.hold_floors(&dir.display().to_string());
}
