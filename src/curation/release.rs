//! Releasing the library files as a new edition through curation: the differences between the
//! store and the files become proposals by the library maintainers, approved by the release
//! reviewer with `approve` (the review pages' code, its checks in the publishing transaction),
//! and the edition is frozen with `freeze`. A store still holding the previous edition reaches
//! the new one the same way, keeping what curators changed since.

use super::proposals::new_proposal;
use super::{Actor, Curation, CurationError, Result};
use crate::domain::edition::NoteEntry;
use crate::domain::revision::classify;
use crate::domain::{Indicator, ProposalKind, ProposalState, ProposedChange, Role, Status};
use crate::ingest::Library;
use crate::ingest::library::{self, IndicatorInput};
use crate::store::{ChangeMeta, Commit, Store};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// `indicators/release.toml`: what the files alone cannot say about the release.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The edition this one follows; its files are in `editions/<previous>/`.
    pub previous: String,
    /// The reason given for the release as a whole.
    pub reason: String,
    #[serde(default)]
    pub retired: Vec<Retirement>,
    /// Reasons for single changes (code → reason), each approved as its own proposal.
    #[serde(default)]
    pub reasons: BTreeMap<String, String>,
}

/// An indicator the files no longer contain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    pub code: String,
    #[serde(default)]
    pub replaced_by: Option<String>,
    pub reason: String,
}

pub const MANIFEST: &str = "release.toml";

impl Manifest {
    /// Reads `release.toml` in a library folder; `None` when there is none.
    pub fn read(dir: &Path) -> anyhow::Result<Option<Manifest>> {
        let path = dir.join(MANIFEST);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("无法读取 {}：{e}", path.display()))?;
        let m: Manifest = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} 格式有误：{e}", path.display()))?;
        Ok(Some(m))
    }

    /// Where the previous edition's files are kept.
    pub fn previous_dir(&self, library_dir: &Path) -> PathBuf {
        library_dir.join("editions").join(&self.previous)
    }

    fn retirement(&self, code: &str) -> Option<&Retirement> {
        self.retired.iter().find(|r| r.code == code)
    }
}

/// What a release did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReleaseReport {
    pub edition: String,
    pub previous: String,
    /// Proposals opened and approved, in order.
    pub proposals: Vec<u64>,
    pub created: usize,
    pub changed: usize,
    pub retired: usize,
    /// Indicators in which a curator's field changes made since the previous edition were kept.
    pub kept_curated: Vec<String>,
    /// (code, fields) where the files and a curator changed the same field: the files win.
    pub overridden: Vec<(String, Vec<String>)>,
    /// Codes the files dropped that `release.toml` does not name (retired without replacement).
    pub unexplained: Vec<String>,
}

/// The maintainers who propose the files' changes, and the reviewer who approves and freezes.
fn actors(edition: &str) -> (Actor, Actor) {
    let author = Actor {
        user: "指标库文件".into(),
        shown: "指标库维护组（指标库文件）".into(),
        role: Role::Editor,
        address: "本机".into(),
    };
    let reviewer = Actor {
        user: format!("版本发布-{edition}"),
        shown: format!("版本发布（{edition}）"),
        role: Role::Admin,
        address: "本机".into(),
    };
    (author, reviewer)
}

/// Three-way merge of one indicator: the files' state, except fields a curator changed since
/// the previous edition that the files left as they were.
struct Merged {
    after: Indicator,
    kept: Vec<String>,
    overridden: Vec<String>,
}

fn merge(base: Option<&Indicator>, current: Option<&Indicator>, files: &Indicator) -> Merged {
    let plain = |after: &Indicator| Merged {
        after: after.clone(),
        kept: vec![],
        overridden: vec![],
    };
    let (Some(base), Some(current)) = (base, current) else {
        return plain(files);
    };
    let as_map = |i: &Indicator| match serde_json::to_value(i).expect("indicators serialize") {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("an indicator is an object"),
    };
    let (b, c, mut f) = (as_map(base), as_map(current), as_map(files));
    let (mut kept, mut overridden) = (vec![], vec![]);
    for (k, cv) in &c {
        let bv = b.get(k);
        if bv == Some(cv) {
            continue;
        }
        match f.get(k) {
            fv if fv == bv => {
                f.insert(k.clone(), cv.clone());
                kept.push(k.clone());
            }
            Some(fv) if fv != cv => overridden.push(k.clone()),
            _ => {}
        }
    }
    match serde_json::from_value(serde_json::Value::Object(f)) {
        Ok(after) => Merged {
            after,
            kept,
            overridden,
        },
        Err(_) => plain(files),
    }
}

