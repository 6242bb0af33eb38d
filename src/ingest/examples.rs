//! Loads the worked examples in `training/examples/` (one file per project type; schema in
//! `training/README.md`).
//!
//! Like the library, loading is all or nothing with file and line for every problem: a broken
//! example must stop the server rather than show a trainer a half-read table.

use super::library::{line_of, parse_toml};
use super::{FileError, LoadError};
use crate::domain::training::Example;
use crate::domain::{Catalog, Direction, DraftRow, Indicator};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    project_type: String,
    title: String,
    #[serde(default)]
    unit_name: String,
    description: String,
    budget_wan: f64,
    note: String,
    bad: Vec<Spanned<RawRow>>,
    good: Vec<Spanned<RawRow>>,
}

/// A row as written: either taken from the library (`indicator`, optionally with its own
/// target) or written out in full, as budget units do.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    #[serde(default)]
    indicator: Option<String>,
    #[serde(default)]
    level1: Option<String>,
    #[serde(default)]
    level2: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    explanation: Option<String>,
}

/// The examples folder next to the library: `./training/examples` from the repository, else the
/// copy beside the crate's manifest.
pub fn default_dir() -> PathBuf {
    let here = PathBuf::from("training/examples");
    if here.is_dir() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("training/examples")
    }
}

/// Reads every `*.toml` in `dir`, checked against the catalog and the library's indicators.
/// The result is in the catalog's project-type order.
pub fn load_dir(
    dir: &Path,
    catalog: &Catalog,
    indicators: &[Indicator],
) -> Result<Vec<Example>, LoadError> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let by_code: HashMap<&str, &Indicator> =
        indicators.iter().map(|i| (i.code.as_str(), i)).collect();
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) => {
            return Err(LoadError(vec![FileError {
                file: dir.to_path_buf(),
                line: None,
                code: None,
                message: format!("无法读取示例目录：{e}"),
            }]));
        }
    };
    paths.sort();
    for path in paths {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(FileError {
                    file: path.clone(),
                    line: None,
                    code: None,
                    message: format!("无法读取：{e}"),
                });
                continue;
            }
        };
        if let Some(ex) = parse_one(&path, &text, catalog, &by_code, &mut errors) {
            out.push(ex);
        }
    }
    if !errors.is_empty() {
        return Err(LoadError(errors));
    }
    let order = |t: &str| catalog.project_types.iter().position(|p| p.code == t);
    out.sort_by_key(|e| order(&e.project_type));
    Ok(out)
}

