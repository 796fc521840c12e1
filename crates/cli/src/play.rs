//! `drover play`: load everything (inventory, every playbook) before touching any host,
//! then run and report.

use std::path::Path;
use std::sync::Arc;

use drover_engine::{HostKeyChecking, RunOptions, Secret, VarMap};
use drover_inventory::Inventory;

use crate::args::{HostKeyMode, PlayArgs, RunArgs};
use crate::console::Console;
use crate::snippet::error_report;
use crate::Failure;

/// A parse error as ansible-core 2.19 shows it, with exit code 4.
pub(crate) fn source_failure(e: &drover_yaml::SourceError) -> Failure {
    let report = match (e.line, e.col) {
        (Some(line), Some(col)) => {
            let text = std::fs::read_to_string(&e.path).ok();
            let path = std::fs::canonicalize(&e.path).unwrap_or_else(|_| e.path.clone());
            error_report(&e.message, &path, text.as_deref(), line, col)
        }
        _ => format!("[ERROR]: {}\n", e.message),
    };
    Failure {
        code: 4,
        report: format!("{}\n", report.trim_end()),
    }
}

/// What `import_playbook` needs while the playbooks load.
struct Imports<'a> {
    extra_vars: &'a VarMap,
    groups: serde_json::Value,
}

impl drover_playbook::ImportHooks for Imports<'_> {
    /// A templated path, as ansible-core templates it while loading: with the extra
    /// vars over the import entry's `vars`, and the magic variables that need no host
    /// and no play (`playbook_dir` is the importing playbook's directory, `groups`).
    fn render(&self, text: &str, entry_vars: &VarMap, dir: &Path) -> Result<String, String> {
        let mut vars: serde_json::Map<String, serde_json::Value> = entry_vars
            .iter()
            .chain(self.extra_vars)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        vars.insert(
            "playbook_dir".into(),
            dir.to_string_lossy().into_owned().into(),
        );
        vars.insert("groups".into(), self.groups.clone());
        match drover_template::Templar::new().render(text, &vars) {
            Ok(serde_json::Value::String(s)) => Ok(s),
            Ok(other) => Ok(drover_template::py_str(&other)),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Modules in `library/` beside an imported playbook (and its roles) are known to
    /// its tasks, as ansible-core adds each playbook's plugin directories.
    fn entering(&self, dir: &Path) {
        drover_engine::add_library_dirs(drover_engine::playbook_library_dirs(dir));
    }
}

fn become_password(args: &RunArgs) -> Result<Option<Secret>, Failure> {
    if let Some(file) = &args.become_password_file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            Failure::new(
                1,
                format!(
                    "cannot read the become password file {}: {e}",
                    file.display()
                ),
            )
        })?;
        return Ok(Some(Secret::new(
            text.trim_end_matches(['\n', '\r']).to_string(),
        )));
    }
    if args.ask_become_pass {
        let pw = rpassword::prompt_password("BECOME password: ")
            .map_err(|e| Failure::new(1, format!("cannot read the become password: {e}")))?;
        return Ok(Some(Secret::new(pw)));
    }
    Ok(None)
}

/// `--step`: ask on the terminal before each task, as ansible-playbook does.
fn step_prompt() -> Arc<dyn Fn(&str) -> bool + Send + Sync> {
    let all = std::sync::atomic::AtomicBool::new(false);
    Arc::new(move |name: &str| {
        use std::io::{BufRead, Write};
        if all.load(std::sync::atomic::Ordering::Relaxed) {
            return true;
        }
        let Ok(tty) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
        else {
            return true;
        };
        let mut out = &tty;
        let _ = write!(out, "Perform task: TASK: {name} (N)o/(y)es/(c)ontinue: ");
        let _ = out.flush();
        let mut line = String::new();
        let _ = std::io::BufReader::new(&tty).read_line(&mut line);
        match line.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => true,
            "c" | "continue" => {
                all.store(true, std::sync::atomic::Ordering::Relaxed);
                true
            }
            _ => false,
        }
    })
}

/// ansible-playbook's check before anything runs: a `--limit` (which may read
/// `@retry` files) that leaves no host is an error, unless the inventory is empty to
/// begin with (only the implicit localhost), which is a warning.
pub(crate) fn check_limit(inventory: &Inventory, limit: Option<&str>) -> Result<(), Failure> {
    let empty = inventory.hosts().next().is_none();
    if empty && crate::inventory_cmd::env_flag("ANSIBLE_LOCALHOST_WARNING", true) {
        crate::inventory_cmd::warn(
            "provided hosts list is empty, only localhost is available. Note that the implicit localhost does not match 'all'",
        );
    }
    let Some(limit) = limit else {
        return Ok(());
    };
    let sel = inventory
        .select_limit(limit)
        .map_err(|e| Failure::new(1, e))?;
    for part in &sel.unmatched {
        crate::inventory_cmd::warn(format!(
            "Could not match supplied host pattern, ignoring: {part}"
        ));
    }
    if sel.hosts.is_empty() && !empty {
        return Err(Failure::new(
            1,
            "Specified inventory, host pattern and/or --limit leaves us with no hosts to target.",
        ));
    }
    Ok(())
}

