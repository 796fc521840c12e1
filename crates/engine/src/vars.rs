//! Layered variable lookup for one host at one task. Layers are shared maps (`Arc`), so
//! building a scope per host per task copies pointers, never whole variable maps.

use std::collections::HashSet;
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

/// A layer of variables and whether they come from a trusted source (the playbook,
/// the inventory, `-e`) or from a host (registered results, facts).
#[derive(Clone)]
struct Layer {
    vars: Arc<VarMap>,
    trusted: bool,
    /// In an untrusted layer, the names whose values are trusted all the same.
    trusted_names: Option<Arc<HashSet<String>>>,
}

impl Layer {
    fn trusts(&self, name: &str) -> bool {
        self.trusted
            || self
                .trusted_names
                .as_ref()
                .is_some_and(|t| t.contains(name))
    }
}

#[derive(Clone)]
pub struct Scope {
    /// Highest precedence first.
    layers: Vec<Layer>,
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
    pub fn below(self, layer: Arc<VarMap>) -> Self {
        self.add(layer, true, false)
    }

    /// Add a layer of values a host gave (registered results, facts) below every layer
    /// added so far.
    pub fn below_untrusted(self, layer: Arc<VarMap>) -> Self {
        self.add(layer, false, false)
    }

    /// [`Self::below_untrusted`] for a layer some of whose variables (`trusted`) come
    /// from a trusted source (set facts written in the playbook).
    pub fn below_mixed(self, layer: Arc<VarMap>, trusted: Arc<HashSet<String>>) -> Self {
        let names = (!trusted.is_empty()).then_some(trusted);
        self.add_layer(layer, false, names, false)
    }

    /// Add a layer above every layer added so far.
    pub fn above(self, layer: Arc<VarMap>) -> Self {
        self.add(layer, true, true)
    }

    /// Add a layer of values a host gave above every layer added so far.
    pub fn above_untrusted(self, layer: Arc<VarMap>) -> Self {
        self.add(layer, false, true)
    }

    fn add(self, vars: Arc<VarMap>, trusted: bool, on_top: bool) -> Self {
        self.add_layer(vars, trusted, None, on_top)
    }

    fn add_layer(
        mut self,
        vars: Arc<VarMap>,
        trusted: bool,
        trusted_names: Option<Arc<HashSet<String>>>,
        on_top: bool,
    ) -> Self {
        if !vars.is_empty() {
            let layer = Layer {
                vars,
                trusted,
                trusted_names,
            };
            match on_top {
                true => self.layers.insert(0, layer),
                false => self.layers.push(layer),
            }
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

    /// A variable whose value a host gave (a registered result).
    pub fn with_untrusted_var(self, name: &str, value: Value) -> Self {
        let mut m = VarMap::new();
        m.insert(name.to_string(), value);
        self.above_untrusted(Arc::new(m))
    }

    fn layer_of(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.vars.contains_key(name))
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
        self.layer_of(name).and_then(|l| l.vars.get(name).cloned())
    }

    fn get_with_trust(&self, name: &str) -> Option<(Value, bool)> {
        if crate::magic::NAMES.contains(&name) || name == crate::magic::DELEGATED_VARS {
            if let Some(v) = self.magic.get(name) {
                return Some((v, name != "ansible_facts"));
            }
        }
        let layer = self.layer_of(name)?;
        Some((layer.vars.get(name)?.clone(), layer.trusts(name)))
    }

    fn trusted(&self, name: &str) -> bool {
        if name == "ansible_facts" {
            return false;
        }
        self.layer_of(name).is_none_or(|l| l.trusts(name))
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.magic.names();
        for layer in &self.layers {
            names.extend(layer.vars.keys().cloned());
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
