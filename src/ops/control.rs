//! The control socket of a running server (`DATA_DIR/run/control.sock`): `zhibiao backup` asks
//! the server that holds the store for a backup through it, since sled lets one process open a
//! store at a time. Who may connect is whoever may enter the data directory: the socket sits in
//! a folder only the service's user can open (mode 0700), so no password or token is needed.
//!
//! The protocol is one line, `BACKUP`; the answer is the backup file itself (it starts with
//! gzip's magic bytes and checks itself), or one line `ERR <message>`.

use super::backup::{self, BackupError, Manifest};
use crate::store::StoreWatch;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const REQUEST: &str = "BACKUP";
/// A client that sends nothing, or stops reading, is dropped after this: a backup holds the
/// store's writes back while it is read, so a stalled reader must not hold them for long.
const STALL: Duration = Duration::from_secs(10);

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("run").join("control.sock")
}

/// The listening socket; dropping it stops the listener and removes the socket file.
pub struct Control {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What a finished backup request reports (for metrics and the log).
pub type OnBackup = Box<dyn Fn(&Result<Manifest, BackupError>) + Send>;

/// Listens on the data directory's control socket. The caller holds the store, so no other
/// server uses this data directory: a socket file left by a crash is removed first.
pub fn listen(data_dir: &Path, store: StoreWatch, on_backup: OnBackup) -> std::io::Result<Control> {
    let path = socket_path(data_dir);
    let dir = path.parent().expect("a file in run/");
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(&path)?;
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let thread = std::thread::Builder::new()
        .name("control-socket".into())
        .spawn(move || {
            // One request at a time: two backups at once would only pause writes twice as long.
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                if let Err(e) = serve(conn, &store, &on_backup) {
                    tracing::warn!(error = %e, "a control-socket request failed");
                }
            }
        })?;
    Ok(Control {
        path,
        stop,
        thread: Some(thread),
    })
}

fn serve(conn: UnixStream, store: &StoreWatch, on_backup: &OnBackup) -> std::io::Result<()> {
    conn.set_read_timeout(Some(STALL))?;
    conn.set_write_timeout(Some(STALL))?;
    let mut line = String::new();
    BufReader::new((&conn).take(64)).read_line(&mut line)?;
    let mut conn = conn;
    if line.trim() != REQUEST {
        return writeln!(conn, "ERR 未知请求“{}”", line.trim());
    }
    let Some(store) = store.store() else {
        return writeln!(conn, "ERR 服务正在停止");
    };
    let done = backup::write(&store, &mut conn);
    match &done {
        Ok(m) => tracing::info!(entries = m.entries(), pause_ms = m.pause_ms, "backup taken"),
        Err(e) => tracing::warn!(error = %e, "backup failed"),
    }
    on_backup(&done);
    Ok(())
}

impl Drop for Control {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the stop.
        let _ = UnixStream::connect(&self.path);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a server listens on the data directory's control socket.
pub fn server_listening(data_dir: &Path) -> bool {
    UnixStream::connect(socket_path(data_dir)).is_ok()
}

/// Asks the server running on `data_dir` for a backup and copies it into `out`.
pub fn request_backup(data_dir: &Path, out: &mut impl Write) -> Result<(), BackupError> {
    let path = socket_path(data_dir);
    let mut conn = UnixStream::connect(&path).map_err(|e| {
        BackupError::Service(format!(
            "数据库正被另一个进程使用，但无法连接运行中服务的控制接口 {}（{e}）：请确认 zhibiao serve 以同一数据目录运行，或先停止服务再备份",
            path.display()
        ))
    })?;
    conn.write_all(format!("{REQUEST}\n").as_bytes())?;
    let mut first = [0u8; 2];
    conn.read_exact(&mut first)?;
    if first != [0x1f, 0x8b] {
        let mut rest = String::new();
        conn.take(4096).read_to_string(&mut rest)?;
        let message = format!("{}{rest}", String::from_utf8_lossy(&first));
        let message = message.trim().trim_start_matches("ERR ").to_string();
        return Err(BackupError::Service(format!(
            "服务拒绝了备份请求：{message}"
        )));
    }
    out.write_all(&first)?;
    std::io::copy(&mut conn, out)?;
    Ok(())
}
