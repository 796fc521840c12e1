//! drover-template: Jinja templating with Ansible's meaning, on top of minijinja.
//!
//! [`Templar`] renders task arguments, conditionals and template files against a
//! [`Vars`] source. Variables whose values are templates themselves are rendered lazily
//! when a template uses them, with a guard against reference cycles.

mod conditional;
pub mod config;
mod context;
mod convert;
mod datetime;
mod env;
mod error;
mod filters;
mod jinja_tests;
pub mod literal;
mod lookups;
mod native;
mod overrides;
mod percent;
mod pyformat;
mod pyrepr;
mod rawstrings;
mod sha512crypt;
mod strict;
mod templar;
mod version;
mod yaml;

pub use conditional::{untrusted as untrusted_error, Condition};
pub use env::Delimiters;
pub use error::{TemplateError, TemplateErrorKind};
pub use overrides::template_overrides;
pub use pyrepr::{json_repr as py_repr, json_str as py_str};
pub use templar::{Templar, TextOptions};

/// Warnings raised while rendering (a lookup's `on_missing='warn'`), waiting for the
/// engine to report them.
static WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

pub(crate) fn warn(message: String) {
    WARNINGS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(message);
}

/// The warnings raised while rendering since the last call, oldest first.
pub fn take_warnings() -> Vec<String> {
    std::mem::take(&mut *WARNINGS.lock().unwrap_or_else(|p| p.into_inner()))
}

/// A source of variables for one host at one task: layered scopes, looked up by name.
///
/// Values may themselves be templates (`"{{ other }}"`): [`Templar`] renders them lazily
/// when used (recursively, nested strings inside lists and maps too). A reference cycle
/// is an error naming the chain (`a -> b -> a`).
pub trait Vars: Send + Sync {
    fn get(&self, name: &str) -> Option<serde_json::Value>;
    /// Every variable name, for `vars`-like iteration; may be expensive.
    fn names(&self) -> Vec<String>;

    /// Another host's variables, for `hostvars[host]`, when `get("hostvars")` gives
    /// nothing. Values from it are rendered against that host's own variables.
    fn host_vars(&self, _host: &str) -> Option<Box<dyn Vars + '_>> {
        None
    }

    /// The hosts `hostvars` iterates over (the inventory's hosts).
    fn host_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether variable `name` comes from a trusted source (the playbook, its roles
    /// and vars files, the inventory, `-e`) rather than from a host (a registered
    /// result, a fact). Only a trusted string is evaluated as an expression when a
    /// conditional's template gives one (`when: "{{ check }}"`), as in ansible-core 2.19.
    fn trusted(&self, _name: &str) -> bool {
        true
    }

    /// [`Self::get`] and [`Self::trusted`] at once (a source may find both in one
    /// look-up).
    fn get_with_trust(&self, name: &str) -> Option<(serde_json::Value, bool)> {
        self.get(name).map(|v| (v, self.trusted(name)))
    }
}

/// A plain map is a complete variable source; handy for tests and one-off renders.
impl Vars for serde_json::Map<String, serde_json::Value> {
    fn get(&self, name: &str) -> Option<serde_json::Value> {
        serde_json::Map::get(self, name).cloned()
    }
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

impl Vars for std::collections::HashMap<String, serde_json::Value> {
    fn get(&self, name: &str) -> Option<serde_json::Value> {
        std::collections::HashMap::get(self, name).cloned()
    }
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

/// No variables at all.
pub struct NoVars;

impl Vars for NoVars {
    fn get(&self, _name: &str) -> Option<serde_json::Value> {
        None
    }
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}
