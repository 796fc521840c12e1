//! Executable inventories: `SCRIPT --list` prints JSON groups (and usually
//! `_meta.hostvars`); without `_meta`, `SCRIPT --host NAME` is asked per host.

use std::path::Path;
use std::process::Command;

use indexmap::IndexSet;
use serde_json::{Map, Value};

use crate::error::InventoryError;
use crate::model::Data;

pub enum ScriptFailure {
    /// The file could not be executed at all (no shebang, wrong format): ansible
    /// then tries the other inventory formats.
    NotExecutable,
    Failed(InventoryError),
}

impl From<InventoryError> for ScriptFailure {
    fn from(e: InventoryError) -> Self {
        ScriptFailure::Failed(e)
    }
}

fn script_error(path: &Path, message: impl Into<String>, stderr: &str) -> InventoryError {
    InventoryError::Script {
        path: path.to_path_buf(),
        message: message.into(),
        stderr: stderr.to_string(),
    }
}

/// Runs the script with `args`; returns its stdout and stderr.
fn run(path: &Path, args: &[&str]) -> Result<(String, String), ScriptFailure> {
    let output = Command::new(path)
        .args(args)
        .output()
        .map_err(|_| ScriptFailure::NotExecutable)?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        let code = output
            .status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| c.to_string());
        return Err(script_error(
            path,
            format!("Inventory script returned non-zero exit code {code}."),
            &stderr,
        )
        .into());
    }
    let stdout = String::from_utf8(output.stdout).map_err(|_| {
        script_error(
            path,
            "Inventory script result contained characters that cannot be interpreted as UTF-8.",
            &stderr,
        )
    })?;
    Ok((stdout, stderr))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

pub fn parse(data: &mut Data, path: &Path) -> Result<(), ScriptFailure> {
    let (stdout, stderr) = run(path, &["--list"])?;
    let fail = |message: String| ScriptFailure::Failed(script_error(path, message, &stderr));
    let parsed: Value = serde_json::from_str(&stdout).map_err(|e| {
        fail(format!(
            "Inventory script result could not be parsed as JSON: {e}"
        ))
    })?;
    let Value::Object(top) = parsed else {
        return Err(fail(format!(
            "Value is '{}' instead of 'dict'.",
            type_name(&parsed)
        )));
    };
    let mut meta_hostvars: Option<Map<String, Value>> = None;
    let mut script_hosts: IndexSet<String> = IndexSet::new();
    for (group, gdata) in top {
        if group == "_meta" {
            let hostvars = match &gdata {
                Value::Object(meta) => meta.get("hostvars").cloned().unwrap_or(Value::Null),
                other => {
                    return Err(fail(format!(
                        "Value contains '_meta' which is '{}' instead of 'dict'.",
                        type_name(other)
                    )))
                }
            };
            match hostvars {
                Value::Object(map) => meta_hostvars = Some(map),
                other => {
                    return Err(fail(format!(
                        "Value contains '_meta.hostvars' which is '{}' instead of 'dict'.",
                        type_name(&other)
                    )))
                }
            }
        } else {
            parse_group(data, &group, gdata, &mut script_hosts).map_err(fail)?;
        }
    }
    if meta_hostvars.is_none() {
        data.warn(format!(
            "Inventory scripts should always provide 'meta.hostvars'. Host variables will be collected by running the inventory script with the '--host' option for each host. ({})",
            path.display()
        ));
    }
    for host in script_hosts {
        let vars = match &meta_hostvars {
            Some(meta) => meta
                .get(&host)
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
            None => host_vars(path, &host)?,
        };
        let Value::Object(vars) = vars else {
            return Err(fail(format!(
                "Invalid data from file, expected dictionary and got:\n\n{vars}"
            )));
        };
        if let Some(id) = data.host_id(&host) {
            for (k, v) in vars {
                data.set_host_var(id, &k, v);
            }
        }
    }
    Ok(())
}

fn host_vars(path: &Path, host: &str) -> Result<Value, ScriptFailure> {
    let (stdout, stderr) = run(path, &["--host", host])?;
    if stdout.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str(&stdout).map_err(|e| {
        ScriptFailure::Failed(script_error(
            path,
            format!("Inventory script result for host '{host}' could not be parsed as JSON: {e}"),
            &stderr,
        ))
    })
}

fn parse_group(
    data: &mut Data,
    name: &str,
    gdata: Value,
    hosts_seen: &mut IndexSet<String>,
) -> Result<(), String> {
    let group = data.add_group(name);
    let gdata = match gdata {
        Value::Object(map)
            if ["hosts", "vars", "children"]
                .iter()
                .any(|k| map.contains_key(*k)) =>
        {
            map
        }
        Value::Object(map) => {
            // A group with none of the known keys is taken as a host of that name.
            let mut fixed = Map::new();
            fixed.insert(
                "hosts".into(),
                Value::Array(vec![Value::String(name.into())]),
            );
            fixed.insert("vars".into(), Value::Object(map));
            fixed
        }
        other => {
            let mut fixed = Map::new();
            fixed.insert("hosts".into(), other);
            fixed
        }
    };
    if let Some(hosts) = gdata.get("hosts") {
        let Value::Array(hosts) = hosts else {
            return Err(format!(
                "Value contains '{name}.hosts' which is '{}' instead of 'list'.",
                type_name(hosts)
            ));
        };
        for host in hosts {
            let Value::String(host) = host else {
                return Err(format!(
                    "Invalid host name supplied, expected a string but got {} for {host}",
                    type_name(host)
                ));
            };
            if host.is_empty() {
                return Err("Invalid empty host name provided: ".into());
            }
            hosts_seen.insert(host.clone());
            data.add_host(host, Some(group), None);
        }
    }
    if let Some(vars) = gdata.get("vars") {
        let Value::Object(vars) = vars else {
            return Err(format!(
                "Value contains '{name}.vars' which is '{}' instead of 'dict'.",
                type_name(vars)
            ));
        };
        for (k, v) in vars {
            data.set_group_var(group, k, v.clone())?;
        }
    }
    if let Some(children) = gdata.get("children") {
        let names: Vec<String> = match children {
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Value::Object(map) => map.keys().cloned().collect(),
            Value::String(s) => s.chars().map(String::from).collect(),
            other => return Err(format!("'{}' object is not iterable", type_name(other))),
        };
        for child in names {
            let child = data.add_group(&child);
            data.add_child_group(group, child)?;
        }
    }
    Ok(())
}
