//! The inbox at scale: the bench integration seeded with many conversations (`inbox_seed`),
//! then the first page of each view (`GET /api/v1/operator/conversations?view=...`) and the
//! views' unread counts (`GET /api/v1/operator/counts`) asked for over HTTP by a few concurrent
//! clients, timed from request to the whole body, with the engine's plan of each statement.

use crate::database::{Bound, DirectConnection};
use crate::inbox_seed::{self, Seed};
use crate::operators::{self, LoggedIn};
use crate::query_plan;
use crate::scenarios;
use crate::server::{self, INTEGRATION, ServerProcess};
use crate::settle;
use crate::stats::histogram;
use anyhow::{Context, Result, ensure};
use futures_util::stream::{self, StreamExt};
use hdrhistogram::Histogram;
use protocol::operator::{ConversationList, InboxCounts, View};
use std::time::{Duration, Instant};

/// Requests per view asked before the timed ones, which warm the server's caches and, on
/// PostgreSQL, prepare its statements.
const WARM_UP_REQUESTS: usize = 20;
/// Times each statement is run alone after its plan is read.
const ALONE_RUNS: usize = 100;
/// The views, in the order measured.
const VIEWS: [View; 3] = [View::All, View::Unassigned, View::Mine];

/// How big and how long.
#[derive(Debug, Clone, Copy)]
pub struct InboxPlan {
    pub conversations: u64,
    pub requests: usize,
    pub concurrency: usize,
}

/// One view's figures.
#[derive(Debug)]
pub struct ViewRun {
    pub view: View,
    /// Request sent → whole answer received, in microseconds.
    pub latency: Histogram<u64>,
    pub errors: u64,
    /// Conversations on the first page, and whether they are the view's (open, and for
    /// `mine` the operator's, for `unassigned` nobody's).
    pub page_length: usize,
    pub page_of_view: bool,
}

/// The unread counts' figures.
#[derive(Debug)]
pub struct CountsRun {
    /// Request sent → whole answer received, in microseconds.
    pub latency: Histogram<u64>,
    pub errors: u64,
    /// What they counted.
    pub counts: InboxCounts,
}

/// A statement's plan, and how long it takes alone.
#[derive(Debug)]
pub struct Plan {
    pub statement: String,
    pub lines: Vec<String>,
    /// The statement run by the bench on its own connection, one at a time, in microseconds:
    /// what of a page's time is this statement's.
    pub alone: Histogram<u64>,
}

/// What an inbox run measured.
#[derive(Debug)]
pub struct Inbox {
    pub plan: InboxPlan,
    pub seeded_in: Duration,
    pub views: Vec<ViewRun>,
    pub counts: CountsRun,
    /// Each view's first page, then the counts.
    pub plans: Vec<Plan>,
}

/// Seeds the chat on the fresh database `database` and measures its inbox.
pub async fn run(database: &server::Database, plan: InboxPlan) -> Result<Inbox> {
    let (server, _, _fake) = scenarios::start(Some(database), scenarios::Site::With1C).await?;
    // reqwest is built with rustls and no provider of its own; the first to ask installs one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.concurrency.max(1))
        .build()?;
    let [operator, colleague]: [LoggedIn; 2] = operators::logged_in(&server, &http, 2, "inbox")
        .await?
        .try_into()
        .map_err(|_| anyhow::anyhow!("two operators were asked for"))?;
    let started = Instant::now();
    let seed = Seed {
        conversations: plan.conversations,
        operator_id: operator.id,
        colleague_id: colleague.id,
        now_ms: backend::store::now_ms(),
    };
    inbox_seed::write(&database.url, seed).await?;
    let seeded_in = started.elapsed();
    // A server grows to this many conversations over months, their pages long written out,
    // not in the seconds before its inbox is asked for.
    settle::database(&database.url).await?;
    let mut views = Vec::with_capacity(VIEWS.len());
    for view in VIEWS {
        views.push(measure(&server, &http, &operator, view, plan).await?);
    }
    let counts = measure_counts(&server, &http, &operator, plan).await?;
    let plans = plans(&database.url, operator.id).await?;
    server.stop().await;
    Ok(Inbox {
        plan,
        seeded_in,
        views,
        counts,
        plans,
    })
}

/// Times `plan.requests` answers of the counts, `plan.concurrency` at a time.
async fn measure_counts(
    server: &ServerProcess,
    http: &reqwest::Client,
    operator: &LoggedIn,
    plan: InboxPlan,
) -> Result<CountsRun> {
    let url = format!("{}/api/v1/operator/counts", server.base);
    let counts: InboxCounts = get_json(http, &url, operator)
        .await
        .context("the unread counts")?;
    let (latency, errors) = timed_requests(http, &url, operator, plan).await?;
    Ok(CountsRun {
        latency,
        errors,
        counts,
    })
}

