//! The bench's output: a Markdown table printed and written to `bench/RESULTS.md`, with the
//! machine, the commit, and every figure next to its budget and the same-run baseline.

use crate::console::Delivery;
use crate::inbox::{self, Inbox};
use crate::inbox_seed;
use crate::others;
use crate::pauses::{self, Pauses};
use crate::scenarios::{Active, Idle};
use crate::stats::percentiles;
use crate::sustained::Sustained;
use crate::tokens::TokenTimes;
use std::fmt::Write;

/// Everything one run measured.
#[derive(Debug, Default)]
pub struct Results {
    pub pauses: Vec<Pauses>,
    pub idle: Vec<(String, Idle)>,
    pub active: Vec<(String, Active)>,
    pub sustained: Vec<(String, Sustained)>,
    /// The active runs with operator consoles connected, and what the consoles received.
    pub console: Vec<(String, Active, Delivery)>,
    pub inbox: Vec<(String, Inbox)>,
    pub tokens: Option<TokenTimes>,
}

/// The report as Markdown.
pub fn markdown(results: &Results, machine: &str, commit: &str, note: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark results\n");
    let _ = writeln!(out, "Machine: {machine}. Commit: `{commit}`. {note}\n");
    let _ = writeln!(
        out,
        "Server pinned to core 0, generator to core 1 (`taskset`), both on this machine, over \
         loopback. Latencies are p50 / p99 / p99.9 in milliseconds, open loop (each message \
         carries its intended send time). Every server starts on a settled disk: what the runs \
         before it wrote is written out first (a PostgreSQL `CHECKPOINT`, then `sync`), so that \
         none of it is flushed during the seconds measured.\n"
    );
    machine_pauses(&mut out, &results.pauses);
    if !results.idle.is_empty() {
        let _ = writeln!(
            out,
            "## Idle sessions (budget: ≤ 16 KiB server RSS per session; reconnect storm ≤ 10 s)\n"
        );
        let _ = writeln!(
            out,
            "| server | sessions asked | held | RSS before | RSS after | KiB per session | reconnect all |\n|---|---|---|---|---|---|---|"
        );
        for (name, idle) in &results.idle {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} MiB | {} MiB | {:.1} | {:.2} s |",
                idle.requested,
                idle.held,
                idle.rss_before_kib / 1024,
                idle.rss_after_kib / 1024,
                idle.kib_per_session(),
                idle.reconnect.as_secs_f64()
            );
        }
        out.push('\n');
    }
    if !results.active.is_empty() {
        let _ = writeln!(
            out,
            "## Active sessions (budget: stored and delivered p99 ≤ 5 ms, p99.9 ≤ 20 ms; nothing lost or doubled)\n"
        );
        let _ = writeln!(
            out,
            "A row with several runs (`runs × seconds`) is those runs together, each on a fresh \
             server: their latencies in one histogram, their counts summed. Each run's p99 is \
             also shown apart: on a shared 2-core machine one run's p99 moves by about a \
             millisecond from run to run. The budgets are judged on the durable rows (SQLite \
             with `synchronous=FULL`, PostgreSQL with its default fsync and synchronous \
             commit); a row marked \"ceiling, not durable\" is the same server with \
             durability off, which can lose acknowledged messages on a power cut, shown for \
             what durability costs. CPU is the chat server's and, beside it, the PostgreSQL \
             server's (the postmaster and every process it runs, connections that closed \
             meanwhile included), both on this machine; SQLite works inside the chat server, so \
             its share is in the server's figure.\n"
        );
        let _ = writeln!(
            out,
            "| server | sessions | rate/s | seconds | sent / stored | stored/s | sent → stored | sent → collaboration server | operator → visitor | p99 of each run: stored / collaboration server / visitor | warm-up sent → stored | to 1C: expected / received / distinct | replies sent / received | CPU s per 1000 msg: server / PostgreSQL | RSS | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        );
        for (name, active) in &results.active {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} / {} | {:.0} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} MiB | {} |",
                active.sessions,
                active.rate,
                seconds(active),
                active.sent,
                active.acked,
                active.stored_per_second(),
                percentiles(&active.stored),
                percentiles(&active.to_collaboration),
                percentiles(&active.to_visitor),
                run_tails(active),
                percentiles(&active.warm_up),
                forwarded(active),
                active.operator_sent,
                active.operator_received,
                cpu(active),
                active.rss_kib / 1024,
                active.errors
            );
        }
        out.push('\n');
        ratios(&mut out, results);
        others(&mut out, &results.active);
    }
    if !results.console.is_empty() {
        console(&mut out, &results.console);
    }
    if !results.inbox.is_empty() {
        inbox(&mut out, &results.inbox);
    }
    if !results.sustained.is_empty() {
        sustained(&mut out, &results.sustained);
    }
    if let Some(tokens) = &results.tokens {
        let us = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        let _ = writeln!(
            out,
            "## Matching-key token verification (budget: p99 ≤ 5 µs)\n"
        );
        let _ = writeln!(out, "| verifier | p50 µs | p99 µs |\n|---|---|---|");
        let _ = writeln!(
            out,
            "| `backend::auth::matching_key::verify` (HS256, claims, leeway) | {:.2} | {:.2} |",
            us(&tokens.ours, 0.5),
            us(&tokens.ours, 0.99)
        );
        let _ = writeln!(
            out,
            "| plain `jsonwebtoken::decode` (HS256) | {:.2} | {:.2} |",
            us(&tokens.plain, 0.5),
            us(&tokens.plain, 0.99)
        );
        out.push('\n');
    }
    out
}

