//! A chat server, a host page embedding it and a headless browser showing that page: the
//! starting point of most browser tests.

use crate::server::Options;
use crate::{Db, TestServer};
use backend::config::params::ParamValue;
use headless::{DESKTOP, Driver, HostPage, Session};

/// A chat server, a host page embedding it and a browser showing that page, ready (the chat's
/// `initialized` has fired).
#[derive(Debug)]
pub struct EmbeddedChat {
    pub server: TestServer,
    pub page: Session,
    pub host: HostPage,
    _driver: Driver,
}

impl EmbeddedChat {
    /// The test integration with `params` besides its defaults, in a desktop-sized window.
    pub async fn start(params: &[(&str, ParamValue)]) -> Self {
        let options = params.iter().fold(
            Options::default().with_widget(),
            |options, (name, value)| options.param(name, value.clone()),
        );
        Self::start_with(options, DESKTOP, "").await
    }

    /// A server with `options`, a window of `(width, height)`, the host page's URL with `query`.
    pub async fn start_with(options: Options, (width, height): (u32, u32), query: &str) -> Self {
        let server = TestServer::start(Db::Sqlite, options).await;
        let host = HostPage::start(&server.base, "").await;
        let driver = Driver::start().await;
        let page = driver.session(width, height).await;
        page.open_page(&format!("{}{query}", host.url)).await;
        Self {
            server,
            page,
            host,
            _driver: driver,
        }
    }

    /// Calls `window.CollaborationSystemWebChat1CE.{method}` (e.g. `close()`).
    pub async fn call(&self, method: &str) {
        self.page
            .js(
                &format!("window.CollaborationSystemWebChat1CE.{method}"),
                Vec::new(),
            )
            .await;
    }

    /// Sends a first message so the visitor has a conversation, and waits for it to be stored.
    pub async fn say_hello(&self) {
        self.page.open_and_say("Hello").await;
    }
}
