//! The linear strategy: each task runs on every remaining host of the play, `--forks`
//! hosts at a time, before the next task starts.

use std::sync::{Arc, Mutex};

use drover_inventory::Inventory;
use drover_playbook::{Play, Playbook};
use drover_template::Templar;
use futures::StreamExt;
use indexmap::IndexMap;
use serde_json::Value;

use crate::compile::{Compiler, Plan};
use crate::events::{Event, Reporter, Stats};
use crate::host::HostState;
use crate::magic::{HostMagic, PlayInfo};
use crate::vars::{Scope, VarMap};
use crate::{EngineError, Outcome, RunOptions};

pub struct Runner<'a> {
    /// The inventory, which `add_host` and `group_by` change during the run.
    inv: std::sync::RwLock<Inventory>,
    pub(crate) opts: &'a RunOptions,
    reporter: Mutex<&'a mut dyn Reporter>,
    pub(crate) templar: Templar,
    /// Every host the run knows; the implicit localhost joins when a play names it.
    pub(crate) hosts: std::sync::RwLock<Arc<IndexMap<String, Arc<HostState>>>>,
    stats: Mutex<IndexMap<String, Stats>>,
    pub(crate) extra_vars: Arc<VarMap>,
    /// Whether `--start-at-task` has found its task yet.
    pub(crate) started: std::sync::atomic::AtomicBool,
    /// An error that ends the whole run with no recap (a notification of a handler
    /// that does not exist), as ansible-core's strategy errors do.
    fatal: Mutex<Option<EngineError>>,
    /// The banner shown last in a `free` play's run (see `free.rs`).
    last_banner: Mutex<Option<String>>,
    /// `poll: 0` jobs running on the controller (see jobs.rs).
    pub(crate) jobs: crate::jobs::Jobs,
    /// The `add_host` and `group_by` results applied so far, replayed over a refreshed
    /// inventory (ansible-core keeps what a play added).
    inventory_changes: Mutex<Vec<(String, serde_json::Map<String, serde_json::Value>)>>,
    /// The playbook whose plays run now (its group_vars/ and host_vars/ apply).
    current_playbook: Mutex<Option<std::path::PathBuf>>,
}

/// What the tasks of one play share.
pub struct PlayCtx<'p> {
    pub play: &'p Play,
    pub info: Arc<PlayInfo>,
    pub play_vars: Arc<VarMap>,
    pub vars_files: Arc<VarMap>,
    /// Vars and defaults of the play's public roles: those loaded statically, then
    /// those a public `include_role` brought in.
    role_vars: std::sync::RwLock<Arc<VarMap>>,
    role_defaults: std::sync::RwLock<Arc<VarMap>>,
    /// Roles loaded so far in the play (for once-per-play deduplication).
    pub seen_roles: Mutex<Vec<(String, serde_json::Value)>>,
    /// Handlers in definition order; `include_role` adds its role's at run time.
    handlers: Mutex<Vec<Arc<drover_playbook::Task>>>,
    pub max_fail_percentage: Option<f64>,
    pub any_errors_fatal: bool,
    broken: std::sync::atomic::AtomicBool,
    /// Handlers are running: the tasks an included handler brings in show as handlers.
    pub(crate) in_handlers: std::sync::atomic::AtomicBool,
    /// `strategy: free` (or `host_pinned`): each host runs on at its own pace.
    pub(crate) free: bool,
    /// `meta: end_play` ran: no more batches.
    ended: std::sync::atomic::AtomicBool,
}

