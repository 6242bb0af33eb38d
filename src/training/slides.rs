//! What a session shows: the slides of its presentation and the lines of its editor, each
//! item resolved against the store (a pinned revision, an example, an exercise).

use super::{ExampleView, Result, Training};
use crate::domain::training::{FrameworkPart, SessionItem, TrainingSession};
use crate::domain::{Framework, Indicator};

/// One slide; the presentation template matches on it.
pub enum Slide {
    Title {
        title: String,
        subtitle: String,
    },
    Framework {
        part: FrameworkPart,
        local: Framework,
        central: Option<Framework>,
        /// The review rules this slide lists (a share of them when they take several slides).
        rules: Vec<(String, String)>,
        page: Page,
    },
    Indicator {
        ind: Box<Indicator>,
        revision: u32,
        edition: Option<String>,
        current: u32,
        permalink: String,
    },
    /// Rows `page.from..page.to` of the example's bad table.
    ExampleBad {
        v: Box<ExampleView>,
        page: Page,
    },
    /// Rows `page.from..page.to` of the example's corrected table.
    ExampleGood {
        v: Box<ExampleView>,
        page: Page,
    },
    ExampleNote {
        v: Box<ExampleView>,
    },
    Exercise {
        code: String,
        join_url: String,
        title: String,
        description: String,
        budget: f64,
        start: &'static str,
    },
    Gone {
        what: String,
    },
}

/// At most this many table rows on a slide: read from the back of a room at 1920×1080, a row of
/// 32 px type takes one to two lines, and seven of them fill the slide.
pub const ROWS_PER_SLIDE: usize = 7;

/// Which share of a long table a slide shows: rows `from..to`, slide `n` of `of`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Page {
    pub from: usize,
    pub to: usize,
    pub n: usize,
    pub of: usize,
}

impl Page {
    pub fn len(&self) -> usize {
        self.to - self.from
    }

    pub fn start(&self) -> usize {
        self.from
    }

    pub fn is_empty(&self) -> bool {
        self.to == self.from
    }

    pub fn is_last(&self) -> bool {
        self.n == self.of
    }

    /// "（续 2/3）" on every slide of a table split in several, nothing on a whole one.
    pub fn label(&self) -> String {
        if self.of > 1 {
            format!("（{}/{}）", self.n, self.of)
        } else {
            String::new()
        }
    }
}

/// A table of `rows` rows split into slides of at most `ROWS_PER_SLIDE`, evenly (9 rows are
/// 5 + 4, not 7 + 2).
pub fn pages(rows: usize) -> Vec<Page> {
    let of = rows.div_ceil(ROWS_PER_SLIDE).max(1);
    let size = rows.div_ceil(of).max(1);
    (0..of)
        .map(|k| Page {
            from: (k * size).min(rows),
            to: ((k + 1) * size).min(rows),
            n: k + 1,
            of,
        })
        .collect()
}

/// One line of the session editor.
pub struct ItemView {
    pub kind: &'static str,
    pub label: String,
    pub detail: String,
}

/// The session editor: its items, and what can be added (framework pages, example types).
pub struct Editor {
    pub items: Vec<ItemView>,
    pub parts: Vec<(&'static str, &'static str)>,
    pub types: Vec<(String, String)>,
}

/// Where a pinned revision can be found again: in its edition when it was frozen in one.
pub fn permalink(code: &str, revision: u32, edition: Option<&str>) -> String {
    match edition {
        Some(e) => format!("/editions/{e}/indicators/{code}"),
        None => format!("/indicators/{code}/r/{revision}"),
    }
}

impl Training {
    /// The presentation of a session; trainees join its exercises at `base`/t/<code>.
    pub fn slides(&self, s: &TrainingSession, base: &str) -> Result<Vec<Slide>> {
        let mut out = vec![Slide::Title {
            title: s.title.clone(),
            subtitle: format!(
                "预算绩效目标编制培训 · {}",
                s.updated.format("%Y年%m月%d日")
            ),
        }];
        for item in &s.items {
            self.item_slides(item, base, &mut out)?;
        }
        Ok(out)
    }

    fn item_slides(&self, item: &SessionItem, base: &str, out: &mut Vec<Slide>) -> Result<()> {
        match item {
            SessionItem::Framework { part } => {
                let catalog = self.search.catalog();
                let rules = if *part == FrameworkPart::Rules {
                    self.rule_lines()
                } else {
                    Vec::new()
                };
                for page in pages(rules.len()) {
                    out.push(Slide::Framework {
                        part: *part,
                        local: catalog.framework().clone(),
                        central: catalog
                            .frameworks
                            .iter()
                            .find(|f| f.code == "central2021")
                            .cloned(),
                        rules: rules[page.from..page.to].to_vec(),
                        page,
                    })
                }
            }
            SessionItem::Indicator {
                code,
                revision,
                edition,
            } => match self.store.revision(code, *revision)? {
                Some(r) => out.push(Slide::Indicator {
                    ind: Box::new(r.indicator),
                    revision: *revision,
                    current: self.store.last_revision(code)?,
                    permalink: permalink(code, *revision, edition.as_deref()),
                    edition: edition.clone(),
                }),
                None => out.push(Slide::Gone {
                    what: format!("指标 {code} 第 {revision} 版"),
                }),
            },
            SessionItem::Example { project_type } => match self.example(project_type) {
                Ok(ex) => {
                    let v = Box::new(self.example_view(ex));
                    for page in pages(v.bad.rows.len()) {
                        out.push(Slide::ExampleBad { v: v.clone(), page });
                    }
                    for page in pages(v.good.rows.len()) {
                        out.push(Slide::ExampleGood { v: v.clone(), page });
                    }
                    out.push(Slide::ExampleNote { v });
                }
                Err(_) => out.push(Slide::Gone {
                    what: format!("项目类型 {project_type} 的示例"),
                }),
            },
            SessionItem::Exercise { code } => match self.store.exercise(code)? {
                Some(e) => out.push(Slide::Exercise {
                    code: code.clone(),
                    join_url: format!("{base}/t/{code}"),
                    title: e.project.name.clone(),
                    description: e.project.description.clone(),
                    budget: e.project.budget_wan.unwrap_or_default(),
                    start: e.start.label(),
                }),
                None => out.push(Slide::Gone {
                    what: format!("练习 {code}"),
                }),
            },
        }
        Ok(())
    }

