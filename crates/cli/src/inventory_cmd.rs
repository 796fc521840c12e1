//! `drover inventory` (and the binary invoked as `ansible-inventory`): the `--list`,
//! `--host` and `--graph` views exactly as ansible-inventory prints them. Also the
//! inventory loading `drover play` shares: a missing source is a warning, as in ansible.

use std::collections::HashSet;
use std::path::PathBuf;

use clap::Args;
use drover_inventory::{
    dump_ansible_json, is_host_list, source_path, Inventory, LoadOptions, Plugins,
};
use serde_json::{Map, Value};

use crate::Failure;

#[derive(Args, Debug)]
pub struct InventoryArgs {
    /// Group to start `--graph` at (default: all).
    #[arg(value_name = "GROUP")]
    pub group: Option<String>,
    /// Inventory file, directory or comma-separated host list (repeatable).
    #[arg(
        short = 'i',
        long = "inventory",
        visible_alias = "inventory-file",
        value_name = "INVENTORY"
    )]
    pub inventory: Vec<String>,
    /// Output all hosts and groups as JSON.
    #[arg(long = "list")]
    pub list: bool,
    /// Output the variables of one host as JSON.
    #[arg(long = "host", value_name = "HOST")]
    pub host: Option<String>,
    /// Output the group tree as text.
    #[arg(long = "graph")]
    pub graph: bool,
    /// Only hosts matching this pattern (`@file` reads a retry file); `--list` only.
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,
    /// Extra variables: key=value pairs, YAML/JSON, or @file (repeatable).
    #[arg(short = 'e', long = "extra-vars", value_name = "EXTRA_VARS")]
    pub extra_vars: Vec<String>,
    /// Also read group_vars/ and host_vars/ from this directory.
    #[arg(long = "playbook-dir", value_name = "BASEDIR")]
    pub playbook_dir: Option<PathBuf>,
    /// Write the output to this file instead of stdout.
    #[arg(long = "output", value_name = "OUTPUT_FILE")]
    pub output: Option<PathBuf>,
    /// More output (-v to -vvvv).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// ansible's boolean settings: `yes`, `true`, `on`, `1`, `y`, `t` (any case) are true.
pub fn env_flag(name: &str, default: bool) -> bool {
    match std::env::var(name) {
        Ok(v) => matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "y" | "yes" | "on" | "1" | "true" | "t"
        ),
        Err(_) => default,
    }
}

/// Prints a warning once per run: ansible's Display drops repeated warnings.
pub fn warn(message: impl std::fmt::Display) {
    static SEEN: std::sync::Mutex<Option<HashSet<String>>> = std::sync::Mutex::new(None);
    let message = message.to_string();
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    if seen
        .get_or_insert_with(HashSet::new)
        .insert(message.clone())
    {
        eprintln!("[WARNING]: {message}");
    }
}

const DEFAULT_SOURCE: &str = "/etc/ansible/hosts";

/// The inventory plugins `ANSIBLE_INVENTORY_ENABLED` names (ansible's default list
/// without it); a name drover does not have is skipped with ansible's warning.
fn enabled_plugins() -> Plugins {
    let Ok(list) = std::env::var("ANSIBLE_INVENTORY_ENABLED") else {
        return Plugins::default();
    };
    let (plugins, unknown) = Plugins::from_names(list.split(','));
    for name in unknown {
        warn(format!("Failed to load inventory plugin, skipping {name}"));
    }
    plugins
}