impl PlayCtx<'_> {
    /// `meta: end_play`: the batches after this one do not run.
    pub(crate) fn end_play(&self) {
        self.ended.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The vars and defaults of the play's public roles.
    pub fn public_role_vars(&self) -> (Arc<VarMap>, Arc<VarMap>) {
        let read = |l: &std::sync::RwLock<Arc<VarMap>>| {
            l.read().unwrap_or_else(|p| p.into_inner()).clone()
        };
        (read(&self.role_vars), read(&self.role_defaults))
    }

    /// A public role included at run time: every host sees its vars and defaults from
    /// now on, above those of the roles before it.
    pub fn publish_role_vars(&self, vars: VarMap, defaults: VarMap) {
        for (lock, new) in [(&self.role_vars, vars), (&self.role_defaults, defaults)] {
            if new.is_empty() {
                continue;
            }
            let mut cur = lock.write().unwrap_or_else(|p| p.into_inner());
            let mut merged = (**cur).clone();
            merged.extend(new);
            *cur = Arc::new(merged);
        }
    }

    pub fn handler(&self, i: usize) -> Option<Arc<drover_playbook::Task>> {
        self.handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(i)
            .cloned()
    }

    pub fn batch(&self) -> Vec<String> {
        self.info
            .batch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_broken(&self) {
        self.broken
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn add_handlers(&self, new: Vec<Arc<drover_playbook::Task>>) {
        self.handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(new);
    }
}

impl<'a> Runner<'a> {
    pub fn new(inv: &'a Inventory, opts: &'a RunOptions, reporter: &'a mut dyn Reporter) -> Self {
        let hosts = inv
            .hosts()
            .map(|h| (h.to_string(), Arc::new(Self::host_state(inv, h))))
            .collect();
        Runner {
            inv: std::sync::RwLock::new(inv.clone()),
            opts,
            reporter: Mutex::new(reporter),
            templar: Templar::new(),
            hosts: std::sync::RwLock::new(Arc::new(hosts)),
            stats: Mutex::new(IndexMap::new()),
            extra_vars: Arc::new(opts.extra_vars.clone()),
            started: std::sync::atomic::AtomicBool::new(opts.start_at_task.is_none()),
            fatal: Mutex::new(None),
            last_banner: Mutex::new(None),
            jobs: crate::jobs::Jobs::default(),
            inventory_changes: Mutex::new(Vec::new()),
            current_playbook: Mutex::new(None),
        }
    }

    fn host_state(inv: &Inventory, name: &str) -> HostState {
        HostState::new(
            name.to_string(),
            inv.host_vars(name),
            inv.inventory_file(name).map(str::to_string),
        )
    }

    pub(crate) fn inv(&self) -> std::sync::RwLockReadGuard<'_, Inventory> {
        self.inv.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Apply an `add_host` or `group_by` result to the inventory; whether it changed
    /// anything (a new host, group membership or variable value).
    pub(crate) fn change_inventory(
        &self,
        host: &str,
        result: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<bool, String> {
        use serde_json::Value;
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        self.inventory_changes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((host.to_string(), result.clone()));
        let mut inv = self.inv.write().unwrap_or_else(|p| p.into_inner());
        let warned = inv.warnings().len();
        let (changed, refreshed) = if let Some(Value::Object(add)) = result.get("add_host") {
            let name = add
                .get("host_name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let vars = match add.get("host_vars") {
                Some(Value::Object(m)) => m.clone().into_iter().collect(),
                _ => IndexMap::new(),
            };
            let changed = inv
                .add_host(&name, &strings(add.get("groups")), vars)
                .map_err(|e| e.to_string())?;
            (changed, name)
        } else if let Some(Value::String(group)) = result.get("add_group") {
            let changed = inv
                .add_host_to_group(host, group, &strings(result.get("parent_groups")))
                .map_err(|e| e.to_string())?;
            (changed, host.to_string())
        } else {
            return Ok(false);
        };
        // What the inventory warns about now (a group name with invalid characters).
        let warnings = inv.warnings()[warned..].to_vec();
        drop(inv);
        for w in warnings {
            self.emit(Event::Warning(w));
        }
        self.refresh_host(&refreshed);
        Ok(changed)
    }

    /// `meta: refresh_inventory`: the sources read again, with what `add_host` and
    /// `group_by` added replayed over them; every known host's variables anew.
    pub(crate) fn refresh_inventory(&self) -> Result<(), String> {
        let Some(reload) = &self.opts.reload_inventory else {
            return Ok(());
        };
        let fresh = reload()?;
        let changes = std::mem::take(
            &mut *self
                .inventory_changes
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        *self.inv.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        let playbook = self
            .current_playbook
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // Every known host's variables are read anew (by the vars directories, or
        // here); a replayed change refreshes its own host again.
        match playbook {
            Some(pb) => self
                .use_playbook_vars_dirs(&pb)
                .map_err(|e| e.to_string())?,
            None => {
                let names: Vec<String> = self.all_hosts().keys().cloned().collect();
                for name in names {
                    self.refresh_host(&name);
                }
            }
        }
        // A change for a host the sources no longer have is dropped.
        for (host, result) in changes {
            let _ = self.change_inventory(&host, &result);
        }
        Ok(())
    }

    /// `group_vars/` and `host_vars/` beside a playbook apply while its plays run,
    /// in place of the previous playbook's, as in ansible-core.
    fn use_playbook_vars_dirs(&self, playbook: &std::path::Path) -> Result<(), EngineError> {
        *self
            .current_playbook
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(playbook.to_path_buf());
        let dir = match playbook.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let warnings = {
            let mut inv = self.inv.write().unwrap_or_else(|p| p.into_inner());
            let warned = inv.warnings().len();
            inv.clear_playbook_vars_dirs();
            inv.load_vars_dirs(&dir)
                .map_err(|e| EngineError::Inventory(e.to_string()))?;
            inv.warnings()[warned..].to_vec()
        };
        for w in warnings {
            self.emit(Event::Warning(w));
        }
        let names: Vec<String> = self.all_hosts().keys().cloned().collect();
        for name in names {
            self.refresh_host(&name);
        }
        Ok(())
    }

    /// A host whose inventory variables or groups changed: a known host keeps its
    /// state (facts, set_fact, connection) with its variables read anew; a new one
    /// gets a state.
    fn refresh_host(&self, name: &str) {
        if let Some(state) = self.all_hosts().get(name) {
            state.set_inventory_vars(self.inv().host_vars(name));
            return;
        }
        let mut guard = self.hosts.write().unwrap_or_else(|p| p.into_inner());
        let state = Arc::new(Self::host_state(&self.inv(), name));
        Arc::make_mut(&mut guard).insert(name.to_string(), state);
    }

    pub(crate) fn all_hosts(&self) -> Arc<IndexMap<String, Arc<HostState>>> {
        self.hosts.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Make sure every selected host has a state (the implicit localhost has none yet).
    pub(crate) fn admit(&self, selected: &[String]) {
        let known = self.all_hosts();
        let missing: Vec<&String> = selected
            .iter()
            .filter(|h| !known.contains_key(*h))
            .collect();
        if missing.is_empty() {
            return;
        }
        let mut guard = self.hosts.write().unwrap_or_else(|p| p.into_inner());
        let map = Arc::make_mut(&mut guard);
        for h in missing {
            map.insert(h.clone(), Arc::new(Self::host_state(&self.inv(), h)));
        }
    }

    pub(crate) fn emit(&self, event: Event) {
        if self.defer_banner(&event) {
            return;
        }
        let mut r = self.reporter.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(banner) = self.banner_due(&event, &self.last_banner) {
            r.event(&banner);
        }
        r.event(&event);
    }

    pub(crate) fn count(&self, host: &str, f: impl FnOnce(&mut Stats)) {
        let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        f(stats.entry(host.to_string()).or_default());
    }

    /// End the run after the current task with `err` and no recap; the play breaks off.
    pub(crate) fn set_fatal(&self, pc: &PlayCtx<'_>, err: EngineError) {
        let mut fatal = self.fatal.lock().unwrap_or_else(|p| p.into_inner());
        fatal.get_or_insert(err);
        pc.set_broken();
    }

    pub(crate) fn has_fatal(&self) -> bool {
        self.fatal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    pub async fn run(self, playbooks: &[Playbook]) -> Result<Outcome, EngineError> {
        let limit = match &self.opts.limit {
            Some(l) => Some(self.select_limit(l)?),
            None => None,
        };
        // Everything static is loaded before any host is touched: roles, imports.
        let known = crate::tree::is_action;
        let mut plans = Vec::new();
        for pb in playbooks {
            for play in &pb.plays {
                let dir = playbook_dir(play);
                let plan = Compiler::new(dir.into(), &known, &self.opts.tags)
                    .with_vars(&play.vars, &self.opts.extra_vars)
                    .plan(play)?;
                plans.push((pb, play, plan));
            }
        }
        let mut current: Option<&std::path::Path> = None;
        for (pb, play, plan) in &plans {
            if current != Some(pb.path.as_path()) {
                current = Some(pb.path.as_path());
                self.use_playbook_vars_dirs(&pb.path)?;
                self.emit(Event::PlaybookStart {
                    path: pb.path.display().to_string(),
                    plays: pb.plays.len(),
                });
            }
            let go_on = self.run_play(play, plan, limit.as_deref()).await?;
            if let Some(err) = self.fatal.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Err(err);
            }
            if !go_on {
                break;
            }
        }
        self.jobs.wait_all().await;
        let mut stats: Vec<(String, Stats)> = self
            .stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(h, s)| (h.clone(), s.clone()))
            .collect();
        stats.sort_by(|a, b| a.0.cmp(&b.0));
        self.emit(Event::Recap(stats.clone()));
        // The exit code follows the hosts' state at the end, as in ansible-playbook:
        // a failure cleared by `meta: clear_host_errors` or rescued does not count.
        let hosts = self.all_hosts();
        Ok(Outcome {
            any_failed: hosts.values().any(|h| h.is_failed()),
            any_unreachable: hosts.values().any(|h| h.is_unreachable()),
            stats,
        })
    }

    /// `--limit`: a pattern that may also name `@retry` files.
    fn select_limit(&self, limit: &str) -> Result<Vec<String>, EngineError> {
        let sel = self
            .inv()
            .select_limit(limit)
            .map_err(|e| EngineError::Inventory(e.to_string()))?;
        Ok(sel.hosts)
    }

    fn select(&self, pattern: &str) -> Result<Vec<String>, EngineError> {
        let sel = self
            .inv()
            .select(pattern)
            .map_err(|e| EngineError::Inventory(e.to_string()))?;
        for part in &sel.unmatched {
            self.emit(Event::Warning(format!(
                "Could not match supplied host pattern, ignoring: {part}"
            )));
        }
        Ok(sel.hosts)
    }

    /// Runs one play; `false` when the run must stop (every host failed).
    async fn run_play(
        &self,
        play: &Play,
        plan: &Plan,
        limit: Option<&[String]>,
    ) -> Result<bool, EngineError> {
        let play_vars: Arc<VarMap> = Arc::new(play.vars.clone());
        let pattern_scope = Scope::new(Arc::new(NoMagic))
            .below(self.extra_vars.clone())
            .below(play_vars.clone());
        let pattern = match self.templar.render(&play.hosts, &pattern_scope) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(serde_json::Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            Ok(other) => other.to_string(),
            Err(e) => return Err(EngineError::Template(format!("{}: {e}", play.location))),
        };
        let mut hosts = self.select(&pattern)?;
        if let Some(limit) = limit {
            hosts.retain(|h| limit.contains(h));
        }
        // `order` may be a template of the play's and extra vars, as `hosts` may.
        let order = match play.extra.get("order") {
            Some(v) => match self.templar.render_value(v, &pattern_scope) {
                Ok(serde_json::Value::String(s)) => Some(s),
                Ok(other) => Some(other.to_string()),
                Err(e) => return Err(EngineError::Template(format!("{}: {e}", play.location))),
            },
            None => None,
        };
        match order.as_deref() {
            Some("sorted") => hosts.sort(),
            Some("reverse_sorted") => {
                hosts.sort();
                hosts.reverse();
            }
            Some("reverse_inventory") => hosts.reverse(),
            Some("shuffle") => {
                // A cheap shuffle: no cryptographic quality needed to vary host order.
                let seed = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos() as usize)
                    .unwrap_or(7);
                for i in (1..hosts.len()).rev() {
                    hosts.swap(i, (seed.wrapping_mul(i + 31)) % (i + 1));
                }
            }
            _ => {}
        }
        self.admit(&hosts);
        let known = self.all_hosts();
        hosts.retain(|h| {
            known
                .get(h)
                .is_some_and(|s| !s.is_failed() && !s.is_unreachable() && !s.is_swept())
        });

        let name = play.name.clone().unwrap_or_else(|| play.hosts.clone());
        self.emit(Event::PlayStart { name: name.clone() });
        if hosts.is_empty() {
            self.emit(Event::NoHostsMatched);
            return Ok(true);
        }
        let pb_dir = playbook_dir(play);
        let vars_files = self.load_vars_files(play, &pb_dir, &play_vars)?;
        for h in &hosts {
            if let Some(s) = known.get(h) {
                s.set_ended(false);
                s.forget_roles();
            }
        }
        let pc = PlayCtx {
            play,
            info: Arc::new(PlayInfo {
                play_name: name,
                playbook_dir: pb_dir,
                play_hosts: hosts.clone(),
                batch: Mutex::new(Vec::new()),
                groups: Mutex::new(serde_json::to_value(self.inv().groups()).unwrap_or_default()),
                check_mode: self.opts.check,
                diff_mode: self.opts.diff,
                forks: self.opts.forks,
                verbosity: self.opts.verbosity,
                hosts: known.clone(),
                extra_vars: self.extra_vars.clone(),
                run_tags: self.opts.tags.only.clone(),
                skip_tags: self.opts.tags.skip.clone(),
                limit: self.opts.limit.clone(),
                role_names: plan.role_names.clone(),
                dependent_role_names: plan.dependent_role_names.clone(),
            }),
            play_vars,
            vars_files,
            role_vars: std::sync::RwLock::new(Arc::new(plan.role_vars.clone())),
            role_defaults: std::sync::RwLock::new(Arc::new(plan.role_defaults.clone())),
            seen_roles: Mutex::new(plan.seen_roles.clone()),
            handlers: Mutex::new(plan.handlers.clone()),
            max_fail_percentage: play.extra.get("max_fail_percentage").and_then(|v| {
                v.as_f64().or_else(|| {
                    v.as_str()
                        .and_then(|s| s.trim_end_matches('%').parse().ok())
                })
            }),
            any_errors_fatal: matches!(
                play.extra.get("any_errors_fatal"),
                Some(serde_json::Value::Bool(true))
            ),
            broken: Default::default(),
            in_handlers: Default::default(),
            free: crate::free::is_free(play.extra.get("strategy")),
            ended: Default::default(),
        };

        for (i, batch) in serial_batches(play.extra.get("serial"), &hosts)
            .into_iter()
            .enumerate()
        {
            *pc.info.batch.lock().unwrap_or_else(|p| p.into_inner()) = batch.clone();
            if i > 0 {
                // ansible-playbook announces the play again for every serial batch.
                self.emit(Event::PlayStart {
                    name: pc.info.play_name.clone(),
                });
            }
            if play.gather_facts.unwrap_or(true) {
                let alive = self.alive(&batch);
                self.emit(Event::TaskStart {
                    name: "Gathering Facts".into(),
                    location: play.location.clone(),
                });
                self.for_each_host(&alive, |h| self.gather_facts(&pc, h))
                    .await;
                self.check_break(&pc);
            }
            let debug = env_flag("ANSIBLE_DEBUG", false);
            for section in &plan.sections {
                if pc.free {
                    self.run_free(&pc, section, &batch).await;
                } else {
                    self.run_nodes(&pc, section, &batch, 0).await;
                }
                if debug && !section.is_empty() {
                    // ansible-core's debug output tells what each implicit flush does.
                    for h in self.alive(&batch) {
                        let text = if h.has_notifications() {
                            format!("META: triggered running handlers for {}", h.name)
                        } else {
                            format!("META: No handler notifications for {}", h.name)
                        };
                        self.emit(Event::Verbose { level: 0, text });
                    }
                }
                self.flush_handlers(&pc, &batch).await;
            }
            if pc.ended.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            // A broken-off play, or a batch whose every host failed, ends the rollout.
            if pc.is_broken()
                || self.alive(&batch).is_empty()
                    && !batch.is_empty()
                    && self.batch_all_failed(&batch)
            {
                return Ok(false);
            }
        }
        // Like ansible-playbook: when every host of the play failed, the run stops
        // (hosts that ended with `meta: end_*` go on to the next play).
        Ok(!self.batch_all_failed(&hosts))
    }

    fn batch_all_failed(&self, batch: &[String]) -> bool {
        let known = self.all_hosts();
        batch
            .iter()
            .filter_map(|h| known.get(h))
            .all(|s| s.is_failed() || s.is_unreachable())
    }

    pub(crate) fn alive(&self, hosts: &[String]) -> Vec<Arc<HostState>> {
        let known = self.all_hosts();
        hosts
            .iter()
            .filter_map(|h| known.get(h))
            .filter(|s| (!s.is_failed() || s.is_forced()) && !s.is_unreachable() && !s.is_ended())
            .cloned()
            .collect()
    }

    pub(crate) async fn for_each_host<'h, F, Fut>(&self, hosts: &'h [Arc<HostState>], f: F)
    where
        F: Fn(&'h Arc<HostState>) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        self.for_each_host_throttled(hosts, None, f).await
    }

    /// At most `--forks` hosts at a time, fewer with a task's `throttle`.
    pub(crate) async fn for_each_host_throttled<'h, F, Fut>(
        &self,
        hosts: &'h [Arc<HostState>],
        throttle: Option<usize>,
        f: F,
    ) where
        F: Fn(&'h Arc<HostState>) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let forks = self.opts.forks.max(1);
        let limit = throttle.filter(|n| *n > 0).map_or(forks, |n| n.min(forks));
        futures::stream::iter(hosts.iter().map(f))
            .buffer_unordered(limit)
            .collect::<Vec<()>>()
            .await;
    }

    /// The variables of `host` at a task, Ansible's precedence from the top: extra vars,
    /// role params, set facts and registered vars, include_vars, task (and block) vars,
    /// role vars, vars_files, play vars, gathered facts, inventory, role defaults.
    /// A delegated task also sees `ansible_delegated_vars`, built when it is read.
    pub(crate) fn scope(
        &self,
        pc: &PlayCtx<'_>,
        host: &Arc<HostState>,
        task: Option<&drover_playbook::Task>,
    ) -> Scope {
        let s = self.host_scope(pc, host, task);
        match task.and_then(|t| self.delegate_scope(pc, t, &s)) {
            Some((name, theirs)) => {
                s.with_magic(|own| Arc::new(crate::magic::Delegated::new(own, name, theirs)))
            }
            None => s,
        }
    }

    fn host_scope(
        &self,
        pc: &PlayCtx<'_>,
        host: &Arc<HostState>,
        task: Option<&drover_playbook::Task>,
    ) -> Scope {
        let magic = HostMagic {
            play: pc.info.clone(),
            host: host.clone(),
            group_names: self.inv().group_names(&host.name),
        };
        let role = task.and_then(|t| t.role.as_ref());
        let mut s = Scope::new(Arc::new(magic)).below(self.extra_vars.clone());
        if let Some(t) = task.filter(|t| !t.include_params.is_empty()) {
            s = s.below(Arc::new(t.include_params.clone()));
        }
        if let Some(r) = role {
            s = s.below(r.params.clone());
        }
        s = s
            .below_mixed(host.vars(), host.trusted_vars())
            .below(host.included());
        if let Some(t) = task {
            if !t.vars.is_empty() {
                s = s.below(Arc::new(t.vars.clone()));
            }
        }
        if let Some(r) = role {
            s = s.below(r.vars.clone());
        }
        let (role_vars, role_defaults) = pc.public_role_vars();
        s = s
            .below(role_vars)
            .below(pc.vars_files.clone())
            .below(pc.play_vars.clone())
            .below_untrusted(host.fact_vars())
            .below(host.inventory_vars());
        if let Some(r) = role {
            s = s.below(r.defaults.clone());
        }
        s = s.below(role_defaults);
        match task {
            Some(t) => s
                .above(Arc::new(crate::magic::task_vars(t, &pc.info.playbook_dir)))
                .below(Arc::new(self.connection_vars(pc, host, t))),
            None => s,
        }
    }

    /// What ansible-core's connection plugin adds to a task's variables when the
    /// inventory does not say: `ansible_host` (the host's name) and
    /// `ansible_connection` (the connection in use). Lowest precedence; not in hostvars.
    fn connection_vars(
        &self,
        pc: &PlayCtx<'_>,
        host: &HostState,
        task: &drover_playbook::Task,
    ) -> VarMap {
        let implicit_local = host.name == "localhost" && host.inventory_file.is_none();
        let connection = task
            .connection
            .clone()
            .or_else(|| pc.play.connection.clone())
            .or_else(|| self.opts.connection.clone())
            .unwrap_or_else(|| if implicit_local { "local" } else { "ssh" }.into());
        let mut vars = VarMap::new();
        vars.insert("ansible_host".into(), host.name.clone().into());
        vars.insert("ansible_connection".into(), connection.into());
        vars
    }

    /// The delegate of a delegated task, and the variables the task sees there.
    fn delegate_scope(
        &self,
        pc: &PlayCtx<'_>,
        t: &drover_playbook::Task,
        scope: &Scope,
    ) -> Option<(String, Scope)> {
        let name = match self.templar.render(t.delegate_to.as_deref()?, scope).ok()? {
            Value::String(d) => d,
            _ => return None,
        };
        let delegate = self.all_hosts().get(&name)?.clone();
        Some((name, self.host_scope(pc, &delegate, Some(t))))
    }

    /// A play's `vars_files`, relative to the playbook, templated with play and extra vars.
    fn load_vars_files(
        &self,
        play: &Play,
        pb_dir: &str,
        play_vars: &Arc<VarMap>,
    ) -> Result<Arc<VarMap>, EngineError> {
        let mut out = VarMap::new();
        let scope = Scope::new(Arc::new(NoMagic))
            .below(self.extra_vars.clone())
            .below(play_vars.clone());
        for name in &play.vars_files {
            let name = match self.templar.render(name, &scope) {
                Ok(serde_json::Value::String(s)) => s,
                Ok(other) => other.to_string(),
                Err(e) => {
                    return Err(EngineError::Template(format!(
                        "{}: vars_files: {e}",
                        play.location
                    )))
                }
            };
            // Like Ansible's lookup of relative vars_files: `vars/` first, then beside.
            let base = std::path::Path::new(pb_dir);
            let path = [base.join("vars").join(&name), base.join(&name)]
                .into_iter()
                .find(|p| p.is_file())
                .unwrap_or_else(|| base.join(&name));
            if !path.is_file() {
                return Err(EngineError::Source(
                    play.location
                        .error(format!("vars file {name} was not found")),
                ));
            }
            for (k, v) in drover_playbook::load_vars_file(&path)? {
                out.insert(k, v);
            }
        }
        Ok(Arc::new(out))
    }
}

/// A boolean setting from the environment, in Ansible's spellings.
pub(crate) fn env_flag(name: &str, default: bool) -> bool {
    std::env::var(name)
        .ok()
        .and_then(|v| crate::connect::parse_bool(v.trim()))
        .unwrap_or(default)
}

struct NoMagic;
impl crate::vars::Magic for NoMagic {
    fn get(&self, _: &str) -> Option<serde_json::Value> {
        None
    }
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}

/// `playbook_dir` of a play, absolute: the directory of the playbook file it is written
/// in, as ansible-core sets it for each imported play (an imported playbook's relative
/// paths and `roles/` are its own, not the importing playbook's).
pub(crate) fn playbook_dir(play: &Play) -> String {
    play.location
        .file
        .path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                p
            }
        })
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".into())
}

