//! The embedded default's integration, `demo`: its token, webhook token and signKey generated on
//! the first start and kept in the database's server settings, so the demo shop's script tag and
//! signed tokens keep working across restarts.

use crate::auth::visitor_token::random_token;
use crate::config::integrations::{DEMO_ID, Integration, Integrations};
use crate::config::secret::Secret;
use crate::content::page_url::PageQuery;
use crate::storage::ServerStore;
use crate::store::StoreResult;
use protocol::IntegrationParams;

/// The `demo` integration alone, its secrets kept in `store`.
pub async fn integrations(store: &dyn ServerStore) -> StoreResult<Integrations> {
    let token = store.server_setting("demo.token", &random_token()).await?;
    let webhook_token = store
        .server_setting("demo.webhook_token", &random_token())
        .await?;
    let sign_key = store
        .server_setting("demo.sign_key", &random_token())
        .await?;
    let mut params = IntegrationParams::with_language("en");
    params.title_text = "Demo shop support".to_owned();
    Ok(Integrations::only(Integration {
        id: DEMO_ID.to_owned(),
        token,
        webhook_token: Some(Secret::new(webhook_token)),
        allowed_origins: Vec::new(),
        webhook_url: None,
        page_query: PageQuery::Drop,
        params,
        sign_key: Some(Secret::new(sign_key)),
        token_max_age_secs: None,
    }))
}
