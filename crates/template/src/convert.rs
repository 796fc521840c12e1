//! Conversions between serde_json values (drover's variable type) and minijinja values,
//! plus the Python notions templates rely on: truthiness and type names.

use minijinja::value::{ObjectRepr, ValueKind};
use minijinja::{Error, Value};
use serde_json::Value as Json;

/// A variable's value as a template value. Strings from a trusted source are marked
/// (minijinja's "safe" strings, which nothing else uses: autoescape is off): a
/// conditional may evaluate them as expressions (see [`crate::conditional`]). Strings
/// a template builds, and every other string, are plain.
pub(crate) fn to_trusted_value(v: &Json, trusted: bool) -> Value {
    match v {
        Json::String(s) if trusted => Value::from_safe_string(s.clone()),
        Json::Array(items) if trusted => Value::from(
            items
                .iter()
                .map(|i| to_trusted_value(i, true))
                .collect::<Vec<_>>(),
        ),
        Json::Object(map) if trusted => Value::from_pairs(
            map.iter()
                .map(|(k, v)| (Value::from(k.as_str()), to_trusted_value(v, true))),
        ),
        other => to_value(other),
    }
}

pub(crate) fn to_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(to_value).collect::<Vec<_>>()),
        Json::Object(map) => Value::from_pairs(
            map.iter()
                .map(|(k, v)| (Value::from(k.as_str()), to_value(v))),
        ),
    }
}

/// Converts a template value to JSON. An undefined value anywhere inside is an error;
/// raising it through `get_attr` keeps minijinja's record of where the undefined value
/// came from, so the final message can name it.
pub(crate) fn to_json(v: &Value) -> Result<Json, Error> {
    Ok(match v.kind() {
        ValueKind::Undefined => return Err(undefined_error(v)),
        ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(v.is_true()),
        ValueKind::Number => number_to_json(v),
        ValueKind::String => Json::String(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => {
            Json::String(String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into_owned())
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let mut out = Vec::with_capacity(v.len().unwrap_or(0));
            for item in v.try_iter()? {
                out.push(to_json(&item)?);
            }
            Json::Array(out)
        }
        ValueKind::Map => {
            let mut out = serde_json::Map::new();
            for key in v.try_iter()? {
                let item = v.get_item(&key)?;
                out.insert(key_string(&key), to_json(&item)?);
            }
            Json::Object(out)
        }
        ValueKind::Invalid => {
            return Err(crate::error::op_err(v.to_string()));
        }
        _ => match v.as_object().map(|o| o.repr()) {
            Some(ObjectRepr::Map) | Some(ObjectRepr::Seq) | Some(ObjectRepr::Iterable) => {
                Json::Array(Vec::new())
            }
            _ => Json::String(v.to_string()),
        },
    })
}

pub(crate) fn undefined_error(v: &Value) -> Error {
    match v.get_attr("__undefined__") {
        Err(e) => e,
        Ok(_) => Error::new(minijinja::ErrorKind::UndefinedError, "undefined value"),
    }
}

fn number_to_json(v: &Value) -> Json {
    if v.is_integer() {
        if let Some(i) = v.as_i64() {
            return Json::from(i);
        }
        if let Ok(u) = u64::try_from(v.clone()) {
            return Json::from(u);
        }
        if let Ok(i) = i128::try_from(v.clone()) {
            return float_json(i as f64);
        }
    }
    float_json(f64::try_from(v.clone()).unwrap_or(f64::NAN))
}

fn float_json(f: f64) -> Json {
    serde_json::Number::from_f64(f)
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

/// JSON keys are strings; Python would use the key's `str()`.
pub(crate) fn key_string(key: &Value) -> String {
    match key.as_str() {
        Some(s) => s.to_string(),
        None => crate::pyrepr::py_str(key),
    }
}

/// Python's truthiness for a JSON value.
pub(crate) fn json_truthy(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().map(|f| f != 0.0).unwrap_or(true),
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(m) => !m.is_empty(),
    }
}

/// Python's type name for a value, as `type_debug` and Ansible's error messages say it.
pub(crate) fn py_type_name(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::Undefined => "AnsibleUndefined",
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number => {
            if v.is_integer() {
                "int"
            } else {
                "float"
            }
        }
        ValueKind::String => "str",
        ValueKind::Bytes => "bytes",
        ValueKind::Seq => "list",
        ValueKind::Map => "dict",
        ValueKind::Iterable => "generator",
        _ => "object",
    }
}

pub(crate) fn json_type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "NoneType",
        Json::Bool(_) => "bool",
        Json::Number(n) => {
            if n.is_f64() {
                "float"
            } else {
                "int"
            }
        }
        Json::String(_) => "str",
        Json::Array(_) => "list",
        Json::Object(_) => "dict",
    }
}

/// Does anything inside `v` (strings, map keys) look like a template?
pub(crate) fn json_has_template(v: &Json) -> bool {
    match v {
        Json::String(s) => crate::templar::is_template_str(s),
        Json::Array(items) => items.iter().any(json_has_template),
        Json::Object(map) => map
            .iter()
            .any(|(k, v)| crate::templar::is_template_str(k) || json_has_template(v)),
        _ => false,
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip_keeps_types_and_order() {
        let j = json!({"z": 1, "a": [true, null, 1.5, "s", -3], "m": {"k": u64::MAX}});
        let v = to_value(&j);
        assert_eq!(to_json(&v).unwrap(), j);
        let keys: Vec<String> = v.try_iter().unwrap().map(|k| k.to_string()).collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn undefined_inside_is_an_error() {
        let v = Value::from(vec![Value::from(1), Value::UNDEFINED]);
        assert!(to_json(&v).is_err());
    }

    #[test]
    fn python_truthiness() {
        assert!(!json_truthy(&json!("")));
        assert!(json_truthy(&json!("0")));
        assert!(!json_truthy(&json!(0.0)));
        assert!(!json_truthy(&json!({})));
        assert!(json_truthy(&json!([0])));
    }
}
