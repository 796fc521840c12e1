//! Layered variable lookup for one host at one task. Layers are shared maps (`Arc`), so
//! building a scope per host per task copies pointers, never whole variable maps.

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::{Map, Value};

pub type VarMap = IndexMap<String, Value>;

/// Magic variables computed on demand (`hostvars` is costly and rarely used).
pub trait Magic: Send + Sync {
    fn get(&self, name: &str) -> Option<Value>;
    fn names(&self) -> Vec<String>;
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

    pub fn with_var(self, name: &str, value: Value) -> Self {
        let mut m = VarMap::new();
        m.insert(name.to_string(), value);
        self.above(Arc::new(m))
    }

    /// Every user variable merged (for `vars` and `hostvars`): highest layer wins.
    pub fn flatten(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for layer in self.layers.iter().rev() {
            for (k, v) in layer.iter() {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    }
}

impl drover_template::Vars for Scope {
    fn get(&self, name: &str) -> Option<Value> {
        if name == "vars" || crate::magic::NAMES.contains(&name) {
            if name == "vars" {
                return Some(Value::Object(self.flatten()));
            }
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
}
