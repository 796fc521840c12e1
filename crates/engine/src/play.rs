//! The linear strategy: each task runs on every remaining host of the play, `--forks`
//! hosts at a time, before the next task starts.

use std::sync::{Arc, Mutex};

use drover_inventory::Inventory;
use drover_playbook::{Play, Playbook};
use drover_template::Templar;
use futures::StreamExt;
use indexmap::IndexMap;

use crate::events::{Event, Reporter, Stats};
use crate::host::HostState;
use crate::magic::{HostMagic, PlayInfo};
use crate::vars::{Scope, VarMap};
use crate::{EngineError, Outcome, RunOptions};

pub struct Runner<'a> {
    pub(crate) inv: &'a Inventory,
    pub(crate) opts: &'a RunOptions,
    reporter: Mutex<&'a mut dyn Reporter>,
    pub(crate) templar: Templar,
    /// Every host the run knows; the implicit localhost joins when a play names it.
    pub(crate) hosts: std::sync::RwLock<Arc<IndexMap<String, Arc<HostState>>>>,
    stats: Mutex<IndexMap<String, Stats>>,
    pub(crate) extra_vars: Arc<VarMap>,
}

/// What the tasks of one play share.
pub struct PlayCtx<'p> {
    pub play: &'p Play,
    pub info: Arc<PlayInfo>,
    pub play_vars: Arc<VarMap>,
}

impl<'a> Runner<'a> {
    pub fn new(inv: &'a Inventory, opts: &'a RunOptions, reporter: &'a mut dyn Reporter) -> Self {
        let hosts = inv
            .hosts()
            .map(|h| (h.to_string(), Arc::new(Self::host_state(inv, h))))
            .collect();
        Runner {
            inv,
            opts,
            reporter: Mutex::new(reporter),
            templar: Templar::new(),
            hosts: std::sync::RwLock::new(Arc::new(hosts)),
            stats: Mutex::new(IndexMap::new()),
            extra_vars: Arc::new(opts.extra_vars.clone()),
        }
    }

    fn host_state(inv: &Inventory, name: &str) -> HostState {
        HostState::new(
            name.to_string(),
            inv.host_vars(name),
            inv.inventory_file(name).map(str::to_string),
        )
    }

