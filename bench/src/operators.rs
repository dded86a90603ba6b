//! Console operators of the bench integration, made the way an administrator makes them
//! (`webchat-server --config PATH operator add EMAIL --generate-password`, the password read
//! from what it prints) and logged in over the operator API, as the console does.

use crate::server::{INTEGRATION, ServerProcess, sibling_binary};
use anyhow::{Context, Result, bail};
use protocol::operator::{LoginAnswer, LoginRequest};

/// A logged-in operator: its account id and its session's bearer token.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub id: i64,
    pub token: String,
}

/// Adds `count` operators answering the bench integration and logs each in. `run` makes their
/// e-mails unique in a database that is used again (the PostgreSQL runs share one).
pub async fn logged_in(
    server: &ServerProcess,
    http: &reqwest::Client,
    count: usize,
    run: &str,
) -> Result<Vec<LoggedIn>> {
    let mut operators = Vec::with_capacity(count);
    for n in 1..=count {
        let email = format!("operator-{run}-{n}@bench.localhost");
        let password = add(server, &email, &format!("Operator {n}")).await?;
        operators.push(login(server, http, &email, &password).await?);
    }
    Ok(operators)
}

/// Adds the account `email` with a generated password, which it returns.
async fn add(server: &ServerProcess, email: &str, name: &str) -> Result<String> {
    let program = sibling_binary("webchat-server")?;
    let output = tokio::process::Command::new(&program)
        .arg("--config")
        .arg(server.config())
        .args(["operator", "add", email, "--name", name, "--integration"])
        .arg(INTEGRATION)
        .arg("--generate-password")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .with_context(|| format!("cannot run {}", program.display()))?;
    let printed = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "`operator add {email}` failed: {}{}",
            printed,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    generated_password(&printed)
        .map(str::to_owned)
        .with_context(|| format!("`operator add {email}` printed no password: {printed}"))
}

/// The password `operator add --generate-password` printed, on its `password: ` line.
fn generated_password(printed: &str) -> Option<&str> {
    printed
        .lines()
        .find_map(|line| line.strip_prefix("password: "))
        .map(str::trim)
        .filter(|password| !password.is_empty())
}

async fn login(
    server: &ServerProcess,
    http: &reqwest::Client,
    email: &str,
    password: &str,
) -> Result<LoggedIn> {
    let answer: LoginAnswer = http
        .post(format!("{}/api/v1/operator/login", server.base))
        .json(&LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        })
        .send()
        .await?
        .error_for_status()
        .with_context(|| format!("login of {email}"))?
        .json()
        .await?;
    Ok(LoggedIn {
        id: answer.operator.id,
        token: answer.token,
    })
}

#[cfg(test)]
mod tests {
    use super::generated_password;

    #[test]
    fn reads_the_generated_password_from_what_operator_add_prints() {
        let printed = "added operator ann@bench.localhost (Ann), id 3, answering bench\n\
                       password: Xk3-long-random\n";
        assert_eq!(generated_password(printed), Some("Xk3-long-random"));
        assert_eq!(
            generated_password("added operator ann@bench.localhost (Ann), id 3\n"),
            None
        );
        assert_eq!(generated_password("password: \n"), None);
    }
}
