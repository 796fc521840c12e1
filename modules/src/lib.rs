//! Built-in modules. A module is Rust code running on the controller: it inspects the
//! host through shell commands on the host's [`Connection`], decides, and changes only
//! what differs. Nothing is shipped to the target.
//!
//! Modules never print: they return Ansible's result fields as a JSON map, and the
//! engine turns that into events.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use drover_connection::{Become, ConnError, Connection, ExecOutput};
use serde_json::{Map, Value};

mod add_host;
mod ansible_names;
mod apt;
mod args;
mod assert;
pub mod async_status;
mod authorized_key;
mod blockinfile;
mod command;
mod command_vars;
mod cron;
mod debug;
pub mod docs;
pub mod external;
mod fail;
mod fs;
mod gather_facts;
mod get_url;
mod getent;
mod git;
mod group;
mod hostname;
mod http;
pub mod include_vars;
mod lineinfile;
mod package;
mod pause;
mod ping;
mod pip;
mod pyre;
mod raw;
mod replace;
mod service;
pub mod set_fact;
mod setup;
mod setup_distro;
mod setup_facts;
mod setup_local;
mod setup_network;
pub mod shlex;
mod supervisorctl;
mod sys;
mod sysctl;
mod systemd;
mod textfile;
mod unarchive;
mod uri;
mod user;
mod user_key;
mod wait_for;
mod wait_for_connection;

pub use ansible_names::is_ansible_builtin;
pub use args::{python_type, Args};
pub use drover_template::{Delimiters, TextOptions};
pub use external::{external, find_external};

/// Which controller-side directory a module looks in for a relative source path
/// (`copy: src=`, `template: src=`, `script:`), as Ansible searches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    Files,
    Templates,
    Vars,
}

/// A module's result: Ansible's return fields (`changed`, `failed`, `msg`, `rc`, ...).
/// Keys starting with `_ansible_` are hints for the engine and reporters, never shown.
pub type ModuleResult = Map<String, Value>;

#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The host could not be reached: the engine marks it UNREACHABLE.
    #[error("{0}")]
    Unreachable(String),
    /// The task failed before producing a result (bad arguments, become refused, ...).
    #[error("{0}")]
    Failed(String),
    /// The task failed because of an error in a file it read (a template): shown with
    /// the file and, when known, the line and column in it.
    #[error("{message}")]
    FailedIn {
        message: String,
        file: std::path::PathBuf,
        /// 1-based line and column.
        at: Option<(u32, u32)>,
    },
}

impl From<ConnError> for ModuleError {
    fn from(e: ConnError) -> Self {
        match e {
            ConnError::Unreachable(m) => ModuleError::Unreachable(m),
            other => ModuleError::Failed(other.to_string()),
        }
    }
}

/// What a module may ask of the host it runs for. The engine implements it: the
/// connection is opened lazily, so controller-only modules never connect.
#[async_trait]
pub trait Target: Send + Sync {
    async fn connection(&self) -> Result<Arc<dyn Connection>, ConnError>;
    fn become_spec(&self) -> Option<&Become>;
    /// Evaluate a Jinja expression in the task's variables (`debug: var=`).
    /// `Ok(None)` means the expression is undefined.
    fn evaluate(&self, expr: &str) -> Result<Option<Value>, String>;
    /// `async` with `poll: 0`: the id under which the task's command runs detached.
    fn background_job(&self) -> Option<String> {
        None
    }
    /// Environment variables for commands on the host (`environment:` keyword).
    fn environment(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Evaluate a condition (`assert: that`) with Ansible's truthiness.
    fn condition(&self, expr: &str) -> Result<bool, String> {
        Ok(match self.evaluate(expr)? {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(o)) => !o.is_empty(),
            Some(Value::Bool(true)) => true,
        })
    }
    /// The conditionals of an `assert: that:` as written (see
    /// [`drover_template::Templar::conditions_of`]).
    fn conditions(&self, that: &Value) -> Result<Vec<drover_template::Condition>, String>;
    /// Render a template file's text with the task's variables (`template` module).
    fn render_text(
        &self,
        text: &str,
        opts: &TextOptions,
    ) -> Result<String, drover_template::TemplateError>;
    /// A controller-side source file, searched as Ansible does: the role's `files/` or
    /// `templates/` directory, then the playbook's, then the playbook directory itself.
    /// Absolute paths are returned as they are if they exist.
    fn find_file(&self, kind: SearchKind, name: &str) -> Option<PathBuf>;
    /// The directory of the playbook being run (relative controller paths start there).
    fn playbook_dir(&self) -> PathBuf;
    /// Drop the host's connection and open a fresh one (a host that rebooted).
    async fn reconnect(&self) -> Result<Arc<dyn Connection>, ConnError> {
        self.connection().await
    }
    /// A line for the operator, shown as it is in the run's output (what an action
    /// plugin prints in Ansible: `pause`'s "Pausing for N seconds").
    fn display(&self, _line: &str) {}
    /// A background job the engine runs on the controller (a module other than the
    /// command family under `poll: 0`): `None` when there is no such job,
    /// `Some(None)` while it runs, else its result.
    fn job_status(&self, _id: &str) -> Option<Option<ModuleResult>> {
        None
    }
    /// Forgets such a job (`async_status: mode=cleanup`); whether there was one.
    fn forget_job(&self, _id: &str) -> bool {
        false
    }
}

