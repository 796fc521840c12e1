//! One task on one host: `when`, `loop`, argument templating, the module, then
//! `changed_when`/`failed_when`, `ignore_errors`, `register` and facts.

use std::sync::Arc;

use async_trait::async_trait;
use drover_connection::{Become, ConnError, Connection, Secret};
use std::path::{Path, PathBuf};

use drover_modules::{
    set_fact::FACTS_ARE_VARS, Args, Ctx, ModuleError, SearchKind, Target, TextOptions,
};
use drover_playbook::Task;
use drover_template::Templar;
use serde_json::{Map, Value};

use crate::connect::{self, parse_bool, var_string, ConnKeywords};
use crate::events::{Cause, Event, HostResult, Status};
use crate::host::HostState;
use crate::play::{PlayCtx, Runner};
use crate::vars::Scope;

/// A finished run of the module (one item, or the whole task).
#[derive(Clone)]
pub(crate) struct Done {
    pub status: Status,
    pub result: Map<String, Value>,
    /// What led to a failure, each with where in the task it is written (shown under
    /// the task's own origin, as ansible-core 2.19's "caused by" chain).
    pub causes: Vec<Cause>,
    /// The failure has been reported already (an include's load error, on stderr):
    /// no task error report follows.
    pub error_shown: bool,
}

impl Done {
    pub(crate) fn failed(msg: impl Into<String>) -> Done {
        let mut result = Map::new();
        result.insert("changed".into(), false.into());
        result.insert("failed".into(), true.into());
        result.insert("msg".into(), Value::String(msg.into()));
        Done {
            status: Status::Failed,
            result,
            causes: Vec::new(),
            error_shown: false,
        }
    }

    /// A failure whose message is its causes': "Task failed: A: B".
    pub(crate) fn failed_because(causes: Vec<Cause>) -> Done {
        let text: Vec<&str> = causes.iter().map(|c| c.message.as_str()).collect();
        let mut done = Done::failed(format!("Task failed: {}", text.join(": ")));
        done.causes = causes;
        done
    }

    fn unreachable(msg: &str) -> Done {
        let mut result = Map::new();
        result.insert("changed".into(), false.into());
        result.insert(
            "msg".into(),
            format!("Task failed: Failed to connect to the host via ssh: {msg}").into(),
        );
        result.insert("unreachable".into(), true.into());
        Done {
            status: Status::Unreachable,
            result,
            causes: Vec::new(),
            error_shown: false,
        }
    }

    fn skipped(condition: &str) -> Done {
        let mut result = Map::new();
        result.insert("changed".into(), false.into());
        result.insert("false_condition".into(), condition.into());
        result.insert("skip_reason".into(), "Conditional result was False".into());
        result.insert("skipped".into(), true.into());
        Done {
            status: Status::Skipped,
            result,
            causes: Vec::new(),
            error_shown: false,
        }
    }

    fn from_result(result: Map<String, Value>) -> Done {
        let flag = |k: &str| result.get(k).and_then(Value::as_bool).unwrap_or(false);
        let status = if flag("failed") {
            Status::Failed
        } else if flag("skipped") {
            Status::Skipped
        } else if flag("changed") {
            Status::Changed
        } else {
            Status::Ok
        };
        Done {
            status,
            result,
            causes: Vec::new(),
            error_shown: false,
        }
    }
}

/// What a module sees of its host while one task runs.
struct TaskTarget<'a, 'r> {
    runner: &'a Runner<'r>,
    /// The host whose connection the module uses: the task's host, or its delegate.
    host: &'a HostState,
    /// The variables that connection is opened with (the delegate's for delegation).
    conn_scope: &'a Scope,
    /// The task's variables, for templating.
    scope: &'a Scope,
    environment: Vec<(String, String)>,
    /// `connection: local` on the task: run on the controller whatever the host uses.
    local: bool,
    /// `async` with `poll: 0`: the job id the command runs detached under.
    background: Option<String>,
    keywords: ConnKeywords<'a>,
    /// The task's own `remote_user` (rendered), which logs in on its own connection.
    task_user: Option<String>,
    become_spec: Option<Become>,
    playbook_dir: &'a str,
    role_path: Option<&'a Path>,
}

#[async_trait]
impl Target for TaskTarget<'_, '_> {
    async fn connection(&self) -> Result<Arc<dyn Connection>, ConnError> {
        if self.local {
            return Ok(drover_connection::local());
        }
        // Held while connecting: the host's concurrent tasks wait for the one opening.
        let mut cached = self.host.connection.lock().await;
        let key = self.task_user.clone();
        if !cached.contains_key(&key) {
            let runner = self.runner;
            let mut keywords = self.keywords.clone();
            if let Some(user) = &self.task_user {
                keywords.remote_user = Some(user);
            }
            let opened = connect::open(
                &self.host.name,
                &runner.templar,
                self.conn_scope,
                &keywords,
                runner.opts,
            )
            .await;
            cached.insert(key.clone(), opened);
        }
        match cached.get(&key) {
            Some(result) => result.clone().map_err(ConnError::Unreachable),
            None => Err(ConnError::Unreachable("no connection".into())),
        }
    }

    async fn reconnect(&self) -> Result<Arc<dyn Connection>, ConnError> {
        if !self.local {
            self.host.reset_connection().await;
        }
        self.connection().await
    }

    fn become_spec(&self) -> Option<&Become> {
        self.become_spec.as_ref()
    }

