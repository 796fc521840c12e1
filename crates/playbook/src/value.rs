//! Typed reads of keyword values, with Ansible's coercions and errors at the value.

use std::sync::Arc;

use drover_yaml::{Node, NodeValue, SourceError, SourceFile};
use indexmap::IndexMap;
use serde_json::Value;

/// Reads keyword values out of one file's nodes.
pub(crate) struct Reader<'a> {
    pub file: &'a Arc<SourceFile>,
}

impl Reader<'_> {
    pub fn file_arc(&self) -> &Arc<SourceFile> {
        self.file
    }

    pub fn err(&self, node: &Node, msg: impl Into<String>) -> SourceError {
        SourceError::at(self.file, node.pos, msg)
    }

    /// A scalar as text (`name: 42` is the name "42"); null is `None`.
    pub fn string(&self, key: &str, node: &Node) -> Result<Option<String>, SourceError> {
        match &node.value {
            NodeValue::Null => Ok(None),
            NodeValue::Seq(_) | NodeValue::Map(_) => Err(self.err(
                node,
                format!("The field '{key}' is supposed to be a string type, however the incoming data structure is {}", node.kind_name()),
            )),
            _ => Ok(Some(scalar_text(&node.value))),
        }
    }

    /// Ansible's `boolean()`: yes/no/true/false/on/off/1/0/y/n/t/f in any case.
    pub fn bool(&self, key: &str, node: &Node) -> Result<Option<bool>, SourceError> {
        let parsed = match &node.value {
            NodeValue::Null => return Ok(None),
            NodeValue::Bool(b) => Some(*b),
            NodeValue::Int(i) => match i {
                0 => Some(false),
                1 => Some(true),
                _ => None,
            },
            NodeValue::Float(f) => {
                if *f == 0.0 {
                    Some(false)
                } else if *f == 1.0 {
                    Some(true)
                } else {
                    None
                }
            }
            NodeValue::Str(s) => parse_bool_str(s),
            NodeValue::Seq(_) | NodeValue::Map(_) => None,
        };
        match parsed {
            Some(b) => Ok(Some(b)),
            None if matches!(&node.value, NodeValue::Str(s) if s.contains("{{")) => Err(self.err(
                node,
                format!("a templated value for '{key}' is not supported yet; use a literal boolean"),
            )),
            None => Err(self.err(
                node,
                format!("The field '{key}' is supposed to be a boolean, however the value {} is not one", describe(node)),
            )),
        }
    }

    /// `when`-like keywords: an expression, a boolean, or a list of them (all must hold).
    pub fn conditions(&self, key: &str, node: &Node) -> Result<Vec<String>, SourceError> {
        let one = |n: &Node| -> Result<Option<String>, SourceError> {
            match &n.value {
                NodeValue::Null => Ok(None),
                NodeValue::Bool(true) => Ok(Some("True".to_owned())),
                NodeValue::Bool(false) => Ok(Some("False".to_owned())),
                NodeValue::Seq(_) | NodeValue::Map(_) => Err(self.err(
                    n,
                    format!("'{key}' must be a conditional expression (a string), a boolean, or a list of those, not {}", n.kind_name()),
                )),
                // An `!unsafe` conditional stays marked: it must not be evaluated.
                NodeValue::Str(s) if n.tag.as_deref() == Some("!unsafe") => {
                    Ok(Some(drover_yaml::unsafe_text(s)))
                }
                v => Ok(Some(scalar_text(v))),
            }
        };
        match &node.value {
            NodeValue::Seq(items) => items.iter().filter_map(|n| one(n).transpose()).collect(),
            _ => Ok(one(node)?.into_iter().collect()),
        }
    }

    /// A list of strings, or one string (`notify: restart`).
    pub fn string_list(&self, key: &str, node: &Node) -> Result<Vec<String>, SourceError> {
        match &node.value {
            NodeValue::Null => Ok(Vec::new()),
            NodeValue::Seq(items) => items
                .iter()
                .map(|n| match &n.value {
                    NodeValue::Seq(_) | NodeValue::Map(_) => Err(self.err(
                        n,
                        format!("'{key}' entries must be strings, not {}", n.kind_name()),
                    )),
                    v => Ok(scalar_text(v)),
                })
                .collect(),
            NodeValue::Map(_) => Err(self.err(
                node,
                format!("'{key}' must be a string or a list of strings"),
            )),
            v => Ok(vec![scalar_text(v)]),
        }
    }

    /// `tags`: a list, or a comma-separated string.
    pub fn tags(&self, node: &Node) -> Result<Vec<String>, SourceError> {
        match &node.value {
            NodeValue::Null => Ok(Vec::new()),
            NodeValue::Str(s) => Ok(s
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect()),
            NodeValue::Seq(_) => self.string_list("tags", node),
            _ => Err(self.err(node, "tags must be specified as a list")),
        }
    }

    /// `vars`: a mapping, or a list of mappings merged in order; `owner` is "Play" or "Task".
    pub fn vars(&self, owner: &str, node: &Node) -> Result<IndexMap<String, Value>, SourceError> {
        let mut out = IndexMap::new();
        let bad = || {
            self.err(
                node,
                format!("Vars in a {owner} must be specified as a dictionary."),
            )
        };
        let mut add = |map: &Node| -> Result<(), SourceError> {
            let Value::Object(m) = map.to_json() else {
                return Err(bad());
            };
            out.extend(m);
            Ok(())
        };
        match &node.value {
            NodeValue::Null => {}
            NodeValue::Map(_) => add(node)?,
            NodeValue::Seq(items) => {
                for item in items {
                    if item.as_map().is_none() {
                        return Err(bad());
                    }
                    add(item)?;
                }
            }
            _ => return Err(bad()),
        }
        Ok(out)
    }

    /// A variable name as `register` needs it.
    pub fn identifier(&self, key: &str, node: &Node) -> Result<Option<String>, SourceError> {
        let Some(name) = self.string(key, node)? else {
            return Ok(None);
        };
        if is_identifier(&name) {
            Ok(Some(name))
        } else {
            Err(self.err(
                node,
                format!("Invalid '{key}' specified: Invalid variable name '{name}'."),
            ))
        }
    }
}

