//! Python's `str()` and `repr()` of template values: Ansible prints `{'a': 1}`, `True`
//! and `[1, 2]` where a value lands inside a string, and so must we.

use std::fmt::Write;

use minijinja::value::ValueKind;
use minijinja::Value;
use serde_json::Value as Json;

/// `str(value)` as Python prints it.
pub(crate) fn py_str(v: &Value) -> String {
    match v.kind() {
        ValueKind::String => v.as_str().unwrap_or_default().to_string(),
        ValueKind::Undefined => String::new(),
        _ => {
            let mut out = String::new();
            write_repr(&mut out, v);
            out
        }
    }
}

fn write_repr(out: &mut String, v: &Value) {
    match v.kind() {
        ValueKind::Undefined => out.push_str("AnsibleUndefined"),
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if v.is_true() { "True" } else { "False" }),
        ValueKind::Number => {
            if v.is_integer() {
                let _ = write!(out, "{v}");
            } else {
                out.push_str(&py_float(f64::try_from(v.clone()).unwrap_or(f64::NAN)));
            }
        }
        ValueKind::String => push_quoted(out, v.as_str().unwrap_or_default()),
        ValueKind::Bytes => {
            out.push('b');
            push_quoted(
                out,
                &String::from_utf8_lossy(v.as_bytes().unwrap_or_default()),
            );
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(iter) = v.try_iter() {
                for (i, item) in iter.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &item);
                }
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(iter) = v.try_iter() {
                for (i, key) in iter.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &key);
                    out.push_str(": ");
                    let item = v.get_item(&key).unwrap_or_default();
                    write_repr(out, &item);
                }
            }
            out.push('}');
        }
        _ => {
            let _ = write!(out, "{v}");
        }
    }
}

/// `str()` of a JSON value.
pub fn json_str(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => json_repr(other),
    }
}

/// `repr()` of a JSON value.
pub fn json_repr(v: &Json) -> String {
    let mut out = String::new();
    write_json_repr(&mut out, v);
    out
}

fn write_json_repr(out: &mut String, v: &Json) {
    match v {
        Json::Null => out.push_str("None"),
        Json::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Json::Number(n) => {
            if n.is_f64() {
                out.push_str(&py_float(n.as_f64().unwrap_or(f64::NAN)));
            } else {
                let _ = write!(out, "{n}");
            }
        }
        Json::String(s) => push_quoted(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_repr(out, item);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_quoted(out, k);
                out.push_str(": ");
                write_json_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's string repr: single quotes unless the text holds a single quote and no
/// double quote.
fn push_quoted(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `repr(float)`: shortest round-trip digits, positional between 1e-4 and 1e16,
/// scientific (`1e+16`, `1.5e-05`) outside.
pub(crate) fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let s = format!("{f}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(2.5), "2.5");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(1e15), "1000000000000000.0");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(0.00001), "1e-05");
        assert_eq!(py_float(-1.5e-7), "-1.5e-07");
    }

    #[test]
    fn containers_print_like_python() {
        let v =
            crate::convert::to_value(&serde_json::json!({"a": [1, "it's", true, null], "b": 1.0}));
        assert_eq!(py_str(&v), "{'a': [1, \"it's\", True, None], 'b': 1.0}");
        assert_eq!(
            py_str(&Value::from(vec![Value::from("a'b\"c\n")])),
            "['a\\'b\"c\\n']"
        );
    }
}
