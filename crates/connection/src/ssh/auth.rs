//! Public key authentication: ssh-agent keys first, then identity files.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use russh::client::Handle;
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey};
use tracing::debug;

use super::hostkey::ClientHandler;
use super::params::Resolved;
use crate::{ConnError, PassphrasePrompt};

/// Keys gathered before connecting, so a passphrase prompt never eats into
/// the connect timeout and retries do not ask twice.
pub(crate) struct Credentials {
    agent_keys: Vec<PublicKey>,
    keys: Vec<(PathBuf, Arc<PrivateKey>)>,
    /// Identity files that could not be used, with the reason.
    notes: Vec<String>,
    /// Encrypted files nobody could unlock.
    locked: Vec<PathBuf>,
}

// Decrypted keys, so twenty hosts sharing one encrypted key ask once.
static UNLOCKED: Mutex<Option<HashMap<PathBuf, Arc<PrivateKey>>>> = Mutex::new(None);
// Prompts are serialised so the first answer lands in UNLOCKED before the next host asks.
static PROMPTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cached(path: &PathBuf) -> Option<Arc<PrivateKey>> {
    UNLOCKED
        .lock()
        .ok()
        .and_then(|m| m.as_ref().and_then(|m| m.get(path).cloned()))
}

fn remember(path: PathBuf, key: Arc<PrivateKey>) {
    if let Ok(mut m) = UNLOCKED.lock() {
        m.get_or_insert_with(HashMap::new).insert(path, key);
    }
}

async fn agent_identities() -> Vec<PublicKey> {
    if std::env::var_os("SSH_AUTH_SOCK").is_none() {
        return Vec::new();
    }
    match AgentClient::connect_env().await {
        Ok(mut agent) => match agent.request_identities().await {
            Ok(ids) => ids.iter().map(|i| i.public_key().into_owned()).collect(),
            Err(e) => {
                debug!(error = %e, "ssh-agent did not list its keys");
                Vec::new()
            }
        },
        Err(e) => {
            debug!(error = %e, "ssh-agent unavailable");
            Vec::new()
        }
    }
}

pub(crate) async fn prepare(r: &Resolved, prompt: &Arc<dyn PassphrasePrompt>) -> Credentials {
    let mut c = Credentials {
        agent_keys: agent_identities().await,
        keys: Vec::new(),
        notes: Vec::new(),
        locked: Vec::new(),
    };
    for path in &r.identity_files {
        if let Some(k) = cached(path) {
            c.keys.push((path.clone(), k));
            continue;
        }
        let text = match tokio::fs::read_to_string(path).await {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if r.explicit_identities {
                    c.notes.push(format!("{} (not found)", path.display()));
                }
                continue;
            }
            Err(e) => {
                c.notes.push(format!("{} ({e})", path.display()));
                continue;
            }
        };
        match russh::keys::decode_secret_key(&text, None) {
            Ok(k) => c.keys.push((path.clone(), Arc::new(k))),
            Err(russh::keys::Error::KeyIsEncrypted) => {
                // OpenSSH keys carry their public half in clear: skip the
                // prompt when the agent already offers this key.
                let public = PrivateKey::from_openssh(&text)
                    .ok()
                    .map(|k| k.public_key().clone());
                if public.is_some_and(|p| c.agent_keys.iter().any(|a| a.key_data() == p.key_data()))
                {
                    continue;
                }
                unlock(path, &text, prompt, &mut c).await;
            }
            Err(e) => c
                .notes
                .push(format!("{} (unusable key: {e})", path.display())),
        }
    }
    c
}

async fn unlock(
    path: &PathBuf,
    text: &str,
    prompt: &Arc<dyn PassphrasePrompt>,
    c: &mut Credentials,
) {
    let _turn = PROMPTING.lock().await;
    if let Some(k) = cached(path) {
        c.keys.push((path.clone(), k));
        return;
    }
    let asker = Arc::clone(prompt);
    let p = path.clone();
    let answer = tokio::task::spawn_blocking(move || asker.passphrase(&p))
        .await
        .ok()
        .flatten();
    let Some(pass) = answer else {
        c.locked.push(path.clone());
        return;
    };
    match russh::keys::decode_secret_key(text, Some(pass.expose())) {
        Ok(k) => {
            let k = Arc::new(k);
            remember(path.clone(), Arc::clone(&k));
            c.keys.push((path.clone(), k));
        }
        Err(e) => c
            .notes
            .push(format!("{} (could not decrypt: {e})", path.display())),
    }
}

fn describe(key: &PublicKey) -> String {
    format!(
        "{} {}",
        key.algorithm().as_str(),
        key.fingerprint(HashAlg::Sha256)
    )
}

async fn rsa_hash(handle: &Handle<ClientHandler>, is_rsa: bool) -> Option<HashAlg> {
    if !is_rsa {
        return None;
    }
    handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten()
}

pub(crate) async fn authenticate(
    handle: &mut Handle<ClientHandler>,
    r: &Resolved,
    c: &Credentials,
) -> Result<(), ConnError> {
    let mut tried = Vec::new();
    if !c.agent_keys.is_empty() {
        match AgentClient::connect_env().await {
            Ok(mut agent) => {
                for key in &c.agent_keys {
                    let hash = rsa_hash(handle, key.algorithm().is_rsa()).await;
                    match handle
                        .authenticate_publickey_with(&r.user, key.clone(), hash, &mut agent)
                        .await
                    {
                        Ok(res) if res.success() => return Ok(()),
                        Ok(_) => tried.push(format!("agent key {}", describe(key))),
                        Err(e) => tried.push(format!("agent key {} ({e})", describe(key))),
                    }
                }
            }
            Err(e) => tried.push(format!("ssh-agent ({e})")),
        }
    }
    for (path, key) in &c.keys {
        let hash = rsa_hash(handle, key.algorithm().is_rsa()).await;
        let attempt = PrivateKeyWithHashAlg::new(Arc::clone(key), hash);
        match handle.authenticate_publickey(&r.user, attempt).await {
            Ok(res) if res.success() => return Ok(()),
            Ok(_) => tried.push(path.display().to_string()),
            Err(e) => {
                return Err(ConnError::Unreachable(format!(
                    "Connection to {} ({}:{}) failed during authentication: {e}",
                    r.host, r.address, r.port
                )))
            }
        }
    }
    tried.extend(c.notes.iter().cloned());
    let mut msg = format!(
        "Failed to authenticate as {} to {}:{} (tried: {})",
        r.user,
        r.address,
        r.port,
        if tried.is_empty() {
            "nothing: no ssh-agent keys and no identity files found".to_string()
        } else {
            tried.join(", ")
        }
    );
    for path in &c.locked {
        msg.push_str(&format!(
            ". The key {p} is encrypted: add it to ssh-agent (ssh-add {p}) or run on a terminal to be asked for its passphrase",
            p = path.display()
        ));
    }
    Err(ConnError::Unreachable(msg))
}
