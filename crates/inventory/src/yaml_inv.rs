//! YAML inventories (`all: {hosts, vars, children}` to any depth), read the way
//! ansible's `yaml` inventory plugin reads them.

use drover_yaml::{Document, Node, NodeValue};
use serde_json::Value;

use crate::address::{expand_hostname_range, parse_address};
use crate::error::InventoryError;
use crate::model::Data;

/// Why a YAML document is not a YAML inventory, before any of it was used: the
/// caller may then try the file as INI, as ansible does.
pub enum NotInventory {
    Empty,
    NotMapping(&'static str),
    PluginConfig,
}

impl NotInventory {
    pub fn message(&self) -> String {
        match self {
            NotInventory::Empty => "Parsed empty YAML file".into(),
            NotInventory::NotMapping(kind) => {
                format!("YAML inventory has invalid structure, it should be a dictionary, got: {kind}")
            }
            NotInventory::PluginConfig => {
                "Plugin configuration YAML file, not YAML inventory (inventory plugins are not supported)".into()
            }
        }
    }
}

pub fn check(doc: &Document) -> Result<(), NotInventory> {
    let root = &doc.root;
    match &root.value {
        NodeValue::Null => Err(NotInventory::Empty),
        NodeValue::Map(entries) if entries.is_empty() => Err(NotInventory::Empty),
        NodeValue::Map(_) => match root.get("plugin") {
            Some(p) if truthy(p) => Err(NotInventory::PluginConfig),
            _ => Ok(()),
        },
        _ => Err(NotInventory::NotMapping(python_type(root))),
    }
}

fn truthy(node: &Node) -> bool {
    match &node.value {
        NodeValue::Null => false,
        NodeValue::Bool(b) => *b,
        NodeValue::Int(i) => *i != 0,
        NodeValue::Float(f) => *f != 0.0,
        NodeValue::Str(s) => !s.is_empty(),
        NodeValue::Seq(s) => !s.is_empty(),
        NodeValue::Map(m) => !m.is_empty(),
    }
}

/// The Python type name ansible's messages use.
fn python_type(node: &Node) -> &'static str {
    match node.value {
        NodeValue::Null => "NoneType",
        NodeValue::Bool(_) => "bool",
        NodeValue::Int(_) => "int",
        NodeValue::Float(_) => "float",
        NodeValue::Str(_) => "str",
        NodeValue::Seq(_) => "list",
        NodeValue::Map(_) => "dict",
    }
}

/// Loads a document that passed `check`.
pub fn parse(data: &mut Data, doc: &Document) -> Result<(), InventoryError> {
    let entries = doc.root.as_map().unwrap_or(&[]);
    let mut loader = Loader { data, doc };
    for (key, value) in entries {
        let name = loader.group_name(key)?;
        loader.group(&name, value)?;
    }
    Ok(())
}

struct Loader<'a> {
    data: &'a mut Data,
    doc: &'a Document,
}

