//! Host key verification against known_hosts, with messages a person can act on.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};
use tracing::{debug, warn};

use super::known_hosts::{host_name, lookup, Lookup};

use super::params::HostKeyChecking;

/// What `check_server_key` needs to know, and what it reports back.
pub(crate) struct HostKeyPolicy {
    pub host: String,
    pub address: String,
    pub port: u16,
    pub checking: HostKeyChecking,
    pub known_hosts: PathBuf,
}

/// The russh client handler: only host key checking is customised.
pub(crate) struct ClientHandler {
    pub policy: Arc<HostKeyPolicy>,
    /// Set once the server has shown its key, i.e. it got past the point
    /// where MaxStartups drops connections; retries are only safe before that.
    pub saw_key: Arc<AtomicBool>,
}

#[derive(Debug)]
pub(crate) enum HandlerError {
    Ssh(russh::Error),
    HostKey(String),
}

impl From<russh::Error> for HandlerError {
    fn from(e: russh::Error) -> Self {
        HandlerError::Ssh(e)
    }
}

impl russh::client::Handler for ClientHandler {
    type Error = HandlerError;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        self.saw_key.store(true, Ordering::SeqCst);
        let key = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => {
                PublicKey::new(cert.public_key().clone(), "")
            }
        };
        verify(&self.policy, &key).map_err(HandlerError::HostKey)?;
        Ok(true)
    }
}

// Appends from many concurrent connections must not interleave.
static LEARN_LOCK: Mutex<()> = Mutex::new(());

const GLOBAL_KNOWN_HOSTS: &str = "/etc/ssh/ssh_known_hosts";

pub(crate) fn verify(p: &HostKeyPolicy, key: &PublicKey) -> Result<(), String> {
    if p.checking == HostKeyChecking::Off {
        return Ok(());
    }
    let files = [p.known_hosts.as_path(), Path::new(GLOBAL_KNOWN_HOSTS)];
    match lookup(&files, &p.address, p.port, key) {
        Lookup::Known => Ok(()),
        Lookup::Changed { file, line, text } => Err(changed_message(p, key, &file, line, &text)),
        Lookup::Revoked { file, line } => Err(format!(
            "The host key of {} ({}), {}, is marked @revoked in {}:{line}; refusing to connect.",
            p.host,
            host_port(p),
            describe(key),
            file.display()
        )),
        Lookup::Unknown if p.checking == HostKeyChecking::AcceptNew => {
            learn(p, key);
            Ok(())
        }
        Lookup::Unknown => Err(unknown_message(p, key)),
    }
}

fn learn(p: &HostKeyPolicy, key: &PublicKey) {
    let _guard = LEARN_LOCK.lock();
    match russh::keys::known_hosts::learn_known_hosts_path(&p.address, p.port, key, &p.known_hosts)
    {
        Ok(()) => {
            debug!(host = %p.host, file = %p.known_hosts.display(), "recorded new host key")
        }
        // OpenSSH's accept-new also carries on when it cannot save the key.
        Err(e) => warn!(host = %p.host, error = %e, "could not record the host key"),
    }
}

fn host_port(p: &HostKeyPolicy) -> String {
    host_name(&p.address, p.port)
}

fn describe(key: &PublicKey) -> String {
    format!(
        "{} key {}",
        key.algorithm().as_str(),
        key.fingerprint(HashAlg::Sha256)
    )
}

fn unknown_message(p: &HostKeyPolicy, key: &PublicKey) -> String {
    format!(
        "Host key verification failed for {host} ({hp}): the server's {k} is not in {kh}. \
         If you trust it, add it with `ssh-keyscan -p {port} {addr} >> {kh}`, \
         or run with --host-key-checking=accept-new, or set ANSIBLE_HOST_KEY_CHECKING=False.",
        host = p.host,
        hp = host_port(p),
        k = describe(key),
        kh = p.known_hosts.display(),
        port = p.port,
        addr = p.address,
    )
}

fn changed_message(
    p: &HostKeyPolicy,
    key: &PublicKey,
    file: &Path,
    line: usize,
    recorded: &str,
) -> String {
    format!(
        "REMOTE HOST IDENTIFICATION HAS CHANGED for {host} ({hp})! The HOST KEY HAS CHANGED: \
         the server now offers {k}, but {file}:{line} records `{recorded}`. Someone could be \
         eavesdropping on you (man-in-the-middle), or the host key was replaced. If the change \
         is expected, remove the old entry with `ssh-keygen -R '{hp}' -f {file}` and connect again.",
        host = p.host,
        hp = host_port(p),
        k = describe(key),
        file = file.display(),
    )
}
