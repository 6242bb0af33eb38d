//! The library as browsed: project types by group or by 支出功能分类 类 with their indicator
//! counts, and the library as one project type sees it (its framework's headings with the
//! indicators that fit the type under each, core first).

use super::quality::Stats;
use super::{Catalog, Indicator, ProjectType};

/// A project type with its indicator count and core count.
pub type TypeCount = (ProjectType, usize, usize);

/// One 类 of the 支出功能分类科目: code, name, whether a county budget has project spending
/// under it, and its project types.
pub struct ClassView {
    pub code: String,
    pub name: String,
    pub project_spending: bool,
    pub types: Vec<TypeCount>,
}

/// The project types of each type group, in the catalog's order.
pub fn groups(catalog: &Catalog) -> Vec<(String, Vec<ProjectType>)> {
    catalog
        .groups
        .iter()
        .map(|g| {
            (
                g.clone(),
                catalog
                    .project_types
                    .iter()
                    .filter(|t| &t.group == g)
                    .cloned()
                    .collect(),
            )
        })
        .collect()
}

fn count(stats: &Stats, t: ProjectType) -> TypeCount {
    let s = stats.by_type.iter().find(|s| s.code == t.code);
    (t, s.map_or(0, |s| s.total), s.map_or(0, |s| s.core))
}

/// `groups` with each type's counts.
pub fn counted_groups(catalog: &Catalog, stats: &Stats) -> Vec<(String, Vec<TypeCount>)> {
    groups(catalog)
        .into_iter()
        .map(|(g, types)| (g, types.into_iter().map(|t| count(stats, t)).collect()))
        .collect()
}

/// The 类 with project spending or with a project type, each with its types and their counts.
pub fn classes(catalog: &Catalog, stats: &Stats) -> Vec<ClassView> {
    catalog
        .functions
        .iter()
        .map(|c| ClassView {
            code: c.code.clone(),
            name: c.name.clone(),
            project_spending: c.project_spending,
            types: catalog
                .project_types
                .iter()
                .filter(|t| catalog.classes_of(t).iter().any(|k| k.code == c.code))
                .cloned()
                .map(|t| count(stats, t))
                .collect(),
        })
        .filter(|c| c.project_spending || !c.types.is_empty())
        .collect()
}

pub struct Level2Block {
    pub name: String,
    /// Each indicator with whether it is core for the type.
    pub indicators: Vec<(Indicator, bool)>,
}

pub struct Level1Block {
    pub name: String,
    pub level2: Vec<Level2Block>,
}

/// The active indicators of `all` that fit `t`, under the headings of its framework; empty
/// level-2 headings are left out.
pub fn type_tree(catalog: &Catalog, t: &ProjectType, fits: &[&Indicator]) -> Vec<Level1Block> {
    catalog
        .framework_of(t)
        .level1
        .iter()
        .map(|l1| Level1Block {
            name: l1.name.clone(),
            level2: l1
                .level2
                .iter()
                .map(|l2| Level2Block {
                    name: l2.clone(),
                    indicators: under(t, fits, &l1.name, l2),
                })
                .filter(|b| !b.indicators.is_empty())
                .collect(),
        })
        .collect()
}

/// The indicators under one heading: core first, then type-specific before common, then by code.
fn under(t: &ProjectType, fits: &[&Indicator], l1: &str, l2: &str) -> Vec<(Indicator, bool)> {
    let mut v: Vec<(Indicator, bool)> = fits
        .iter()
        .filter(|i| i.level1 == l1 && i.level2 == l2)
        .map(|i| ((*i).clone(), i.core.contains(&t.code)))
        .collect();
    v.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(
                a.0.natures
                    .is_empty()
                    .cmp(&b.0.natures.is_empty())
                    .reverse(),
            )
            .then(a.0.code.cmp(&b.0.code))
    });
    v
}
