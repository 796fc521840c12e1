//! `assert`: conditions that must hold; runs on the controller only.

use async_trait::async_trait;
use drover_template::Condition;

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Assert;

#[async_trait]
impl Module for Assert {
    fn name(&self) -> &'static str {
        "assert"
    }
    fn controller_only(&self) -> bool {
        true
    }
    fn unrendered_args(&self) -> &'static [&'static str] {
        &["that"]
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported(
            "assert",
            &["that", "fail_msg", "msg", "success_msg", "quiet"],
        )?;
        let Some(that) = ctx.args.get("that") else {
            return Err(ModuleError::Failed(
                "conditional required in \"that\" string".into(),
            ));
        };
        let quiet = ctx.args.bool("quiet", false)?;
        for cond in ctx.target.conditions(that).map_err(ModuleError::Failed)? {
            let (shown, holds) = match cond {
                Condition::Expr(c) => {
                    let holds = ctx.target.condition(&c).map_err(ModuleError::Failed)?;
                    (c, holds)
                }
                Condition::Value { shown, holds } => (shown, holds),
                Condition::Untrusted(_) => {
                    return Err(ModuleError::Failed(format!(
                        "Task failed: {}",
                        drover_template::untrusted_error()
                    )))
                }
            };
            if !holds {
                let mut r = result(false);
                r.insert("_ansible_verbose_always".into(), true.into());
                r.insert("assertion".into(), shown.into());
                r.insert("evaluated_to".into(), false.into());
                r.insert("failed".into(), true.into());
                let msg = ctx
                    .args
                    .get("fail_msg")
                    .or_else(|| ctx.args.get("msg"))
                    .cloned()
                    .unwrap_or_else(|| "Assertion failed".into());
                r.insert("msg".into(), msg);
                return Ok(r);
            }
        }
        let mut r = result(false);
        if !quiet {
            r.insert("_ansible_verbose_always".into(), true.into());
        }
        let msg = ctx
            .args
            .get("success_msg")
            .cloned()
            .unwrap_or_else(|| "All assertions passed".into());
        r.insert("msg".into(), msg);
        Ok(r)
    }
}
