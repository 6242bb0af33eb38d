//! Starting the real application for tests.

use std::net::SocketAddr;
use std::sync::OnceLock;
use zhibiao::app::App;
use zhibiao::config::Config;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// Kept so the data directory lives as long as the server.
    _dir: Option<tempfile::TempDir>,
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
}

/// Starts the app from `config` on a free port in a runtime of its own thread, so the server
/// outlives any one test's runtime.
pub fn start(config: Config, dir: Option<tempfile::TempDir>) -> TestApp {
    let app = App::open(config).expect("the app opens");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, zhibiao::web::router(std::sync::Arc::new(app)))
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
        _dir: dir,
    }
}

/// A fresh app with the bundled library in a new temporary data directory.
pub fn fresh_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    start(Config::for_tests(dir.path()), Some(dir))
}

/// One app with the bundled library, shared by the read-only tests.
pub fn shared_app() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(fresh_app)
}

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
