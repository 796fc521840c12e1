//! Node -> serde_json::Value, the way Ansible's values look once JSON-encoded
//! (`json.dumps` key conversion: `true` -> "true", `null` -> "null", `1.5` -> "1.5").

use serde_json::{Map, Number, Value};

use crate::{Node, NodeValue};

pub(crate) fn to_json(node: &Node) -> Value {
    node_to_json(node, false)
}

/// The opening of a string that came from an `!unsafe` value (see [`unsafe_text`]).
const UNSAFE_OPEN: &str = "{% raw %}";
const UNSAFE_CLOSE: &str = "{% endraw %}";

/// An `!unsafe` string as the templar must see it: text that renders to itself, so it
/// is never templated, however often it is looked up. Text that could not be kept raw
/// (it contains `endraw`) is left as it is.
pub fn unsafe_text(s: &str) -> String {
    if s.contains("endraw") {
        return s.to_owned();
    }
    format!("{UNSAFE_OPEN}{s}{UNSAFE_CLOSE}")
}

/// Whether a string is an `!unsafe` value: an untrusted expression for Ansible 2.19.
pub fn is_unsafe_text(s: &str) -> bool {
    s.starts_with(UNSAFE_OPEN) && s.ends_with(UNSAFE_CLOSE)
}

/// The text of an `!unsafe` value, or `None` for any other string.
pub fn unsafe_inner(s: &str) -> Option<&str> {
    s.strip_prefix(UNSAFE_OPEN)?.strip_suffix(UNSAFE_CLOSE)
}

fn node_to_json(node: &Node, unsafe_: bool) -> Value {
    let unsafe_ = unsafe_ || node.tag.as_deref() == Some("!unsafe");
    match &node.value {
        NodeValue::Str(s) if unsafe_ => Value::String(unsafe_text(s)),
        NodeValue::Seq(items) => {
            Value::Array(items.iter().map(|i| node_to_json(i, unsafe_)).collect())
        }
        NodeValue::Map(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (k, v) in entries {
                map.insert(key_string(&k.value), node_to_json(v, unsafe_));
            }
            Value::Object(map)
        }
        other => value_to_json(other),
    }
}

fn value_to_json(v: &NodeValue) -> Value {
    match v {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(b) => Value::Bool(*b),
        NodeValue::Int(i) => Value::Number((*i).into()),
        // JSON has no NaN or infinities; Python's json writes these spellings.
        NodeValue::Float(f) => Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(float_repr(*f))),
        NodeValue::Str(s) => Value::String(s.clone()),
        NodeValue::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeValue::Map(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (k, v) in entries {
                // Distinct YAML keys can collide once stringified (`1` and "1"); the
                // later one wins, as it would in a JSON object.
                map.insert(key_string(&k.value), to_json(v));
            }
            Value::Object(map)
        }
    }
}

/// A scalar mapping key as `json.dumps` writes it.
pub(crate) fn key_string(v: &NodeValue) -> String {
    match v {
        NodeValue::Null => "null".to_owned(),
        NodeValue::Bool(b) => b.to_string(),
        NodeValue::Int(i) => i.to_string(),
        NodeValue::Float(f) => float_repr(*f),
        NodeValue::Str(s) => s.clone(),
        // Unreachable in practice: the parser refuses collection keys.
        NodeValue::Seq(_) | NodeValue::Map(_) => value_to_json(v).to_string(),
    }
}

/// Python's `repr(float)` (`1.0`, `1e+20`, `1e-05`, `inf` as JSON's `Infinity`).
pub(crate) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Rust writes `1e20` / `1e-5`; Python writes `1e+20` / `1e-05`.
        let s = format!("{f:e}");
        let Some((mantissa, exp)) = s.split_once('e') else {
            return s;
        };
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(1.5), "1.5");
        assert_eq!(float_repr(-0.25), "-0.25");
        assert_eq!(float_repr(1e20), "1e+20");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(1.5e300), "1.5e+300");
        assert_eq!(float_repr(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn keys_like_json_dumps() {
        assert_eq!(key_string(&NodeValue::Bool(true)), "true");
        assert_eq!(key_string(&NodeValue::Null), "null");
        assert_eq!(key_string(&NodeValue::Int(16)), "16");
        assert_eq!(key_string(&NodeValue::Float(1.5)), "1.5");
    }
}
