//! The embedded default's console operator: `demo@localhost` ("Demo operator") answering the
//! demo integration, with a password generated on the first start and kept in the database's
//! server settings, so every later start prints the same login. Only this account's password
//! is ever printed; accounts made with `webchat-server operator add` never are.

use crate::auth::password::{self, PasswordError, Verdict};
use crate::config::integrations::DEMO_ID;
use crate::config::secret::Secret;
use crate::desk::NewAccount;
use crate::storage::Storage;
use crate::store::StoreError;

/// The demo operator's e-mail.
pub const DEMO_EMAIL: &str = "demo@localhost";
/// Its name.
pub const DEMO_NAME: &str = "Demo operator";
/// The server setting that keeps its generated password.
const PASSWORD_SETTING: &str = "demo.operator_password";

/// Why the demo operator could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoOperatorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// How to log in as the demo operator.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    /// The kept password; `None` when it was changed since (`operator password`), which is
    /// then not printed.
    pub password: Option<Secret>,
}

/// Creates the demo operator unless it exists, and says how to log in as it.
pub async fn ensure(store: &dyn Storage) -> Result<DemoLogin, DemoOperatorError> {
    let kept = store
        .server_setting(PASSWORD_SETTING, &password::generate())
        .await?;
    let password = match store.credentials(DEMO_EMAIL).await? {
        None => {
            let account = NewAccount {
                email: DEMO_EMAIL.to_owned(),
                name: DEMO_NAME.to_owned(),
                password_hash: password::hash(kept.clone()).await?,
                integrations: vec![DEMO_ID.to_owned()],
            };
            // Another node creating it at the same moment is as good.
            let _created = store.create_account(&account).await?;
            Some(Secret::new(kept))
        }
        Some(credentials) => {
            match password::verify(kept.clone(), Some(credentials.password_hash)).await? {
                Verdict::Matches => Some(Secret::new(kept)),
                Verdict::Wrong => None,
            }
        }
    };
    Ok(DemoLogin {
        email: DEMO_EMAIL.to_owned(),
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_stores::shared_test_stores;

    #[tokio::test]
    async fn made_once_with_a_kept_password_that_is_not_shown_once_changed() {
        let (_dir, stores) = shared_test_stores().await;
        for store in &stores {
            let first = ensure(store.as_ref()).await.unwrap();
            let password = first.password.clone().unwrap();
            assert_eq!(first.email, DEMO_EMAIL);
            let again = ensure(store.as_ref()).await.unwrap();
            assert_eq!(again.password, Some(password.clone()), "the same login");
            let accounts = store.accounts().await.unwrap();
            assert_eq!(accounts.len(), 1);
            assert_eq!(accounts[0].name, DEMO_NAME);
            assert_eq!(accounts[0].integrations, [DEMO_ID]);

            let changed = password::hash("changed by hand".into()).await.unwrap();
            store.set_password(DEMO_EMAIL, &changed).await.unwrap();
            assert_eq!(ensure(store.as_ref()).await.unwrap().password, None);
        }
    }
}