impl Loader<'_> {
    fn error(&self, node: &Node, message: impl Into<String>) -> InventoryError {
        InventoryError::Yaml(self.doc.error_at(node, message))
    }

    fn group_name(&self, key: &Node) -> Result<String, InventoryError> {
        match &key.value {
            NodeValue::Str(s) if !s.is_empty() => Ok(s.clone()),
            NodeValue::Str(_) | NodeValue::Null => {
                Err(self.error(key, "Invalid empty/false group name provided"))
            }
            _ => Err(self.error(
                key,
                format!(
                    "Invalid group name supplied, expected a string but got {}",
                    python_type(key)
                ),
            )),
        }
    }

    /// Returns whether the group was defined (ansible skips invalid definitions with a warning).
    fn group(&mut self, name: &str, node: &Node) -> Result<bool, InventoryError> {
        let entries: &[(Node, Node)] = match &node.value {
            NodeValue::Null => &[],
            NodeValue::Map(entries) => entries,
            _ => {
                self.data.warn(format!(
                    "Skipping '{name}' as this is not a valid group definition"
                ));
                return Ok(false);
            }
        };
        let group = self.data.add_group(name);
        for section in ["vars", "children", "hosts"] {
            if let Some(value) = node.get(section) {
                if !matches!(
                    value.value,
                    NodeValue::Map(_) | NodeValue::Null | NodeValue::Str(_)
                ) {
                    return Err(self.error(
                        value,
                        format!(
                            "Invalid \"{section}\" entry for \"{name}\" group, requires a dictionary, found \"{}\" instead.",
                            python_type(value)
                        ),
                    ));
                }
            }
        }
        for (key, value) in entries {
            let key_name = key.as_str().unwrap_or_default();
            let is_section = matches!(key_name, "vars" | "children" | "hosts");
            // A bare string stands for a mapping with that one key.
            let single = match (&value.value, is_section) {
                (NodeValue::Str(s), true) => Some(s.as_str()),
                _ => None,
            };
            if single.is_none() && !matches!(value.value, NodeValue::Map(_) | NodeValue::Null) {
                self.data.warn(format!(
                    "Skipping key ({}) in group ({name}) as it is not a mapping, it is a {}",
                    key_text(key),
                    python_type(value)
                ));
                continue;
            }
            if value.is_null() {
                continue;
            }
            match key_name {
                "vars" => {
                    if let Some(var) = single {
                        self.data.set_group_var(group, var, Value::Null).map_err(|m| self.error(value, m))?;
                    }
                    for (k, v) in value.as_map().unwrap_or(&[]) {
                        self.data
                            .set_group_var(group, &key_text(k), v.to_json())
                            .map_err(|m| self.error(v, m))?;
                    }
                }
                "children" => {
                    let null = Node {
                        value: NodeValue::Null,
                        pos: value.pos,
                        tag: None,
                    };
                    let children: Vec<(String, &Node, &Node)> = match single {
                        Some(s) => vec![(s.to_string(), value, &null)],
                        None => {
                            let mut out = Vec::new();
                            for (k, v) in value.as_map().unwrap_or(&[]) {
                                out.push((self.group_name(k)?, k, v));
                            }
                            out
                        }
                    };
                    for (child, key_node, child_node) in children {
                        self.group(&child, child_node)?;
                        self.add_child(group, &child, key_node)?;
                    }
                }
                "hosts" => {
                    let null = Node {
                        value: NodeValue::Null,
                        pos: value.pos,
                        tag: None,
                    };
                    let hosts: Vec<(&Node, &Node)> = match single {
                        Some(_) => vec![(value, &null)],
                        None => value.as_map().unwrap_or(&[]).iter().map(|(k, v)| (k, v)).collect(),
                    };
                    for (pattern, vars) in hosts {
                        self.hosts(group, pattern, vars)?;
                    }
                }
                _ => self.data.warn(format!(
                    "Skipping unexpected key ({}) in group ({name}), only \"vars\", \"children\" and \"hosts\" are valid",
                    key_text(key)
                )),
            }
        }
        Ok(true)
    }

    fn add_child(&mut self, parent: usize, child: &str, at: &Node) -> Result<(), InventoryError> {
        if let Some(child_id) = self.data.group_id(child) {
            self.data
                .add_child_group(parent, child_id)
                .map_err(|m| self.error(at, m))
        } else if let Some(host) = self.data.host_id(child) {
            self.data.add_host_to_group(parent, host);
            Ok(())
        } else {
            Err(self.error(at, format!("{child} is not a known host nor group")))
        }
    }

    fn hosts(&mut self, group: usize, pattern: &Node, vars: &Node) -> Result<(), InventoryError> {
        let Some(text) = pattern.as_str() else {
            return Err(self.error(
                pattern,
                format!(
                    "Host pattern {} must be a string. Enclose integers/floats in quotation marks.",
                    key_text(pattern)
                ),
            ));
        };
        let (name, port) = parse_address(text, true).unwrap_or_else(|| (text.to_string(), None));
        let names = expand_hostname_range(&name).map_err(|m| self.error(pattern, m))?;
        let vars = match vars.to_json() {
            Value::Null => serde_json::Map::new(),
            Value::Object(map) => map,
            other => {
                return Err(self.error(
                    vars,
                    format!("Invalid data from file, expected dictionary and got:\n\n{other}"),
                ))
            }
        };
        for host in names {
            if host.is_empty() {
                return Err(self.error(pattern, "Invalid empty host name provided: "));
            }
            let id = self.data.add_host(&host, Some(group), port);
            for (k, v) in &vars {
                self.data.set_host_var(id, k, v.clone());
            }
        }
        Ok(())
    }
}

fn key_text(node: &Node) -> String {
    match node.to_json() {
        Value::String(s) => s,
        other => other.to_string(),
    }
}
