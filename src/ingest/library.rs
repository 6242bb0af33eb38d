//! Loads and validates the library files in `indicators/` (schema in indicators/README.md).
//!
//! Loading is all or nothing: every problem in every file is collected with its file and line,
//! and nothing is returned unless the whole library is valid, so neither `check` nor `serve`
//! can ever half-load it.

/// The loader's result; the type lives in `domain` so that the store can take it.
pub use crate::domain::Library;
use crate::domain::catalog::FunctionClass;
use crate::domain::{
    Basis, Catalog, Code, CostKind, Direction, Framework, Indicator, Level1Def, ProjectType,
    Provenance, Status, Term, Unit, ValueType,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(code) = &self.code {
            write!(f, ": [{code}]")?;
        } else {
            write!(f, ":")?;
        }
        write!(f, " {}", self.message)
    }
}

/// All problems found; the library is refused if there is any.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError(pub Vec<FileError>);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "指标库有 {} 处错误，未载入：", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLibrary {
    edition: String,
    title: String,
    framework: String,
    #[serde(default)]
    shared_aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrameworks {
    framework: Vec<Framework>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnits {
    units: Vec<Unit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunctions {
    #[serde(rename = "class")]
    classes: Vec<Spanned<FunctionClass>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTypes {
    groups: Vec<String>,
    sectors: Vec<String>,
    natures: BTreeMap<String, String>,
    #[serde(rename = "type")]
    types: Vec<Spanned<ProjectType>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicatorFile {
    #[serde(default)]
    indicator: Vec<Spanned<IndicatorInput>>,
}

/// An indicator exactly as written (in a library file, an API call, a form or a spreadsheet row); strings are checked against the catalog afterwards so that
/// every error can name its line and explain the allowed values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub level1: String,
    pub level2: String,
    #[serde(default)]
    pub definition: String,
    #[serde(default)]
    pub formula: String,
    pub value_type: String,
    pub direction: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub basis: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub basis_doc: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub valid_year: String,
    #[serde(default)]
    pub data_source: String,
    #[serde(default)]
    pub scoring: String,
    #[serde(default)]
    pub weight: i64,
    #[serde(default)]
    pub project_types: Vec<String>,
    #[serde(default)]
    pub natures: Vec<String>,
    #[serde(default)]
    pub core: Vec<String>,
    #[serde(default)]
    pub term: Option<String>,
    #[serde(default)]
    pub cost_kind: Option<String>,
    #[serde(default)]
    pub provenance: String,
}

impl From<&Indicator> for IndicatorInput {
    /// The indicator as it is written in a library file.
    fn from(i: &Indicator) -> IndicatorInput {
        IndicatorInput {
            code: i.code.to_string(),
            name: i.name.clone(),
            aliases: i.aliases.clone(),
            level1: i.level1.clone(),
            level2: i.level2.clone(),
            definition: i.definition.clone(),
            formula: i.formula.clone(),
            value_type: i.value_type.label().into(),
            direction: i.direction.label().into(),
            unit: i.unit.clone(),
            target: i.target.clone(),
            basis: i.basis.label().into(),
            basis_doc: i.basis_doc.clone(),
            valid_year: i.valid_year.clone(),
            data_source: i.data_source.clone(),
            scoring: i.scoring.clone(),
            weight: i.weight.into(),
            project_types: i.project_types.clone(),
            natures: i.natures.clone(),
            core: i.core.clone(),
            term: Some(i.term.label().into()),
            cost_kind: Some(
                i.cost_kind
                    .map(|k| k.label().to_string())
                    .unwrap_or_default(),
            ),
            provenance: i.provenance.label().into(),
        }
    }
}

/// Which rules files are read under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schema {
    /// Today's schema: what `check`, `serve` and every form obey.
    Current,
    /// The files of an edition already published (`indicators/editions/<name>/`): they were valid
    /// under the schema of their day, so fields required since (a type's `functions`, `basis_doc`
    /// for standard-based values, `functions.toml` itself) may be missing.
    Published,
}

/// Reads and validates the library in `dir`.
pub fn load_dir(dir: &Path) -> Result<Library, LoadError> {
    load_dir_as(dir, Schema::Current)
}

/// Reads the files of an edition already published, as they were when it was released: the
/// schema as then, without the fields required since and without the library rules of today.
pub fn load_published(dir: &Path) -> Result<Library, LoadError> {
    load_dir_as(dir, Schema::Published)
}

fn load_dir_as(dir: &Path, schema: Schema) -> Result<Library, LoadError> {
    let published = schema == Schema::Published;
    let mut errors = Vec::new();
    let mut hasher = Sha256::new();
    let mut read = |rel: &str, errors: &mut Vec<FileError>| -> Option<(PathBuf, String)> {
        let path = dir.join(rel);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                hasher.update(rel.as_bytes());
                hasher.update([0]);
                hasher.update(text.as_bytes());
                hasher.update([0]);
                Some((path, text))
            }
            Err(e) => {
                errors.push(FileError {
                    file: path,
                    line: None,
                    code: None,
                    message: format!("无法读取文件：{e}"),
                });
                None
            }
        }
    };

    let library: Option<RawLibrary> =
        read("library.toml", &mut errors).and_then(|(p, t)| parse_toml(&p, &t, &mut errors));
    let frameworks: Option<RawFrameworks> =
        read("framework.toml", &mut errors).and_then(|(p, t)| parse_toml(&p, &t, &mut errors));
    let units: Option<RawUnits> =
        read("units.toml", &mut errors).and_then(|(p, t)| parse_toml(&p, &t, &mut errors));
    let functions_file = if published && !dir.join("functions.toml").exists() {
        None
    } else {
        read("functions.toml", &mut errors)
    };
    let functions: Option<RawFunctions> = match &functions_file {
        None if published => Some(RawFunctions { classes: vec![] }),
        f => f.as_ref().and_then(|(p, t)| parse_toml(p, t, &mut errors)),
    };
    let types_file = read("project_types.toml", &mut errors);
    let types: Option<RawTypes> = types_file
        .as_ref()
        .and_then(|(p, t)| parse_toml(p, t, &mut errors));

    let mut indicator_files = Vec::new();
    for sub in ["common", "types"] {
        let mut names: Vec<String> = match std::fs::read_dir(dir.join(sub)) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect(),
            Err(e) => {
                errors.push(FileError {
                    file: dir.join(sub),
                    line: None,
                    code: None,
                    message: format!("无法读取目录：{e}"),
                });
                continue;
            }
        };
        names.sort();
        for n in names {
            if let Some(f) = read(&format!("{sub}/{n}"), &mut errors) {
                indicator_files.push(f);
            }
        }
    }
    let source_hash = format!("{:x}", hasher.finalize());

    let (Some(library), Some(frameworks), Some(units), Some(functions), Some(types)) =
        (library, frameworks, units, functions, types)
    else {
        return Err(LoadError(errors));
    };
    let functions = check_functions(functions, functions_file.as_ref(), &mut errors);
    // Two helpers appending the same unit would give it two kinds the checks could disagree on.
    let mut seen_units = HashSet::new();
    for u in &units.units {
        if !seen_units.insert(u.name.as_str()) {
            push_error(
                &mut errors,
                &dir.join("units.toml"),
                None,
                &u.name,
                format!("计量单位“{}”在 units.toml 中重复", u.name),
            );
        }
    }

    let types_path = types_file
        .as_ref()
        .map(|(p, _)| p.clone())
        .unwrap_or_default();
    let types_text = types_file.as_ref().map(|(_, t)| t.as_str()).unwrap_or("");
    let mut project_types = Vec::new();
    let mut seen_types = HashSet::new();
    for t in types.types {
        let line = Some(line_of(types_text, t.span().start));
        let t = t.into_inner();
        let mut bad = |message| push_error(&mut errors, &types_path, line, &t.code, message);
        if !seen_types.insert(t.code.clone()) {
            bad(format!("项目类型编码“{}”重复", t.code));
        }
        if !types.groups.contains(&t.group) {
            bad(format!("项目类型分组“{}”不在 groups 列表中", t.group));
        }
        if !t.framework.is_empty() && !frameworks.framework.iter().any(|f| f.code == t.framework) {
            bad(format!(
                "指标体系框架“{}”未在 framework.toml 中定义",
                t.framework
            ));
        }
        for s in &t.sectors {
            if !types.sectors.contains(s) {
                bad(format!("行业“{s}”不在 sectors 列表中"));
            }
        }
        for n in &t.natures {
            if !types.natures.contains_key(n) {
                bad(format!("支出性质“{n}”不在 [natures] 中"));
            }
        }
        if t.functions.is_empty() && !published {
            bad("项目类型未填写支出功能分类科目（functions）".into());
        }
        for f in &t.functions {
            if let Err(e) = known_function(&functions, f) {
                bad(e);
            }
        }
        project_types.push(t);
    }

    let catalog = Catalog {
        edition: library.edition,
        title: library.title,
        default_framework: library.framework,
        frameworks: frameworks.framework,
        units: units.units,
        groups: types.groups,
        sectors: types.sectors,
        natures: types.natures,
        project_types,
        functions,
        shared_aliases: library.shared_aliases,
    };
    if !catalog
        .frameworks
        .iter()
        .any(|f| f.code == catalog.default_framework)
    {
        errors.push(FileError {
            file: dir.join("library.toml"),
            line: None,
            code: None,
            message: format!(
                "默认框架“{}”未在 framework.toml 中定义",
                catalog.default_framework
            ),
        });
        return Err(LoadError(errors));
    }

    let mut indicators = Vec::new();
    let mut codes: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for (path, text) in &indicator_files {
        let Some(file) = parse_toml::<RawIndicatorFile>(path, text, &mut errors) else {
            continue;
        };
        for raw in file.indicator {
            let span = raw.span();
            let raw = raw.into_inner();
            // The span may cover only the `[[indicator]]` header: the table runs to the next one.
            let end = text[span.end..]
                .find("\n[[")
                .map_or(text.len(), |i| span.end + i);
            let table = &text[span.start..end];
            let at = |field: &str| line_of(text, span.start + field_offset(table, field));
            match validate_as(raw, &catalog, schema) {
                Ok(ind) => {
                    let line = at("code");
                    if let Some((f, l)) = codes.get(ind.code.as_str()) {
                        errors.push(FileError {
                            file: path.clone(),
                            line: Some(line),
                            code: Some(ind.code.to_string()),
                            message: format!("指标编码重复，已用于 {}:{l}", f.display()),
                        });
                    } else {
                        codes.insert(ind.code.to_string(), (path.clone(), line));
                        indicators.push(ind);
                    }
                }
                Err((code, problems)) => {
                    for (field, message) in problems {
                        errors.push(FileError {
                            file: path.clone(),
                            line: Some(at(field)),
                            code: code.clone(),
                            message,
                        });
                    }
                }
            }
        }
    }

    if errors.is_empty() {
        indicators.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Library {
            catalog,
            indicators,
            source_hash,
            origins: codes,
        })
    } else {
        Err(LoadError(errors))
    }
}

