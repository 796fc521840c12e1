//! `setup` (and play-level fact gathering): ONE round trip runs a POSIX sh probe that
//! prints raw sections (`@@name` then the text); the facts are built here with
//! ansible-core's names and values. `gather_subset` and `filter` as Ansible's.
//!
//! Facts ansible-core 2.19 reports on Linux that drover does not produce (yet):
//! devices, device_links, lvm, hostnqn, iscsi_iqn, fibre_channel_wwn,
//! locally_reachable_ips, system_capabilities(_enforced), selinux details beyond status,
//! interface `features`/`timestamping`/`hw_timestamp_filters`, ipv4_secondaries,
//! processor_threads_per_core on multi-socket hosts (computed like ansible on one
//! socket), `ansible_facts.discovered_interpreter_python`. Virtualization is detected
//! from the same clues Ansible uses for containers and the common hypervisors only.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::setup_facts as sf;
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Setup;

/// Collector names and the subsets they belong to, as ansible-core's default collectors.
const MIN: &[&str] = &[
    "apparmor",
    "caps",
    "cmdline",
    "date_time",
    "distribution",
    "dns",
    "env",
    "fips",
    "local",
    "lsb",
    "pkg_mgr",
    "platform",
    "python",
    "selinux",
    "service_mgr",
    "ssh_pub_keys",
    "user",
];
const HARDWARE: &[&str] = &["hardware", "processor", "memory", "mounts", "dmi"];
const NETWORK: &[&str] = &["network", "interfaces", "default_ipv4"];
const VIRTUAL: &[&str] = &["virtual"];
const OTHER: &[&str] = &["loadavg", "chroot"];

/// Which collectors run for a `gather_subset` list.
pub fn collectors(subset: &[String]) -> Result<BTreeSet<&'static str>, String> {
    let all: Vec<&'static str> = MIN
        .iter()
        .chain(HARDWARE)
        .chain(NETWORK)
        .chain(VIRTUAL)
        .chain(OTHER)
        .copied()
        .collect();
    let group = |name: &str| -> Option<Vec<&'static str>> {
        Some(match name {
            "all" => all.clone(),
            "min" => MIN.to_vec(),
            "hardware" | "devices" => HARDWARE.to_vec(),
            "network" => NETWORK.to_vec(),
            "virtual" => VIRTUAL.to_vec(),
            "ohai" | "facter" => Vec::new(),
            other => vec![*all.iter().find(|c| **c == other)?],
        })
    };
    // ansible-core's get_collector_names: min always, then additions; exclusions do not
    // remove what was named explicitly.
    let mut on: BTreeSet<&'static str> = MIN.iter().copied().collect();
    let mut off: BTreeSet<&'static str> = BTreeSet::new();
    let mut explicit: BTreeSet<&'static str> = BTreeSet::new();
    for s in subset {
        let s = s.trim();
        let (neg, name) = match s.strip_prefix('!') {
            Some(n) => (true, n),
            None => (false, s),
        };
        let g = match group(name) {
            Some(g) => g,
            None if neg => continue,
            None => return Err(format!(
                "Bad subset '{name}' given to Ansible. gather_subset options allowed: all, apparmor, caps, chroot, cmdline, date_time, default_ipv4, devices, distribution, dmi, dns, env, fips, hardware, interfaces, loadavg, local, lsb, memory, min, mounts, network, ohai, pkg_mgr, platform, processor, python, selinux, service_mgr, ssh_pub_keys, user, virtual"
            )),
        };
        match (neg, name) {
            (true, "all") => off.extend(g.iter().filter(|c| !MIN.contains(c))),
            (true, _) => off.extend(g),
            (false, "all" | "min") => on.extend(g),
            (false, _) => {
                explicit.extend(g.iter().copied());
                on.extend(g);
            }
        }
    }
    let off: BTreeSet<&'static str> = off.difference(&explicit).copied().collect();
    Ok(on.difference(&off).copied().collect())
}