    fn evaluate(&self, expr: &str) -> Result<Option<Value>, String> {
        match self.runner.templar.expression(expr, self.scope) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_undefined() => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn render_text(
        &self,
        text: &str,
        opts: &TextOptions,
    ) -> Result<String, drover_template::TemplateError> {
        render_controller_text(
            &self.runner.templar,
            self.scope,
            self.role_path,
            Path::new(self.playbook_dir),
            text,
            opts,
        )
    }

    fn find_file(&self, kind: SearchKind, name: &str) -> Option<PathBuf> {
        find_controller_file(kind, name, self.role_path, Path::new(self.playbook_dir))
    }

    fn job_status(&self, id: &str) -> Option<Option<drover_modules::ModuleResult>> {
        self.runner.jobs.status(id)
    }

    fn forget_job(&self, id: &str) -> bool {
        self.runner.jobs.forget(id)
    }

    fn playbook_dir(&self) -> PathBuf {
        PathBuf::from(self.playbook_dir)
    }

    fn display(&self, line: &str) {
        self.runner.emit(Event::Display(line.to_string()));
    }

    fn condition(&self, expr: &str) -> Result<bool, String> {
        self.runner
            .templar
            .condition(expr, self.scope)
            .map_err(|e| match e.kind {
                // A trust error is the task's, not the action's (ansible-core 2.19).
                drover_template::TemplateErrorKind::Untrusted
                | drover_template::TemplateErrorKind::BrokenConditional => {
                    format!("Task failed: {e}")
                }
                _ => e.to_string(),
            })
    }

    fn conditions(&self, that: &Value) -> Result<Vec<drover_template::Condition>, String> {
        self.runner
            .templar
            .conditions_of(that, self.scope)
            .map_err(|e| e.to_string())
    }

    fn environment(&self) -> Vec<(String, String)> {
        self.environment.clone()
    }

    fn background_job(&self) -> Option<String> {
        self.background.clone()
    }
}

/// A template file's text rendered with a task's variables: includes and imports are
/// searched as Ansible's template action searches them (the role, the playbook
/// directory, then the template's own directory).
pub(crate) fn render_controller_text(
    templar: &drover_template::Templar,
    scope: &Scope,
    role_path: Option<&Path>,
    playbook_dir: &Path,
    text: &str,
    opts: &TextOptions,
) -> Result<String, drover_template::TemplateError> {
    let mut search: Vec<PathBuf> = role_path.map(Path::to_path_buf).into_iter().collect();
    search.push(playbook_dir.to_path_buf());
    templar
        .with_search_paths(search)
        .render_text(text, scope, opts)
}

/// A controller-side source file (`copy: src=`, `template: src=`), searched as Ansible
/// does: the role's `files/`/`templates/` and the role, then the playbook's.
pub(crate) fn find_controller_file(
    kind: SearchKind,
    name: &str,
    role_path: Option<&Path>,
    playbook_dir: &Path,
) -> Option<PathBuf> {
    let path = Path::new(name);
    if path.is_absolute() {
        return path.exists().then(|| path.to_path_buf());
    }
    let sub = match kind {
        SearchKind::Files => "files",
        SearchKind::Templates => "templates",
        SearchKind::Vars => "vars",
    };
    let mut candidates = Vec::new();
    if let Some(role) = role_path {
        candidates.push(role.join(sub).join(path));
        candidates.push(role.join(path));
    }
    candidates.push(playbook_dir.join(sub).join(path));
    candidates.push(playbook_dir.join(path));
    candidates.into_iter().find(|p| p.exists())
}

/// The modules whose `poll: 0` jobs run detached on the host: their command line is
/// the job.
const DETACHED_ON_HOST: &[&str] = &["command", "shell", "raw", "script"];

/// `async: N` with `poll: 0`: started and left running.
fn is_fire_and_forget(t: &Task) -> bool {
    let num = |k: &str| {
        t.extra
            .get(k)
            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
    };
    num("async").is_some_and(|a| a > 0.0) && num("poll") == Some(0.0)
}

/// A job id like Ansible's (`j` + digits + `.` + process id).
fn job_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!(
        "j{}{}.{}",
        nanos % 1_000_000_000_000,
        N.fetch_add(1, Ordering::Relaxed),
        std::process::id()
    )
}

/// What to run: the module, its rendered arguments, and where.
struct Call<'a> {
    task: Option<&'a Task>,
    action: &'a str,
    args: Map<String, Value>,
    delegate: Option<&'a str>,
}

/// A truthy keyword value: a boolean, or a template evaluated as a condition.
fn keyword_bool(templar: &Templar, scope: &Scope, v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match parse_bool(s) {
            Some(b) => Ok(b),
            None => templar.condition(s, scope).map_err(|e| e.to_string()),
        },
        Value::Null => Ok(false),
        other => Ok(other.as_f64().is_some_and(|f| f != 0.0)),
    }
}

pub(crate) fn is_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => parse_bool(s).unwrap_or(false),
        _ => false,
    }
}

/// `omit` removes an argument.
fn strip_omit(args: Map<String, Value>) -> Map<String, Value> {
    args.into_iter()
        .filter(|(_, v)| v.as_str() != Some(Templar::OMIT))
        .collect()
}

/// The result as a registered variable: hints dropped, `failed` always present.
/// A failure for a later rescue to read as `ansible_failed_task`/`ansible_failed_result`.
pub(crate) fn remember_failure(host: &HostState, task: &Task, result: &Map<String, Value>) {
    let task_info = serde_json::json!({
        "name": task.name.clone().unwrap_or_default(),
        "action": task.action,
    });
    host.set_last_failure(task_info, registered(result));
}

pub(crate) fn registered(result: &Map<String, Value>) -> Value {
    let mut r: Map<String, Value> = result
        .iter()
        .filter(|(k, _)| !k.starts_with("_ansible_") && k.as_str() != "invocation")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // A `when` skip or an empty loop registers no `failed` key; every other result has
    // one.
    let skipped_whole = r.contains_key("skipped_reason");
    if !skipped_whole && (!r.contains_key("skip_reason") || r.contains_key("results")) {
        r.entry("failed").or_insert(Value::Bool(false));
    }
    // What a module returned is data, never a template.
    crate::trust::untrusted(Value::Object(r))
}

fn censored(result: &Map<String, Value>) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert(
        "censored".into(),
        "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
            .into(),
    );
    for k in ["changed", "failed", "skipped", "unreachable"] {
        if let Some(v) = result.get(k) {
            r.insert(k.into(), v.clone());
        }
    }
    r
}

/// How a loop item is shown: `(item=a)`; dicts and lists in Python's repr.
pub(crate) fn item_label(item: &Value) -> String {
    match item {
        Value::String(s) => s.clone(),
        other => python_repr(other),
    }
}