/// Records a problem of one catalog entry (a project type, a 类) at its line.
fn push_error(
    errors: &mut Vec<FileError>,
    file: &Path,
    line: Option<usize>,
    code: &str,
    message: String,
) {
    errors.push(FileError {
        file: file.to_path_buf(),
        line,
        code: Some(code.to_string()),
        message,
    });
}

/// Checks the 类/款 list (codes of the right length, each 款 under its 类, no repeats) and returns it.
fn check_functions(
    raw: RawFunctions,
    file: Option<&(PathBuf, String)>,
    errors: &mut Vec<FileError>,
) -> Vec<FunctionClass> {
    let (path, text) = file.map_or((PathBuf::new(), ""), |(p, t)| (p.clone(), t.as_str()));
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for c in raw.classes {
        let line = Some(line_of(text, c.span().start));
        let c = c.into_inner();
        let mut bad = |message| push_error(errors, &path, line, &c.code, message);
        if c.code.len() != 3 || !c.code.bytes().all(|b| b.is_ascii_digit()) {
            bad(format!("类级科目编码“{}”应为 3 位数字", c.code));
        }
        if c.name.trim().is_empty() {
            bad("科目名称为空".into());
        }
        for code in std::iter::once(&c.code).chain(c.items.iter().map(|i| &i.code)) {
            if !seen.insert(code.clone()) {
                bad(format!("科目编码“{code}”重复"));
            }
        }
        for i in &c.items {
            if i.code.len() != 5
                || !i.code.bytes().all(|b| b.is_ascii_digit())
                || !i.code.starts_with(&c.code)
            {
                bad(format!(
                    "款级科目编码“{}”应为以类级编码 {} 开头的 5 位数字",
                    i.code, c.code
                ));
            }
            if i.name.trim().is_empty() {
                bad(format!("款级科目“{}”名称为空", i.code));
            }
        }
        out.push(c);
    }
    out
}

