//! `pause`: waits a number of seconds or minutes on the controller. Without a terminal
//! a pause with no duration returns at once, as ansible-playbook does.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Local;

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Pause;

/// A duration as ansible's `int` conversion takes it: an integer, a float (truncated),
/// or a string of an integer.
fn number(ctx: &Ctx<'_>, key: &str) -> Result<Option<u64>, ModuleError> {
    let Some(v) = ctx.args.get(key) else {
        return Ok(None);
    };
    let n = match v {
        serde_json::Value::Number(n) => n.as_f64().map(|f| f.trunc()),
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok().map(|i| i as f64),
        _ => None,
    };
    match n {
        Some(n) => Ok(Some(n.max(0.0) as u64)),
        None => Err(ModuleError::Failed(format!(
            "argument '{key}' is of type {} and we were unable to convert to int: {v}",
            if v.is_string() { "str" } else { "a non-number" }
        ))),
    }
}

/// Python's `round(x, 2)` printed as Python prints a float (`1.0`, `0.02`).
fn py_round2(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{r:.1}")
    } else {
        format!("{r}")
    }
}

#[async_trait]
impl Module for Pause {
    fn name(&self) -> &'static str {
        "pause"
    }
    fn controller_only(&self) -> bool {
        true
    }
    /// Once for the play, not per host (ansible's BYPASS_HOST_LOOP).
    fn runs_once(&self) -> bool {
        true
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args
            .check_supported("pause", &["seconds", "minutes", "prompt", "echo"])?;
        let (seconds, unit) = match (number(ctx, "seconds")?, number(ctx, "minutes")?) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::Failed(
                    "parameters are mutually exclusive: minutes|seconds".into(),
                ))
            }
            (Some(s), None) => (Some(s), "seconds"),
            (None, Some(m)) => (Some(m * 60), "minutes"),
            (None, None) => (None, "minutes"),
        };
        let start = Local::now();
        let clock = Instant::now();
        let mut r = result(false);
        match seconds {
            // At least a second, as in ansible.
            Some(s) => {
                let s = s.max(1);
                let hidden = if ctx.args.bool("echo", true)? {
                    ""
                } else {
                    " (output is hidden)"
                };
                ctx.target
                    .display(&format!("Pausing for {s} seconds{hidden}"));
                tokio::time::sleep(Duration::from_secs(s)).await
            }
            // Nobody to answer a prompt: drover never reads the terminal here.
            None => {
                r.insert(
                    "warnings".into(),
                    serde_json::json!([
                        "Not waiting for response to prompt as stdin is not interactive"
                    ]),
                );
            }
        }
        let stop = Local::now();
        let elapsed = clock.elapsed().as_secs_f64();
        r.insert(
            "start".into(),
            start.format("%Y-%m-%d %H:%M:%S%.6f").to_string().into(),
        );
        r.insert(
            "stop".into(),
            stop.format("%Y-%m-%d %H:%M:%S%.6f").to_string().into(),
        );
        r.insert("delta".into(), (elapsed as i64).into());
        r.insert("echo".into(), ctx.args.bool("echo", true)?.into());
        r.insert("rc".into(), 0.into());
        r.insert("stderr".into(), "".into());
        let shown = if unit == "minutes" {
            elapsed / 60.0
        } else {
            elapsed
        };
        r.insert(
            "stdout".into(),
            format!("Paused for {} {unit}", py_round2(shown)).into(),
        );
        r.insert("user_input".into(), "".into());
        Ok(r)
    }
}
