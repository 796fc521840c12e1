//! Shared helpers for the SSH integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use drover_connection::{
    connect_ssh, ConnError, Connection, HostKeyChecking, PassphrasePrompt, Secret, SshParams,
};
use drover_testsupport::SshServer;

/// Never asks: like running under cron.
pub struct NoPrompt;
impl PassphrasePrompt for NoPrompt {
    fn passphrase(&self, _key: &Path) -> Option<Secret> {
        None
    }
}

/// Params for `server` with its key, a known_hosts file that trusts it, and
/// an empty ssh config (the real ~/.ssh must not leak into tests).
pub fn params(server: &SshServer, known_hosts: &Path) -> SshParams {
    std::fs::write(known_hosts, format!("{}\n", server.host_key_line)).expect("write known_hosts");
    let empty_config = known_hosts.with_file_name("empty_ssh_config");
    std::fs::write(&empty_config, "").expect("write config");
    let mut p = SshParams::new("testhost");
    p.address = "127.0.0.1".into();
    p.port = Some(server.port);
    p.user = Some(server.user.clone());
    p.identity_files = vec![server.client_key.clone()];
    p.host_key_checking = HostKeyChecking::Strict;
    p.known_hosts = Some(known_hosts.to_path_buf());
    p.ssh_config = Some(empty_config);
    p.connect_timeout = Duration::from_secs(20);
    p
}

pub async fn connect(p: SshParams) -> Result<Arc<dyn Connection>, ConnError> {
    connect_ssh(p, Arc::new(NoPrompt)).await
}

pub fn scratch(server: &SshServer, name: &str) -> PathBuf {
    server.dir.join(name)
}

/// Make sure no ssh-agent of the developer interferes with key tests.
pub fn without_agent() {
    std::env::remove_var("SSH_AUTH_SOCK");
}
