//! The catalog around the indicators: frameworks, units, project types, spending natures.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What kind of quantity a unit measures; the value/unit consistency rules key on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Count,
    Length,
    Area,
    Volume,
    Weight,
    Power,
    Rate,
    Money,
    UnitCost,
    Time,
    Score,
    Grade,
    Measure,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub name: String,
    pub kind: UnitKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level1Def {
    pub name: String,
    pub level2: Vec<String>,
}

/// One version of the three-level framework (e.g. the local one with cost under output, or the
/// 2021 central one with cost as its own level 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Framework {
    pub code: String,
    pub name: String,
    pub level1: Vec<Level1Def>,
}

impl Framework {
    pub fn level1_of(&self, level2: &str) -> Option<&str> {
        self.level1
            .iter()
            .find(|l1| l1.level2.iter().any(|l2| l2 == level2))
            .map(|l1| l1.name.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectType {
    pub code: String,
    #[serde(default)]
    pub prefix: String,
    pub name: String,
    pub group: String,
    #[serde(default)]
    pub subgroup: String,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub natures: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// 支出功能分类科目 codes the type's projects are budgeted under: 类 (3 digits) or 款 (5 digits).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<String>,
    /// The framework its indicators are written against when not the library's default
    /// (`department` for 部门整体支出).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub framework: String,
}

/// One 款 (5-digit code) of the 支出功能分类科目.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionItem {
    pub code: String,
    pub name: String,
}

/// One 类 (3-digit code) of the 支出功能分类科目 with the 款 a county budget uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionClass {
    pub code: String,
    pub name: String,
    /// Whether a 区县 budget carries project spending (and so performance targets) under it.
    #[serde(default)]
    pub project_spending: bool,
    #[serde(default)]
    pub items: Vec<FunctionItem>,
}

/// Everything but the indicators: stored beside them so that the store is self-contained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub edition: String,
    pub title: String,
    pub default_framework: String,
    pub frameworks: Vec<Framework>,
    pub units: Vec<Unit>,
    pub groups: Vec<String>,
    pub sectors: Vec<String>,
    /// Spending nature code -> label (construction -> 工程建设类).
    pub natures: BTreeMap<String, String>,
    pub project_types: Vec<ProjectType>,
    /// 支出功能分类科目 (functions.toml); empty in stores written before it existed.
    #[serde(default)]
    pub functions: Vec<FunctionClass>,
    /// Aliases several indicators may carry on purpose (library.toml `shared_aliases`).
    #[serde(default)]
    pub shared_aliases: Vec<String>,
}

impl Catalog {
    pub fn framework(&self) -> &Framework {
        self.frameworks
            .iter()
            .find(|f| f.code == self.default_framework)
            .or_else(|| self.frameworks.first())
            .expect("a catalog always has a framework")
    }

    /// Every level 1 with its level 2 headings over all frameworks: the default framework's first,
    /// then the headings only another framework has (部门整体支出's 决策/过程, 职责履行…), so that
    /// a listing by heading leaves no indicator out.
    pub fn headings(&self) -> Vec<Level1Def> {
        let mut out: Vec<Level1Def> = self.framework().level1.clone();
        for f in &self.frameworks {
            for l1 in &f.level1 {
                let at = match out.iter().position(|o| o.name == l1.name) {
                    Some(at) => at,
                    None => {
                        out.push(Level1Def {
                            name: l1.name.clone(),
                            level2: Vec::new(),
                        });
                        out.len() - 1
                    }
                };
                for l2 in &l1.level2 {
                    if !out[at].level2.contains(l2) {
                        out[at].level2.push(l2.clone());
                    }
                }
            }
        }
        out
    }

    /// The framework a project type's indicators are written against.
    pub fn framework_of(&self, t: &ProjectType) -> &Framework {
        self.frameworks
            .iter()
            .find(|f| !t.framework.is_empty() && f.code == t.framework)
            .unwrap_or_else(|| self.framework())
    }

