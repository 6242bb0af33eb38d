//! Units as quantities: how forms spell the controlled units (％ for %, 千米 for 公里, 元每人 for
//! 元/人) and which units convert into which (1 万元 = 10000 元, 1 公里 = 1000 米), read from the
//! `spellings` and `scaled` fields of `indicators/units.toml`.
//!
//! Every unit resolves to a *family* (its base unit: 元 for 万元 and 千元, 米 for 公里) and a
//! factor to that base; two units convert into each other when their families agree. Composite
//! units (元/人, 万元/公里) resolve part by part, so 万元/公里 converts to 元/米 without being
//! listed.

use crate::text::normalize;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The bundled unit list with its spellings and conversions. The list itself is also read at
/// start-up into the catalog; spellings and conversions only matter to the evaluation import.
const UNITS_TOML: &str = include_str!("../../indicators/units.toml");

#[derive(Deserialize)]
struct RawFile {
    units: Vec<RawUnit>,
}

#[derive(Deserialize)]
struct RawUnit {
    name: String,
    kind: String,
    #[serde(default)]
    spellings: Vec<String>,
    #[serde(default)]
    scaled: HashMap<String, f64>,
}

/// A unit read as a quantity: its family (base unit) and how many base units one of it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub family: String,
    pub factor: f64,
}

/// Why a value cannot be put in an indicator's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitProblem {
    /// The row's unit is not a known unit or spelling.
    Unknown(String),
    /// Both are known, but they measure different things (人 and %).
    Incompatible { from: String, to: String },
}

impl std::fmt::Display for UnitProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnitProblem::Unknown(u) => write!(f, "单位“{u}”无法识别"),
            UnitProblem::Incompatible { from, to } => {
                write!(f, "单位“{from}”不能换算为“{to}”")
            }
        }
    }
}

/// How a row's unit relates to an indicator's, as evidence for a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreement {
    /// The same unit, however spelled.
    Same,
    /// Different units of one quantity (元 and 万元).
    Convertible,
    /// The row gives no unit, or one nobody knows: no evidence either way.
    Unknown,
    /// Units of one kind that do not convert (天 and 工作日, 人 and 人次): weak evidence against.
    Related,
    /// A cost per something written with its money unit alone (元 for 元/功能点, 万元 for
    /// 万元/座, as forms — and the 2026.1 edition itself — write unit costs): the denominator
    /// is left to the name. It does not convert, but it is hardly evidence against.
    Partial,
    /// Different kinds of quantity (人 and %): evidence against.
    Different,
}

/// Spellings and conversions, keyed by the cleaned spelling.
#[derive(Debug)]
pub struct UnitTable {
    /// cleaned spelling -> canonical unit name.
    names: HashMap<String, String>,
    /// canonical unit name (or scaled-only spelling) -> quantity.
    quantities: HashMap<String, Quantity>,
    /// canonical unit name -> kind (count, rate, time …).
    kinds: HashMap<String, String>,
}

/// A unit as written, cleaned: width and case folded, spaces and enclosing brackets removed,
/// middle dots unified (人・次, 人•次 → 人·次).
fn clean(s: &str) -> String {
    let s: String = normalize(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '・' | '•' | '‧' | '∙' | '⋅' => '·',
            '（' => '(',
            '）' => ')',
            '／' => '/',
            c => c,
        })
        .collect();
    let mut t = s.as_str();
    while let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        t = inner;
    }
    let t = t
        .trim_start_matches(['(', '[', '【'])
        .trim_end_matches([')', ']', '】']);
    t.trim_start_matches("单位:")
        .trim_start_matches("单位：")
        .to_string()
}

/// Written where a row has no unit.
fn is_blank(s: &str) -> bool {
    matches!(s, "" | "-" | "—" | "--" | "——" | "/" | "无" | "\\" | "n/a")
}

