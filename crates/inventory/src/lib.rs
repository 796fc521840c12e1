//! drover-inventory: INI, YAML, script and host-list inventories, group and host
//! variables with Ansible's precedence, and host patterns, all as ansible-core
//! 2.19 computes them.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

mod address;
mod constructed;
mod error;
mod glob;
mod ini;
mod model;
mod output;
mod pattern;
mod pyjson;
mod script;
mod shlex;
mod sources;
mod vars_dirs;
mod yaml_inv;

pub use error::InventoryError;
pub use pattern::{split_host_pattern, Selection};
pub use pyjson::dump as dump_ansible_json;
pub use sources::{is_host_list, unfrack as source_path};

use model::{Data, Vars, ALL, LOCALHOST_NAMES};
use vars_dirs::{Kind, VarsDir};

/// How [`Inventory::load_with`] reads its sources.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// A file that does not parse is skipped with ansible's warnings (which quote the
    /// error and its position) rather than ending the load; [`Inventory::unparsed`]
    /// lists those files.
    pub lenient: bool,
    /// The run's extra vars (`-e`): the `constructed` plugin's expressions see them
    /// with `use_extra_vars: true`, as ansible's inventory plugins do.
    pub extra_vars: serde_json::Map<String, Value>,
    /// The inventory plugins sources are tried with (ansible's `INVENTORY_ENABLED`).
    pub plugins: Plugins,
}

/// The inventory plugins a load may use, as ansible's `INVENTORY_ENABLED` setting
/// (`ANSIBLE_INVENTORY_ENABLED`) names them. drover tries the enabled ones in
/// ansible's default order (host_list, script, auto, yaml, ini, toml, then
/// constructed), whatever order they are named in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plugins {
    /// `a,b,` host lists.
    pub host_list: bool,
    /// Executable files.
    pub script: bool,
    /// `.yml`/`.yaml` files naming a plugin (`plugin: constructed`).
    pub auto: bool,
    /// YAML inventories (no extension, `.yml`, `.yaml`, `.json`).
    pub yaml: bool,
    /// INI inventories (any file).
    pub ini: bool,
    /// `.toml` files (drover refuses them with an error).
    pub toml: bool,
    /// `constructed` configurations (`.yml`, `.yaml`, `.config`) without `auto`, by
    /// the name it was enabled under: as in ansible, a configuration's `plugin` must
    /// then be that same name (`constructed` or `ansible.builtin.constructed`).
    pub constructed: Option<&'static str>,
}

impl Default for Plugins {
    /// ansible's default: host_list, script, auto, yaml, ini, toml.
    fn default() -> Self {
        Plugins {
            host_list: true,
            script: true,
            auto: true,
            yaml: true,
            ini: true,
            toml: true,
            constructed: None,
        }
    }
}

impl Plugins {
    /// The plugins of an `INVENTORY_ENABLED` list (`ini`, `ansible.builtin.ini`, ...),
    /// and the names drover does not have (ansible skips those with a warning).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> (Plugins, Vec<String>) {
        let mut plugins = Plugins {
            host_list: false,
            script: false,
            auto: false,
            yaml: false,
            ini: false,
            toml: false,
            constructed: None,
        };
        let mut unknown = Vec::new();
        for raw in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
            let name = raw
                .strip_prefix("ansible.builtin.")
                .or_else(|| raw.strip_prefix("ansible.legacy."))
                .unwrap_or(raw);
            if matches!(name, "constructed") {
                plugins.constructed = Some(match raw {
                    "constructed" => "constructed",
                    "ansible.builtin.constructed" => "ansible.builtin.constructed",
                    _ => "ansible.legacy.constructed",
                });
                continue;
            }
            let flag = match name {
                "host_list" => &mut plugins.host_list,
                "script" => &mut plugins.script,
                "auto" => &mut plugins.auto,
                "yaml" => &mut plugins.yaml,
                "ini" => &mut plugins.ini,
                "toml" => &mut plugins.toml,
                _ => {
                    unknown.push(raw.to_string());
                    continue;
                }
            };
            *flag = true;
        }
        (plugins, unknown)
    }
}

/// A loaded inventory: hosts, groups, their variables, and the `group_vars/` /
/// `host_vars/` directories beside the sources (and later the playbook).
#[derive(Debug, Clone)]
pub struct Inventory {
    data: Data,
    /// Vars directories beside the inventory sources, one per source, in `-i` order.
    inventory_dirs: Vec<VarsDir>,
    /// Vars directories beside the playbook, added by the engine.
    playbook_dirs: Vec<VarsDir>,
    /// Host variables of the implicit localhost.
    implicit_vars: Vars,
}

