//! The command line: `drover play` takes ansible-playbook's flags with their meanings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "drover",
    version,
    about = "Runs Ansible playbooks over SSH, natively and fast"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per run: size does not matter
pub enum Command {
    /// Run playbooks (what `ansible-playbook` does).
    Play(PlayArgs),
    /// Show the inventory (what `ansible-inventory` does).
    Inventory(crate::inventory_cmd::InventoryArgs),
    /// Show module documentation (what `ansible-doc` does).
    Doc(crate::doc_cmd::DocArgs),
    /// Run one module on the hosts of a pattern (what `ansible` does).
    Adhoc(AdhocArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HostKeyMode {
    /// Refuse hosts whose key is not in known_hosts.
    Yes,
    /// Record unknown keys in known_hosts; refuse changed ones.
    AcceptNew,
    /// Accept any host key (like ANSIBLE_HOST_KEY_CHECKING=False).
    No,
}

/// What `drover play` and `drover adhoc` share: inventory, connection, become, modes.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Inventory file, directory or comma-separated host list (repeatable).
    #[arg(
        short = 'i',
        long = "inventory",
        visible_alias = "inventory-file",
        value_name = "INVENTORY"
    )]
    pub inventory: Vec<String>,
    /// Limit the run to hosts matching this pattern.
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,
    /// Extra variables: key=value pairs, YAML/JSON, or @file (repeatable).
    #[arg(short = 'e', long = "extra-vars", value_name = "EXTRA_VARS")]
    pub extra_vars: Vec<String>,
    /// Number of hosts to run on at once.
    #[arg(
        short = 'f',
        long = "forks",
        default_value_t = 5,
        env = "ANSIBLE_FORKS"
    )]
    pub forks: usize,
    /// Directories of extra modules (colon-separated, repeatable).
    #[arg(short = 'M', long = "module-path", value_name = "MODULE_PATH")]
    pub module_path: Vec<String>,
    /// Connection type to use by default (ssh, local).
    #[arg(
        short = 'c',
        long = "connection",
        value_name = "CONNECTION",
        env = "ANSIBLE_TRANSPORT"
    )]
    pub connection: Option<String>,
    /// Connect as this user.
    #[arg(
        short = 'u',
        long = "user",
        value_name = "REMOTE_USER",
        env = "ANSIBLE_REMOTE_USER"
    )]
    pub user: Option<String>,
    /// Authenticate with this private key file.
    #[arg(
        long = "private-key",
        visible_alias = "key-file",
        value_name = "PRIVATE_KEY_FILE",
        env = "ANSIBLE_PRIVATE_KEY_FILE"
    )]
    pub private_key: Option<PathBuf>,
    /// Connection timeout in seconds.
    #[arg(
        short = 'T',
        long = "timeout",
        value_name = "TIMEOUT",
        env = "ANSIBLE_TIMEOUT"
    )]
    pub timeout: Option<u64>,
    /// Run operations with become (sudo).
    #[arg(short = 'b', long = "become")]
    pub r#become: bool,
    /// Become this user (default root).
    #[arg(long = "become-user", value_name = "BECOME_USER")]
    pub become_user: Option<String>,
    /// Privilege escalation method (sudo).
    #[arg(long = "become-method", value_name = "BECOME_METHOD")]
    pub become_method: Option<String>,
    /// Ask for the privilege escalation password.
    #[arg(short = 'K', long = "ask-become-pass")]
    pub ask_become_pass: bool,
    /// Read the privilege escalation password from this file.
    #[arg(
        long = "become-password-file",
        visible_alias = "become-pass-file",
        value_name = "BECOME_PASSWORD_FILE"
    )]
    pub become_password_file: Option<PathBuf>,
    /// Don't change anything; report what would change.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Show the differences in changed files.
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,
    /// More output (-v to -vvvv).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// How to treat SSH host keys (default: yes, or no when ANSIBLE_HOST_KEY_CHECKING=False).
    #[arg(long = "host-key-checking", value_enum, value_name = "MODE")]
    pub host_key_checking: Option<HostKeyMode>,
    /// Concurrent SSH channels per host (OpenSSH's MaxSessions defaults to 10).
    #[arg(long = "max-channels", default_value_t = 10, value_name = "N")]
    pub max_channels: usize,
}

#[derive(Args, Debug)]
pub struct PlayArgs {
    /// Playbook files to run, in order.
    #[arg(required = true, value_name = "PLAYBOOK")]
    pub playbooks: Vec<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Parse the playbooks and stop.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,
    /// Start the playbook at the task of this name.
    #[arg(long = "start-at-task", value_name = "START_AT_TASK")]
    pub start_at_task: Option<String>,
    /// Confirm each task before running it (on a terminal).
    #[arg(long = "step")]
    pub step: bool,
    /// List the tasks that would run, and stop.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// List the tags of the tasks, and stop.
    #[arg(long = "list-tags")]
    pub list_tags: bool,
    /// List the hosts each play would run on, and stop.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// Only run plays and tasks tagged with these tags (comma-separated, repeatable).
    #[arg(short = 't', long = "tags", value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Only run plays and tasks whose tags do not match these (comma-separated, repeatable).
    #[arg(long = "skip-tags", value_name = "SKIP_TAGS")]
    pub skip_tags: Vec<String>,
    /// Run handlers even if a task fails.
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
}

#[derive(Args, Debug)]
pub struct AdhocArgs {
    /// The hosts to run on (a host pattern).
    #[arg(value_name = "PATTERN")]
    pub pattern: String,
    #[command(flatten)]
    pub run: RunArgs,
    /// The module (or action) to run.
    #[arg(
        short = 'm',
        long = "module-name",
        default_value = "command",
        value_name = "MODULE_NAME"
    )]
    pub module_name: String,
    /// The module's options: `k=v` pairs, free text for command modules, or a JSON object.
    #[arg(
        short = 'a',
        long = "args",
        value_name = "MODULE_ARGS",
        allow_hyphen_values = true
    )]
    pub module_args: Option<String>,
    /// One line per host.
    #[arg(short = 'o', long = "one-line")]
    pub one_line: bool,
    /// Run asynchronously, failing after this many seconds.
    #[arg(short = 'B', long = "background", value_name = "SECONDS")]
    pub background: Option<u64>,
    /// Poll an asynchronous job every this many seconds (0: do not wait).
    #[arg(short = 'P', long = "poll", value_name = "POLL_INTERVAL")]
    pub poll: Option<u64>,
    /// Fail the task after this many seconds.
    #[arg(long = "task-timeout", value_name = "TASK_TIMEOUT")]
    pub task_timeout: Option<u64>,
    /// List the hosts the pattern matches, and stop.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// The directory relative paths are read from (default: the current one).
    #[arg(long = "playbook-dir", value_name = "BASEDIR")]
    pub playbook_dir: Option<PathBuf>,
}
