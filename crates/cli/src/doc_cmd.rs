//! `drover doc NAME` and `drover doc --list`: module documentation in the layout of
//! `ansible-doc`, from the YAML kept next to each module.

use std::sync::Arc;

use clap::Args;
use serde_json::Value;

use crate::Failure;

#[derive(Args, Debug)]
pub struct DocArgs {
    /// Module names (short or ansible.builtin.NAME).
    #[arg(value_name = "MODULE", required_unless_present = "list")]
    pub modules: Vec<String>,
    /// List every module with its short description.
    #[arg(short, long)]
    pub list: bool,
}

/// A module's documentation as JSON (from its YAML).
fn load(name: &str) -> Result<Value, Failure> {
    let text = drover_modules::docs::doc(name)
        .ok_or_else(|| Failure::new(1, format!("module {name} not found")))?;
    let file = drover_yaml::SourceFile::new(format!("docs/{name}.yml"), text);
    let doc = drover_yaml::parse(Arc::clone(&file))
        .map_err(|e| Failure::new(250, format!("documentation of {name} is broken: {e}")))?;
    Ok(doc.root.to_json())
}

pub fn run(args: &DocArgs) -> Result<u8, Failure> {
    let mut out = String::new();
    if args.list {
        let names: Vec<&str> = drover_modules::docs::documented().collect();
        let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
        for name in names {
            let d = load(name)?;
            let short = d["short_description"].as_str().unwrap_or("");
            out.push_str(&format!("{name:<width$} {short}\n"));
        }
    } else {
        for name in &args.modules {
            out.push_str(&render(&load(name)?));
        }
    }
    print!("{out}");
    Ok(0)
}

fn indent(text: &str, pad: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(shown).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// ansible-doc's text layout: header, description, options (`=` mandatory, `-`
/// optional) with their facts, examples, return values.
pub fn render(d: &Value) -> String {
    let name = d["module"].as_str().unwrap_or("?");
    let mut out = format!("> MODULE {name}\n\n");
    if let Some(s) = d["short_description"].as_str() {
        out.push_str(&indent(s, "  "));
        out.push('\n');
    }
    if let Some(s) = d["description"].as_str() {
        out.push_str(&indent(s, "  "));
        out.push('\n');
    }
    if let Some(opts) = d["options"].as_object() {
        out.push_str("OPTIONS (= indicates it is required):\n\n");
        for (opt, spec) in opts {
            let mark = if spec["required"] == Value::Bool(true) {
                '='
            } else {
                '-'
            };
            out.push_str(&format!("{mark} {opt}\n"));
            if let Some(desc) = spec["description"].as_str() {
                out.push_str(&indent(desc, "        "));
            }
            for key in ["aliases", "choices", "default", "type"] {
                if let Some(v) = spec.get(key).filter(|v| !v.is_null()) {
                    out.push_str(&format!("        {key}: {}\n", shown(v)));
                }
            }
            out.push('\n');
        }
    }
    if let Some(notes) = d["notes"].as_str() {
        out.push_str("NOTES:\n");
        out.push_str(&indent(notes, "      * "));
        out.push('\n');
    }
    if let Some(ex) = d["examples"].as_str() {
        out.push_str("EXAMPLES:\n\n");
        out.push_str(ex.trim_end());
        out.push_str("\n\n");
    }
    if let Some(ret) = d["returns"].as_object().filter(|r| !r.is_empty()) {
        out.push_str("RETURN VALUES:\n\n");
        for (field, spec) in ret {
            out.push_str(&format!("- {field}\n"));
            if let Some(desc) = spec["description"].as_str() {
                out.push_str(&indent(desc, "        "));
            }
            for key in ["returned", "type"] {
                if let Some(v) = spec.get(key).filter(|v| !v.is_null()) {
                    out.push_str(&format!("        {key}: {}\n", shown(v)));
                }
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_has_docs_that_parse_and_render() {
        for name in drover_modules::names() {
            let d = load(name).unwrap_or_else(|f| panic!("{name}: {}", f.report));
            assert_eq!(d["module"], name);
            assert!(
                d["short_description"].is_string(),
                "{name}: short_description"
            );
            assert!(
                d["options"].is_object() || d["options"].is_null(),
                "{name}: options"
            );
            assert!(
                d["examples"]
                    .as_str()
                    .is_some_and(|e| e.contains(name) || e.contains("ansible.")),
                "{name}: examples"
            );
            let text = render(&d);
            assert!(text.starts_with(&format!("> MODULE {name}\n")));
        }
    }

    #[test]
    fn options_show_required_marks_and_facts() {
        let text = render(&load("ansible.builtin.user").expect("user docs"));
        assert!(text.contains("\n- name\n") || text.contains("\n= name\n"));
        assert!(
            text.contains(
                "        choices: [absent, present]\n        default: present\n        type: str\n"
            ),
            "{text}"
        );
        assert!(text.contains("RETURN VALUES:"));
        assert!(load("no_such_module").is_err());
    }
}
