//! Typed access to a module's rendered arguments, with Ansible's checks: unknown
//! options and wrong types are task failures that name the option.

use serde_json::{Map, Value};

use crate::ModuleError;

#[derive(Debug, Clone, Default)]
pub struct Args(pub Map<String, Value>);

impl Args {
    pub fn new(map: Map<String, Value>) -> Self {
        Args(map)
    }

    /// Fail as Ansible does when an option is not in `supported` (sorted in the message).
    pub fn check_supported(&self, module: &str, supported: &[&str]) -> Result<(), ModuleError> {
        let mut unknown: Vec<&str> = self
            .0
            .keys()
            .map(String::as_str)
            .filter(|k| !supported.contains(k))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        unknown.sort_unstable();
        let mut all: Vec<&str> = supported.to_vec();
        all.sort_unstable();
        Err(ModuleError::Failed(format!(
            "Unsupported parameters for (ansible.legacy.{module}) module: {}. Supported parameters include: {}.",
            unknown.join(", "),
            all.join(", ")
        )))
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A string option; numbers and booleans are converted as Ansible's `str` type does.
    pub fn str(&self, key: &str) -> Result<Option<String>, ModuleError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(if *b { "True" } else { "False" }.into())),
            Some(other) => Err(type_error(key, "str", other)),
        }
    }

    /// A string option the module cannot run without; Ansible's message when missing.
    pub fn required_str(&self, key: &str) -> Result<String, ModuleError> {
        self.str(key)?
            .ok_or_else(|| ModuleError::Failed(format!("missing required arguments: {key}")))
    }

    /// A boolean option with Ansible's accepted spellings.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, ModuleError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => to_bool(v).ok_or_else(|| type_error(key, "bool", v)),
        }
    }

    /// A list of strings; a comma-separated string is split as Ansible's `list` type does.
    pub fn list(&self, key: &str) -> Result<Option<Vec<String>>, ModuleError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(type_error(key, "list of str", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Value::String(s)) => {
                Ok(Some(s.split(',').map(|p| p.trim().to_string()).collect()))
            }
            Some(other) => Err(type_error(key, "list", other)),
        }
    }
}

pub fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "yes" | "on" | "1" | "true" | "y" | "t" => Some(true),
            "no" | "off" | "0" | "false" | "n" | "f" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn type_error(key: &str, want: &str, got: &Value) -> ModuleError {
    ModuleError::Failed(format!(
        "argument '{key}' is of type {} and we were unable to convert to {want}",
        python_type(got)
    ))
}

/// The Python type name of a value, for messages.
pub fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