/// Loads the `-i` sources (else `ANSIBLE_INVENTORY`, else /etc/ansible/hosts) the way
/// ansible does: a source that does not exist is a warning and is skipped; with no
/// source left only the implicit localhost remains. `ANSIBLE_INVENTORY_UNPARSED_FAILED`
/// and `ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED` turn those into errors (exit 1).
/// `extra_vars` are the run's `-e` variables, which inventory plugins see (the
/// `constructed` plugin with `use_extra_vars`).
pub fn load_inventory(
    given: &[String],
    extra_vars: &drover_engine::VarMap,
) -> Result<Inventory, Failure> {
    let sources: Vec<String> = if !given.is_empty() {
        given.to_vec()
    } else if let Ok(env) = std::env::var("ANSIBLE_INVENTORY") {
        env.split(',').map(str::to_string).collect()
    } else {
        vec![DEFAULT_SOURCE.to_string()]
    };
    let plugins = enabled_plugins();
    let host_list = |s: &str| plugins.host_list && is_host_list(s);
    let mut usable = Vec::new();
    for source in sources.into_iter().filter(|s| !s.is_empty()) {
        if host_list(&source) {
            usable.push(source);
            continue;
        }
        // ansible makes a source a path only when it has no comma.
        let path = if source.contains(',') {
            PathBuf::from(&source)
        } else {
            source_path(&source)
        };
        if path.exists() {
            usable.push(source);
            continue;
        }
        if env_flag("ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED", false) {
            return Err(Failure::new(
                1,
                format!(
                    "Completely failed to parse inventory source {}",
                    path.display()
                ),
            ));
        }
        // ansible stays quiet about its default source when it does not exist.
        if source != DEFAULT_SOURCE {
            warn(format!(
                "Unable to parse {} as an inventory source",
                path.display()
            ));
        }
    }
    let nothing_parsed = || -> Result<Inventory, Failure> {
        if env_flag("ANSIBLE_INVENTORY_UNPARSED_FAILED", false) {
            return Err(Failure::new(
                1,
                "No inventory was parsed, please check your configuration and options.",
            ));
        }
        if env_flag("ANSIBLE_INVENTORY_UNPARSED_WARNING", true) {
            warn("No inventory was parsed, only implicit localhost is available");
        }
        Ok(Inventory::implicit())
    };
    if usable.is_empty() {
        return nothing_parsed();
    }
    // A file that does not parse is skipped with a warning that quotes the error, as
    // ansible does; ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED makes it an error.
    let options = LoadOptions {
        lenient: !env_flag("ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED", false),
        extra_vars: extra_vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        plugins,
    };
    let inventory = Inventory::load_with(&usable, &options).map_err(|e| Failure::new(1, e))?;
    for w in inventory.warnings() {
        warn(w);
    }
    let parsed = usable
        .iter()
        .filter(|s| host_list(s) || !inventory.unparsed().contains(&source_path(s)))
        .count();
    if parsed == 0 {
        return nothing_parsed();
    }
    Ok(inventory)
}

fn unmatched_warnings(unmatched: &[String]) {
    for part in unmatched {
        warn(format!(
            "Could not match supplied host pattern, ignoring: {part}"
        ));
    }
}

/// The inventory hosts a `--limit` leaves (all of them without one).
/// `warn`: whether unmatched parts of the limit are reported (`--list` evaluates the
/// limit against every host; `--graph` only checks that it can be read).
fn available_hosts(
    inv: &Inventory,
    limit: Option<&str>,
    warn: bool,
) -> Result<HashSet<String>, Failure> {
    let all = inv.hosts().map(str::to_string);
    let Some(limit) = limit else {
        return Ok(all.collect());
    };
    let selection = inv.select_limit(limit).map_err(|e| Failure::new(1, e))?;
    if warn {
        unmatched_warnings(&selection.unmatched);
    }
    let chosen: HashSet<&String> = selection.hosts.iter().collect();
    Ok(all.filter(|h| chosen.contains(h)).collect())
}

/// Names ansible-inventory leaves out of a host's variables wherever they come from
/// (ansible's INTERNAL_STATIC_VARS): magic and play-level variables.
const INTERNAL_VARS: [&str; 33] = [
    "ansible_async_path",
    "ansible_collection_name",
    "ansible_config_file",
    "ansible_dependent_role_names",
    "ansible_diff_mode",
    "ansible_facts",
    "ansible_forks",
    "ansible_inventory_sources",
    "ansible_limit",
    "ansible_play_batch",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_role_names",
    "ansible_playbook_python",
    "ansible_role_name",
    "ansible_role_names",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_verbosity",
    "ansible_version",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "groups",
    "group_names",
    "hostvars",
    "playbook_dir",
    "play_hosts",
    "role_name",
    "role_names",
    "role_path",
    "role_uuid",
];

