//! The backup file: every tree of the store as read during one pause of the writes, gzip
//! compressed, with a manifest (format, version, counts per tree, SHA-256) that a restore checks
//! before anything replaces the data directory.
//!
//! Layout of the uncompressed stream (integers are u32 big-endian):
//! `MAGIC`, header length + header JSON, then records (`TREE` name length + name, `ENTRY`
//! key length + key + value length + value, `END`), then manifest length + manifest JSON. The
//! manifest's `sha256` covers every byte before the manifest's length.

use crate::store::{Paused, RawWriter, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

const MAGIC: &[u8; 16] = b"ZHIBIAO-BACKUP\n\0";
/// The version of this layout; a restore refuses any other.
pub const FORMAT: u32 = 1;
const TREE: u8 = 1;
const ENTRY: u8 = 2;
const END: u8 = 0;
/// Largest key, value, name or JSON block a restore accepts: nothing the store writes comes
/// near it (a draft is at most 256 KiB), and a damaged length cannot make it allocate more.
const MAX_FIELD: u32 = 64 << 20;

/// What a backup holds, as written at its end.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    /// The zhibiao version that wrote it.
    pub version: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Entries per tree.
    pub trees: BTreeMap<String, u64>,
    /// Bytes of keys and values together.
    pub bytes: u64,
    /// How long writes waited for the backup, in milliseconds.
    pub pause_ms: u64,
    /// SHA-256 (hex) of the stream before the manifest.
    pub sha256: String,
}

impl Manifest {
    pub fn entries(&self) -> u64 {
        self.trees.values().sum()
    }

    /// One line per kind of record an operator recognises, in Chinese.
    pub fn summary(&self) -> String {
        let n = |t: &str| self.trees.get(t).copied().unwrap_or(0);
        format!(
            "指标 {}，修订 {}，版本 {}，提案 {}，草稿 {}，评价项目 {}，用户 {}，审计记录 {}（共 {} 条记录，{} 个数据表）",
            n("indicators"),
            n("revisions"),
            n("editions"),
            n("proposals"),
            n("drafts"),
            n("evaluations"),
            n("users"),
            n("audit"),
            self.entries(),
            self.trees.len()
        )
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    version: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// Why a backup file cannot be used; every message says so in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("不是 zhibiao 备份文件（文件头不符）")]
    NotABackup,
    #[error("备份文件格式版本为 {0}，本程序只能读取版本 {FORMAT}：请用写出它的 zhibiao 版本恢复")]
    Format(u32),
    #[error("备份文件不完整（在第 {at} 字节处截断或损坏）：{why}")]
    Truncated { at: u64, why: String },
    #[error("备份文件已损坏：{0}")]
    Damaged(String),
    #[error("备份文件校验和不符（记录为 {expected}，实际为 {actual}）：文件已损坏，未恢复任何内容")]
    Checksum { expected: String, actual: String },
    /// The running server could not be asked, or refused.
    #[error("{0}")]
    Service(String),
    #[error("数据库错误：{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("读写失败：{0}")]
    Io(#[from] io::Error),
}

/// Writes a sink and hashes what it writes.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn field(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|n| *n <= MAX_FIELD)
        .ok_or_else(|| io::Error::other("记录过大"))?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(bytes)
}

/// Writes a backup of `store` to `out`: every tree read during one pause of the writes.
pub fn write(store: &Store, out: impl Write) -> Result<Manifest, BackupError> {
    let gz = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::fast());
    let mut w = Hashing {
        inner: gz,
        hash: Sha256::new(),
    };
    let created_at = chrono::Utc::now();
    let version = env!("CARGO_PKG_VERSION").to_string();
    w.write_all(MAGIC)?;
    let header = Header {
        format: FORMAT,
        version: version.clone(),
        created_at,
    };
    field(&mut w, &serde_json::to_vec(&header).expect("serializes"))?;
    let started = Instant::now();
    let (trees, bytes) = store.paused(|db| dump(db, &mut w))??;
    let pause_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    w.write_all(&[END])?;
    let Hashing {
        inner: mut gz,
        hash,
    } = w;
    let manifest = Manifest {
        format: FORMAT,
        version,
        created_at,
        trees,
        bytes,
        pause_ms,
        sha256: format!("{:x}", hash.finalize()),
    };
    field(&mut gz, &serde_json::to_vec(&manifest).expect("serializes"))?;
    gz.finish()?.flush()?;
    Ok(manifest)
}

fn dump(db: &Paused, w: &mut impl Write) -> Result<(BTreeMap<String, u64>, u64), BackupError> {
    let mut counts = BTreeMap::new();
    let mut bytes = 0u64;
    for (name, tree) in db.trees()? {
        w.write_all(&[TREE])?;
        field(w, &name)?;
        let mut n = 0u64;
        for kv in tree.iter() {
            let (k, v) = kv.map_err(crate::store::StoreError::from)?;
            w.write_all(&[ENTRY])?;
            field(w, &k)?;
            field(w, &v)?;
            n += 1;
            bytes += (k.len() + v.len()) as u64;
        }
        counts.insert(String::from_utf8_lossy(&name).into_owned(), n);
    }
    Ok((counts, bytes))
}

