//! Operators' passwords, hashed with Argon2id (RFC 9106) into PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), which carry their own parameters: hashes made
//! with other parameters keep verifying after these change.
//!
//! The parameters are OWASP's first recommendation for Argon2id: 19 MiB of memory, 2 passes,
//! 1 lane. A login pays that once and an attacker with the database pays it per guess.
//! Hashing runs on tokio's blocking pool, never on a worker thread, at most two per core at a
//! time ([`HASHING`]): a burst of logins from many addresses waits its turn instead of taking
//! 19 MiB each at once (logins are also limited per IP and per account).
//!
//! An unknown e-mail is checked against [`DUMMY_HASH`], made with the same parameters, so
//! "no such account" takes as long as "wrong password" and the timing tells nothing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// Memory per hash, in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Random bytes of a generated password (22 URL-safe characters, 128 bits).
const GENERATED_BYTES: usize = 16;

/// A hash of a random password nobody knows, with the parameters above: what an unknown
/// e-mail's login is verified against.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$HGNnjwp8QaHZMa/HHV1C2w$FB33x4PcsoU+KWDgckz/U5wMpRufw4xuTXYs0tdC088";

/// Hashes computed at once: two per core keeps the cores busy while bounding the memory
/// (19 MiB each) a burst of logins can take.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(hashing_slots()));

fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from) * 2
}

/// Runs `work` on the blocking pool once a hashing slot is free.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
) -> Result<T, PasswordError> {
    // The semaphore is never closed, so acquiring only waits.
    let _slot = HASHING.acquire().await;
    tokio::task::spawn_blocking(work).await?
}

/// Why a password could not be set or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is {chars} characters; it must be at least {MIN_PASSWORD_CHARS}")]
    TooShort { chars: usize },
    #[error("cannot hash the password: {0}")]
    Hash(#[from] argon2::password_hash::Error),
    #[error("the password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Whether a password matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Matches,
    Wrong,
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Refuses passwords shorter than [`MIN_PASSWORD_CHARS`].
pub fn check_strength(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort { chars });
    }
    Ok(())
}

/// A new random password (128 bits, URL-safe).
pub fn generate() -> String {
    let mut bytes = [0u8; GENERATED_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PHC string of `password` with a fresh random salt, computed on the blocking pool.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    hashing(move || hash_now(&password)).await
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches `stored` (a PHC string); with no stored hash (an unknown
/// e-mail) it is checked against [`DUMMY_HASH`] and is always wrong, after the same work.
/// Computed on the blocking pool.
pub async fn verify(password: String, stored: Option<String>) -> Result<Verdict, PasswordError> {
    hashing(move || {
        let known = stored.is_some();
        let stored = stored.as_deref().unwrap_or(DUMMY_HASH);
        let matches = verify_now(&password, stored)?;
        Ok(if matches && known {
            Verdict::Matches
        } else {
            Verdict::Wrong
        })
    })
    .await
}

fn verify_now(password: &str, stored: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(stored)?;
    match hasher().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hashed = hash("correct horse battery".into()).await.unwrap();
        assert!(
            hashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hashed}"
        );
        let again = hash("correct horse battery".into()).await.unwrap();
        assert_ne!(hashed, again, "salted");
        let check = |password: &str| verify(password.into(), Some(hashed.clone()));
        assert_eq!(
            check("correct horse battery").await.unwrap(),
            Verdict::Matches
        );
        assert_eq!(
            check("correct horse batterY").await.unwrap(),
            Verdict::Wrong
        );
    }

    #[tokio::test]
    async fn an_unknown_account_does_the_same_work_and_fails() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let expected = hash_now("anything at all").unwrap();
        let expected = PasswordHash::new(&expected).unwrap();
        assert_eq!(parsed.algorithm, expected.algorithm);
        assert_eq!(
            parsed.params, expected.params,
            "the dummy uses today's parameters"
        );
        assert_eq!(
            verify("anything at all".into(), None).await.unwrap(),
            Verdict::Wrong
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_run_two_per_core_at_most() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let limit = hashing_slots();
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..limit + 3)
            .map(|_| {
                let (running, most) = (Arc::clone(&running), Arc::clone(&most));
                tokio::spawn(hashing(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let hashed = hash_now("a password to hash");
                    running.fetch_sub(1, Ordering::SeqCst);
                    hashed
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=limit).contains(&most), "{most} at once, limit {limit}");
    }

    #[test]
    fn short_passwords_are_refused_and_generated_ones_are_long() {
        assert!(matches!(
            check_strength("nine char"),
            Err(PasswordError::TooShort { chars: 9 })
        ));
        check_strength("ten chars!").unwrap();
        let generated = generate();
        assert_eq!(generated.len(), 22);
        check_strength(&generated).unwrap();
        assert_ne!(generate(), generated);
    }
}
