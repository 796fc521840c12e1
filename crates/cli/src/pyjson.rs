//! JSON as Python's `json.dumps(..., sort_keys=True, ensure_ascii=False)` writes it, which
//! is what ansible-playbook prints: `", "` and `": "` separators, or 4-space indents.

use serde_json::Value;

pub fn dumps(v: &Value, indent: Option<usize>) -> String {
    let mut out = String::new();
    write(&mut out, v, indent, 0);
    out
}

fn write(out: &mut String, v: &Value, indent: Option<usize>, depth: usize) {
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i, indent, depth + 1);
                write(out, item, indent, depth + 1);
            }
            close(out, ']', indent, depth);
        }
        Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                separator(out, i, indent, depth + 1);
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push_str(": ");
                write(out, &map[k], indent, depth + 1);
            }
            close(out, '}', indent, depth);
        }
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
        scalar => out.push_str(&serde_json::to_string(scalar).unwrap_or_default()),
    }
}

fn separator(out: &mut String, i: usize, indent: Option<usize>, depth: usize) {
    match indent {
        Some(n) => {
            if i > 0 {
                out.push(',');
            }
            out.push('\n');
            out.push_str(&" ".repeat(n * depth));
        }
        None if i > 0 => out.push_str(", "),
        None => {}
    }
}

fn close(out: &mut String, c: char, indent: Option<usize>, depth: usize) {
    if let Some(n) = indent {
        out.push('\n');
        out.push_str(&" ".repeat(n * depth));
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_compact() {
        let v = json!({"b": [1, "é"], "a": {}, "c": []});
        assert_eq!(dumps(&v, None), r#"{"a": {}, "b": [1, "é"], "c": []}"#);
    }

    #[test]
    fn matches_python_indented() {
        let v = json!({"msg": "x", "l": ["hi"]});
        assert_eq!(
            dumps(&v, Some(4)),
            "{\n    \"l\": [\n        \"hi\"\n    ],\n    \"msg\": \"x\"\n}"
        );
    }
}