    /// The session editor's lines and choices.
    pub fn editor(&self, s: &TrainingSession) -> Editor {
        let catalog = self.search.catalog();
        Editor {
            items: s.items.iter().map(|i| self.item_view(i)).collect(),
            parts: FrameworkPart::ALL
                .iter()
                .map(|p| (p.key(), p.title()))
                .collect(),
            types: self
                .examples
                .iter()
                .map(|e| {
                    let name = catalog.project_type_name(&e.project_type).to_string();
                    (e.project_type.clone(), name)
                })
                .collect(),
        }
    }

    fn item_view(&self, item: &SessionItem) -> ItemView {
        match item {
            SessionItem::Framework { part } => ItemView {
                kind: "指标体系",
                label: part.title().into(),
                detail: String::new(),
            },
            SessionItem::Indicator {
                code,
                revision,
                edition,
            } => {
                let name = self
                    .store
                    .revision(code, *revision)
                    .ok()
                    .flatten()
                    .map(|r| r.indicator.name)
                    .unwrap_or_else(|| "（已不存在）".into());
                ItemView {
                    kind: "指标",
                    label: format!("{name}（{code}）"),
                    detail: match edition {
                        Some(e) => format!("{e} 版，第 {revision} 版"),
                        None => format!("第 {revision} 版"),
                    },
                }
            }
            SessionItem::Example { project_type } => ItemView {
                kind: "正例/反例",
                label: self
                    .search
                    .catalog()
                    .project_type_name(project_type)
                    .to_string(),
                detail: String::new(),
            },
            SessionItem::Exercise { code } => {
                let ex = self.store.exercise(code).ok().flatten();
                ItemView {
                    kind: "练习",
                    label: ex
                        .as_ref()
                        .map(|e| e.project.name.clone())
                        .unwrap_or_default(),
                    detail: format!(
                        "练习码 {code}{}",
                        ex.map(|e| format!("，{}", e.start.label()))
                            .unwrap_or_default()
                    ),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ItemSpec;
    use super::super::testing::{exercise_session, service};
    use super::*;

    #[test]
    fn long_tables_split_evenly_and_short_ones_stay_whole() {
        let sizes = |n| pages(n).iter().map(Page::len).collect::<Vec<_>>();
        assert_eq!(sizes(0), vec![0]);
        assert_eq!(sizes(7), vec![7]);
        assert_eq!(sizes(9), vec![5, 4]);
        assert_eq!(sizes(15), vec![5, 5, 5]);
        let p = pages(15);
        assert_eq!((p[2].from, p[2].to, p[2].n, p[2].of), (10, 15, 3, 3));
        assert!(p.iter().all(|p| p.len() <= ROWS_PER_SLIDE));
        assert_eq!(p[0].label(), "（1/3）");
        assert_eq!(pages(3)[0].label(), "");
    }

    #[test]
    fn slides_follow_the_items_and_say_what_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let t = service(dir.path());
        let mut s = t
            .create_session("zhang".into(), "标准课程", ItemSpec::framework_pages())
            .unwrap();
        let slides = t.slides(&s, "http://h").unwrap();
        assert!(matches!(slides[0], Slide::Title { .. }));
        // The review rules take two slides (at most seven rows a slide).
        assert_eq!(slides.len(), 1 + FrameworkPart::ALL.len() + 1);
        s.items.push(SessionItem::Exercise {
            code: "NOPE99".into(),
        });
        let last = t.slides(&s, "http://h").unwrap().pop().unwrap();
        assert!(matches!(&last, Slide::Gone { what } if what.contains("NOPE99")));
        assert_eq!(t.editor(&s).items.len(), s.items.len());

        let (s, ex) = exercise_session(&t);
        let slides = t.slides(&s, "http://h").unwrap();
        // An example is its bad table, its corrected table (each on as many slides as seven
        // rows a slide take) and a note; an exercise one slide with its join address.
        let v = t.example_view(t.example(&t.examples[0].project_type).unwrap());
        let tables = pages(v.bad.rows.len()).len() + pages(v.good.rows.len()).len();
        assert_eq!(slides.len(), 1 + tables + 1 + 1);
        let join = format!("http://h/t/{}", ex.code);
        assert!(
            matches!(slides.last(), Some(Slide::Exercise { join_url, .. }) if *join_url == join)
        );
    }
}
