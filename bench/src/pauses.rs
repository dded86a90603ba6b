//! How often this machine stops a thread that has nothing to do but sleep 1 ms at a time: on
//! a virtual machine the host takes a core away now and then, and every message in flight on
//! that core waits. Measured on each core while nothing else of the bench runs, so the
//! latency tables can be read against the machine's own floor.

use crate::server::pinned;
use anyhow::{Context, Result};
use std::time::{Duration, Instant};
use tokio::process::Command;

/// Lateness past the 1 ms asked for that counts as a pause.
pub const THRESHOLD: Duration = Duration::from_millis(2);

/// The pauses seen on one core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pauses {
    pub core: usize,
    pub watched: Duration,
    pub count: u64,
    pub longest: Duration,
    /// Their lateness together.
    pub total: Duration,
}

/// Sleeps 1 ms at a time for `watched` on this thread; prints `count longest_us total_us`.
pub fn watch(watched: Duration) {
    let started = Instant::now();
    let (mut count, mut longest, mut total) = (0u64, Duration::ZERO, Duration::ZERO);
    while started.elapsed() < watched {
        let asleep = Instant::now();
        std::thread::sleep(Duration::from_millis(1));
        let late = asleep.elapsed().saturating_sub(Duration::from_millis(1));
        if late >= THRESHOLD {
            count += 1;
            longest = longest.max(late);
            total += late;
        }
    }
    println!("{count} {} {}", longest.as_micros(), total.as_micros());
}

/// Watches every one of `cores` at once for `watched`, each from a copy of this program pinned
/// to it; empty where cores cannot be pinned (no `taskset`).
pub async fn measure(cores: usize, watched: Duration) -> Result<Vec<Pauses>> {
    let program = std::env::current_exe()?;
    let seconds = watched.as_secs().to_string();
    let watchers = (0..cores).map(|core| {
        let command = pinned(&program, core).map(|mut command| {
            command.arg("pauses").arg(&seconds);
            Command::from(command)
        });
        async move {
            let Some(mut command) = command else {
                return Ok(None);
            };
            let output = command.output().await?;
            let text = String::from_utf8_lossy(&output.stdout);
            parse(core, watched, &text)
                .with_context(|| format!("pause watcher on core {core} said {text:?}"))
                .map(Some)
        }
    });
    let watched: Vec<Option<Pauses>> = futures_util::future::try_join_all(watchers).await?;
    Ok(watched.into_iter().flatten().collect())
}

fn parse(core: usize, watched: Duration, text: &str) -> Option<Pauses> {
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let (count, longest, total) = (
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    );
    Some(Pauses {
        core,
        watched,
        count,
        longest: Duration::from_micros(longest),
        total: Duration::from_micros(total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watchers_line_reads_back() {
        let watched = Duration::from_secs(10);
        assert_eq!(
            parse(1, watched, "9 6100 41000\n"),
            Some(Pauses {
                core: 1,
                watched,
                count: 9,
                longest: Duration::from_micros(6100),
                total: Duration::from_millis(41),
            })
        );
        assert_eq!(parse(0, watched, "9 lots"), None);
    }
}