impl UnitTable {
    pub fn parse(text: &str) -> Result<UnitTable, toml::de::Error> {
        let raw: RawFile = toml::from_str(text)?;
        let mut names = HashMap::new();
        for u in &raw.units {
            names.insert(clean(&u.name), u.name.clone());
            for s in &u.spellings {
                names.entry(clean(s)).or_insert_with(|| u.name.clone());
            }
        }
        // Each unit is its own family unless a base unit lists it as a multiple.
        let mut quantities: HashMap<String, Quantity> = raw
            .units
            .iter()
            .map(|u| {
                (
                    u.name.clone(),
                    Quantity {
                        family: u.name.clone(),
                        factor: 1.0,
                    },
                )
            })
            .collect();
        for u in &raw.units {
            for (k, f) in &u.scaled {
                let name = names.get(&clean(k)).cloned().unwrap_or_else(|| k.clone());
                names.entry(clean(k)).or_insert_with(|| name.clone());
                quantities.insert(
                    name,
                    Quantity {
                        family: u.name.clone(),
                        factor: *f,
                    },
                );
            }
        }
        // A base unit may itself be a multiple (天 = 1440 分钟, 小时 = 60 分钟): follow the chain.
        let keys: Vec<String> = quantities.keys().cloned().collect();
        for k in keys {
            let mut q = quantities[&k].clone();
            for _ in 0..8 {
                match quantities.get(&q.family) {
                    Some(up) if up.family != q.family => {
                        q = Quantity {
                            family: up.family.clone(),
                            factor: q.factor * up.factor,
                        }
                    }
                    _ => break,
                }
            }
            quantities.insert(k, q);
        }
        let mut kinds: HashMap<String, String> = raw
            .units
            .iter()
            .map(|u| (u.name.clone(), u.kind.clone()))
            .collect();
        for u in &raw.units {
            for k in u.scaled.keys() {
                let name = names.get(&clean(k)).cloned().unwrap_or_else(|| k.clone());
                kinds.entry(name).or_insert_with(|| u.kind.clone());
            }
        }
        Ok(UnitTable {
            names,
            quantities,
            kinds,
        })
    }

    /// The controlled unit a spelling stands for (`千米` → `公里`, `元每人` → `元/人`), if known.
    pub fn canonical(&self, written: &str) -> Option<String> {
        let c = clean(written);
        if let Some(n) = self.names.get(&c) {
            return Some(n.clone());
        }
        let per = c.replace('每', "/");
        if let Some(n) = self.names.get(&per) {
            return Some(n.clone());
        }
        let (num, den) = per.split_once('/')?;
        let (num, den) = (self.canonical(num)?, self.canonical(den)?);
        let composite = format!("{num}/{den}");
        Some(
            self.names
                .get(&clean(&composite))
                .cloned()
                .unwrap_or(composite),
        )
    }

    /// The unit as a quantity: family and factor; composites part by part.
    pub fn quantity(&self, written: &str) -> Option<Quantity> {
        let name = self.canonical(written)?;
        // Ratios through their parts, so that 万元/公里 and 元/米 meet; a listed unit whose
        // parts are not units (毫克/升 here) is its own family.
        if let Some((num, den)) = name.split_once('/')
            && let (Some(n), Some(d)) = (self.quantity(num), self.quantity(den))
        {
            return Some(Quantity {
                family: format!("{}/{}", n.family, d.family),
                factor: n.factor / d.factor,
            });
        }
        self.quantities.get(&name).cloned()
    }

    /// What kind of quantity a unit measures (count, rate, time …), when it is listed.
    pub fn kind(&self, written: &str) -> Option<&str> {
        self.kinds
            .get(&self.canonical(written)?)
            .map(String::as_str)
    }

    /// Whether a row's unit is blank (nothing written, or a dash).
    pub fn blank(written: &str) -> bool {
        is_blank(&clean(written))
    }

    /// How many of `to` one `from` is; `Ok(1.0)` for a blank `from` (the indicator's unit is
    /// meant).
    pub fn factor(&self, from: &str, to: &str) -> Result<f64, UnitProblem> {
        if Self::blank(from) {
            return Ok(1.0);
        }
        let target = self.quantity(to);
        let Some(source) = self.quantity(from) else {
            // Spelled exactly as the indicator's unit, even if that unit is not listed.
            if clean(from) == clean(to) {
                return Ok(1.0);
            }
            return Err(UnitProblem::Unknown(from.trim().to_string()));
        };
        match target {
            Some(t) if t.family == source.family => Ok(source.factor / t.factor),
            _ => Err(UnitProblem::Incompatible {
                from: from.trim().to_string(),
                to: to.to_string(),
            }),
        }
    }

    /// A value written in `from`, in `to`.
    pub fn convert(&self, value: f64, from: &str, to: &str) -> Result<f64, UnitProblem> {
        // Rounded to 10 significant digits, so that 0.1 × 10 reads 1, not 1.0000000000000002.
        let v = value * self.factor(from, to)?;
        if v == 0.0 || !v.is_finite() {
            return Ok(v);
        }
        let scale = 10f64.powi(9 - v.abs().log10().floor() as i32);
        Ok((v * scale).round() / scale)
    }

