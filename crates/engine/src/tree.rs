//! Running the compiled tree: blocks with `rescue`/`always`, dynamic includes, `meta`,
//! and handler flushes, all in the linear strategy's lockstep over the play's hosts.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use drover_playbook::{load_role, load_tasks_file, Task};
use drover_template::Templar;
use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::compile::{
    raw_param, resolve_task_file, role_files, role_ref_from_args, Compiler, Node,
};
use crate::events::{Event, HostResult, Status};
use crate::host::HostState;
use crate::play::{PlayCtx, Runner};

type Boxed<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Hosts that included one file (or role) with one loop item.
type IncludeGroups = IndexMap<(String, Option<String>), (Vec<String>, Vec<(String, Value)>)>;

/// Actions the engine itself carries out (they steer the run rather than a host).
pub const ENGINE_ACTIONS: &[&str] = &[
    "include_tasks",
    "import_tasks",
    "include_role",
    "import_role",
    "meta",
];

/// Whether an action name exists: an engine action, a module, or a module of
/// ansible-core that drover lacks (its task fails when it runs, not at load).
pub fn is_action(name: &str) -> bool {
    ENGINE_ACTIONS.contains(&name)
        || crate::library::is_module(name)
        || drover_modules::is_ansible_builtin(name)
}

/// The banner name of a task: `role : name`, or the action when it has no name.
pub fn task_name(task: &Task) -> String {
    let base = match &task.name {
        Some(n) if !n.is_empty() => n.clone(),
        // An include_role is named after the role it includes (as written).
        _ if task.action == "include_role" => format!(
            "{} : {}",
            written_action(task),
            raw_param(task, "name").unwrap_or_default()
        ),
        _ => written_action(task).to_string(),
    };
    with_role(task, base)
}

/// The action's name as the task writes it (`ansible.builtin.debug`).
pub(crate) fn written_action(task: &Task) -> &str {
    task.written_action.as_deref().unwrap_or(&task.action)
}

/// `role : name` for a task of a role; an include_role's name stands alone.
fn with_role(task: &Task, name: String) -> String {
    match &task.role {
        Some(r) if task.action != "include_role" => format!("{} : {name}", r.name),
        _ => name,
    }
}

impl<'r> Runner<'r> {
    /// Announces a task: its banner name is templated with the variables of the
    /// first host that runs it, as ansible-playbook does.
    fn announce(&self, pc: &PlayCtx<'_>, t: &Task, hosts: &[String]) {
        let mut name = task_name(t);
        if let (Some(raw), Some(host)) = (&t.name, self.alive(hosts).first()) {
            if Templar::is_template(raw) {
                let scope = self.scope(pc, host, Some(t));
                name = with_role(t, crate::banner::render(&self.templar, raw, &scope));
            }
        }
        let location = t.location.clone();
        if pc.in_handlers.load(std::sync::atomic::Ordering::Relaxed) {
            self.emit(Event::HandlerStart { name, location });
        } else {
            self.emit(Event::TaskStart { name, location });
        }
    }