/// Everything a module gets for one run on one host.
pub struct Ctx<'a> {
    pub host: &'a str,
    pub args: Args,
    pub check_mode: bool,
    pub diff: bool,
    pub verbosity: u8,
    pub target: &'a dyn Target,
}

impl Ctx<'_> {
    /// Run a shell command line on the host, with the task's become applied.
    pub async fn exec(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, ModuleError> {
        let conn = self.target.connection().await?;
        // Exported inside the command line, so they also apply under become.
        let mut line = String::new();
        for (k, v) in &self.target.environment() {
            line.push_str(&format!("export {k}={}; ", drover_connection::quote(v)));
        }
        line.push_str(cmd);
        if let Some(jid) = self.target.background_job() {
            line = async_status::detached(&jid, &line);
        }
        Ok(conn.exec(&line, stdin, self.target.become_spec()).await?)
    }

    /// Write `data` to `dest` on the host atomically (temp file beside it, mode, rename).
    pub async fn put(&self, data: &[u8], dest: &str, mode: Option<u32>) -> Result<(), ModuleError> {
        let conn = self.target.connection().await?;
        Ok(conn
            .put(data, dest, mode, self.target.become_spec())
            .await?)
    }

    /// Read a file from the host.
    pub async fn get(&self, src: &str) -> Result<Vec<u8>, ModuleError> {
        let conn = self.target.connection().await?;
        Ok(conn.get(src, self.target.become_spec()).await?)
    }
}

#[async_trait]
pub trait Module: Send + Sync {
    /// The short name (`command`); `ansible.builtin.command` resolves to it.
    fn name(&self) -> &'static str;
    /// Runs entirely on the controller (an action plugin in Ansible's terms): it never
    /// touches the host, and its failures read "Action failed".
    fn controller_only(&self) -> bool {
        false
    }
    /// Runs once per task for the whole play (Ansible's BYPASS_HOST_LOOP), on the first
    /// host, rather than once per host.
    fn runs_once(&self) -> bool {
        false
    }
    /// Arguments the module evaluates itself (conditionals), given to it as written
    /// rather than rendered first.
    fn unrendered_args(&self) -> &'static [&'static str] {
        &[]
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError>;
}

static MODULES: &[&dyn Module] = &[
    &command::Command,
    &command::Shell,
    &raw::Raw,
    &ping::Ping,
    &debug::Debug,
    &set_fact::SetFact,
    &setup::Setup,
    &gather_facts::GatherFacts,
    &assert::Assert,
    &fail::Fail,
    &pause::Pause,
    &include_vars::IncludeVars,
    &add_host::AddHost,
    &add_host::GroupBy,
    &async_status::AsyncStatus,
    &service::Service,
    &systemd::Systemd,
    &systemd::SystemdService,
    &apt::Apt,
    &package::Package,
    &user::User,
    &group::Group,
    &getent::Getent,
    &sysctl::Sysctl,
    &hostname::Hostname,
    &cron::Cron,
    &authorized_key::AuthorizedKey,
    &git::Git,
    &pip::Pip,
    &supervisorctl::Supervisorctl,
    &fs::file::File,
    &fs::copy::Copy,
    &fs::template::Template,
    &fs::stat::Stat,
    &fs::slurp::Slurp,
    &fs::fetch::Fetch,
    &fs::tempfile::Tempfile,
    &fs::find::Find,
    &fs::script::ScriptModule,
    &lineinfile::LineInFile,
    &blockinfile::BlockInFile,
    &replace::Replace,
    &get_url::GetUrl,
    &uri::Uri,
    &wait_for::WaitFor,
    &wait_for_connection::WaitForConnection,
    &unarchive::Unarchive,
];

/// The module for a short name.
pub fn find(name: &str) -> Option<&'static dyn Module> {
    MODULES.iter().copied().find(|m| m.name() == name)
}

/// Every built-in module's short name.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|m| m.name())
}

/// A result map with `changed` set, the start of every module's answer.
/// The result of a module that has no check mode, run in check mode: skipped, with
/// ansible-core's message (`remote module (NAME) ...`, or `This action (NAME) ...` for
/// the modules ansible-core fronts with an action plugin).
pub(crate) fn no_check_mode(msg: Option<String>) -> ModuleResult {
    let mut r = result(false);
    r.insert("skipped".into(), Value::Bool(true));
    if let Some(msg) = msg {
        r.insert("msg".into(), msg.into());
    }
    r
}

pub(crate) fn result(changed: bool) -> ModuleResult {
    let mut r = Map::new();
    r.insert("changed".into(), Value::Bool(changed));
    r
}

/// Split command output into Ansible's `*_lines` form.
pub(crate) fn lines(s: &str) -> Value {
    Value::Array(s.lines().map(|l| Value::String(l.to_string())).collect())
}
