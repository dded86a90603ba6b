//! Download sizes of what the pages fetched, measured over HTTP: each file is fetched again
//! from the server that served it, once as a browser asks (`Accept-Encoding: gzip, deflate,
//! br`, to see what goes over the wire) and once uncompressed, whose bytes are then compressed
//! at the best gzip and brotli levels (what precompression would give).

use super::runs::{Fetched, FirstLoad};
use anyhow::{Context, Result, bail};
use compressed::Sizes;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};

const BROWSER_ENCODINGS: &str = "gzip, deflate, br";

/// One downloaded file.
#[derive(Debug, Clone)]
pub struct FileSize {
    pub url: String,
    /// The body as served to a browser: its length and `Content-Encoding` (`identity` if none).
    pub served_bytes: usize,
    pub served_encoding: String,
    pub sizes: Sizes,
}

/// A downloaded file and when the page fetched it.
#[derive(Debug, Clone)]
pub struct Download {
    pub file: FileSize,
    /// When the fetch started, in ms after the widget's script was inserted.
    pub started: Option<f64>,
    pub before_painted: bool,
    pub before_opened: bool,
}

/// Files of one widget fetched in one phase (its loader, or the rest).
#[derive(Debug)]
pub struct Phase {
    pub widget: &'static str,
    pub downloads: Vec<Download>,
}

impl Phase {
    /// Fetches `files` again and measures them, with their timing in `first`.
    pub async fn measure(
        widget: &'static str,
        files: &[&Fetched],
        first: &FirstLoad,
    ) -> Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        let before = |moment: Option<f64>, start: f64| moment.is_some_and(|at| start <= at);
        let mut downloads = Vec::with_capacity(files.len());
        for fetched in files {
            downloads.push(Download {
                file: measure_one(&client, &fetched.url).await?,
                started: first.inserted.map(|inserted| fetched.start - inserted),
                before_painted: before(first.painted, fetched.start),
                before_opened: before(first.opened, fetched.start),
            });
        }
        Ok(Self { widget, downloads })
    }

    pub fn total(&self) -> Sizes {
        self.downloads
            .iter()
            .map(|download| download.file.sizes)
            .sum()
    }
}

async fn measure_one(client: &reqwest::Client, url: &str) -> Result<FileSize> {
    let served = client
        .get(url)
        .header(ACCEPT_ENCODING, BROWSER_ENCODINGS)
        .send()
        .await
        .with_context(|| format!("cannot fetch {url}"))?;
    if !served.status().is_success() {
        bail!("{url} answered {}", served.status());
    }
    let served_encoding = served
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("identity")
        .to_owned();
    let served_bytes = served.bytes().await?.len();
    let raw = client
        .get(url)
        .header(ACCEPT_ENCODING, "identity")
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    Ok(FileSize {
        url: url.to_owned(),
        served_bytes,
        served_encoding,
        sizes: compressed::measure(&raw)?,
    })
}
