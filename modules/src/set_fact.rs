//! `set_fact`: sets host variables; runs on the controller only.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct SetFact;

/// Result hint: these `ansible_facts` are host variables, not gathered facts.
pub const FACTS_ARE_VARS: &str = "_ansible_facts_are_vars";

pub(crate) fn valid_var_name(name: &str) -> bool {
    /// Python's keywords and Jinja's constants, which ansible-core refuses as names.
    const RESERVED: &[&str] = &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield", "true", "false", "none",
    ];
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name)
}

#[async_trait]
impl Module for SetFact {
    fn name(&self) -> &'static str {
        "set_fact"
    }
    fn controller_only(&self) -> bool {
        true
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let cacheable = ctx.args.bool("cacheable", false)?;
        let mut facts = Map::new();
        for (k, v) in &ctx.args.0 {
            if k == "cacheable" {
                continue;
            }
            if !valid_var_name(k) {
                return Err(ModuleError::Failed(format!(
                    "Task failed: Invalid variable name '{k}'."
                )));
            }
            facts.insert(k.clone(), v.clone());
        }
        if facts.is_empty() {
            return Err(ModuleError::Failed(
                "No key/value pairs provided, at least one is required for this action to succeed"
                    .into(),
            ));
        }
        let mut r = result(false);
        r.insert("ansible_facts".into(), Value::Object(facts));
        r.insert(FACTS_ARE_VARS.into(), Value::Bool(true));
        if cacheable {
            r.insert("_ansible_facts_cacheable".into(), Value::Bool(true));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn var_names_follow_python_identifiers() {
        assert!(super::valid_var_name("_a1"));
        assert!(!super::valid_var_name("1a"));
        assert!(!super::valid_var_name("a-b"));
        assert!(!super::valid_var_name(""));
        assert!(!super::valid_var_name("true"));
        assert!(!super::valid_var_name("if"));
    }
}
