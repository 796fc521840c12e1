//! `ping`: proves the host answers a command over its connection (no Python needed).

use async_trait::async_trait;
use serde_json::Value;

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Ping;

#[async_trait]
impl Module for Ping {
    fn name(&self) -> &'static str {
        "ping"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported("ping", &["data"])?;
        let data = ctx
            .args
            .get("data")
            .cloned()
            .unwrap_or_else(|| Value::String("pong".into()));
        if data == Value::String("crash".into()) {
            return Err(ModuleError::Failed("boom".into()));
        }
        let out = ctx.exec("true", None).await?;
        if out.rc != 0 {
            let mut r = result(false);
            r.insert("failed".into(), Value::Bool(true));
            r.insert("rc".into(), out.rc.into());
            r.insert(
                "msg".into(),
                String::from_utf8_lossy(&out.stderr)
                    .trim()
                    .to_string()
                    .into(),
            );
            return Ok(r);
        }
        let mut r = result(false);
        r.insert("ping".into(), data);
        Ok(r)
    }
}
