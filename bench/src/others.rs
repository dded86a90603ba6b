//! Other processes' work on this machine during a run, and the latencies of the messages it
//! did not touch. The bench shares the machine's cores with whatever else runs on it; a burst
//! of another process's work holds up every message in flight on that core, so a run's p99
//! mixes the server's latency with the machine's. A thread of the bench reads, every
//! [`WINDOW`], how long each thread of every other process has run (`/proc/PID/task/TID/
//! schedstat`, in nanoseconds); a window in which other programs ran [`BURST`] or more
//! together is a burst, and a message whose send and acknowledgement straddle none is
//! untouched. Kernel threads are counted apart and make no burst: much of their work is the
//! bench's own (writing the server's files, moving its packets).

use crate::stats::{histogram, numbered, parent_of};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the threads' run times are read.
pub const WINDOW: Duration = Duration::from_millis(50);
/// Other programs' run time in one window from which the window counts as a burst.
pub const BURST: Duration = Duration::from_millis(5);

/// The processes whose work is the bench's own: the bench itself, the server, and the
/// PostgreSQL server (its postmaster and every process it starts).
#[derive(Debug, Clone, Default)]
pub struct Own {
    pub pids: Vec<u32>,
    pub postmaster: Option<u32>,
}

/// Reads other processes' run times on a thread of its own until [`Meter::stop`].
#[derive(Debug)]
pub struct Meter {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Others>,
}

/// Other processes' work during a run.
#[derive(Debug, Clone, Default)]
pub struct Others {
    pub windows: Vec<Window>,
    /// Run time by process name over the run (ns).
    pub by_name: BTreeMap<String, u64>,
}

/// Other processes' run time in one [`WINDOW`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// When it began, on the bench's clock (ns).
    pub start: u64,
    /// Other programs' run time in it (ns).
    pub programs: u64,
    /// Kernel threads' (ns).
    pub kernel: u64,
}

impl Meter {
    /// Starts reading, with `own`'s processes left out.
    pub fn start(own: Own) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || sample(&own, &stopped));
        Self { stop, thread }
    }

    /// Stops reading and returns what was read.
    pub fn stop(self) -> Others {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

fn sample(own: &Own, stop: &AtomicBool) -> Others {
    let mut others = Others::default();
    let mut threads = Threads::default();
    threads.find(own);
    threads.read();
    let mut next = Instant::now() + WINDOW;
    let mut found = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let start = crate::clock::now_ns().saturating_sub(WINDOW.as_nanos() as u64);
        if found.elapsed() >= FIND_EVERY {
            threads.find(own);
            found = Instant::now();
        }
        let mut window = Window {
            start,
            ..Window::default()
        };
        for ((name, kernel), ns) in threads.read() {
            if kernel {
                window.kernel += ns;
            } else {
                window.programs += ns;
            }
            *others.by_name.entry(name.to_string()).or_default() += ns;
        }
        others.windows.push(window);
        next += WINDOW;
    }
    others
}

/// How often other processes' threads are looked for again. Reading each thread's run time
/// is one `pread` on a file kept open; finding them walks all of `/proc` (about a
/// millisecond on this machine, too much for every window on the load generator's core). A
/// thread started since is counted from when it is found.
const FIND_EVERY: Duration = Duration::from_secs(1);

/// The kernel's thread that starts all its others.
const KTHREADD: u32 = 2;

/// Every other process's threads, their `schedstat` files held open, and each one's run time
/// at the last read.
#[derive(Debug, Default)]
struct Threads {
    threads: HashMap<(u32, u32), Thread>,
}

#[derive(Debug)]
struct Thread {
    process: Arc<str>,
    /// A kernel thread (started by `kthreadd`, process 2).
    kernel: bool,
    schedstat: std::fs::File,
    /// `None` until first read.
    ran: Option<u64>,
}

impl Threads {
    /// Finds the threads of every process but `own`'s, keeping those already known.
    fn find(&mut self, own: &Own) {
        let mut alive = HashSet::new();
        for pid in numbered("/proc") {
            let parent = parent_of(pid).unwrap_or(0);
            if own.pids.contains(&pid)
                || own
                    .postmaster
                    .is_some_and(|postmaster| pid == postmaster || parent == postmaster)
            {
                continue;
            }
            let mut process: Option<Arc<str>> = None;
            for tid in numbered(&format!("/proc/{pid}/task")) {
                alive.insert((pid, tid));
                if self.threads.contains_key(&(pid, tid)) {
                    continue;
                }
                let Ok(schedstat) =
                    std::fs::File::open(format!("/proc/{pid}/task/{tid}/schedstat"))
                else {
                    continue;
                };
                let process = process.get_or_insert_with(|| name_of(pid).into());
                self.threads.insert(
                    (pid, tid),
                    Thread {
                        process: Arc::clone(process),
                        kernel: pid == KTHREADD || parent == KTHREADD,
                        schedstat,
                        ran: None,
                    },
                );
            }
        }
        self.threads.retain(|key, _| alive.contains(key));
    }

