//! `pause`: waits a number of seconds or minutes on the controller. Without a terminal
//! a pause with no duration returns at once, as ansible-playbook does.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Local;

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Pause;

fn number(ctx: &Ctx<'_>, key: &str) -> Result<Option<f64>, ModuleError> {
    match ctx.args.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Some)
            .ok_or_else(|| {
                ModuleError::Failed(format!(
                    "non-integer value given for prompt duration: '{key}'"
                ))
            }),
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
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args
            .check_supported("pause", &["seconds", "minutes", "prompt", "echo"])?;
        let seconds = match (number(ctx, "seconds")?, number(ctx, "minutes")?) {
            (Some(s), _) => s,
            (None, Some(m)) => m * 60.0,
            (None, None) => 0.0,
        };
        let start = Local::now();
        let clock = Instant::now();
        if seconds > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        }
        let stop = Local::now();
        let mut r = result(false);
        r.insert(
            "start".into(),
            start.format("%Y-%m-%d %H:%M:%S%.6f").to_string().into(),
        );
        r.insert(
            "stop".into(),
            stop.format("%Y-%m-%d %H:%M:%S%.6f").to_string().into(),
        );
        r.insert(
            "delta".into(),
            (clock.elapsed().as_secs_f64().round() as i64).into(),
        );
        r.insert("echo".into(), ctx.args.bool("echo", true)?.into());
        r.insert("rc".into(), 0.into());
        r.insert("stderr".into(), "".into());
        r.insert(
            "stdout".into(),
            format!("Paused for {} seconds", seconds).into(),
        );
        r.insert("user_input".into(), "".into());
        Ok(r)
    }
}