    pub(crate) fn all_hosts(&self) -> Arc<IndexMap<String, Arc<HostState>>> {
        self.hosts.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Make sure every selected host has a state (the implicit localhost has none yet).
    fn admit(&self, selected: &[String]) {
        let known = self.all_hosts();
        let missing: Vec<&String> = selected
            .iter()
            .filter(|h| !known.contains_key(*h))
            .collect();
        if missing.is_empty() {
            return;
        }
        let mut guard = self.hosts.write().unwrap_or_else(|p| p.into_inner());
        let map = Arc::make_mut(&mut guard);
        for h in missing {
            map.insert(h.clone(), Arc::new(Self::host_state(self.inv, h)));
        }
    }

    pub(crate) fn emit(&self, event: Event) {
        let mut r = self.reporter.lock().unwrap_or_else(|p| p.into_inner());
        r.event(&event);
    }

    pub(crate) fn count(&self, host: &str, f: impl FnOnce(&mut Stats)) {
        let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        f(stats.entry(host.to_string()).or_default());
    }

    pub async fn run(self, playbooks: &[Playbook]) -> Result<Outcome, EngineError> {
        let limit = match &self.opts.limit {
            Some(l) => Some(self.select(l)?),
            None => None,
        };
        'books: for pb in playbooks {
            for play in &pb.plays {
                if !self.run_play(pb, play, limit.as_deref()).await? {
                    break 'books;
                }
            }
        }
        let mut stats: Vec<(String, Stats)> = self
            .stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(h, s)| (h.clone(), s.clone()))
            .collect();
        stats.sort_by(|a, b| a.0.cmp(&b.0));
        self.emit(Event::Recap(stats.clone()));
        Ok(Outcome {
            any_failed: stats.iter().any(|(_, s)| s.failed > 0),
            any_unreachable: stats.iter().any(|(_, s)| s.unreachable > 0),
            stats,
        })
    }

    fn select(&self, pattern: &str) -> Result<Vec<String>, EngineError> {
        let sel = self
            .inv
            .select(pattern)
            .map_err(|e| EngineError::Inventory(e.to_string()))?;
        for part in &sel.unmatched {
            self.emit(Event::Warning(format!(
                "Could not match supplied host pattern, ignoring: {part}"
            )));
        }
        Ok(sel.hosts)
    }

    /// Runs one play; `false` when the run must stop (every host failed).
    async fn run_play(
        &self,
        pb: &Playbook,
        play: &Play,
        limit: Option<&[String]>,
    ) -> Result<bool, EngineError> {
        let play_vars: Arc<VarMap> = Arc::new(play.vars.clone());
        let pattern_scope = Scope::new(Arc::new(NoMagic))
            .below(self.extra_vars.clone())
            .below(play_vars.clone());
        let pattern = match self.templar.render(&play.hosts, &pattern_scope) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(serde_json::Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            Ok(other) => other.to_string(),
            Err(e) => return Err(EngineError::Template(format!("{}: {e}", play.location))),
        };
        let mut hosts = self.select(&pattern)?;
        if let Some(limit) = limit {
            hosts.retain(|h| limit.contains(h));
        }
        self.admit(&hosts);
        let known = self.all_hosts();
        hosts.retain(|h| {
            known
                .get(h)
                .is_some_and(|s| !s.is_failed() && !s.is_unreachable())
        });

        let name = play.name.clone().unwrap_or_else(|| play.hosts.clone());
        self.emit(Event::PlayStart { name: name.clone() });
        if hosts.is_empty() {
            self.emit(Event::NoHostsMatched);
            return Ok(true);
        }
        let pb_dir = pb
            .path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    std::path::Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| p.canonicalize().ok())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| ".".into());
        let pc = PlayCtx {
            play,
            info: Arc::new(PlayInfo {
                play_name: name,
                playbook_dir: pb_dir,
                play_hosts: hosts.clone(),
                groups: serde_json::to_value(self.inv.groups()).unwrap_or_default(),
                check_mode: self.opts.check,
                diff_mode: self.opts.diff,
                forks: self.opts.forks,
                verbosity: self.opts.verbosity,
                hosts: known.clone(),
                extra_vars: self.extra_vars.clone(),
            }),
            play_vars,
        };

        if play.gather_facts.unwrap_or(true) {
            let alive = self.alive(&hosts);
            self.emit(Event::TaskStart {
                name: "Gathering Facts".into(),
                location: play.location.clone(),
            });
            self.for_each_host(&alive, |h| self.gather_facts(&pc, h))
                .await;
        }
        for task in play
            .pre_tasks
            .iter()
            .chain(&play.tasks)
            .chain(&play.post_tasks)
        {
            let alive = self.alive(&hosts);
            if alive.is_empty() {
                self.emit(Event::NoMoreHosts);
                return Ok(false);
            }
            self.emit(Event::TaskStart {
                name: self.task_name(task),
                location: task.location.clone(),
            });
            self.for_each_host(&alive, |h| self.run_task_host(&pc, task, h))
                .await;
        }
        // Like ansible-playbook: when every host of the play failed, the run stops.
        Ok(!self.alive(&hosts).is_empty())
    }

    fn alive(&self, hosts: &[String]) -> Vec<Arc<HostState>> {
        let known = self.all_hosts();
        hosts
            .iter()
            .filter_map(|h| known.get(h))
            .filter(|s| !s.is_failed() && !s.is_unreachable())
            .cloned()
            .collect()
    }

    async fn for_each_host<'h, F, Fut>(&self, hosts: &'h [Arc<HostState>], f: F)
    where
        F: Fn(&'h Arc<HostState>) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        futures::stream::iter(hosts.iter().map(f))
            .buffer_unordered(self.opts.forks.max(1))
            .collect::<Vec<()>>()
            .await;
    }

    fn task_name(&self, task: &drover_playbook::Task) -> String {
        match &task.name {
            Some(n) if !n.is_empty() => n.clone(),
            _ => task.action.clone(),
        }
    }

    /// The variables of `host` at a task: extra vars over set facts over task vars over
    /// play vars over gathered facts over inventory.
    pub(crate) fn scope(
        &self,
        pc: &PlayCtx<'_>,
        host: &Arc<HostState>,
        task_vars: Option<Arc<VarMap>>,
    ) -> Scope {
        let magic = HostMagic {
            play: pc.info.clone(),
            host: host.clone(),
            group_names: self.inv.group_names(&host.name),
        };
        let mut s = Scope::new(Arc::new(magic))
            .below(self.extra_vars.clone())
            .below(host.vars());
        if let Some(tv) = task_vars {
            s = s.below(tv);
        }
        s.below(pc.play_vars.clone())
            .below(host.fact_vars())
            .below(host.inventory_vars.clone())
    }
}

struct NoMagic;
impl crate::vars::Magic for NoMagic {
    fn get(&self, _: &str) -> Option<serde_json::Value> {
        None
    }
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}
