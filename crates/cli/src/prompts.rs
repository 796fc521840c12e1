//! `vars_prompt`: answered from `-e`, else asked on the terminal, else the default.
//! The answers become play variables before anything runs.

use std::io::{BufRead, IsTerminal, Write};

use drover_engine::VarMap;
use drover_playbook::Playbook;
use serde_json::Value;

use crate::Failure;

pub fn answer(playbooks: &mut [Playbook], extra: &VarMap) -> Result<(), Failure> {
    for pb in playbooks {
        for play in &mut pb.plays {
            let Some(Value::Array(prompts)) = play.extra.shift_remove("vars_prompt") else {
                continue;
            };
            for p in prompts {
                let Some(name) = p.get("name").and_then(Value::as_str) else {
                    return Err(Failure::new(
                        4,
                        format!("{}: vars_prompt entries need a 'name'", play.location),
                    ));
                };
                if extra.contains_key(name) {
                    continue;
                }
                let question = p.get("prompt").and_then(Value::as_str).unwrap_or(name);
                let private = p.get("private").and_then(Value::as_bool).unwrap_or(true);
                let default = p.get("default").cloned();
                let value = if std::io::stdin().is_terminal() {
                    ask(question, private, default.as_ref())?
                } else if let Some(d) = default {
                    d
                } else {
                    return Err(Failure::new(
                        1,
                        format!("vars_prompt '{name}' needs an answer: pass it with -e {name}=... or run on a terminal"),
                    ));
                };
                play.vars.insert(name.to_string(), value);
            }
        }
    }
    Ok(())
}

fn ask(question: &str, private: bool, default: Option<&Value>) -> Result<Value, Failure> {
    let shown = match default {
        Some(d) => format!(
            "{question} [{}]: ",
            d.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| d.to_string())
        ),
        None => format!("{question}: "),
    };
    let answer = if private {
        rpassword::prompt_password(&shown)
            .map_err(|e| Failure::new(1, format!("cannot read the answer: {e}")))?
    } else {
        eprint!("{shown}");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::new(1, format!("cannot read the answer: {e}")))?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    Ok(match (answer.is_empty(), default) {
        (true, Some(d)) => d.clone(),
        _ => Value::String(answer),
    })
}
