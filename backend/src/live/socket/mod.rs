//! What every live WebSocket of the server shares, the widget's and the operator's: the writer
//! that drains a session's queue into its socket, the heartbeat that drops a silent peer, the
//! throttle on typing notices, and the wait for the server's shutdown.

pub mod heartbeat;
pub mod typing;
pub mod writer;

use futures_util::FutureExt;
use futures_util::future::{self, Either};
use std::time::Duration;

/// Time the writer gets to flush the last frames after the reader ends.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a socket's `reader` and `writer` together until either ends; when the reader ends
/// first (it dropped its queue sender), the writer gets [`FLUSH_TIMEOUT`] to drain the queue.
///
/// A combinator over two boxes rather than an `async fn`: an `async fn` keeps the futures it
/// is given in its own state beside the copies it polls, and a socket's task is most of what
/// an idle session costs. Each box holds its future once, at its own size.
pub fn drive(
    writer: impl Future<Output = ()>,
    reader: impl Future<Output = ()>,
) -> impl Future<Output = ()> {
    future::select(Box::pin(writer), Box::pin(reader)).then(|ended| async move {
        if let Either::Right(((), writer)) = ended {
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, writer).await;
        }
    })
}

/// Completes when the server starts shutting down (or its state is gone).
pub async fn shutting_down(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}
