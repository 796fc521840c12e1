//! The `constructed` inventory plugin: a YAML file (`plugin: constructed`) that adds
//! variables (`compose`) and groups (`groups`, `keyed_groups`) to the hosts that the
//! sources before it declared, from Jinja expressions over each host's inventory
//! variables, as ansible-core's `ansible.builtin.constructed` does.
//!
//! As in ansible, the expressions see a host's inline inventory variables (its groups'
//! by precedence, then its own) and `inventory_hostname`, `inventory_hostname_short`
//! and `group_names`, but not `group_vars/`/`host_vars/` files; groups are not yet
//! linked under `all` at this point, so `all`'s variables reach only hosts in groups
//! that were explicitly made children of `all`. With `strict: false` (the default) an
//! expression that fails is skipped.
//!
//! With `use_extra_vars: true` the run's extra vars (`-e`) lie over a host's variables
//! in `compose` and `keyed_groups` expressions (and in a keyed group's `parent_group`
//! template), but not in `groups` conditionals: ansible's `groups` sets the host's
//! variables alone.

use std::collections::HashSet;
use std::path::Path;

use drover_template::{py_repr, Templar};
use drover_yaml::{Document, Node, NodeValue};
use serde_json::{Map, Value};

use crate::error::InventoryError;
use crate::model::{safe_group_name, Data, ALL};

/// Whether a YAML document configures the `constructed` plugin.
pub fn is_constructed(name: &str) -> bool {
    matches!(name, "constructed" | "ansible.builtin.constructed")
}

struct KeyedGroup {
    key: Option<String>,
    prefix: String,
    separator: String,
    parent_group: Option<String>,
    default_value: Option<String>,
    trailing_separator: bool,
}

struct Config {
    strict: bool,
    compose: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    keyed_groups: Vec<KeyedGroup>,
    leading_separator: bool,
    use_extra_vars: bool,
    /// The extra vars `compose` and `keyed_groups` see (none without `use_extra_vars`).
    extra_vars: Map<String, Value>,
}

pub fn parse(
    data: &mut Data,
    path: &Path,
    doc: &Document,
    extra_vars: &Map<String, Value>,
) -> Result<(), InventoryError> {
    let mut config = read_config(path, doc)?;
    if config.use_extra_vars {
        config.extra_vars = extra_vars.clone();
    }
    let templar = Templar::new();
    data.compute_depths();
    let hosts: Vec<usize> = (0..data.hosts.len())
        .filter(|&h| !data.hosts[h].implicit)
        .collect();
    for h in hosts {
        construct_host(data, path, &config, &templar, h)?;
    }
    Ok(())
}

fn construct_host(
    data: &mut Data,
    path: &Path,
    config: &Config,
    templar: &Templar,
    h: usize,
) -> Result<(), InventoryError> {
    let host = data.hosts[h].name.clone();
    let fail = |message: String| -> Result<(), InventoryError> {
        if config.strict {
            Err(InventoryError::invalid(path, message))
        } else {
            Ok(())
        }
    };
    let (vars, trusted) = host_vars(data, h, &config.extra_vars);
    for (name, expr) in &config.compose {
        match templar.expression(expr, &vars) {
            Ok(value) => {
                let display = mark_untrusted(&value, &trusted);
                data.set_host_var(h, name, value);
                if display_differs(&display) {
                    data.untrusted.insert((h, name.clone()), display);
                }
            }
            Err(e) => fail(format!("Could not set {name} for host {host}: {e}"))?,
        }
    }
    let (vars, _) = host_vars(data, h, &Map::new());
    for (name, expr) in &config.groups {
        let group = safe_group_name(name);
        match templar.expression(expr, &vars) {
            Ok(Value::Bool(true)) => {
                let g = data.add_group(&group);
                data.add_host_to_group(g, h);
            }
            Ok(Value::Bool(false)) => {}
            Ok(other) => fail(format!(
                "Could not add host {host} to group {group}: Conditional result ({other}) was \
                 not a boolean. Conditionals must have a boolean result."
            ))?,
            Err(e) => fail(format!(
                "Could not add host {host} to group {group}: Error while evaluating conditional: {e}"
            ))?,
        }
    }
    let (vars, _) = host_vars(data, h, &config.extra_vars);
    for keyed in &config.keyed_groups {
        let Some(expr) = &keyed.key else {
            fail(format!(
                "No key or key resulted empty for None in host {host}, invalid entry"
            ))?;
            continue;
        };
        let key = match templar.expression(expr, &vars) {
            Ok(key) => key,
            Err(e) => {
                fail(format!(
                    "Could not generate group for host {host} from {expr} entry: {e}"
                ))?;
                continue;
            }
        };
        let names = keyed_names(path, keyed, &key)?;
        if names.is_empty() {
            if config.strict
                && !matches!(&key, Value::Array(a) if a.is_empty())
                && !matches!(&key, Value::Object(o) if o.is_empty())
            {
                return Err(InventoryError::invalid(
                    path,
                    format!(
                        "No key or key resulted empty for {expr} in host {host}, invalid entry"
                    ),
                ));
            }
            continue;
        }
        // The parent group's name is a template over the same variables as the key.
        let parent = match &keyed.parent_group {
            None => None,
            Some(raw) => match templar.render(raw, &vars) {
                Ok(Value::String(s)) if s == Templar::OMIT => None,
                // ansible adds no parent when the name is falsy.
                Ok(name) if !python_truthy(&name) => None,
                Ok(name) => Some(text(&name)),
                Err(e) => {
                    fail(format!(
                        "Could not generate parent group {} for group {}: {e}",
                        py_repr(&Value::from(raw.clone())),
                        py_repr(&key)
                    ))?;
                    continue;
                }
            },
        };
        let separator = if keyed.prefix.is_empty() && !config.leading_separator {
            ""
        } else {
            keyed.separator.as_str()
        };
        for bare in names {
            let group = safe_group_name(&format!("{}{separator}{bare}", keyed.prefix));
            let g = data.add_group(&group);
            data.add_host_to_group(g, h);
            if let Some(parent) = &parent {
                let p = data.add_group(&safe_group_name(parent));
                data.add_child_group(p, g)
                    .map_err(|e| InventoryError::invalid(path, e))?;
            }
        }
    }
    Ok(())
}