    /// How a row's unit bears on its being this indicator.
    pub fn agreement(&self, row: &str, indicator: &str) -> Agreement {
        self.read(row).agreement(&self.read(indicator))
    }

    /// A unit read once, to be compared with many (the matcher compares a row's unit with
    /// every indicator it scores).
    pub fn read(&self, written: &str) -> UnitReading {
        UnitReading {
            cleaned: clean(written),
            canonical: self.canonical(written),
            quantity: self.quantity(written),
            kind: self.kind(written).map(str::to_string),
        }
    }
}

/// A unit as `UnitTable::read` understood it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitReading {
    cleaned: String,
    canonical: Option<String>,
    quantity: Option<Quantity>,
    kind: Option<String>,
}

impl UnitReading {
    /// How this (a row's) unit bears on its being an indicator with unit `indicator`.
    pub fn agreement(&self, indicator: &UnitReading) -> Agreement {
        if is_blank(&self.cleaned) {
            return Agreement::Unknown;
        }
        let (Some(a), Some(b)) = (&self.quantity, &indicator.quantity) else {
            return if self.cleaned == indicator.cleaned {
                Agreement::Same
            } else {
                Agreement::Unknown
            };
        };
        if a.family != b.family {
            match (&self.kind, &indicator.kind) {
                (Some(x), Some(y)) if x == y => Agreement::Related,
                _ if numerator_of(&a.family, &b.family) || numerator_of(&b.family, &a.family) => {
                    Agreement::Partial
                }
                _ => Agreement::Different,
            }
        } else if self.canonical == indicator.canonical {
            Agreement::Same
        } else {
            Agreement::Convertible
        }
    }
}

/// Whether family `part` is the numerator of the ratio family `whole` (元 of 元/功能点).
fn numerator_of(part: &str, whole: &str) -> bool {
    !part.contains('/') && whole.split_once('/').is_some_and(|(num, _)| num == part)
}

/// A unit written at the end of an indicator name, as forms do when the unit has no column of
/// its own or its cell is left empty: after a slash (完成率/%, 补助标准/元/人) or in a closing
/// bracket (资金（万元）, 面积[㎡], 里程（单位：公里）). Returns the name before it and the unit as
/// written; `None` when the name ends in nothing the unit table knows. （年度） is a note of
/// time, not the unit 年.
pub fn unit_in_name(name: &str) -> Option<(&str, &str)> {
    let t = name.trim_end();
    // A unit of two slashes only as listed (元/人/天): 成本≤360元/吨/元/吨 ends in 元/吨.
    let known = |u: &str| {
        let c = clean(u);
        !c.is_empty()
            && c != "年度"
            && table().canonical(u).is_some()
            && (c.matches('/').count() <= 1 || table().names.contains_key(&c))
    };
    let long_enough = |head: &str| head.chars().filter(|c| c.is_alphanumeric()).count() >= 2;
    if let Some(last) = t.chars().last()
        && let Some(open) = match last {
            ')' => Some(&['(', '（'][..]),
            '）' => Some(&['（', '('][..]),
            ']' => Some(&['['][..]),
            '】' => Some(&['【'][..]),
            _ => None,
        }
        && let Some(at) = t.rfind(open)
    {
        let opener = t[at..].chars().next().map_or(1, char::len_utf8);
        let inner = &t[at + opener..t.len() - last.len_utf8()];
        let unit = inner
            .trim()
            .trim_start_matches("单位：")
            .trim_start_matches("单位:")
            .trim();
        return (known(unit) && long_enough(&t[..at])).then_some((&t[..at], unit));
    }
    // The leftmost slash that leaves a unit: 补助标准/元/人 is 元/人.
    t.char_indices()
        .filter(|&(_, c)| c == '/' || c == '／')
        .map(|(i, c)| (&t[..i], t[i + c.len_utf8()..].trim()))
        .find(|(head, unit)| long_enough(head) && !unit.contains(BRACKETS) && known(unit))
}

/// Brackets a unit written after a slash never holds (a note may close before it: 造价（万元/
/// 公里）/万元/公里).
const BRACKETS: [char; 8] = ['(', ')', '（', '）', '[', ']', '【', '】'];