/// A type's `functions` code must be a 类 or a 款 listed in functions.toml (a 款 implies its 类).
fn known_function(functions: &[FunctionClass], code: &str) -> Result<(), String> {
    let class = functions
        .iter()
        .find(|c| code.get(..3) == Some(c.code.as_str()));
    match (code.len(), class) {
        (3, Some(_)) => Ok(()),
        (5, Some(c)) if c.items.iter().any(|i| i.code == code) => Ok(()),
        (5, Some(c)) => Err(format!(
            "支出功能分类款级科目“{code}”不在 functions.toml 的“{} {}”下",
            c.code, c.name
        )),
        (3 | 5, None) => Err(format!(
            "支出功能分类科目“{code}”所属的类不在 functions.toml 中"
        )),
        _ => Err(format!(
            "支出功能分类科目“{code}”应为 3 位（类）或 5 位（款）编码"
        )),
    }
}

/// A TOML file's content, or its syntax error (with the line) added to `errors`.
pub(super) fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
    errors: &mut Vec<FileError>,
) -> Option<T> {
    match toml::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FileError {
                file: path.to_path_buf(),
                line: e.span().map(|s| line_of(text, s.start)),
                code: None,
                message: format!("TOML 格式错误：{}", e.message()),
            });
            None
        }
    }
}

