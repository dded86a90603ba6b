//! `webchat-server outbox list-dead` and `outbox retry ID|--all`: what an operator sees of the
//! commands set aside as dead letters, and sending them again. The listing shows ids, keys,
//! counts, ages and the collaboration server's answer, never a URL or a token.

use crate::bridge::{DeadLetter, DeadLetters, OutboxStore};
use crate::store::{StoreError, now_ms};
use std::fmt::Write;
use std::time::Duration;

/// Why an outbox command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no dead letter with id {0}; `webchat-server outbox list-dead` shows them")]
    NoSuchDeadLetter(i64),
}

/// The dead letters as a table, oldest first, or a line saying there are none.
pub async fn list_dead(store: &dyn OutboxStore) -> Result<String, AdminError> {
    let dead = store.dead_letters().await?;
    if dead.is_empty() {
        return Ok("no dead letters\n".to_owned());
    }
    let now = now_ms();
    let mut table = format!(
        "{:<10} {:<16} {:<24} {:>8} {:>10} {:>10}  LAST ERROR\n",
        "ID", "INTEGRATION", "CONVERSATION", "ATTEMPTS", "AGE", "SET ASIDE"
    );
    for letter in &dead {
        let _ = writeln!(table, "{}", row(letter, now));
    }
    let _ = writeln!(
        table,
        "{} dead letter(s); send them again with `webchat-server outbox retry ID` or `--all`",
        dead.len()
    );
    Ok(table)
}

fn row(letter: &DeadLetter, now: i64) -> String {
    let error: String = letter
        .last_error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "{:<10} {:<16} {:<24} {:>8} {:>10} {:>10}  {error}",
        letter.id,
        letter.integration_id,
        letter.ordering_key,
        letter.attempts,
        ago(now - letter.created_at),
        ago(now - letter.dead_at),
    )
}

/// `millis` as a short age: `42s`, `17m`, `5h`, `3d`.
fn ago(millis: i64) -> String {
    let secs = Duration::from_millis(u64::try_from(millis).unwrap_or(0)).as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// Moves `which` dead letters back into the outbox and says which; a named id that is not a
/// dead letter is an error (and nothing is moved).
pub async fn retry(store: &dyn OutboxStore, which: DeadLetters<'_>) -> Result<String, AdminError> {
    if let DeadLetters::Ids(ids) = which {
        let dead = store.dead_letters().await?;
        if let Some(missing) = ids
            .iter()
            .find(|id| !dead.iter().any(|letter| letter.id == **id))
        {
            return Err(AdminError::NoSuchDeadLetter(*missing));
        }
    }
    let moved = store.retry_dead_letters(which, now_ms()).await?;
    let ids: Vec<String> = moved.iter().map(ToString::to_string).collect();
    Ok(match ids.len() {
        0 => "no dead letters to retry\n".to_owned(),
        count => format!(
            "re-queued {count} command(s): {}; a running server delivers them ahead of their \
             conversations' newer commands\n",
            ids.join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn ages_are_short() {
        assert_eq!(ago(-5), "0s");
        assert_eq!(ago(59_999), "59s");
        assert_eq!(ago(60_000), "1m");
        assert_eq!(ago(7_200_000), "2h");
        assert_eq!(ago(3 * 86_400_000), "3d");
    }
}
