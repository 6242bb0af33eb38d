//! The printable handbook's content: the library (whole, or one project type) or a training
//! session as one document (cover, the framework, one chapter per level 1, one block per
//! indicator with every field, examples and practice cases). `web::handbook` prints it.

use super::slides::permalink;
use super::{ExampleView, Result, Training, TrainingError};
use crate::domain::training::{Exercise, SessionItem};
use crate::domain::{Framework, Indicator, ProjectType, Unit};

/// One indicator as printed: the revision shown, and where it can be found again.
pub struct Block {
    pub ind: Indicator,
    pub revision: u32,
    pub edition: Option<String>,
    /// Project types it fits, with 核心 marked.
    pub types: String,
    pub natures: String,
    pub permalink: String,
}

pub struct Section {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

pub struct Chapter {
    pub id: String,
    pub title: String,
    pub sections: Vec<Section>,
}

pub struct Handbook {
    pub title: String,
    pub subtitle: String,
    pub scope: String,
    pub edition: String,
    pub date: String,
    pub frameworks: Vec<Framework>,
    pub rules: Vec<(String, String)>,
    pub units: Vec<Unit>,
    pub chapters: Vec<Chapter>,
    pub examples: Vec<ExampleView>,
    pub exercises: Vec<Exercise>,
    pub indicators: usize,
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn numeral(n: usize) -> &'static str {
    NUMERALS.get(n).copied().unwrap_or("")
}

impl Training {
    /// The whole library's handbook.
    pub fn library_handbook(&self) -> Result<Handbook> {
        let catalog = self.search.catalog();
        let list = self.current(|_| true, None)?;
        self.handbook(
            catalog.title.clone(),
            "指标手册（全库）".into(),
            format!("全部 {} 个项目类型", catalog.project_types.len()),
            list,
        )
    }

    /// One project type's handbook: its indicators (core first) and its worked example.
    pub fn type_handbook(&self, code: &str) -> Result<Handbook> {
        let catalog = self.search.catalog();
        let t = catalog
            .project_type(code)
            .cloned()
            .ok_or_else(|| TrainingError::NotFound {
                code: "project_type_not_found",
                message: format!("没有编码为“{code}”的项目类型。"),
            })?;
        let list = self.current(|i| i.fits(&t), Some(&t))?;
        let mut h = self.handbook(
            format!("{}指标手册", t.name),
            catalog.title.clone(),
            format!("{} · {}", t.group, t.name),
            list,
        )?;
        if let Some(ex) = self.examples.iter().find(|e| e.project_type == t.code) {
            h.examples.push(self.example_view(ex));
        }
        Ok(h)
    }

    /// A session's handout: its framework pages, the indicators as taught (their pinned
    /// revisions), its examples and its practice cases.
    pub fn session_handbook(&self, id: &str) -> Result<Handbook> {
        let s = self.session(id)?;
        let (mut list, mut examples, mut exercises) = (Vec::new(), Vec::new(), Vec::new());
        for item in &s.items {
            match item {
                SessionItem::Indicator { code, revision, .. } => {
                    if let Some(r) = self.store.revision(code, *revision)? {
                        list.push((r.indicator, *revision));
                    }
                }
                SessionItem::Example { project_type } => {
                    if let Ok(ex) = self.example(project_type) {
                        examples.push(self.example_view(ex));
                    }
                }
                SessionItem::Exercise { code } => exercises.extend(self.store.exercise(code)?),
                SessionItem::Framework { .. } => {}
            }
        }
        let scope = format!("{} 个指标 · {} 组示例", list.len(), examples.len());
        let mut h = self.handbook(s.title.clone(), "培训讲义".into(), scope, list)?;
        h.examples = examples;
        h.exercises = exercises;
        Ok(h)
    }

    fn handbook(
        &self,
        title: String,
        subtitle: String,
        scope: String,
        list: Vec<(Indicator, u32)>,
    ) -> Result<Handbook> {
        let catalog = self.search.catalog();
        Ok(Handbook {
            title,
            subtitle,
            scope,
            edition: catalog.edition.clone(),
            date: chrono::Local::now().format("%Y年%m月%d日").to_string(),
            frameworks: catalog.frameworks.clone(),
            rules: self.rule_lines(),
            units: catalog.units.clone(),
            indicators: list.len(),
            // Chapter one is the framework.
            chapters: self.chapters(list, 1)?,
            examples: vec![],
            exercises: vec![],
        })
    }

