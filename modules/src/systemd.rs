//! `systemd` (also `systemd_service`): unit state, enablement and masking through
//! `systemctl`. One probe reads `systemctl show` and `is-enabled`; the actions that
//! differ then run in one script that stops at the first failure.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::sys::{self, failed, line, sect, section, sections};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub(crate) const OPTIONS: &[&str] = &[
    "daemon_reexec",
    "daemon_reload",
    "enabled",
    "force",
    "masked",
    "name",
    "no_block",
    "scope",
    "state",
];
const ALIASES: &[(&str, &str)] = &[
    ("service", "name"),
    ("unit", "name"),
    ("daemon-reload", "daemon_reload"),
    ("daemon-reexec", "daemon_reexec"),
];
pub(crate) const STATES: &[&str] = &["reloaded", "restarted", "started", "stopped"];

pub struct Systemd;
pub struct SystemdService;

#[async_trait]
impl Module for Systemd {
    fn name(&self) -> &'static str {
        "systemd"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx, "systemd").await.map(sys::add_lines)
    }
}

#[async_trait]
impl Module for SystemdService {
    fn name(&self) -> &'static str {
        "systemd_service"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx, "systemd_service").await.map(sys::add_lines)
    }
}

/// `systemctl show` output as a map; `{ ... }` values may span lines.
pub(crate) fn parse_show(text: &str) -> Map<String, Value> {
    let mut map = Map::new();
    let mut pending: Option<(String, String)> = None;
    for l in text.lines() {
        if let Some((k, mut v)) = pending.take() {
            v.push('\n');
            v.push_str(l);
            if l.trim_end().ends_with('}') {
                map.insert(k, Value::String(v));
            } else {
                pending = Some((k, v));
            }
            continue;
        }
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        if v.starts_with('{') && !v.trim_end().ends_with('}') {
            pending = Some((k.to_string(), v.to_string()));
        } else {
            map.insert(k.to_string(), Value::String(v.to_string()));
        }
    }
    if let Some((k, v)) = pending {
        map.insert(k, Value::String(v));
    }
    map
}

/// The section's body without its trailing `rc=N` line, and N.
fn with_rc(body: &str) -> (&str, i32) {
    let trimmed = body.trim_end_matches('\n');
    match trimmed.rsplit_once('\n') {
        Some((text, last)) if last.starts_with("rc=") => (text, last[3..].parse().unwrap_or(1)),
        _ => match trimmed.strip_prefix("rc=") {
            Some(n) => ("", n.parse().unwrap_or(1)),
            None => (trimmed, 1),
        },
    }
}