/// `-t a,b -t c` -> [a, b, c]
fn split_tags(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

pub async fn run(args: PlayArgs) -> Result<u8, Failure> {
    crate::config_file::announce(args.run.verbose);
    for p in &args.playbooks {
        if !p.is_file() {
            return Err(Failure::new(
                1,
                format!("the playbook: {} could not be found", p.display()),
            ));
        }
    }
    let extra_vars = crate::extra_vars::parse(&args.run.extra_vars)?;
    let inventory = crate::inventory_cmd::load_inventory(&args.run.inventory, &extra_vars)?;
    // Modules in library/ beside the playbooks and their roles, -M, and ANSIBLE_LIBRARY.
    let mut library = Vec::new();
    for pb in &args.playbooks {
        let dir = match pb.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        library.extend(drover_engine::playbook_library_dirs(&dir));
    }
    add_library(&args.run, library);
    let known = drover_engine::is_action;
    let hooks = Imports {
        extra_vars: &extra_vars,
        groups: serde_json::to_value(inventory.groups()).unwrap_or_default(),
    };
    let mut playbooks = Vec::new();
    for p in &args.playbooks {
        playbooks.push(
            drover_playbook::load_playbook_with(p, &known, &hooks)
                .map_err(|e| source_failure(&e))?,
        );
    }
    for pb in &playbooks {
        for w in &pb.warnings {
            eprintln!("[WARNING]: {} ({})", w.message, w.location);
        }
    }
    let tag_filter = drover_engine::TagFilter {
        only: split_tags(&args.tags),
        skip: split_tags(&args.skip_tags),
    };
    if args.list_tasks || args.list_tags {
        print!(
            "{}",
            crate::listing::render(
                &playbooks,
                &args.playbooks,
                &tag_filter,
                args.list_tasks,
                args.list_tags
            )
            .map_err(|e| source_failure(&e))?
        );
        return Ok(0);
    }
    if args.syntax_check {
        for p in &args.playbooks {
            println!("\nplaybook: {}", p.display());
        }
        return Ok(0);
    }
    crate::prompts::answer(&mut playbooks, &extra_vars)?;
    drover_engine::check_supported(&playbooks).map_err(|e| source_failure(&e))?;
    check_limit(&inventory, args.run.limit.as_deref())?;
    if args.list_hosts {
        let extra: serde_json::Map<String, serde_json::Value> = extra_vars.into_iter().collect();
        crate::list_hosts::print(&playbooks, &inventory, args.run.limit.as_deref(), &extra)?;
        return Ok(0);
    }
    // group_vars/ and host_vars/ beside each playbook are the engine's to load: they
    // apply while that playbook's plays run.
    let mut opts = run_options(&args.run, extra_vars, tag_filter)?;
    opts.force_handlers |= args.force_handlers;
    opts.start_at_task = args.start_at_task.clone();
    opts.step = args.step.then(step_prompt);
    let mut console = Console::new(args.run.verbose);
    execute(&playbooks, &inventory, &opts, &mut console).await
}

/// `-M` and `ANSIBLE_LIBRARY`, after the directories given.
pub(crate) fn add_library(run: &RunArgs, mut dirs: Vec<std::path::PathBuf>) {
    for p in run
        .module_path
        .iter()
        .cloned()
        .chain(std::env::var("ANSIBLE_LIBRARY").ok())
    {
        dirs.extend(
            p.split(':')
                .filter(|s| !s.is_empty())
                .map(std::path::PathBuf::from),
        );
    }
    drover_engine::add_library_dirs(dirs);
}

/// Run the plays and turn the outcome into ansible's exit code.
pub(crate) async fn execute(
    playbooks: &[drover_playbook::Playbook],
    inventory: &Inventory,
    opts: &RunOptions,
    reporter: &mut dyn drover_engine::Reporter,
) -> Result<u8, Failure> {
    let outcome = match drover_engine::run(playbooks, inventory, opts, reporter).await {
        Ok(o) => o,
        Err(drover_engine::EngineError::Source(e)) => return Err(source_failure(&e)),
        Err(e) => return Err(Failure::new(1, e)),
    };
    Ok(outcome.exit_code() as u8)
}

/// The engine's options from the flags `play` and `adhoc` share.
pub(crate) fn run_options(
    args: &RunArgs,
    extra_vars: drover_engine::VarMap,
    tags: drover_engine::TagFilter,
) -> Result<RunOptions, Failure> {
    let args_extra_vars = extra_vars.clone();
    Ok(RunOptions {
        forks: args.forks.max(1),
        check: args.check,
        diff: args.diff,
        verbosity: args.verbose,
        extra_vars,
        limit: args.limit.clone(),
        remote_user: args.user.clone(),
        connection: args.connection.clone(),
        private_key: args.private_key.clone(),
        timeout: args.timeout,
        r#become: args.r#become,
        become_user: args.become_user.clone(),
        become_method: args.become_method.clone(),
        become_password: become_password(args)?,
        host_key_checking: args.host_key_checking.map(|m| match m {
            HostKeyMode::Yes => HostKeyChecking::Strict,
            HostKeyMode::AcceptNew => HostKeyChecking::AcceptNew,
            HostKeyMode::No => HostKeyChecking::Off,
        }),
        max_channels: args.max_channels.max(1),
        prompt: Arc::new(drover_connection::TtyPrompt::new()),
        tags,
        // ANSIBLE_FORCE_HANDLERS takes Ansible's boolean spellings (1, yes, true...).
        force_handlers: std::env::var("ANSIBLE_FORCE_HANDLERS").is_ok_and(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "1" | "yes" | "true" | "on" | "y" | "t"
            )
        }),
        start_at_task: None,
        step: None,
        reload_inventory: {
            let (sources, extra) = (args.inventory.clone(), args_extra_vars.clone());
            Some(Arc::new(move || {
                crate::inventory_cmd::load_inventory(&sources, &extra).map_err(|e| {
                    e.report
                        .trim_end()
                        .trim_start_matches("[ERROR]: ")
                        .to_string()
                })
            }))
        },
    })
}