fn python_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
    }
}

/// The bare group names a keyed group's key value gives (before prefix and separator).
fn keyed_names(
    path: &Path,
    keyed: &KeyedGroup,
    key: &Value,
) -> Result<Vec<String>, InventoryError> {
    // ansible's "should default" values: None and the empty string.
    let blank = |v: &Value| v.is_null() || v.as_str() == Some("");
    if let (true, Some(default)) = (blank(key), &keyed.default_value) {
        return Ok(vec![default.clone()]);
    }
    if !python_truthy(key) {
        return Ok(Vec::new());
    }
    Ok(match key {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| match (&keyed.default_value, blank(v)) {
                (Some(default), true) => default.clone(),
                _ => text(v),
            })
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match (&keyed.default_value, blank(v)) {
                (Some(default), true) => format!("{k}{}{default}", keyed.separator),
                (None, true) if !keyed.trailing_separator => k.clone(),
                _ => format!("{k}{}{}", keyed.separator, text(v)),
            })
            .collect(),
        other => {
            return Err(InventoryError::invalid(
                path,
                format!(
                    "Invalid group name format, expected a string or a list of them or \
                     dictionary, got: <class '{}'>",
                    python_type(other)
                ),
            ))
        }
    })
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        _ => "NoneType",
    }
}