/// A host's variables with the extra vars on top, without ansible's internal names.
/// `--list` shows composed strings as ansible-inventory does (`__ansible_unsafe`),
/// `--host` plainly.
fn host_vars_with(
    inv: &Inventory,
    host: &str,
    extra: &Map<String, Value>,
    for_list: bool,
) -> Map<String, Value> {
    let vars = if for_list {
        inv.shown_host_vars(host)
    } else {
        inv.host_vars(host)
    };
    let mut vars: Map<String, Value> = vars.into_iter().collect();
    for (k, v) in extra {
        vars.insert(k.clone(), v.clone());
    }
    vars.retain(|k, _| !INTERNAL_VARS.contains(&k.as_str()));
    vars
}

/// `--list` under `--limit` and `-e`: group host lists keep only the available hosts
/// (a group left empty disappears, as ansible-inventory drops empty groups), and
/// every available host's variables include the extra vars.
fn list_json(inv: &Inventory, available: &HashSet<String>, extra: &Map<String, Value>) -> Value {
    let mut list = inv.to_list_json();
    let Value::Object(groups) = &mut list else {
        return list;
    };
    let mut empty = Vec::new();
    for (name, entry) in groups.iter_mut() {
        let Value::Object(entry) = entry else {
            continue;
        };
        if name == "_meta" {
            let hostvars: Map<String, Value> = inv
                .hosts()
                .filter(|h| available.contains(*h))
                .map(|h| (h.to_string(), host_vars_with(inv, h, extra, true)))
                .filter(|(_, vars)| !vars.is_empty())
                .map(|(h, vars)| (h, Value::Object(vars)))
                .collect();
            entry.insert("hostvars".into(), Value::Object(hostvars));
            continue;
        }
        if let Some(Value::Array(hosts)) = entry.get_mut("hosts") {
            hosts.retain(|h| h.as_str().is_some_and(|h| available.contains(h)));
            if hosts.is_empty() {
                entry.remove("hosts");
            }
        }
        if entry.is_empty() {
            empty.push(name.clone());
        }
    }
    for name in empty {
        groups.remove(&name);
    }
    list
}

pub fn run(args: InventoryArgs) -> Result<u8, Failure> {
    let actions = [args.list, args.host.is_some(), args.graph]
        .iter()
        .filter(|a| **a)
        .count();
    if actions == 0 {
        return Err(Failure::new(
            5,
            "No action selected, at least one of --host, --graph or --list needs to be specified.",
        ));
    }
    if actions > 1 {
        return Err(Failure::new(
            5,
            "Conflicting options used, only one of --host, --graph or --list can be used at the same time.",
        ));
    }
    let extra_vars = crate::extra_vars::parse(&args.extra_vars)?;
    let mut inv = load_inventory(&args.inventory, &extra_vars)?;
    let extra: Map<String, Value> = extra_vars.into_iter().collect();
    if let Some(dir) = &args.playbook_dir {
        inv.load_vars_dirs(dir).map_err(|e| Failure::new(1, e))?;
    }
    let text = if let Some(pattern) = &args.host {
        // --host ignores --limit, as in ansible-inventory.
        let selection = inv.select(pattern).map_err(|e| Failure::new(1, e))?;
        unmatched_warnings(&selection.unmatched);
        let [host] = selection.hosts.as_slice() else {
            return Err(Failure::new(
                5,
                "You must pass a single valid host to --host parameter",
            ));
        };
        dump_ansible_json(&Value::Object(host_vars_with(&inv, host, &extra, false)))
    } else {
        let available = available_hosts(&inv, args.limit.as_deref(), args.list)?;
        if args.graph {
            inv.graph(args.group.as_deref())
                .map_err(|e| Failure::new(5, e))?
        } else {
            dump_ansible_json(&list_json(&inv, &available, &extra))
        }
    };
    match &args.output {
        // ansible writes the file without a trailing newline and prints nothing.
        Some(file) => std::fs::write(file, &text).map_err(|e| {
            Failure::new(
                1,
                format!(
                    "Unable to write to destination file ({}): {e}",
                    file.display()
                ),
            )
        })?,
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = writeln!(out, "{text}");
        }
    }
    Ok(0)
}
