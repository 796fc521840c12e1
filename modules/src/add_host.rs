//! `add_host`: adds a host (and its groups and variables) to the in-memory inventory for
//! the plays that follow. Runs once per task, not per host, as in Ansible; the engine
//! applies the `add_host` result to the inventory.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct AddHost;

fn names(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

#[async_trait]
impl Module for AddHost {
    fn name(&self) -> &'static str {
        "add_host"
    }
    fn controller_only(&self) -> bool {
        true
    }
    fn runs_once(&self) -> bool {
        true
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let args = &ctx.args.0;
        let name = ["name", "host", "hostname"]
            .iter()
            .find_map(|k| args.get(*k))
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| Some(v.to_string()))
            })
            .ok_or_else(|| {
                ModuleError::Failed("name or hostname arg needs to be provided".into())
            })?;
        let groups = names(
            ["groups", "group", "groupname"]
                .iter()
                .find_map(|k| args.get(*k)),
        );
        let mut host_vars = Map::new();
        for (k, v) in args {
            if !matches!(
                k.as_str(),
                "name" | "host" | "hostname" | "groups" | "group" | "groupname"
            ) {
                host_vars.insert(k.clone(), v.clone());
            }
        }
        // `host:port` sets ansible_port, as in Ansible.
        let (name, port) = match name.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') && p.parse::<u16>().is_ok() => {
                (h.to_string(), p.parse::<u16>().ok())
            }
            _ => (name, None),
        };
        if let Some(p) = port {
            host_vars.insert("ansible_port".into(), p.into());
        }
        let mut add = Map::new();
        add.insert("host_name".into(), name.into());
        add.insert(
            "groups".into(),
            Value::Array(groups.into_iter().map(Value::String).collect()),
        );
        add.insert("host_vars".into(), Value::Object(host_vars));
        let mut r = result(true);
        r.insert("add_host".into(), Value::Object(add));
        Ok(r)
    }
}

pub struct GroupBy;

#[async_trait]
impl Module for GroupBy {
    fn name(&self) -> &'static str {
        "group_by"
    }
    fn controller_only(&self) -> bool {
        true
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported("group_by", &["key", "parents"])?;
        let key = ctx.args.str("key")?.ok_or_else(|| {
            ModuleError::Failed("the 'key' param is required when using group_by".into())
        })?;
        // As ansible's group_by: spaces become dashes; other characters stay (the
        // inventory warns about those that are not valid in group names).
        let key = key.replace(' ', "-");
        let parents: Vec<String> = names(ctx.args.get("parents"))
            .iter()
            .map(|p| p.replace(' ', "-"))
            .collect();
        let parents = if parents.is_empty() {
            vec!["all".to_string()]
        } else {
            parents
        };
        let mut r = result(true);
        r.insert("add_group".into(), key.into());
        r.insert(
            "parent_groups".into(),
            Value::Array(parents.into_iter().map(Value::String).collect()),
        );
        Ok(r)
    }
}