    /// Run `nodes` on `hosts` (names); hosts that fail drop out as they fail.
    pub(crate) fn run_nodes<'a>(
        &'a self,
        pc: &'a PlayCtx<'a>,
        nodes: &'a [Node],
        hosts: &'a [String],
        depth: usize,
    ) -> Boxed<'a>
    where
        'r: 'a,
    {
        Box::pin(async move {
            for (i, node) in nodes.iter().enumerate() {
                // A fatal error (a malformed included file) ends the run: nothing more
                // runs, not even rescue, always or handlers.
                if self.has_fatal() {
                    return;
                }
                let alive = self.alive(hosts);
                if alive.is_empty() {
                    // ansible-core prints "NO MORE HOSTS LEFT" only when a play is broken
                    // off (any_errors_fatal, max_fail_percentage); otherwise the play ends.
                    let _ = (i, depth);
                    return;
                }
                if let Node::Task(t) = node {
                    if !self.wanted(t) {
                        continue;
                    }
                }
                // Hosts that completed this task's role skip it, as if it were not there.
                let remaining;
                let (hosts, alive) = match node {
                    Node::Task(t) if alive.iter().any(|h| skips_role_task(h, t)) => {
                        let left: Vec<Arc<HostState>> = alive
                            .into_iter()
                            .filter(|h| !skips_role_task(h, t))
                            .collect();
                        if left.is_empty() {
                            continue;
                        }
                        remaining = left.iter().map(|h| h.name.clone()).collect::<Vec<_>>();
                        (remaining.as_slice(), left)
                    }
                    _ => (hosts, alive),
                };
                match node {
                    Node::Block {
                        block,
                        rescue,
                        always,
                        ..
                    } => {
                        self.run_block(pc, block, rescue, always, hosts, depth)
                            .await
                    }
                    Node::Task(t) => match t.action.as_str() {
                        "include_tasks" | "include_role" => {
                            self.announce(pc, t, hosts);
                            self.run_include(pc, t, hosts, depth).await
                        }
                        "meta" => self.run_meta(pc, t, hosts).await,
                        _ => {
                            self.announce(pc, t, hosts);
                            if self.run_on_hosts(pc, t, &alive).await {
                                return;
                            }
                        }
                    },
                }
            }
        })
    }

    /// A module task (or handler) on `alive`: once for `run_once` and the actions that
    /// run once per play, else on every host (`throttle` at a time). Whether the play
    /// is broken off afterwards (`any_errors_fatal`, `max_fail_percentage`).
    async fn run_on_hosts(
        &self,
        pc: &PlayCtx<'_>,
        t: &Arc<Task>,
        alive: &[Arc<HostState>],
    ) -> bool {
        let once_per_play = crate::library::resolve(&t.action).is_some_and(|m| m.runs_once());
        if once_per_play {
            // add_host and the like: once, on the first host, unshared.
            self.for_each_host(&alive[..1.min(alive.len())], |h| {
                self.run_task_host(pc, t, h)
            })
            .await;
        } else if is_true(t.run_once.as_ref()) && !pc.free {
            self.run_once(pc, t, alive).await;
        } else {
            if is_true(t.run_once.as_ref()) {
                self.emit(Event::Warning("Using run_once with the free strategy is not currently supported. This task will still be executed for every host in the inventory list.".into()));
            }
            let throttle = match self.throttle(pc, t, alive) {
                Ok(n) => n,
                Err(msg) => {
                    self.set_fatal(pc, crate::EngineError::Fatal(msg));
                    return true;
                }
            };
            self.for_each_host_throttled(alive, throttle.map(|n| n as usize), |h| {
                self.run_task_host(pc, t, h)
            })
            .await;
        }
        let fatal = is_true(t.extra.get("any_errors_fatal"));
        if pc.free && (fatal || pc.any_errors_fatal) {
            self.emit(Event::Warning("Using any_errors_fatal with the free strategy is not supported, as tasks are executed independently on each host".into()));
        }
        self.check_break_with(pc, fatal)
    }

    /// `throttle`, rendered with the first host's variables when it is a template.
    fn throttle(
        &self,
        pc: &PlayCtx<'_>,
        t: &Task,
        alive: &[Arc<HostState>],
    ) -> Result<Option<u64>, String> {
        let Some(v) = t.extra.get("throttle") else {
            return Ok(None);
        };
        let v = match (v.as_str(), alive.first()) {
            (Some(s), Some(first)) if drover_template::Templar::is_template(s) => {
                let scope = self.scope(pc, first, Some(t));
                self.templar.render(s, &scope).map_err(|e| {
                    format!("Failed to convert the throttle value to an integer: {e}")
                })?
            }
            _ => v.clone(),
        };
        match v {
            Value::Number(n) => Ok(n.as_u64()),
            Value::String(s) => s.trim().parse().map(Some).map_err(|_| {
                format!("Failed to convert the throttle value to an integer: invalid literal for int() with base 10: '{s}'")
            }),
            _ => Ok(None),
        }
    }

    /// `--start-at-task` and `--step`: whether to run this task at all.
    fn wanted(&self, t: &Task) -> bool {
        use std::sync::atomic::Ordering;
        if !self.started.load(Ordering::Relaxed) {
            let Some(start) = &self.opts.start_at_task else {
                return true;
            };
            let full = task_name(t);
            let bare = t.name.clone().unwrap_or_default();
            if glob_match(start, &full) || glob_match(start, &bare) {
                self.started.store(true, Ordering::Relaxed);
            } else {
                return false;
            }
        }
        match &self.opts.step {
            Some(ask) if t.action != "meta" => ask(&task_name(t)),
            _ => true,
        }
    }

    /// `run_once`: the first host runs the task; its registered result and facts are
    /// given to every other host of the batch, as in Ansible.
    async fn run_once(&self, pc: &PlayCtx<'_>, t: &Arc<Task>, alive: &[Arc<HostState>]) {
        let Some(first) = alive.first() else { return };
        self.run_task_host(pc, t, first).await;
        let first_vars = first.vars();
        let mut shared: Vec<(String, Value)> = Vec::new();
        if let Some(name) = &t.register {
            if let Some(v) = first_vars.get(name) {
                shared.push((name.clone(), v.clone()));
            }
        }
        if t.action == "set_fact" {
            for (k, v) in t
                .args
                .keys()
                .filter_map(|k| first_vars.get(k).map(|v| (k, v)))
            {
                shared.push((k.clone(), v.clone()));
            }
        }
        // Every live host of the batch gets them, also those outside an include that
        // only some hosts ran, as in ansible-core.
        let batch = self.alive(&pc.batch());
        for h in alive[1..].iter().chain(&batch) {
            if h.name == first.name {
                continue;
            }
            for (k, v) in &shared {
                h.set_var(k, v.clone());
            }
        }
    }

    /// `any_errors_fatal` and `max_fail_percentage`: after a task, decide whether the
    /// play is broken off for the whole batch.
    pub(crate) fn check_break(&self, pc: &PlayCtx<'_>) -> bool {
        self.check_break_with(pc, false)
    }

    fn check_break_with(&self, pc: &PlayCtx<'_>, task_fatal: bool) -> bool {
        if pc.is_broken() {
            return true;
        }
        let batch = pc.batch();
        if batch.is_empty() {
            return false;
        }
        let known = self.all_hosts();
        let failed = batch
            .iter()
            .filter(|h| {
                known
                    .get(*h)
                    .is_some_and(|s| s.is_failed() || s.is_unreachable())
            })
            .count();
        // The free strategy runs hosts independently: neither applies (ansible-core
        // warns, see `run_free`).
        if pc.free {
            return false;
        }
        let too_many = match pc.max_fail_percentage {
            Some(pct) => failed as f64 / batch.len() as f64 > pct / 100.0,
            None => false,
        };
        if failed == 0 {
            return false;
        }
        if pc.any_errors_fatal || task_fatal || too_many {
            // Every host of the batch fails with it (uncounted in the recap, as in
            // Ansible); enclosing `rescue`/`always` sections still run.
            for h in &batch {
                if let Some(s) = known.get(h) {
                    if !s.is_unreachable() && !s.is_failed() {
                        s.sweep();
                    }
                }
            }
        }
        if too_many {
            pc.set_broken();
            // ansible-core's linear strategy announces it twice: for the failure
            // percentage, then because no host is left.
            self.emit(Event::NoMoreHosts);
            self.emit(Event::NoMoreHosts);
            return true;
        }
        false
    }

    async fn run_block(
        &self,
        pc: &PlayCtx<'_>,
        block: &[Node],
        rescue: &[Node],
        always: &[Node],
        hosts: &[String],
        depth: usize,
    ) {
        let known = self.all_hosts();
        let entered: Vec<String> = self.alive(hosts).iter().map(|h| h.name.clone()).collect();
        self.run_nodes(pc, block, &entered, depth + 1).await;
        let failed: Vec<String> = entered
            .iter()
            .filter(|h| {
                known
                    .get(*h)
                    .is_some_and(|s| s.is_failed() && !s.is_unreachable())
            })
            .cloned()
            .collect();
        if !rescue.is_empty() && !failed.is_empty() {
            for h in &failed {
                let Some(s) = known.get(h) else { continue };
                s.clear_failed();
                // A rescued failure is counted as rescued, not failed, as in Ansible (a
                // host failed by any_errors_fatal was counted as neither).
                if !s.is_swept() {
                    self.count(h, |st| {
                        st.failed = st.failed.saturating_sub(1);
                        st.rescued += 1;
                    });
                }
                if let Some((task, result)) = s.last_failure() {
                    s.set_var("ansible_failed_task", task);
                    s.set_var("ansible_failed_result", result);
                }
            }
            self.run_nodes(pc, rescue, &failed, depth + 1).await;
        }
        if !always.is_empty() {
            // `always` runs for every host that entered the block, failed or not; a host
            // that was failing stays failed afterwards.
            let still_failed: Vec<String> = entered
                .iter()
                .filter(|h| {
                    known
                        .get(*h)
                        .is_some_and(|s| s.is_failed() && !s.is_unreachable())
                })
                .cloned()
                .collect();
            let mut cleared = Vec::new();
            for h in &still_failed {
                if let Some(s) = known.get(h) {
                    s.clear_failed();
                    cleared.push(s.errors_cleared());
                }
            }
            self.run_nodes(pc, always, &entered, depth + 1).await;
            for (h, before) in still_failed.iter().zip(cleared) {
                if let Some(s) = known.get(h) {
                    // Unless `meta: clear_host_errors` ran in the meantime.
                    if s.errors_cleared() == before {
                        s.mark_failed();
                    }
                }
            }
        }
    }

    /// `include_tasks` / `include_role`: decided per host, then each distinct file runs
    /// on the hosts that included it.
    async fn run_include(&self, pc: &PlayCtx<'_>, t: &Arc<Task>, hosts: &[String], depth: usize) {
        let is_role = t.action == "include_role";
        // (file or role name, item) -> hosts, in first-seen order.
        let mut groups: IncludeGroups = IndexMap::new();
        // `run_once` on an include: only the first host includes (and runs) the file.
        let mut alive = self.alive(hosts);
        if is_true(t.run_once.as_ref()) {
            alive.truncate(1);
        }
        for host in alive {
            let scope = self.scope(pc, &host, Some(t));
            let items: Vec<Option<Value>> = match &t.loop_items {
                None => vec![None],
                Some(spec) => match self.loop_items(spec, t.loop_kind.as_deref(), &scope) {
                    Ok(items) => items.into_iter().map(Some).collect(),
                    Err(msg) => {
                        let done = self
                            .skipped_by_when(t, &scope)
                            .unwrap_or_else(|| crate::task::Done::failed(msg));
                        self.end_host_task(&host, t, done);
                        continue;
                    }
                },
            };
            let loop_var = self.loop_var_name(t, &scope);
            // The included tasks get the item as a variable of theirs; one from an
            // untrusted source is marked so, string by string.
            let trusted = t.loop_items.as_ref().is_none_or(|spec| {
                crate::trust::loop_trusted(spec, t.loop_kind.as_deref(), &scope)
            });
            let control = crate::task::LoopControl::from(t.loop_control.as_ref());
            let all_items: Vec<Value> = items.iter().flatten().cloned().collect();
            let mut any = false;
            for (index, item) in items.into_iter().enumerate() {
                // The item and its loop_control variables, given to the included tasks.
                let mut item_vars: Vec<(String, Value)> = Vec::new();
                if let Some(i) = &item {
                    let value = match trusted {
                        true => i.clone(),
                        false => crate::trust::untrusted_strings(i.clone()),
                    };
                    item_vars.push((loop_var.clone(), value));
                    item_vars.push(("ansible_loop_var".into(), loop_var.clone().into()));
                    if let Some(iv) = &control.index_var {
                        item_vars.push((iv.clone(), index.into()));
                        item_vars.push(("ansible_index_var".into(), iv.clone().into()));
                    }
                    if control.extended {
                        let info = crate::task::loop_info(
                            &all_items,
                            index,
                            all_items.len(),
                            control.extended_allitems,
                        );
                        item_vars.push(("ansible_loop".into(), info));
                    }
                }
                let mut scope = scope.clone();
                for (k, v) in &item_vars {
                    scope = scope.with_var(k, v.clone());
                }
                match self.conditions_hold(t, &scope) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(done) => {
                        self.end_host_task(&host, t, done);
                        any = true;
                        break;
                    }
                }
                let key = if is_role { "name" } else { "file" };
                let target = match raw_param(t, key).map(|n| self.templar.render(&n, &scope)) {
                    Some(Ok(Value::String(s))) => s,
                    Some(Ok(other)) => other.to_string(),
                    Some(Err(e)) => {
                        self.fail_host(&host, t, e.to_string());
                        any = true;
                        break;
                    }
                    None => {
                        self.fail_host(&host, t, format!("No file specified for {}", t.action));
                        any = true;
                        break;
                    }
                };
                let target = if is_role {
                    target
                } else {
                    let p =
                        resolve_task_file(&target, t, std::path::Path::new(&pc.info.playbook_dir));
                    std::fs::canonicalize(&p).unwrap_or(p).display().to_string()
                };
                let label = item.as_ref().map(crate::task::item_label);
                let entry = groups
                    .entry((target, label))
                    .or_insert_with(|| (Vec::new(), item_vars.clone()));
                entry.0.push(host.name.clone());
                any = true;
            }
            if !any {
                self.report(&host, t, Status::Skipped, skipped_result());
            }
        }
        // Every included file is loaded (and announced) before any of them runs, as in
        // Ansible; one that cannot be loaded is not announced.
        let mut loaded = Vec::new();
        for ((target, label), (group, item)) in groups {
            // The included tasks inherit from the include's parents (and its `apply:`),
            // not the include's own keywords, as in Ansible.
            let mut parent = match &t.include_parent {
                Some(p) => (**p).clone(),
                None => Task::new(t.location.clone()),
            };
            if let Some(apply) = &t.apply {
                let mut holder = (**apply).clone();
                crate::compile::inherit(&parent, &mut holder);
                parent = holder;
            }
            parent.name = None;
            parent.role = t.role.clone();
            parent.include_params = t.include_params.clone();
            // The include's `vars:` are "include params" for the included tasks: they
            // rank above set_fact, as in Ansible.
            for (k, v) in &t.vars {
                parent.include_params.insert(k.clone(), v.clone());
            }
            for (var, value) in item {
                parent.vars.insert(var, value);
            }
            // Include parameters become variables of the included tasks, ranking above
            // set_fact (Ansible's "include params").
            for (k, v) in &t.args {
                if !matches!(
                    k.as_str(),
                    "_raw_params"
                        | "file"
                        | "name"
                        | "apply"
                        | "tasks_from"
                        | "vars_from"
                        | "defaults_from"
                        | "handlers_from"
                        | "public"
                        | "allow_duplicates"
                ) {
                    parent.include_params.insert(k.clone(), v.clone());
                }
            }
            let known = crate::tree::is_action;
            let mut compiler =
                Compiler::new(pc.info.playbook_dir.clone().into(), &known, &self.opts.tags);
            let nodes = if is_role {
                let r = match role_ref_from_args(t) {
                    Ok(mut r) => {
                        r.name = target.clone();
                        r
                    }
                    Err(e) => {
                        self.fail_hosts(&group, t, e.message.clone());
                        continue;
                    }
                };
                compiler.seen_roles = pc
                    .seen_roles
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                let dups = crate::compile::include_allows_duplicates(t);
                let rendered = self.render_from_args(pc, t, &group);
                let files = role_files(&rendered);
                let public = crate::compile::role_is_public(rendered.args.get("public"), false);
                let nodes = compiler.role(&r, &files, Some(&parent), Some(dups), public, depth + 1);
                let (vars, defaults) = compiler.take_public_vars();
                pc.publish_role_vars(vars, defaults);
                *pc.seen_roles.lock().unwrap_or_else(|p| p.into_inner()) =
                    compiler.seen_roles.clone();
                pc.add_handlers(std::mem::take(&mut compiler.role_handlers));
                nodes
            } else {
                let as_handlers = pc.in_handlers.load(std::sync::atomic::Ordering::Relaxed);
                load_tasks_file(std::path::Path::new(&target), &known).and_then(|tasks| {
                    if as_handlers {
                        tasks.iter().try_for_each(crate::compile::check_handler)?;
                    }
                    compiler.tasks(&tasks, Some(&parent), depth + 1)
                })
            };
            match nodes {
                Ok(nodes) => {
                    self.announce_include(t, &target, &label, &group);
                    loaded.push((group, nodes));
                }
                Err(e) if e.missing => self.include_unloadable(&group, t, e),
                Err(e) => {
                    // A malformed file ends the run before anything included runs.
                    self.set_fatal(pc, crate::EngineError::Source(e));
                    return;
                }
            }
        }
        // A host whose include failed counts as any failed task does
        // (`any_errors_fatal`, `max_fail_percentage`), before anything included runs.
        if self.check_break_with(pc, is_true(t.extra.get("any_errors_fatal"))) {
            return;
        }
        for (group, nodes) in loaded {
            self.run_nodes(pc, &nodes, &group, depth + 1).await;
        }
        let _ = load_role;
    }

    /// An include_role with its `*_from` arguments rendered (for the first host of
    /// the group that includes it).
    fn render_from_args(&self, pc: &PlayCtx<'_>, t: &Task, group: &[String]) -> Task {
        let mut t = t.clone();
        let Some(host) = group.first().and_then(|h| self.all_hosts().get(h).cloned()) else {
            return t;
        };
        let scope = self.scope(pc, &host, Some(&t));
        for k in [
            "tasks_from",
            "vars_from",
            "defaults_from",
            "handlers_from",
            "public",
        ] {
            if let Some(Value::String(v)) = t.args.get(k) {
                match self.templar.render(v, &scope) {
                    // `{{ omit }}` leaves the option unset (the role's default file).
                    Ok(Value::String(r)) if r == drover_template::Templar::OMIT => {
                        t.args.shift_remove(k);
                    }
                    Ok(Value::String(r)) => {
                        t.args.insert(k.into(), Value::String(r));
                    }
                    Ok(other) if k == "public" => {
                        t.args.insert(k.into(), other);
                    }
                    _ => {}
                }
            }
        }
        t
    }

    /// Whether a task's `when` holds; a condition that cannot be evaluated fails it.
    fn conditions_hold(
        &self,
        t: &Task,
        scope: &crate::vars::Scope,
    ) -> Result<bool, crate::task::Done> {
        for (i, c) in t.when.iter().enumerate() {
            match self.templar.condition(c, scope) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => {
                    return Err(crate::task::Done::failed_because(vec![
                        crate::events::Cause::condition(&e, t, "when", &t.when, i),
                    ]))
                }
            }
        }
        Ok(true)
    }

    fn report(&self, host: &HostState, t: &Task, status: Status, result: Map<String, Value>) {
        self.finish(
            host,
            &t.action,
            crate::task::Done {
                status,
                result,
                causes: Vec::new(),
                error_shown: false,
            },
            false,
            None,
            &t.location,
        );
    }

    /// A meta task skipped by its `when`: shown, but not counted (as in ansible-core).
    fn meta_skipped(&self, host: &HostState, t: &Task, reason: String) {
        let action = raw_param(t, "_raw_params").unwrap_or_default();
        let msg = match action.trim() {
            "end_host" => format!(
                "end_host conditional evaluated to false, continuing execution for {}",
                host.name
            ),
            other => other.to_string(),
        };
        if !crate::compile::is_role_end(t) {
            self.emit(Event::Verbose {
                level: 2,
                text: format!("META: {reason}"),
            });
        }
        let mut result = Map::new();
        result.insert("msg".into(), msg.into());
        result.insert("skipped".into(), true.into());
        result.insert("skip_reason".into(), reason.into());
        self.report(host, t, Status::Skipped, result);
        self.count(&host.name, |s| s.skipped = s.skipped.saturating_sub(1));
    }

    fn fail_host(&self, host: &HostState, t: &Task, msg: String) {
        self.end_host_task(host, t, crate::task::Done::failed(msg));
    }

    /// An include or meta task ended for a host before running anything (failed, or
    /// skipped): counted, registered and ignored (`ignore_errors`) like any task's.
    fn end_host_task(&self, host: &HostState, t: &Task, done: crate::task::Done) {
        let failed = done.status == Status::Failed;
        let ignored = failed && is_true(t.ignore_errors.as_ref());
        if let Some(name) = &t.register {
            host.set_var(name, crate::task::registered(&done.result));
        }
        if failed && !ignored {
            crate::task::remember_failure(host, t, &done.result);
        }
        self.finish(host, &t.action, done, ignored, None, &t.location);
    }

    /// `included: FILE for HOSTS`, counted as ok for each host.
    fn announce_include(&self, t: &Task, target: &str, label: &Option<String>, group: &[String]) {
        // ansible-core censors the label of an include with no_log, loop or not.
        let censored = is_true(t.no_log.as_ref()).then(|| "(censored due to no_log)".into());
        self.emit(Event::Included {
            path: target.to_string(),
            hosts: group.to_vec(),
            item_label: censored.or_else(|| label.clone()),
        });
        for h in group {
            self.count(h, |s| s.ok += 1);
            if let (Some(r), Some(state)) = (&t.role, self.all_hosts().get(h)) {
                state.role_ran(&r.key);
            }
        }
    }

    /// An include whose file (or role) is not there fails its hosts, with `reason`
    /// and whatever `ignore_errors` says, as in ansible-core.
    fn include_unloadable(&self, hosts: &[String], t: &Task, e: drover_yaml::SourceError) {
        // ansible-core points at a role's name; a missing task file it names alone.
        let location = match t.action.as_str() {
            "include_role" => t.origins.args.get("name").map(|pos| drover_yaml::Location {
                file: t.location.file.clone(),
                pos: *pos,
            }),
            _ => None,
        };
        self.emit(Event::Error {
            message: e.message.clone(),
            location,
        });
        let mut done = crate::task::Done::failed(String::new());
        done.error_shown = true;
        done.result.shift_remove("msg");
        if let Some(file) = raw_param(t, "file").filter(|_| t.action != "include_role") {
            done.result.insert("include".into(), file.into());
        }
        done.result
            .insert("reason".into(), e.message.clone().into());
        let known = self.all_hosts();
        for h in hosts {
            if let Some(host) = known.get(h) {
                crate::task::remember_failure(host, t, &done.result);
                self.finish(host, &t.action, done.clone(), false, None, &t.location);
            }
        }
    }

    fn fail_hosts(&self, hosts: &[String], t: &Task, msg: String) {
        let known = self.all_hosts();
        for h in hosts {
            if let Some(s) = known.get(h) {
                self.fail_host(s, t, msg.clone());
            }
        }
    }

    async fn run_meta(&self, pc: &PlayCtx<'_>, t: &Arc<Task>, hosts: &[String]) {
        let what = raw_param(t, "_raw_params").unwrap_or_default();
        let alive = self.alive(hosts);
        let meta_line = |msg: String| {
            // ansible-playbook -vv shows what a meta task did (not an implicit one's).
            if !crate::compile::is_role_end(t) {
                self.emit(Event::Verbose {
                    level: 2,
                    text: format!("META: {msg}"),
                });
            }
        };
        // A meta task written in the playbook gets a banner, as in ansible-core: one
        // per host for those that run per host, one for those that run once.
        let banner_for = |names: &[String]| {
            if !crate::compile::is_role_end(t) {
                self.announce(pc, t, names);
            }
        };
        let banner_once = || banner_for(hosts);
        let banner_per_host = |h: &HostState| banner_for(std::slice::from_ref(&h.name));
        // A few meta actions ignore `when`, and say so.
        let when_unsupported = || {
            if !t.when.is_empty() {
                self.emit(Event::Warning(format!(
                    "{} task does not support when conditional",
                    what.trim()
                )));
            }
        };
        match what.trim() {
            "noop" => {
                for h in &alive {
                    banner_per_host(h);
                    when_unsupported();
                    meta_line("noop".into());
                }
            }
            "refresh_inventory" => {
                banner_once();
                when_unsupported();
                match self.refresh_inventory() {
                    Ok(()) => {
                        *pc.info.groups.lock().unwrap_or_else(|p| p.into_inner()) =
                            serde_json::to_value(self.inv().groups()).unwrap_or_default();
                        meta_line("inventory successfully refreshed".into())
                    }
                    Err(e) => self.set_fatal(pc, crate::EngineError::Inventory(e)),
                }
            }
            "flush_handlers" => {
                // A false `when` skips the flush for that host (shown as a skipped task).
                let mut not_flushing = Vec::new();
                for h in &alive {
                    banner_per_host(h);
                    let scope = self.scope(pc, h, Some(t));
                    match self.conditions_hold(t, &scope) {
                        Ok(true) => meta_line(format!("triggered running handlers for {}", h.name)),
                        outcome => {
                            not_flushing.push(h.name.clone());
                            match outcome {
                                Err(done) => self.end_host_task(h, t, done),
                                _ => self.meta_skipped(h, t, format!("flush_handlers conditional evaluated to False, not running handlers for {}", h.name)),
                            }
                        }
                    }
                }
                // Failed hosts stay in: force_handlers may still run their handlers.
                let flushing: Vec<String> = hosts
                    .iter()
                    .filter(|h| !not_flushing.contains(h))
                    .cloned()
                    .collect();
                self.flush_handlers(pc, &flushing).await
            }
            crate::compile::ROLE_COMPLETE if crate::compile::is_role_end(t) => {
                if let Some(r) = &t.role {
                    for h in &alive {
                        h.role_complete(&r.key);
                    }
                }
            }
            "reset_connection" => {
                for h in &alive {
                    banner_per_host(h);
                    when_unsupported();
                    meta_line("reset connection".into());
                    h.reset_connection().await;
                }
            }
            "clear_host_errors" => {
                // It runs once, its condition evaluated for the first host.
                banner_once();
                if let Some(h) = alive.first() {
                    let scope = self.scope(pc, h, Some(t));
                    match self.conditions_hold(t, &scope) {
                        Ok(true) => {}
                        outcome => {
                            match outcome {
                                Err(done) => self.end_host_task(h, t, done),
                                _ => self.meta_skipped(
                                    h,
                                    t,
                                    format!("clear_host_errors conditional evaluated to False, not clearing host error state for {}", h.name),
                                ),
                            }
                            return;
                        }
                    }
                }
                meta_line("cleared host errors".into());
                let known = self.all_hosts();
                for h in hosts {
                    if let Some(s) = known.get(h) {
                        s.clear_errors();
                    }
                }
            }
            "end_play" | "end_batch" => {
                // Once for the batch, its condition evaluated for the first host.
                let Some(first) = alive.first() else {
                    return;
                };
                banner_once();
                let scope = self.scope(pc, first, Some(t));
                match self.conditions_hold(t, &scope) {
                    Ok(true) => {}
                    Ok(false) => {
                        let what = what.trim();
                        let goes_on = match what {
                            "end_play" => "continuing play",
                            _ => "continuing current batch",
                        };
                        return self.meta_skipped(
                            first,
                            t,
                            format!("{what} conditional evaluated to False, {goes_on}"),
                        );
                    }
                    Err(done) => return self.end_host_task(first, t, done),
                }
                meta_line(format!("ending {}", &what.trim()[4..]));
                for h in &alive {
                    h.set_ended(true);
                }
                if what.trim() == "end_play" {
                    pc.end_play();
                }
            }
            "end_role" if t.role.is_none() => {
                for h in &alive {
                    self.fail_host(
                        h,
                        t,
                        "Cannot execute 'end_role' from outside of a role".into(),
                    );
                }
            }
            "clear_facts" => {
                // Once, its condition evaluated for the first host, for every host.
                banner_once();
                let Some(first) = alive.first() else {
                    return;
                };
                let scope = self.scope(pc, first, Some(t));
                match self.conditions_hold(t, &scope) {
                    Ok(true) => {
                        meta_line("facts cleared".into());
                        alive.iter().for_each(|h| h.clear_facts())
                    }
                    Ok(false) => self.meta_skipped(
                        first,
                        t,
                        format!(
                            "clear_facts conditional evaluated to False, not clearing facts and fact cache for {}",
                            first.name
                        ),
                    ),
                    Err(done) => self.end_host_task(first, t, done),
                }
            }
            "end_role" | "end_host" => {
                for h in &alive {
                    banner_per_host(h);
                    let scope = self.scope(pc, h, Some(t));
                    match self.conditions_hold(t, &scope) {
                        Ok(true) if what.trim() == "end_host" => {
                            meta_line(format!("ending play for {}", h.name));
                            h.set_ended(true)
                        }
                        Ok(true) => {
                            if let Some(r) = &t.role {
                                meta_line(format!("ending role {} for {}", r.name, h.name));
                                h.end_role(&r.key);
                            }
                        }
                        Ok(false) => {
                            // (ansible-core words them so, comma and all.)
                            let reason = match (what.trim(), &t.role) {
                                ("end_host", _) => format!("end_host conditional evaluated to False, continuing execution for {}", h.name),
                                (_, Some(r)) => format!("end_role conditional evaluated to Falsecontinuing role {} for {}", r.name, h.name),
                                _ => "end_role conditional evaluated to False".into(),
                            };
                            self.meta_skipped(h, t, reason)
                        }
                        Err(done) => self.end_host_task(h, t, done),
                    }
                }
            }
            other => {
                banner_once();
                for h in &alive {
                    self.fail_host(h, t, format!("invalid meta action requested: {other}"));
                }
            }
        }
    }

    /// Run every notified handler, in the order handlers are defined, on the hosts that
    /// notified it.
    pub(crate) async fn flush_handlers(&self, pc: &PlayCtx<'_>, hosts: &[String]) {
        let known = self.all_hosts();
        // The play's `force_handlers` wins over the command line's, either way.
        let force = match pc.play.extra.get("force_handlers") {
            Some(v) if !v.is_null() => is_true(Some(v)),
            _ => self.opts.force_handlers,
        };
        let mut i = 0;
        while let Some(handler) = pc.handler(i) {
            i += 1;
            // A handler's name may be templated (`restart {{ service_name }}`): it is
            // rendered per host, in the handler's own scope (role params included).
            let mut shown = None;
            let mut states: Vec<Arc<HostState>> = Vec::new();
            for state in hosts.iter().filter_map(|h| known.get(h)) {
                // Notifications made so far (by earlier handlers too) reach every
                // handler they name; a handler before this one waits for the next flush.
                self.match_notifications(pc, state);
                if state.is_unreachable() || (state.is_failed() && !force) {
                    continue;
                }
                if state.take_pending_handler(i - 1) {
                    shown.get_or_insert_with(|| {
                        self.handler_name(pc, state, &handler)
                            .or_else(|| handler.name.clone())
                    });
                    states.push(state.clone());
                }
            }
            let Some(name) = shown else { continue };
            let mut banner = handler.as_ref().clone();
            banner.name = name;
            self.emit(Event::HandlerStart {
                name: task_name(&banner),
                location: handler.location.clone(),
            });
            let names: Vec<String> = states.iter().map(|h| h.name.clone()).collect();
            match handler.action.as_str() {
                "include_tasks" | "include_role" => {
                    for s in &states {
                        s.set_forced(force);
                    }
                    pc.in_handlers
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    self.run_include(pc, &handler, &names, 0).await;
                    pc.in_handlers
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                    for s in &states {
                        s.set_forced(false);
                    }
                }
                // Boxed: a meta handler cannot flush handlers, but the types recurse.
                "meta" => Box::pin(self.run_meta(pc, &handler, &names)).await,
                _ => {
                    self.run_on_hosts(pc, &handler, &states).await;
                }
            }
        }
    }

    /// Turn `host`'s notifications into pending handlers, as ansible-core resolves
    /// them: by name the first handler of that name (plain, `role : name`), and every
    /// handler listening to it (one per distinct handler name).
    fn match_notifications(&self, pc: &PlayCtx<'_>, host: &Arc<HostState>) {
        let keys = host.take_notifications();
        if keys.is_empty() {
            return;
        }
        let mut handlers = Vec::new();
        let mut j = 0;
        while let Some(h) = pc.handler(j) {
            let name = self.handler_name(pc, host, &h);
            let names = name
                .as_deref()
                .map(|n| qualified(&h, n))
                .unwrap_or_default();
            let topics: Vec<String> = h.listen.iter().flat_map(|l| qualified(&h, l)).collect();
            handlers.push((names, topics, name, h.role.as_ref().map(|r| r.key.clone())));
            j += 1;
        }
        // The handlers loaded last (an included role's) are searched first; in one
        // role or the play's own list, the first of a name wins.
        let mut runs: Vec<Vec<usize>> = Vec::new();
        for (j, h) in handlers.iter().enumerate() {
            match runs.last_mut() {
                Some(run) if handlers[run[0]].3 == h.3 => run.push(j),
                _ => runs.push(vec![j]),
            }
        }
        for key in &keys {
            let by_name = runs
                .iter()
                .rev()
                .flat_map(|run| run.iter())
                .find(|j| handlers[**j].0.contains(key));
            if let Some(j) = by_name {
                host.add_pending_handler(*j);
            }
            // Listeners in the same order, one per handler name.
            let mut seen = std::collections::HashSet::new();
            for j in runs.iter().rev().flat_map(|run| run.iter()) {
                let (_, topics, name, _) = &handlers[*j];
                if topics.contains(key) && (name.is_none() || seen.insert(name.clone())) {
                    host.add_pending_handler(*j);
                }
            }
        }
    }

    /// A handler's name as `host` sees it: `None` when it has none or its name does
    /// not render, which makes it unusable by name (ansible-core warns about it when
    /// the handler has no `listen` topics either).
    fn handler_name(&self, pc: &PlayCtx<'_>, host: &Arc<HostState>, h: &Task) -> Option<String> {
        let raw = h.name.as_ref()?;
        if !Templar::is_template(raw) {
            return Some(raw.clone());
        }
        let scope = self.scope(pc, host, Some(h));
        match self.templar.render(raw, &scope) {
            Ok(Value::String(n)) => Some(n),
            Ok(other) => Some(drover_template::py_str(&other)),
            Err(e) => {
                if h.listen.is_empty() {
                    self.emit(Event::Warning(format!(
                        "Handler '{raw}' is unusable because it has no listen topics and the name could not be templated (host-specific variables are not supported in handler names). The error: {}",
                        e.message
                    )));
                }
                None
            }
        }
    }

    /// Whether a notification from `host` reaches a handler: by name, `role : name`
    /// or `listen` topic.
    pub(crate) fn has_handler(&self, pc: &PlayCtx<'_>, host: &Arc<HostState>, key: &str) -> bool {
        let mut i = 0;
        while let Some(h) = pc.handler(i) {
            i += 1;
            let by_name = self
                .handler_name(pc, host, &h)
                .is_some_and(|n| qualified(&h, &n).iter().any(|k| k == key));
            if by_name
                || h.listen
                    .iter()
                    .any(|l| qualified(&h, l).iter().any(|k| k == key))
            {
                return true;
            }
        }
        false
    }
}

