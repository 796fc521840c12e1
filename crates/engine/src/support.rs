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
    let unsupported: [(&str, bool); 7] = [
        ("until", !task.until.is_empty()),
        ("delegate_to", task.delegate_to.is_some()),
        ("run_once", task.run_once.is_some()),
        ("environment", task.environment.is_some()),
        ("connection", task.connection.is_some()),
        ("remote_user", task.remote_user.is_some()),
        ("become_method", task.become_method.is_some()),
    ];
    if let Some((name, _)) = unsupported.iter().find(|(_, used)| *used) {
        return Err(refuse(name, loc));
    }
    if let Some(kind) = &task.loop_kind {
        if !matches!(kind.as_str(), "items" | "list") {
            return Err(refuse(&format!("with_{kind}"), loc));
        }
    }
    if let Some(serde_json::Value::Object(lc)) = &task.loop_control {
        if let Some(k) = lc.keys().find(|k| k.as_str() != "loop_var") {
            return Err(refuse(&format!("loop_control.{k}"), loc));
        }
    }
    if let Some(k) = task.extra.keys().next() {
        return Err(refuse(k, loc));
    }
    Ok(())
}

fn check_play(play: &Play) -> Result<(), SourceError> {
    if play.environment.is_some() {
        return Err(refuse("environment", &play.location));
    }
    if let Some(k) = play.extra.keys().next() {
        return Err(refuse(k, &play.location));
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
