//! The console reporter: ansible-playbook's default output (banners, per-host result
//! lines, the recap), coloured on a terminal only.

use std::collections::HashSet;
use std::io::Write;

use console::Style;
use drover_engine::{Event, HostResult, Reporter, Stats, Status};
use serde_json::Value;

use crate::pyjson::dumps;
use crate::snippet::{chain_report, error_report, Level, Origin};

pub struct Console {
    verbosity: u8,
    color: bool,
    width: usize,
    /// [ERROR] reports already printed for the current task (one per distinct message).
    errors_shown: HashSet<String>,
    /// Warnings already printed in this run.
    warnings_shown: HashSet<String>,
}

impl Console {
    pub fn new(verbosity: u8) -> Self {
        let term = console::Term::stdout();
        let is_tty = term.is_term();
        let no_color = std::env::var_os("NO_COLOR").is_some()
            || std::env::var("ANSIBLE_NOCOLOR")
                .is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false" | "False"));
        let force = std::env::var("ANSIBLE_FORCE_COLOR")
            .is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "True"));
        // ansible: columns = max(79, terminal width - 1); a banner fills the line to it.
        let width = if is_tty {
            (term.size().1 as usize).saturating_sub(1).max(79)
        } else {
            79
        };
        Console {
            verbosity,
            color: force || (is_tty && !no_color),
            width,
            errors_shown: HashSet::new(),
            warnings_shown: HashSet::new(),
        }
    }

    /// `task path: FILE:LINE` under a task banner from `-vv`, as ansible-playbook.
    fn task_path(&self, location: &drover_yaml::Location) {
        if self.verbosity > 1 {
            let path = std::fs::canonicalize(&location.file.path)
                .unwrap_or_else(|_| location.file.path.clone());
            self.out(&self.paint(
                &Style::new().dim(),
                &format!("task path: {}:{}", path.display(), location.pos.line),
            ));
        }
    }

    fn paint(&self, style: &Style, s: &str) -> String {
        if self.color {
            style.apply_to(s).force_styling(true).to_string()
        } else {
            s.to_string()
        }
    }

    fn banner(&self, msg: &str) -> String {
        let stars = self
            .width
            .saturating_sub(console::measure_text_width(msg))
            .max(3);
        format!("\n{msg} {}", "*".repeat(stars))
    }

    fn out(&self, line: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
    }

    fn err(&self, text: &str) {
        let _ = std::io::stdout().flush();
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "{text}");
    }

    /// The fields a user sees, cleaned as ansible-core's callback does: engine hints,
    /// `failed`/`skipped` flags and `invocation` removed; a `debug` result shows only its
    /// message (or its variable).
    pub(crate) fn visible(&self, r: &HostResult) -> Value {
        let debug = r.action == "debug";
        let keep = |k: &str| {
            if k.starts_with("_ansible_")
                || matches!(
                    k,
                    "failed" | "skipped" | "warnings" | "deprecations" | "diff" | "exception"
                )
            {
                return false;
            }
            if k == "invocation" {
                return self.verbosity > 2 && !debug;
            }
            if !debug {
                return true;
            }
            if r.result.contains_key("msg") {
                matches!(k, "msg" | "exception" | "warnings" | "deprecations")
            } else {
                !matches!(k, "changed" | "skip_reason")
            }
        };
        Value::Object(
            r.result
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    fn dump(&self, r: &HostResult) -> Option<String> {
        let always = r
            .result
            .get("_ansible_verbose_always")
            .and_then(Value::as_bool)
            == Some(true);
        let indent = if always || self.verbosity > 2 {
            Some(4)
        } else {
            None
        };
        Some(dumps(&self.visible(r), indent))
    }

    fn host_result(&self, r: &HostResult) {
        // With --diff a changed result's differences come before its line, as in Ansible.
        // Modules return a diff only in diff mode (--diff or the task's `diff:`).
        if r.result.get("changed").and_then(Value::as_bool) == Some(true) {
            if let Some(d) = r.result.get("diff") {
                let text = crate::diff::render(d);
                if !text.is_empty() {
                    self.out(&self.colour_diff(text.trim_end_matches('\n')));
                }
            }
        }
        // Warnings a module returned are shown before its result, as ansible-core does.
        for text in warnings(&r.result) {
            self.err(&format!(
                "{}\n",
                self.paint(&Style::new().magenta(), &format!("[WARNING]: {text}"))
            ));
        }
        let host = match &r.delegated_to {
            Some(d) => format!("{} -> {d}", r.host),
            None => r.host.clone(),
        };
        let verbose = self.verbosity > 0
            || r.result
                .get("_ansible_verbose_always")
                .and_then(Value::as_bool)
                == Some(true);
        // ansible-core's callback keeps only a debug result's `msg`, dropping `results`:
        // a failed debug loop gets a `fatal:` line of its own after its items.
        let debug_failure =
            r.status == Status::Failed && r.action == "debug" && r.result.contains_key("msg");
        if r.loop_summary && !debug_failure {
            // Items were already shown; only an all-skipped loop gets a closing line.
            if r.status == Status::Skipped {
                let mut line = format!("skipping: [{host}]");
                if self.verbosity > 0 {
                    line.push_str(&format!(" => {}", self.dump(r).unwrap_or_default()));
                }
                self.out(&self.paint(&Style::new().cyan(), &line));
            }
            // An ignored failure is said once, after the items.
            if r.ignored {
                self.out(&self.paint(&Style::new().cyan(), "...ignoring"));
            }
            return;
        }
        let item = r.item_label.as_ref();
        let (style, line) = match r.status {
            Status::Ok | Status::Changed => {
                let (word, style) = if r.status == Status::Ok {
                    ("ok", Style::new().green())
                } else {
                    ("changed", Style::new().yellow())
                };
                let mut line = format!("{word}: [{host}]");
                if let Some(item) = item {
                    line.push_str(&format!(" => (item={item})"));
                }
                if verbose {
                    line.push_str(&format!(" => {}", self.dump(r).unwrap_or_default()));
                }
                (style, line)
            }
            Status::Skipped => {
                let mut line = format!("skipping: [{host}]");
                if let Some(item) = item {
                    line.push_str(&format!(" => (item={item}) "));
                }
                if self.verbosity > 0 {
                    line.push_str(&format!(" => {}", self.dump(r).unwrap_or_default()));
                }
                (Style::new().cyan(), line)
            }
            Status::Failed => {
                let line = match item {
                    Some(item) => format!(
                        "failed: [{host}] (item={item}) => {}",
                        self.dump(r).unwrap_or_default()
                    ),
                    None => format!(
                        "fatal: [{host}]: FAILED! => {}",
                        self.dump(r).unwrap_or_default()
                    ),
                };
                (Style::new().red(), line)
            }
            Status::Unreachable => (
                Style::new().red().bright(),
                format!(
                    "fatal: [{host}]: UNREACHABLE! => {}",
                    self.dump(r).unwrap_or_default()
                ),
            ),
        };
        self.out(&self.paint(&style, &line));
        if r.ignored && item.is_none() {
            self.out(&self.paint(&Style::new().cyan(), "...ignoring"));
        }
    }

    fn colour_diff(&self, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        text.lines()
            .map(|l| {
                let style = if l.starts_with('+') {
                    Style::new().green()
                } else if l.starts_with('-') {
                    Style::new().red()
                } else if l.starts_with("@@") {
                    Style::new().cyan()
                } else {
                    return l.to_string();
                };
                self.paint(&style, l)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn recap(&self, stats: &[(String, Stats)]) {
        self.out(&self.banner("PLAY RECAP"));
        for (host, s) in stats {
            let host_style = if s.failed > 0 || s.unreachable > 0 {
                Style::new().red()
            } else if s.changed > 0 {
                Style::new().yellow()
            } else {
                Style::new().green()
            };
            let field = |name: &str, n: u32, style: Style| {
                let text = format!("{name}={n:<4}");
                if n > 0 {
                    self.paint(&style, &text)
                } else {
                    text
                }
            };
            // "%-26s : %s %s %s %s %s %s %s"; padding is applied before colouring.
            let padded = format!("{host:<26}");
            self.out(&format!(
                "{} : {} {} {} {} {} {} {}",
                self.paint(&host_style, &padded),
                field("ok", s.ok, Style::new().green()),
                field("changed", s.changed, Style::new().yellow()),
                field("unreachable", s.unreachable, Style::new().red().bright()),
                field("failed", s.failed, Style::new().red()),
                field("skipped", s.skipped, Style::new().cyan()),
                field("rescued", s.rescued, Style::new().magenta()),
                field("ignored", s.ignored, Style::new().magenta()),
            ));
        }
        self.out("");
    }
}

impl Reporter for Console {
    fn event(&mut self, event: &Event) {
        match event {
            Event::PlaybookStart { path, plays } => {
                // ansible-playbook -vv: "PLAYBOOK: file" then "N plays in path".
                if self.verbosity > 1 {
                    let base = std::path::Path::new(path)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| path.clone());
                    self.out(&self.banner(&format!("PLAYBOOK: {base}")));
                    self.out(&format!("{plays} plays in {path}"));
                }
            }
            Event::PlayStart { name } => self.out(&self.banner(&format!("PLAY [{name}]"))),
            Event::NoHostsMatched => {
                self.out(&self.paint(&Style::new().cyan(), "skipping: no hosts matched"))
            }
            Event::TaskStart { name, location } => {
                self.errors_shown.clear();
                self.out(&self.banner(&format!("TASK [{name}]")));
                self.task_path(location);
            }
            Event::HandlerStart { name, location } => {
                self.errors_shown.clear();
                self.out(&self.banner(&format!("RUNNING HANDLER [{name}]")));
                self.task_path(location);
            }
            Event::Included {
                path,
                hosts,
                item_label,
            } => {
                let mut line = format!("included: {path} for {}", hosts.join(", "));
                if let Some(item) = item_label {
                    line.push_str(&format!(" => (item={item})"));
                }
                self.out(&self.paint(&Style::new().cyan(), &line));
            }
            Event::Retry {
                host,
                task_name,
                retries_left,
            } => {
                let line = format!(
                    "FAILED - RETRYING: [{host}]: {task_name} ({retries_left} retries left)."
                );
                self.out(&self.paint(&Style::new().blue().bright(), &line));
            }
            Event::HostResult(r) => self.host_result(r),
            Event::TaskError {
                message,
                location,
                causes,
                ..
            } => {
                if self.errors_shown.insert(message.clone()) {
                    let task = Level {
                        message: "Task failed".into(),
                        at: Some(origin(location)),
                        help: None,
                    };
                    let causes = causes.iter().map(|c| Level {
                        message: c.message.clone(),
                        at: c.location.as_ref().map(origin),
                        help: c.help.clone(),
                    });
                    let report = if causes.len() == 0 {
                        report_at(message, location)
                    } else {
                        chain_report(message, std::iter::once(task).chain(causes).collect())
                    };
                    // ansible-core prints task errors on stdout (display_failed_stderr=False).
                    self.out(&format!(
                        "{}\n",
                        self.paint(&Style::new().red(), report.trim_end())
                    ));
                }
            }
            // ansible-core prints each distinct warning once per run.
            Event::Warning(msg) => {
                if self.warnings_shown.insert(msg.clone()) {
                    self.err(&format!(
                        "{}\n",
                        self.paint(&Style::new().magenta(), &format!("[WARNING]: {msg}"))
                    ))
                }
            }
            Event::Error { message, location } => {
                let report = match location {
                    Some(l) => report_at(message, l),
                    None => format!("[ERROR]: {message}"),
                };
                self.err(&format!(
                    "{}\n",
                    self.paint(&Style::new().red(), report.trim_end())
                ));
            }
            Event::Display(line) => self.out(line),
            Event::Verbose { level, text } => {
                if self.verbosity >= *level {
                    self.out(&self.paint(&Style::new().blue(), text))
                }
            }
            Event::NoMoreHosts => self.out(&self.banner("NO MORE HOSTS LEFT")),
            Event::Recap(stats) => self.recap(stats),
        }
    }
}

/// The warnings a module returned (its `warnings` list), as text; ansible-playbook
/// prints them without trailing whitespace (find's end in a newline).
pub(crate) fn warnings(result: &serde_json::Map<String, Value>) -> Vec<String> {
    match result.get("warnings") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|w| {
                w.as_str()
                    .map(|s| s.trim_end().to_string())
                    .unwrap_or_else(|| w.to_string())
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `[ERROR]: message` with the origin and excerpt of `l`.
fn report_at(message: &str, l: &drover_yaml::Location) -> String {
    let o = origin(l);
    let (line, col) = o.at.unwrap_or((1, 1));
    error_report(message, &o.path, o.text, line, col)
}

/// Where a task error points, as the snippet module shows it.
fn origin(l: &drover_yaml::Location) -> Origin<'_> {
    Origin {
        path: std::fs::canonicalize(&l.file.path).unwrap_or_else(|_| l.file.path.clone()),
        text: Some(l.file.text.as_str()),
        at: (l.pos.line > 0).then_some((l.pos.line, l.pos.col)),
    }
}
