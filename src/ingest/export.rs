//! Exports of the whole library: JSON Lines (one indicator per line) and CSV (one per row, with
//! Chinese headers and a byte-order mark so that Excel opens it as UTF-8).

use crate::domain::{Catalog, Indicator};
use std::io::Write;

pub fn jsonl<W: Write>(out: &mut W, indicators: &[Indicator]) -> std::io::Result<()> {
    for i in indicators {
        serde_json::to_writer(&mut *out, i)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

pub const CSV_HEADER: [&str; 22] = [
    "编码",
    "指标名称",
    "别名",
    "一级指标",
    "二级指标",
    "指标解释",
    "计算公式",
    "指标值类型",
    "指标方向",
    "计量单位",
    "参考值",
    "取值依据",
    "数据来源",
    "评(扣)分标准",
    "分值",
    "适用项目类型",
    "适用支出性质",
    "核心指标类型",
    "适用范围",
    "目标期限",
    "来源",
    "状态",
];

pub fn csv<W: Write>(out: &mut W, indicators: &[Indicator], catalog: &Catalog) -> csv::Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    for i in indicators {
        let types: Vec<&str> = i
            .project_types
            .iter()
            .map(|t| catalog.project_type_name(t))
            .collect();
        let core: Vec<&str> = i
            .core
            .iter()
            .map(|t| catalog.project_type_name(t))
            .collect();
        let natures: Vec<&str> = i
            .natures
            .iter()
            .map(|n| catalog.natures.get(n).map_or(n.as_str(), String::as_str))
            .collect();
        w.write_record([
            i.code.as_str(),
            &i.name,
            &i.aliases.join("、"),
            &i.level1,
            &i.level2,
            &i.definition,
            &i.formula,
            i.value_type.label(),
            i.direction.label(),
            &i.unit,
            &i.target,
            i.basis.label(),
            &i.data_source,
            &i.scoring,
            &i.weight.to_string(),
            &types.join("、"),
            &natures.join("、"),
            &core.join("、"),
            i.scope().label(),
            i.term.label(),
            i.provenance.label(),
            if i.is_active() { "启用" } else { "停用" },
        ])?;
    }
    w.flush()?;
    Ok(())
}
