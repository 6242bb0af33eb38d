//! Editions: freezing the published state under a name, the frozen editions, and the release
//! notes between two of them.

use super::{Actor, Curation, CurationError, Result};
use crate::domain::edition::{NoteEntry, notes_between};
use crate::domain::{Edition, Indicator, Role};

impl Curation {
    /// Freezes the published state as a new edition (admin only).
    pub fn freeze(&self, actor: &Actor, name: &str) -> Result<Edition> {
        if !actor.role.allows(Role::Admin) {
            return Err(CurationError::Forbidden("只有管理员可以发布版本".into()));
        }
        check_edition_name(name)?;
        let name = name.trim();
        let ed = self.store.freeze_edition(
            name,
            &actor.user,
            actor.audit("发布版本", name, "冻结当前已发布指标"),
        )?;
        self.search.set_catalog(
            self.store
                .catalog()?
                .ok_or_else(|| CurationError::Conflict("数据库中没有目录信息".into()))?,
        );
        Ok(ed)
    }

    pub fn edition(&self, name: &str) -> Result<Edition> {
        self.store
            .edition(name)?
            .ok_or_else(|| CurationError::NotFound(format!("版本 {name} 不存在")))
    }

    /// Release notes from edition `a` to edition `b`.
    pub fn edition_diff(&self, a: &str, b: &str) -> Result<Vec<NoteEntry>> {
        let (ea, eb) = (self.edition(a)?, self.edition(b)?);
        Ok(notes_between(&ea, &eb, |code, n| {
            self.store
                .revision(code, n)
                .ok()
                .flatten()
                .map(|r| r.indicator)
        }))
    }

    /// Release notes of an edition against the one frozen before it (all new for the first).
    pub fn release_notes(&self, name: &str) -> Result<(Option<String>, Vec<NoteEntry>)> {
        let eds = self.store.editions()?;
        let Some(pos) = eds.iter().position(|e| e.name == name) else {
            return Err(CurationError::NotFound(format!("版本 {name} 不存在")));
        };
        let empty = Edition {
            name: String::new(),
            frozen_at: eds[pos].frozen_at,
            frozen_by: String::new(),
            members: vec![],
            source_hash: None,
        };
        let prev = if pos > 0 { &eds[pos - 1] } else { &empty };
        let notes = notes_between(prev, &eds[pos], |code, n| {
            self.store
                .revision(code, n)
                .ok()
                .flatten()
                .map(|r| r.indicator)
        });
        Ok(((pos > 0).then(|| prev.name.clone()), notes))
    }

    /// The indicators of an edition, each in the revision it holds.
    pub fn edition_indicators(&self, name: &str) -> Result<Vec<Indicator>> {
        let ed = self.edition(name)?;
        let mut out = Vec::with_capacity(ed.members.len());
        for (code, n) in &ed.members {
            let r = self.store.revision(code, *n)?.ok_or_else(|| {
                CurationError::Conflict(format!("版本 {name} 引用的 {code} 第 {n} 版缺失"))
            })?;
            out.push(r.indicator);
        }
        Ok(out)
    }
}

/// Checks an edition name: `2026.2`, `2027.1-试行` ...
pub fn check_edition_name(name: &str) -> Result<()> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 32 {
        return Err(CurationError::BadRequest(
            "版本号应为 1–32 个字符，例如 2026.2".into(),
        ));
    }
    if n.chars().any(|c| c.is_whitespace() || "/\\?#%".contains(c)) {
        return Err(CurationError::BadRequest(
            "版本号不能含空格或 / \\ ? # %".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edition_names_are_checked() {
        assert!(check_edition_name("2026.2").is_ok());
        assert!(check_edition_name("").is_err());
        assert!(check_edition_name("2026 2").is_err());
        assert!(check_edition_name("a/b").is_err());
    }
}
