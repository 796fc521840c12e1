//! Hosts and groups as the parsers build them, with Ansible's rules for how they
//! relate: every group descends from `all`, hosts in no other group land in
//! `ungrouped`, a group may not become its own ancestor.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use indexmap::IndexMap;
use serde_json::Value;

pub type Vars = IndexMap<String, Value>;

pub const ALL: usize = 0;
pub const UNGROUPED: usize = 1;

/// Names that always resolve to a host: ansible creates an implicit localhost for them.
pub const LOCALHOST_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub vars: Vars,
    pub children: Vec<usize>,
    pub parents: Vec<usize>,
    /// Direct members, in the order they were added.
    pub hosts: Vec<usize>,
    pub priority: i64,
    /// Longest path from `all`; filled in by `finish`.
    pub depth: u32,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub vars: Vars,
    /// Groups the host was put in directly.
    pub groups: Vec<usize>,
    /// The source that first defined the host (ansible's `inventory_file`).
    pub source: Option<String>,
    /// Every group the host belongs to (ancestors included, `all` excluded), in
    /// variable precedence order; filled in by `finish`.
    pub sorted_groups: Vec<usize>,
    /// ansible's implicit localhost, materialized because a group took it in at run
    /// time: it never counts as a member of `all`.
    pub implicit: bool,
}

#[derive(Debug, Clone)]
pub struct Data {
    pub groups: Vec<Group>,
    pub group_index: HashMap<String, usize>,
    pub hosts: Vec<Host>,
    pub host_index: HashMap<String, usize>,
    /// Source being parsed, recorded on hosts it creates.
    pub current_source: Option<String>,
    pub warnings: Vec<String>,
    /// File sources that did not parse (lenient loading skips them with a warning).
    pub unparsed: Vec<PathBuf>,
    /// Host variables a `constructed` source composed, as ansible-inventory prints
    /// them (strings a template made wrapped as `__ansible_unsafe`).
    pub untrusted: HashMap<(usize, String), Value>,
}

impl Default for Data {
    fn default() -> Self {
        Self::new()
    }
}

impl Data {
    pub fn new() -> Self {
        let mut data = Data {
            groups: Vec::new(),
            group_index: HashMap::new(),
            hosts: Vec::new(),
            host_index: HashMap::new(),
            current_source: None,
            warnings: Vec::new(),
            unparsed: Vec::new(),
            untrusted: HashMap::new(),
        };
        data.add_group("all");
        data.add_group("ungrouped");
        // Cannot fail: a fresh `ungrouped` has no relation to `all` yet.
        let _ = data.add_child_group(ALL, UNGROUPED);
        data
    }

    pub fn group_id(&self, name: &str) -> Option<usize> {
        self.group_index.get(name).copied()
    }

    pub fn host_id(&self, name: &str) -> Option<usize> {
        self.host_index.get(name).copied()
    }

    pub fn add_group(&mut self, name: &str) -> usize {
        if let Some(id) = self.group_id(name) {
            return id;
        }
        if has_invalid_group_chars(name) {
            // ansible's default (TRANSFORM_INVALID_GROUP_CHARS=never) keeps the name and warns once.
            self.warn("Invalid characters were found in group names but not replaced, use -vvvv to see details");
        }
        let id = self.groups.len();
        self.groups.push(Group {
            name: name.to_string(),
            vars: Vars::new(),
            children: Vec::new(),
            parents: Vec::new(),
            hosts: Vec::new(),
            priority: 1,
            depth: 0,
        });
        self.group_index.insert(name.to_string(), id);
        id
    }

    /// Adds a host (or finds it) and puts it in `group`. As in ansible, the port only
    /// counts when the host is new.
    pub fn add_host(&mut self, name: &str, group: Option<usize>, port: Option<u64>) -> usize {
        let id = match self.host_id(name) {
            Some(id) => id,
            None => {
                let id = self.hosts.len();
                let mut vars = Vars::new();
                if let Some(port) = port.filter(|p| *p != 0) {
                    vars.insert("ansible_port".into(), Value::from(port));
                }
                self.hosts.push(Host {
                    name: name.to_string(),
                    vars,
                    groups: Vec::new(),
                    source: self.current_source.clone(),
                    sorted_groups: Vec::new(),
                    implicit: false,
                });
                self.host_index.insert(name.to_string(), id);
                id
            }
        };
        if let Some(group) = group {
            self.add_host_to_group(group, id);
        }
        id
    }

    /// Materializes the implicit localhost under `name` (outside `all` and `ungrouped`).
    pub fn add_implicit_localhost(&mut self, name: &str, vars: Vars) -> usize {
        let id = self.add_host(name, None, None);
        let host = &mut self.hosts[id];
        host.implicit = true;
        host.source = None;
        host.vars = vars;
        id
    }

