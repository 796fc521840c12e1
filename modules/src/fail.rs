//! `fail`: fails the task with a message; runs on the controller only.

use async_trait::async_trait;

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Fail;

#[async_trait]
impl Module for Fail {
    fn name(&self) -> &'static str {
        "fail"
    }
    fn controller_only(&self) -> bool {
        true
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported("fail", &["msg"])?;
        let mut r = result(false);
        r.insert("failed".into(), true.into());
        let msg = ctx
            .args
            .get("msg")
            .cloned()
            .unwrap_or_else(|| "Failed as requested from task".into());
        r.insert("msg".into(), msg);
        Ok(r)
    }
}
