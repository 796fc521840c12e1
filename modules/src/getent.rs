//! `getent`: a name-service database (or one key of it) as `getent_<database>` facts.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::sys::{self, failed};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Getent;

/// Databases whose records are colon-separated; the others split on whitespace.
const COLON: &[&str] = &["passwd", "shadow", "group", "gshadow"];

/// Records keyed by their first field; a repeated key holds a list of records.
fn records(out: &str, split: Option<&str>) -> Map<String, Value> {
    let mut map = Map::new();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for line in out.lines() {
        let fields: Vec<Value> = match split {
            Some(sep) => line.split(sep).map(|f| f.into()).collect(),
            None => line.split_whitespace().map(|f| f.into()).collect(),
        };
        let Some((Value::String(key), rest)) = fields.split_first() else {
            continue;
        };
        let rest = Value::Array(rest.to_vec());
        let n = seen.entry(key.clone()).or_insert(0);
        *n += 1;
        match (*n, map.get_mut(key)) {
            (1, _) | (_, None) => {
                map.insert(key.clone(), rest);
            }
            (2, Some(first)) => {
                let prev = first.take();
                *first = Value::Array(vec![prev, rest]);
            }
            (_, Some(Value::Array(list))) => list.push(rest),
            (_, Some(_)) => {}
        }
    }
    map
}

#[async_trait]
impl Module for Getent {
    fn name(&self) -> &'static str {
        "getent"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let args = &ctx.args;
        args.check_supported(
            "getent",
            &["database", "fail_key", "key", "service", "split"],
        )?;
        let database = args.required_str("database")?;
        let key = args.str("key")?;
        let fail_key = args.bool("fail_key", true)?;
        let split = args
            .str("split")?
            .or_else(|| COLON.contains(&database.as_str()).then(|| ":".to_string()));
        let mut cmd = vec!["getent".to_string(), database.clone()];
        if let Some(k) = &key {
            cmd.push(k.clone());
        }
        if let Some(s) = args.str("service")? {
            cmd.extend(["-s".into(), s]);
        }
        let out = sys::sh(ctx, &sys::line(&cmd)).await?;
        let tree = format!("getent_{database}");
        let facts = |db: Map<String, Value>| {
            let mut f = Map::new();
            f.insert(tree.clone(), Value::Object(db));
            Value::Object(f)
        };
        let msg = match out.rc {
            0 => {
                let mut r = result(false);
                r.insert(
                    "ansible_facts".into(),
                    facts(records(&out.stdout, split.as_deref())),
                );
                return Ok(r);
            }
            1 => "Missing arguments, or database unknown.",
            2 => {
                let msg = "One or more supplied key could not be found in the database.";
                if !fail_key {
                    let mut db = Map::new();
                    db.insert(key.unwrap_or_default(), Value::Null);
                    let mut r = result(false);
                    r.insert("ansible_facts".into(), facts(db));
                    r.insert("msg".into(), msg.into());
                    return Ok(r);
                }
                msg
            }
            3 => "Enumeration not supported on this database.",
            _ => "Unexpected failure!",
        };
        Ok(failed(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_keys_become_lists_of_records() {
        let m = records("a:1:x\nb:2\na:3\na:4\n", Some(":"));
        assert_eq!(
            Value::Object(m),
            json!({"a": [["1", "x"], ["3"], ["4"]], "b": ["2"]})
        );
        let m = records("127.0.0.1   localhost  lh\n", None);
        assert_eq!(Value::Object(m), json!({"127.0.0.1": ["localhost", "lh"]}));
    }
}