    /// Active indicators with their current revision; a type's core indicators first.
    fn current(
        &self,
        filter: impl Fn(&Indicator) -> bool,
        t: Option<&ProjectType>,
    ) -> Result<Vec<(Indicator, u32)>> {
        let mut v: Vec<Indicator> = self
            .store
            .indicators()?
            .into_iter()
            .filter(|i| i.is_active() && filter(i))
            .collect();
        v.sort_by(|a, b| {
            let core = |i: &Indicator| t.is_some_and(|t| i.core.contains(&t.code));
            core(b)
                .cmp(&core(a))
                .then(a.natures.is_empty().cmp(&b.natures.is_empty()).reverse())
                .then(a.code.cmp(&b.code))
        });
        v.into_iter()
            .map(|i| {
                let r = self.store.last_revision(i.code.as_str())?;
                Ok((i, r))
            })
            .collect()
    }

    /// Indicators grouped by the local framework (then the headings only another framework has,
    /// such as 部门整体支出's 决策/过程): one chapter per level 1, one section per level 2, numbered
    /// from `first`.
    fn chapters(&self, list: Vec<(Indicator, u32)>, first: usize) -> Result<Vec<Chapter>> {
        let catalog = self.search.catalog();
        let mut out = Vec::new();
        for (n, l1) in catalog.headings().iter().enumerate() {
            let mut sections = Vec::new();
            for (m, l2) in l1.level2.iter().enumerate() {
                let blocks = list
                    .iter()
                    .filter(|(i, _)| i.level1 == l1.name && &i.level2 == l2)
                    .map(|(i, r)| self.block(i.clone(), *r))
                    .collect::<Result<Vec<_>>>()?;
                if !blocks.is_empty() {
                    sections.push(Section {
                        id: format!("c{n}-{m}"),
                        title: l2.clone(),
                        blocks,
                    });
                }
            }
            if !sections.is_empty() {
                out.push(Chapter {
                    id: format!("c{n}"),
                    title: format!("{}、{}", numeral(first + out.len()), l1.name),
                    sections,
                });
            }
        }
        Ok(out)
    }

    fn block(&self, ind: Indicator, revision: u32) -> Result<Block> {
        let catalog = self.search.catalog();
        let code = ind.code.to_string();
        let edition = self.edition_of(&code, revision)?;
        let types = catalog
            .types_of(&ind.project_types, &ind.natures)
            .map(|t| {
                if ind.core.contains(&t.code) {
                    format!("{}（核心）", t.name)
                } else {
                    t.name.clone()
                }
            })
            .collect::<Vec<_>>()
            .join("、");
        let natures = ind
            .natures
            .iter()
            .map(|n| catalog.natures.get(n).cloned().unwrap_or_else(|| n.clone()))
            .collect::<Vec<_>>()
            .join("、");
        Ok(Block {
            permalink: permalink(&code, revision, edition.as_deref()),
            edition,
            types,
            natures,
            revision,
            ind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{exercise_session, service};
    use super::*;

    #[test]
    fn handbooks_hold_the_indicators_they_are_for() {
        let dir = tempfile::tempdir().unwrap();
        let t = service(dir.path());
        let active = t
            .store
            .indicators()
            .unwrap()
            .iter()
            .filter(|i| i.is_active())
            .count();
        let whole = t.library_handbook().unwrap();
        assert_eq!(whole.indicators, active);
        let blocks: usize = whole
            .chapters
            .iter()
            .flat_map(|c| &c.sections)
            .map(|s| s.blocks.len())
            .sum();
        assert_eq!(blocks, active, "every indicator sits under its heading");
        assert!(
            whole.chapters[0].title.starts_with("二、"),
            "chapter one is the framework"
        );

        let code = t.examples[0].project_type.clone();
        let one = t.type_handbook(&code).unwrap();
        assert!(one.indicators > 0 && one.indicators < active);
        assert_eq!(one.examples.len(), 1);
        assert!(matches!(
            t.type_handbook("NOPE").err(),
            Some(TrainingError::NotFound {
                code: "project_type_not_found",
                ..
            })
        ));
        let (s, _) = exercise_session(&t);
        let handout = t.session_handbook(&s.id).unwrap();
        assert_eq!((handout.examples.len(), handout.exercises.len()), (1, 1));
    }
}
