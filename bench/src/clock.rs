//! One clock for the whole generator: send times travel inside message texts as nanoseconds
//! since the run started, and are read back by the receiver in the same process.

use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the first call.
pub fn now_ns() -> u64 {
    let epoch = EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A message text carrying its send time: `<tag> <ns>`.
pub fn stamped(tag: &str) -> String {
    format!("{tag} {}", now_ns())
}

/// Latency in microseconds of a text made by [`stamped`] with `tag`, if it is one.
pub fn latency_us(tag: &str, text: &str) -> Option<u64> {
    let sent: u64 = text.strip_prefix(tag)?.trim().parse().ok()?;
    Some(now_ns().saturating_sub(sent) / 1000)
}