impl Inventory {
    /// Loads `-i` sources in order: a file (INI, YAML or executable script, by
    /// content), a directory (every file in it, skipping what ansible skips), or a
    /// host list `a,b,` (contains a comma and is not an existing path).
    pub fn load(sources: &[String]) -> Result<Inventory, InventoryError> {
        Self::load_with(sources, &LoadOptions::default())
    }

    /// Like [`Inventory::load`], but a file that does not parse is skipped with
    /// ansible's warnings (which quote the error and its position) rather than
    /// ending the load; [`Inventory::unparsed`] lists those files.
    pub fn load_lenient(sources: &[String]) -> Result<Inventory, InventoryError> {
        Self::load_with(
            sources,
            &LoadOptions {
                lenient: true,
                ..LoadOptions::default()
            },
        )
    }

    /// The file sources that did not parse (only [`Inventory::load_lenient`] skips them).
    pub fn unparsed(&self) -> &[PathBuf] {
        &self.data.unparsed
    }

    /// Loads the sources as [`Inventory::load`] does, with the given options.
    pub fn load_with(
        sources: &[String],
        options: &LoadOptions,
    ) -> Result<Inventory, InventoryError> {
        let mut data = Data::new();
        let mut roots: Vec<PathBuf> = Vec::new();
        for source in sources.iter().filter(|s| !s.is_empty()) {
            if options.plugins.host_list && sources::is_host_list(source) {
                sources::parse_host_list(&mut data, source);
                continue;
            }
            let path = sources::unfrack(source);
            sources::parse_path(&mut data, &path, options)?;
            let root = if path.is_dir() {
                path.clone()
            } else {
                path.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            roots.push(root);
        }
        data.finish();
        let mut inventory = Inventory::from_data(data);
        for root in roots {
            let dir = VarsDir::open(&root, &mut inventory.data.warnings)?;
            inventory.inventory_dirs.push(dir);
        }
        inventory.load_entities()?;
        Ok(inventory)
    }

    /// The inventory ansible-playbook uses when no `-i` is given and no default
    /// inventory exists: no hosts, with `localhost` available implicitly (matched
    /// by name, never by `all`).
    pub fn implicit() -> Inventory {
        let mut data = Data::new();
        data.finish();
        Inventory::from_data(data)
    }

    fn from_data(data: Data) -> Inventory {
        let mut implicit_vars = Vars::new();
        implicit_vars.insert("ansible_connection".into(), Value::from("local"));
        Inventory {
            data,
            inventory_dirs: Vec::new(),
            playbook_dirs: Vec::new(),
            implicit_vars,
        }
    }

    /// Reads the vars files of every known group and host (and the implicit
    /// localhost names) from every vars directory.
    fn load_entities(&mut self) -> Result<(), InventoryError> {
        let groups: Vec<String> = self.data.groups.iter().map(|g| g.name.clone()).collect();
        let hosts: Vec<String> = self
            .data
            .hosts
            .iter()
            .map(|h| h.name.clone())
            .chain(LOCALHOST_NAMES.iter().map(|s| s.to_string()))
            .collect();
        for dir in self
            .inventory_dirs
            .iter_mut()
            .chain(self.playbook_dirs.iter_mut())
        {
            for g in &groups {
                dir.load(Kind::Group, g)?;
            }
            for h in &hosts {
                dir.load(Kind::Host, h)?;
            }
        }
        Ok(())
    }

    /// Adds the `group_vars/` and `host_vars/` beside a playbook. They rank above
    /// the inventory's own directories at each level (all, groups, host), as in
    /// ansible; call again for each playbook directory, in order.
    pub fn load_vars_dirs(&mut self, dir: &Path) -> Result<(), InventoryError> {
        let vars_dir = VarsDir::open(dir, &mut self.data.warnings)?;
        self.playbook_dirs.push(vars_dir);
        self.load_entities()
    }

    /// Forgets the playbook vars directories (when moving to another playbook).
    pub fn clear_playbook_vars_dirs(&mut self) {
        self.playbook_dirs.clear();
    }

    /// Warnings ansible would print while loading (ignored keys, odd names, ...).
    pub fn warnings(&self) -> &[String] {
        &self.data.warnings
    }

    /// Hosts defined by the inventory, in the order they were first defined.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.data
            .hosts
            .iter()
            .filter(|h| !h.implicit)
            .map(|h| h.name.as_str())
    }

    /// Whether `name` is a host: an inventory host, or a localhost name that
    /// ansible would resolve to its implicit localhost.
    pub fn host_exists(&self, name: &str) -> bool {
        self.data.host_id(name).is_some() || LOCALHOST_NAMES.contains(&name)
    }

    /// Whether `name` is the implicit localhost (not defined by the inventory).
    pub fn is_implicit_localhost(&self, name: &str) -> bool {
        match self.data.host_id(name) {
            Some(id) => self.data.hosts[id].implicit,
            None => LOCALHOST_NAMES.contains(&name),
        }
    }