    /// How long each process's known threads ran since the last read, by process name and
    /// whether it is the kernel's.
    fn read(&mut self) -> HashMap<(Arc<str>, bool), u64> {
        let mut ran: HashMap<(Arc<str>, bool), u64> = HashMap::new();
        let mut buffer = [0u8; 128];
        for thread in self.threads.values_mut() {
            let Some(total) = run_time(&thread.schedstat, &mut buffer) else {
                continue;
            };
            if let Some(before) = thread.ran.replace(total) {
                *ran.entry((Arc::clone(&thread.process), thread.kernel))
                    .or_default() += total.saturating_sub(before);
            }
        }
        ran.retain(|_, ns| *ns > 0);
        ran
    }
}

fn name_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

/// A thread's run time in nanoseconds: the first field of its `schedstat`, read again from
/// the start of the open file.
fn run_time(schedstat: &std::fs::File, buffer: &mut [u8]) -> Option<u64> {
    use std::os::unix::fs::FileExt;
    let read = schedstat.read_at(buffer, 0).ok()?;
    let text = std::str::from_utf8(&buffer[..read]).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

impl Others {
    /// The windows in which other programs ran [`BURST`] or more, as `(start, end)` in ns.
    pub fn bursts(&self) -> Vec<(u64, u64)> {
        let length = WINDOW.as_nanos() as u64;
        self.windows
            .iter()
            .filter(|window| window.programs >= BURST.as_nanos() as u64)
            .map(|window| (window.start, window.start + length))
            .collect()
    }

    /// Other programs' and kernel threads' run time in all, in ns.
    pub fn totals(&self) -> (u64, u64) {
        self.windows
            .iter()
            .fold((0, 0), |(programs, kernel), window| {
                (programs + window.programs, kernel + window.kernel)
            })
    }

    /// The `count` processes that ran longest, with their time in ns.
    pub fn busiest(&self, count: usize) -> Vec<(&str, u64)> {
        let mut names: Vec<(&str, u64)> = self
            .by_name
            .iter()
            .map(|(name, ns)| (name.as_str(), *ns))
            .collect();
        names.sort_by_key(|(_, ns)| std::cmp::Reverse(*ns));
        names.truncate(count);
        names
    }

    /// Adds another run's.
    pub fn add(&mut self, other: &Others) {
        self.windows.extend_from_slice(&other.windows);
        for (name, ns) in &other.by_name {
            *self.by_name.entry(name.clone()).or_default() += ns;
        }
    }
}

/// Of `acks` (each message's acknowledgement time in ns and latency in µs), how many were in
/// flight during one of `bursts`, and the latencies of the others.
pub fn untouched(acks: &[(u64, u64)], bursts: &[(u64, u64)]) -> (u64, Histogram<u64>) {
    let mut bursts = bursts.to_vec();
    bursts.sort_unstable();
    let mut clear = histogram();
    let mut touched = 0;
    for &(acked, latency_us) in acks {
        let sent = acked.saturating_sub(latency_us * 1000);
        // The first burst ending after the send; it touches the message if it began before
        // the acknowledgement.
        let first = bursts.partition_point(|(_, end)| *end <= sent);
        if bursts.get(first).is_some_and(|(start, _)| *start < acked) {
            touched += 1;
        } else {
            let _ = clear.record(latency_us.max(1));
        }
    }
    (touched, clear)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_in_flight_during_a_burst_is_touched_and_the_others_are_kept() {
        let ms = 1_000_000;
        let bursts = [(100 * ms, 150 * ms), (300 * ms, 350 * ms)];
        // (acknowledged at, latency µs): sent and acknowledged before the first burst; sent
        // before it and acknowledged in it; sent in the second and acknowledged after it;
        // between the two; after both.
        let acks = [
            (90 * ms, 2_000),
            (101 * ms, 5_000),
            (352 * ms, 10_000),
            (200 * ms, 3_000),
            (400 * ms, 4_000),
        ];
        let (touched, clear) = untouched(&acks, &bursts);
        assert_eq!(touched, 2);
        assert_eq!(clear.len(), 3);
        assert_eq!(clear.max(), clear.highest_equivalent(4_000));
    }

    #[test]
    fn only_windows_with_a_burst_of_other_programs_count() {
        let window = |start, programs, kernel| Window {
            start,
            programs,
            kernel,
        };
        let others = Others {
            windows: vec![
                window(0, 1_000_000, 0),
                window(50_000_000, 7_000_000, 0),
                window(100_000_000, 0, 9_000_000),
            ],
            by_name: BTreeMap::new(),
        };
        assert_eq!(others.bursts(), vec![(50_000_000, 100_000_000)]);
        assert_eq!(others.totals(), (8_000_000, 9_000_000));
    }

    #[test]
    fn the_meter_sees_a_busy_process_and_not_its_own() {
        let busy = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        let meter = Meter::start(Own {
            pids: vec![std::process::id()],
            postmaster: None,
        });
        // This process is as busy, and left out.
        let done = Arc::new(AtomicBool::new(false));
        let spinning = Arc::clone(&done);
        let spinner = std::thread::spawn(move || {
            while !spinning.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
        std::thread::sleep(Duration::from_millis(500));
        let others = meter.stop();
        done.store(true, Ordering::Relaxed);
        spinner.join().unwrap();
        let mut busy = busy;
        let _ = busy.kill();
        let _ = busy.wait();
        assert!(others.by_name.get("sh").copied().unwrap_or(0) > 50_000_000);
        let own_name = name_of(std::process::id());
        assert!(!others.by_name.contains_key(&own_name));
    }
}
