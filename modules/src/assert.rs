//! `assert`: conditions that must hold; runs on the controller only.

use async_trait::async_trait;
use serde_json::Value;

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
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported(
            "assert",
            &["that", "fail_msg", "msg", "success_msg", "quiet"],
        )?;
        let that: Vec<String> = match ctx.args.get("that") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| python_bool(v))
                })
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(other) => vec![python_bool(other)],
            None => {
                return Err(ModuleError::Failed(
                    "conditional required in \"that\" string".into(),
                ))
            }
        };
        let quiet = ctx.args.bool("quiet", false)?;
        for cond in &that {
            if !ctx.target.condition(cond).map_err(ModuleError::Failed)? {
                let mut r = result(false);
                r.insert("_ansible_verbose_always".into(), true.into());
                r.insert("assertion".into(), cond.clone().into());
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

/// A YAML boolean condition as Jinja reads it.
fn python_bool(v: &Value) -> String {
    match v {
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}
