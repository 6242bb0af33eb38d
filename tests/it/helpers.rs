//! Starting the real application for tests.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use zhibiao::app::App;
use zhibiao::config::Config;
use zhibiao::domain::Role;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// The application the server runs, for checks the HTTP API does not offer.
    pub app: Arc<App>,
    /// Kept so the data directory lives as long as the server.
    _dir: Option<tempfile::TempDir>,
    /// Ends the server (see `restart`).
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the server")
    }

    /// POSTs raw bytes; returns the status and the JSON body.
    pub async fn post_bytes(&self, path: &str, bytes: Vec<u8>) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.url(path))
            .body(bytes)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.expect("a JSON body"))
    }

    pub async fn json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        let body = r.json().await.expect("a JSON body");
        (status, body)
    }

    /// Stops the server, closes the application (store and index) and opens it again on the
    /// same data directory, as a restart of the process would. Sessions live in the store, so
    /// they survive.
    pub fn restart(mut self) -> TestApp {
        let _ = self.stop.take().expect("a running server").send(());
        self.server
            .take()
            .unwrap()
            .join()
            .expect("the server stops");
        let config = self.app.config.clone();
        let app = Arc::try_unwrap(self.app).unwrap_or_else(|_| panic!("the app is still in use"));
        drop(app);
        start(config, self._dir.take())
    }
}

/// Starts the app from `config` on a free port in a runtime of its own thread, so the server
/// outlives any one test's runtime.
pub fn start(config: Config, dir: Option<tempfile::TempDir>) -> TestApp {
    let app = Arc::new(App::open(config).expect("the app opens"));
    let served = app.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            zhibiao::web::drafts::spawn_expiry(served.clone());
            axum::serve(
                listener,
                zhibiao::web::router(served).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    TestApp {
        addr: rx.recv().expect("the server starts"),
        // No connection reuse: a pooled connection the server just closed would fail a test at random.
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap(),
        app,
        _dir: dir,
        stop: Some(stop),
        server: Some(server),
    }
}

/// A fresh app with the bundled library in a new temporary data directory.
pub fn fresh_app() -> TestApp {
    fresh_app_with(|_| {})
}

/// `fresh_app` with some settings changed.
pub fn fresh_app_with(settings: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(dir.path());
    settings(&mut config);
    start(config, Some(dir))
}

/// One app with the bundled library, shared by the read-only tests.
pub fn shared_app() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(fresh_app)
}

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The test accounts, one per role, and a second reviewer. Every password is `PASSWORD`.
pub const USERS: &[(&str, Role)] = &[
    ("admin", Role::Admin),
    ("editor", Role::Editor),
    ("reviewer", Role::Reviewer),
    ("reviewer2", Role::Reviewer),
];
pub const PASSWORD: &str = "测试密码-correct horse";

/// A fresh app whose store already holds the test accounts.
pub fn curation_app() -> TestApp {
    curation_app_with(|_| {})
}

/// `curation_app` with some settings changed.
pub fn curation_app_with(settings: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(dir.path());
    settings(&mut config);
    seed_users(&config);
    start(config, Some(dir))
}

/// Writes the test accounts into the store of `config` (the server must not run yet).
pub fn seed_users(config: &Config) {
    std::fs::create_dir_all(&config.data_dir).unwrap();
    {
        let store = zhibiao::store::Store::open(&config.store_dir(), 8 << 20).unwrap();
        for (name, role) in USERS {
            zhibiao::accounts::save_user(
                &store,
                zhibiao::accounts::NewUser {
                    name: name.to_string(),
                    display: String::new(),
                    role: role.label().to_string(),
                    password: PASSWORD.to_string(),
                },
                zhibiao::domain::AuditEntry {
                    seq: 0,
                    at: chrono::Utc::now(),
                    actor: "test".into(),
                    action: "setup".into(),
                    target: String::new(),
                    detail: String::new(),
                    address: "-".into(),
                },
            )
            .unwrap();
        }
    }
}

/// A signed-in browser-like client: its own cookie jar and the session's CSRF token.
pub struct Session {
    pub client: reqwest::Client,
    pub csrf: String,
    base: String,
}

impl Session {
    pub async fn login(app: &TestApp, name: &str) -> Session {
        Session::login_at(&format!("http://{}", app.addr), name).await
    }

    /// A client without an account, for a server at `base` (`http://127.0.0.1:PORT`).
    pub fn anonymous_at(base: &str) -> Session {
        Session {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            csrf: String::new(),
            base: base.to_string(),
        }
    }

    /// Signs in at the server at `base` (e.g. a `ServerProcess`).
    pub async fn login_at(base: &str, name: &str) -> Session {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = client
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({ "name": name, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name} signs in");
        let body: serde_json::Value = r.json().await.unwrap();
        Session {
            client,
            csrf: body["csrf"].as_str().unwrap().to_string(),
            base: base.to_string(),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// POSTs JSON with the session's CSRF header.
    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn post_raw(&self, path: &str, bytes: Vec<u8>) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// POSTs a page form (urlencoded) carrying the CSRF field; returns status and Location.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &self.csrf));
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .unwrap();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let s = r.status().as_u16();
        let body = r.text().await.unwrap_or_default();
        (s, if loc.is_empty() { body } else { loc })
    }
}

/// A `zhibiao serve` child process on a free port: its memory and its environment are its own.
/// Killed when dropped.
pub struct ServerProcess {
    pub proc: std::process::Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl ServerProcess {
    pub fn start(data: &std::path::Path, env: &[(&str, &str)]) -> ServerProcess {
        use std::io::BufRead;
        let mut proc = std::process::Command::new(env!("CARGO_BIN_EXE_zhibiao"))
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(proc.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .expect("the server prints its address");
        ServerProcess {
            base: format!("http://{addr}"),
            proc,
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.proc.kill();
        let _ = self.proc.wait();
    }
}

/// `zhibiao serve` on `data` with the environment it inherits.
pub fn serve(data: &Path) -> ServerProcess {
    ServerProcess::start(data, &[])
}

/// Runs a `zhibiao` command against a data directory (passwords from `ZHIBIAO_PASSWORD`);
/// its standard output.
pub fn run_cli(data: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhibiao"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("ZHIBIAO_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Codes of the app's active indicators that start with `prefix`, in code order (codes retired
/// by an edition leave gaps in a type's series).
pub fn active_codes(app: &TestApp, prefix: &str) -> Vec<String> {
    app.app
        .store
        .indicators()
        .unwrap()
        .into_iter()
        .filter(|i| i.is_active() && i.code.as_str().starts_with(prefix))
        .map(|i| i.code.to_string())
        .collect()
}