/// Whether `host` skips `t`: it left `t`'s role (`end_role`), or completed it already
/// and the role does not allow duplicates.
fn skips_role_task(host: &HostState, t: &Task) -> bool {
    match &t.role {
        Some(r) if !crate::compile::is_role_end(t) => {
            host.role_ended(&r.key) || (!r.allow_duplicates && host.role_done(&r.key))
        }
        _ => false,
    }
}

/// What notifies a handler: its (rendered) name, `role : name`, and its `listen` topics.
/// What reaches a handler by `base` (its name or a listen topic): `base` itself, and
/// for a role's handler `role : base` (a collection role's short name too).
pub(crate) fn qualified(h: &Task, base: &str) -> Vec<String> {
    let mut keys = vec![base.to_string()];
    if let Some(r) = &h.role {
        keys.push(format!("{} : {base}", r.name));
        if let Some((_, short)) = r.name.rsplit_once('.') {
            keys.push(format!("{short} : {base}"));
        }
    }
    keys
}

fn skipped_result() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("changed".into(), false.into());
    m.insert("skip_reason".into(), "Conditional result was False".into());
    m.insert("skipped".into(), true.into());
    m
}

#[allow(dead_code)]
fn _assert_result_type(_: HostResult) {}

fn is_true(v: Option<&Value>) -> bool {
    v.is_some_and(crate::task::is_true)
}

/// fnmatch-style `*` and `?` (what --start-at-task accepts).
fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}