/// The variables constructed's expressions see for a host (with `extra` over them),
/// and every string in the inventory's own values and the extra vars (strings a
/// template passes through unchanged stay trusted).
fn host_vars(
    data: &Data,
    h: usize,
    extra: &Map<String, Value>,
) -> (Map<String, Value>, HashSet<String>) {
    let host = &data.hosts[h];
    let mut groups: Vec<usize> = data.host_group_closure(h).into_iter().collect();
    groups.sort_by(|a, b| data.precedence_key(*a).cmp(&data.precedence_key(*b)));
    let mut vars = Map::new();
    for g in &groups {
        for (k, v) in &data.groups[*g].vars {
            vars.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in &host.vars {
        vars.insert(k.clone(), v.clone());
    }
    let mut trusted = HashSet::new();
    for v in vars.values().chain(extra.values()) {
        collect_strings(v, &mut trusted);
    }
    let mut names: Vec<String> = groups
        .iter()
        .filter(|g| **g != ALL)
        .map(|g| data.groups[*g].name.clone())
        .collect();
    names.sort();
    vars.insert("inventory_hostname".into(), Value::from(host.name.clone()));
    vars.insert(
        "inventory_hostname_short".into(),
        Value::from(crate::Inventory::inventory_hostname_short(&host.name)),
    );
    vars.insert("group_names".into(), Value::from(names));
    for (k, v) in extra {
        vars.insert(k.clone(), v.clone());
    }
    (vars, trusted)
}

fn collect_strings(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// ansible-inventory prints a string that a template made (rather than passed through
/// from the inventory) as `{"__ansible_unsafe": "..."}`: 2.19 does not trust it.
fn mark_untrusted(v: &Value, trusted: &HashSet<String>) -> Value {
    match v {
        Value::String(s) if !trusted.contains(s) => {
            let mut m = Map::new();
            m.insert("__ansible_unsafe".into(), v.clone());
            Value::Object(m)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| mark_untrusted(i, trusted)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, i)| (k.clone(), mark_untrusted(i, trusted)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn display_differs(display: &Value) -> bool {
    match display {
        Value::Object(map) => {
            map.contains_key("__ansible_unsafe") || map.values().any(display_differs)
        }
        Value::Array(items) => items.iter().any(display_differs),
        _ => false,
    }
}

fn read_config(path: &Path, doc: &Document) -> Result<Config, InventoryError> {
    let root = &doc.root;
    let bad = |node: &Node, what: &str| InventoryError::Yaml(doc.error_at(node, what.to_string()));
    let mut config = Config {
        strict: false,
        compose: Vec::new(),
        groups: Vec::new(),
        keyed_groups: Vec::new(),
        leading_separator: true,
        use_extra_vars: false,
        extra_vars: Map::new(),
    };
    let Some(entries) = root.as_map() else {
        return Err(InventoryError::invalid(path, "expected a mapping"));
    };
    for (k, v) in entries {
        match k.as_str().unwrap_or_default() {
            "strict" => {
                config.strict = boolean(v).ok_or_else(|| bad(v, "strict must be a boolean"))?
            }
            "leading_separator" => {
                config.leading_separator =
                    boolean(v).ok_or_else(|| bad(v, "leading_separator must be a boolean"))?
            }
            "compose" => {
                config.compose = string_map(v)
                    .ok_or_else(|| bad(v, "compose must be a mapping of names to expressions"))?
            }
            "groups" => {
                config.groups = string_map(v).ok_or_else(|| {
                    bad(v, "groups must be a mapping of group names to conditionals")
                })?
            }
            "keyed_groups" => {
                let NodeValue::Seq(items) = &v.value else {
                    return Err(bad(v, "keyed_groups must be a list"));
                };
                for item in items {
                    config
                        .keyed_groups
                        .push(keyed_group(path, item).ok_or_else(|| {
                            bad(item, "Invalid keyed group entry, it must be a dictionary")
                        })??);
                }
            }
            "use_extra_vars" => {
                config.use_extra_vars =
                    boolean(v).ok_or_else(|| bad(v, "use_extra_vars must be a boolean"))?
            }
            "use_vars_plugins" if boolean(v) == Some(true) => {
                return Err(bad(
                    v,
                    "drover's constructed plugin does not support this option",
                ))
            }
            // ansible ignores options it does not know; `plugin` was checked by the caller.
            _ => {}
        }
    }
    Ok(config)
}

fn keyed_group(path: &Path, item: &Node) -> Option<Result<KeyedGroup, InventoryError>> {
    item.as_map()?;
    let field = |name: &str| item.get(name).and_then(scalar_text);
    let default_value = field("default_value");
    let trailing = item.get("trailing_separator").and_then(boolean);
    if default_value.is_some() && trailing.is_some() {
        return Some(Err(InventoryError::invalid(
            path,
            "parameters are mutually exclusive for keyed groups: default_value|trailing_separator",
        )));
    }
    Some(Ok(KeyedGroup {
        key: field("key"),
        prefix: field("prefix").unwrap_or_default(),
        separator: field("separator").unwrap_or_else(|| "_".into()),
        parent_group: field("parent_group"),
        default_value,
        trailing_separator: trailing.unwrap_or(true),
    }))
}

fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        NodeValue::Str(s) => Some(s.clone()),
        NodeValue::Int(i) => Some(i.to_string()),
        NodeValue::Float(f) => Some(f.to_string()),
        NodeValue::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        _ => None,
    }
}

fn boolean(node: &Node) -> Option<bool> {
    match &node.value {
        NodeValue::Bool(b) => Some(*b),
        NodeValue::Str(s) => match s.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" | "1" | "y" => Some(true),
            "no" | "false" | "off" | "0" | "n" => Some(false),
            _ => None,
        },
        NodeValue::Int(i) => Some(*i != 0),
        _ => None,
    }
}

fn string_map(node: &Node) -> Option<Vec<(String, String)>> {
    if matches!(node.value, NodeValue::Null) {
        return Some(Vec::new());
    }
    node.as_map()?
        .iter()
        .map(|(k, v)| Some((scalar_text(k)?, scalar_text(v)?)))
        .collect()
}
