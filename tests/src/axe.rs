//! axe-core, Deque's accessibility engine, run on the widget inside a browser test: injected
//! into the host page through WebDriver (so the page's strict Content-Security-Policy does not
//! apply to it) and pointed at the widget's shadow host, which takes in its open shadow root;
//! or at any part of a page of the server's own, such as the console.
//! `cargo xtask test` installs it from npm and names its `axe.min.js` in `WEBCHAT_TEST_AXE`.

use headless::{HOST_ID, Session};
use serde_json::{Value, json};
use std::path::PathBuf;

/// The rule sets the widget must pass: WCAG 2.0 and 2.1, levels A and AA, and axe's best
/// practices. Besides them the rule for WCAG 2.5.3 (a control's name contains the text it
/// shows), which axe tags experimental and leaves off by default.
pub const TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/// Runs axe once the page has it; answers `{checked, violations}` (`checked`: how many rules
/// passed) or `{error}`.
const RUN: &str = "
const [selector, tags, done] = arguments;
axe.run({ include: [[selector]] }, {
  runOnly: { type: 'tag', values: tags },
  rules: { 'label-content-name-mismatch': { enabled: true } },
  resultTypes: ['violations'],
})
  .then(results => done({ checked: results.passes.length, violations: results.violations.map(rule => ({
      id: rule.id, impact: rule.impact, help: rule.help,
      nodes: rule.nodes.map(node => ({ target: node.target, html: node.html, summary: node.failureSummary })),
    })) }),
    error => done({ error: String(error) }));
";

/// The violations axe finds in the widget as the page shows it now, one line each with the
/// rule, its impact and the offending elements; empty when it passes.
pub async fn violations(page: &Session) -> Vec<String> {
    violations_in(page, &format!("#{HOST_ID}")).await
}

/// The violations axe finds in the elements `selector` matches (and their open shadow roots),
/// as [`violations`] says them.
pub async fn violations_in(page: &Session, selector: &str) -> Vec<String> {
    let present = page
        .js("return typeof window.axe === 'object'", Vec::new())
        .await;
    if present != json!(true) {
        page.js(&axe_script(), Vec::new()).await;
    }
    let answer = page.js_async(RUN, vec![json!(selector), json!(TAGS)]).await;
    if let Some(error) = answer.get("error") {
        panic!("axe-core failed: {error}");
    }
    let Some(Value::Array(violations)) = answer.get("violations") else {
        panic!("axe-core answered {answer}");
    };
    // No rule passing means the context matched nothing: a check of nothing passes vacuously.
    assert_ne!(
        answer["checked"],
        json!(0),
        "axe-core checked nothing in {selector}"
    );
    violations
        .iter()
        .map(|rule| {
            format!(
                "{} ({}): {}; {}",
                rule["id"].as_str().unwrap_or_default(),
                rule["impact"].as_str().unwrap_or("?"),
                rule["help"].as_str().unwrap_or_default(),
                rule["nodes"]
            )
        })
        .collect()
}

/// The text of `axe.min.js`, which defines `window.axe` when run.
fn axe_script() -> String {
    let path = std::env::var_os("WEBCHAT_TEST_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "WEBCHAT_TEST_AXE is not set: run the tests with `cargo xtask test`, which \
                 installs axe-core into .tools/"
            )
        });
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("could not read {}: {error}", path.display()))
}