/// The sustained-throughput table: rates, latencies, and what the database and the
/// collaboration server hold afterwards.
fn sustained(out: &mut String, runs: &[(String, Sustained)]) {
    let _ = writeln!(
        out,
        "## Sustained throughput (budget: ≥ 5,000 stored/s on SQLite, ≥ 2,000 on PostgreSQL, for 10 minutes; nothing lost or doubled)\n"
    );
    let _ = writeln!(
        out,
        "| server | sessions | rate/s | seconds | sent / stored | stored/s | sent → stored | in database: rows / distinct | to 1C: expected / received / distinct | all at 1C after | lost (acked, not in database) | doubled | not stored at the end (server behind) | stored, not yet forwarded | CPU s per 1000 msg: server / PostgreSQL | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (name, run) in runs {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} / {} | {:.0} | {} | {} / {} | {} / {} / {} | {:.1} s | {} | {} | {} | {} | {} | {} |",
            run.sessions,
            run.rate,
            run.duration.as_secs(),
            run.sent,
            run.acked,
            run.stored_per_second(),
            percentiles(&run.stored),
            run.database_rows,
            run.database_distinct,
            run.collaboration_expected,
            run.collaboration_received,
            run.collaboration_distinct,
            run.forwarded_in.as_secs_f64(),
            run.lost(),
            run.doubled(),
            run.not_stored(),
            run.not_forwarded(),
            cpu_pair(run.cpu_per_thousand(), run.database_cpu_per_thousand()),
            run.errors
        );
    }
    out.push('\n');
}

/// Visitor → console delivery: the active load with operator sockets connected.
fn console(out: &mut String, runs: &[(String, Active, Delivery)]) {
    let _ = writeln!(
        out,
        "## Visitor → operator consoles (budget: p99 ≤ 5 ms; every console gets every message once)\n"
    );
    let _ = writeln!(
        out,
        "Visitor messages at the rate with operator accounts of the bench integration (added \
         by `webchat-server operator add --generate-password`, logged in over the operator \
         API) each holding `GET /api/v1/operator/ws` open from after the warm-up. Rows without \
         1C are the load the budget names: a site whose operators work in the console (the \
         integration has no `webhook_url`), visitor messages only; the budget is judged on \
         them. Rows with 1C are the active load beside the consoles: each visitor message is \
         also forwarded to a fake collaboration server and answered by an operator there \
         through the inbound webhook, so the server stores twice the messages and makes a \
         request each way per visitor message. Latency is from a \
         visitor message's intended send time to its `message` event at a console, every \
         console's; lost and doubled are counted per console. A console whose socket falls \
         behind the operators' hub skips the events it missed (the server sends it the counts \
         instead), so a message it never got by the end of the run is lost to it. The last \
         column leaves out the events in flight during a burst of other programs' work on \
         the machine (as under the active table).\n"
    );
    let _ = writeln!(
        out,
        "| server | sessions | rate/s | seconds | consoles | sent / stored | sent → stored | sent → each console | p99 of each run: stored | events expected / received | lost | doubled | CPU s per 1000 msg: server / PostgreSQL | errors | untouched by other programs' bursts: events / sent → each console |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (name, active, delivery) in runs {
        let tails: Vec<String> = active
            .runs
            .iter()
            .map(|run| {
                run.stored
                    .map_or("-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0))
            })
            .collect();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} / {} |",
            active.sessions,
            active.rate,
            seconds(active),
            delivery.sockets,
            active.sent,
            active.acked,
            percentiles(&active.stored),
            percentiles(&delivery.latency),
            tails.join("; "),
            delivery.expected * delivery.sockets as u64,
            delivery.received,
            delivery.lost,
            delivery.doubled,
            cpu(active),
            active.errors,
            delivery.untouched.len(),
            percentiles(&delivery.untouched)
        );
    }
    out.push('\n');
}

