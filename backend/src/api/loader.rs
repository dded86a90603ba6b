//! `GET /integration/webchat/{id}:{token}`: the script a site embeds (`loader.js`) with the
//! integration's configuration baked in: parameters, API and bundle addresses, the stylesheet,
//! the words of its language (the widget's only ones), the collapsed tab it draws before the
//! WebAssembly chat loads, and the storage keys that tell it the visitor has chatted before.

use super::error::ApiError;
use crate::api::bundle::Bundle;
use crate::config::languages::{self, Language};
use crate::content::page_url::PageQuery;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use client_core::i18n::{self, Word};
use client_core::{placement, storage_keys};
use protocol::IntegrationParams;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// The loader is cached briefly so configuration changes reach pages soon.
const LOADER_CACHE: &str = "public, max-age=300";

const TEMPLATE: &str = include_str!("loader.js");

/// The widget's stylesheet, comments and runs of whitespace removed.
static STYLE: LazyLock<String> =
    LazyLock::new(|| compact_css(include_str!("../../../widget/style.css")));

pub async fn script(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let integration = state
        .integrations
        .by_key(&key)
        .ok_or(ApiError::UnknownIntegration)?;
    let base = &state.public_url;
    let bundle = Bundle::find(&state.widget_dir);
    let language = languages::find(&integration.params.language_code);
    let unsupported = language.as_ref().err().map(ToString::to_string);
    let language = language.unwrap_or_else(|_| languages::english());
    let config = json!({
        "params": integration.params,
        "api": format!("{base}/api/v1/chat/{}", integration.key()),
        "pageQuery": integration.page_query == PageQuery::Keep,
        "widget": format!("{base}/widget/"),
        "bundle": bundle.map(|bundle| json!({ "js": bundle.js, "wasm": bundle.wasm })),
        "style": *STYLE,
        "words": language.words,
        "languageWarning": unsupported,
        "tab": tab(&integration.params, language),
        "storageKeys": storage_keys::all(&integration.id),
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, LOADER_CACHE),
        ],
        TEMPLATE.replacen("__CONFIG__", &config.to_string(), 1),
    ))
}

/// What the loader needs to draw the collapsed tab and its unread badge.
fn tab(params: &IntegrationParams, language: &Language) -> Value {
    json!({
        "classes": placement::root_classes(params),
        "lang": language.code,
        "dir": language.direction(),
        "title": i18n::title_or_default(&params.title_text, &language.words),
        "openLabel": language.words[Word::OpenChat],
        "unread": language.unread,
        "backColor": params.title_back_color,
        "textColor": params.title_text_color,
        "collapsed": params.display_collapsed_state,
        "badge": params.display_unread_messages_mark,
    })
}

/// CSS without comments and with every run of whitespace as one space.
fn compact_css(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    without_comments.push_str(rest);
    without_comments
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::compact_css;

    #[test]
    fn css_loses_comments_and_spare_whitespace_only() {
        let css = "/* a\n comment */\n.a {\n  color: red; /* why */\n}\n\n.b { content: \"x\"; }\n";
        assert_eq!(
            compact_css(css),
            ".a { color: red; } .b { content: \"x\"; }"
        );
    }

    #[test]
    fn the_template_has_one_configuration_slot() {
        assert_eq!(super::TEMPLATE.matches("__CONFIG__").count(), 1);
    }
}
