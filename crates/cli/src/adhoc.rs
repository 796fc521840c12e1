//! `drover adhoc` (or `ansible` through a link): one module on the hosts of a pattern,
//! run as ansible does it, as a one-task play ("Ansible Ad-Hoc", no fact gathering),
//! and reported in the `minimal` callback's format (`oneline` with `-o`).

use std::path::PathBuf;

use drover_engine::{Event, HostResult, Reporter, Status};
use drover_playbook::{canonical_action, is_freeform, Play, Playbook, Task};
use drover_yaml::{Location, Pos, SourceFile};
use serde_json::{Map, Value};

use crate::args::AdhocArgs;
use crate::console::Console;
use crate::pyjson::dumps;
use crate::Failure;

/// Modules whose result is shown as their output rather than as JSON.
const NO_JSON: &[&str] = &["command", "shell", "raw", "win_command", "win_shell"];

pub async fn run(args: AdhocArgs) -> Result<u8, Failure> {
    let extra_vars = crate::extra_vars::parse(&args.run.extra_vars)?;
    let inventory = crate::inventory_cmd::load_inventory(&args.run.inventory, &extra_vars)?;
    crate::play::check_limit(&inventory, args.run.limit.as_deref())?;
    let dir = match &args.playbook_dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    crate::play::add_library(&args.run, drover_engine::playbook_library_dirs(&dir));
    if args.list_hosts {
        return list_hosts(&inventory, &args);
    }
    let action = canonical_action(&args.module_name).to_string();
    let raw = args.module_args.clone().unwrap_or_default();
    if is_freeform(&action) && raw.trim().is_empty() {
        return Err(Failure::new(
            5,
            format!("No argument passed to {} module", args.module_name),
        ));
    }
    let play = play(&args, &dir, action, &raw)?;
    let playbooks = vec![Playbook {
        path: dir.join("__adhoc_playbook__"),
        plays: vec![play],
        warnings: Vec::new(),
    }];
    drover_engine::check_supported(&playbooks).map_err(|e| crate::play::source_failure(&e))?;
    let opts = crate::play::run_options(&args.run, extra_vars, Default::default())?;
    let mut out = AdhocOutput {
        console: Console::new(args.run.verbose),
        one_line: args.one_line,
    };
    crate::play::execute(&playbooks, &inventory, &opts, &mut out).await
}

/// `-a`: a JSON object, else `k=v` pairs (free text for the command modules).
fn module_args(action: &str, raw: &str) -> Result<Map<String, Value>, Failure> {
    let trimmed = raw.trim();
    if trimmed.starts_with('{') && trimmed.ends_with('}') {
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(trimmed) {
            return Ok(m);
        }
    }
    drover_playbook::try_parse_kv(raw, is_freeform(action)).map_err(|e| Failure::new(5, e))
}

/// The one-task play ansible builds for an ad-hoc command.
fn play(
    args: &AdhocArgs,
    dir: &std::path::Path,
    action: String,
    raw: &str,
) -> Result<Play, Failure> {
    let file = SourceFile::new(
        dir.join(format!("<adhoc '{}' task>", args.module_name)),
        String::new(),
    );
    let location = Location {
        file,
        pos: Pos { line: 1, col: 1 },
    };
    let mut task = Task::new(location.clone());
    task.args = module_args(&action, raw)?;
    task.action = action;
    if let Some(secs) = args.background.filter(|s| *s > 0) {
        task.extra.insert("async".into(), secs.into());
        task.extra
            .insert("poll".into(), args.poll.unwrap_or(15).into());
    }
    if let Some(secs) = args.task_timeout.filter(|s| *s > 0) {
        task.extra.insert("timeout".into(), secs.into());
    }
    let mut play = Play::new(args.pattern.clone(), location);
    play.name = Some("Ansible Ad-Hoc".into());
    play.gather_facts = Some(false);
    play.tasks = vec![task];
    Ok(play)
}