/// Before the app opens. A new store first loads the previous edition's files (kept verbatim in
/// `previous_dir`), so every server tells the same history. Returns whether the files' edition is
/// then to be released through curation; if not (already released, or a store on another
/// edition), the files are loaded as before.
pub fn prepare(
    store: &Store,
    lib: &Library,
    m: &Manifest,
    previous_dir: &Path,
) -> anyhow::Result<bool> {
    if lib.catalog.edition == m.previous || store.edition(&lib.catalog.edition)?.is_some() {
        return Ok(false);
    }
    if store.catalog()?.is_none() {
        if !previous_dir.join("library.toml").exists() {
            // A library folder without its history (a copy of the current files): a new store
            // starts from the current edition alone.
            tracing::warn!(dir = %previous_dir.display(), "previous edition's files not found; loading the current edition only");
            return Ok(false);
        }
        let old = library::load_published(previous_dir)?;
        if old.catalog.edition != m.previous {
            anyhow::bail!(
                "{} 中的版本为 {}，而 release.toml 写明上一版本为 {}",
                previous_dir.display(),
                old.catalog.edition,
                m.previous
            );
        }
        store.sync_library(old, "指标库文件")?;
    }
    Ok(store.edition(&m.previous)?.is_some())
}

impl Curation {
    /// Publishes the library files as edition `lib.catalog.edition` through proposals and freezes it.
    /// The store must hold edition `m.previous`.
    pub fn release(&self, lib: &Library, m: &Manifest) -> Result<ReleaseReport> {
        let edition = lib.catalog.edition.clone();
        super::editions::check_edition_name(&edition)?;
        if self.store.edition(&edition)?.is_some() {
            return Err(CurationError::Conflict(format!("版本 {edition} 已发布")));
        }
        let prev = self.store.edition(&m.previous)?.ok_or_else(|| {
            CurationError::NotFound(format!(
                "数据库中没有上一版本 {}，无法发布 {edition}",
                m.previous
            ))
        })?;
        let (author, reviewer) = actors(&edition);
        let mut report = ReleaseReport {
            edition: edition.clone(),
            previous: m.previous.clone(),
            ..ReleaseReport::default()
        };
        // A release cut short left its proposals open: they are withdrawn and made again.
        for p in self.store.proposals(Some(ProposalState::Open))? {
            if p.author == author.user {
                self.withdraw(&author, p.id)?;
            }
        }
        // The new catalog first (new types must exist before their indicators are checked); the
        // edition name changes when it is frozen.
        let mut catalog = lib.catalog.clone();
        catalog.edition = m.previous.clone();
        self.store.commit(
            Commit {
                catalog: Some(&catalog),
                ..Commit::default()
            },
            &meta(&author, "载入新版目录（项目类型、框架、单位）"),
        )?;
        self.search.set_catalog(catalog);

        let in_files: HashSet<&str> = lib.indicators.iter().map(|i| i.code.as_str()).collect();
        for r in &m.retired {
            if in_files.contains(r.code.as_str()) {
                return Err(CurationError::Conflict(format!(
                    "release.toml 把 {} 列为停用，但指标库文件仍收录它",
                    r.code
                )));
            }
            if let Some(to) = &r.replaced_by
                && !in_files.contains(to.as_str())
            {
                return Err(CurationError::Conflict(format!(
                    "release.toml 中 {} 的替代指标 {to} 不在指标库文件中",
                    r.code
                )));
            }
        }

        // Changes of the files, merged with what curators changed since the previous edition.
        let mut general = Vec::new();
        let mut single = Vec::new();
        for ind in &lib.indicators {
            let code = ind.code.as_str();
            let current = self.store.indicator(code)?;
            // What curators changed is told against the previous edition, unless the current state is
            // the one the files last gave (a store that loaded files between the editions).
            let from_files = match &current {
                Some(c) => self.store.file_state(code)? == Some(crate::store::file_hash(c)),
                None => false,
            };
            let base = match prev.revision_of(code) {
                _ if from_files => current.clone(),
                Some(n) => self.store.revision(code, n)?.map(|r| r.indicator),
                None => None,
            };
            let mut merged = merge(base.as_ref(), current.as_ref(), ind);
            if !merged.kept.is_empty() && self.check(IndicatorInput::from(&merged.after)).is_err() {
                // The curated fields do not fit the new rules beside the files' others: files win.
                merged.overridden.append(&mut merged.kept);
                merged.after = ind.clone();
            }
            if !merged.kept.is_empty() {
                report.kept_curated.push(code.to_string());
            }
            if !merged.overridden.is_empty() {
                report
                    .overridden
                    .push((code.to_string(), merged.overridden));
            }
            match classify(current.as_ref(), &merged.after) {
                None => continue,
                Some(crate::domain::ChangeKind::New) => report.created += 1,
                Some(_) => report.changed += 1,
            }
            let change = self.change_to(merged.after)?;
            match m.reasons.get(code) {
                Some(reason) => single.push((reason.clone(), change)),
                None => general.push(change),
            }
        }

        let mut pending = Vec::new();
        if !general.is_empty() {
            let title = format!(
                "{edition} 版指标库文件（{} 个指标新增或修改）",
                general.len()
            );
            pending.push(proposed(
                &author,
                ProposalKind::Import,
                title,
                m.reason.clone(),
                general,
            ));
        }
        for (reason, change) in single {
            let title = format!(
                "{edition} 版修改指标 {} {}",
                change.after.code, change.after.name
            );
            pending.push(proposed(
                &author,
                ProposalKind::Edit,
                title,
                reason,
                vec![change],
            ));
        }

        // Indicators of the previous edition that the files dropped.
        for (code, _) in &prev.members {
            if in_files.contains(code.as_str()) {
                continue;
            }
            let Some(current) = self.store.indicator(code)? else {
                continue;
            };
            let entry = m.retirement(code);
            let replaced_by = match entry.and_then(|e| e.replaced_by.as_deref()) {
                Some(r) => Some(super::parse_code(r)?),
                None => None,
            };
            // Already retired (by curators, or by files loaded between the editions): only a missing
            // replacement is added.
            if let Status::Retired { replaced_by: had } = &current.status
                && (had.is_some() || replaced_by.is_none())
            {
                continue;
            }
            if entry.is_none() {
                report.unexplained.push(code.clone());
            }
            let title = match &replaced_by {
                Some(r) => format!("停用指标 {code} {}，由 {r} 替代", current.name),
                None => format!("停用指标 {code} {}", current.name),
            };
            let reason = entry.map_or_else(
                || format!("{edition} 版指标库文件不再收录该指标"),
                |e| e.reason.clone(),
            );
            let mut after = current;
            after.status = Status::Retired { replaced_by };
            report.retired += 1;
            pending.push(proposed(
                &author,
                ProposalKind::Retire,
                title,
                reason,
                vec![self.change_to(after)?],
            ));
        }

        let opened = self.store.create_proposals(pending)?;
        // Approved together: one transaction publishes all of it or none; each revision keeps its
        // own proposal's reason.
        report.proposals = opened.iter().map(|p| p.id).collect();
        self.approve(
            &reviewer,
            &report.proposals,
            &format!("{edition} 版发布审核"),
        )?;

        // The files as now loaded, so a later change of the files is told from curated changes.
        let mut file_states: Vec<(String, Option<String>)> = lib
            .indicators
            .iter()
            .map(|i| (i.code.to_string(), Some(crate::store::file_hash(i))))
            .collect();
        file_states.extend(
            prev.members
                .iter()
                .filter(|(c, _)| !in_files.contains(c.as_str()))
                .map(|(c, _)| (c.clone(), None)),
        );
        self.store.commit(
            Commit {
                source_hash: Some(&lib.source_hash),
                file_states,
                ..Commit::default()
            },
            &meta(&author, "记录指标库文件状态"),
        )?;
        self.freeze(&reviewer, &edition)?;
        // Every document again: those the release left unchanged still carry the previous
        // catalog's type names and keywords. The index is then current, so the next start reuses it.
        self.search
            .upsert(&self.store.indicators()?, self.store.generation()?)?;
        Ok(report)
    }

