//! Type conversions and control filters whose Ansible meaning differs from minijinja's:
//! `bool`, `int`, `float`, `string`, `join`, plus `ternary`, `mandatory`, `type_debug`.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};

use super::add;
use crate::convert::{py_type_name, undefined_error};
use crate::pyrepr::py_str;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "bool", bool_filter);
    add(env, "int", int_filter);
    add(env, "float", float_filter);
    add(env, "string", string_filter);
    add(env, "join", join_filter);
    add(env, "ternary", ternary);
    add(env, "mandatory", mandatory);
    add(env, "type_debug", type_debug);
}

/// Ansible's `bool`: only yes/on/1/true (any case) and real booleans are true.
pub(crate) fn to_bool(v: &Value) -> Result<bool, Error> {
    Ok(match v.kind() {
        ValueKind::Undefined => return Err(undefined_error(v)),
        ValueKind::Bool => v.is_true(),
        ValueKind::None => false,
        ValueKind::String => matches!(
            v.as_str()
                .unwrap_or_default()
                .trim()
                .to_lowercase()
                .as_str(),
            "yes" | "on" | "1" | "true"
        ),
        ValueKind::Number => py_str(v) == "1",
        _ => false,
    })
}

fn bool_filter(v: &Value) -> Result<bool, Error> {
    to_bool(v)
}

/// Python's `int(text, base)`: surrounding whitespace, a sign, `_` between digits and a
/// prefix matching the base are allowed; base 0 reads the prefix.
pub(crate) fn parse_py_int(s: &str, base: u32) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (base, body) = match (base, lower.get(..2)) {
        (0 | 16, Some("0x")) => (16, &digits[2..]),
        (0 | 8, Some("0o")) => (8, &digits[2..]),
        (0 | 2, Some("0b")) => (2, &digits[2..]),
        (0, _) => {
            // base 0 forbids leading zeros on non-zero decimals, as Python does
            if digits.len() > 1
                && digits.starts_with('0')
                && digits.trim_start_matches(['0', '_']).is_empty()
            {
                (10, digits)
            } else if digits.len() > 1 && digits.starts_with('0') {
                return None;
            } else {
                (10, digits)
            }
        }
        (b, _) => (b, digits),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let n = i64::from_str_radix(&clean, base).ok()?;
    Some(if neg { -n } else { n })
}

/// Python's `float(text)`.
pub(crate) fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim().to_ascii_lowercase();
    match t.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            return Some(if t.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    let clean: String = t.chars().filter(|c| *c != '_').collect();
    if clean.is_empty()
        || !clean
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.e".contains(&b))
    {
        return None;
    }
    clean.parse().ok()
}

fn int_filter(v: &Value, default: Option<Value>, base: Option<u32>) -> Result<Value, Error> {
    let default = default.unwrap_or(Value::from(0));
    let base = base.unwrap_or(10);
    Ok(match v.kind() {
        ValueKind::Undefined => return Err(undefined_error(v)),
        ValueKind::Bool => Value::from(v.is_true() as i64),
        ValueKind::Number => {
            if v.is_integer() {
                v.clone()
            } else {
                let f = f64::try_from(v.clone()).unwrap_or(0.0);
                if f.is_finite() {
                    Value::from(f.trunc() as i64)
                } else {
                    default
                }
            }
        }
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default();
            match parse_py_int(s, base) {
                Some(n) => Value::from(n),
                None => match parse_py_float(s) {
                    Some(f) if f.is_finite() => Value::from(f.trunc() as i64),
                    _ => default,
                },
            }
        }
        _ => default,
    })
}

fn float_filter(v: &Value, default: Option<Value>) -> Result<Value, Error> {
    let default = default.unwrap_or(Value::from(0.0));
    Ok(match v.kind() {
        ValueKind::Undefined => return Err(undefined_error(v)),
        ValueKind::Bool => Value::from(if v.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => Value::from(f64::try_from(v.clone()).unwrap_or(0.0)),
        ValueKind::String => match parse_py_float(v.as_str().unwrap_or_default()) {
            Some(f) => Value::from(f),
            None => default,
        },
        _ => default,
    })
}

fn string_filter(v: &Value) -> Result<Value, Error> {
    if v.is_undefined() {
        return Err(undefined_error(v));
    }
    if v.kind() == ValueKind::String {
        return Ok(v.clone());
    }
    Ok(Value::from(py_str(v)))
}

fn join_filter(v: &Value, sep: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    if v.is_undefined() {
        return Err(undefined_error(v));
    }
    let attribute: Option<String> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    let sep = sep.unwrap_or_default();
    if let Some(s) = v.as_str() {
        return Ok(s.chars().map(String::from).collect::<Vec<_>>().join(&sep));
    }
    let mut parts = Vec::new();
    for item in v.try_iter()? {
        let item = match &attribute {
            Some(attr) => super::get_path(&item, attr),
            None => item,
        };
        if item.is_undefined() {
            return Err(undefined_error(&item));
        }
        parts.push(py_str(&item));
    }
    Ok(parts.join(&sep))
}

fn ternary(
    v: &Value,
    true_val: Value,
    false_val: Value,
    none_val: Option<Value>,
) -> Result<Value, Error> {
    if v.is_undefined() {
        return Err(undefined_error(v));
    }
    Ok(match none_val {
        Some(n) if v.is_none() => n,
        _ if v.is_true() => true_val,
        _ => false_val,
    })
}

fn mandatory(v: &Value, msg: Option<String>) -> Result<Value, Error> {
    if v.is_undefined() {
        crate::error::set_mandatory_message(msg);
        return Err(undefined_error(v));
    }
    Ok(v.clone())
}

fn type_debug(v: &Value) -> &'static str {
    py_type_name(v)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn python_int_parsing() {
        assert_eq!(parse_py_int(" 12 ", 10), Some(12));
        assert_eq!(parse_py_int("1_000", 10), Some(1000));
        assert_eq!(parse_py_int("0x1A", 16), Some(26));
        assert_eq!(parse_py_int("0x1A", 0), Some(26));
        assert_eq!(parse_py_int("0x1A", 10), None);
        assert_eq!(parse_py_int("-0b101", 0), Some(-5));
        assert_eq!(parse_py_int("017", 0), None);
        assert_eq!(parse_py_int("017", 10), Some(17));
        assert_eq!(parse_py_int("abc", 10), None);
    }

    #[test]
    fn python_float_parsing() {
        assert_eq!(parse_py_float("1.5"), Some(1.5));
        assert_eq!(parse_py_float(" -2e3 "), Some(-2000.0));
        assert_eq!(parse_py_float("abc"), None);
        assert!(parse_py_float("inf").is_some_and(|f| f.is_infinite()));
    }
}
