//! Exports of the whole library: JSON Lines (one indicator per line) and CSV (one per row, with
//! Chinese headers and a byte-order mark so that Excel opens it as UTF-8, formulas neutralised).

use crate::domain::{Catalog, Indicator};
use std::io::Write;

pub fn jsonl<W: Write>(out: &mut W, indicators: &[Indicator]) -> std::io::Result<()> {
    for i in indicators {
        serde_json::to_writer(&mut *out, i)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

pub const CSV_HEADER: [&str; 24] = [
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
    "依据文件",
    "适用年度",
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
    let mut w = super::csv_safe::Writer::new(out)?;
    w.row(CSV_HEADER)?;
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
        w.row([
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
            &i.basis_doc,
            &i.valid_year,
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
    w.finish()
}

/// Files copied unchanged from the source library: the catalog is not edited through proposals.
const CATALOG_FILES: &[&str] = &[
    "framework.toml",
    "units.toml",
    "functions.toml",
    "project_types.toml",
    "review_rules.toml",
    "README.md",
    "CHANGELOG.md",
];

/// Writes `indicators` as a library folder at `to` for edition `edition`, in the layout of
/// `indicators/` (common indicators by spending nature, the others by project type), so that
/// loading it back gives the same indicators. The catalog files come from `from`.
///
/// The folder is written beside `to` first and swapped in at the end: a failure half-way leaves
/// the old folder untouched.
pub fn library_dir(
    to: &std::path::Path,
    from: &std::path::Path,
    edition: &str,
    indicators: &[Indicator],
) -> anyhow::Result<usize> {
    use crate::ingest::library::IndicatorInput;
    use anyhow::Context;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct File<'a> {
        indicator: &'a [IndicatorInput],
    }

    let parent = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(parent)?;
    let tmp = tempfile::Builder::new()
        .prefix(".zhibiao-export-")
        .tempdir_in(parent)
        .with_context(|| format!("无法在 {} 建立临时目录", parent.display()))?;
    let out = tmp.path();
    for f in CATALOG_FILES {
        let src = from.join(f);
        if src.exists() {
            std::fs::copy(&src, out.join(f))
                .with_context(|| format!("无法复制 {}", src.display()))?;
        }
    }
    let lib_toml = std::fs::read_to_string(from.join("library.toml"))
        .with_context(|| format!("无法读取 {}", from.join("library.toml").display()))?;
    let mut edited = String::new();
    for line in lib_toml.lines() {
        if line.trim_start().starts_with("edition") {
            edited.push_str(&format!("edition = {}\n", toml::Value::from(edition)));
        } else {
            edited.push_str(line);
            edited.push('\n');
        }
    }
    std::fs::write(out.join("library.toml"), edited)?;

    let mut files: BTreeMap<String, Vec<IndicatorInput>> = BTreeMap::new();
    let mut n = 0;
    for i in indicators.iter().filter(|i| i.is_active()) {
        let file = match (i.natures.first(), i.project_types.first()) {
            (Some(nature), _) => format!("common/{nature}.toml"),
            (None, Some(t)) => format!("types/{t}.toml"),
            (None, None) => "types/other.toml".to_string(),
        };
        files.entry(file).or_default().push(IndicatorInput::from(i));
        n += 1;
    }
    std::fs::create_dir_all(out.join("common"))?;
    std::fs::create_dir_all(out.join("types"))?;
    for (file, mut inds) in files {
        inds.sort_by(|a, b| a.code.cmp(&b.code));
        let body = toml::to_string(&File { indicator: &inds })?;
        let header = format!("# 由 zhibiao export 自 {edition} 版导出，请经审核流程修改。\n\n");
        std::fs::write(out.join(&file), header + &body)?;
    }
    let tmp = tmp.keep();
    if to.exists() {
        let old = parent.join(format!(
            ".zhibiao-old-{}",
            to.file_name().and_then(|n| n.to_str()).unwrap_or("library")
        ));
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(to, &old).with_context(|| format!("无法替换 {}", to.display()))?;
        std::fs::rename(&tmp, to)?;
        std::fs::remove_dir_all(&old)?;
    } else {
        std::fs::rename(&tmp, to)?;
    }
    Ok(n)
}
