//! What the run knows about one host: its inventory variables, the facts and variables
//! tasks set, whether it failed, and its one connection.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use drover_connection::Connection;
use serde_json::{Map, Value};

use crate::vars::VarMap;

/// A host's open connections (or why they failed), by task-level `remote_user`.
pub type Connections =
    std::collections::HashMap<Option<String>, Result<Arc<dyn Connection>, String>>;

pub struct HostState {
    pub name: String,
    inventory_vars: RwLock<Arc<VarMap>>,
    /// The inventory source that defined the host (`inventory_file`).
    pub inventory_file: Option<String>,
    /// `set_fact` and registered variables (the highest host-level layer).
    vars: RwLock<Arc<VarMap>>,
    /// The names in `vars` set from a trusted source (see `set_var_trusted`).
    trusted_vars: RwLock<Arc<std::collections::HashSet<String>>>,
    /// Gathered facts, unprefixed (`ansible_facts.distribution`).
    facts: RwLock<Arc<VarMap>>,
    /// Gathered facts as top-level `ansible_*` variables.
    fact_vars: RwLock<Arc<VarMap>>,
    /// `include_vars` results: below set facts, above task vars.
    included: RwLock<Arc<VarMap>>,
    failed: AtomicBool,
    /// Failed along with another host by `any_errors_fatal`: even when a rescue clears
    /// that, the host sits out the plays after this one (ansible-core's failed hosts).
    swept: AtomicBool,
    unreachable: AtomicBool,
    /// `meta: end_host` / `end_play` for this host: no more tasks in this play.
    ended: AtomicBool,
    /// A failed host running handlers under `force_handlers`: it still runs the tasks
    /// an included handler brings in.
    forced: AtomicBool,
    errors_cleared: std::sync::atomic::AtomicU32,
    /// Handler names and topics this host notified, not yet matched to handlers.
    notified: std::sync::Mutex<indexmap::IndexSet<String>>,
    /// Handlers (by index in the play's list) notified for this host, not yet run.
    pending_handlers: std::sync::Mutex<std::collections::BTreeSet<usize>>,
    /// Roles (by `RoleInfo::key`) of which this host ran a task in the current play,
    /// and those it completed: the second set makes it skip later uses of the role.
    roles_ran: std::sync::Mutex<std::collections::HashSet<String>>,
    roles_done: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Roles this host left with `meta: end_role`, until their end.
    roles_ended: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The last failed task and its result, for `ansible_failed_task`/`_result`.
    last_failure: std::sync::Mutex<Option<(Value, Value)>>,
    /// Opened at the first task that needs it, then shared by every task of the run.
    /// An error is kept so later tasks report the same unreachable cause at once.
    /// `meta: reset_connection` and `wait_for_connection` drop it, and the next task
    /// opens a fresh one. Keyed by a task's own `remote_user` (`None`: the play's), as a
    /// login as another user is another connection.
    pub connection: tokio::sync::Mutex<Connections>,
}

impl HostState {
    pub fn new(name: String, inventory_vars: VarMap, inventory_file: Option<String>) -> Self {
        HostState {
            name,
            inventory_vars: RwLock::new(Arc::new(inventory_vars)),
            inventory_file,
            vars: RwLock::default(),
            trusted_vars: RwLock::default(),
            facts: RwLock::default(),
            fact_vars: RwLock::default(),
            included: RwLock::default(),
            failed: AtomicBool::new(false),
            swept: AtomicBool::new(false),
            unreachable: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            forced: AtomicBool::new(false),
            errors_cleared: Default::default(),
            notified: Default::default(),
            pending_handlers: Default::default(),
            last_failure: Default::default(),
            roles_ran: Default::default(),
            roles_done: Default::default(),
            roles_ended: Default::default(),
            connection: Default::default(),
        }
    }

    pub fn vars(&self) -> Arc<VarMap> {
        read(&self.vars)
    }

    /// Forget the host's connection (closing it when no task still holds it); the
    /// next task connects anew.
    pub async fn reset_connection(&self) {
        self.connection.lock().await.clear();
    }

    /// Its variables from the inventory (host, groups, group_vars/, host_vars/).
    pub fn inventory_vars(&self) -> Arc<VarMap> {
        read(&self.inventory_vars)
    }

    /// After add_host or group_by changed its variables or its groups.
    pub fn set_inventory_vars(&self, vars: VarMap) {
        *self
            .inventory_vars
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(vars);
    }

    pub fn facts(&self) -> Arc<VarMap> {
        read(&self.facts)
    }

    pub fn fact_vars(&self) -> Arc<VarMap> {
        read(&self.fact_vars)
    }

    /// A host variable set at run time (`set_fact`, `register`): a rendered value,
    /// which is not rendered again when read, and which comes from an untrusted
    /// source (a host, or a template).
    pub fn set_var(&self, name: &str, value: Value) {
        self.set_var_trusted(name, value, false);
    }

    /// [`Self::set_var`] for a value that may come from a trusted source (a `set_fact`
    /// value written in the playbook).
    pub fn set_var_trusted(&self, name: &str, value: Value, trusted: bool) {
        let value = crate::trust::untrusted(value);
        let mut guard = self.vars.write().unwrap_or_else(|p| p.into_inner());
        Arc::make_mut(&mut guard).insert(name.to_string(), value);
        let mut names = self.trusted_vars.write().unwrap_or_else(|p| p.into_inner());
        if trusted {
            Arc::make_mut(&mut names).insert(name.to_string());
        } else if names.contains(name) {
            Arc::make_mut(&mut names).remove(name);
        }
    }

