//! Plain HTTP routes: health, the loader script (carrying the words of its integration's
//! language only), compressed downloads, visitor tokens checked before a WebSocket is
//! upgraded, and the console's page for its navigation paths but 404 for its missing files.

use backend::config::params::ParamValue;
use tests::server::SHOP_ORIGIN;
use tests::{Options, TestServer, WsClient, engines};
use tokio_tungstenite::tungstenite;

#[tokio::test]
async fn healthz_names_the_database() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let health: protocol::Health =
            tests::json(tests::http().get(format!("{}/healthz", server.base))).await;
        let expected = match db {
            tests::Db::Sqlite => "sqlite",
            tests::Db::Postgres => "postgres",
        };
        assert_eq!(
            (health.status.as_str(), health.database.as_str()),
            ("ok", expected)
        );
    }
}

#[tokio::test]
async fn the_loader_answers_for_known_keys_raw_or_encoded() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    for key in [
        "shop:public-token",
        "shop%3Apublic-token",
        "shop%3apublic-token",
    ] {
        let response = tests::http()
            .get(format!("{}/integration/webchat/{key}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{key}");
        assert_eq!(
            response.headers()["content-type"],
            "text/javascript; charset=utf-8"
        );
    }
    let unknown = tests::http()
        .get(format!("{}/integration/webchat/shop:nope", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_loader_carries_the_words_of_its_integration_language_only() {
    let german = Options::default().param("languageCode", ParamValue::Text("de_DE".into()));
    let server = TestServer::start(tests::Db::Sqlite, german).await;
    let script = tests::http()
        .get(format!(
            "{}/integration/webchat/shop:public-token",
            server.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        script.contains("\"Frühere Nachrichten laden\""),
        "German words"
    );
    for other in ["Load earlier messages", "Показать предыдущие сообщения"]
    {
        assert!(!script.contains(other), "{other}");
    }
    assert!(script.contains("\"languageWarning\":null"), "no warning");
}

#[tokio::test]
async fn an_unknown_visitor_token_is_refused_before_upgrade() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    let refused = WsClient::connect(&server.api(), SHOP_ORIGIN, "made-up", None).await;
    assert!(
        matches!(&refused, Err(tungstenite::Error::Http(r)) if r.status() == 401),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_loader_is_compressed_and_the_bundle_served_precompressed() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    let loader = tests::http()
        .get(format!(
            "{}/integration/webchat/shop:public-token",
            server.base
        ))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(loader.headers()["content-encoding"], "gzip");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("widget-1.js"), "raw glue").unwrap();
    std::fs::write(dir.path().join("widget-1.js.br"), "brotli glue").unwrap();
    std::fs::write(dir.path().join("widget-1.js.gz"), "gzip glue").unwrap();
    let options = Options {
        widget_dir: Some(dir.path().to_owned()),
        ..Options::default()
    };
    let server = TestServer::start(tests::Db::Sqlite, options).await;
    for (accepted, encoding, body) in [
        ("br, gzip", Some("br"), "brotli glue"),
        ("gzip", Some("gzip"), "gzip glue"),
        ("identity", None, "raw glue"),
    ] {
        let response = tests::http()
            .get(format!("{}/widget/widget-1.js", server.base))
            .header("accept-encoding", accepted)
            .send()
            .await
            .unwrap();
        let served = response
            .headers()
            .get("content-encoding")
            .map(|value| value.to_str().unwrap().to_owned());
        assert_eq!(served.as_deref(), encoding, "{accepted}");
        assert_eq!(response.text().await.unwrap(), body, "{accepted}");
    }
}

#[tokio::test]
async fn the_console_answers_navigation_paths_with_its_page_and_missing_files_with_404() {
    let dir = tempfile::tempdir().unwrap();
    let console = dir.path().join("console");
    std::fs::create_dir(&console).unwrap();
    std::fs::write(
        console.join("index.html"),
        "<!doctype html><title>console</title>",
    )
    .unwrap();
    std::fs::write(console.join("console-1a2b.js"), "export {};").unwrap();
    let options = Options {
        widget_dir: Some(dir.path().to_owned()),
        ..Options::default()
    };
    let server = TestServer::start(tests::Db::Sqlite, options).await;
    let get = |path: &'static str| {
        let url = format!("{}{path}", server.base);
        async move { tests::http().get(url).send().await.expect("an answer") }
    };
    for path in ["/console", "/console/", "/console/conversations/12"] {
        let response = get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        assert!(response.headers().contains_key("content-security-policy"));
        assert!(response.text().await.unwrap().contains("<title>console"));
    }
    let glue = get("/console/console-1a2b.js").await;
    assert_eq!(glue.status(), 200);
    assert_eq!(glue.text().await.unwrap(), "export {};");
    // A page of an earlier build asks for its own files: they are gone, and must not come
    // back as the page under a script's or a style's name.
    for path in [
        "/console/console-deadbeef.js",
        "/console/console-deadbeef_bg.wasm",
        "/console/styles-deadbeef.css",
    ] {
        let response = get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            !response.headers().contains_key("cache-control"),
            "{path}: not cached"
        );
        let body = response.text().await.unwrap();
        assert!(!body.contains("<title>console"), "{path}: {body}");
    }
}