    /// The materialized implicit localhost, if any.
    pub fn implicit_localhost(&self) -> Option<usize> {
        self.hosts.iter().position(|h| h.implicit)
    }

    pub fn add_host_to_group(&mut self, group: usize, host: usize) {
        if !self.groups[group].hosts.contains(&host) {
            self.groups[group].hosts.push(host);
            self.hosts[host].groups.push(group);
        }
    }

    fn remove_host_from_group(&mut self, group: usize, host: usize) {
        self.groups[group].hosts.retain(|h| *h != host);
        self.hosts[host].groups.retain(|g| *g != group);
    }

    /// Makes `child` a child of `parent`; refuses cycles with ansible's messages.
    pub fn add_child_group(&mut self, parent: usize, child: usize) -> Result<(), String> {
        if parent == child {
            return Err(format!(
                "can't add group '{}' to itself",
                self.groups[parent].name
            ));
        }
        if self.groups[parent].children.contains(&child) {
            return Ok(());
        }
        if self.ancestors(parent).contains(&child) {
            return Err(format!(
                "Adding group '{}' as child to '{}' creates a recursive dependency loop.",
                self.groups[child].name, self.groups[parent].name
            ));
        }
        self.groups[parent].children.push(child);
        if !self.groups[child].parents.contains(&parent) {
            self.groups[child].parents.push(parent);
        }
        Ok(())
    }

    pub fn ancestors(&self, group: usize) -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut stack: Vec<usize> = self.groups[group].parents.clone();
        while let Some(g) = stack.pop() {
            if seen.insert(g) {
                stack.extend(self.groups[g].parents.iter().copied());
            }
        }
        seen
    }

    /// All groups of a host: its direct groups and their ancestors.
    pub fn host_group_closure(&self, host: usize) -> HashSet<usize> {
        let mut all = HashSet::new();
        for &g in &self.hosts[host].groups {
            if all.insert(g) {
                all.extend(self.ancestors(g));
            }
        }
        all
    }

    pub fn set_group_var(&mut self, group: usize, key: &str, value: Value) -> Result<(), String> {
        if key == "ansible_group_priority" {
            self.groups[group].priority = priority_value(&value)?;
        } else {
            self.groups[group].vars.insert(key.to_string(), value);
        }
        Ok(())
    }

    pub fn set_host_var(&mut self, host: usize, key: &str, value: Value) {
        self.untrusted.remove(&(host, key.to_string()));
        self.hosts[host].vars.insert(key.to_string(), value);
    }

    pub fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        // ansible's display deduplicates identical warnings.
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    /// ansible's reconcile_inventory followed by the precomputation variable
    /// resolution needs (depths, each host's groups in precedence order).
    pub fn finish(&mut self) {
        for g in 0..self.groups.len() {
            if g != ALL && self.groups[g].parents.is_empty() {
                // Cannot fail: a group without parents cannot be an ancestor of `all`.
                let _ = self.add_child_group(ALL, g);
            }
        }
        for h in 0..self.hosts.len() {
            let closure = self.host_group_closure(h);
            if closure.contains(&UNGROUPED) {
                if closure.iter().any(|g| *g != ALL && *g != UNGROUPED) {
                    self.remove_host_from_group(UNGROUPED, h);
                }
            } else if !self.hosts[h].implicit && closure.iter().all(|g| *g == ALL) {
                self.add_host_to_group(UNGROUPED, h);
            }
        }
        let names: Vec<String> = self
            .hosts
            .iter()
            .filter(|h| !h.implicit && self.group_index.contains_key(&h.name))
            .map(|h| h.name.clone())
            .collect();
        for name in names {
            self.warn(format!("Found both group and host with same name: {name}"));
        }
        self.compute_depths();
        for h in 0..self.hosts.len() {
            let mut groups: Vec<usize> = self
                .host_group_closure(h)
                .into_iter()
                .filter(|g| *g != ALL)
                .collect();
            groups.sort_by(|a, b| self.precedence_key(*a).cmp(&self.precedence_key(*b)));
            self.hosts[h].sorted_groups = groups;
        }
    }

    /// ansible's sort_groups key: shallower groups first, then lower priority, then name.
    pub fn precedence_key(&self, g: usize) -> (u32, i64, &str) {
        let group = &self.groups[g];
        (group.depth, group.priority, group.name.as_str())
    }

    pub fn compute_depths(&mut self) {
        let mut depth: Vec<Option<u32>> = vec![None; self.groups.len()];
        for g in 0..self.groups.len() {
            self.depth_of(g, &mut depth);
        }
        for (group, d) in self.groups.iter_mut().zip(depth) {
            group.depth = d.unwrap_or(0);
        }
    }

    fn depth_of(&self, g: usize, memo: &mut [Option<u32>]) -> u32 {
        if let Some(d) = memo[g] {
            return d;
        }
        // Iterative longest-path from the roots: parents are resolved before children.
        let mut stack = vec![(g, false)];
        while let Some((node, expanded)) = stack.pop() {
            if memo[node].is_some() {
                continue;
            }
            let parents = &self.groups[node].parents;
            if expanded || parents.iter().all(|p| memo[*p].is_some()) {
                let d = parents
                    .iter()
                    .filter_map(|p| memo[*p])
                    .map(|d| d + 1)
                    .max()
                    .unwrap_or(0);
                memo[node] = Some(d);
            } else {
                stack.push((node, true));
                for p in parents {
                    if memo[*p].is_none() {
                        stack.push((*p, false));
                    }
                }
            }
        }
        memo[g].unwrap_or(0)
    }

    /// Hosts of a group and its descendants, in ansible's order: the group's own
    /// hosts, then its children's, then grandchildren's, level by level.
    pub fn group_hosts(&self, group: usize) -> Vec<usize> {
        let mut ordered = vec![group];
        let mut seen: HashSet<usize> = HashSet::from([group]);
        let mut level = vec![group];
        while !level.is_empty() {
            let mut next = Vec::new();
            for g in level {
                for &child in &self.groups[g].children {
                    if seen.insert(child) {
                        ordered.push(child);
                        next.push(child);
                    }
                }
            }
            level = next;
        }
        let mut hosts = Vec::new();
        let mut seen_hosts = HashSet::new();
        for g in ordered {
            for &h in &self.groups[g].hosts {
                if group == ALL && self.hosts[h].implicit {
                    continue;
                }
                if seen_hosts.insert(h) {
                    hosts.push(h);
                }
            }
        }
        hosts
    }
}