fn parse_bool_str(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "on" | "1" | "true" | "t" | "1.0" => Some(true),
        "n" | "no" | "off" | "0" | "false" | "f" | "0.0" => Some(false),
        _ => None,
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        NodeValue::Str(s) => format!("'{s}'"),
        NodeValue::Seq(_) | NodeValue::Map(_) => node.kind_name().to_owned(),
        v => scalar_text(v),
    }
}

/// A scalar the way Python's `str()` prints it (`True`, `None`, `1.5`).
pub(crate) fn scalar_text(v: &NodeValue) -> String {
    match v {
        NodeValue::Null => "None".to_owned(),
        NodeValue::Bool(true) => "True".to_owned(),
        NodeValue::Bool(false) => "False".to_owned(),
        NodeValue::Int(i) => i.to_string(),
        NodeValue::Float(f) => {
            let s = f.to_string();
            if s.contains(['.', 'e', 'i', 'N']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        NodeValue::Str(s) => s.clone(),
        NodeValue::Seq(_) | NodeValue::Map(_) => String::new(),
    }
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Python identifier rules (ASCII subset) minus keywords, as Ansible's
/// `validate_variable_name` applies.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !PYTHON_KEYWORDS.contains(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("result_1"));
        assert!(is_identifier("_x"));
        assert!(!is_identifier("a b"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier("for"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn python_str_of_scalars() {
        assert_eq!(scalar_text(&NodeValue::Float(2.0)), "2.0");
        assert_eq!(scalar_text(&NodeValue::Float(2.5)), "2.5");
        assert_eq!(scalar_text(&NodeValue::Bool(false)), "False");
    }

    #[test]
    fn booleans_like_ansible() {
        for (s, b) in [
            ("yes", true),
            ("Y", true),
            ("t", true),
            ("1", true),
            ("OFF", false),
            ("n", false),
        ] {
            assert_eq!(parse_bool_str(s), Some(b), "{s}");
        }
        assert_eq!(parse_bool_str("maybe"), None);
    }
}
