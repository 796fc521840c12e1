//! Serialisation filters: JSON as Python's `json.dumps` writes it, YAML as PyYAML
//! writes it, and parsing both back.

use std::fmt::Write;

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, Value};
use serde_json::Value as Json;

use super::{add, json, kw, text_of, value};
use crate::error::op_err;
use crate::pyrepr::py_float;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "to_json", to_json);
    add(env, "to_nice_json", to_nice_json);
    add(env, "from_json", from_json);
    add(env, "to_yaml", to_yaml);
    add(env, "to_nice_yaml", to_nice_yaml);
    add(env, "from_yaml", from_yaml);
    add(env, "from_yaml_all", from_yaml_all);
}

pub(crate) struct JsonStyle {
    pub indent: Option<usize>,
    pub sort_keys: bool,
    pub ensure_ascii: bool,
    pub item_sep: String,
    pub key_sep: String,
}

fn style_from(kwargs: &Kwargs, indent: Option<usize>, sort_keys: bool) -> Result<JsonStyle, Error> {
    let indent = match kwargs.get::<Option<usize>>("indent")? {
        Some(i) => Some(i),
        None => indent,
    };
    let sort_keys = kw(kwargs, "sort_keys", sort_keys)?;
    let ensure_ascii = kw(kwargs, "ensure_ascii", true)?;
    let default_item = if indent.is_some() { "," } else { ", " };
    let (item_sep, key_sep) = match kwargs.get::<Option<Vec<String>>>("separators")? {
        Some(s) if s.len() == 2 => (s[0].clone(), s[1].clone()),
        _ => (default_item.to_string(), ": ".to_string()),
    };
    // Ansible passes these through to json.dumps; they do not change the output.
    let _ = kwargs.get::<Option<Value>>("vault_to_text")?;
    let _ = kwargs.get::<Option<Value>>("preprocess_unsafe")?;
    kwargs.assert_all_used()?;
    Ok(JsonStyle {
        indent,
        sort_keys,
        ensure_ascii,
        item_sep,
        key_sep,
    })
}

fn to_json(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let style = style_from(&kwargs, None, false)?;
    Ok(dumps(&json(v)?, &style))
}

fn to_nice_json(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let style = style_from(&kwargs, Some(4), true)?;
    Ok(dumps(&json(v)?, &style))
}

/// Python's `json.dumps` with the given options.
pub(crate) fn dumps(v: &Json, style: &JsonStyle) -> String {
    let mut out = String::new();
    write_json(&mut out, v, style, 0);
    out
}

fn newline_indent(out: &mut String, style: &JsonStyle, level: usize) {
    if let Some(n) = style.indent {
        out.push('\n');
        for _ in 0..n * level {
            out.push(' ');
        }
    }
}

fn write_json(out: &mut String, v: &Json, style: &JsonStyle, level: usize) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(f64::NAN);
                out.push_str(&match py_float(f).as_str() {
                    "inf" => "Infinity".to_string(),
                    "-inf" => "-Infinity".to_string(),
                    "nan" => "NaN".to_string(),
                    s => s.to_string(),
                });
            } else {
                let _ = write!(out, "{n}");
            }
        }
        Json::String(s) => write_json_str(out, s, style.ensure_ascii),
        Json::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&style.item_sep);
                }
                newline_indent(out, style, level + 1);
                write_json(out, item, style, level + 1);
            }
            newline_indent(out, style, level);
            out.push(']');
        }
        Json::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(&style.item_sep);
                }
                newline_indent(out, style, level + 1);
                write_json_str(out, k, style.ensure_ascii);
                out.push_str(&style.key_sep);
                write_json(out, item, style, level + 1);
            }
            newline_indent(out, style, level);
            out.push('}');
        }
    }
}

fn write_json_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ensure_ascii && !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn from_json(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let _ = kwargs.get::<Option<Value>>("profile")?;
    kwargs.assert_all_used()?;
    let text = text_of(v)?;
    let parsed: Json =
        serde_json::from_str(&text).map_err(|e| op_err(format!("from_json: {e}")))?;
    Ok(value(&parsed))
}

fn to_yaml(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let opts = yaml_opts(&kwargs, 2, true)?;
    Ok(crate::yaml::dump(&json(v)?, &opts))
}

fn to_nice_yaml(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let opts = yaml_opts(&kwargs, 4, false)?;
    Ok(crate::yaml::dump(&json(v)?, &opts))
}

fn yaml_opts(
    kwargs: &Kwargs,
    indent: usize,
    flow_leaves: bool,
) -> Result<crate::yaml::DumpOptions, Error> {
    let indent: usize = kw(kwargs, "indent", indent)?;
    let width: usize = kw(kwargs, "width", 80usize)?;
    let sort_keys: bool = kw(kwargs, "sort_keys", true)?;
    let flow = match kwargs.get::<Option<Value>>("default_flow_style")? {
        Some(v) if v.is_none() => true,
        Some(v) => {
            if v.is_true() {
                return Err(op_err("to_yaml: default_flow_style=True is not supported"));
            }
            false
        }
        None => flow_leaves,
    };
    let _ = kwargs.get::<Option<bool>>("allow_unicode")?;
    let _ = kwargs.get::<Option<bool>>("explicit_start")?;
    kwargs.assert_all_used()?;
    Ok(crate::yaml::DumpOptions {
        indent: indent.clamp(2, 9),
        width,
        sort_keys,
        flow_leaves: flow,
    })
}

fn from_yaml(v: &Value) -> Result<Value, Error> {
    if v.as_str().is_none() && !v.is_undefined() {
        // Ansible passes non-strings through unchanged.
        return Ok(v.clone());
    }
    let text = text_of(v)?;
    Ok(value(&crate::yaml::load(&text).map_err(op_err)?))
}

fn from_yaml_all(v: &Value) -> Result<Value, Error> {
    if v.as_str().is_none() && !v.is_undefined() {
        return Ok(v.clone());
    }
    let text = text_of(v)?;
    Ok(value(&Json::Array(
        crate::yaml::load_all(&text).map_err(op_err)?,
    )))
}

#[cfg(test)]
mod unit {
    use super::*;
    use serde_json::json;

    fn compact() -> JsonStyle {
        JsonStyle {
            indent: None,
            sort_keys: false,
            ensure_ascii: true,
            item_sep: ", ".into(),
            key_sep: ": ".into(),
        }
    }

    // Expected strings from ansible-core 2.19's to_json / to_nice_json.
    #[test]
    fn dumps_like_python() {
        let v = json!({"b": 1, "a": [1, {"c": "é"}]});
        assert_eq!(
            dumps(&v, &compact()),
            r#"{"b": 1, "a": [1, {"c": "\u00e9"}]}"#
        );
        let nice = JsonStyle {
            indent: Some(4),
            sort_keys: true,
            item_sep: ",".into(),
            ..compact()
        };
        assert_eq!(
            dumps(&v, &nice),
            "{\n    \"a\": [\n        1,\n        {\n            \"c\": \"\\u00e9\"\n        }\n    ],\n    \"b\": 1\n}"
        );
        assert_eq!(dumps(&json!(1.0), &compact()), "1.0");
        assert_eq!(dumps(&json!([]), &nice), "[]");
    }
}
