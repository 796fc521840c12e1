//! From a host's variables to its one connection: `ansible_connection`, `ansible_host`,
//! `ansible_port`, `ansible_user`, `ansible_ssh_private_key_file`, the `-o` options of
//! `ansible_ssh_common_args`/`ansible_ssh_extra_args`, and the command line's defaults.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use drover_connection::{Connection, HostKeyChecking, SshParams};
use drover_template::{Templar, Vars};
use serde_json::Value;

use crate::RunOptions;

/// Play-level keywords that bear on the connection.
#[derive(Clone)]
pub struct ConnKeywords<'a> {
    pub connection: Option<&'a str>,
    pub remote_user: Option<&'a str>,
    pub port: Option<&'a Value>,
}

/// A variable as a string, rendered if it is a template; `None` if unset or empty.
pub fn var_string(
    templar: &Templar,
    vars: &dyn Vars,
    name: &str,
) -> Result<Option<String>, String> {
    let Some(v) = vars.get(name) else {
        return Ok(None);
    };
    let v = templar
        .render_value(&v, vars)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "on" | "1" | "true" | "y" | "t" => Some(true),
        "no" | "off" | "0" | "false" | "n" | "f" => Some(false),
        _ => None,
    }
}

fn checking_from(s: &str) -> Option<HostKeyChecking> {
    match s.to_ascii_lowercase().as_str() {
        "accept-new" => Some(HostKeyChecking::AcceptNew),
        other => parse_bool(other).map(|b| {
            if b {
                HostKeyChecking::Strict
            } else {
                HostKeyChecking::Off
            }
        }),
    }
}

/// The `-o Key=Value` options (and `-J`) of ssh argument strings, as (key, value).
fn ssh_options(args: &str) -> Vec<(String, String)> {
    let words = drover_modules::shlex::split(args).unwrap_or_default();
    let mut out = Vec::new();
    let mut it = words.iter().peekable();
    while let Some(w) = it.next() {
        let opt = if w == "-o" {
            it.next().cloned()
        } else if let Some(rest) = w.strip_prefix("-o") {
            Some(rest.to_string())
        } else if w == "-J" {
            it.next().map(|j| format!("ProxyJump={j}"))
        } else {
            None
        };
        if let Some(opt) = opt {
            let (k, v) = opt
                .split_once('=')
                .or_else(|| opt.split_once(' '))
                .unwrap_or((opt.as_str(), ""));
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

pub async fn open(
    host: &str,
    templar: &Templar,
    vars: &dyn Vars,
    kw: &ConnKeywords<'_>,
    opts: &RunOptions,
) -> Result<Arc<dyn Connection>, String> {
    let get = |name: &str| var_string(templar, vars, name);
    let kind = match get("ansible_connection")? {
        Some(k) => k,
        None => kw
            .connection
            .or(opts.connection.as_deref())
            .unwrap_or("ssh")
            .to_string(),
    };
    match kind.as_str() {
        "local" => return Ok(drover_connection::local()),
        "ssh" | "smart" | "paramiko" | "paramiko_ssh" => {}
        other => {
            return Err(format!(
                "the connection plugin '{other}' is not supported by drover"
            ))
        }
    }

    let mut ssh_args = String::new();
    for name in [
        "ansible_ssh_common_args",
        "ansible_ssh_extra_args",
        "ansible_ssh_args",
    ] {
        if let Some(a) = get(name)? {
            ssh_args.push(' ');
            ssh_args.push_str(&a);
        }
    }
    let options = ssh_options(&ssh_args);
    let option = |key: &str| {
        options
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };

    let port = match get("ansible_port")?.or(get("ansible_ssh_port")?) {
        Some(p) => Some(p),
        None => kw.port.map(|p| {
            p.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| p.to_string())
        }),
    };
    let port = match port {
        Some(p) => Some(
            p.trim()
                .parse::<u16>()
                .map_err(|_| format!("invalid ansible_port '{p}'"))?,
        ),
        None => None,
    };
    let user = get("ansible_user")?
        .or(get("ansible_ssh_user")?)
        .or(kw.remote_user.map(str::to_string))
        .or(opts.remote_user.clone());
    let mut identity_files: Vec<PathBuf> = Vec::new();
    if let Some(k) = get("ansible_ssh_private_key_file")?.or(get("ansible_private_key_file")?) {
        identity_files.push(expand_home(&k));
    } else if let Some(k) = &opts.private_key {
        identity_files.push(k.clone());
    }
    if let Some(k) = option("identityfile") {
        identity_files.push(expand_home(&k));
    }

    let env_checking = std::env::var("ANSIBLE_HOST_KEY_CHECKING").ok();
    let host_key_checking = option("stricthostkeychecking")
        .and_then(|s| checking_from(&s))
        .or(get("ansible_ssh_host_key_checking")?.and_then(|s| checking_from(&s)))
        .or(get("ansible_host_key_checking")?.and_then(|s| checking_from(&s)))
        .or(opts.host_key_checking)
        .or(env_checking.as_deref().and_then(checking_from))
        .unwrap_or(HostKeyChecking::Strict);

    let timeout = get("ansible_ssh_timeout")?
        .or(get("ansible_timeout")?)
        .and_then(|t| t.parse::<u64>().ok())
        .or(option("connecttimeout").and_then(|t| t.parse().ok()))
        .or(opts.timeout)
        .unwrap_or(10);

    let params = SshParams {
        host: host.to_string(),
        address: get("ansible_host")?
            .or(get("ansible_ssh_host")?)
            .unwrap_or_else(|| host.to_string()),
        port,
        user,
        identity_files,
        host_key_checking,
        known_hosts: option("userknownhostsfile").map(|p| expand_home(&p)),
        connect_timeout: Duration::from_secs(timeout),
        max_channels: opts.max_channels,
        proxy_jump: option("proxyjump").filter(|j| !j.eq_ignore_ascii_case("none")),
        ssh_config: None,
    };
    drover_connection::connect_ssh(params, opts.prompt.clone())
        .await
        .map_err(|e| e.to_string())
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ssh_options_like_openssh() {
        let o =
            ssh_options("-o StrictHostKeyChecking=no -oUserKnownHostsFile=/dev/null -J bastion");
        assert_eq!(
            o,
            vec![
                ("stricthostkeychecking".into(), "no".into()),
                ("userknownhostsfile".into(), "/dev/null".into()),
                ("proxyjump".into(), "bastion".into()),
            ]
        );
    }
}
