//! Connection parameters, completed from `~/.ssh/config`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing::warn;

/// How to treat the server's host key (Ansible's `host_key_checking`,
/// OpenSSH's `StrictHostKeyChecking`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HostKeyChecking {
    /// The key must already be in known_hosts.
    #[default]
    Strict,
    /// Unknown keys are recorded; changed keys are still refused.
    AcceptNew,
    /// Any key is accepted.
    Off,
}

#[derive(Clone, Debug)]
pub struct SshParams {
    /// Inventory name, used in messages.
    pub host: String,
    pub address: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_files: Vec<PathBuf>,
    pub host_key_checking: HostKeyChecking,
    /// Default `~/.ssh/known_hosts`.
    pub known_hosts: Option<PathBuf>,
    /// Covers TCP connect, SSH handshake and authentication.
    pub connect_timeout: Duration,
    /// Concurrent channels on the connection (OpenSSH MaxSessions is 10).
    pub max_channels: usize,
    pub proxy_jump: Option<String>,
    /// Default `~/.ssh/config`.
    pub ssh_config: Option<PathBuf>,
}

impl SshParams {
    /// Defaults for an inventory host whose address is its name.
    pub fn new(host: impl Into<String>) -> Self {
        let host = host.into();
        SshParams {
            address: host.clone(),
            host,
            port: None,
            user: None,
            identity_files: Vec::new(),
            host_key_checking: HostKeyChecking::Strict,
            known_hosts: None,
            connect_timeout: Duration::from_secs(10),
            max_channels: 10,
            proxy_jump: None,
            ssh_config: None,
        }
    }
}

impl Default for SshParams {
    fn default() -> Self {
        SshParams::new("localhost")
    }
}

/// Everything needed to open one SSH session, after config lookup.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub host: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub identity_files: Vec<PathBuf>,
    /// Identity files named by the caller or config (missing ones are reported).
    pub explicit_identities: bool,
    pub checking: HostKeyChecking,
    pub known_hosts: PathBuf,
    pub connect_timeout: Duration,
    pub max_channels: usize,
    pub proxy_jump: Option<String>,
}

pub(crate) fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn default_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "root".to_string())
}

/// Caller's values win; `~/.ssh/config` (matched on the address, as `ssh`
/// does with Ansible's `ansible_host`) fills the gaps.
pub(crate) fn resolve(p: &SshParams) -> Resolved {
    let config_path = p
        .ssh_config
        .clone()
        .unwrap_or_else(|| home().join(".ssh").join("config"));
    let cfg = read_config(&config_path, &p.address);
    let address = cfg.hostname.clone().unwrap_or_else(|| p.address.clone());
    let mut identity_files = p.identity_files.clone();
    identity_files.extend(cfg.identity_file.clone().unwrap_or_default());
    let explicit_identities = !identity_files.is_empty();
    if identity_files.is_empty() {
        let ssh_dir = home().join(".ssh");
        identity_files = ["id_ed25519", "id_ecdsa", "id_rsa"]
            .iter()
            .map(|n| ssh_dir.join(n))
            .collect();
    }
    let proxy_jump = p
        .proxy_jump
        .clone()
        .or(cfg.proxy_jump.clone())
        .filter(|j| !j.is_empty() && !j.eq_ignore_ascii_case("none"));
    Resolved {
        host: p.host.clone(),
        address,
        port: p.port.or(cfg.port).unwrap_or(22),
        user: p
            .user
            .clone()
            .or(cfg.user.clone())
            .unwrap_or_else(default_user),
        identity_files,
        explicit_identities,
        checking: p.host_key_checking,
        known_hosts: p
            .known_hosts
            .clone()
            .or(cfg.user_known_hosts_file.clone())
            .unwrap_or_else(|| home().join(".ssh").join("known_hosts")),
        connect_timeout: p.connect_timeout,
        max_channels: p.max_channels.max(1),
        proxy_jump,
    }
}

fn read_config(path: &Path, address: &str) -> russh_config::HostConfig {
    let Ok(text) = std::fs::read_to_string(path) else {
        return russh_config::HostConfig::default();
    };
    match russh_config::parse(&normalize_config(&text), address) {
        Ok(c) => c.host_config,
        Err(e) => {
            warn!(path = %path.display(), error = %e, "ignoring unreadable ssh config");
            russh_config::HostConfig::default()
        }
    }
}

/// russh-config only understands `Key value` with one space and refuses
/// options before the first `Host`. OpenSSH also allows tabs and `Key=value`,
/// and top-level options apply to every host, exactly like a leading `Host *`.
fn normalize_config(text: &str) -> String {
    let mut out = String::from("Host *\n");
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let split = line
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(line.len());
        let (key, rest) = line.split_at(split);
        let value = rest
            .trim_start_matches(|c: char| c.is_whitespace())
            .trim_start_matches('=')
            .trim();
        out.push_str(key);
        out.push(' ');
        out.push_str(value);
        out.push('\n');
    }
    out
}

/// One hop of a ProxyJump list: `[user@]host[:port]`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Hop {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

pub(crate) fn parse_jumps(spec: &str) -> Result<Vec<Hop>, String> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|hop| {
            let hop = hop.strip_prefix("ssh://").unwrap_or(hop);
            let (user, rest) = match hop.rsplit_once('@') {
                Some((u, r)) => (Some(u.to_string()), r),
                None => (None, hop),
            };
            let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
                let (h, tail) = inner
                    .split_once(']')
                    .ok_or_else(|| format!("bad ProxyJump host '{hop}'"))?;
                (h, tail.strip_prefix(':'))
            } else {
                match rest.rsplit_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (rest, None),
                }
            };
            let port = port
                .map(|p| {
                    p.parse::<u16>()
                        .map_err(|_| format!("bad port in ProxyJump '{hop}'"))
                })
                .transpose()?;
            if host.is_empty() {
                return Err(format!("bad ProxyJump host '{hop}'"));
            }
            Ok(Hop {
                user,
                host: host.to_string(),
                port,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_fills_gaps_and_params_win() {
        let dir = std::env::temp_dir().join(format!("drover-cfg-{}", crate::random::token()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let cfg = dir.join("config");
        std::fs::write(
            &cfg,
            "User globaluser\nHost web1\n\tHostName=10.0.0.5\n  Port 2200\n  IdentityFile /k/web\nHost other\n  Port 1\n",
        )
        .expect("write");
        let mut p = SshParams::new("web1");
        p.ssh_config = Some(cfg.clone());
        let r = resolve(&p);
        assert_eq!(r.address, "10.0.0.5");
        assert_eq!(r.port, 2200);
        assert_eq!(r.user, "globaluser");
        assert_eq!(r.identity_files, vec![PathBuf::from("/k/web")]);
        assert!(r.explicit_identities);

        p.port = Some(22);
        p.user = Some("me".into());
        let r = resolve(&p);
        assert_eq!((r.port, r.user.as_str()), (22, "me"));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn jumps_parse() {
        assert_eq!(
            parse_jumps("bob@bastion:2222, [::1]:22,plain").expect("parse"),
            vec![
                Hop {
                    user: Some("bob".into()),
                    host: "bastion".into(),
                    port: Some(2222)
                },
                Hop {
                    user: None,
                    host: "::1".into(),
                    port: Some(22)
                },
                Hop {
                    user: None,
                    host: "plain".into(),
                    port: None
                },
            ]
        );
        assert!(parse_jumps("host:notaport").is_err());
    }
}
