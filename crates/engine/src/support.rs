//! What this engine runs today. A playbook that uses a keyword the engine does not run
//! yet is refused before any host is touched, at the keyword's play or task, rather
//! than run with a different meaning.

use drover_playbook::{Play, Playbook, Task};
use drover_yaml::SourceError;

fn refuse(what: &str, loc: &drover_yaml::Location) -> SourceError {
    loc.error(format!(
        "drover does not run '{what}' yet; this playbook cannot be run with the same meaning as ansible-playbook"
    ))
}

fn check_task(task: &Task) -> Result<(), SourceError> {
    let loc = &task.location;
    if let Some(b) = &task.block {
        for t in b.block.iter().chain(&b.rescue).chain(&b.always) {
            check_task(t)?;
        }
    }
    if !matches!(
        task.connection.as_deref(),
        None | Some("local") | Some("ssh") | Some("smart")
    ) {
        return Err(refuse("connection", loc));
    }
    for k in task.extra.keys() {
        let fine = match k.as_str() {
            "async" => true,
            // Fire-and-forget jobs (poll: 0): the command family runs detached on the
            // host, other modules as jobs on the controller (jobs.rs).
            "poll" => true,
            // throttle only limits concurrency: the meaning is the same.
            "timeout" | "throttle" | "debugger" | "collections" | "any_errors_fatal" | "become"
            | "ignore_unreachable" | "diff" | "module_defaults" | "delegate_facts" => true,
            _ => false,
        };
        if !fine {
            return Err(refuse(k, loc));
        }
    }
    Ok(())
}

fn check_play(play: &Play) -> Result<(), SourceError> {
    for (k, v) in &play.extra {
        let fine = match k.as_str() {
            "serial"
            | "max_fail_percentage"
            | "any_errors_fatal"
            | "collections"
            | "gather_subset"
            | "gather_timeout"
            | "fact_path"
            | "force_handlers"
            | "ignore_unreachable"
            // Inherited by every task of the play (see compile::play_holder).
            | "check_mode"
            | "diff"
            | "no_log"
            | "run_once"
            | "timeout"
            | "throttle"
            | "module_defaults"
            // A templated `become`, rendered per host (task.rs: become_for).
            | "become" => true,
            // free and host_pinned: each host at its own pace (free.rs); a templated
            // strategy runs as linear.
            "strategy" => {
                matches!(v.as_str(), Some("linear" | "free" | "host_pinned"))
                    || v.as_str().is_some_and(|s| s.contains("{{"))
            }
            "order" => {
                matches!(
                    v.as_str(),
                    Some("inventory" | "reverse_inventory" | "sorted" | "reverse_sorted" | "shuffle")
                ) || v.as_str().is_some_and(|s| s.contains("{{"))
            }
            _ => false,
        };
        if !fine {
            return Err(refuse(k, &play.location));
        }
    }
    for task in play
        .pre_tasks
        .iter()
        .chain(&play.tasks)
        .chain(&play.post_tasks)
    {
        check_task(task)?;
    }
    Ok(())
}

/// Refuse what the engine would not run as ansible-playbook does.
pub fn check_supported(playbooks: &[Playbook]) -> Result<(), SourceError> {
    for pb in playbooks {
        for play in &pb.plays {
            check_play(play)?;
        }
    }
    Ok(())
}