/// The inbox's first pages and counts at scale, then each engine's plans.
fn inbox(out: &mut String, runs: &[(String, Inbox)]) {
    let _ = writeln!(out, "## Inbox first page (budget: p99 ≤ 20 ms)\n");
    let _ = writeln!(
        out,
        "The bench integration seeded straight in its database with conversations shaped like \
         the server's (a person, a visitor and one visitor message each; {}), then the first \
         page of each view (`GET /api/v1/operator/conversations?view=...`, 50 conversations) \
         and the views' unread counts (`GET /api/v1/operator/counts`, apart from the pages) \
         asked for by one operator over HTTP, a few requests at a time (closed loop), timed \
         from request to the whole answer. PostgreSQL is vacuumed and analyzed after \
         the load, as autovacuum does after inserts this many; SQLite is not, as the server \
         does not. What the seed wrote is then written out (PostgreSQL's `CHECKPOINT`, \
         SQLite's `wal_checkpoint(TRUNCATE)`, then `sync`; not counted in its time), as a \
         server that grew to this many conversations wrote them long ago.\n",
        inbox_seed::SHARES
    );
    let _ = writeln!(
        out,
        "| server | conversations | seeded in | view | requests × at once | p50 / p99 / p99.9 | page | errors | indexes of the plan |\n|---|---|---|---|---|---|---|---|---|"
    );
    for (name, run) in runs {
        for (view, plan) in run.views.iter().zip(&run.plans) {
            let page = format!(
                "{}{}",
                view.page_length,
                if view.page_of_view {
                    ""
                } else {
                    " (not the view's!)"
                }
            );
            let _ = writeln!(
                out,
                "| {name} | {} | {:.1} s | `{}` | {} × {} | {} | {page} | {} | {} |",
                run.plan.conversations,
                run.seeded_in.as_secs_f64(),
                inbox::view_name(view.view),
                run.plan.requests,
                run.plan.concurrency,
                percentiles(&view.latency),
                view.errors,
                plan.indexes().join(", ")
            );
        }
        let counted = &run.counts.counts;
        let _ = writeln!(
            out,
            "| {name} | {} | {:.1} s | counts | {} × {} | {} | all {}, unassigned {}, mine {} | {} | {} |",
            run.plan.conversations,
            run.seeded_in.as_secs_f64(),
            run.plan.requests,
            run.plan.concurrency,
            percentiles(&run.counts.latency),
            counted.all,
            counted.unassigned,
            counted.mine,
            run.counts.errors,
            run.plans
                .iter()
                .skip(run.views.len())
                .flat_map(|plan| plan.indexes())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push('\n');
    for (name, run) in runs {
        let _ = writeln!(out, "### Query plans, {name}\n");
        for plan in &run.plans {
            let _ = writeln!(
                out,
                "{} (indexes: {}; alone, one at a time on the bench's own connection: {} ms):\n\n```text\n{}\n```\n",
                plan.statement,
                plan.indexes().join(", "),
                percentiles(&plan.alone),
                plan.lines.join("\n")
            );
        }
    }
}

/// What the machine did to a thread that only sleeps, on each core, before the scenarios.
fn machine_pauses(out: &mut String, pauses: &[Pauses]) {
    if pauses.is_empty() {
        return;
    }
    let cores: Vec<String> = pauses
        .iter()
        .map(|core| {
            format!(
                "core {}: {} times in {} s, longest {:.1} ms, {:.1} ms in all",
                core.core,
                core.count,
                core.watched.as_secs(),
                core.longest.as_secs_f64() * 1000.0,
                core.total.as_secs_f64() * 1000.0
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "Pauses of the machine itself, before the scenarios, while nothing of the bench ran: a \
         thread on each core sleeping 1 ms at a time woke {} ms or more late ({}). A pause holds \
         up every message in flight on that core, so it sets a floor under the p99 and p99.9 \
         below.\n",
        pauses::THRESHOLD.as_millis(),
        cores.join("; ")
    );
}

/// Other processes' work during the active runs, and the latencies of the messages it did not
/// touch.
fn others(out: &mut String, runs: &[(String, Active)]) {
    let _ = writeln!(
        out,
        "### Other processes' work during the active runs\n\nThe bench shares this machine \
         with whatever else it runs. Every {} ms a thread of the bench read how long every \
         other process's threads had run (`bench/src/others.rs`; PostgreSQL's processes count \
         as the bench's own). A window in which other programs ran {} ms or more together is a \
         burst, and a visitor message in flight during one (sent before the window ended, \
         acknowledged after it began) is touched. Kernel threads are shown apart and make no \
         burst, since much of their work is the bench's own (writing the server's files). The \
         last column is sent → stored of the untouched messages: the runs' latency without \
         other programs' bursts. It explains the table above; the budgets are judged on every \
         message.\n",
        others::WINDOW.as_millis(),
        others::BURST.as_millis()
    );
    let _ = writeln!(
        out,
        "| server | sessions | windows with a burst / all | CPU of other programs / kernel threads (the busiest) | messages touched / all | untouched: sent → stored |\n|---|---|---|---|---|---|"
    );
    for (name, active) in runs {
        let bursts = active.others.bursts().len();
        let (programs, kernel) = active.others.totals();
        let busiest: Vec<String> = active
            .others
            .busiest(3)
            .iter()
            .map(|(process, ns)| format!("`{process}` {:.0} ms", *ns as f64 / 1e6))
            .collect();
        let _ = writeln!(
            out,
            "| {name} | {} | {bursts} / {} | {:.0} / {:.0} ms ({}) | {} / {} | {} |",
            active.sessions,
            active.others.windows.len(),
            programs as f64 / 1e6,
            kernel as f64 / 1e6,
            busiest.join(", "),
            active.touched,
            active.touched + active.untouched.len(),
            percentiles(&active.untouched)
        );
    }
    out.push('\n');
}

/// CPU seconds per 1,000 messages of the chat server, then of its PostgreSQL server (`-` on
/// SQLite, which works inside the chat server, and for the baseline).
fn cpu(active: &Active) -> String {
    cpu_pair(
        active.cpu_per_thousand(),
        active.database_cpu_per_thousand(),
    )
}

fn cpu_pair(server: f64, database: Option<f64>) -> String {
    let database = database.map_or("-".to_owned(), |seconds| format!("{seconds:.3}"));
    format!("{server:.3} / {database}")
}

/// The seconds measured: `runs × seconds each` when there were several runs.
fn seconds(active: &Active) -> String {
    let runs = u32::try_from(active.runs.len()).unwrap_or(1).max(1);
    if runs == 1 {
        return active.duration.as_secs().to_string();
    }
    format!("{runs} × {}", (active.duration / runs).as_secs())
}

/// Each run's p99s, `stored / collaboration server / visitor` in milliseconds, runs apart.
fn run_tails(active: &Active) -> String {
    let ms =
        |p99: Option<u64>| p99.map_or("-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0));
    active
        .runs
        .iter()
        .map(|run| {
            format!(
                "{} / {} / {}",
                ms(run.stored),
                ms(run.to_collaboration),
                ms(run.to_visitor)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `expected / received / distinct` at the collaboration server, or `-` for the baseline.
fn forwarded(active: &Active) -> String {
    if active.to_collaboration.is_empty() && active.collaboration_received == 0 {
        return "-".to_owned();
    }
    format!(
        "{} / {} / {}",
        active.collaboration_expected, active.collaboration_received, active.collaboration_distinct
    )
}

/// Our p50/p99 of sent → stored over the baseline's sent → echoed, per matching run.
fn ratios(out: &mut String, results: &Results) {
    let (baselines, ours): (Vec<_>, Vec<_>) = results
        .active
        .iter()
        .partition(|(name, _)| name.starts_with("baseline"));
    if baselines.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Ratios to the bare baseline (sent → stored over sent → echoed, same sessions and rate):\n"
    );
    for (name, active) in ours {
        let Some((_, baseline)) = baselines.iter().find(|(_, baseline)| {
            baseline.sessions == active.sessions && baseline.rate == active.rate
        }) else {
            continue;
        };
        let ratio = |q: f64| {
            active.stored.value_at_quantile(q) as f64
                / baseline.stored.value_at_quantile(q).max(1) as f64
        };
        // The whole work of a message: on PostgreSQL the database server's share is apart.
        let (cpu, with) = match active.database_cpu_per_thousand() {
            Some(database) => (active.cpu_per_thousand() + database, " (with PostgreSQL's)"),
            None => (active.cpu_per_thousand(), ""),
        };
        let _ = writeln!(
            out,
            "- {name}, {} sessions: p50 ×{:.1}, p99 ×{:.1}; CPU per 1000 messages{with} ×{:.1}",
            active.sessions,
            ratio(0.5),
            ratio(0.99),
            cpu / baseline.cpu_per_thousand().max(f64::EPSILON)
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_shows_postgresql_beside_the_server_and_a_dash_where_it_is_inside() {
        assert_eq!(cpu_pair(0.1664, Some(0.35)), "0.166 / 0.350");
        assert_eq!(cpu_pair(0.34, None), "0.340 / -");
    }
}
