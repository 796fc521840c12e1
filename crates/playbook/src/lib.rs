//! Playbook files -> typed plays and tasks, each with the location it came from.
//!
//! The parser accepts what ansible-core 2.19 accepts and reports what it rejects with
//! the same messages, at the file, line and column of the offending node. Keywords of
//! features the engine does not run yet are kept (`extra`) so it can refuse clearly.

use std::path::{Path, PathBuf};

use drover_yaml::Location;
use indexmap::IndexMap;
use serde_json::{Map, Value};

mod files;
mod keywords;
mod kv;
mod play;
mod role;
mod task;
mod value;

#[cfg(test)]
mod tests;

pub use drover_yaml::SourceError;
pub use files::{load_tasks_file, load_vars_file, main_file};
pub use keywords::{canonical_action, is_freeform, FREEFORM_ACTIONS, RAW_PARAM_ACTIONS};
pub use kv::{
    join_args, parse_kv, split_args, try_parse_kv, unquote, SplitError, FREEFORM_INLINE_OPTIONS,
};
pub use role::{load_role, role_search_paths, Role, RoleFiles, RoleInfo, RoleRef};
pub use task::is_possibly_all_template;

#[derive(Debug, Clone)]
pub struct Playbook {
    pub path: PathBuf,
    /// Plays in order, those of `import_playbook` entries expanded in place.
    pub plays: Vec<Play>,
    /// Non-fatal remarks Ansible would print while loading (duplicate keys, ...).
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Play {
    pub name: Option<String>,
    /// The host pattern; a YAML list is joined with ",".
    pub hosts: String,
    pub vars: IndexMap<String, Value>,
    pub gather_facts: Option<bool>,
    pub r#become: Option<bool>,
    pub become_user: Option<String>,
    pub become_method: Option<String>,
    pub connection: Option<String>,
    pub remote_user: Option<String>,
    pub port: Option<Value>,
    pub ignore_errors: Option<Value>,
    pub environment: Option<Value>,
    pub tags: Vec<String>,
    pub pre_tasks: Vec<Task>,
    pub tasks: Vec<Task>,
    pub post_tasks: Vec<Task>,
    pub handlers: Vec<Task>,
    pub roles: Vec<RoleRef>,
    pub vars_files: Vec<String>,
    /// Valid play keywords not modelled above (roles, serial, strategy, vars_files,
    /// any_errors_fatal, ...), as plain data.
    pub extra: IndexMap<String, Value>,
    pub location: Location,
}

impl Play {
    /// A play on `hosts` with every keyword unset and no tasks.
    pub fn new(hosts: String, location: Location) -> Play {
        Play {
            name: None,
            hosts,
            vars: IndexMap::new(),
            gather_facts: None,
            r#become: None,
            become_user: None,
            become_method: None,
            connection: None,
            remote_user: None,
            port: None,
            ignore_errors: None,
            environment: None,
            tags: Vec::new(),
            pre_tasks: Vec::new(),
            tasks: Vec::new(),
            post_tasks: Vec::new(),
            handlers: Vec::new(),
            roles: Vec::new(),
            vars_files: Vec::new(),
            extra: IndexMap::new(),
            location,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Task {
    pub name: Option<String>,
    /// Canonical short name (`ansible.builtin.command` -> `command`); `"block"` for a
    /// block, whose tasks are in `block`.
    pub action: String,
    /// Module arguments; free-form text is in `_raw_params`, a templated `args:`
    /// string in `_variable_params`.
    pub args: Map<String, Value>,
    /// Jinja expressions, all of which must hold; YAML booleans are "True"/"False".
    pub when: Vec<String>,
    pub register: Option<String>,
    pub ignore_errors: Option<Value>,
    /// The `loop:` value, or the value of a `with_<lookup>:` (see `loop_kind`).
    pub loop_items: Option<Value>,
    /// `None` for `loop:`, the lookup name for `with_<lookup>:` (`"items"`, `"dict"`).
    pub loop_kind: Option<String>,
    /// `loop_control.loop_var`.
    pub loop_var: Option<String>,
    /// The whole `loop_control` mapping (label, index_var, pause, extended, ...).
    pub loop_control: Option<Value>,
    pub vars: IndexMap<String, Value>,
    pub r#become: Option<bool>,
    pub become_user: Option<String>,
    pub become_method: Option<String>,
    pub changed_when: Vec<String>,
    pub failed_when: Vec<String>,
    pub until: Vec<String>,
    pub retries: Option<Value>,
    pub delay: Option<Value>,
    pub no_log: Option<Value>,
    /// `local_action` sets this to "localhost".
    pub delegate_to: Option<String>,
    pub run_once: Option<Value>,
    pub environment: Option<Value>,
    pub tags: Vec<String>,
    pub notify: Vec<String>,
    /// Handlers only: topics this handler also answers to.
    pub listen: Vec<String>,
    pub check_mode: Option<Value>,
    pub connection: Option<String>,
    pub remote_user: Option<String>,
    /// Valid task keywords not modelled above (async, poll, throttle, timeout, ...).
    pub extra: IndexMap<String, Value>,
    pub block: Option<Box<Block>>,
    /// `include_tasks`/`include_role` only: the keywords of its `apply:` (parsed as a
    /// block's), which the included tasks inherit.
    pub apply: Option<Box<Task>>,
    /// `include_tasks`/`include_role` only: the keywords its enclosing blocks, role
    /// and play give (set by the engine). The included tasks inherit these and not
    /// the include's own keywords, which apply to the include alone, as in Ansible.
    pub include_parent: Option<Box<Task>>,
    /// Parameters of the `include_tasks`/`include_role` that brought this task in
    /// (set by the engine; above set_fact in precedence, as in Ansible).
    pub include_params: IndexMap<String, Value>,
    /// The role this task belongs to (set by the engine when it loads roles).
    pub role: Option<std::sync::Arc<RoleInfo>>,
    pub location: Location,
    /// Where the action, its arguments and the keywords are written in `location`'s
    /// file, for errors that point at the value.
    pub origins: Origins,
    /// The action's name as the task writes it (`ansible.builtin.debug`), when that is
    /// not `action`: an unnamed task's banner shows it.
    pub written_action: Option<String>,
}

/// Positions inside a task, in the file of its `location`.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// The action's key (`debug:`, or `action:`/`local_action:`).
    pub action: Option<drover_yaml::Pos>,
    /// Where the module's name is written: the action's key, or the value of
    /// `action:`/`local_action:` (of its `module:` in the mapping form).
    pub module: Option<drover_yaml::Pos>,
    /// Each argument's value (an argument from a free-form string: the string).
    pub args: IndexMap<String, drover_yaml::Pos>,
    /// Each keyword's value; a list's items one by one. Inherited conditions (a
    /// block's `when`) come first, possibly from another file.
    pub keywords: IndexMap<String, Vec<Location>>,
}

/// The sections of a `block:` task; its keywords are on the enclosing `Task`.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub block: Vec<Task>,
    pub rescue: Vec<Task>,
    pub always: Vec<Task>,
}

impl Task {
    /// An empty task at `location`, for building one field by field.
    pub fn new(location: Location) -> Self {
        Self {
            name: None,
            action: String::new(),
            args: Map::new(),
            when: Vec::new(),
            register: None,
            ignore_errors: None,
            loop_items: None,
            loop_kind: None,
            loop_var: None,
            loop_control: None,
            vars: IndexMap::new(),
            r#become: None,
            become_user: None,
            become_method: None,
            changed_when: Vec::new(),
            failed_when: Vec::new(),
            until: Vec::new(),
            retries: None,
            delay: None,
            no_log: None,
            delegate_to: None,
            run_once: None,
            environment: None,
            tags: Vec::new(),
            notify: Vec::new(),
            listen: Vec::new(),
            check_mode: None,
            connection: None,
            remote_user: None,
            extra: IndexMap::new(),
            block: None,
            apply: None,
            include_parent: None,
            include_params: IndexMap::new(),
            role: None,
            location,
            origins: Origins::default(),
            written_action: None,
        }
    }
}

/// What loading a playbook needs from the layers above it for `import_playbook`.
pub trait ImportHooks {
    /// Renders a templated path as ansible-core does while it loads: `text`, the import
    /// entry's own `vars`, and the directory of the playbook that imports (ansible's
    /// `playbook_dir` at that moment). Returns the path or the error message.
    fn render(
        &self,
        text: &str,
        vars: &IndexMap<String, Value>,
        dir: &Path,
    ) -> Result<String, String>;

    /// Called before the playbook in `dir` is parsed (the top one and every import):
    /// ansible-core adds the plugin directories beside each playbook (`library/`).
    fn entering(&self, _dir: &Path) {}
}

/// Refuses templated `import_playbook` paths.
struct NoTemplating;

impl ImportHooks for NoTemplating {
    fn render(&self, _: &str, _: &IndexMap<String, Value>, _: &Path) -> Result<String, String> {
        Err("a templated import_playbook path needs variables".to_string())
    }
}

/// Load and check a playbook. `known_action(short_name)` says whether an action or
/// module exists; nothing is run when this fails. A templated `import_playbook` path
/// is an error here; [`load_playbook_with`] renders it.
pub fn load_playbook(
    path: &Path,
    known_action: &dyn Fn(&str) -> bool,
) -> Result<Playbook, SourceError> {
    play::load(path, known_action, &NoTemplating)
}

/// [`load_playbook`], with `hooks` for `import_playbook` entries.
pub fn load_playbook_with(
    path: &Path,
    known_action: &dyn Fn(&str) -> bool,
    hooks: &dyn ImportHooks,
) -> Result<Playbook, SourceError> {
    play::load(path, known_action, hooks)
}
