//! Everything observable about a run is one [`Event`]; reporters (console, JSON, JUnit)
//! consume the same stream. The engine never formats output.

use drover_yaml::Location;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Changed,
    Failed,
    Skipped,
    Unreachable,
}

/// One host's result for one task, or for one item of a looped task.
#[derive(Debug, Clone)]
pub struct HostResult {
    pub host: String,
    /// The module or action that produced it (`command`, `debug`, ...).
    pub action: String,
    pub status: Status,
    /// The loop item when this is one item's result; its label as shown.
    pub item_label: Option<String>,
    /// A looped task's final result (per-item results were already reported).
    pub loop_summary: bool,
    /// A failure turned into ok by `ignore_errors`.
    pub ignored: bool,
    /// The result fields (Ansible's return values), `_ansible_*` hints included.
    pub result: Map<String, Value>,
    pub delegated_to: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub ok: u32,
    pub changed: u32,
    pub unreachable: u32,
    pub failed: u32,
    pub skipped: u32,
    pub rescued: u32,
    pub ignored: u32,
}

#[derive(Debug, Clone)]
pub enum Event {
    /// A playbook file starts (its path as given, and how many plays it holds).
    PlaybookStart {
        path: String,
        plays: usize,
    },
    PlayStart {
        name: String,
    },
    /// The play's host pattern matched nothing.
    NoHostsMatched,
    TaskStart {
        name: String,
        location: Location,
    },
    /// An `until`/`retries` attempt failed and the task will run again.
    Retry {
        host: String,
        task_name: String,
        retries_left: i64,
    },
    /// A handler is about to run on the hosts that notified it.
    HandlerStart {
        name: String,
        location: Location,
    },
    /// `include_tasks` brought in a file (`include_role`: a role, by name) for these hosts.
    Included {
        path: String,
        hosts: Vec<String>,
        item_label: Option<String>,
    },
    HostResult(Box<HostResult>),
    /// A task failed for a host with an error worth a detailed report (where it was).
    TaskError {
        host: String,
        message: String,
        location: Location,
        /// What led to it, each where it is written in `location`'s file (empty for a
        /// failure the task's location explains).
        causes: Vec<Cause>,
    },
    Warning(String),
    /// An error outside a task's result (an include that could not load its file),
    /// shown on stderr as `[ERROR]:`, with where it is written when that is known.
    Error {
        message: String,
        location: Option<Location>,
    },
    /// A line a module shows the operator as it is.
    Display(String),
    /// A line shown from verbosity `level` up (`-vv` is 2).
    Verbose {
        level: u8,
        text: String,
    },
    /// Every remaining host has failed: the play stops.
    NoMoreHosts,
    Recap(Vec<(String, Stats)>),
}

pub trait Reporter: Send {
    fn event(&mut self, event: &Event);
}

/// One link of an error's "caused by" chain: a message and where the value it is
/// about is written (line 0: in that file, at no known line).
#[derive(Debug, Clone)]
pub struct Cause {
    pub message: String,
    pub location: Option<drover_yaml::Location>,
    /// A hint shown after the excerpt (what to do about it).
    pub help: Option<String>,
}

impl Cause {
    /// A cause at a position of the task's own file.
    pub fn at(
        message: String,
        task: &drover_playbook::Task,
        pos: Option<drover_yaml::Pos>,
    ) -> Cause {
        let location = pos.map(|pos| drover_yaml::Location {
            file: task.location.file.clone(),
            pos,
        });
        Cause {
            message,
            location,
            help: None,
        }
    }

    /// A cause in another file (a template), at a line and column when known; the
    /// file is read for the excerpt.
    pub fn in_file(message: String, path: std::path::PathBuf, at: Option<(u32, u32)>) -> Cause {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let (line, col) = at.unwrap_or((0, 0));
        let location = drover_yaml::Location {
            file: std::sync::Arc::new(drover_yaml::SourceFile { path, text }),
            pos: drover_yaml::Pos { line, col },
        };
        Cause {
            message,
            location: Some(location),
            help: None,
        }
    }

    /// A cause at the `index`th condition of a task keyword (`when`'s second item).
    /// Conditions and their positions are matched from the end: inherited ones come
    /// first and may have no position.
    pub fn condition(
        e: &drover_template::TemplateError,
        task: &drover_playbook::Task,
        keyword: &str,
        conditions: &[String],
        index: usize,
    ) -> Cause {
        let from_end = conditions.len().saturating_sub(index);
        let location = task.origins.keywords.get(keyword).and_then(|at| {
            let i = at.len().checked_sub(from_end)?;
            at.get(i).cloned()
        });
        let help = match e.kind {
            drover_template::TemplateErrorKind::Untrusted => Some("Templates and expressions must be defined by trusted sources such as playbooks or roles, not untrusted sources such as module results."),
            drover_template::TemplateErrorKind::BrokenConditional => Some("Broken conditionals can be temporarily allowed with the `ALLOW_BROKEN_CONDITIONALS` configuration option."),
            _ => None,
        }
        .map(str::to_string);
        Cause {
            message: crate::task::conditional_error(e),
            location,
            help,
        }
    }
}