/// fnmatch as Python's: `*`, `?`, `[...]`.
pub fn fnmatch(pat: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(end) = p.iter().skip(1).position(|&c| c == ']').map(|i| i + 1) else {
                    return n.first() == Some(&'[') && go(&p[1..], &n[1..]);
                };
                let Some(&c) = n.first() else { return false };
                let set = &p[1..end];
                let (neg, set) = match set.first() {
                    Some('!') => (true, &set[1..]),
                    _ => (false, set),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= c && c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == c;
                        i += 1;
                    }
                }
                hit != neg && go(&p[end + 1..], &n[1..])
            }
            Some(&c) => n.first() == Some(&c) && go(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

#[async_trait]
impl Module for Setup {
    fn name(&self) -> &'static str {
        "setup"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported("setup", OPTIONS)?;
        gather(ctx).await
    }
}

/// The options of `setup` (`gather_facts` passes them on).
pub(crate) const OPTIONS: &[&str] = &["gather_subset", "gather_timeout", "filter", "fact_path"];

/// The facts `setup` returns for the arguments in `ctx`.
pub(crate) async fn gather(ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
    let subset = ctx
        .args
        .list("gather_subset")?
        .unwrap_or_else(|| vec!["all".into()]);
    let on = collectors(&subset).map_err(ModuleError::Failed)?;
    let filters = ctx.args.list("filter")?.unwrap_or_default();
    let fact_path = match ctx.args.str("fact_path")? {
        // A `path` option: `~` is the remote user's home.
        Some(p) => crate::fs::expand_home(ctx, p).await?,
        None => "/etc/ansible/facts.d".into(),
    };
    let script = sf::probe_script(&on, &fact_path);
    let out = ctx.exec(&script, None).await?;
    let (main, local) = match out
        .stdout
        .windows(sf::LOCAL_MARK.len())
        .position(|w| w == sf::LOCAL_MARK)
    {
        Some(i) => (
            &out.stdout[..i],
            Some(&out.stdout[i + sf::LOCAL_MARK.len()..]),
        ),
        None => (&out.stdout[..], None),
    };
    let text = String::from_utf8_lossy(main);
    let sections = sf::sections(&text);
    let mut facts = sf::build(&sections, &on);
    let mut warnings = Vec::new();
    if on.contains("local") {
        let local = crate::setup_local::parse_bytes(local.unwrap_or_default());
        if let Some(msg) = local.failure {
            return Err(ModuleError::Failed(msg));
        }
        facts.insert("ansible_local".into(), local.facts);
        warnings = local.warnings;
    }
    facts.insert("gather_subset".into(), json!(subset));
    facts.insert("module_setup".into(), json!(true));
    let facts = if filters.is_empty() || filters.iter().all(|f| f.is_empty() || f == "*") {
        facts
    } else {
        facts
            .into_iter()
            .filter(|(k, _)| {
                let short = k.strip_prefix("ansible_").unwrap_or(k);
                filters.iter().any(|f| fnmatch(f, k) || fnmatch(f, short))
            })
            .collect()
    };
    let mut r = result(false);
    r.insert("ansible_facts".into(), Value::Object(facts));
    if !warnings.is_empty() {
        r.insert("warnings".into(), json!(warnings));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets() {
        let c = collectors(&["!all".into()]).unwrap();
        assert!(c.contains("user") && !c.contains("mounts"));
        let c = collectors(&["!all".into(), "network".into()]).unwrap();
        assert!(c.contains("interfaces"));
        let c = collectors(&["all".into(), "!hardware".into()]).unwrap();
        assert!(!c.contains("memory") && c.contains("virtual"));
        assert!(collectors(&["bogus".into()]).is_err());
    }

    #[test]
    fn fnmatch_like_python() {
        assert!(fnmatch("ansible_eth*", "ansible_eth0"));
        assert!(fnmatch("*ipv4*", "ansible_default_ipv4"));
        assert!(fnmatch("ansible_[dk]*", "ansible_kernel"));
        assert!(!fnmatch("ansible_eth?", "ansible_eth10"));
    }
}
