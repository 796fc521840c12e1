//! The root context a template renders against: looks variables up in a [`Vars`] on
//! demand, renders templated values lazily, and detects reference cycles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{State, Value};

use crate::convert::{json_has_template, to_trusted_value, to_value};
use crate::error::{to_minijinja, TemplateError};
use crate::templar::Templar;
use crate::Vars;

/// The name under which the context hands itself to our filters and lookups.
pub(crate) const SELF_KEY: &str = "__drover_context__";

/// A `&dyn Vars` borrowed for the duration of one public call.
///
/// minijinja objects must be `'static`, but callers lend us their variables only for the
/// call. The pointer is stored here and cleared by [`ScopeGuard`] before the call
/// returns; every dereference happens under the read lock while it is still set, so an
/// object that outlived the call (nothing should keep one, but nothing forbids it)
/// finds no variables instead of a dangling pointer.
#[derive(Clone, Copy)]
struct VarsPtr(*const (dyn Vars + 'static));

// SAFETY: `Vars: Send + Sync`, so sharing the pointer between threads is as safe as
// sharing the reference it came from; its lifetime is handled by `ScopeGuard`.
unsafe impl Send for VarsPtr {}
unsafe impl Sync for VarsPtr {}

/// State shared by everything rendered within one public call: the variables, values
/// already resolved, and why a variable turned out undefined.
pub(crate) struct Scope {
    pub templar: Templar,
    vars: RwLock<Option<VarsPtr>>,
    resolved: Mutex<HashMap<String, Value>>,
    undefined_causes: Mutex<HashMap<String, String>>,
}

/// Owns a [`Scope`] and revokes its borrowed variables when dropped.
pub(crate) struct ScopeGuard {
    scope: Arc<Scope>,
}

impl ScopeGuard {
    pub fn root(&self) -> Arc<Ctx> {
        Arc::new(Ctx {
            scope: self.scope.clone(),
            chain: Vec::new(),
        })
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let mut slot = match self.scope.vars.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = None;
    }
}

impl Scope {
    pub fn enter<'a>(templar: &Templar, vars: &'a (dyn Vars + 'a)) -> ScopeGuard {
        let ptr: *const (dyn Vars + 'a) = vars;
        // SAFETY: only the lifetime bound changes; ScopeGuard::drop clears the pointer
        // before `'a` can end (the guard lives in the borrowing call's frame).
        let ptr: *const (dyn Vars + 'static) = unsafe { std::mem::transmute(ptr) };
        ScopeGuard {
            scope: Arc::new(Scope {
                templar: templar.clone(),
                vars: RwLock::new(Some(VarsPtr(ptr))),
                resolved: Mutex::new(HashMap::new()),
                undefined_causes: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Runs `f` with the borrowed variables, or returns None once the call has ended.
    pub fn with_vars<R>(&self, f: impl FnOnce(&dyn Vars) -> R) -> Option<R> {
        let slot = match self.vars.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let ptr = (*slot)?;
        // SAFETY: the pointer is set only while the lending call is running (see
        // VarsPtr); the read lock keeps ScopeGuard::drop from clearing it meanwhile.
        let vars: &dyn Vars = unsafe { &*ptr.0 };
        Some(f(vars))
    }

    /// Why `name` turned out undefined, when its own template referenced something
    /// undefined ("'x' is undefined" names x rather than the variable that used it).
    pub fn undefined_cause(&self, name: &str) -> Option<String> {
        lock(&self.undefined_causes).get(name).cloned()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The root context object of one render: a scope plus the chain of variables whose
/// templates are being rendered right now (for cycle detection).
#[derive(Debug)]
pub(crate) struct Ctx {
    pub scope: Arc<Scope>,
    chain: Vec<String>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scope")
    }
}

impl Ctx {
    /// Finds the context of the template being rendered, for filters and lookups.
    pub fn from_state(state: &State) -> Option<Arc<Ctx>> {
        state
            .lookup(SELF_KEY)
            .and_then(|v| v.downcast_object::<Ctx>())
    }

    pub fn as_value(self: &Arc<Self>) -> Value {
        Value::from_dyn_object(self.clone())
    }

    /// The value of variable `name`, with its templates rendered. `Ok(None)` means
    /// undefined.
    pub fn resolve(self: &Arc<Self>, name: &str) -> Result<Option<Value>, TemplateError> {
        if self.chain.iter().any(|n| n == name) {
            let mut chain = self.chain.clone();
            chain.push(name.to_string());
            return Err(TemplateError::new(format!(
                "Recursive loop detected in template: {}",
                chain.join(" -> ")
            )));
        }
        if let Some(v) = lock(&self.scope.resolved).get(name) {
            return Ok(Some(v.clone()));
        }
        let Some((json, trusted)) = self.scope.with_vars(|v| v.get_with_trust(name)).flatten()
        else {
            return Ok(None);
        };
        let value = if json_has_template(&json) {
            let mut chain = self.chain.clone();
            chain.push(name.to_string());
            let child = Arc::new(Ctx {
                scope: self.scope.clone(),
                chain,
            });
            match self
                .scope
                .templar
                .render_json_value_in(&json, &child, trusted)
            {
                Ok(v) => v,
                Err(e) if e.is_undefined() => {
                    lock(&self.scope.undefined_causes).insert(name.to_string(), e.message);
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        } else {
            to_trusted_value(&json, trusted)
        };
        lock(&self.scope.resolved).insert(name.to_string(), value.clone());
        Ok(Some(value))
    }

    fn lookup_value(self: &Arc<Self>, name: &str) -> Option<Value> {
        match self.resolve(name) {
            Ok(v) => v,
            Err(e) => Some(Value::from(to_minijinja(&e))),
        }
    }

    fn defines(&self, name: &str) -> bool {
        self.scope
            .with_vars(|v| v.get(name).is_some())
            .unwrap_or(false)
    }
}

impl Object for Ctx {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        match name {
            SELF_KEY => Some(self.as_value()),
            "vars" if !self.defines("vars") => {
                Some(Value::from_object(VarsView { ctx: self.clone() }))
            }
            "hostvars" if !self.defines("hostvars") => {
                let hosts = self.scope.with_vars(|v| v.host_names()).unwrap_or_default();
                if hosts.is_empty() {
                    None
                } else {
                    Some(Value::from_object(HostvarsView {
                        ctx: self.clone(),
                        hosts,
                    }))
                }
            }
            _ => self.lookup_value(name),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::NonEnumerable
    }
}

/// `vars`: every variable of the host, looked up lazily.
#[derive(Debug)]
struct VarsView {
    ctx: Arc<Ctx>,
}

impl Object for VarsView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.ctx.lookup_value(key.as_str()?)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let names = self.ctx.scope.with_vars(|v| v.names()).unwrap_or_default();
        Enumerator::Values(names.into_iter().map(Value::from).collect())
    }
}

/// `hostvars`: other hosts' variables, each rendered against that host's own variables.
#[derive(Debug)]
struct HostvarsView {
    ctx: Arc<Ctx>,
    hosts: Vec<String>,
}

impl Object for HostvarsView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let host = key.as_str()?;
        if !self.hosts.iter().any(|h| h == host) {
            return None;
        }
        Some(Value::from_object(HostView {
            ctx: self.ctx.clone(),
            host: host.to_string(),
        }))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.hosts.iter().map(|h| Value::from(h.as_str())).collect())
    }
}

#[derive(Debug)]
struct HostView {
    ctx: Arc<Ctx>,
    host: String,
}

impl Object for HostView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        let templar = self.ctx.scope.templar.clone();
        let rendered = self
            .ctx
            .scope
            .with_vars(|vars| {
                let host_vars = vars.host_vars(&self.host)?;
                let raw = host_vars.get(name)?;
                Some(templar.render_value(&raw, &*host_vars))
            })
            .flatten()?;
        match rendered {
            Ok(json) => Some(to_value(&json)),
            Err(e) if e.is_undefined() => None,
            Err(e) => Some(Value::from(to_minijinja(&e))),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let names = self
            .ctx
            .scope
            .with_vars(|vars| vars.host_vars(&self.host).map(|h| h.names()))
            .flatten()
            .unwrap_or_default();
        Enumerator::Values(names.into_iter().map(Value::from).collect())
    }
}