    pub fn group_exists(&self, name: &str) -> bool {
        self.data.group_id(name).is_some()
    }

    /// The inventory file that first defined the host (ansible's `inventory_file`).
    pub fn inventory_file(&self, host: &str) -> Option<&str> {
        let id = self.data.host_id(host)?;
        self.data.hosts[id].source.as_deref()
    }

    /// The directory of `inventory_file` (ansible's `inventory_dir`).
    pub fn inventory_dir(&self, host: &str) -> Option<PathBuf> {
        let file = Path::new(self.inventory_file(host)?);
        if file.is_dir() {
            Some(file.to_path_buf())
        } else if file.is_file() {
            file.parent().map(Path::to_path_buf)
        } else {
            None
        }
    }

    /// The variable layers of a host, lowest precedence first: `all` group vars,
    /// the host's groups (by depth, ansible_group_priority, name), then
    /// group_vars/all beside the inventory and beside the playbook, then
    /// group_vars/GROUP beside the inventory and the playbook, then the host's
    /// inventory vars, host_vars beside the inventory and beside the playbook.
    /// Nothing is copied: callers can look variables up layer by layer.
    pub fn host_var_layers(&self, host: &str) -> Vec<&IndexMap<String, Value>> {
        let mut layers: Vec<&Vars> = vec![&self.data.groups[ALL].vars];
        let (groups, host_vars): (&[usize], &Vars) = match self.data.host_id(host) {
            Some(id) => (
                &self.data.hosts[id].sorted_groups,
                &self.data.hosts[id].vars,
            ),
            None if LOCALHOST_NAMES.contains(&host) => (&[], &self.implicit_vars),
            None => return Vec::new(),
        };
        for &g in groups {
            layers.push(&self.data.groups[g].vars);
        }
        for dir in self.inventory_dirs.iter().chain(&self.playbook_dirs) {
            layers.extend(dir.get(Kind::Group, "all"));
        }
        for dirs in [&self.inventory_dirs, &self.playbook_dirs] {
            for dir in dirs {
                for &g in groups {
                    layers.extend(dir.get(Kind::Group, &self.data.groups[g].name));
                }
            }
        }
        layers.push(host_vars);
        for dir in self.inventory_dirs.iter().chain(&self.playbook_dirs) {
            layers.extend(dir.get(Kind::Host, host));
        }
        layers.retain(|l| !l.is_empty());
        layers
    }

