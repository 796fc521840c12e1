//! `debug`: prints a message or a variable; runs on the controller only.

use async_trait::async_trait;
use serde_json::Value;

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Debug;

#[async_trait]
impl Module for Debug {
    fn name(&self) -> &'static str {
        "debug"
    }
    fn controller_only(&self) -> bool {
        true
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args
            .check_supported("debug", &["msg", "var", "verbosity"])?;
        let mut r = result(false);
        let wanted = match ctx.args.get("verbosity") {
            None => 0,
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| {
                    ModuleError::Failed("argument 'verbosity' is not an integer".into())
                })?,
        };
        if wanted > u64::from(ctx.verbosity) {
            r.insert("skipped".into(), Value::Bool(true));
            r.insert(
                "skipped_reason".into(),
                "Verbosity threshold not met.".into(),
            );
            return Ok(r);
        }
        r.insert("_ansible_verbose_always".into(), Value::Bool(true));
        // `var` names an expression: a string, never converted from anything else.
        if let Some(v) = ctx
            .args
            .get("var")
            .filter(|v| v.is_array() || v.is_object())
        {
            return Err(ModuleError::Failed(format!(
                "argument 'var' is of type {} and we were unable to convert to _check_type_str_no_conversion: '{}' is not a string and conversion is not allowed",
                if v.is_array() { "list" } else { "dict" },
                drover_template::py_repr(v)
            )));
        }
        match (ctx.args.get("msg"), ctx.args.str("var")?) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::Failed(
                    "parameters are mutually exclusive: msg|var".into(),
                ))
            }
            (None, Some(var)) => {
                let value = ctx
                    .target
                    .evaluate(&var)
                    .map_err(ModuleError::Failed)?
                    .unwrap_or_else(|| {
                        // Ansible names the variable at the root of the expression.
                        let root: String = var
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let msg = format!("'{root}' is undefined");
                        r.insert(
                            "warnings".into(),
                            Value::Array(vec![format!(
                                "Encountered 1 template error.\nerror 1 - {msg}"
                            )
                            .into()]),
                        );
                        Value::String(format!("<< error 1 - {msg} >>"))
                    });
                let value = if value.as_str() == Some(drover_template::Templar::OMIT) {
                    r.insert(
                        "warnings".into(),
                        Value::Array(vec!["The result of the `var` expression could not be omitted; a placeholder was used instead.".into()]),
                    );
                    Value::String("<<Omit>>".into())
                } else {
                    value
                };
                r.insert(var, value);
            }
            (msg, None) => {
                let msg = msg
                    .cloned()
                    .unwrap_or_else(|| Value::String("Hello world!".into()));
                r.insert("msg".into(), msg);
            }
        }
        Ok(r)
    }
}
