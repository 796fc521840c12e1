//! `drover play`: load everything (inventory, every playbook) before touching any host,
//! then run and report.

use std::path::Path;
use std::sync::Arc;

use drover_engine::{HostKeyChecking, RunOptions, Secret};
use drover_inventory::Inventory;

use crate::args::{HostKeyMode, PlayArgs};
use crate::console::Console;
use crate::snippet::error_report;
use crate::Failure;

/// A parse error as ansible-core 2.19 shows it, with exit code 4.
fn source_failure(e: &drover_yaml::SourceError) -> Failure {
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

fn load_inventory(args: &PlayArgs) -> Result<Inventory, Failure> {
    let mut sources = args.inventory.clone();
    if sources.is_empty() {
        if let Ok(env) = std::env::var("ANSIBLE_INVENTORY") {
            sources = env
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
        } else if Path::new("/etc/ansible/hosts").exists() {
            sources.push("/etc/ansible/hosts".into());
        }
    }
    if sources.is_empty() {
        eprintln!("[WARNING]: No inventory was parsed, only implicit localhost is available");
        return Ok(Inventory::implicit());
    }
    Inventory::load(&sources).map_err(|e| Failure::new(1, e))
}

fn become_password(args: &PlayArgs) -> Result<Option<Secret>, Failure> {
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
    for p in &args.playbooks {
        if !p.is_file() {
            return Err(Failure::new(
                1,
                format!("the playbook: {} could not be found", p.display()),
            ));
        }
    }
    let extra_vars = crate::extra_vars::parse(&args.extra_vars)?;
    let inventory = load_inventory(&args)?;
    let known = drover_engine::is_action;
    let mut playbooks = Vec::new();
    for p in &args.playbooks {
        playbooks.push(drover_playbook::load_playbook(p, &known).map_err(|e| source_failure(&e))?);
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
    if let Some(limit) = &args.limit {
        let sel = inventory.select(limit).map_err(|e| Failure::new(1, e))?;
        if sel.hosts.is_empty() {
            for part in &sel.unmatched {
                eprintln!("[WARNING]: Could not match supplied host pattern, ignoring: {part}");
            }
            return Err(Failure::new(
                1,
                "Specified inventory, host pattern and/or --limit leaves us with no hosts to target.",
            ));
        }
    }
    let opts = RunOptions {
        forks: args.forks.max(1),
        check: args.check,
        diff: args.diff,
        verbosity: args.verbose,
        extra_vars,
        limit: args.limit.clone(),
        remote_user: args.user.clone(),
        private_key: args.private_key.clone(),
        timeout: args.timeout,
        r#become: args.r#become,
        become_user: args.become_user.clone(),
        become_method: args.become_method.clone(),
        become_password: become_password(&args)?,
        host_key_checking: args.host_key_checking.map(|m| match m {
            HostKeyMode::Yes => HostKeyChecking::Strict,
            HostKeyMode::AcceptNew => HostKeyChecking::AcceptNew,
            HostKeyMode::No => HostKeyChecking::Off,
        }),
        max_channels: args.max_channels.max(1),
        prompt: Arc::new(drover_connection::TtyPrompt::new()),
        tags: tag_filter,
        force_handlers: args.force_handlers,
        start_at_task: args.start_at_task.clone(),
        step: args.step.then(step_prompt),
    };
    let mut console = Console::new(args.verbose);
    let outcome = match drover_engine::run(&playbooks, &inventory, &opts, &mut console).await {
        Ok(o) => o,
        Err(drover_engine::EngineError::Source(e)) => return Err(source_failure(&e)),
        Err(e) => return Err(Failure::new(1, e)),
    };
    Ok(outcome.exit_code() as u8)
}