pub(crate) async fn run(ctx: &Ctx<'_>, module: &str) -> Result<ModuleResult, ModuleError> {
    let args = sys::aliased(&ctx.args, ALIASES);
    args.check_supported(module, OPTIONS)?;
    let name = args.str("name")?;
    let state = sys::choice(&args, "state", STATES, None)?;
    let scope = sys::choice(
        &args,
        "scope",
        &["system", "user", "global"],
        Some("system"),
    )?
    .unwrap_or_default();
    let enabled = match args.get("enabled") {
        Some(_) => Some(args.bool("enabled", false)?),
        None => None,
    };
    let masked = match args.get("masked") {
        Some(_) => Some(args.bool("masked", false)?),
        None => None,
    };
    let daemon_reload = args.bool("daemon_reload", false)?;
    let daemon_reexec = args.bool("daemon_reexec", false)?;
    let mut systemctl = vec!["systemctl".to_string()];
    match scope.as_str() {
        "user" => systemctl.push("--user".into()),
        "global" => systemctl.push("--global".into()),
        _ => {}
    }
    if args.bool("no_block", false)? {
        systemctl.push("--no-block".into());
    }
    if args.bool("force", false)? {
        systemctl.push("--force".into());
    }
    let sc = line(&systemctl);

    let mut r = result(false);
    if name.is_none() && (state.is_some() || enabled.is_some() || masked.is_some()) {
        return Ok(failed(
            "missing required arguments: name (needed with state, enabled or masked)",
        ));
    }
    // daemon-reload runs before the unit is read, even in check mode's absence of
    // changes Ansible skips it: so only outside check mode, and it never reports changed.
    let mut probe = String::new();
    if !ctx.check_mode {
        if daemon_reload {
            probe.push_str(&format!("{sc} daemon-reload >/dev/null 2>&1; "));
        }
        if daemon_reexec {
            probe.push_str(&format!("{sc} daemon-reexec >/dev/null 2>&1; "));
        }
    }
    let Some(name) = name else {
        if !probe.is_empty() {
            sys::sh(ctx, &probe).await?;
        }
        return Ok(r);
    };
    let unit = sys::quote(&name);
    probe.push_str(&format!(
        "{}; {sc} show {unit} 2>/dev/null; echo rc=$?; {}; {sc} is-enabled {unit} -l 2>/dev/null; echo rc=$?; {}; [ -e /etc/init.d/{unit} ]; echo rc=$?",
        section("show"),
        section("enabled"),
        section("initd"),
    ));
    let out = sys::sh(ctx, &probe).await?;
    let secs = sections(&out.stdout);
    let (show_text, show_rc) = with_rc(sect(&secs, "show"));
    let status = if show_rc == 0 {
        parse_show(show_text)
    } else {
        Map::new()
    };
    let load_state = status
        .get("LoadState")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (enabled_text, enabled_rc) = with_rc(sect(&secs, "enabled"));
    let enabled_text = enabled_text.trim();
    // is-enabled's word is what Ansible trusts for masking (LoadState as a fallback).
    let is_masked = enabled_text == "masked" || load_state == "masked";
    let initd = with_rc(sect(&secs, "initd")).1 == 0;
    let found = (!load_state.is_empty() && load_state != "not-found") || initd;
    r.insert("name".into(), name.clone().into());
    r.insert("status".into(), Value::Object(status.clone()));
    if !found && (state.is_some() || enabled.is_some()) && masked != Some(true) {
        let mut f = failed(format!("Could not find the requested service {name}: host"));
        f.insert("name".into(), name.into());
        return Ok(f);
    }

    // Each action: (systemctl verb, the "Unable to ..." wording on failure).
    let mut actions: Vec<(&str, String)> = Vec::new();
    if let Some(want) = masked {
        if want != is_masked {
            let verb = if want { "mask" } else { "unmask" };
            actions.push((verb, format!("Failed to {verb} the service ({name})")));
        }
    }
    if let Some(want) = enabled {
        // rc 0 means enabled (static units too), except for states where enabling
        // still has work to do, as Ansible decides.
        let is_enabled =
            enabled_rc == 0 && !matches!(enabled_text, "enabled-runtime" | "indirect" | "alias");
        if want != is_enabled {
            let verb = if want { "enable" } else { "disable" };
            actions.push((verb, format!("Unable to {verb} service {name}")));
        }
        r.insert("enabled".into(), Value::Bool(want));
    }
    if let Some(want) = &state {
        let active = status
            .get("ActiveState")
            .and_then(Value::as_str)
            .unwrap_or("");
        if active.is_empty() && !initd {
            return Ok(failed("Service is in unknown state"));
        }
        let running = matches!(active, "active" | "activating");
        let verb = match want.as_str() {
            "started" => (!running).then_some("start"),
            "stopped" => (running || active == "deactivating").then_some("stop"),
            "restarted" if running => Some("restart"),
            "reloaded" if running => Some("reload"),
            _ => Some("start"),
        };
        if let Some(verb) = verb {
            actions.push((verb, format!("Unable to {verb} service {name}")));
        }
        let shown = if want == "stopped" {
            "stopped"
        } else {
            "started"
        };
        r.insert("state".into(), shown.into());
    }
    if actions.is_empty() {
        return Ok(r);
    }
    r.insert("changed".into(), Value::Bool(true));
    if ctx.check_mode {
        return Ok(r);
    }
    let script: Vec<String> = actions
        .iter()
        .enumerate()
        .map(|(i, (verb, _))| {
            format!(
                "_o=$({sc} {verb} {unit} 2>&1) || {{ printf %s \"$_o\"; exit {}; }}",
                10 + i
            )
        })
        .collect();
    let out = sys::sh(ctx, &script.join("\n")).await?;
    if out.rc != 0 {
        let idx = usize::try_from(out.rc - 10).ok();
        let msg = match idx.and_then(|i| actions.get(i)) {
            Some((_, m)) => format!("{m}: {}{}", out.stdout, out.stderr),
            None => format!("systemctl failed: {}{}", out.stdout, out.stderr),
        };
        let mut f = sys::cmd_failed(msg, &out);
        f.insert("name".into(), name.into());
        return Ok(f);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_values_may_span_lines() {
        let m = parse_show("A=1\nExecStart={ path=/bin/x ;\n argv[]=/bin/x }\nB=x=y\n");
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "x=y");
        assert_eq!(m["ExecStart"], "{ path=/bin/x ;\n argv[]=/bin/x }");
    }

    #[test]
    fn rc_is_the_last_line() {
        assert_eq!(with_rc("a\nb\nrc=3\n"), ("a\nb", 3));
        assert_eq!(with_rc("rc=0\n"), ("", 0));
    }
}