    /// The names among [`Self::vars`] whose values are trusted.
    pub fn trusted_vars(&self) -> Arc<std::collections::HashSet<String>> {
        self.trusted_vars
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Facts a module returned (`ansible_facts`): stored unprefixed, and injected as
    /// `ansible_NAME` variables as Ansible's INJECT_FACTS_AS_VARS does.
    pub fn add_facts(&self, new: &Map<String, Value>) {
        let mut facts = self.facts.write().unwrap_or_else(|p| p.into_inner());
        let mut fact_vars = self.fact_vars.write().unwrap_or_else(|p| p.into_inner());
        let facts = Arc::make_mut(&mut facts);
        let fact_vars = Arc::make_mut(&mut fact_vars);
        for (k, v) in new {
            // As ansible-core: `ansible_facts` holds them without the `ansible_` prefix
            // (but keeps `ansible_local`), and they are variables under the names the
            // module gave, internal `_ansible_` keys excepted.
            let bare = match k.strip_prefix("ansible_") {
                Some(b) if k != "ansible_local" => b,
                _ => k,
            };
            // Facts are data: never templated when read.
            let v = crate::trust::untrusted(v.clone());
            facts.insert(bare.to_string(), v.clone());
            if !k.starts_with("_ansible_") {
                fact_vars.insert(k.clone(), v);
            }
        }
    }

    pub fn included(&self) -> Arc<VarMap> {
        read(&self.included)
    }

    pub fn include_vars(&self, new: &Map<String, Value>) {
        let mut guard = self.included.write().unwrap_or_else(|p| p.into_inner());
        let map = Arc::make_mut(&mut guard);
        for (k, v) in new {
            map.insert(k.clone(), v.clone());
        }
    }

    pub fn notify(&self, name: String) {
        self.notified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name);
    }

    /// Whether a handler waits for this host (notified, matched or not).
    pub fn has_notifications(&self) -> bool {
        !lock(&self.notified).is_empty() || !lock(&self.pending_handlers).is_empty()
    }

    /// The notifications not yet matched to handlers, taken.
    pub fn take_notifications(&self) -> Vec<String> {
        lock(&self.notified).drain(..).collect()
    }

    pub fn add_pending_handler(&self, index: usize) {
        lock(&self.pending_handlers).insert(index);
    }

    /// Take handler `index`'s pending notification; true if there was one.
    pub fn take_pending_handler(&self, index: usize) -> bool {
        lock(&self.pending_handlers).remove(&index)
    }

    /// A task of the role ran here (ok, changed or failed; not skipped).
    pub fn role_ran(&self, key: &str) {
        lock(&self.roles_ran).insert(key.to_string());
    }

    /// `meta: end_role`: the rest of the role is skipped.
    pub fn end_role(&self, key: &str) {
        lock(&self.roles_ended).insert(key.to_string());
    }

    pub fn role_ended(&self, key: &str) -> bool {
        lock(&self.roles_ended).contains(key)
    }

    /// The end of the role: completed if any of its tasks ran.
    pub fn role_complete(&self, key: &str) {
        lock(&self.roles_ended).remove(key);
        if lock(&self.roles_ran).contains(key) {
            lock(&self.roles_done).insert(key.to_string());
        }
    }

    pub fn role_done(&self, key: &str) -> bool {
        lock(&self.roles_done).contains(key)
    }

    /// A new play: roles run anew.
    pub fn forget_roles(&self) {
        lock(&self.roles_ran).clear();
        lock(&self.roles_done).clear();
        lock(&self.roles_ended).clear();
    }

    pub fn set_last_failure(&self, task: Value, result: Value) {
        *self.last_failure.lock().unwrap_or_else(|p| p.into_inner()) = Some((task, result));
    }

    pub fn last_failure(&self) -> Option<(Value, Value)> {
        self.last_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn clear_failed(&self) {
        self.failed.store(false, Ordering::Relaxed);
    }

    /// `meta: clear_host_errors`: clears the failure and records that it was cleared on
    /// purpose (an enclosing `always` must not restore it).
    pub fn clear_errors(&self) {
        self.failed.store(false, Ordering::Relaxed);
        self.swept.store(false, Ordering::Relaxed);
        self.errors_cleared.fetch_add(1, Ordering::Relaxed);
    }

    pub fn errors_cleared(&self) -> u32 {
        self.errors_cleared.load(Ordering::Relaxed)
    }

    pub fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    pub fn set_ended(&self, ended: bool) {
        self.ended.store(ended, Ordering::Relaxed);
    }

    pub fn clear_facts(&self) {
        *self.facts.write().unwrap_or_else(|p| p.into_inner()) = Arc::default();
        *self.fact_vars.write().unwrap_or_else(|p| p.into_inner()) = Arc::default();
    }

    pub fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    pub fn is_forced(&self) -> bool {
        self.forced.load(Ordering::Relaxed)
    }

    pub fn set_forced(&self, forced: bool) {
        self.forced.store(forced, Ordering::Relaxed);
    }

    pub fn is_unreachable(&self) -> bool {
        self.unreachable.load(Ordering::Relaxed)
    }

    pub fn mark_failed(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    /// Failed by `any_errors_fatal` for another host's failure.
    pub fn sweep(&self) {
        self.swept.store(true, Ordering::Relaxed);
        self.mark_failed();
    }

    pub fn is_swept(&self) -> bool {
        self.swept.load(Ordering::Relaxed)
    }

    pub fn mark_unreachable(&self) {
        self.unreachable.store(true, Ordering::Relaxed);
    }
}

fn read(lock: &RwLock<Arc<VarMap>>) -> Arc<VarMap> {
    lock.read().unwrap_or_else(|p| p.into_inner()).clone()
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
