//! Ansible's magic variables for one host in one play.

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::host::HostState;

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
    "hostvars",
    "playbook_dir",
    "play_hosts",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_batch",
    "ansible_play_name",
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

/// A host's variables as `hostvars[name]` shows them: inventory, facts, set facts,
/// extra vars (no play or task variables, as in Ansible).
fn host_vars(host: &HostState, extra: &crate::VarMap) -> Value {
    let mut m = Map::new();
    for layer in [
        host.inventory_vars.as_ref(),
        host.fact_vars().as_ref(),
        host.vars().as_ref(),
        extra,
    ] {
        for (k, v) in layer {
            m.insert(k.clone(), v.clone());
        }
    }
    m.insert("inventory_hostname".into(), host.name.clone().into());
    m.insert(
        "inventory_hostname_short".into(),
        host.name.split('.').next().unwrap_or("").to_string().into(),
    );
    m.insert(
        "ansible_facts".into(),
        Value::Object(
            host.facts()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
    );
    Value::Object(m)
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
            "hostvars" => Value::Object(
                p.hosts
                    .iter()
                    .map(|(name, h)| (name.clone(), host_vars(h, &p.extra_vars)))
                    .collect(),
            ),
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
}
