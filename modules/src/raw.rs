//! `raw`: the command line as given, straight to the host's login shell, no wrapper.

use async_trait::async_trait;
use serde_json::Value;

use crate::{lines, result, Ctx, Module, ModuleError, ModuleResult};

pub struct Raw;

#[async_trait]
impl Module for Raw {
    fn name(&self) -> &'static str {
        "raw"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args
            .check_supported("raw", &["_raw_params", "executable"])?;
        let text = ctx.args.str("_raw_params")?.unwrap_or_default();
        if text.trim().is_empty() {
            return Err(ModuleError::Failed("no command given".into()));
        }
        if ctx.check_mode {
            return Ok(crate::no_check_mode(None));
        }
        let line = match ctx.args.str("executable")? {
            Some(exe) => format!(
                "{} -c {}",
                drover_connection::quote(&exe),
                drover_connection::quote(&text)
            ),
            None => text,
        };
        let out = ctx.exec(&line, None).await?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let mut r = result(true);
        r.insert("rc".into(), out.rc.into());
        r.insert("stdout_lines".into(), lines(&stdout));
        r.insert("stderr_lines".into(), lines(&stderr));
        r.insert("stdout".into(), stdout.into());
        r.insert("stderr".into(), stderr.into());
        if out.rc != 0 {
            r.insert("failed".into(), Value::Bool(true));
            r.insert("msg".into(), "non-zero return code".into());
        }
        Ok(r)
    }
}
