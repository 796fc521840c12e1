//! ansible-inventory's `--list`, `--host` and `--graph` views.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::error::InventoryError;
use crate::model::ALL;
use crate::Inventory;

/// Object keys sorted recursively, as `json.dumps(sort_keys=True)` orders them.
pub fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

pub fn list_json(inv: &Inventory) -> Value {
    let data = inv.data();
    let mut results = Map::new();
    let mut seen = HashSet::new();
    format_group(inv, ALL, &mut seen, &mut results);
    let mut hostvars = Map::new();
    for h in data.group_hosts(ALL) {
        let name = &data.hosts[h].name;
        let vars = inv.shown_host_vars(name);
        if !vars.is_empty() {
            hostvars.insert(name.clone(), Value::Object(vars.into_iter().collect()));
        }
    }
    let mut meta = Map::new();
    meta.insert("hostvars".into(), Value::Object(hostvars));
    meta.insert("profile".into(), Value::from("inventory_legacy"));
    results.insert("_meta".into(), Value::Object(meta));
    sorted(Value::Object(results))
}

fn format_group(
    inv: &Inventory,
    g: usize,
    seen: &mut HashSet<usize>,
    results: &mut Map<String, Value>,
) {
    let data = inv.data();
    let group = &data.groups[g];
    let mut entry = Map::new();
    if g != ALL {
        let hosts: Vec<Value> = group
            .hosts
            .iter()
            .filter(|h| !data.hosts[**h].implicit)
            .map(|h| Value::from(data.hosts[*h].name.as_str()))
            .collect();
        if !hosts.is_empty() {
            entry.insert("hosts".into(), Value::Array(hosts));
        }
    }
    let mut children = Vec::new();
    for &child in &group.children {
        children.push(Value::from(data.groups[child].name.as_str()));
        if !seen.contains(&child) {
            format_group(inv, child, seen, results);
            seen.insert(child);
        }
    }
    if !children.is_empty() {
        entry.insert("children".into(), Value::Array(children));
    }
    if !entry.is_empty() {
        results.insert(group.name.clone(), Value::Object(entry));
    }
}

pub fn host_json(inv: &Inventory, pattern: &str) -> Option<Value> {
    let selection = inv.select(pattern).ok()?;
    let [host] = selection.hosts.as_slice() else {
        return None;
    };
    Some(sorted(Value::Object(
        inv.host_vars(host).into_iter().collect(),
    )))
}

pub fn graph(inv: &Inventory, start: &str) -> Result<String, InventoryError> {
    let data = inv.data();
    let Some(g) = data.group_id(start) else {
        return Err(InventoryError::Lookup(
            "Pattern must be valid group name when using --graph".into(),
        ));
    };
    let mut lines = Vec::new();
    graph_group(inv, g, 0, &mut lines);
    Ok(lines.join("\n"))
}

fn graph_line(name: &str, depth: usize) -> String {
    if depth == 0 {
        name.to_string()
    } else {
        format!("{}--{name}", "  |".repeat(depth))
    }
}

fn graph_group(inv: &Inventory, g: usize, depth: usize, lines: &mut Vec<String>) {
    let data = inv.data();
    let group = &data.groups[g];
    lines.push(graph_line(&format!("@{}:", group.name), depth));
    for &child in &group.children {
        graph_group(inv, child, depth + 1, lines);
    }
    if g != ALL {
        for &h in &group.hosts {
            lines.push(graph_line(&data.hosts[h].name, depth + 1));
        }
    }
}
