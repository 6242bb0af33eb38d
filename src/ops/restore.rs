//! `zhibiao restore`: a backup becomes the data directory's store, all or nothing, and the
//! search index is rebuilt from it.
//!
//! The backup is read into a new database in a temporary folder inside the data directory
//! (same disk, so the final step is a rename) and checked whole on the way (layout, counts,
//! SHA-256). Only a complete, verified copy that opens as a store replaces anything; a store
//! already there is renamed aside (`store.replaced-<time>`), never deleted.

use super::backup::{self, Manifest};
use crate::config::Config;
use crate::search::{SearchIndex, Vocabulary};
use crate::store::Store;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where the store it replaced was moved.
    pub replaced: Option<PathBuf>,
    /// Indicators in the rebuilt index.
    pub indexed: usize,
}

fn is_empty_dir(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Restores `file` into the data directory of `config`. Refuses a data directory that holds a
/// store unless `force`, and one whose store a running server holds in any case. A refused
/// restore leaves the data directory as it found it (not even created).
pub fn restore(config: &Config, file: &Path, force: bool) -> anyhow::Result<Restored> {
    let existed = config.data_dir.exists();
    let r = restore_checked(config, file, force);
    if r.is_err() && !existed {
        let _ = std::fs::remove_dir(&config.data_dir);
    }
    r
}

fn restore_checked(config: &Config, file: &Path, force: bool) -> anyhow::Result<Restored> {
    let target = config.store_dir();
    let occupied =
        !is_empty_dir(&target).with_context(|| format!("无法读取 {}", target.display()))?;
    if occupied && !force {
        anyhow::bail!(
            "数据目录 {} 中已有数据库，恢复会替换它：确认后加 --force（原数据库将改名保留，不会删除）",
            config.data_dir.display()
        );
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("无法创建数据目录 {}", config.data_dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(&config.data_dir)
        .with_context(|| format!("无法在 {} 中建立临时目录", config.data_dir.display()))?;
    let staged = tmp.path().join("store");
    let manifest = backup::restore_into(file, &staged)
        .map_err(|e| anyhow::anyhow!("{}：{e}", file.display()))?;
    if occupied {
        refuse_if_served(&target)?;
    }
    {
        let store = Store::open(&staged, 8 << 20).context("恢复出的数据库无法打开")?;
        anyhow::ensure!(
            store.catalog()?.is_some(),
            "备份中没有指标库目录（catalog）：它不是一个可用的 zhibiao 数据库"
        );
    }
    let replaced = if occupied {
        let aside = config.data_dir.join(format!(
            "store.replaced-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::rename(&target, &aside)
            .with_context(|| format!("无法将原数据库改名为 {}", aside.display()))?;
        Some(aside)
    } else {
        let _ = std::fs::remove_dir(&target);
        None
    };
    std::fs::rename(&staged, &target)
        .with_context(|| format!("无法将恢复的数据库移到 {}", target.display()))?;
    let indexed = rebuild_index(config)?;
    Ok(Restored {
        manifest,
        replaced,
        indexed,
    })
}

/// Opening the store is how to learn whether a server holds it; it is closed again at once.
/// Only done once the backup has been read whole: a refused backup leaves the store untouched.
fn refuse_if_served(target: &Path) -> anyhow::Result<()> {
    Store::open(target, 1 << 20).map_err(|e| {
        if e.is_locked() {
            anyhow::anyhow!(
                "数据库 {} 正被运行中的服务使用：请先停止服务再恢复",
                target.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("无法打开现有数据库 {}", target.display()))
        }
    })?;
    Ok(())
}

/// The index of another store would be taken for this one's if their generations matched:
/// it is removed and built again from the restored store.
fn rebuild_index(config: &Config) -> anyhow::Result<usize> {
    let dir = config.index_dir();
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(anyhow::Error::new(e).context(format!("无法删除旧索引 {}", dir.display())));
        }
        _ => {}
    }
    let store = Store::open(&config.store_dir(), config.cache_bytes)?;
    let catalog = store.catalog()?.context("数据库中没有目录信息")?;
    let vocab = Vocabulary::load(&config.vocab_dir)?;
    let (index, _) = SearchIndex::open_or_build(
        &dir,
        Arc::new(vocab),
        Arc::new(catalog),
        || store.each_indicator().map(|i| i.map_err(|e| e.to_string())),
        store.generation()?,
    )
    .context("检索索引重建失败")?;
    Ok(index.len())
}
