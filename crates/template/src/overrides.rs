//! A template file's first line `#jinja2: trim_blocks: False, variable_start_string: '[%'`
//! overrides the rendering options, as in ansible-core: comma-separated `key: value`
//! pairs whose values are Python literals.

use serde_json::Value;

use crate::TextOptions;

const HEADER: &str = "#jinja2:";

/// The template without its `#jinja2:` line, and `opts` with the line's overrides; an
/// error in ansible-core's words for a malformed line.
pub fn template_overrides<'a>(text: &'a str, opts: &mut TextOptions) -> Result<&'a str, String> {
    let Some(rest) = text.strip_prefix(HEADER) else {
        return Ok(text);
    };
    let Some(eol) = rest.find('\n') else {
        return Err(format!("Missing newline after '{HEADER}' override."));
    };
    for pair in rest[..eol].split(',') {
        if pair.trim().is_empty() {
            return Err(format!("Empty '{HEADER}' override pair not allowed."));
        }
        let Some((key, raw)) = pair.split_once(':') else {
            return Err(format!(
                "Missing key-value separator `:` in '{HEADER}' override pair '{pair}'."
            ));
        };
        let key = key.trim();
        let value = crate::literal::literal_eval(raw.trim_end())
            .ok_or_else(|| format!("Invalid '{HEADER}' override value for '{key}': {raw:?}."))?;
        set(opts, key, value)?;
    }
    Ok(&rest[eol + 1..])
}

fn set(opts: &mut TextOptions, key: &str, value: Value) -> Result<(), String> {
    let text = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(format!("'{HEADER}' override '{key}' must be a string.")),
    };
    let flag = |v: &Value| match v {
        Value::Bool(b) => Ok(*b),
        _ => Err(format!("'{HEADER}' override '{key}' must be a boolean.")),
    };
    let d = &mut opts.delimiters;
    match key {
        "block_start_string" => d.block.0 = text(&value)?,
        "block_end_string" => d.block.1 = text(&value)?,
        "variable_start_string" => d.variable.0 = text(&value)?,
        "variable_end_string" => d.variable.1 = text(&value)?,
        "comment_start_string" => d.comment.0 = text(&value)?,
        "comment_end_string" => d.comment.1 = text(&value)?,
        "line_statement_prefix" => d.line_statement = non_null(&value, text)?,
        "line_comment_prefix" => d.line_comment = non_null(&value, text)?,
        "trim_blocks" => opts.trim_blocks = flag(&value)?,
        "lstrip_blocks" => opts.lstrip_blocks = flag(&value)?,
        "keep_trailing_newline" => opts.keep_trailing_newline = flag(&value)?,
        "newline_sequence" => match text(&value)?.as_str() {
            seq @ ("\n" | "\r\n" | "\r") => opts.newline_sequence = seq.to_string(),
            _ => {
                return Err(format!(
                    "'{HEADER}' override 'newline_sequence' must be one of '\\n', '\\r\\n', '\\r'."
                ))
            }
        },
        _ => return Err(format!("Invalid '{HEADER}' override key '{key}'.")),
    }
    Ok(())
}

fn non_null(
    v: &Value,
    text: impl Fn(&Value) -> Result<String, String>,
) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        other => text(other).map(Some),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn the_header_sets_options_and_is_removed() {
        let mut opts = TextOptions::default();
        let rest = template_overrides(
            "#jinja2: trim_blocks: False, variable_start_string:'[%' ,line_statement_prefix:\":\"\n: if x\n",
            &mut opts,
        )
        .unwrap();
        assert_eq!(rest, ": if x\n");
        assert!(!opts.trim_blocks);
        assert_eq!(opts.delimiters.variable.0, "[%");
        assert_eq!(opts.delimiters.line_statement.as_deref(), Some(":"));
    }

    #[test]
    fn malformed_headers_fail_as_in_ansible() {
        let mut opts = TextOptions::default();
        let err = template_overrides("#jinja2: lstrip_blocks=True\nx", &mut opts).unwrap_err();
        assert_eq!(
            err,
            "Missing key-value separator `:` in '#jinja2:' override pair ' lstrip_blocks=True'."
        );
        assert!(template_overrides("#jinja2: nope: 1\nx", &mut opts)
            .unwrap_err()
            .contains("Invalid '#jinja2:' override key 'nope'"));
        assert!(template_overrides("#jinja2: trim_blocks: True", &mut opts).is_err());
        assert_eq!(template_overrides("plain", &mut opts).unwrap(), "plain");
    }
}
