//! Log setup: structured lines on stderr through `tracing`, with matchbox's
//! logrus level names accepted.

use anyhow::bail;
use tracing::level_filters::LevelFilter;

/// matchbox's `-log-level` values (logrus names, case-insensitive) mapped to
/// tracing levels; logrus has no level above `error` that tracing keeps apart.
pub fn parse_level(name: &str) -> anyhow::Result<LevelFilter> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "panic" | "fatal" | "error" => LevelFilter::ERROR,
        "warn" | "warning" => LevelFilter::WARN,
        "info" => LevelFilter::INFO,
        "debug" => LevelFilter::DEBUG,
        "trace" => LevelFilter::TRACE,
        "off" => LevelFilter::OFF,
        other => bail!("invalid log-level {other:?}: use error, warn, info, debug or trace"),
    })
}

pub fn init(level: LevelFilter) {
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(level)
        // Connection-level chatter from the HTTP stack is not for operators.
        .with_target("hyper", LevelFilter::WARN)
        .with_target("hyper_util", LevelFilter::WARN);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_target(false),
        )
        .with(filter)
        .try_init();
}