/// Reads the uncompressed stream, hashing it and counting its position.
struct Source<R> {
    inner: R,
    hash: Sha256,
    at: u64,
}

impl<R: Read> Source<R> {
    fn exact(&mut self, buf: &mut [u8]) -> Result<(), BackupError> {
        self.inner.read_exact(buf).map_err(|e| self.broken(e))?;
        self.hash.update(&*buf);
        self.at += buf.len() as u64;
        Ok(())
    }

    fn broken(&self, e: io::Error) -> BackupError {
        let why = match e.kind() {
            io::ErrorKind::UnexpectedEof => "文件在此处结束".to_string(),
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
                format!("压缩数据损坏（{e}）")
            }
            _ => e.to_string(),
        };
        BackupError::Truncated { at: self.at, why }
    }

    fn byte(&mut self) -> Result<u8, BackupError> {
        let mut b = [0u8];
        self.exact(&mut b)?;
        Ok(b[0])
    }

    fn field(&mut self) -> Result<Vec<u8>, BackupError> {
        let mut len = [0u8; 4];
        self.exact(&mut len)?;
        let len = u32::from_be_bytes(len);
        if len > MAX_FIELD {
            return Err(BackupError::Damaged(format!(
                "第 {} 字节处的记录长度 {len} 超出上限",
                self.at
            )));
        }
        let mut v = vec![0u8; len as usize];
        self.exact(&mut v)?;
        Ok(v)
    }
}

/// Where the records of a backup go as they are read: nowhere (a check) or a new database.
pub trait Sink {
    fn tree(&mut self, name: &[u8]) -> Result<(), BackupError>;
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), BackupError>;
}

impl Sink for () {
    fn tree(&mut self, _: &[u8]) -> Result<(), BackupError> {
        Ok(())
    }
    fn put(&mut self, _: &[u8], _: &[u8]) -> Result<(), BackupError> {
        Ok(())
    }
}

impl Sink for RawWriter {
    fn tree(&mut self, name: &[u8]) -> Result<(), BackupError> {
        Ok(RawWriter::tree(self, name)?)
    }
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), BackupError> {
        Ok(RawWriter::put(self, key, value)?)
    }
}

