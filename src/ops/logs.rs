//! The log format: human-readable lines by default, one JSON object per event on request
//! (`--log-format json` / `ZHIBIAO_LOG_FORMAT=json`) for a log collector. Both go to stderr
//! (journald under systemd); `RUST_LOG` chooses what is logged.

/// How log events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the process's log subscriber.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "zhibiao=info,warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // Flattened: `message`, `level`, `target` and the event's fields side by side.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}
