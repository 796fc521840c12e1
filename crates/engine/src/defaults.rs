//! `module_defaults`: arguments a module gets when the task does not give them. The
//! keyword is a mapping (module name -> arguments) or a list of them; play, block and
//! task levels accumulate, the innermost winning for the same argument.

use drover_playbook::canonical_action;
use serde_json::{Map, Value};

/// The entries of one `module_defaults` value, in order.
fn entries(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(items)) => items.iter().filter(|i| i.is_object()).cloned().collect(),
        Some(m @ Value::Object(_)) => vec![m.clone()],
        _ => Vec::new(),
    }
}

/// An outer level's defaults followed by an inner level's (later entries win).
pub fn merge(outer: Option<&Value>, inner: Option<&Value>) -> Value {
    let mut all = entries(outer);
    all.extend(entries(inner));
    Value::Array(all)
}

/// The default arguments for `action`: every entry naming it (by short or full name),
/// later ones over earlier ones. `group/...` action groups name no module drover knows.
pub fn for_action(defaults: Option<&Value>, action: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for entry in entries(defaults) {
        let Value::Object(modules) = entry else {
            continue;
        };
        for (name, args) in modules {
            if canonical_action(&name) != action {
                continue;
            }
            if let Value::Object(args) = args {
                for (k, v) in args {
                    out.insert(k, v);
                }
            }
        }
    }
    out
}

/// Fill a fact gathering's arguments from `module_defaults`: those of `gather_facts`
/// first, then those of the fact module it runs (`setup`), each only for the arguments
/// still missing (ansible-core's gather_facts action applies the module's defaults to
/// the arguments it passes on).
pub fn fill_fact_args(defaults: Option<&Value>, args: &mut Map<String, Value>) {
    for action in ["gather_facts", "setup"] {
        for (k, v) in for_action(defaults, action) {
            args.entry(k).or_insert(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inner_levels_win_and_names_are_canonical() {
        let play = json!({"ansible.builtin.file": {"mode": "0600", "state": "touch"}});
        let task = json!([{"file": {"mode": "0644"}}, {"debug": {"msg": "x"}}]);
        let merged = merge(Some(&play), Some(&task));
        let d = for_action(Some(&merged), "file");
        assert_eq!(d.get("mode"), Some(&json!("0644")));
        assert_eq!(d.get("state"), Some(&json!("touch")));
        assert!(for_action(Some(&merged), "copy").is_empty());
        assert_eq!(
            for_action(Some(&merged), "debug").get("msg"),
            Some(&json!("x"))
        );
    }
}
