//! Ansible's magic variables for one host in one play.

use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use serde_json::Value;

use crate::host::HostState;
use crate::vars::Scope;

/// What every host of a play shares.
pub struct PlayInfo {
    pub play_name: String,
    pub playbook_dir: String,
    pub play_hosts: Vec<String>,
    /// The hosts of the current `serial` batch.
    pub batch: std::sync::Mutex<Vec<String>>,
    /// `groups`, refreshed when add_host or group_by change the inventory.
    pub groups: std::sync::Mutex<Value>,
    pub check_mode: bool,
    pub diff_mode: bool,
    pub forks: usize,
    pub verbosity: u8,
    /// Every host of the run, for `hostvars`.
    pub hosts: Arc<IndexMap<String, Arc<HostState>>>,
    pub extra_vars: Arc<crate::VarMap>,
    pub run_tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub limit: Option<String>,
    pub role_names: Vec<String>,
    pub dependent_role_names: Vec<String>,
}

pub struct HostMagic {
    pub play: Arc<PlayInfo>,
    pub host: Arc<HostState>,
    pub group_names: Vec<String>,
}

/// The variables magic owns: user variables cannot shadow them.
pub(crate) const NAMES: &[&str] = &[
    "inventory_hostname",
    "inventory_hostname_short",
    "groups",
    "group_names",
    "playbook_dir",
    "play_hosts",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_batch",
    "ansible_play_name",
    "role_names",
    "ansible_play_role_names",
    "ansible_role_names",
    "ansible_dependent_role_names",
    "ansible_check_mode",
    "ansible_diff_mode",
    "ansible_forks",
    "ansible_verbosity",
    "ansible_version",
    "ansible_facts",
    "inventory_dir",
    "inventory_file",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_limit",
    "ansible_playbook_python",
    "ansible_config_file",
];

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().cloned().map(Value::String).collect())
}

