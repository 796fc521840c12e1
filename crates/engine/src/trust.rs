//! Ansible 2.19's trust rule where it shows: `debug: var` is an expression, and an
//! expression must come from a trusted source (the playbook's own text). An `!unsafe`
//! value, or a string a template produced, is not one.

use drover_template::Vars;

/// Whether the raw (unrendered) `var` of a debug task is not a trusted expression.
pub fn untrusted_expression(raw: &str) -> bool {
    if drover_yaml::is_unsafe_text(raw) {
        return true;
    }
    let text = raw.trim();
    if !text.contains("{{") && !text.contains("{%") {
        return false;
    }
    // `{{ name }}` passes a variable's value through, as trusted as the variable; any
    // other template makes a new string, which is untrusted.
    match text.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        Some(inner) if !inner.contains("{{") && !inner.contains("}}") => {
            !is_variable_path(inner.trim())
        }
        _ => true,
    }
}

/// A value that is the outcome of templating or of a module (a registered result, a
/// fact, a `set_fact`), kept from being templated again when it is read: its strings
/// that look like templates render to themselves, as ansible-core 2.19 treats them.
pub fn untrusted(value: serde_json::Value) -> serde_json::Value {
    mark_unsafe(value, &|s| {
        s.contains("{{") || s.contains("{%") || s.contains("{#")
    })
}

/// A value from an untrusted source kept where every variable is trusted (an
/// include's loop item among the included tasks' vars): each string marked as an
/// `!unsafe` one, which reads as its text and is never evaluated.
pub fn untrusted_strings(value: serde_json::Value) -> serde_json::Value {
    mark_unsafe(value, &|_| true)
}

/// `value` with the strings `which` picks marked `!unsafe` (once).
fn mark_unsafe(value: serde_json::Value, which: &dyn Fn(&str) -> bool) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) if which(&s) && !drover_yaml::is_unsafe_text(&s) => {
            Value::String(drover_yaml::unsafe_text(&s))
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| mark_unsafe(i, which)).collect())
        }
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, mark_unsafe(v, which)))
                .collect(),
        ),
        other => other,
    }
}

/// Whether a loop's items come from a trusted source: a list written in the playbook
/// whose templates each pass one variable through (`"{{ packages }}"`,
/// `["{{ app.port }}", 80]`), from a trusted source itself. A lookup's or a filter's
/// output, or a registered result, is not (ansible-core 2.19 tracks each value's
/// origin; drover decides per loop, erring on the side of untrusted).
pub fn loop_trusted(spec: &serde_json::Value, kind: Option<&str>, scope: &impl Vars) -> bool {
    use serde_json::Value;
    if !matches!(kind, None | Some("items") | Some("list")) {
        return false;
    }
    match spec {
        Value::String(text) if drover_template::Templar::is_template(text) => {
            match text
                .trim()
                .strip_prefix("{{")
                .and_then(|r| r.strip_suffix("}}"))
            {
                Some(inner) if is_variable_path(inner.trim()) => {
                    let root = inner.trim().split(['.', '[']).next().unwrap_or_default();
                    scope.get(root).is_some() && scope.trusted(root)
                }
                _ => false,
            }
        }
        Value::Array(items) => items.iter().all(|i| loop_trusted(i, kind, scope)),
        Value::Object(m) => m.iter().all(|(k, v)| {
            !drover_template::Templar::is_template(k) && loop_trusted(v, kind, scope)
        }),
        _ => true,
    }
}

/// `a`, `a.b`, `a[0]`, `a['b']`-free paths: names, dots and numeric subscripts.
fn is_variable_path(expr: &str) -> bool {
    let mut chars = expr.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::untrusted_expression;

    #[test]
    fn rendered_values_render_to_themselves() {
        use serde_json::json;
        let v = super::untrusted(json!({"a": ["{{ x }}", 1], "b": "plain"}));
        assert_eq!(v["a"][0], json!(drover_yaml::unsafe_text("{{ x }}")));
        assert_eq!(v["b"], json!("plain"));
        assert_eq!(super::untrusted(v.clone()), v, "marked once");
    }

    #[test]
    fn literals_and_built_strings_are_untrusted() {
        assert!(!untrusted_expression("debug_me"));
        assert!(!untrusted_expression("{{ item }}"));
        assert!(!untrusted_expression("{{ results[0].stdout }}"));
        assert!(untrusted_expression("{{ \"debug_me\" }}"));
        assert!(untrusted_expression("{{ 'k' ~ '1' }}"));
        assert!(untrusted_expression(&drover_yaml::unsafe_text("debug_me")));
    }
}
