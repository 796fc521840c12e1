//! `-e`: `key=value` pairs, inline YAML/JSON, or `@file`, merged left to right.

use std::path::Path;

use drover_engine::VarMap;
use serde_json::Value;

use crate::Failure;

pub fn parse(all: &[String]) -> Result<VarMap, Failure> {
    let mut vars = VarMap::new();
    for raw in all {
        let parsed = parse_one(raw)?;
        for (k, v) in parsed {
            vars.insert(k, v);
        }
    }
    Ok(vars)
}

fn parse_one(raw: &str) -> Result<VarMap, Failure> {
    let trimmed = raw.trim();
    if let Some(file) = trimmed.strip_prefix('@') {
        let doc = drover_yaml::parse_path(Path::new(file)).map_err(|e| Failure::new(1, e))?;
        return mapping(doc.root.to_json(), raw);
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let file = drover_yaml::SourceFile::new("<extra vars>", trimmed.to_string());
        let doc = drover_yaml::parse(file).map_err(|e| Failure::new(1, e))?;
        return mapping(doc.root.to_json(), raw);
    }
    Ok(drover_playbook::parse_kv(trimmed, false)
        .into_iter()
        .collect())
}

fn mapping(v: Value, raw: &str) -> Result<VarMap, Failure> {
    match v {
        Value::Object(m) => Ok(m.into_iter().collect()),
        Value::Null => Ok(VarMap::new()),
        _ => Err(Failure::new(
            1,
            format!(
                "Invalid extra vars data supplied. '{raw}' could not be made into a dictionary"
            ),
        )),
    }
}
