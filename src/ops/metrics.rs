//! Prometheus metrics: requests and latency by route template, search and suggest latency,
//! imports and backups counted as they happen; the index and store figures read when scraped.
//!
//! One registry per application (not the process-wide default), so two apps in one process
//! (the tests) count apart. Routes are labelled by their template (`/indicators/{code}`), never
//! by the raw path, so the number of series stays bounded whatever callers send.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Request latencies, seconds: searches take well under a millisecond, imports seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    search: HistogramVec,
    evaluation_imports: IntCounterVec,
    evaluation_rows: IntCounter,
    library_imports: IntCounterVec,
    backups: IntCounterVec,
    backup_pause: Histogram,
    last_backup: IntGauge,
    /// One gauge per `STATE_GAUGES` entry, in its order.
    state: Vec<IntGauge>,
}

/// The gauges set from `State` at each scrape: name and help.
const STATE_GAUGES: [(&str, &str); 7] = [
    (
        "index_generation",
        "Store generation the search index reflects",
    ),
    ("index_documents", "Indicators in the search index"),
    ("index_size_bytes", "Bytes of the search index on disk"),
    (
        "index_stale",
        "1 while the search index misses a published change",
    ),
    (
        "store_generation",
        "Generation of the store (moves with every published change)",
    ),
    ("store_size_bytes", "Bytes of the store (sled) on disk"),
    ("store_fault", "1 while the store cannot write"),
];

/// What the index and the store look like when scraped.
#[derive(Debug, Default, Clone, Copy)]
pub struct State {
    pub index_generation: u64,
    pub index_documents: u64,
    pub index_bytes: u64,
    /// 1 while the index misses a published change.
    pub index_stale: bool,
    pub store_generation: u64,
    pub store_bytes: u64,
    /// 1 while the store cannot write.
    pub store_fault: bool,
}

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn histogram(r: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let h = HistogramVec::new(
        HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()),
        labels,
    )
    .expect("valid metric");
    r.register(Box::new(h.clone())).expect("registered once");
    h
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new_custom(Some("zhibiao".into()), None).expect("valid prefix");
        let evaluation_rows = IntCounter::new(
            "evaluation_rows_imported_total",
            "Evaluation rows written by imports",
        )
        .expect("valid metric");
        r.register(Box::new(evaluation_rows.clone()))
            .expect("registered once");
        let backup_pause = Histogram::with_opts(
            HistogramOpts::new(
                "backup_pause_seconds",
                "How long writes waited while a backup read the store",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        r.register(Box::new(backup_pause.clone()))
            .expect("registered once");
        let last_backup = IntGauge::new(
            "backup_last_success_timestamp_seconds",
            "When this process last took a backup (Unix time; 0: not since it started)",
        )
        .expect("valid metric");
        r.register(Box::new(last_backup.clone()))
            .expect("registered once");
        let state = STATE_GAUGES
            .iter()
            .map(|(name, help)| {
                let g = IntGauge::new(*name, *help).expect("valid metric");
                r.register(Box::new(g.clone())).expect("registered once");
                g
            })
            .collect();
        let build = IntGaugeVec::new(
            Opts::new("build_info", "The running version (always 1)"),
            &["version"],
        )
        .expect("valid metric");
        r.register(Box::new(build.clone()))
            .expect("registered once");
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        Metrics {
            requests: counter(
                &r,
                "http_requests_total",
                "HTTP requests by method, route template and status",
                &["method", "route", "status"],
            ),
            latency: histogram(
                &r,
                "http_request_duration_seconds",
                "HTTP request latency by method and route template",
                &["method", "route"],
            ),
            search: histogram(
                &r,
                "search_duration_seconds",
                "Time the search index took to answer, by kind (search, suggest)",
                &["kind"],
            ),
            evaluation_imports: counter(
                &r,
                "evaluation_imports_total",
                "Evaluation files imported, by outcome (written, dry_run, duplicate, refused)",
                &["outcome"],
            ),
            evaluation_rows,
            library_imports: counter(
                &r,
                "library_imports_total",
                "Library spreadsheet imports, by outcome (proposed, dry_run, refused)",
                &["outcome"],
            ),
            backups: counter(
                &r,
                "backups_total",
                "Backups asked of this server, by outcome (ok, failed)",
                &["outcome"],
            ),
            backup_pause,
            last_backup,
            state,
            registry: r,
        }
    }

    /// One answered request; `route` is the matched template (or a fixed word for none).
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// Time the index took for one search (`kind` "search") or suggestion list ("suggest").
    pub fn search(&self, kind: &str, seconds: f64) {
        self.search.with_label_values(&[kind]).observe(seconds);
    }

    /// One evaluation file import: `rows` written when `written`.
    pub fn evaluation_import(&self, outcome: &str, rows: usize) {
        self.evaluation_imports.with_label_values(&[outcome]).inc();
        self.evaluation_rows.inc_by(rows as u64);
    }

    pub fn library_import(&self, outcome: &str) {
        self.library_imports.with_label_values(&[outcome]).inc();
    }

    /// One backup asked through the control socket.
    pub fn backup(&self, ok: bool, pause_seconds: f64) {
        if ok {
            self.backups.with_label_values(&["ok"]).inc();
            self.backup_pause.observe(pause_seconds);
            self.last_backup.set(chrono::Utc::now().timestamp());
        } else {
            self.backups.with_label_values(&["failed"]).inc();
        }
    }

    /// Everything in the Prometheus text format, with `state` as of now.
    pub fn render(&self, state: State) -> String {
        let values = [
            state.index_generation,
            state.index_documents,
            state.index_bytes,
            u64::from(state.index_stale),
            state.store_generation,
            state.store_bytes,
            u64::from(state.store_fault),
        ];
        for (g, v) in self.state.iter().zip(values) {
            g.set(i64::try_from(v).unwrap_or(i64::MAX));
        }
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("the text encoder writes to memory");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_template_and_rendered_as_text() {
        let m = Metrics::new();
        m.request("GET", "/indicators/{code}", 200, 0.003);
        m.request("GET", "/indicators/{code}", 200, 0.002);
        m.search("search", 0.0004);
        let text = m.render(State {
            index_documents: 1234,
            ..State::default()
        });
        assert!(
            text.contains(
                r#"zhibiao_http_requests_total{method="GET",route="/indicators/{code}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains("\nzhibiao_index_documents 1234\n"), "{text}");
        assert!(text.contains("# TYPE zhibiao_http_request_duration_seconds histogram"));
        assert!(text.contains(r#"zhibiao_search_duration_seconds_count{kind="search"} 1"#));
    }
}