    /// The variables of a host from the inventory, merged with Ansible's precedence
    /// (see `host_var_layers`). Empty for an unknown host.
    pub fn host_vars(&self, host: &str) -> IndexMap<String, Value> {
        let mut merged = IndexMap::new();
        for layer in self.host_var_layers(host) {
            for (k, v) in layer {
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
    }

    /// A host's variables as `ansible-inventory --list` prints them: like [`Inventory::host_vars`],
    /// but strings a `constructed` template made are wrapped as
    /// `{"__ansible_unsafe": ...}`, the way ansible-core 2.19 marks untrusted text.
    pub fn shown_host_vars(&self, host: &str) -> IndexMap<String, Value> {
        let mut vars = self.host_vars(host);
        if let Some(h) = self.data.host_id(host) {
            for (k, v) in vars.iter_mut() {
                if let Some(shown) = self.data.untrusted.get(&(h, k.clone())) {
                    if self.data.hosts[h].vars.get(k) == Some(v) {
                        *v = shown.clone();
                    }
                }
            }
        }
        vars
    }

    /// The `group_names` magic variable: the host's groups (ancestors included)
    /// sorted, without `all` (ansible keeps `ungrouped` in it).
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let Some(id) = self.data.host_id(host) else {
            return Vec::new();
        };
        let mut names: Vec<String> = self.data.hosts[id]
            .sorted_groups
            .iter()
            .map(|g| self.data.groups[*g].name.clone())
            .collect();
        names.sort();
        names
    }

    /// The `groups` magic variable: every group (with `all` and `ungrouped`) and
    /// the hosts in it or its descendants.
    pub fn groups(&self) -> IndexMap<String, Vec<String>> {
        self.data
            .groups
            .iter()
            .enumerate()
            .map(|(id, g)| {
                let hosts = self
                    .data
                    .group_hosts(id)
                    .into_iter()
                    .map(|h| self.data.hosts[h].name.clone())
                    .collect();
                (g.name.clone(), hosts)
            })
            .collect()
    }

    /// Evaluates a host pattern (play `hosts:` or `--limit`).
    pub fn select(&self, pattern: &str) -> Result<Selection, InventoryError> {
        pattern::Evaluator::new(&self.data).evaluate(&split_host_pattern(pattern))
    }

    /// Evaluates a `--limit` value, which may also name files with `@path` (one
    /// pattern per line), as ansible's subset does.
    pub fn select_limit(&self, limit: &str) -> Result<Selection, InventoryError> {
        let mut patterns = Vec::new();
        for part in split_host_pattern(limit) {
            let Some(file) = part.strip_prefix('@') else {
                patterns.push(part);
                continue;
            };
            let path = Path::new(file);
            // ansible names the file as Python bytes in these two messages.
            if !path.exists() {
                return Err(InventoryError::Lookup(format!(
                    "Unable to find limit file b'{file}'"
                )));
            }
            if !path.is_file() {
                return Err(InventoryError::Lookup(format!(
                    "Limit starting with \"@\" must be a file, not a directory: b'{file}'"
                )));
            }
            let text = std::fs::read_to_string(path).map_err(|e| InventoryError::io(path, e))?;
            patterns.extend(text.split('\n').map(|l| l.trim().to_string()));
        }
        pattern::Evaluator::new(&self.data).evaluate(&patterns)
    }

    /// The hosts of `pattern` restricted to those `limit` selects, in `pattern`'s
    /// order (ansible-playbook's play host list under `--limit`).
    pub fn select_limited(
        &self,
        pattern: &str,
        limit: Option<&str>,
    ) -> Result<Selection, InventoryError> {
        let mut selection = self.select(pattern)?;
        if let Some(limit) = limit {
            let allowed = self.select_limit(limit)?;
            selection.hosts.retain(|h| allowed.hosts.contains(h));
            selection.unmatched.extend(allowed.unmatched);
            selection.warnings.extend(allowed.warnings);
        }
        Ok(selection)
    }

    /// `ansible-inventory --list` as JSON (keys sorted as ansible prints them).
    pub fn to_list_json(&self) -> Value {
        output::list_json(self)
    }

    /// `ansible-inventory --host HOST`: the host's variables, or `None` when the
    /// pattern does not name exactly one host.
    pub fn host_json(&self, host: &str) -> Option<Value> {
        output::host_json(self, host)
    }

    /// `ansible-inventory --graph [GROUP]` text (no trailing newline).
    pub fn graph(&self, group: Option<&str>) -> Result<String, InventoryError> {
        output::graph(self, group.unwrap_or("all"))
    }

    /// Adds a host at run time (the `add_host` module): creates it in `all` if new,
    /// merges `vars` into its host variables and puts it in `groups` (created as
    /// needed).
    pub fn add_host(
        &mut self,
        name: &str,
        groups: &[String],
        vars: IndexMap<String, Value>,
    ) -> Result<bool, InventoryError> {
        let (id, mut changed) = match self.data.host_id(name) {
            Some(id) if self.data.hosts[id].implicit => {
                // add_host makes a real inventory host of it.
                self.data.hosts[id].implicit = false;
                self.data.add_host_to_group(ALL, id);
                (id, true)
            }
            Some(id) => (id, false),
            None => (self.data.add_host(name, Some(ALL), None), true),
        };
        for (k, v) in vars {
            changed |= self.data.hosts[id].vars.get(&k) != Some(&v);
            self.data.set_host_var(id, &k, v);
        }
        for group in groups {
            let g = self.data.add_group(group);
            changed |= !self.data.groups[g].hosts.contains(&id);
            self.data.add_host_to_group(g, id);
        }
        self.data.finish();
        self.load_entities()?;
        Ok(changed)
    }

    /// Puts a host in a group at run time (the `group_by` module), creating the
    /// group and making it a child of `parents` (created as needed).
    pub fn add_host_to_group(
        &mut self,
        host: &str,
        group: &str,
        parents: &[String],
    ) -> Result<bool, InventoryError> {
        let id = match self.data.host_id(host) {
            Some(id) => id,
            None if LOCALHOST_NAMES.contains(&host) => match self.data.implicit_localhost() {
                Some(id) => id,
                None => self
                    .data
                    .add_implicit_localhost(host, self.implicit_vars.clone()),
            },
            None => {
                return Err(InventoryError::Lookup(format!(
                    "{host} cannot be matched in inventory"
                )))
            }
        };
        let g = self.data.add_group(group);
        for parent in parents {
            let p = self.data.add_group(parent);
            self.data
                .add_child_group(p, g)
                .map_err(InventoryError::Lookup)?;
        }
        let changed = !self.data.groups[g].hosts.contains(&id);
        self.data.add_host_to_group(g, id);
        self.data.finish();
        self.load_entities()?;
        Ok(changed)
    }

    /// The `inventory_hostname_short` magic variable: the name up to the first dot,
    /// except for IP addresses, which stay whole.
    pub fn inventory_hostname_short(name: &str) -> String {
        if address::is_ipv4(name) || address::is_ipv6(name) {
            name.to_string()
        } else {
            name.split('.').next().unwrap_or(name).to_string()
        }
    }

    pub(crate) fn data(&self) -> &Data {
        &self.data
    }
}

#[cfg(test)]
mod tests;