    /// The framework an indicator written for these project types is checked against: the
    /// types' own when they all share one, else the default (common indicators, mixed types).
    pub fn framework_for(&self, project_types: &[String]) -> &Framework {
        let mut own = project_types
            .iter()
            .filter_map(|c| self.project_type(c))
            .map(|t| self.framework_of(t));
        match own.next() {
            Some(first) if own.all(|f| f.code == first.code) => first,
            _ => self.framework(),
        }
    }

    pub fn unit(&self, name: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.name == name)
    }

    pub fn project_type(&self, code: &str) -> Option<&ProjectType> {
        self.project_types.iter().find(|t| t.code == code)
    }

    /// Every project type as (code, name), in the catalog's order: the choices of a type filter.
    pub fn type_choices(&self) -> Vec<(String, String)> {
        self.project_types
            .iter()
            .map(|t| (t.code.clone(), t.name.clone()))
            .collect()
    }

    pub fn project_type_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.project_type(code).map_or(code, |t| t.name.as_str())
    }

    /// The 类 a 类 or 款 code belongs to (its first three digits).
    pub fn function_class(&self, code: &str) -> Option<&FunctionClass> {
        let class = code.get(..3)?;
        self.functions.iter().find(|c| c.code == class)
    }

    /// The official name of a 类 or 款 code, when it is in functions.toml.
    pub fn function_name(&self, code: &str) -> Option<&str> {
        let class = self.function_class(code)?;
        if code.len() == 3 {
            return Some(&class.name);
        }
        class
            .items
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.name.as_str())
    }

    /// The 类 a project type is budgeted under, each once, in the order of its codes.
    pub fn classes_of(&self, t: &ProjectType) -> Vec<&FunctionClass> {
        let mut out: Vec<&FunctionClass> = Vec::new();
        for c in t.functions.iter().filter_map(|f| self.function_class(f)) {
            if !out.iter().any(|o| o.code == c.code) {
                out.push(c);
            }
        }
        out
    }

    /// The project types an indicator fits: named directly, or sharing a spending nature.
    pub fn types_of<'a>(
        &'a self,
        project_types: &'a [String],
        natures: &'a [String],
    ) -> impl Iterator<Item = &'a ProjectType> + 'a {
        self.project_types.iter().filter(move |t| {
            project_types.contains(&t.code) || t.natures.iter().any(|n| natures.contains(n))
        })
    }

    /// A catalog for a corpus that only names its project types and levels (the peers' format):
    /// the local framework, the bundled units, and one project type per distinct name.
    pub fn for_corpus(type_names: &[String], base: &Catalog) -> Catalog {
        let mut c = base.clone();
        c.edition = "corpus".into();
        c.title = "外部语料".into();
        c.project_types = type_names
            .iter()
            .map(|n| ProjectType {
                code: n.clone(),
                prefix: String::new(),
                name: n.clone(),
                group: "外部语料".into(),
                subgroup: String::new(),
                sectors: vec![],
                natures: vec![],
                keywords: vec![],
                description: String::new(),
                functions: vec![],
                framework: String::new(),
            })
            .collect();
        c
    }
}

#[cfg(test)]
mod tests {
    use crate::ingest::library::{default_dir, load_dir};

    /// A listing by heading (handbook, filters) must reach the 部门整体支出 indicators filed under
    /// the department framework's headings, after the default framework's own.
    #[test]
    fn headings_cover_every_framework_default_first() {
        let lib = load_dir(&default_dir()).unwrap();
        let c = &lib.catalog;
        let h = c.headings();
        let names: Vec<&str> = h.iter().map(|l| l.name.as_str()).collect();
        let default: Vec<&str> = c
            .framework()
            .level1
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        assert_eq!(&names[..default.len()], &default[..]);
        for i in &lib.indicators {
            assert!(
                h.iter()
                    .any(|l| l.name == i.level1 && l.level2.contains(&i.level2)),
                "{} {}/{} has no heading",
                i.code,
                i.level1,
                i.level2
            );
        }
        assert!(names.contains(&"决策指标") && names.contains(&"过程指标"));
    }
}
