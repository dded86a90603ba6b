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
    times(pid).map_or(0.0, |times| times.own())
}

/// CPU time of a server of processes: `parent`'s own, its exited children's (the kernel adds
/// them to the parent when it reaps them), and its running children's; in seconds. How much a
/// PostgreSQL server (the postmaster and every process it started) worked, connections that
/// closed meanwhile included.
pub fn cpu_seconds_with_children(parent: u32) -> f64 {
    let Some(own) = times(parent) else {
        return 0.0;
    };
    let running: f64 = numbered("/proc")
        .filter_map(times)
        .filter(|child| child.parent == parent)
        .map(|child| child.own())
        .sum();
    own.own() + own.children + running
}

/// The numbered entries of a `/proc` directory: the processes in `/proc`, the threads in
/// `/proc/PID/task`.
pub fn numbered(dir: &str) -> impl Iterator<Item = u32> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
}

/// The parent of `pid`, if it is still running.
pub fn parent_of(pid: u32) -> Option<u32> {
    times(pid).map(|times| times.parent)
}

/// What `/proc/PID/stat` says of a process's CPU time, in seconds.
#[derive(Debug, Clone, Copy)]
struct Times {
    parent: u32,
    user: f64,
    system: f64,
    /// User plus system time of its children that exited and were waited for.
    children: f64,
}

impl Times {
    fn own(&self) -> f64 {
        self.user + self.system
    }
}

fn times(pid: u32) -> Option<Times> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_times(&stat, clock_ticks())
}

/// `stat`'s fields after the command name, which is in parentheses and may contain spaces.
fn parse_times(stat: &str, ticks_per_second: f64) -> Option<Times> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let seconds = |index: usize| -> Option<f64> {
        Some(fields.get(index)?.parse::<f64>().ok()? / ticks_per_second)
    };
    Some(Times {
        parent: fields.get(1)?.parse().ok()?,
        user: seconds(11)?,
        system: seconds(12)?,
        children: seconds(13)? + seconds(14)?,
    })
}

/// The kernel's clock ticks per second, asked once.
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(ask_clock_ticks)
}

fn ask_clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (postgres: x (y) z) S 17 4242 4242 0 -1 4194304 100 0 0 0 \
                    250 50 30 20 20 0 1 0 100 1000 10";
        let times = parse_times(stat, 100.0).unwrap();
        assert_eq!(times.parent, 17);
        assert_eq!((times.user, times.system, times.children), (2.5, 0.5, 0.5));
        assert!(parse_times("4242 (cut short) S 17", 100.0).is_none());
    }

    #[test]
    fn a_servers_time_holds_what_its_exited_children_spent() {
        let me = std::process::id();
        let before = cpu_seconds_with_children(me);
        let status = Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let spent = cpu_seconds_with_children(me) - before;
        assert!(spent > 0.05, "the child's loop counted: {spent} s");
        assert_eq!(parent_of(me), Some(std::os::unix::process::parent_id()));
    }
}
