//! Layered variable lookup for one host at one task. Layers are shared maps (`Arc`), so
//! building a scope per host per task copies pointers, never whole variable maps.

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

pub type VarMap = IndexMap<String, Value>;

/// Magic variables computed on demand (`hostvars` is costly and rarely used).
pub trait Magic: Send + Sync {
    fn get(&self, name: &str) -> Option<Value>;
    fn names(&self) -> Vec<String>;
    /// The hosts `hostvars` offers.
    fn host_names(&self) -> Vec<String> {
        Vec::new()
    }
    /// Another host's variables, for `hostvars[name]`.
    fn other_host(&self, _name: &str) -> Option<Scope> {
        None
    }
}

#[derive(Clone)]
pub struct Scope {
    /// Highest precedence first.
    layers: Vec<Arc<VarMap>>,
    magic: Arc<dyn Magic>,
}

impl Scope {
    pub fn new(magic: Arc<dyn Magic>) -> Self {
        Scope {
            layers: Vec::new(),
            magic,
        }
    }

    /// Add a layer below every layer added so far.
    pub fn below(mut self, layer: Arc<VarMap>) -> Self {
        if !layer.is_empty() {
            self.layers.push(layer);
        }
        self
    }

    /// Add a layer above every layer added so far.
    pub fn above(mut self, layer: Arc<VarMap>) -> Self {
        if !layer.is_empty() {
            self.layers.insert(0, layer);
        }
        self
    }

    /// The same layers over other magic variables (built from the current ones).
    pub fn with_magic(mut self, f: impl FnOnce(Arc<dyn Magic>) -> Arc<dyn Magic>) -> Self {
        self.magic = f(self.magic);
        self
    }

    pub fn with_var(self, name: &str, value: Value) -> Self {
        let mut m = VarMap::new();
        m.insert(name.to_string(), value);
        self.above(Arc::new(m))
    }
}

impl drover_template::Vars for Scope {
    fn get(&self, name: &str) -> Option<Value> {
        // `vars` and `hostvars` are left to the templar, which views them lazily.
        if crate::magic::NAMES.contains(&name) || name == crate::magic::DELEGATED_VARS {
            if let Some(v) = self.magic.get(name) {
                return Some(v);
            }
        }
        self.layers.iter().find_map(|l| l.get(name).cloned())
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.magic.names();
        for layer in &self.layers {
            names.extend(layer.keys().cloned());
        }
        names.sort();
        names.dedup();
        names
    }

    fn host_vars(&self, host: &str) -> Option<Box<dyn drover_template::Vars + '_>> {
        self.magic
            .other_host(host)
            .map(|s| Box::new(s) as Box<dyn drover_template::Vars>)
    }

    fn host_names(&self) -> Vec<String> {
        self.magic.host_names()
    }
}
