//! `wait_for_connection`: retry reaching the host until a trivial command runs, as
//! ansible-core's action plugin retries its ping module.
//! Each attempt after a failed one drops the host's connection and opens a fresh one
//! (`Target::reconnect`), so a host that rebooted or whose sshd restarted is reached
//! again, and the tasks after this one use the new connection.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::json;

use crate::get_url::int_arg;
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct WaitForConnection;

#[async_trait]
impl Module for WaitForConnection {
    fn name(&self) -> &'static str {
        "wait_for_connection"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported(
            "wait_for_connection",
            &["connect_timeout", "delay", "sleep", "timeout"],
        )?;
        let connect_timeout = int_arg(ctx, "connect_timeout", 5)?.max(1);
        let delay = int_arg(ctx, "delay", 0)?;
        let sleep = int_arg(ctx, "sleep", 1)?;
        let timeout = int_arg(ctx, "timeout", 600)?;
        if ctx.check_mode {
            return Ok(crate::no_check_mode(None));
        }
        let start = Instant::now();
        if delay > 0 {
            tokio::time::sleep(Duration::from_secs(delay)).await;
        }
        let deadline = start + Duration::from_secs(delay + timeout);
        let mut last_error;
        let mut fresh = false;
        loop {
            let attempt = async {
                let conn = if fresh {
                    ctx.target.reconnect().await?
                } else {
                    ctx.target.connection().await?
                };
                let out = conn.exec("echo pong", None, None).await?;
                if String::from_utf8_lossy(&out.stdout).trim() == "pong" {
                    Ok(())
                } else {
                    Err(drover_connection::ConnError::Unreachable(
                        "ping test failed".into(),
                    ))
                }
            };
            match tokio::time::timeout(Duration::from_secs(connect_timeout), attempt).await {
                Ok(Ok(())) => break,
                Ok(Err(e)) => last_error = e.to_string(),
                Err(_) => last_error = "timed out".into(),
            }
            fresh = true;
            if Instant::now() + Duration::from_secs(sleep) >= deadline {
                let mut r = result(false);
                r.insert("failed".into(), json!(true));
                r.insert(
                    "msg".into(),
                    json!(format!(
                        "timed out waiting for ping module test: {last_error}"
                    )),
                );
                r.insert("elapsed".into(), json!(start.elapsed().as_secs()));
                return Ok(r);
            }
            tokio::time::sleep(Duration::from_secs(sleep)).await;
        }
        let mut r = result(false);
        r.insert("elapsed".into(), json!(start.elapsed().as_secs()));
        Ok(r)
    }
}