/// The 1-based line of a byte offset, for file:line errors.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// Byte offset of the line `field = ...` inside one `[[indicator]]` table (0 when absent, so the
/// error points at the table itself).
fn field_offset(table: &str, field: &str) -> usize {
    let mut offset = 0;
    for line in table.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(field)
            && rest.trim_start().starts_with('=')
        {
            return offset;
        }
        offset += line.len();
    }
    0
}

/// (field, message) pairs.
pub type Problems = Vec<(&'static str, String)>;

/// Checks one indicator as written against the schema and the catalog: the indicator, or every
/// problem with the field it concerns.
pub fn validate(
    raw: IndicatorInput,
    catalog: &Catalog,
) -> Result<Indicator, (Option<String>, Problems)> {
    validate_as(raw, catalog, Schema::Current)
}

fn validate_as(
    raw: IndicatorInput,
    catalog: &Catalog,
    schema: Schema,
) -> Result<Indicator, (Option<String>, Problems)> {
    let mut p: Problems = Vec::new();
    let code = Code::parse(&raw.code).map_err(|e| p.push(("code", e))).ok();
    // Indicators of types with a framework of their own (部门整体支出) use its headings.
    let framework = if raw.natures.is_empty() {
        catalog.framework_for(&raw.project_types)
    } else {
        catalog.framework()
    };

    let name = raw.name.trim().to_string();
    if name.is_empty() {
        p.push(("name", "指标名称为空".into()));
    } else if name.chars().count() > 40 {
        p.push((
            "name",
            format!("指标名称过长（{} 个字）", name.chars().count()),
        ));
    }
    match framework.level1.iter().find(|l| l.name == raw.level1) {
        None => p.push((
            "level1",
            format!(
                "一级指标“{}”不在“{}”中（可选：{}）",
                raw.level1,
                framework.name,
                names(&framework.level1)
            ),
        )),
        Some(l1) if !l1.level2.contains(&raw.level2) => p.push((
            "level2",
            format!(
                "二级指标“{}”不属于一级指标“{}”（{}，可选：{}）",
                raw.level2,
                raw.level1,
                framework.name,
                l1.level2.join("、")
            ),
        )),
        Some(_) => {}
    }
    if raw.definition.trim().is_empty() {
        p.push(("definition", "缺少指标解释".into()));
    }
    let value_type = ValueType::parse(&raw.value_type)
        .map_err(|e| p.push(("value_type", e)))
        .ok();
    let direction = Direction::parse(&raw.direction)
        .map_err(|e| p.push(("direction", e)))
        .ok();
    match (value_type, direction) {
        (Some(ValueType::Quantitative), Some(Direction::Qualitative)) => p.push((
            "direction",
            "定量指标的方向应为 ≥、≤ 或 =，不能是“定性”".into(),
        )),
        (Some(ValueType::Qualitative), Some(d)) if d != Direction::Qualitative => p.push((
            "direction",
            format!("定性指标的方向应为“定性”，不能是“{d}”"),
        )),
        _ => {}
    }
    match catalog.unit(&raw.unit) {
        None if raw.unit.trim().is_empty() => p.push(("unit", "缺少计量单位".into())),
        None => p.push((
            "unit",
            format!(
                "计量单位“{}”不在计量单位受控列表中（见“指标体系说明”页）",
                raw.unit
            ),
        )),
        Some(u) => {
            let grade = u.kind == crate::domain::UnitKind::Grade;
            if value_type == Some(ValueType::Qualitative) && !grade {
                p.push((
                    "unit",
                    format!("定性指标的计量单位应为“等级”，不能是“{}”", raw.unit),
                ));
            }
            if value_type == Some(ValueType::Quantitative) && grade {
                p.push(("unit", "定量指标不能使用计量单位“等级”".into()));
            }
        }
    }
    let basis = if raw.basis.is_empty() {
        Ok(Basis::Other)
    } else {
        Basis::parse(&raw.basis)
    }
    .map_err(|e| p.push(("basis", e)))
    .ok();
    let basis_doc = raw.basis_doc.trim();
    if basis_doc.chars().count() > 200 {
        p.push(("basis_doc", "依据文件过长（最多 200 个字）".into()));
    } else if basis_doc.is_empty() {
        if let Some(b @ (Basis::Industry | Basis::Policy | Basis::Budget)) = basis
            && schema == Schema::Current
        {
            p.push((
                "basis_doc",
                format!("取值依据为“{b}”时须填写依据文件：《文件或标准名称》及文号、标准号"),
            ));
        }
    } else if !(basis_doc.contains('《') && basis_doc.contains('》')) {
        p.push((
            "basis_doc",
            format!("依据文件“{basis_doc}”应以书名号写明文件或标准名称，如《城镇污水处理厂污染物排放标准》（GB 18918-2002）"),
        ));
    }
    if let Err(e) = check_valid_year(raw.valid_year.trim()) {
        p.push(("valid_year", e));
    }
    if !(1..=100).contains(&raw.weight) {
        p.push(("weight", format!("分值 {} 超出范围（1–100）", raw.weight)));
    }
    for t in raw.project_types.iter().chain(&raw.core) {
        if catalog.project_type(t).is_none() {
            p.push((
                "project_types",
                format!("项目类型“{t}”不存在（可填编码或名称，见“按项目类型浏览”）"),
            ));
        }
    }
    for n in &raw.natures {
        if !catalog.natures.contains_key(n) {
            p.push(("natures", format!("支出性质“{n}”不存在")));
        }
    }
    if raw.project_types.is_empty() && raw.natures.is_empty() {
        p.push((
            "project_types",
            "未填写适用项目类型或适用支出性质（至少填一项）".into(),
        ));
    }
    let fits: HashSet<&str> = catalog
        .types_of(&raw.project_types, &raw.natures)
        .map(|t| t.code.as_str())
        .collect();
    for c in &raw.core {
        if catalog.project_type(c).is_some() && !fits.contains(c.as_str()) {
            p.push(("core", format!("核心类型“{c}”不在该指标适用的项目类型中")));
        }
    }
    let term = match raw.term.as_deref() {
        None | Some("") => Ok(Term::Annual),
        Some(t) => Term::parse(t),
    }
    .map_err(|e| p.push(("term", e)))
    .ok();
    let cost_kind = match raw.cost_kind.as_deref() {
        None | Some("") => Ok(None),
        Some(k) => CostKind::parse(k).map(Some),
    }
    .map_err(|e| p.push(("cost_kind", e)))
    .ok()
    .flatten();
    let cost = raw.level2.contains("成本");
    if cost_kind.is_some() && !cost {
        p.push((
            "cost_kind",
            "只有成本指标可以填写成本类型（cost_kind）".into(),
        ));
    }
    let provenance = if raw.provenance.is_empty() {
        Ok(Provenance::Local)
    } else {
        Provenance::parse(&raw.provenance)
    }
    .map_err(|e| p.push(("provenance", e)))
    .ok();

    if !p.is_empty() {
        return Err((code.map(|c| c.to_string()).or(Some(raw.code)), p));
    }
    let (Some(code), Some(value_type), Some(direction), Some(basis), Some(term), Some(provenance)) =
        (code, value_type, direction, basis, term, provenance)
    else {
        unreachable!("every None above recorded a problem")
    };
    let cost_kind = cost_kind.or(cost.then_some(CostKind::Economic));
    Ok(Indicator {
        code,
        name,
        aliases: raw
            .aliases
            .into_iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect(),
        level1: raw.level1,
        level2: raw.level2,
        definition: raw.definition.trim().to_string(),
        formula: raw.formula.trim().to_string(),
        value_type,
        direction,
        unit: raw.unit,
        target: raw.target.trim().to_string(),
        basis,
        basis_doc: raw.basis_doc.trim().to_string(),
        valid_year: raw.valid_year.trim().to_string(),
        data_source: raw.data_source,
        scoring: raw.scoring,
        weight: raw.weight as u32,
        project_types: raw.project_types,
        natures: raw.natures,
        core: raw.core,
        term,
        cost_kind,
        provenance,
        status: Status::Active,
    })
}

/// 适用年度: empty, a year (`2025`), a span (`2024—2026`) or an open start for a standard in force
/// until replaced (`2016起`), optionally followed by the region in full-width brackets
/// (`2025（云南省）`).
fn check_valid_year(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    let bad = || {
        format!(
            "适用年度“{v}”格式不对：应为年份（2025）、起止年份（2024—2026）或起始年份（2016起），可在其后用全角括号注明地区，如 2025（云南省）"
        )
    };
    let (years, region) = match v.split_once('（') {
        Some((y, r)) if r.ends_with('）') && r.chars().count() > 1 => (y, Some(r)),
        Some(_) => return Err(bad()),
        None => (v, None),
    };
    if region.is_some_and(|r| r.chars().count() > 30) {
        return Err(bad());
    }
    let year = |y: &str| {
        (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            .then(|| y.parse::<u32>().ok())
            .flatten()
            .filter(|y| (2000..=2100).contains(y))
    };
    let (from, to) = match (years.strip_suffix('起'), years.split_once('—')) {
        (Some(a), _) => (year(a), year(a)),
        (None, Some((a, b))) => (year(a), year(b)),
        (None, None) => (year(years), year(years)),
    };
    match (from, to) {
        (Some(a), Some(b)) if a <= b => Ok(()),
        _ => Err(bad()),
    }
}

fn names(l1: &[Level1Def]) -> String {
    l1.iter()
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

/// The bundled library folder: `./indicators` when run from the repository, else the copy next to
/// the crate's manifest (so `cargo run` works from any directory).
pub fn default_dir() -> PathBuf {
    let here = PathBuf::from("indicators");
    if here.join("library.toml").exists() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the bundled catalog files with one indicator file of our own.
    fn library_with(indicators_toml: &str) -> (tempfile::TempDir, Result<Library, LoadError>) {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators");
        for f in [
            "library.toml",
            "framework.toml",
            "units.toml",
            "functions.toml",
            "project_types.toml",
        ] {
            std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
        }
        std::fs::create_dir(dir.path().join("common")).unwrap();
        std::fs::create_dir(dir.path().join("types")).unwrap();
        std::fs::write(dir.path().join("types/road.toml"), indicators_toml).unwrap();
        let lib = load_dir(dir.path());
        (dir, lib)
    }

    const GOOD: &str = r#"
[[indicator]]
code = "DL-001"
name = "新建道路里程"
level1 = "产出指标"
level2 = "数量指标"
definition = "反映年度内新建并通过交工验收的城市道路长度。"
value_type = "定量"
direction = "≥"
unit = "公里"
target = "5"
basis = "计划标准"
data_source = "交工验收报告"
scoring = "完成值÷目标值×分值"
weight = 10
project_types = ["road"]
core = ["road"]
provenance = "地方参考"
"#;

    #[test]
    fn a_valid_indicator_loads_with_defaults_filled_in() {
        let (_d, lib) = library_with(GOOD);
        let lib = lib.unwrap();
        assert_eq!(lib.indicators.len(), 1);
        let i = &lib.indicators[0];
        assert_eq!(i.term, Term::Annual);
        assert_eq!(i.direction, Direction::AtLeast);
        assert_eq!(i.scope(), crate::domain::Scope::Specific);
    }

    fn only_error(toml: &str) -> FileError {
        let (_d, lib) = library_with(toml);
        let errs = lib.unwrap_err().0;
        assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
        errs.into_iter().next().unwrap()
    }

    #[test]
    fn an_unknown_unit_names_the_file_line_and_code() {
        let e = only_error(&GOOD.replace("unit = \"公里\"", "unit = \"公理\""));
        assert!(e.file.ends_with("types/road.toml"));
        assert_eq!(e.line, Some(10), "{e}");
        assert_eq!(e.code.as_deref(), Some("DL-001"));
        assert!(
            e.message.contains("公理") && e.message.contains("计量单位受控列表"),
            "{e}"
        );
    }

    #[test]
    fn a_direction_that_does_not_fit_the_value_type_is_refused() {
        let e = only_error(&GOOD.replace("direction = \"≥\"", "direction = \"定性\""));
        assert_eq!(e.line, Some(9));
        assert!(e.message.contains("定量指标的方向"), "{e}");
    }

    #[test]
    fn a_missing_definition_is_refused() {
        let e = only_error(&GOOD.replace(
            "definition = \"反映年度内新建并通过交工验收的城市道路长度。\"\n",
            "",
        ));
        assert!(e.message.contains("缺少指标解释"), "{e}");
    }

    #[test]
    fn a_level2_outside_its_level1_is_refused() {
        let e = only_error(&GOOD.replace("level2 = \"数量指标\"", "level2 = \"社会效益指标\""));
        assert_eq!(e.line, Some(6));
        assert!(e.message.contains("不属于一级指标"), "{e}");
    }

    #[test]
    fn duplicate_codes_point_at_the_first_use() {
        let (_d, lib) = library_with(&format!("{GOOD}\n{GOOD}"));
        let errs = lib.unwrap_err().0;
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("指标编码重复"), "{}", errs[0]);
    }

    #[test]
    fn toml_syntax_errors_carry_a_line() {
        let e = only_error("[[indicator]]\ncode = \"DL-001\nname = 1\n");
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("TOML"));
    }

    #[test]
    fn unknown_fields_are_refused_rather_than_ignored() {
        let e = only_error(&GOOD.replace("weight = 10", "weight = 10\nweigth = 3"));
        assert!(e.message.contains("weigth"), "{e}");
    }

    #[test]
    fn a_value_from_a_standard_names_its_document() {
        let e = only_error(&GOOD.replace("basis = \"计划标准\"", "basis = \"行业标准\""));
        assert!(e.message.contains("依据文件"), "{e}");
        let e = only_error(&GOOD.replace(
            "basis = \"计划标准\"",
            "basis = \"政策标准\"\nbasis_doc = \"省里的文件\"",
        ));
        assert!(e.message.contains("书名号"), "{e}");
        let (_d, lib) = library_with(&GOOD.replace(
            "basis = \"计划标准\"",
            "basis = \"预算支出标准\"\nbasis_doc = \"《中央和国家机关培训费管理办法》（财行〔2016〕540号）\"",
        ));
        assert_eq!(
            lib.unwrap().indicators[0].basis_doc,
            "《中央和国家机关培训费管理办法》（财行〔2016〕540号）"
        );
    }

    #[test]
    fn valid_years_are_a_year_or_a_span_with_an_optional_region() {
        for ok in ["", "2025", "2024—2026", "2016起", "2025（云南省）"] {
            assert!(check_valid_year(ok).is_ok(), "{ok}");
        }
        for bad in [
            "25",
            "2025年",
            "2026—2024",
            "2024-2026",
            "2025（",
            "二〇二五",
        ] {
            assert!(check_valid_year(bad).is_err(), "{bad}");
        }
        let e = only_error(&GOOD.replace("weight = 10", "weight = 10\nvalid_year = \"今年\""));
        assert!(e.message.contains("适用年度"), "{e}");
    }

    /// The bundled catalog files, with project_types.toml changed by `edit`, and no indicators.
    fn catalog_with_types(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let src = default_dir();
        for f in [
            "library.toml",
            "framework.toml",
            "units.toml",
            "functions.toml",
        ] {
            std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
        }
        let types = std::fs::read_to_string(src.join("project_types.toml")).unwrap();
        std::fs::write(dir.path().join("project_types.toml"), edit(&types)).unwrap();
        std::fs::create_dir(dir.path().join("common")).unwrap();
        std::fs::create_dir(dir.path().join("types")).unwrap();
        dir
    }

    #[test]
    fn a_unit_listed_twice_is_refused() {
        let dir = catalog_with_types(|t| t.to_string());
        let units = std::fs::read_to_string(dir.path().join("units.toml")).unwrap();
        let twice = units.replacen(
            "units = [",
            "units = [\n  { name = \"万元/处\", kind = \"money\" },",
            1,
        );
        std::fs::write(dir.path().join("units.toml"), twice).unwrap();
        let errs = load_dir(dir.path()).unwrap_err().0;
        assert!(
            errs.iter()
                .any(|e| e.message.contains("万元/处") && e.message.contains("重复")),
            "{errs:?}"
        );
    }

    #[test]
    fn a_type_must_name_known_functional_codes() {
        let dir = catalog_with_types(|types| {
            types
                .replacen("functions = [\"21203\"]", "functions = [\"21204\"]", 1)
                .replacen("functions = [\"21203\"]", "functions = [\"999\"]", 1)
                .replacen("functions = [\"21203\"]", "functions = []", 1)
        });
        let errs = load_dir(dir.path()).unwrap_err().0;
        let messages: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("21204") && m.contains("城乡社区支出")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("999")), "{messages:?}");
        assert!(
            messages.iter().any(|m| m.contains("未填写支出功能分类")),
            "{messages:?}"
        );
        assert!(errs.iter().all(|e| e.line.is_some()), "{errs:?}");
    }

    /// 部门整体支出: a type on the `department` framework takes 决策/过程 headings, where budget
    /// execution is a process measure; the local headings are refused for it.
    #[test]
    fn a_type_on_the_department_framework_uses_its_headings() {
        let dir = catalog_with_types(|types| {
            types.to_string()
                + r#"
[[type]]
code = "dept_whole"
prefix = "BM"
name = "部门整体支出"
group = "专项业务"
sectors = ["一般公共服务"]
natures = []
functions = ["201"]
framework = "department"
"#
        });
        let process = GOOD
            .replace("DL-001", "BM-001")
            .replace("新建道路里程", "部门预算执行率")
            .replace("产出指标", "过程指标")
            .replace("数量指标", "预算执行指标")
            .replace(
                "unit = \"公里\"",
                "unit = \"%\"\nformula = \"实际支出÷预算数×100%\"",
            )
            .replace("target = \"5\"", "target = \"95\"")
            .replace("\"road\"", "\"dept_whole\"");
        std::fs::write(dir.path().join("types/dept_whole.toml"), &process).unwrap();
        let lib = load_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let findings = crate::domain::quality::check_library(&lib.catalog, &lib.indicators);
        assert!(
            !findings.iter().any(|f| f.rule == "input-as-output"),
            "{findings:?}"
        );
        let local = process
            .replace("过程指标", "产出指标")
            .replace("预算执行指标", "数量指标");
        std::fs::write(dir.path().join("types/dept_whole.toml"), local).unwrap();
        let errs = load_dir(dir.path()).unwrap_err().0;
        assert!(
            errs.iter().any(|e| e.message.contains("部门整体支出框架")),
            "{errs:?}"
        );
    }

    #[test]
    fn the_bundled_library_loads() {
        let lib = load_dir(&default_dir()).unwrap_or_else(|e| panic!("{e}"));
        assert!(lib.indicators.len() >= 120);
        assert!(lib.catalog.project_types.len() >= 5);
        // Every type is budgeted under a 类 that functions.toml lists.
        for t in &lib.catalog.project_types {
            assert!(!lib.catalog.classes_of(t).is_empty(), "{}", t.code);
        }
    }
}
