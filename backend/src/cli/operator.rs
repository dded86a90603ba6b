//! `webchat-server operator add|list|remove|password`: console operator accounts, managed by
//! whoever runs the server. Passwords come from standard input or are generated and printed
//! once (`--generate-password`); the listing never shows a password or a hash.

use crate::auth::password::{self, PasswordError};
use crate::desk::{AccountStore, NewAccount, normalize_email};
use crate::store::StoreError;
use std::fmt::Write;

/// Why an operator command failed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorAdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("{0:?} is not an e-mail address")]
    InvalidEmail(String),
    #[error("--name must not be empty")]
    EmptyName,
    #[error("no integration {id:?} is configured; the configured ones: {known}")]
    UnknownIntegration { id: String, known: String },
    #[error(
        "an operator with e-mail {0} exists already; `webchat-server operator password` changes its password"
    )]
    EmailTaken(String),
    #[error("no operator with e-mail {0}; `webchat-server operator list` shows them")]
    NoSuchOperator(String),
}

/// Where a new password comes from.
#[derive(Debug, Clone)]
pub enum NewPassword {
    /// Typed by the administrator (standard input).
    Given(String),
    /// Generated here and printed once.
    Generated,
}

impl NewPassword {
    /// The password, checked for strength, and what to print of it.
    fn resolve(self) -> Result<(String, Option<String>), PasswordError> {
        match self {
            Self::Given(password) => {
                password::check_strength(&password)?;
                Ok((password, None))
            }
            Self::Generated => {
                let password = password::generate();
                Ok((password.clone(), Some(password)))
            }
        }
    }
}

/// An account to add, as given on the command line.
#[derive(Debug, Clone)]
pub struct AddOperator {
    pub email: String,
    pub name: String,
    pub integrations: Vec<String>,
}

/// Adds an operator answering `operator.integrations`, each of which must be in `known`.
pub async fn add(
    store: &dyn AccountStore,
    known: &[String],
    operator: AddOperator,
    password: NewPassword,
) -> Result<String, OperatorAdminError> {
    let email = normalize_email(&operator.email);
    if !is_email(&email) {
        return Err(OperatorAdminError::InvalidEmail(operator.email));
    }
    let name = operator.name.trim().to_owned();
    if name.is_empty() {
        return Err(OperatorAdminError::EmptyName);
    }
    if let Some(unknown) = operator.integrations.iter().find(|id| !known.contains(id)) {
        return Err(OperatorAdminError::UnknownIntegration {
            id: unknown.clone(),
            known: known.join(", "),
        });
    }
    let (password, shown) = password.resolve()?;
    let account = NewAccount {
        email,
        name,
        password_hash: password::hash(password).await?,
        integrations: operator.integrations,
    };
    let account = store
        .create_account(&account)
        .await?
        .map_err(|taken| OperatorAdminError::EmailTaken(taken.0))?;
    let mut text = format!(
        "added operator {} ({}), id {}, answering {}\n",
        account.email,
        account.name,
        account.id,
        account.integrations.join(", ")
    );
    if let Some(shown) = shown {
        let _ = writeln!(text, "password: {shown}");
    }
    Ok(text)
}

/// The accounts as a table, or a line saying there are none.
pub async fn list(store: &dyn AccountStore) -> Result<String, OperatorAdminError> {
    let accounts = store.accounts().await?;
    if accounts.is_empty() {
        return Ok(
            "no operators; add one with `webchat-server operator add EMAIL --name NAME \
             --integration ID`\n"
                .to_owned(),
        );
    }
    let mut table = format!("{:<8} {:<32} {:<24} INTEGRATIONS\n", "ID", "EMAIL", "NAME");
    for account in &accounts {
        let _ = writeln!(
            table,
            "{:<8} {:<32} {:<24} {}",
            account.id,
            account.email,
            printable(&account.name),
            account.integrations.join(",")
        );
    }
    Ok(table)
}

/// Removes the operator with `email`; its sessions end with it.
pub async fn remove(store: &dyn AccountStore, email: &str) -> Result<String, OperatorAdminError> {
    let email = normalize_email(email);
    store
        .remove_account(&email)
        .await?
        .ok_or_else(|| OperatorAdminError::NoSuchOperator(email.clone()))?;
    Ok(format!("removed operator {email}; its sessions ended\n"))
}

/// Gives the operator with `email` a new password; its sessions end.
pub async fn set_password(
    store: &dyn AccountStore,
    email: &str,
    password: NewPassword,
) -> Result<String, OperatorAdminError> {
    let email = normalize_email(email);
    if store.credentials(&email).await?.is_none() {
        return Err(OperatorAdminError::NoSuchOperator(email));
    }
    let (password, shown) = password.resolve()?;
    let hash = password::hash(password).await?;
    store
        .set_password(&email, &hash)
        .await?
        .ok_or_else(|| OperatorAdminError::NoSuchOperator(email.clone()))?;
    let mut text = format!("changed the password of {email}; its sessions ended\n");
    if let Some(shown) = shown {
        let _ = writeln!(text, "password: {shown}");
    }
    Ok(text)
}

/// Something with one `@`, text on both sides and no blanks: enough to catch a name typed
/// where the e-mail goes; the address is a login name, never mailed.
fn is_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// `text` with control characters blanked, so a name cannot move the terminal's cursor.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mails_need_one_at_with_text_around_it() {
        assert!(is_email("ann@example.com"));
        assert!(is_email("demo@localhost"));
        for wrong in [
            "ann",
            "@example.com",
            "ann@",
            "a@b@c",
            "ann smith@example.com",
        ] {
            assert!(!is_email(wrong), "{wrong}");
        }
    }

    #[test]
    fn names_print_without_control_characters() {
        assert_eq!(printable("Ann\u{1b}[2J"), "Ann [2J");
    }
}
