//! `GET /integration/webchat/{id}:{token}`: the script a site embeds. It carries the integration's
//! parameters and the API address, then loads the widget bundle from this server; if that fails
//! the host page only gets one console warning.

use super::error::ApiError;
use crate::bundle::Bundle;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;

/// The loader is cached briefly so configuration changes reach pages soon.
const LOADER_CACHE: &str = "public, max-age=300";

pub async fn script(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let integration = state
        .integrations
        .by_key(&key)
        .ok_or(ApiError::UnknownIntegration)?;
    let base = &state.public_url;
    let config = json!({
        "params": integration.params,
        "api": format!("{base}/api/v1/chat/{}", integration.key()),
        "widget": format!("{base}/widget/"),
    });
    let body = match Bundle::find(&state.widget_dir) {
        Some(bundle) => format!(
            "(function () {{\n  \"use strict\";\n  if (window.CollaborationSystemWebChat1CE) return;\n  \
             var config = {config};\n  window.__collaborationSystemWebChat1CE = config;\n  \
             import(config.widget + {js})\n    \
             .then(function (glue) {{ return glue.default({{ module_or_path: config.widget + {wasm} }}); }})\n    \
             .catch(function (error) {{ console.warn(\"web chat: cannot load the chat: \" + error); }});\n}})();\n",
            js = json!(bundle.js),
            wasm = json!(bundle.wasm),
        ),
        None => "console.warn(\"web chat: the widget bundle is not built on the server \
                 (run cargo xtask build)\");\n"
            .to_owned(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, LOADER_CACHE),
        ],
        body,
    ))
}