fn list_hosts(inventory: &drover_inventory::Inventory, args: &AdhocArgs) -> Result<u8, Failure> {
    let mut hosts = inventory
        .select(&args.pattern)
        .map_err(|e| Failure::new(1, e))?
        .hosts;
    if let Some(limit) = &args.run.limit {
        let allowed = inventory
            .select_limit(limit)
            .map_err(|e| Failure::new(1, e))?
            .hosts;
        hosts.retain(|h| allowed.contains(h));
    }
    println!("  hosts ({}):", hosts.len());
    for h in hosts {
        println!("    {h}");
    }
    Ok(0)
}

/// The `minimal` (and with `-o`, `oneline`) stdout callback.
struct AdhocOutput {
    console: Console,
    one_line: bool,
}

impl AdhocOutput {
    fn result(&self, r: &HostResult) {
        for text in crate::console::warnings(&r.result) {
            eprintln!("[WARNING]: {text}");
        }
        let host = &r.host;
        let text = |k: &str| {
            r.result
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let rc = r.result.get("rc").cloned().unwrap_or(Value::from(-1));
        let shown = self.console.visible(r);
        let json = if self.one_line {
            dumps(&shown, Some(0)).replace('\n', "")
        } else {
            dumps(&shown, Some(4))
        };
        let no_json = NO_JSON.contains(&r.action.as_str());
        let generic = |caption: &str| {
            if self.one_line {
                let esc = |s: String| s.replace('\n', "\\n").replace('\r', "\\r");
                let mut line = format!(
                    "{host} | {caption} | rc={rc} | (stdout) {}",
                    esc(text("stdout"))
                );
                let stderr = text("stderr");
                if !stderr.is_empty() {
                    line.push_str(&format!(" (stderr) {}", esc(stderr)));
                }
                line
            } else {
                format!(
                    "{host} | {caption} | rc={rc} >>\n{}{}{}",
                    text("stdout"),
                    text("stderr"),
                    text("msg")
                )
            }
        };
        let line = match r.status {
            Status::Ok | Status::Changed => {
                let state = if r.result.get("changed").and_then(Value::as_bool) == Some(true) {
                    "CHANGED"
                } else {
                    "SUCCESS"
                };
                if no_json && !r.result.contains_key("ansible_job_id") {
                    generic(state)
                } else {
                    format!("{host} | {state} => {json}")
                }
            }
            Status::Skipped => format!("{host} | SKIPPED"),
            Status::Unreachable if self.one_line => {
                format!("{host} | UNREACHABLE!: {}", text("msg"))
            }
            Status::Unreachable => format!("{host} | UNREACHABLE! => {json}"),
            Status::Failed => {
                let command = no_json && !r.result.contains_key("module_stderr");
                if self.one_line {
                    let mut lines = Vec::new();
                    if command {
                        lines.push(generic("FAILED"));
                    }
                    lines.push(format!("{host} | FAILED! => {json}"));
                    lines.join("\n")
                } else if command {
                    generic("FAILED")
                } else {
                    format!("{host} | FAILED! => {json}")
                }
            }
        };
        println!("{line}");
    }
}

impl Reporter for AdhocOutput {
    fn event(&mut self, event: &Event) {
        match event {
            Event::HostResult(r) => self.result(r),
            Event::NoHostsMatched => eprintln!("[WARNING]: No hosts matched, nothing to do"),
            Event::Warning(w) => eprintln!("[WARNING]: {w}"),
            Event::TaskError { message, .. } => eprintln!("[ERROR]: {message}"),
            Event::Display(line) => println!("{line}"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::module_args;
    use serde_json::json;

    #[test]
    fn args_are_json_or_key_values() {
        let m = module_args("command", "echo hi chdir=/tmp").unwrap_or_default();
        assert_eq!(m.get("_raw_params"), Some(&json!("echo hi")));
        assert_eq!(m.get("chdir"), Some(&json!("/tmp")));
        let m = module_args("file", r#"{"path": "/x", "mode": 420}"#).unwrap_or_default();
        assert_eq!(m.get("mode"), Some(&json!(420)));
        let m = module_args("file", "path=/x state=touch").unwrap_or_default();
        assert_eq!(m.get("state"), Some(&json!("touch")));
    }
}