/// The bundled table (spellings and conversions of `indicators/units.toml`).
pub fn table() -> &'static UnitTable {
    static TABLE: LazyLock<UnitTable> = LazyLock::new(|| {
        UnitTable::parse(UNITS_TOML).expect("indicators/units.toml parses (checked by a test)")
    });
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(v: f64, from: &str, to: &str) -> f64 {
        table()
            .convert(v, from, to)
            .unwrap_or_else(|e| panic!("{from} → {to}: {e}"))
    }

    #[test]
    fn every_spelling_the_issue_names_converts() {
        // Money: 元 / 千元 / 万元 / 亿元.
        assert_eq!(conv(52_000.0, "元", "万元"), 5.2);
        assert_eq!(conv(3_500.0, "千元", "万元"), 350.0);
        assert_eq!(conv(1.5, "亿元", "万元"), 15_000.0);
        assert_eq!(conv(2.0, "万元", "元"), 20_000.0);
        // Length: 公里 / 千米 / km / 米.
        assert_eq!(conv(5.2, "千米", "公里"), 5.2);
        assert_eq!(conv(5.2, "km", "公里"), 5.2);
        assert_eq!(conv(5.2, "ＫＭ", "公里"), 5.2);
        assert_eq!(conv(800.0, "米", "公里"), 0.8);
        // Rates: % / ％ / 百分比 / ‰.
        assert_eq!(conv(95.0, "％", "%"), 95.0);
        assert_eq!(conv(95.0, "百分比", "%"), 95.0);
        assert_eq!(conv(95.0, "百分率", "%"), 95.0);
        assert_eq!(conv(5.0, "‰", "%"), 0.5);
        // Time: 小时 / h / 天 / 日 / d / 个工作日 / 分钟.
        assert_eq!(conv(24.0, "h", "小时"), 24.0);
        assert_eq!(conv(24.0, "H", "小时"), 24.0);
        assert_eq!(conv(2.0, "天", "小时"), 48.0);
        assert_eq!(conv(3.0, "日", "天"), 3.0);
        assert_eq!(conv(3.0, "d", "天"), 3.0);
        assert_eq!(conv(5.0, "个工作日", "工作日"), 5.0);
        assert_eq!(conv(90.0, "分钟", "小时"), 1.5);
        assert_eq!(conv(18.0, "个月", "年"), 1.5);
        assert_eq!(conv(2.0, "年", "个月"), 24.0);
        assert_eq!(conv(6.0, "个月", "月"), 6.0);
        // Counts: 人次 / 人·次 / 人/次; 万人 / 人.
        assert_eq!(conv(1200.0, "人·次", "人次"), 1200.0);
        assert_eq!(conv(1200.0, "人・次", "人次"), 1200.0);
        assert_eq!(conv(1200.0, "人/次", "人次"), 1200.0);
        assert_eq!(conv(25_000.0, "人", "万人"), 2.5);
        // Unit costs: 元/人 / 元每人 / 元/人/年; composites convert part by part.
        assert_eq!(conv(800.0, "元每人", "元/人"), 800.0);
        assert_eq!(conv(800.0, "元/人/年", "元/人·年"), 800.0);
        assert_eq!(conv(0.08, "万元/人", "元/人"), 800.0);
        assert_eq!(conv(2400.0, "万元/公里", "元/米"), 24_000.0);
        assert_eq!(conv(24_000.0, "元每米", "万元/公里"), 2400.0);
        // Areas and volumes.
        assert_eq!(conv(12_000.0, "㎡", "万平方米"), 1.2);
        assert_eq!(conv(3.0, "公顷", "平方米"), 30_000.0);
        assert_eq!(conv(2.0, "万方", "立方米"), 20_000.0);
        assert_eq!(conv(12_000.0, "m2", "万平方米"), 1.2);
        // 1 公顷 = 15 亩, either way and through 万亩.
        assert_eq!(conv(20.0, "公顷", "亩"), 300.0);
        assert_eq!(conv(300.0, "亩", "公顷"), 20.0);
        assert_eq!(conv(1.5, "万亩", "公顷"), 1000.0);
        assert_eq!(conv(2.0, "ha", "亩"), 30.0);
        // Weights: 吨 / t / 公斤 / 万吨.
        assert_eq!(conv(3.0, "万吨", "吨"), 30_000.0);
        assert_eq!(conv(30_000.0, "t", "万吨"), 3.0);
        assert_eq!(conv(1500.0, "公斤", "吨"), 1.5);
        // Energy: 千瓦时 / kWh / 度 / 万千瓦时.
        assert_eq!(conv(25_000.0, "kWh", "万千瓦时"), 2.5);
        assert_eq!(conv(25_000.0, "度", "万千瓦时"), 2.5);
        assert_eq!(conv(2.5, "万度", "千瓦时"), 25_000.0);
        // Visits: 人次 / 万人次.
        assert_eq!(conv(35_000.0, "人次", "万人次"), 3.5);
        assert_eq!(conv(3.5, "万人次", "人·次"), 35_000.0);
        // Money: 亿元 / 元 / 百万元.
        assert_eq!(conv(150_000_000.0, "元", "亿元"), 1.5);
        assert_eq!(conv(3.0, "百万元", "万元"), 300.0);
        // Brackets and blanks as forms write them.
        assert_eq!(conv(95.0, "（%）", "%"), 95.0);
        assert_eq!(conv(95.0, "", "%"), 95.0);
        assert_eq!(conv(95.0, "—", "%"), 95.0);
    }

    #[test]
    fn a_unit_written_into_the_name_is_found() {
        for (name, head, unit) in [
            ("项目完成率/%", "项目完成率", "%"),
            ("人均补助标准/元/人", "人均补助标准", "元/人"),
            ("财政资金投入[万元]", "财政资金投入", "万元"),
            ("新建道路里程（单位：公里）", "新建道路里程", "公里"),
            ("改造面积(㎡)", "改造面积", "㎡"),
            ("受益人数【人次】", "受益人数", "人次"),
            (
                "综合造价（万元/公里）/万元/公里",
                "综合造价（万元/公里）",
                "万元/公里",
            ),
        ] {
            assert_eq!(unit_in_name(name), Some((head, unit)), "{name}");
        }
        for name in [
            "群众满意度",
            "道路养护完成率（年度）",
            "设备台/套购置完成率",
            "/%",
            "屋面防水工程（保修期限年）",
        ] {
            assert_eq!(unit_in_name(name), None, "{name}");
        }
    }

    #[test]
    fn units_that_do_not_convert_say_why() {
        let t = table();
        assert_eq!(
            t.factor("人", "%"),
            Err(UnitProblem::Incompatible {
                from: "人".into(),
                to: "%".into()
            })
        );
        // Working days are not calendar days.
        assert!(t.factor("个工作日", "天").is_err());
        assert_eq!(
            t.factor("公里(双向)", "公里"),
            Err(UnitProblem::Unknown("公里(双向)".into()))
        );
        assert_eq!(
            t.factor("个百分点", "%").unwrap_err().to_string(),
            "单位“个百分点”不能换算为“%”"
        );
    }

    #[test]
    fn agreement_tells_same_convertible_and_different_units() {
        let t = table();
        assert_eq!(t.agreement("％", "%"), Agreement::Same);
        assert_eq!(t.agreement("千米", "公里"), Agreement::Same);
        assert_eq!(t.agreement("元", "万元"), Agreement::Convertible);
        assert_eq!(t.agreement("人", "%"), Agreement::Different);
        assert_eq!(t.agreement("个工作日", "天"), Agreement::Related);
        // A unit cost written with its money unit alone: not another kind.
        assert_eq!(t.agreement("元", "元/功能点"), Agreement::Partial);
        assert_eq!(t.agreement("万元", "万元/座"), Agreement::Partial);
        assert!(t.factor("万元", "万元/座").is_err());
        assert_eq!(t.agreement("人", "元/人"), Agreement::Different);
        assert_eq!(t.agreement("", "%"), Agreement::Unknown);
        assert_eq!(t.agreement("某某", "%"), Agreement::Unknown);
        assert_eq!(t.kind("个工作日"), Some("time"));
        assert_eq!(t.kind("千元"), Some("money"));
        assert_eq!(t.kind("元每人"), Some("unit_cost"));
    }

    #[test]
    fn every_controlled_unit_and_spelling_resolves() {
        let t = table();
        let lib = crate::ingest::library::load_dir(&crate::ingest::library::default_dir()).unwrap();
        for u in &lib.catalog.units {
            assert_eq!(t.canonical(&u.name).as_deref(), Some(u.name.as_str()));
            assert!(t.quantity(&u.name).is_some(), "{}", u.name);
        }
        let raw: RawFile = toml::from_str(UNITS_TOML).unwrap();
        for u in &raw.units {
            for s in &u.spellings {
                assert_eq!(t.canonical(s).as_deref(), Some(u.name.as_str()), "{s}");
            }
        }
    }
}
