//! The library as one project type sees it: its framework's level-1 and level-2 headings with
//! the indicators that fit the type under each, core first.

use super::{Catalog, Indicator, ProjectType};

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