fn parse_one(
    path: &Path,
    text: &str,
    catalog: &Catalog,
    library: &HashMap<&str, &Indicator>,
    errors: &mut Vec<FileError>,
) -> Option<Example> {
    let raw: RawExample = parse_toml(path, text, errors)?;
    let before = errors.len();
    let mut err = |line: usize, message: String| {
        errors.push(FileError {
            file: path.to_path_buf(),
            line: Some(line),
            code: None,
            message,
        })
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let Some(ptype) = catalog.project_type(&raw.project_type) else {
        err(1, format!("项目类型“{}”不存在", raw.project_type));
        return None;
    };
    if stem != raw.project_type {
        err(
            1,
            format!(
                "文件名应与项目类型一致：{}.toml（现为 {stem}.toml）",
                raw.project_type
            ),
        );
    }
    if raw.title.trim().is_empty() || raw.description.trim().is_empty() {
        err(1, "项目名称和项目概述不能为空".into());
    }
    if raw.budget_wan.is_nan() || raw.budget_wan <= 0.0 {
        err(1, "预算金额（万元）须为正数".into());
    }
    if raw.bad.is_empty() || raw.good.is_empty() {
        err(1, "须有反例（[[bad]]）和正例（[[good]]）各至少一行".into());
    }
    // A 部门整体支出 example is written under its type's framework (决策/过程/产出/效益).
    let fw = catalog.framework_of(ptype);
    let rows = |list: Vec<Spanned<RawRow>>, good: bool, err: &mut dyn FnMut(usize, String)| {
        let mut out = Vec::new();
        for s in list {
            let line = line_of(text, s.span().start);
            let r = s.into_inner();
            let mut row = match &r.indicator {
                Some(code) => match library.get(code.as_str()) {
                    Some(ind) => {
                        if good && !ind.fits(ptype) {
                            err(
                                line,
                                format!("指标 {code}“{}”不适用于项目类型 {}", ind.name, ptype.name),
                            );
                        }
                        DraftRow::from_indicator(ind, None)
                    }
                    None => {
                        err(line, format!("指标库中没有编码为“{code}”的指标"));
                        continue;
                    }
                },
                None => {
                    let (Some(l1), Some(l2), Some(name), Some(_)) =
                        (&r.level1, &r.level2, &r.name, &r.direction)
                    else {
                        err(
                            line,
                            "未引用指标库（indicator）的行须写明 level1、level2、name、direction"
                                .into(),
                        );
                        continue;
                    };
                    DraftRow {
                        level1: l1.clone(),
                        level2: l2.clone(),
                        name: name.clone(),
                        indicator: None,
                        revision: None,
                        direction: Direction::Qualitative,
                        target: String::new(),
                        unit: String::new(),
                        explanation: String::new(),
                        confirmed: false,
                    }
                }
            };
            if let Some(d) = &r.direction {
                match Direction::parse_typed(d) {
                    Some(d) => row.direction = d,
                    None => err(line, format!("指标方向“{d}”无效（可选：≥、≤、=、定性）")),
                }
            }
            if let Some(v) = r.level1 {
                row.level1 = v;
            }
            if let Some(v) = r.level2 {
                row.level2 = v;
            }
            if let Some(v) = r.name {
                row.name = v;
            }
            if let Some(v) = r.target {
                row.target = v;
            }
            if let Some(v) = r.unit {
                row.unit = v;
            }
            if let Some(v) = r.explanation {
                row.explanation = v;
            }
            // Bad rows may sit under a wrong heading (that is the lesson); they must still name
            // headings that exist, or the slide could not place them.
            match fw.level1.iter().find(|l| l.name == row.level1) {
                None => err(line, format!("一级指标“{}”不在指标体系中", row.level1)),
                Some(l1) if !l1.level2.contains(&row.level2) => err(
                    line,
                    format!("二级指标“{}”不属于“{}”", row.level2, row.level1),
                ),
                _ => {}
            }
            if good && !row.unit.is_empty() && catalog.unit(&row.unit).is_none() {
                err(line, format!("计量单位“{}”不在受控列表中", row.unit));
            }
            out.push(row);
        }
        out
    };
    let bad = rows(raw.bad, false, &mut err);
    let good = rows(raw.good, true, &mut err);
    if errors.len() > before {
        return None;
    }
    Some(Example {
        project_type: raw.project_type,
        title: raw.title,
        unit_name: raw.unit_name,
        description: raw.description,
        budget_wan: raw.budget_wan,
        note: raw.note,
        bad,
        good,
        source: format!(
            "training/examples/{}",
            path.file_name().and_then(|f| f.to_str()).unwrap_or("")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;

    fn load(files: &[(&str, &str)]) -> Result<Vec<Example>, LoadError> {
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        load_dir(dir.path(), &lib.catalog, &lib.indicators)
    }

    const GOOD: &str = r#"project_type = "road"
title = "某区道路改造"
description = "改造道路 2 公里。"
budget_wan = 900
note = "说明"

[[bad]]
level1 = "产出指标"
level2 = "数量指标"
name = "道路改造"
direction = "定性"
target = "完成"

[[good]]
indicator = "DL-002"
target = "2"
"#;

    #[test]
    fn a_valid_file_loads_with_library_rows_filled_in() {
        let ex = load(&[("road.toml", GOOD)]).unwrap();
        assert_eq!(ex.len(), 1);
        let g = &ex[0].good[0];
        assert_eq!(g.name, "改造提升道路里程");
        assert_eq!((g.target.as_str(), g.unit.as_str()), ("2", "公里"));
        assert_eq!(ex[0].bad[0].direction, Direction::Qualitative);
    }

    /// A 部门整体支出 example names the department framework's headings; the same headings in a road
    /// example are refused.
    #[test]
    fn an_example_uses_its_types_framework() {
        // The road example moved to the department framework: a 职责履行 heading, BM-006 under
        // 过程指标 and a row written out under 决策指标.
        let dept = GOOD
            .replace("\"road\"", "\"department_overall\"")
            .replace("\"数量指标\"", "\"职责履行数量指标\"")
            .replace("\"DL-002\"\ntarget = \"2\"", "\"BM-006\"")
            + "\n[[good]]\nlevel1 = \"决策指标\"\nlevel2 = \"目标设定指标\"\nname = \"绩效指标量化率\"\ndirection = \"≥\"\ntarget = \"80\"\nunit = \"%\"\n";
        let ex = load(&[("department_overall.toml", &dept)]).unwrap();
        assert_eq!(ex[0].good[0].level1, "过程指标");
        let road = GOOD.replace(
            "level1 = \"产出指标\"\nlevel2 = \"数量指标\"",
            "level1 = \"决策指标\"\nlevel2 = \"目标设定指标\"",
        );
        let e = load(&[("road.toml", &road)]).unwrap_err().to_string();
        assert!(e.contains("决策指标"), "{e}");
    }

    #[test]
    fn problems_name_the_file_and_line() {
        let broken = GOOD
            .replace("indicator = \"DL-002\"", "indicator = \"DL-999\"")
            .replace("level2 = \"数量指标\"", "level2 = \"经济效益指标\"");
        let e = load(&[("road.toml", &broken)]).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("road.toml:7") && text.contains("不属于"),
            "{text}"
        );
        assert!(
            text.contains("road.toml:14") && text.contains("DL-999"),
            "{text}"
        );
        let e = load(&[("pipe.toml", GOOD)]).unwrap_err().to_string();
        assert!(e.contains("文件名应与项目类型一致"), "{e}");
        let e = load(&[("road.toml", "title = ")]).unwrap_err().to_string();
        assert!(e.contains("road.toml:1") && e.contains("TOML"), "{e}");
    }
}
