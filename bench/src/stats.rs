//! Latency histograms (HDR, microseconds) and what the kernel says about a process: resident
//! memory and CPU time, read from `/proc`.

use hdrhistogram::Histogram;
use std::process::Command;

/// A histogram of microseconds, 1 µs to 60 s at 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// `p50 / p99 / p99.9` in milliseconds, or `-` when nothing was recorded.
pub fn percentiles(histogram: &Histogram<u64>) -> String {
    if histogram.is_empty() {
        return "-".to_owned();
    }
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    format!("{:.2} / {:.2} / {:.2}", ms(0.5), ms(0.99), ms(0.999))
}

/// Resident set size of `pid`, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// User plus system CPU time of `pid`, in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let ticks_per_second = clock_ticks();
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which is in parentheses and may contain spaces.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / ticks_per_second)
        })
        .unwrap_or(0.0)
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}
