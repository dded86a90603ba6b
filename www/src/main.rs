//! `www`: serves the demo shop. Arguments: `--listen 127.0.0.1:8081` and
//! `--chat-url http://127.0.0.1:8080` (the chat server whose embedded demo integration the
//! page embeds; those are the defaults). Stops on Ctrl-C.

use anyhow::{Context, Result, bail};
use reqwest::Url;
use std::net::SocketAddr;

#[derive(Debug)]
struct Args {
    listen: SocketAddr,
    chat_url: Url,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    let config = www::fetch_demo_config(&args.chat_url).await?;
    let shop = www::Shop::new(&config, &args.chat_url)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    println!("www: demo shop on http://{}/", listener.local_addr()?);
    println!("www: it embeds {}", config.script_tag);
    axum::serve(listener, www::app(shop))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args> {
    let mut listen = "127.0.0.1:8081".to_owned();
    let mut chat_url = "http://127.0.0.1:8080".to_owned();
    while let Some(flag) = args.next() {
        let target = match flag.as_str() {
            "--listen" => &mut listen,
            "--chat-url" => &mut chat_url,
            other => {
                bail!("unknown argument {other:?}; usage: www [--listen ADDR] [--chat-url URL]")
            }
        };
        *target = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
    }
    Ok(Args {
        listen: listen.parse().with_context(|| {
            format!("--listen {listen:?} is not an address like 127.0.0.1:8081")
        })?,
        chat_url: Url::parse(&chat_url)
            .with_context(|| format!("--chat-url {chat_url:?} is not a URL"))?,
    })
}
