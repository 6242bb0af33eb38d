//! The printable handbook: the library (whole, or one project type) or a training session as one
//! print-ready HTML document (A4, cover, contents, the framework, one block per indicator with
//! every field). Browsers print it to PDF; a test prints it with headless Chromium.

use super::AppState;
use super::error::{AppError, PageError};
use super::extract::Path;
use crate::domain::training::{Exercise, SessionItem};
use crate::domain::{Framework, Indicator, ProjectType, Unit};
use crate::training::ExampleView;
use askama::Template;
use axum::extract::State;
use axum::response::Html;

type Page = Result<Html<String>, PageError>;

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

#[derive(Template)]
#[template(path = "training/handbook.html")]
pub struct HandbookPage {
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

fn block(app: &AppState, ind: Indicator, revision: u32) -> Result<Block, AppError> {
    let catalog = app.search.catalog();
    let code = ind.code.to_string();
    let edition = app
        .store
        .editions()?
        .into_iter()
        .rev()
        .find(|e| e.revision_of(&code) == Some(revision))
        .map(|e| e.name);
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
        permalink: match &edition {
            Some(e) => format!("/editions/{e}/indicators/{code}"),
            None => format!("/indicators/{code}/r/{revision}"),
        },
        edition,
        types,
        natures,
        revision,
        ind,
    })
}

/// Indicators grouped by the local framework: one chapter per level 1, one section per level 2.
fn chapters(
    app: &AppState,
    list: Vec<(Indicator, u32)>,
    first: usize,
) -> Result<Vec<Chapter>, AppError> {
    let catalog = app.search.catalog();
    let mut out = Vec::new();
    for (n, l1) in catalog.framework().level1.iter().enumerate() {
        let mut sections = Vec::new();
        for (m, l2) in l1.level2.iter().enumerate() {
            let blocks = list
                .iter()
                .filter(|(i, _)| i.level1 == l1.name && &i.level2 == l2)
                .map(|(i, r)| block(app, i.clone(), *r))
                .collect::<Result<Vec<_>, _>>()?;
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

fn page(
    app: &AppState,
    title: String,
    subtitle: String,
    scope: String,
    list: Vec<(Indicator, u32)>,
) -> Result<HandbookPage, AppError> {
    let catalog = app.search.catalog();
    let indicators = list.len();
    Ok(HandbookPage {
        title,
        subtitle,
        scope,
        edition: catalog.edition.clone(),
        date: chrono::Local::now().format("%Y年%m月%d日").to_string(),
        frameworks: catalog.frameworks.clone(),
        rules: app.training.rule_lines(),
        units: catalog.units.clone(),
        // Chapter one is the framework.
        chapters: chapters(app, list, 1)?,
        examples: vec![],
        exercises: vec![],
        indicators,
    })
}

/// Active indicators with their current revision; a type's core indicators first.
fn current(
    app: &AppState,
    filter: impl Fn(&Indicator) -> bool,
    t: Option<&ProjectType>,
) -> Result<Vec<(Indicator, u32)>, AppError> {
    let mut v: Vec<Indicator> = app
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
            let r = app.store.last_revision(i.code.as_str())?;
            Ok((i, r))
        })
        .collect()
}

pub async fn library(State(app): State<AppState>) -> Page {
    let catalog = app.search.catalog();
    let list = current(&app, |_| true, None)?;
    let p = page(
        &app,
        catalog.title.clone(),
        "指标手册（全库）".into(),
        format!("全部 {} 个项目类型", catalog.project_types.len()),
        list,
    )?;
    Ok(Html(p.render()?))
}

pub async fn project_type(State(app): State<AppState>, Path(code): Path<String>) -> Page {
    let catalog = app.search.catalog();
    let t = catalog.project_type(&code).cloned().ok_or_else(|| {
        AppError::not_found(
            "project_type_not_found",
            format!("没有编码为“{code}”的项目类型。"),
        )
    })?;
    let list = current(&app, |i| i.fits(&t), Some(&t))?;
    let mut p = page(
        &app,
        format!("{}指标手册", t.name),
        catalog.title.clone(),
        format!("{} · {}", t.group, t.name),
        list,
    )?;
    if let Some(ex) = app.examples.iter().find(|e| e.project_type == t.code) {
        p.examples.push(app.training.example_view(ex));
    }
    Ok(Html(p.render()?))
}

/// A session's handout: its framework pages, the indicators as taught (their pinned revisions),
/// its examples and its practice cases.
pub async fn session(State(app): State<AppState>, Path(id): Path<String>) -> Page {
    let s = app.store.training_session(&id)?.ok_or_else(|| {
        AppError::not_found("session_not_found", "没有这个培训课程（链接可能有误）")
    })?;
    let mut list = Vec::new();
    let mut examples = Vec::new();
    let mut exercises = Vec::new();
    for item in &s.items {
        match item {
            SessionItem::Indicator { code, revision, .. } => {
                if let Some(r) = app.store.revision(code, *revision)? {
                    list.push((r.indicator, *revision));
                }
            }
            SessionItem::Example { project_type } => {
                if let Some(ex) = app
                    .examples
                    .iter()
                    .find(|e| &e.project_type == project_type)
                {
                    examples.push(app.training.example_view(ex));
                }
            }
            SessionItem::Exercise { code } => exercises.extend(app.store.exercise(code)?),
            SessionItem::Framework { .. } => {}
        }
    }
    let mut p = page(
        &app,
        s.title.clone(),
        "培训讲义".into(),
        format!("{} 个指标 · {} 组示例", list.len(), examples.len()),
        list,
    )?;
    p.examples = examples;
    p.exercises = exercises;
    Ok(Html(p.render()?))
}