/// Times `plan.requests` first pages of `view`, `plan.concurrency` at a time.
async fn measure(
    server: &ServerProcess,
    http: &reqwest::Client,
    operator: &LoggedIn,
    view: View,
    plan: InboxPlan,
) -> Result<ViewRun> {
    let url = format!(
        "{}/api/v1/operator/conversations?view={}",
        server.base,
        view_name(view)
    );
    let first: ConversationList = get_json(http, &url, operator)
        .await
        .with_context(|| format!("first page of {}", view_name(view)))?;
    let page_of_view = first.conversations.iter().all(|conversation| {
        let assignee = conversation.assignee.as_ref().map(|assignee| assignee.id);
        conversation.status == protocol::operator::ConversationStatus::Open
            && match view {
                View::All => true,
                View::Unassigned => assignee.is_none(),
                View::Mine => assignee == Some(operator.id),
            }
    });
    let (latency, errors) = timed_requests(http, &url, operator, plan).await?;
    Ok(ViewRun {
        view,
        latency,
        errors,
        page_length: first.conversations.len(),
        page_of_view,
    })
}

/// The operator's answer at `url`, a success read as `T`.
async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    operator: &LoggedIn,
) -> Result<T> {
    Ok(http
        .get(url)
        .bearer_auth(&operator.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Asks for `url` [`WARM_UP_REQUESTS`] times, then `plan.requests` times timed,
/// `plan.concurrency` at a time: the latencies in microseconds, and how many failed.
async fn timed_requests(
    http: &reqwest::Client,
    url: &str,
    operator: &LoggedIn,
    plan: InboxPlan,
) -> Result<(Histogram<u64>, u64)> {
    let ask = |_| async {
        let started = Instant::now();
        let answer = http.get(url).bearer_auth(&operator.token).send().await;
        let whole = match answer {
            Ok(answer) if answer.status().is_success() => answer.bytes().await.is_ok(),
            _ => false,
        };
        whole.then(|| started.elapsed())
    };
    let _warm: Vec<_> = stream::iter(0..WARM_UP_REQUESTS)
        .map(ask)
        .buffer_unordered(plan.concurrency.max(1))
        .collect()
        .await;
    let timed: Vec<Option<Duration>> = stream::iter(0..plan.requests)
        .map(ask)
        .buffer_unordered(plan.concurrency.max(1))
        .collect()
        .await;
    let mut latency = histogram();
    let mut errors = 0;
    for took in timed {
        match took {
            Some(took) => {
                let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
                latency.record(us.max(1))?;
            }
            None => errors += 1,
        }
    }
    Ok((latency, errors))
}

/// The engine's plans of each view's first page and of the unread counts, with the values the
/// server binds for `operator_id`.
async fn plans(url: &str, operator_id: i64) -> Result<Vec<Plan>> {
    let mut database = DirectConnection::connect(url).await?;
    let first_page = [
        Bound::Int(operator_id),
        Bound::Text(INTEGRATION.to_owned()),
        Bound::Text("open".to_owned()),
        Bound::Int(i64::MAX),
        Bound::Int(i64::MAX),
        // A page and one more, as the server asks.
        Bound::Int(backend::api::operator::INBOX_PAGE + 1),
    ];
    let tally = [Bound::Text(INTEGRATION.to_owned())];
    let read_through = [Bound::Int(operator_id), Bound::Text(INTEGRATION.to_owned())];
    let statements = VIEWS
        .iter()
        .map(|view| {
            (
                format!("first page of `{}`", view_name(*view)),
                backend::desk::inbox_page_statement(*view),
                &first_page[..],
            )
        })
        .chain([
            (
                "unread tally (`GET /api/v1/operator/counts`, and once a second for all the operator sockets of an integration)".to_owned(),
                backend::desk::UNREAD_TALLY_STATEMENT,
                &tally[..],
            ),
            (
                "what the operator read to the end (taken away from the tally: each request and socket)".to_owned(),
                backend::desk::READ_THROUGH_STATEMENT,
                &read_through[..],
            ),
        ]);
    let mut plans = Vec::with_capacity(VIEWS.len() + 2);
    for (statement, sql, bound) in statements {
        let lines = database.plan(sql, bound).await?;
        let mut alone = histogram();
        for _ in 0..ALONE_RUNS {
            let took = database.timed(sql, bound).await?;
            alone.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1))?;
        }
        plans.push(Plan {
            statement,
            lines,
            alone,
        });
    }
    ensure!(
        plans.iter().all(|plan| !plan.lines.is_empty()),
        "an engine showed an empty plan"
    );
    Ok(plans)
}

/// The view as the query string names it.
pub fn view_name(view: View) -> &'static str {
    match view {
        View::All => "all",
        View::Unassigned => "unassigned",
        View::Mine => "mine",
    }
}

impl Plan {
    /// The indexes the plan reads.
    pub fn indexes(&self) -> Vec<String> {
        query_plan::indexes(&self.lines)
    }
}
