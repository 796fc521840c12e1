//! What the run knows about one host: its inventory variables, the facts and variables
//! tasks set, whether it failed, and its one connection.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use drover_connection::Connection;
use serde_json::{Map, Value};

use crate::vars::VarMap;

pub struct HostState {
    pub name: String,
    inventory_vars: RwLock<Arc<VarMap>>,
    /// The inventory source that defined the host (`inventory_file`).
    pub inventory_file: Option<String>,
    /// `set_fact` and registered variables (the highest host-level layer).
    vars: RwLock<Arc<VarMap>>,
    /// Gathered facts, unprefixed (`ansible_facts.distribution`).
    facts: RwLock<Arc<VarMap>>,
    /// Gathered facts as top-level `ansible_*` variables.
    fact_vars: RwLock<Arc<VarMap>>,
    /// `include_vars` results: below set facts, above task vars.
    included: RwLock<Arc<VarMap>>,
    failed: AtomicBool,
    unreachable: AtomicBool,
    /// `meta: end_host` / `end_play` for this host: no more tasks in this play.
    ended: AtomicBool,
    errors_cleared: std::sync::atomic::AtomicU32,
    /// Handler names and topics this host notified and that have not run yet.
    notified: std::sync::Mutex<indexmap::IndexSet<String>>,
    /// The last failed task and its result, for `ansible_failed_task`/`_result`.
    last_failure: std::sync::Mutex<Option<(Value, Value)>>,
    /// Opened at the first task that needs it, then shared by every task of the run.
    /// An error is kept so later tasks report the same unreachable cause at once.
    /// `meta: reset_connection` and `wait_for_connection` drop it, and the next task
    /// opens a fresh one.
    pub connection: tokio::sync::Mutex<Option<Result<Arc<dyn Connection>, String>>>,
}

impl HostState {
    pub fn new(name: String, inventory_vars: VarMap, inventory_file: Option<String>) -> Self {
        HostState {
            name,
            inventory_vars: RwLock::new(Arc::new(inventory_vars)),
            inventory_file,
            vars: RwLock::default(),
            facts: RwLock::default(),
            fact_vars: RwLock::default(),
            included: RwLock::default(),
            failed: AtomicBool::new(false),
            unreachable: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            errors_cleared: Default::default(),
            notified: Default::default(),
            last_failure: Default::default(),
            connection: Default::default(),
        }
    }

    pub fn vars(&self) -> Arc<VarMap> {
        read(&self.vars)
    }

    /// Forget the host's connection (closing it when no task still holds it); the
    /// next task connects anew.
    pub async fn reset_connection(&self) {
        *self.connection.lock().await = None;
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

    pub fn set_var(&self, name: &str, value: Value) {
        let mut guard = self.vars.write().unwrap_or_else(|p| p.into_inner());
        Arc::make_mut(&mut guard).insert(name.to_string(), value);
    }

    /// Facts a module returned (`ansible_facts`): stored unprefixed, and injected as
    /// `ansible_NAME` variables as Ansible's INJECT_FACTS_AS_VARS does.
    pub fn add_facts(&self, new: &Map<String, Value>) {
        let mut facts = self.facts.write().unwrap_or_else(|p| p.into_inner());
        let mut fact_vars = self.fact_vars.write().unwrap_or_else(|p| p.into_inner());
        let facts = Arc::make_mut(&mut facts);
        let fact_vars = Arc::make_mut(&mut fact_vars);
        for (k, v) in new {
            let bare = k.strip_prefix("ansible_").unwrap_or(k);
            facts.insert(bare.to_string(), v.clone());
            fact_vars.insert(format!("ansible_{bare}"), v.clone());
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

    /// Take the notification for any of `keys`; true if one was pending.
    pub fn take_notification(&self, keys: &[String]) -> bool {
        let mut n = self.notified.lock().unwrap_or_else(|p| p.into_inner());
        let mut hit = false;
        for k in keys {
            hit |= n.shift_remove(k);
        }
        hit
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

    pub fn is_unreachable(&self) -> bool {
        self.unreachable.load(Ordering::Relaxed)
    }

    pub fn mark_failed(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    pub fn mark_unreachable(&self) {
        self.unreachable.store(true, Ordering::Relaxed);
    }
}

fn read(lock: &RwLock<Arc<VarMap>>) -> Arc<VarMap> {
    lock.read().unwrap_or_else(|p| p.into_inner()).clone()
}