impl crate::vars::Magic for HostMagic {
    fn get(&self, name: &str) -> Option<Value> {
        let p = &self.play;
        Some(match name {
            "inventory_hostname" => self.host.name.clone().into(),
            "inventory_hostname_short" => self
                .host
                .name
                .split('.')
                .next()
                .unwrap_or("")
                .to_string()
                .into(),
            "groups" => p.groups.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            "group_names" => strings(&self.group_names),
            "playbook_dir" => p.playbook_dir.clone().into(),
            "play_hosts" | "ansible_play_hosts" | "ansible_play_batch" => {
                let batch = p.batch.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let all = if name == "ansible_play_batch" {
                    &batch
                } else {
                    &p.play_hosts
                };
                let alive: Vec<String> = all
                    .iter()
                    .filter(|h| {
                        p.hosts
                            .get(*h)
                            .is_some_and(|s| !s.is_failed() && !s.is_unreachable())
                    })
                    .cloned()
                    .collect();
                strings(&alive)
            }
            "ansible_play_hosts_all" => strings(&p.play_hosts),
            "ansible_play_name" => p.play_name.clone().into(),
            "role_names" | "ansible_play_role_names" => p.role_names.clone().into(),
            "ansible_dependent_role_names" => p.dependent_role_names.clone().into(),
            "ansible_role_names" => {
                let mut all = p.role_names.clone();
                all.extend(
                    p.dependent_role_names
                        .iter()
                        .filter(|n| !p.role_names.contains(n))
                        .cloned(),
                );
                all.into()
            }
            "ansible_check_mode" => p.check_mode.into(),
            "ansible_diff_mode" => p.diff_mode.into(),
            "ansible_forks" => p.forks.into(),
            "ansible_verbosity" => p.verbosity.into(),
            "ansible_version" => serde_json::json!({
                "full": "2.19.0", "major": 2, "minor": 19, "revision": 0, "string": "2.19.0",
                "drover": env!("CARGO_PKG_VERSION"),
            }),
            "ansible_facts" => Value::Object(
                self.host
                    .facts()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            "ansible_run_tags" => {
                if p.run_tags.is_empty() {
                    strings(&["all".to_string()])
                } else {
                    strings(&p.run_tags)
                }
            }
            "ansible_skip_tags" => strings(&p.skip_tags),
            "ansible_limit" => p.limit.clone()?.into(),
            "ansible_playbook_python" => "/usr/bin/python3".into(),
            "ansible_config_file" => return None,
            "inventory_file" => self.host.inventory_file.clone()?.into(),
            "inventory_dir" => std::path::Path::new(self.host.inventory_file.as_ref()?)
                .parent()?
                .to_string_lossy()
                .into_owned()
                .into(),
            _ => return None,
        })
    }

    fn names(&self) -> Vec<String> {
        NAMES.iter().map(|s| s.to_string()).collect()
    }

    fn host_names(&self) -> Vec<String> {
        self.play.hosts.keys().cloned().collect()
    }

    /// `hostvars[name]`: that host's inventory vars, facts, set facts and extra vars
    /// (no play or task variables, as in Ansible), looked up lazily.
    fn other_host(&self, name: &str) -> Option<Scope> {
        let host = self.play.hosts.get(name)?.clone();
        let groups = self
            .play
            .groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut group_names: Vec<String> = groups
            .as_object()
            .map(|g| {
                g.iter()
                    .filter(|(k, members)| {
                        k.as_str() != "all"
                            && members
                                .as_array()
                                .is_some_and(|m| m.iter().any(|h| h == name))
                    })
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        group_names.sort();
        let magic = HostMagic {
            play: self.play.clone(),
            host: host.clone(),
            group_names,
        };
        Some(
            Scope::new(Arc::new(magic))
                .below(self.play.extra_vars.clone())
                .below_mixed(host.vars(), host.trusted_vars())
                .below(host.included())
                .below_untrusted(host.fact_vars())
                .below(host.inventory_vars()),
        )
    }
}

/// The magic variables of one task: `role_name`, `role_path` and `ansible_role_name`
/// inside a role, and `ansible_search_path`, where lookups look for relative files (the
/// role, the task file's directory, then the playbook's), as ansible-core sets them.
pub(crate) fn task_vars(task: &drover_playbook::Task, playbook_dir: &str) -> crate::VarMap {
    let mut vars = crate::VarMap::new();
    let mut search: Vec<String> = Vec::new();
    if let Some(role) = &task.role {
        let path = role.path.to_string_lossy().into_owned();
        vars.insert("role_name".into(), role.name.clone().into());
        vars.insert("ansible_role_name".into(), role.name.clone().into());
        vars.insert("role_path".into(), path.clone().into());
        if !role.parents.is_empty() {
            let (names, paths): (Vec<String>, Vec<String>) = role
                .parents
                .iter()
                .map(|(n, p)| (n.clone(), p.to_string_lossy().into_owned()))
                .unzip();
            vars.insert("ansible_parent_role_names".into(), names.into());
            vars.insert("ansible_parent_role_paths".into(), paths.into());
        }
        search.push(path);
    }
    let task_dir = task
        .location
        .file
        .path
        .parent()
        .map(|d| d.to_string_lossy().into_owned())
        .filter(|d| !d.is_empty());
    for dir in task_dir.into_iter().chain([playbook_dir.to_string()]) {
        if !search.contains(&dir) {
            search.push(dir);
        }
    }
    vars.insert("ansible_search_path".into(), search.into());
    vars
}

pub(crate) const DELEGATED_VARS: &str = "ansible_delegated_vars";

/// A delegated task's magic: `ansible_delegated_vars` is `{DELEGATE: its variables}`,
/// as the task would see them on that host (`hostvars` and `vars` left out, and
/// `inventory_hostname` the task's own, as ansible-core), built once, when read.
pub(crate) struct Delegated {
    own: Arc<dyn crate::vars::Magic>,
    delegate: String,
    theirs: Scope,
    built: OnceLock<Value>,
}

impl Delegated {
    pub(crate) fn new(own: Arc<dyn crate::vars::Magic>, delegate: String, theirs: Scope) -> Self {
        Delegated {
            own,
            delegate,
            theirs,
            built: OnceLock::new(),
        }
    }

    fn build(&self) -> Value {
        use drover_template::Vars;
        let mut vars: serde_json::Map<String, Value> = self
            .theirs
            .names()
            .into_iter()
            .filter(|n| !matches!(n.as_str(), "hostvars" | "vars"))
            .filter_map(|n| Some((n.clone(), self.theirs.get(&n)?)))
            .collect();
        if let Some(own) = self.own.get("inventory_hostname") {
            vars.insert("inventory_hostname".into(), own);
        }
        serde_json::json!({ self.delegate.clone(): vars })
    }
}

impl crate::vars::Magic for Delegated {
    fn get(&self, name: &str) -> Option<Value> {
        match name {
            DELEGATED_VARS => Some(self.built.get_or_init(|| self.build()).clone()),
            _ => self.own.get(name),
        }
    }

    fn names(&self) -> Vec<String> {
        let mut names = self.own.names();
        names.push(DELEGATED_VARS.to_string());
        names
    }

    fn host_names(&self) -> Vec<String> {
        self.own.host_names()
    }

    fn other_host(&self, name: &str) -> Option<Scope> {
        self.own.other_host(name)
    }
}