    /// The release notes of `edition` against the one before it, as Markdown for CHANGELOG.md:
    /// counts, then new, material, immaterial and retired indicators grouped by project type (or by
    /// spending nature for common indicators), with each revision's reason.
    pub fn changelog_section(&self, edition: &str) -> Result<String> {
        use crate::domain::ChangeKind;
        use std::fmt::Write;
        let (prev, notes) = self.release_notes(edition)?;
        let catalog = self.search.catalog();
        let state = |n: &NoteEntry| -> Result<(Indicator, String)> {
            let to = n.to.unwrap_or(0);
            let r = self
                .store
                .revision(&n.code, to)?
                .ok_or_else(|| CurationError::Conflict(format!("{} 第 {to} 版缺失", n.code)))?;
            Ok((r.indicator, strip_proposal(&r.reason)))
        };
        // Group key: position in the catalog, then the heading shown.
        let group = |i: &Indicator| -> (usize, String) {
            if let Some(t) = i.project_types.first() {
                let pos = catalog
                    .project_types
                    .iter()
                    .position(|p| &p.code == t)
                    .unwrap_or(usize::MAX);
                (pos, format!("{}（{t}）", catalog.project_type_name(t)))
            } else {
                let n = i.natures.first().cloned().unwrap_or_default();
                let label = catalog
                    .natures
                    .get(&n)
                    .cloned()
                    .unwrap_or_else(|| n.clone());
                (usize::MAX - 1, format!("共性指标 · {label}（{n}）"))
            }
        };
        // The release's own reason, given by most revisions, is said once per section.
        let mut tally: BTreeMap<String, usize> = BTreeMap::new();
        for n in &notes {
            *tally.entry(state(n)?.1).or_default() += 1;
        }
        let general = tally
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(r, _)| r)
            .unwrap_or_default();
        let mut out = String::new();
        let count = |k: ChangeKind| notes.iter().filter(|n| n.kind == k).count();
        let ed = self.edition(edition)?;
        let active = ed
            .members
            .iter()
            .filter_map(|(c, n)| self.store.revision(c, *n).ok().flatten())
            .filter(|r| r.indicator.is_active())
            .count();
        let _ = writeln!(out, "## {edition}\n");
        let _ = writeln!(
            out,
            "Generated by `zhibiao release {edition}` (indicators/README.md): the library files were \
             loaded as proposals, approved and frozen{}. {} project types, {} indicators in use.\n",
            prev.as_deref()
                .map(|p| format!(" on top of {p}"))
                .unwrap_or_default(),
            catalog.project_types.len(),
            fmt_thousands(active),
        );
        let _ = writeln!(
            out,
            "相对 {}：新增 {} 个，实质性修改 {} 个，非实质性修改 {} 个，停用 {} 个。\n",
            prev.as_deref().unwrap_or("空库"),
            count(ChangeKind::New),
            count(ChangeKind::Material),
            count(ChangeKind::Immaterial),
            count(ChangeKind::Retired),
        );
        for kind in [
            ChangeKind::New,
            ChangeKind::Material,
            ChangeKind::Immaterial,
            ChangeKind::Retired,
        ] {
            let mut groups: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
            let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
            for n in notes.iter().filter(|n| n.kind == kind) {
                let (ind, reason) = state(n)?;
                *reasons.entry(reason.clone()).or_default() += 1;
                let reason = if reason == general {
                    String::new()
                } else {
                    format!("：{reason}")
                };
                let line = match kind {
                    ChangeKind::New => format!("{} {}", n.code, n.name),
                    ChangeKind::Retired => {
                        let to = match &ind.status {
                            Status::Retired {
                                replaced_by: Some(r),
                            } => {
                                let name = self
                                    .store
                                    .indicator(r.as_str())?
                                    .map(|i| i.name)
                                    .unwrap_or_default();
                                format!("，由 {r} {name} 代替")
                            }
                            _ => "，无替代指标".to_string(),
                        };
                        format!("{} {}{to}{reason}", n.code, n.name)
                    }
                    _ => {
                        let fields: Vec<&str> = n.fields.iter().map(|f| f.label).collect();
                        format!("{} {}（{}）{reason}", n.code, n.name, fields.join("、"))
                    }
                };
                groups.entry(group(&ind)).or_default().push(line);
            }
            if groups.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {}（{}）\n", kind.label(), count(kind));
            if reasons.contains_key(&general) {
                let _ = writeln!(out, "理由（未另注明者）：{general}\n");
            }
            for ((_, heading), lines) in groups {
                if kind == ChangeKind::New {
                    let _ = writeln!(
                        out,
                        "- **{heading}**（{}）：{}",
                        lines.len(),
                        lines.join("；")
                    );
                } else {
                    let _ = writeln!(out, "- **{heading}**");
                    for l in lines {
                        let _ = writeln!(out, "  - {l}");
                    }
                }
            }
            out.push('\n');
        }
        Ok(out)
    }
}

