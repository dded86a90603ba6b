//! The criterion token bench's figures, read from what `cargo bench -p bench --bench token`
//! saved under `target/criterion/token/{verify,decode}/new/`.

use anyhow::{Context, Result};
use serde_json::Value;
use std::path::Path;

/// Criterion's figures for one function, in nanoseconds per call.
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    /// Median of the per-sample means, and its 95 % confidence interval.
    pub median: f64,
    pub low: f64,
    pub high: f64,
    /// The slowest sample's mean: the closest criterion comes to a high percentile.
    pub slowest_sample: f64,
}

/// The saved estimate of `token/{function}` under `dir` (criterion's output folder).
pub fn read(dir: &Path, function: &str) -> Result<Estimate> {
    let saved = dir.join("token").join(function).join("new");
    let estimates = json(&saved.join("estimates.json"))?;
    let sample = json(&saved.join("sample.json"))?;
    let median = &estimates["median"];
    let field = |value: &Value| value.as_f64().context("a number in estimates.json");
    let per_call = |series: &str| -> Vec<f64> {
        sample[series]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .collect()
    };
    let slowest_sample = per_call("times")
        .iter()
        .zip(per_call("iters"))
        .map(|(time, iterations)| time / iterations.max(1.0))
        .fold(0.0, f64::max);
    Ok(Estimate {
        median: field(&median["point_estimate"])?,
        low: field(&median["confidence_interval"]["lower_bound"])?,
        high: field(&median["confidence_interval"]["upper_bound"])?,
        slowest_sample,
    })
}

fn json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {}; run `cargo xtask bench --widget`",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}
