//! The signing programs of `docs/signing.md`, run as printed there with JWT libraries we did not
//! write: `jsonwebtoken` on Node.js and PyJWT on Python, which `cargo xtask test` installs and
//! names in `WEBCHAT_TEST_NODE_MODULES` and `WEBCHAT_TEST_PYTHON_PACKAGES`. The programs are
//! read out of the document, so the document cannot drift from what is tested.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// The signing guide, compiled in so a change to it rebuilds the tests.
const GUIDE: &str = include_str!("../../docs/signing.md");

/// Environment variable the programs read the signKey from, as the guide says.
const SIGN_KEY_VARIABLE: &str = "WEBCHAT_SIGN_KEY";

/// Seconds the wrappers below add to the program's clock.
const CLOCK_SHIFT_VARIABLE: &str = "WEBCHAT_TEST_CLOCK_SHIFT_SECS";

/// Loaded before the Node.js program: `jsonwebtoken` reads the time through `Date.now`.
const NODE_CLOCK: &str = "\
const shift = Number(process.env.WEBCHAT_TEST_CLOCK_SHIFT_SECS || 0) * 1000;
const realNow = Date.now;
Date.now = () => realNow() + shift;
";

/// Runs the Python program (its path is the first argument) as `__main__` with `time.time`
/// shifted, the clock the program reads.
const PYTHON_CLOCK: &str = "\
import os, runpy, sys, time
shift = float(os.environ.get('WEBCHAT_TEST_CLOCK_SHIFT_SECS', '0'))
real_time = time.time
time.time = lambda: real_time() + shift
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
";

/// Longest a signing program may take; a hung interpreter fails the test instead of stalling it.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// A language the guide has a tested program for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Node,
    Python,
}

impl Language {
    /// The name after `<!-- signer: ` in the guide.
    fn marker(self) -> &'static str {
        match self {
            Self::Node => "node",
            Self::Python => "python",
        }
    }
}

/// How far the signing program's clock is from the real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Right,
    /// Two hours behind: the token has expired before it is made.
    Behind,
    /// Two hours ahead: the token is issued in the future.
    Ahead,
}

impl Clock {
    fn shift_secs(self) -> i64 {
        match self {
            Self::Right => 0,
            Self::Behind => -7200,
            Self::Ahead => 7200,
        }
    }
}

/// One of the guide's programs, written to a temporary folder, ready to run.
#[derive(Debug)]
pub struct Signer {
    language: Language,
    dir: TempDir,
}

impl Signer {
    /// The guide's program for `language`.
    pub fn from_guide(language: Language) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let program = code_block(&format!("<!-- signer: {} -->", language.marker()));
        std::fs::write(dir.path().join(program_name(language)), program).expect("write program");
        if language == Language::Node {
            std::fs::write(dir.path().join("clock.js"), NODE_CLOCK).expect("write clock.js");
        }
        Self { language, dir }
    }

    /// The token the program prints for `user`, signed with `sign_key`, its clock at `clock`.
    pub async fn token(&self, sign_key: &str, user: &str, clock: Clock) -> String {
        let program = self.dir.path().join(program_name(self.language));
        let mut command = match self.language {
            Language::Node => {
                let mut command = tokio::process::Command::new("node");
                command
                    .arg("--require")
                    .arg(self.dir.path().join("clock.js"))
                    .arg(&program)
                    .env("NODE_PATH", tool_dir("WEBCHAT_TEST_NODE_MODULES"));
                command
            }
            Language::Python => {
                let mut command = tokio::process::Command::new("python3");
                command
                    .arg("-c")
                    .arg(PYTHON_CLOCK)
                    .arg(&program)
                    .env("PYTHONPATH", tool_dir("WEBCHAT_TEST_PYTHON_PACKAGES"));
                command
            }
        };
        command
            .arg(user)
            .env(SIGN_KEY_VARIABLE, sign_key)
            .env(CLOCK_SHIFT_VARIABLE, clock.shift_secs().to_string())
            .kill_on_drop(true);
        let output = tokio::time::timeout(RUN_TIMEOUT, command.output())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{:?} program still running after {RUN_TIMEOUT:?}",
                    self.language
                )
            })
            .unwrap_or_else(|error| {
                panic!("could not start the {:?} program: {error}", self.language)
            });
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{:?} program failed ({}): {stderr}",
            self.language,
            output.status
        );
        assert!(
            stderr.trim().is_empty(),
            "{:?} program warned: {stderr}",
            self.language
        );
        String::from_utf8(output.stdout)
            .expect("the token is UTF-8")
            .trim()
            .to_owned()
    }
}

/// The guide's example signature: its signKey, signing input and signature.
#[derive(Debug)]
pub struct ExampleSignature {
    pub sign_key: String,
    pub signing_input: String,
    pub signature: String,
}

impl ExampleSignature {
    pub fn from_guide() -> Self {
        let block = code_block("<!-- example: signature -->");
        let value = |label: &str| {
            block
                .lines()
                .find_map(|line| line.strip_prefix(label))
                .map(|rest| rest.trim().to_owned())
                .unwrap_or_else(|| panic!("the example has no line `{label}`"))
        };
        Self {
            sign_key: value("signKey"),
            signing_input: value("signing input"),
            signature: value("signature"),
        }
    }

    /// The whole token: signing input, a dot, signature.
    pub fn token(&self) -> String {
        format!("{}.{}", self.signing_input, self.signature)
    }
}

fn program_name(language: Language) -> &'static str {
    match language {
        Language::Node => "sign-token.js",
        Language::Python => "sign_token.py",
    }
}

/// The fenced code block right after the line `marker` in the guide, without its fences.
fn code_block(marker: &str) -> String {
    let mut lines = GUIDE
        .lines()
        .skip_while(|line| line.trim() != marker)
        .skip(1);
    let fence = lines
        .next()
        .unwrap_or_else(|| panic!("docs/signing.md has no `{marker}` followed by a code block"));
    assert!(
        fence.starts_with("```"),
        "`{marker}` must be followed by a fenced code block, not {fence:?}"
    );
    let body: Vec<&str> = lines.take_while(|line| line.trim_end() != "```").collect();
    body.join("\n") + "\n"
}

/// The folder an environment variable names; `cargo xtask test` sets it after installing.
fn tool_dir(variable: &str) -> PathBuf {
    let dir = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "{variable} is not set: run the tests with `cargo xtask test`, which installs the \
             JWT libraries of docs/signing.md into .tools/signers/"
            )
        });
    assert!(
        Path::new(&dir).is_dir(),
        "{variable} names {}, which is not a folder",
        dir.display()
    );
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_has_each_tested_program_and_the_example() {
        assert!(code_block("<!-- signer: node -->").contains("require(\"jsonwebtoken\")"));
        assert!(code_block("<!-- signer: python -->").contains("import jwt"));
        let example = ExampleSignature::from_guide();
        assert_eq!(example.token().split('.').count(), 3);
        // The 1C check repeats the example's values: they must not drift apart.
        for value in [&example.sign_key, &example.signing_input] {
            assert!(
                GUIDE.matches(value.as_str()).count() >= 2,
                "{value} only once"
            );
        }
    }
}