fn meta(actor: &Actor, reason: &str) -> ChangeMeta {
    ChangeMeta {
        author: actor.user.clone(),
        reviewer: None,
        reason: reason.to_string(),
    }
}

/// A revision's reason without the proposal number approval appends (`……（P12）`).
fn strip_proposal(reason: &str) -> String {
    match reason.rfind("（P") {
        Some(i)
            if reason.ends_with('）')
                && reason[i + "（P".len()..reason.len() - '）'.len_utf8()]
                    .bytes()
                    .all(|b| b.is_ascii_digit()) =>
        {
            reason[..i].to_string()
        }
        _ => reason.to_string(),
    }
}

fn fmt_thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Puts `section` (starting `## <edition>`) into a CHANGELOG: in place of the section of that
/// edition if there is one, else of the "Unreleased" section, else before the first edition.
pub fn splice_changelog(text: &str, edition: &str, section: &str) -> String {
    let heading_at = |prefix: &str| -> Option<usize> {
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let l = line.trim_end();
            if l == prefix || l.starts_with(&format!("{prefix} ")) {
                return Some(at);
            }
            at += line.len();
        }
        None
    };
    let start = heading_at(&format!("## {edition}"))
        .or_else(|| heading_at("## Unreleased"))
        .or_else(|| text.find("\n## ").map(|i| i + 1));
    let Some(start) = start else {
        return format!("{}\n\n{section}", text.trim_end());
    };
    let rest = &text[start..];
    let end = rest[3..]
        .find("\n## ")
        .map_or(text.len(), |i| start + 3 + i + 1);
    let replaced = text[start..].starts_with(&format!("## {edition}"))
        || text[start..].starts_with("## Unreleased");
    let tail = if replaced { &text[end..] } else { rest };
    format!("{}{}{}", &text[..start], section, tail)
}

