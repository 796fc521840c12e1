//! `drover play --list-hosts`: the hosts of every play, in ansible-playbook's layout.
//! ansible prints the hosts from a Python set (an order that changes between runs);
//! drover prints them in pattern order.

use std::collections::HashMap;
use std::sync::Arc;

use drover_inventory::Inventory;
use drover_playbook::{Play, Playbook};
use drover_template::{py_repr, py_str, Templar};
use drover_yaml::{NodeValue, SourceFile};
use serde_json::{Map, Value};

use crate::inventory_cmd::warn;
use crate::Failure;

fn repr_list(items: &[String]) -> String {
    py_repr(&Value::Array(
        items.iter().map(|s| Value::from(s.as_str())).collect(),
    ))
}

/// The `hosts:` items as written: the playbook model joins a YAML list with ",",
/// but ansible shows `pattern: ['a', 'b']` for a list and `['a,b']` for a string.
/// Reads the play's own node back from its source file.
struct HostsAsWritten {
    docs: HashMap<std::path::PathBuf, Option<drover_yaml::Document>>,
}

impl HostsAsWritten {
    fn items(&mut self, play: &Play) -> Option<Vec<String>> {
        let file: &Arc<SourceFile> = &play.location.file;
        let doc = self
            .docs
            .entry(file.path.clone())
            .or_insert_with(|| drover_yaml::parse(file.clone()).ok())
            .as_ref()?;
        let node = doc
            .root
            .as_seq()?
            .iter()
            .find(|n| n.pos == play.location.pos)?;
        match &node.get("hosts")?.value {
            NodeValue::Seq(items) => Some(
                items
                    .iter()
                    .map(|i| i.to_json())
                    .map(|v| py_str(&v))
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// Renders `s` against the play's vars and the extra vars, as ansible templates the
/// play's `hosts` and `name` before listing.
fn render(templar: &Templar, s: &str, vars: &Map<String, Value>) -> Result<Value, String> {
    if !Templar::is_template(s) {
        return Ok(Value::String(s.to_string()));
    }
    templar.render(s, vars).map_err(|e| e.to_string())
}

pub fn print(
    playbooks: &[Playbook],
    inventory: &Inventory,
    limit: Option<&str>,
    extra_vars: &Map<String, Value>,
) -> Result<(), Failure> {
    let templar = Templar::new();
    let mut as_written = HostsAsWritten {
        docs: HashMap::new(),
    };
    let mut out = String::new();
    for pb in playbooks {
        out.push_str(&format!("\nplaybook: {}\n", pb.path.display()));
        for (idx, play) in pb.plays.iter().enumerate() {
            let mut vars: Map<String, Value> = play
                .vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            vars.extend(extra_vars.iter().map(|(k, v)| (k.clone(), v.clone())));
            let fail = |e: String| Failure::new(1, format!("{}: {e}", play.location));
            let items: Vec<String> = match render(&templar, &play.hosts, &vars).map_err(fail)? {
                Value::Array(items) => items.iter().map(py_str).collect(),
                Value::String(s) if !Templar::is_template(&play.hosts) => {
                    as_written.items(play).unwrap_or_else(|| vec![s])
                }
                other => vec![py_str(&other)],
            };
            let raw_name = play.name.clone().unwrap_or_else(|| play.hosts.clone());
            let name = py_str(&render(&templar, &raw_name, &vars).map_err(fail)?);
            let mut tags: Vec<&str> = Vec::new();
            for t in &play.tags {
                if !tags.contains(&t.as_str()) {
                    tags.push(t);
                }
            }
            let selection = inventory
                .select_limited(&items.join(","), limit)
                .map_err(|e| Failure::new(1, e))?;
            for part in &selection.unmatched {
                warn(format!(
                    "Could not match supplied host pattern, ignoring: {part}"
                ));
            }
            out.push_str(&format!(
                "\n  play #{} ({}): {}\tTAGS: [{}]\n    pattern: {}\n    hosts ({}):\n",
                idx + 1,
                items.join(","),
                name,
                tags.join(","),
                repr_list(&items),
                selection.hosts.len()
            ));
            for h in &selection.hosts {
                out.push_str(&format!("      {h}\n"));
            }
        }
    }
    print!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_python_lists() {
        let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(repr_list(&items(&["a", "b"])), "['a', 'b']");
        assert_eq!(
            repr_list(&items(&["it's", "a\"b", "x\\y"])),
            "[\"it's\", 'a\"b', 'x\\\\y']"
        );
    }
}
