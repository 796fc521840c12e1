//! Runs plays: the linear (or free) strategy over the play's hosts, `--forks` at a time, with
//! variables, templating, modules and connections, reporting everything as [`Event`]s.
//! No crate below this one knows about plays; this one never formats output.

mod banner;
mod compile;
mod connect;
mod defaults;
mod events;
mod free;
mod host;
mod jobs;
mod library;
mod listing;
mod magic;
mod play;
mod support;
mod tags;
mod task;
mod tree;
mod trust;
mod vars;

use std::path::PathBuf;

pub use drover_connection::{HostKeyChecking, PassphrasePrompt, Secret};
pub use events::{Cause, Event, HostResult, Reporter, Stats, Status};
pub use library::{add_library_dirs, playbook_library_dirs};
pub use listing::{list_tasks, ListedTask};
pub use support::check_supported;
pub use tags::TagFilter;
pub use tree::is_action;
pub use vars::VarMap;

/// `--step`'s question: given a task's name, whether to run it.
pub type StepPrompt = std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// `meta: refresh_inventory`: reads the run's inventory sources again.
pub type InventoryReload =
    std::sync::Arc<dyn Fn() -> Result<drover_inventory::Inventory, String> + Send + Sync>;

/// Everything the command line decides about a run.
pub struct RunOptions {
    pub forks: usize,
    pub check: bool,
    pub diff: bool,
    pub verbosity: u8,
    pub extra_vars: VarMap,
    pub limit: Option<String>,
    pub remote_user: Option<String>,
    /// `-c`: the connection type when neither the play nor the host says.
    pub connection: Option<String>,
    pub private_key: Option<PathBuf>,
    /// SSH connect timeout in seconds (`-T`).
    pub timeout: Option<u64>,
    pub r#become: bool,
    pub become_user: Option<String>,
    pub become_method: Option<String>,
    pub become_password: Option<Secret>,
    /// `None`: from `ANSIBLE_HOST_KEY_CHECKING`, else strict.
    pub host_key_checking: Option<HostKeyChecking>,
    /// Concurrent channels per SSH connection (OpenSSH's MaxSessions is 10).
    pub max_channels: usize,
    pub prompt: std::sync::Arc<dyn PassphrasePrompt>,
    /// `--tags` / `--skip-tags`.
    pub tags: TagFilter,
    /// Run notified handlers even on hosts that failed.
    pub force_handlers: bool,
    /// `--start-at-task`: tasks before the first one of this name (or glob) are skipped.
    pub start_at_task: Option<String>,
    /// `--step`: asked before each task; `false` skips it.
    pub step: Option<StepPrompt>,
    /// How to read the inventory again (`meta: refresh_inventory`); `None`: it stays.
    pub reload_inventory: Option<InventoryReload>,
}

/// How the run ended: the recap and what decides the exit code.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stats: Vec<(String, Stats)>,
    pub any_failed: bool,
    pub any_unreachable: bool,
}

impl Outcome {
    /// ansible-playbook's exit codes: 4 when a host was unreachable (wins), 2 when one failed.
    pub fn exit_code(&self) -> i32 {
        if self.any_unreachable {
            4
        } else if self.any_failed {
            2
        } else {
            0
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A role, task file or vars file could not be loaded (before anything ran).
    #[error("{0}")]
    Source(#[from] drover_yaml::SourceError),
    #[error("{0}")]
    Inventory(String),
    #[error("{0}")]
    Template(String),
    /// An error that stopped the run part-way (exit code 1, no recap).
    #[error("{0}")]
    Fatal(String),
}

/// Run the plays of every playbook, in order, and report the recap.
pub async fn run(
    playbooks: &[drover_playbook::Playbook],
    inventory: &drover_inventory::Inventory,
    opts: &RunOptions,
    reporter: &mut dyn Reporter,
) -> Result<Outcome, EngineError> {
    play::Runner::new(inventory, opts, reporter)
        .run(playbooks)
        .await
}