/// `serial`: a number, a percentage, or a list of them (the last repeats).
fn serial_batches(serial: Option<&serde_json::Value>, hosts: &[String]) -> Vec<Vec<String>> {
    use serde_json::Value;
    let total = hosts.len();
    let size = |v: &Value| -> usize {
        let n = match v {
            Value::Number(n) => n.as_f64().unwrap_or(0.0) as usize,
            Value::String(s) if s.trim().ends_with('%') => {
                let pct: f64 = s.trim().trim_end_matches('%').parse().unwrap_or(100.0);
                ((total as f64) * pct / 100.0) as usize
            }
            Value::String(s) => s.trim().parse().unwrap_or(total),
            _ => total,
        };
        n.clamp(1, total.max(1))
    };
    let sizes: Vec<usize> = match serial {
        None | Some(Value::Null) => vec![total.max(1)],
        Some(Value::Array(items)) if !items.is_empty() => items.iter().map(size).collect(),
        Some(other) => vec![size(other)],
    };
    let mut out = Vec::new();
    let mut rest = hosts;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i.min(sizes.len() - 1)].min(rest.len());
        out.push(rest[..n].to_vec());
        rest = &rest[n..];
        i += 1;
    }
    if out.is_empty() {
        out.push(Vec::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::serial_batches;
    use serde_json::json;

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    #[test]
    fn serial_batches_like_ansible() {
        let sizes = |v: Option<serde_json::Value>, n: usize| -> Vec<usize> {
            serial_batches(v.as_ref(), &hosts(n))
                .iter()
                .map(Vec::len)
                .collect()
        };
        assert_eq!(sizes(None, 5), vec![5]);
        assert_eq!(sizes(Some(json!(2)), 5), vec![2, 2, 1]);
        assert_eq!(sizes(Some(json!("40%")), 5), vec![2, 2, 1]);
        assert_eq!(sizes(Some(json!([1, "50%"])), 5), vec![1, 2, 2]);
        assert_eq!(sizes(Some(json!("10%")), 5), vec![1, 1, 1, 1, 1]);
    }
}