/// Reads a whole backup into `sink`, checking its layout, its counts and its checksum. The
/// sink has received everything only when this returns `Ok`; on an error, discard it.
pub fn read(input: impl Read, sink: &mut impl Sink) -> Result<Manifest, BackupError> {
    let mut raw = BufReader::new(input);
    let mut gz_magic = [0u8; 2];
    if raw.read_exact(&mut gz_magic).is_err() || gz_magic != [0x1f, 0x8b] {
        return Err(BackupError::NotABackup);
    }
    let chained = io::Cursor::new(gz_magic).chain(raw);
    let mut src = Source {
        inner: flate2::read::GzDecoder::new(chained),
        hash: Sha256::new(),
        at: 0,
    };
    let mut magic = [0u8; 16];
    src.exact(&mut magic).map_err(|_| BackupError::NotABackup)?;
    if &magic != MAGIC {
        return Err(BackupError::NotABackup);
    }
    let header: Header = serde_json::from_slice(&src.field()?)
        .map_err(|e| BackupError::Damaged(format!("文件头无法解析（{e}）")))?;
    if header.format != FORMAT {
        return Err(BackupError::Format(header.format));
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut bytes = 0u64;
    loop {
        match src.byte()? {
            TREE => {
                let name = src.field()?;
                sink.tree(&name)?;
                let name = String::from_utf8_lossy(&name).into_owned();
                counts.insert(name.clone(), 0);
                current = Some(name);
            }
            ENTRY => {
                let (k, v) = (src.field()?, src.field()?);
                let Some(tree) = &current else {
                    return Err(BackupError::Damaged("记录出现在数据表之前".into()));
                };
                sink.put(&k, &v)?;
                *counts.get_mut(tree).expect("inserted with the tree") += 1;
                bytes += (k.len() + v.len()) as u64;
            }
            END => break,
            other => {
                return Err(BackupError::Damaged(format!(
                    "第 {} 字节处有未知的记录类型 {other}",
                    src.at
                )));
            }
        }
    }
    let actual = format!("{:x}", std::mem::take(&mut src.hash).finalize());
    let manifest: Manifest = serde_json::from_slice(&src.field()?)
        .map_err(|e| BackupError::Damaged(format!("清单无法解析（{e}）")))?;
    if manifest.sha256 != actual {
        return Err(BackupError::Checksum {
            expected: manifest.sha256,
            actual,
        });
    }
    if manifest.trees != counts || manifest.bytes != bytes {
        return Err(BackupError::Damaged(format!(
            "清单记录 {} 条，实际读到 {} 条",
            manifest.entries(),
            counts.values().sum::<u64>()
        )));
    }
    // Nothing may follow the manifest: a longer file is not the one that was written.
    let mut rest = [0u8; 1];
    match src.inner.read(&mut rest) {
        Ok(0) => Ok(manifest),
        Ok(_) => Err(BackupError::Damaged("清单之后还有多余的数据".into())),
        Err(e) => Err(src.broken(e)),
    }
}

/// Checks a backup file whole without writing anything.
pub fn verify(path: &Path) -> Result<Manifest, BackupError> {
    read(std::fs::File::open(path)?, &mut ())
}

/// Reads a backup into a new database in `store_dir` (which must not exist or be empty). On
/// any error the partial database is left for the caller to discard.
pub fn restore_into(path: &Path, store_dir: &Path) -> Result<Manifest, BackupError> {
    let mut db = RawWriter::create(store_dir)?;
    let manifest = read(std::fs::File::open(path)?, &mut db)?;
    db.finish()?;
    Ok(manifest)
}

/// Writes a backup to `path` atomically: `produce` fills a temporary file beside it, which is
/// read back whole and checked (layout, counts, checksum) before it replaces `path`. A failure
/// at any step leaves `path` as it was.
pub fn to_file(
    path: &Path,
    produce: impl FnOnce(&mut std::fs::File) -> Result<(), BackupError>,
) -> Result<Manifest, BackupError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".zhibiao-backup-")
        .tempfile_in(&parent)?;
    produce(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    let manifest = read(std::fs::File::open(tmp.path())?, &mut ())?;
    tmp.persist(path).map_err(|e| BackupError::Io(e.error))?;
    // The rename itself reaches the disk with the directory.
    if let Ok(dir) = std::fs::File::open(&parent) {
        let _ = dir.sync_all();
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled_store(dir: &Path) -> Store {
        let store = Store::open(dir, 8 << 20).unwrap();
        let lib = crate::ingest::library::load_dir(&crate::ingest::library::default_dir()).unwrap();
        store.sync_library(lib, "test").unwrap();
        store
    }

    #[test]
    fn a_backup_reads_back_with_the_same_trees_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let store = filled_store(&dir.path().join("a"));
        let mut file = Vec::new();
        let m = write(&store, &mut file).unwrap();
        assert!(m.trees["indicators"] > 100, "{m:?}");
        let back = read(&file[..], &mut ()).unwrap();
        assert_eq!(back, m);
        let restored = dir.path().join("b");
        let path = dir.path().join("x.zbk");
        std::fs::write(&path, &file).unwrap();
        restore_into(&path, &restored).unwrap();
        let copy = Store::open(&restored, 8 << 20).unwrap();
        assert_eq!(copy.indicators().unwrap(), store.indicators().unwrap());
        assert_eq!(copy.generation().unwrap(), store.generation().unwrap());
        assert_eq!(copy.editions().unwrap(), store.editions().unwrap());
    }

    #[test]
    fn a_damaged_or_cut_backup_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let store = filled_store(dir.path());
        let mut file = Vec::new();
        write(&store, &mut file).unwrap();
        let cut = read(&file[..file.len() / 2], &mut ()).unwrap_err();
        assert!(matches!(cut, BackupError::Truncated { .. }), "{cut}");
        assert!(cut.to_string().contains("不完整"), "{cut}");
        // The last bytes (gzip's own CRC and length) missing: still refused.
        let tail = read(&file[..file.len() - 4], &mut ()).unwrap_err();
        assert!(matches!(tail, BackupError::Truncated { .. }), "{tail}");
        let mut flipped = file.clone();
        let mid = flipped.len() / 3;
        flipped[mid] ^= 0x55;
        let bad = read(&flipped[..], &mut ()).unwrap_err();
        assert!(
            matches!(
                bad,
                BackupError::Truncated { .. }
                    | BackupError::Checksum { .. }
                    | BackupError::Damaged(_)
            ),
            "{bad}"
        );
        let not = read(&b"PK\x03\x04 a spreadsheet"[..], &mut ()).unwrap_err();
        assert!(matches!(not, BackupError::NotABackup), "{not}");
    }

    #[test]
    fn a_record_changed_under_an_intact_compression_fails_the_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let store = filled_store(dir.path());
        let mut file = Vec::new();
        write(&store, &mut file).unwrap();
        // Decompress, change one byte of a value, compress again: gzip is happy, the manifest not.
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&file[..])
            .read_to_end(&mut plain)
            .unwrap();
        let at = plain
            .windows(4)
            .position(|w| w == &"满意度".as_bytes()[..4])
            .unwrap();
        plain[at] ^= 1;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let e = read(&gz.finish().unwrap()[..], &mut ()).unwrap_err();
        assert!(matches!(e, BackupError::Checksum { .. }), "{e}");
        assert!(e.to_string().contains("校验和不符"), "{e}");
    }
}