fn priority_value(value: &Value) -> Result<i64, String> {
    let parsed = match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        // int(None), int([]) raise TypeError, which ansible ignores.
        _ => return Ok(1),
    };
    parsed.ok_or_else(|| format!("invalid ansible_group_priority {value}: not an integer"))
}

/// Mirrors ansible's INVALID_VARIABLE_NAMES check (`^[\d\W]|[^\w]`).
/// A group name with the characters ansible does not allow replaced by `_` (a leading
/// digit included), as inventory plugins that build names (`constructed`) make them.
pub fn safe_group_name(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if !is_word(c) || (i == 0 && c.is_numeric()) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn has_invalid_group_chars(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        None => false,
        Some(first) if first.is_numeric() || !is_word(first) => true,
        Some(_) => chars.any(|c| !is_word(c)),
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ungrouped_holds_only_hosts_without_groups() {
        let mut d = Data::new();
        let web = d.add_group("web");
        d.add_host("a", Some(UNGROUPED), None);
        d.add_host("b", Some(web), None);
        d.add_host("c", Some(UNGROUPED), None);
        d.add_host_to_group(web, 2);
        d.finish();
        assert_eq!(d.groups[UNGROUPED].hosts, vec![0]);
        assert_eq!(d.groups[ALL].children, vec![UNGROUPED, web]);
    }

    #[test]
    fn cycles_are_refused() {
        let mut d = Data::new();
        let a = d.add_group("a");
        let b = d.add_group("b");
        assert!(d.add_child_group(a, b).is_ok());
        let err = d.add_child_group(b, a).unwrap_err();
        assert!(err.contains("recursive dependency loop"), "{err}");
        assert!(d.add_child_group(a, a).is_err());
    }

    #[test]
    fn depth_is_longest_path_and_sorting_uses_priority() {
        let mut d = Data::new();
        let a = d.add_group("a");
        let b = d.add_group("b");
        let c = d.add_group("c");
        d.add_child_group(a, b).unwrap();
        d.add_child_group(b, c).unwrap();
        d.add_child_group(a, c).unwrap();
        let z = d.add_group("z");
        d.set_group_var(z, "ansible_group_priority", Value::from(0))
            .unwrap();
        let h = d.add_host("h", Some(c), None);
        d.add_host_to_group(z, h);
        d.finish();
        assert_eq!(d.groups[c].depth, 3);
        let names: Vec<&str> = d.hosts[h]
            .sorted_groups
            .iter()
            .map(|g| d.groups[*g].name.as_str())
            .collect();
        assert_eq!(names, ["z", "a", "b", "c"]);
    }

    #[test]
    fn port_counts_only_for_new_hosts() {
        let mut d = Data::new();
        d.add_host("h", None, Some(22));
        d.add_host("h", None, Some(2222));
        assert_eq!(d.hosts[0].vars["ansible_port"], Value::from(22));
    }
}