pub(crate) fn python_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("'{k}': {}", python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl Runner<'_> {
    fn become_for(
        &self,
        pc: &PlayCtx<'_>,
        task: Option<&Task>,
        scope: &Scope,
    ) -> Result<Option<Become>, String> {
        let t = &self.templar;
        // A templated `become` is rendered here; `{{ omit }}` leaves it to the parents.
        let templated =
            |extra: &indexmap::IndexMap<String, Value>| -> Result<Option<bool>, String> {
                let Some(v) = extra.get("become") else {
                    return Ok(None);
                };
                match t.render_value(v, scope) {
                Ok(Value::String(s)) if s == drover_template::Templar::OMIT => Ok(None),
                Ok(Value::Bool(b)) => Ok(Some(b)),
                Ok(Value::String(s)) => parse_bool(&s).map(Some).ok_or_else(|| {
                    format!("The field 'become' is supposed to be a boolean, however the value '{s}' is not one")
                }),
                Ok(Value::Number(n)) => Ok(Some(n.as_f64() != Some(0.0))),
                Ok(other) => Err(format!(
                    "The field 'become' is supposed to be a boolean, however the value {other} is not one"
                )),
                Err(e) => Err(format!("become: {e}")),
            }
            };
        let enabled = match var_string(t, scope, "ansible_become")? {
            Some(v) => parse_bool(&v).unwrap_or(false),
            None => match task.map(|t| templated(&t.extra)).transpose()?.flatten() {
                Some(b) => b,
                None => task
                    .and_then(|t| t.r#become)
                    .or(templated(&pc.play.extra)?)
                    .or(pc.play.r#become)
                    .unwrap_or(self.opts.r#become),
            },
        };
        if !enabled {
            return Ok(None);
        }
        // The keywords are templates (`become_user: "{{ app_user }}"`).
        let keyword = |v: String, name: &str| -> Result<String, String> {
            match t.render(&v, scope).map_err(|e| format!("{name}: {e}"))? {
                Value::String(s) => Ok(s),
                other => Ok(other.to_string()),
            }
        };
        let user = match var_string(t, scope, "ansible_become_user")? {
            Some(u) => u,
            None => keyword(
                task.and_then(|t| t.become_user.clone())
                    .or_else(|| pc.play.become_user.clone())
                    .or_else(|| self.opts.become_user.clone())
                    .unwrap_or_else(|| "root".into()),
                "become_user",
            )?,
        };
        let method = match var_string(t, scope, "ansible_become_method")? {
            Some(m) => m,
            None => keyword(
                task.and_then(|t| t.become_method.clone())
                    .or_else(|| pc.play.become_method.clone())
                    .or_else(|| self.opts.become_method.clone())
                    .unwrap_or_else(|| "sudo".into()),
                "become_method",
            )?,
        };
        let password = match var_string(t, scope, "ansible_become_password")?.or(var_string(
            t,
            scope,
            "ansible_become_pass",
        )?) {
            Some(p) => Some(Secret::new(p)),
            None => self.opts.become_password.clone(),
        };
        Ok(Some(Become {
            user,
            method,
            flags: var_string(t, scope, "ansible_become_flags")?,
            password,
        }))
    }

    /// Run `action` with `args` (already rendered) on `host`.
    async fn run_module(
        &self,
        pc: &PlayCtx<'_>,
        host: &HostState,
        scope: &Scope,
        call: Call<'_>,
    ) -> Done {
        let Call {
            task,
            action,
            args,
            delegate,
        } = call;
        let Some(module) = crate::library::resolve(action) else {
            if drover_modules::is_ansible_builtin(action) {
                return Done::failed(format!(
                    "drover does not implement the module 'ansible.builtin.{action}'"
                ));
            }
            let message = format!("Cannot resolve '{action}' to an action or module.");
            return match task {
                Some(t) => Done::failed_because(vec![Cause::at(message, t, t.origins.module)]),
                None => Done::failed(format!("Task failed: {message}")),
            };
        };
        let become_spec = match self.become_for(pc, task, scope) {
            Ok(b) => b,
            Err(e) => return Done::failed(e),
        };
        let delegate_state = match delegate {
            Some(d) => {
                self.admit(&[d.to_string()]);
                match self.all_hosts().get(d) {
                    Some(h) => Some(h.clone()),
                    None => return Done::failed(format!("delegate_to: unknown host '{d}'")),
                }
            }
            None => None,
        };
        let delegate_scope = delegate_state.as_ref().map(|d| self.scope(pc, d, None));
        let fire_and_forget = task.filter(|t| is_fire_and_forget(t)).map(|_| job_id());
        // The command family runs detached on the host; any other module runs as a
        // job on the controller (see jobs.rs).
        let (background, job) = match fire_and_forget {
            Some(id) if DETACHED_ON_HOST.contains(&module.name()) => (Some(id), None),
            Some(id) => match &module {
                crate::library::ModuleRef::Builtin(m) => (None, Some((id, *m))),
                crate::library::ModuleRef::External(_) => {
                    return Done::failed(format!(
                        "drover runs `poll: 0` for its own modules only, not the library module '{action}'"
                    ))
                }
            },
            None => (None, None),
        };
        let environment = match self.environment_for(pc, task, scope) {
            Ok(e) => e,
            Err(msg) => return Done::failed(msg),
        };
        let task_user = match task.and_then(|t| t.remote_user.as_deref()) {
            Some(u) => match self.templar.render(u, scope) {
                Ok(Value::String(u)) => Some(u),
                Ok(other) => Some(other.to_string()),
                Err(e) => return Done::failed(format!("remote_user: {e}")),
            },
            None => None,
        }
        .filter(|u| Some(u.as_str()) != pc.play.remote_user.as_deref());
        let target = TaskTarget {
            task_user,
            runner: self,
            host: delegate_state.as_deref().unwrap_or(host),
            conn_scope: delegate_scope.as_ref().unwrap_or(scope),
            scope,
            environment,
            local: task.and_then(|t| t.connection.as_deref()) == Some("local"),
            background: background.clone(),
            keywords: ConnKeywords {
                connection: pc.play.connection.as_deref(),
                remote_user: pc.play.remote_user.as_deref(),
                port: pc.play.port.as_ref(),
            },
            become_spec,
            playbook_dir: &pc.info.playbook_dir,
            role_path: task.and_then(|t| t.role.as_ref()).map(|r| r.path.as_path()),
        };
        let args = strip_omit(args);
        // ansible-core returns the arguments a module ran with (`-vvv` shows them).
        let invocation = (self.opts.verbosity >= 3 && !module.controller_only())
            .then(|| serde_json::json!({ "module_args": args.clone() }));
        let job_args = job.as_ref().map(|_| args.clone());
        let ctx = Ctx {
            host: &host.name,
            args: Args::new(args),
            check_mode: match task.and_then(|t| t.check_mode.as_ref()) {
                Some(v) => keyword_bool(&self.templar, scope, v).unwrap_or(self.opts.check),
                None => self.opts.check,
            },
            diff: match task.and_then(|t| t.extra.get("diff")) {
                Some(v) => keyword_bool(&self.templar, scope, v).unwrap_or(self.opts.diff),
                None => self.opts.diff,
            },
            verbosity: self.opts.verbosity,
            target: &target,
        };
        // `async` with polling and `timeout`: the task must finish within the time given.
        let limit = task.and_then(|t| {
            ["async", "timeout"]
                .iter()
                .filter_map(|k| t.extra.get(*k))
                .filter_map(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
                .filter(|s| *s > 0.0)
                .reduce(f64::min)
        });
        if let Some((id, module)) = job {
            let connection = match target.connection().await {
                Ok(c) => c,
                Err(ConnError::Unreachable(msg)) => return Done::unreachable(&msg),
                Err(e) => return Done::failed(e.to_string()),
            };
            self.jobs.spawn(crate::jobs::Job {
                id: id.clone(),
                module,
                host: host.name.clone(),
                args: job_args.unwrap_or_default(),
                check_mode: ctx.check_mode,
                diff: ctx.diff,
                verbosity: ctx.verbosity,
                limit,
                target: crate::jobs::JobTarget {
                    connection,
                    become_spec: target.become_spec.clone(),
                    templar: self.templar.clone(),
                    scope: scope.clone(),
                    environment: target.environment.clone(),
                    playbook_dir: PathBuf::from(target.playbook_dir),
                    role_path: target.role_path.map(Path::to_path_buf),
                },
            });
            return Done::from_result(drover_modules::async_status::started(&id));
        }
        let limit = if background.is_some() { None } else { limit };
        let outcome = match limit {
            Some(secs) => {
                let deadline = std::time::Duration::from_secs_f64(secs);
                match tokio::time::timeout(deadline, module.run(&ctx)).await {
                    Ok(r) => r,
                    Err(_) if task.is_some_and(|t| t.extra.contains_key("async")) => {
                        return Done::failed(format!(
                            "async task did not complete within the requested time - {secs}s"
                        ))
                    }
                    Err(_) => {
                        return Done::failed(format!(
                            "The task exceeded the timeout of {secs} seconds."
                        ))
                    }
                }
            }
            None => module.run(&ctx).await,
        };
        let mut done = match outcome {
            Ok(_) if background.is_some() => Done::from_result(
                drover_modules::async_status::started(background.as_deref().unwrap_or_default()),
            ),
            Ok(result) => Done::from_result(result),
            Err(ModuleError::Unreachable(msg)) => Done::unreachable(&msg),
            Err(ModuleError::Failed(msg)) => Done::failed(msg),
            Err(ModuleError::FailedIn { message, file, at }) => {
                Done::failed_because(vec![Cause::in_file(message, file, at)])
            }
        };
        if let Some(inv) = invocation.filter(|_| done.status != Status::Unreachable) {
            done.result.entry("invocation").or_insert(inv);
        }
        done
    }

    pub(crate) async fn gather_facts(&self, pc: &PlayCtx<'_>, host: &Arc<HostState>) {
        let scope = self.scope(pc, host, None);
        // The play's fact keywords become the module's options, templated as a task's.
        let mut given = Map::new();
        for key in ["gather_subset", "gather_timeout", "fact_path"] {
            if let Some(value) = pc.play.extra.get(key).filter(|v| !v.is_null()) {
                given.insert(key.to_string(), value.clone());
            }
        }
        crate::defaults::fill_fact_args(pc.play.extra.get("module_defaults"), &mut given);
        let mut args = Map::new();
        let mut failed = None;
        for (key, value) in given {
            match self.templar.render_value(&value, &scope) {
                Ok(v) => {
                    args.insert(key, v);
                }
                Err(e) => {
                    failed = Some(Done::failed(format!(
                        "Task failed: Finalization of task args for 'ansible.builtin.gather_facts' failed: {e}"
                    )));
                    break;
                }
            }
        }
        let done = match failed {
            Some(done) => done,
            None => {
                self.run_module(
                    pc,
                    host,
                    &scope,
                    Call {
                        task: None,
                        action: "gather_facts",
                        args,
                        delegate: None,
                    },
                )
                .await
            }
        };
        if let Some(Value::Object(facts)) = done.result.get("ansible_facts") {
            host.add_facts(facts);
        }
        self.finish(host, "gather_facts", done, false, None, &pc.play.location);
    }

    /// One item (or the whole task when it has no loop): when, args, module, conditions.
    async fn run_item(
        &self,
        pc: &PlayCtx<'_>,
        task: &Task,
        host: &HostState,
        scope: &Scope,
    ) -> Done {
        for (i, cond) in task.when.iter().enumerate() {
            match self.templar.condition(cond, scope) {
                Ok(true) => {}
                Ok(false) => return Done::skipped(cond),
                Err(e) => {
                    return Done::failed_because(vec![Cause::condition(
                        &e, task, "when", &task.when, i,
                    )])
                }
            }
        }
        let mut args = Map::new();
        // Module defaults, below a templated `args:` mapping, below the task's own.
        let mut given =
            crate::defaults::for_action(task.extra.get("module_defaults"), &task.action);
        // An action without raw params may take its whole argument mapping from one
        // template, as `args: "{{ x }}"` may (ansible-core's TaskArgsFinalizer).
        let raw_splat = match task.args.get("_raw_params") {
            Some(Value::String(raw))
                if !drover_playbook::RAW_PARAM_ACTIONS.contains(&task.action.as_str())
                    && crate::library::resolve(&task.action).is_some() =>
            {
                if !drover_playbook::is_possibly_all_template(raw) {
                    return Done::failed(format!(
                        "Task failed: Action 'ansible.builtin.{}' does not support raw params.",
                        task.action
                    ));
                }
                Some(&task.args["_raw_params"])
            }
            _ => None,
        };
        let splats = [
            ("_variable_params", task.args.get("_variable_params")),
            ("_raw_params", raw_splat),
        ];
        for (key, splat) in splats.into_iter().filter_map(|(k, v)| Some((k, v?))) {
            let reason = match self.templar.render_value(splat, scope) {
                Ok(Value::Object(m)) => {
                    given.extend(m);
                    continue;
                }
                Ok(Value::String(s)) if s == Templar::OMIT => continue,
                Ok(other) => format!(
                    "Task args must resolve to a 'dict' not '{}'.",
                    drover_modules::python_type(&other)
                ),
                Err(e) => e.to_string(),
            };
            return finalization_failed(task, reason, task.origins.args.get(key).copied());
        }
        for (k, v) in &task.args {
            if k != "_variable_params" && !(k == "_raw_params" && raw_splat.is_some()) {
                given.insert(k.clone(), v.clone());
            }
        }
        if task.action == "gather_facts" {
            crate::defaults::fill_fact_args(task.extra.get("module_defaults"), &mut given);
        }
        let unrendered =
            drover_modules::find(&task.action).map_or(&[][..], |m| m.unrendered_args());
        for (key, value) in &given {
            if unrendered.contains(&key.as_str()) {
                args.insert(key.clone(), value.clone());
                continue;
            }
            // A templated argument name (`"var_{{ idx }}": ...` for set_fact).
            let key = match drover_template::Templar::is_template(key) {
                true => match self.templar.render(key, scope) {
                    Ok(Value::String(k)) => k,
                    // A name must be a string (ansible-core's set_fact words).
                    Ok(other) => {
                        return Done::failed(format!(
                            "Task failed: Invalid variable name '{other}' of type '{}'.",
                            drover_modules::python_type(&other)
                        ))
                    }
                    Err(e) => return Done::failed(format!("Task failed: {e}")),
                },
                false => key.clone(),
            };
            match self.templar.render_value(value, scope) {
                // `debug: var` is an expression: once its template rendered, the
                // expression must come from a trusted source.
                Ok(_)
                    if task.action == "debug"
                        && key == "var"
                        && value
                            .as_str()
                            .is_some_and(crate::trust::untrusted_expression) =>
                {
                    return Done::failed(
                        "Task failed: Error while resolving `var` expression: Encountered untrusted template or expression.",
                    );
                }
                Ok(v) => {
                    args.insert(key, v);
                }
                Err(e) => {
                    return finalization_failed(
                        task,
                        format!("Error while resolving value for '{key}': {e}"),
                        task.origins.args.get(&key).copied(),
                    );
                }
            }
        }
        let delegate = match &task.delegate_to {
            Some(d) => match self.templar.render(d, scope) {
                Ok(Value::String(d)) if !d.is_empty() && d != host.name => Some(d),
                Ok(_) => None,
                Err(e) => return Done::failed(format!("delegate_to: {e}")),
            },
            None => None,
        };
        let (attempts, delay) = match self.retry_policy(task, scope) {
            Ok(p) => p,
            Err(msg) => return Done::failed(msg),
        };
        let mut attempt = 1;
        loop {
            let mut done = self
                .run_module(
                    pc,
                    host,
                    scope,
                    Call {
                        task: Some(task),
                        action: &task.action,
                        args: args.clone(),
                        delegate: delegate.as_deref(),
                    },
                )
                .await;
            // A skipped result (a module without check mode, in --check) is final.
            if matches!(done.status, Status::Unreachable | Status::Skipped) {
                return done;
            }
            if attempts > 1 {
                done.result.insert("attempts".into(), attempt.into());
            }
            // ansible-core 2.19 gives every failed result an `exception`.
            if done.status == Status::Failed {
                done.result
                    .entry("exception")
                    .or_insert_with(|| "(traceback unavailable)".into());
            }
            self.apply_conditions(task, scope, &mut done);
            if let Some(d) = &delegate {
                done.result
                    .insert("_ansible_delegated_to".into(), d.clone().into());
            }
            if attempts <= 1 {
                return done;
            }
            // Without `until`, retries repeat a failing task until it succeeds.
            let ok = if task.until.is_empty() {
                done.status != Status::Failed
            } else {
                let s = match &task.register {
                    Some(name) => scope
                        .clone()
                        .with_untrusted_var(name, registered(&done.result)),
                    None => scope.clone(),
                };
                let s = s.above_untrusted(Arc::new(
                    done.result
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ));
                let mut all = true;
                for (i, c) in task.until.iter().enumerate() {
                    match self.templar.condition(c, &s) {
                        Ok(true) => {}
                        Ok(false) => {
                            all = false;
                            break;
                        }
                        Err(e) => {
                            return Done::failed_because(vec![Cause::condition(
                                &e,
                                task,
                                "until",
                                &task.until,
                                i,
                            )])
                        }
                    }
                }
                all
            };
            if ok {
                return done;
            }
            if attempt >= attempts {
                // ansible-core reports one attempt fewer than it made once it gives up.
                done.result.insert("attempts".into(), (attempts - 1).into());
                done.result.insert("failed".into(), true.into());
                // As ansible-core's TaskResult: a `failed_when` verdict wins over `failed`.
                done.status = match done.result.get("failed_when_result") {
                    Some(Value::Bool(false))
                        if done.result.get("changed") == Some(&Value::Bool(true)) =>
                    {
                        Status::Changed
                    }
                    Some(Value::Bool(false)) => Status::Ok,
                    _ => Status::Failed,
                };
                return done;
            }
            self.emit(Event::Retry {
                host: host.name.clone(),
                task_name: crate::tree::task_name(task),
                retries_left: attempts - attempt,
            });
            tokio::time::sleep(std::time::Duration::from_secs_f64(delay)).await;
            attempt += 1;
        }
    }

    /// `environment:` of the task (blocks and roles pushed down) over the play's.
    fn environment_for(
        &self,
        pc: &PlayCtx<'_>,
        task: Option<&Task>,
        scope: &Scope,
    ) -> Result<Vec<(String, String)>, String> {
        let mut out: Vec<(String, String)> = Vec::new();
        for spec in [
            pc.play.environment.as_ref(),
            task.and_then(|t| t.environment.as_ref()),
        ]
        .into_iter()
        .flatten()
        {
            let rendered = self
                .templar
                .render_value(spec, scope)
                .map_err(|e| format!("environment: {e}"))?;
            // A list of mappings merges them in order (`[ "{{ proxy_env }}", {...} ]`).
            let parts = match rendered {
                Value::Array(items) => items,
                other => vec![other],
            };
            for part in parts {
                match part {
                    Value::Object(m) => {
                        for (k, v) in m {
                            let v = match v {
                                Value::String(s) if s == Templar::OMIT => continue,
                                Value::String(s) => s,
                                Value::Bool(true) => "True".into(),
                                Value::Bool(false) => "False".into(),
                                other => other.to_string(),
                            };
                            out.retain(|(key, _)| key != &k);
                            out.push((k, v));
                        }
                    }
                    Value::Null => {}
                    Value::String(s) if s == Templar::OMIT => {}
                    other => {
                        return Err(format!(
                            "environment must be a dictionary, got {}",
                            python_repr(&other)
                        ))
                    }
                }
            }
        }
        Ok(out)
    }

    /// Total attempts and the delay between them, as ansible-core computes them.
    fn retry_policy(&self, task: &Task, scope: &Scope) -> Result<(i64, f64), String> {
        let num = |v: &Option<Value>, what: &str| -> Result<Option<f64>, String> {
            match v {
                None => Ok(None),
                Some(v) => {
                    let v = self
                        .templar
                        .render_value(v, scope)
                        .map_err(|e| e.to_string())?;
                    v.as_f64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                        .map(Some)
                        .ok_or_else(|| format!("the field '{what}' has an invalid value, which includes an undefined variable or is not a number"))
                }
            }
        };
        let attempts = match num(&task.retries, "retries")? {
            Some(r) => 1 + r.max(0.0) as i64,
            None if !task.until.is_empty() => 4,
            None => 1,
        };
        let delay = num(&task.delay, "delay")?.unwrap_or(5.0);
        Ok((attempts, if delay < 0.0 { 1.0 } else { delay }))
    }

    /// `changed_when` and `failed_when`, evaluated with the registered name bound.
    fn apply_conditions(&self, task: &Task, scope: &Scope, done: &mut Done) {
        if done.status == Status::Skipped
            || (task.changed_when.is_empty() && task.failed_when.is_empty())
        {
            return;
        }
        let scope = match &task.register {
            Some(name) => scope
                .clone()
                .with_untrusted_var(name, registered(&done.result)),
            None => scope.clone(),
        };
        // Bare result fields are visible to the conditions, as in Ansible.
        let scope = scope.above_untrusted(Arc::new(
            done.result
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ));
        let all = |conds: &[String]| -> Result<bool, drover_template::TemplateError> {
            for c in conds {
                if !self.templar.condition(c, &scope)? {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        if !task.changed_when.is_empty() {
            match all(&task.changed_when) {
                Ok(changed) => {
                    done.result.insert("changed".into(), changed.into());
                }
                // An unusable condition fails the task but keeps the module's result.
                Err(e) => {
                    done.result
                        .insert("changed_when_result".into(), conditional_error(&e).into());
                    done.result.insert("failed".into(), true.into());
                    done.result
                        .entry("exception")
                        .or_insert_with(|| "(traceback unavailable)".into());
                    let status = Done::from_result(std::mem::take(&mut done.result));
                    *done = status;
                    return;
                }
            }
        }
        if !task.failed_when.is_empty() {
            match all(&task.failed_when) {
                Ok(failed) => {
                    done.result
                        .insert("failed_when_result".into(), failed.into());
                    done.result.insert("failed".into(), failed.into());
                    if failed {
                        done.result
                            .entry("exception")
                            .or_insert_with(|| "(traceback unavailable)".into());
                    } else if let Some(e) = done.result.remove("exception") {
                        done.result
                            .insert("failed_when_suppressed_exception".into(), e);
                    }
                }
                // An unusable condition fails the task but keeps the module's result.
                Err(e) => {
                    done.result
                        .insert("failed_when_result".into(), conditional_error(&e).into());
                    done.result.insert("failed".into(), true.into());
                    done.result
                        .entry("exception")
                        .or_insert_with(|| "(traceback unavailable)".into());
                }
            }
        }
        let status = Done::from_result(std::mem::take(&mut done.result));
        *done = status;
    }

    /// Keep a result's facts: `set_fact` variables, or gathered facts.
    fn keep_facts(&self, pc: &PlayCtx<'_>, task: &Task, host: &HostState, done: &mut Done) {
        // `delegate_facts`: the facts belong to the host the task was delegated to.
        let delegate = task
            .extra
            .get("delegate_facts")
            .filter(|v| is_true(v))
            .and_then(|_| done.result.get("_ansible_delegated_to"))
            .and_then(Value::as_str)
            .and_then(|d| self.all_hosts().get(d).cloned());
        let host: &HostState = delegate.as_deref().unwrap_or(host);
        let result = &mut done.result;
        if result.contains_key("add_host") || result.contains_key("add_group") {
            // As in ansible, the inventory says whether add_host/group_by changed it.
            match self.change_inventory(&host.name, result) {
                // `changed_when` has the last word, as on any result.
                Ok(_) if !task.changed_when.is_empty() => {}
                Ok(changed) => {
                    result.insert("changed".into(), changed.into());
                    if done.status == Status::Changed && !changed {
                        done.status = Status::Ok;
                    }
                }
                Err(e) => self.emit(Event::Warning(e)),
            }
            *pc.info.groups.lock().unwrap_or_else(|p| p.into_inner()) =
                serde_json::to_value(self.inv().groups()).unwrap_or_default();
        }
        if let Some(Value::Object(facts)) = result.get("ansible_facts") {
            let hint = |k: &str| result.get(k).and_then(Value::as_bool) == Some(true);
            if hint(FACTS_ARE_VARS) {
                for (k, v) in facts {
                    // A value written in the playbook without a template is as trusted
                    // as the playbook (ansible-core 2.19 keeps each string's origin).
                    let written = task
                        .args
                        .get(k)
                        .is_some_and(|raw| !Templar::is_template_value(raw));
                    host.set_var_trusted(k, v.clone(), written);
                }
            } else if hint(drover_modules::include_vars::INCLUDED_VARS) {
                host.include_vars(facts);
            } else {
                host.add_facts(facts);
            }
        }
    }

    pub(crate) async fn run_task_host(&self, pc: &PlayCtx<'_>, task: &Task, host: &Arc<HostState>) {
        let scope = self.scope(pc, host, Some(task));
        // A templated module name (`action: "{{ mod }} msg=hi"`) is rendered with the
        // host's variables once the task runs, as in ansible-core.
        let rendered;
        let task = match Templar::is_template(&task.action) {
            true => match self.templar.render(&task.action, &scope) {
                Ok(Value::String(name)) => {
                    let mut t = task.clone();
                    t.action = drover_playbook::canonical_action(name.trim()).to_string();
                    rendered = t;
                    &rendered
                }
                _ => task,
            },
            false => task,
        };
        let no_log = match &task.no_log {
            Some(v) => keyword_bool(&self.templar, &scope, v).unwrap_or(true),
            None => false,
        };
        let done = match &task.loop_items {
            None => {
                let mut done = self.run_item(pc, task, host, &scope).await;
                if done.status != Status::Failed {
                    self.keep_facts(pc, task, host, &mut done);
                }
                done
            }
            Some(spec) => match self.loop_items(spec, task.loop_kind.as_deref(), &scope) {
                Ok(items) => self.run_loop(pc, task, host, &scope, items, no_log).await,
                Err(msg) => self.skipped_by_when(task, &scope).unwrap_or_else(|| {
                    // The loop's own error, said as it is (no "Task failed" prefix).
                    self.emit(Event::TaskError {
                        host: host.name.clone(),
                        message: msg.clone(),
                        location: task.location.clone(),
                        causes: Vec::new(),
                    });
                    Done {
                        error_shown: true,
                        ..Done::failed(msg)
                    }
                }),
            },
        };
        let ignore = match task
            .ignore_errors
            .as_ref()
            .or(pc.play.ignore_errors.as_ref())
        {
            Some(v) if done.status == Status::Failed => {
                keyword_bool(&self.templar, &scope, v).unwrap_or(false)
            }
            _ if done.status == Status::Unreachable => {
                match task
                    .extra
                    .get("ignore_unreachable")
                    .or(pc.play.extra.get("ignore_unreachable"))
                {
                    Some(v) => keyword_bool(&self.templar, &scope, v).unwrap_or(false),
                    None => false,
                }
            }
            _ => false,
        };
        if let Some(r) = &task.role {
            if !matches!(done.status, Status::Skipped | Status::Unreachable) {
                host.role_ran(&r.key);
            }
        }
        if let Some(name) = &task.register {
            if done.status != Status::Unreachable {
                host.set_var(name, registered(&done.result));
            }
        }
        if done.status == Status::Failed && !ignore {
            remember_failure(host, task, &done.result);
        }
        let changed = done.result.get("changed").and_then(Value::as_bool) == Some(true);
        // A failed host running handlers under force_handlers notifies nothing more.
        if changed && done.status != Status::Failed && !host.is_failed() && !task.notify.is_empty()
        {
            // A templated notification may name several handlers (a list).
            let names =
                task.notify
                    .iter()
                    .flat_map(|name| match self.templar.render(name, &scope) {
                        Ok(Value::String(n)) => vec![n],
                        Ok(Value::Array(items)) => items
                            .iter()
                            .map(|i| {
                                i.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| i.to_string())
                            })
                            .collect(),
                        Ok(other) => vec![other.to_string()],
                        Err(_) => vec![name.clone()],
                    });
            for n in names.collect::<Vec<_>>() {
                if !self.has_handler(pc, host, &n) {
                    let msg = format!("The requested handler '{n}' was not found in either the main handlers list nor in the listening handlers list");
                    if crate::play::env_flag("ANSIBLE_ERROR_ON_MISSING_HANDLER", true) {
                        // ansible-core stops the run here, showing nothing of the task.
                        self.set_fatal(pc, crate::EngineError::Fatal(msg));
                        return;
                    } else {
                        self.emit(Event::Warning(msg));
                    }
                    continue;
                }
                host.notify(n);
            }
        }
        let summary = task.loop_items.is_some();
        let shown = if no_log {
            censored(&done.result)
        } else {
            done.result.clone()
        };
        self.finish(
            host,
            &task.action,
            Done {
                status: done.status,
                result: shown,
                causes: done.causes,
                error_shown: done.error_shown,
            },
            ignore,
            Some(summary),
            &task.location,
        );
    }

    /// A loop that cannot be evaluated does not matter when the task's `when`, taken
    /// without the loop, is false: the task is skipped, as in ansible-core.
    pub(crate) fn skipped_by_when(&self, task: &Task, scope: &Scope) -> Option<Done> {
        for cond in &task.when {
            match self.templar.condition(cond, scope) {
                Ok(true) => {}
                Ok(false) => return Some(Done::skipped(cond)),
                Err(_) => return None,
            }
        }
        None
    }

    /// `loop_control.loop_var`, rendered when it is a template; `item` by default.
    pub(crate) fn loop_var_name(&self, task: &Task, scope: &Scope) -> String {
        match &task.loop_var {
            Some(name) if Templar::is_template(name) => match self.templar.render(name, scope) {
                Ok(Value::String(s)) => s,
                Ok(other) => other.to_string(),
                Err(_) => name.clone(),
            },
            Some(name) => name.clone(),
            None => "item".into(),
        }
    }

    pub(crate) fn loop_items(
        &self,
        spec: &Value,
        kind: Option<&str>,
        scope: &Scope,
    ) -> Result<Vec<Value>, String> {
        let v = self
            .templar
            .render_value(spec, scope)
            .map_err(|e| e.to_string())?;
        match v {
            // `with_items` flattens one level of nested lists; `loop` and `with_list` do not.
            Value::Array(items) if kind == Some("items") => Ok(items
                .into_iter()
                .flat_map(|i| match i {
                    Value::Array(inner) => inner,
                    other => vec![other],
                })
                .collect()),
            Value::Array(items) if matches!(kind, None | Some("list")) => Ok(items),
            // Any other `with_<lookup>`: the lookup plugin turns the terms into items.
            terms if kind.is_some() => {
                let terms = match terms {
                    Value::Array(t) => t,
                    other => vec![other],
                };
                let plugin = kind.unwrap_or("items");
                self.templar
                    .query(plugin, &terms, &Map::new(), scope)
                    .map_err(|e| e.to_string())
            }
            other => Err(format!(
                "Invalid data passed to 'loop', it requires a list, got this instead: {}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.",
                python_repr(&other)
            )),
        }
    }

    async fn run_loop(
        &self,
        pc: &PlayCtx<'_>,
        task: &Task,
        host: &Arc<HostState>,
        scope: &Scope,
        items: Vec<Value>,
        no_log: bool,
    ) -> Done {
        let loop_var = self.loop_var_name(task, scope);
        let control = LoopControl::from(task.loop_control.as_ref());
        let mut results = Vec::new();
        let (mut changed, mut failed, mut all_skipped) = (false, false, true);
        let total = items.len();
        let trusted = task
            .loop_items
            .as_ref()
            .is_some_and(|spec| crate::trust::loop_trusted(spec, task.loop_kind.as_deref(), scope));
        for (index, item) in items.iter().enumerate() {
            if index > 0 && control.pause > 0.0 {
                tokio::time::sleep(std::time::Duration::from_secs_f64(control.pause)).await;
            }
            let item = item.clone();
            // A later item sees what earlier ones set (set_fact, include_vars).
            let base = if index == 0 {
                scope.clone()
            } else {
                self.scope(pc, host, Some(task))
            };
            let base = base.with_var("ansible_loop_var", loop_var.clone().into());
            let mut item_scope = match trusted {
                true => base.with_var(&loop_var, item.clone()),
                false => base.with_untrusted_var(&loop_var, item.clone()),
            };
            if let Some(iv) = &control.index_var {
                item_scope = item_scope
                    .with_var(iv, index.into())
                    .with_var("ansible_index_var", iv.clone().into());
            }
            let extended = control
                .extended
                .then(|| loop_info(&items, index, total, control.extended_allitems));
            if let Some(info) = &extended {
                item_scope = item_scope.with_var("ansible_loop", info.clone());
            }
            let mut done = self.run_item(pc, task, host, &item_scope).await;
            if done.status == Status::Unreachable {
                return done;
            }
            done.result.insert(loop_var.clone(), item.clone());
            done.result
                .insert("ansible_loop_var".into(), loop_var.clone().into());
            if let Some(iv) = &control.index_var {
                done.result.insert(iv.clone(), index.into());
                done.result
                    .insert("ansible_index_var".into(), iv.clone().into());
            }
            if let Some(info) = extended {
                done.result.insert("ansible_loop".into(), info);
            }
            self.keep_facts(pc, task, host, &mut done);
            // A failed item that changed something still makes the loop changed.
            changed |= done.status == Status::Changed
                || done.result.get("changed").and_then(Value::as_bool) == Some(true);
            failed |= done.status == Status::Failed;
            all_skipped &= done.status == Status::Skipped;
            let ignored = done.status == Status::Failed
                && task
                    .ignore_errors
                    .as_ref()
                    .is_some_and(|v| keyword_bool(&self.templar, &item_scope, v).unwrap_or(false));
            let shown = if no_log {
                censored(&done.result)
            } else {
                done.result.clone()
            };
            if done.status == Status::Failed {
                self.emit(Event::TaskError {
                    host: host.name.clone(),
                    // A no_log item's message may hold the secret: not shown.
                    message: failure_header(&task.action, &shown),
                    location: task.location.clone(),
                    causes: done.causes.clone(),
                });
            }
            self.emit(Event::HostResult(Box::new(HostResult {
                host: host.name.clone(),
                action: task.action.clone(),
                status: done.status,
                item_label: Some(match &control.label {
                    // An item of a no_log loop is not shown, whatever its label.
                    _ if no_log => "(censored due to no_log)".to_string(),
                    Some(l) => match self.templar.render(l, &item_scope) {
                        Ok(v) => item_label(&v),
                        Err(_) => l.clone(),
                    },
                    None => item_label(&item),
                }),
                loop_summary: false,
                ignored,
                delegated_to: shown
                    .get("_ansible_delegated_to")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                result: shown,
            })));
            results.push(registered(&done.result));
            if let Some(cond) = &control.break_when {
                let s = match &task.register {
                    Some(name) => item_scope
                        .clone()
                        .with_untrusted_var(name, registered(&done.result)),
                    None => item_scope.clone(),
                };
                if self.templar.condition(cond, &s).unwrap_or(false) {
                    break;
                }
            }
        }
        let mut result = Map::new();
        result.insert("changed".into(), changed.into());
        if results.is_empty() {
            // A loop over nothing is skipped as a whole, as in ansible-core.
            result.insert("skipped".into(), true.into());
            result.insert("skipped_reason".into(), "No items in the list".into());
            result.insert("results".into(), Value::Array(results));
            return Done {
                status: Status::Skipped,
                result,
                causes: Vec::new(),
                error_shown: false,
            };
        }
        result.insert("skipped".into(), all_skipped.into());
        let status = if failed {
            result.insert("failed".into(), true.into());
            result.insert("msg".into(), "One or more items failed".into());
            Status::Failed
        } else if all_skipped {
            result.insert("msg".into(), "All items skipped".into());
            Status::Skipped
        } else {
            result.insert("msg".into(), "All items completed".into());
            if changed {
                Status::Changed
            } else {
                Status::Ok
            }
        };
        result.insert("results".into(), Value::Array(results));
        Done {
            status,
            result,
            causes: Vec::new(),
            error_shown: false,
        }
    }

    /// Count, mark and report a host's final result for a task.
    pub(crate) fn finish(
        &self,
        host: &HostState,
        action: &str,
        done: Done,
        ignored: bool,
        loop_summary: Option<bool>,
        location: &drover_yaml::Location,
    ) {
        // Warnings raised while rendering the task (a lookup's) come before its result.
        for w in drover_template::take_warnings() {
            self.emit(Event::Warning(w));
        }
        let summary = loop_summary.unwrap_or(false);
        self.count(&host.name, |s| match done.status {
            Status::Ok => s.ok += 1,
            Status::Changed => {
                s.ok += 1;
                s.changed += 1
            }
            Status::Skipped => s.skipped += 1,
            Status::Unreachable if ignored => {
                s.ok += 1;
                s.ignored += 1
            }
            Status::Unreachable => s.unreachable += 1,
            Status::Failed if ignored => {
                s.ok += 1;
                s.ignored += 1;
                if done.result.get("changed").and_then(Value::as_bool) == Some(true) {
                    s.changed += 1;
                }
            }
            Status::Failed => s.failed += 1,
        });
        match done.status {
            Status::Failed if !ignored => host.mark_failed(),
            Status::Unreachable if !ignored => host.mark_unreachable(),
            _ => {}
        }
        if matches!(done.status, Status::Failed | Status::Unreachable)
            && !summary
            && !done.error_shown
        {
            self.emit(Event::TaskError {
                host: host.name.clone(),
                message: failure_header(action, &done.result),
                causes: done.causes.clone(),
                location: location.clone(),
            });
        }
        self.emit(Event::HostResult(Box::new(HostResult {
            host: host.name.clone(),
            action: action.to_string(),
            status: done.status,
            item_label: None,
            loop_summary: summary,
            ignored,
            delegated_to: done
                .result
                .get("_ansible_delegated_to")
                .and_then(Value::as_str)
                .map(str::to_string),
            result: done.result,
        })));
    }
}

/// `loop_control` options other than `loop_var`.
pub(crate) struct LoopControl {
    label: Option<String>,
    pub index_var: Option<String>,
    pause: f64,
    pub extended: bool,
    pub extended_allitems: bool,
    break_when: Option<String>,
}

impl LoopControl {
    pub(crate) fn from(v: Option<&Value>) -> Self {
        let get = |k: &str| v.and_then(|v| v.get(k));
        let text = |k: &str| {
            get(k).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        };
        let flag = |k: &str, default: bool| match get(k) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => crate::connect::parse_bool(s).unwrap_or(default),
            _ => default,
        };
        let break_when = match get("break_when") {
            Some(Value::Array(items)) => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| format!("({s})"))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" and "))
            }
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        LoopControl {
            label: text("label"),
            index_var: text("index_var"),
            pause: get("pause")
                .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
                .unwrap_or(0.0),
            extended: flag("extended", false),
            extended_allitems: flag("extended_allitems", true),
            break_when,
        }
    }
}

/// `ansible_loop` for `loop_control.extended`.
pub(crate) fn loop_info(items: &[Value], index: usize, total: usize, allitems: bool) -> Value {
    let mut m = Map::new();
    if allitems {
        m.insert("allitems".into(), Value::Array(items.to_vec()));
    }
    m.insert("index".into(), (index + 1).into());
    m.insert("index0".into(), index.into());
    m.insert("first".into(), (index == 0).into());
    m.insert("last".into(), (index + 1 == total).into());
    m.insert("length".into(), total.into());
    m.insert("revindex".into(), (total - index).into());
    m.insert("revindex0".into(), (total - index - 1).into());
    if index > 0 {
        m.insert("previtem".into(), items[index - 1].clone());
    }
    if index + 1 < total {
        m.insert("nextitem".into(), items[index + 1].clone());
    }
    Value::Object(m)
}

/// A task's arguments could not be made ready (`reason`, at `pos` in the task), in
/// ansible-core 2.19's words; like every failed result, it has an `exception`.
fn finalization_failed(task: &Task, reason: String, pos: Option<drover_yaml::Pos>) -> Done {
    let mut done = Done::failed_because(vec![
        Cause::at(
            format!(
                "Finalization of task args for 'ansible.builtin.{}' failed",
                task.action
            ),
            task,
            task.origins.action,
        ),
        Cause::at(reason, task, pos),
    ]);
    done.result
        .insert("exception".into(), "(traceback unavailable)".into());
    done
}

/// ansible-core 2.19's words for a condition that could not be evaluated (an
/// untrusted one is said as it is).
pub(crate) fn conditional_error(e: &drover_template::TemplateError) -> String {
    match e.kind {
        drover_template::TemplateErrorKind::Untrusted
        | drover_template::TemplateErrorKind::BrokenConditional => e.to_string(),
        _ => format!("Error while evaluating conditional: {e}"),
    }
}

/// The `[ERROR]` line ansible-core 2.19 prints for a failed result: the result's own
/// message, said to come from the module or from a controller action; a failure
/// without a message (a `failed_when`) is the action's.
fn failure_header(action: &str, result: &Map<String, Value>) -> String {
    let msg = result.get("msg").and_then(Value::as_str).unwrap_or("");
    // An include that could not load its file says why in `reason`, shown as it is.
    if let (true, Some(reason)) = (msg.is_empty(), result.get("reason").and_then(Value::as_str)) {
        return reason.to_string();
    }
    if msg.starts_with("Task failed") {
        return msg.to_string();
    }
    if msg.is_empty() {
        return "Task failed: Action failed.".to_string();
    }
    let kind = match crate::library::resolve(action) {
        Some(m) if m.controller_only() => "Action",
        _ => "Module",
    };
    format!("Task failed: {kind} failed: {msg}")
}