/// A proposal of the release, not yet stored, with the audit entry that records it.
fn proposed(
    actor: &Actor,
    kind: ProposalKind,
    title: String,
    reason: String,
    changes: Vec<ProposedChange>,
) -> (crate::domain::Proposal, crate::domain::AuditEntry) {
    let p = new_proposal(actor, kind, title, reason, changes, vec![]);
    let audit = actor.audit("提出修改", "", p.title.clone());
    (p, audit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_notes_replace_the_unreleased_section_and_then_their_own() {
        let text = "# 版本记录\n\n## Unreleased (next edition)\n\n- a\n\n## 2026.1\n\nFirst.\n";
        let once = splice_changelog(text, "2026.2", "## 2026.2\n\nnotes\n\n");
        assert_eq!(
            once,
            "# 版本记录\n\n## 2026.2\n\nnotes\n\n## 2026.1\n\nFirst.\n"
        );
        let twice = splice_changelog(&once, "2026.2", "## 2026.2\n\nnew notes\n\n");
        assert_eq!(
            twice,
            "# 版本记录\n\n## 2026.2\n\nnew notes\n\n## 2026.1\n\nFirst.\n"
        );
    }

    #[test]
    fn proposal_numbers_are_stripped_from_reasons() {
        assert_eq!(strip_proposal("与共性指标重复（P12）"), "与共性指标重复");
        assert_eq!(strip_proposal("原因（见说明）"), "原因（见说明）");
    }

    fn ind(target: &str, unit: &str) -> Indicator {
        serde_json::from_value(serde_json::json!({
            "code": "A-001", "name": "甲", "level1": "产出指标", "level2": "数量指标",
            "definition": "反映……", "value_type": "定量", "direction": "≥", "unit": unit,
            "target": target, "basis": "计划标准", "weight": 10, "term": "年度",
            "provenance": "地方参考"
        }))
        .unwrap()
    }

    #[test]
    fn a_curated_field_the_files_left_alone_is_kept_and_a_field_both_changed_goes_to_the_files() {
        let base = ind("5", "个");
        let curated = ind("8", "个");
        // The files changed the unit only: the curator's target stays.
        let m = merge(Some(&base), Some(&curated), &ind("5", "项"));
        assert_eq!(
            (m.after.target.as_str(), m.after.unit.as_str()),
            ("8", "项")
        );
        assert_eq!(m.kept, vec!["target".to_string()]);
        // The files changed the target too: theirs wins and the conflict is told.
        let m = merge(Some(&base), Some(&curated), &ind("6", "项"));
        assert_eq!(m.after.target, "6");
        assert_eq!(m.overridden, vec!["target".to_string()]);
        // Nothing curated: the files as they are.
        let m = merge(Some(&base), Some(&base), &ind("6", "项"));
        assert_eq!(m.after, ind("6", "项"));
    }
}
