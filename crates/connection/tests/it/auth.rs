use crate::common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{params, without_agent, NoPrompt};
use drover_connection::{connect_ssh, ConnError, PassphrasePrompt, Secret};
use drover_testsupport::{drover_home, keygen, SshServer};

#[tokio::test]
async fn wrong_key_reports_failed_authentication() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let mut p = params(&server, &home.path().join("kh"));
    let stranger = home.path().join("stranger");
    keygen(&stranger, "");
    p.identity_files = vec![stranger.clone(), home.path().join("nope")];
    let err = connect_ssh(p, Arc::new(NoPrompt))
        .await
        .err()
        .expect("refused");
    let ConnError::Unreachable(msg) = err else {
        panic!("{err:?}")
    };
    let expected = format!(
        "Failed to authenticate as {} to 127.0.0.1:{} (tried: {}",
        server.user,
        server.port,
        stranger.display()
    );
    assert!(msg.starts_with(&expected), "{msg}");
    assert!(msg.contains("nope (not found)"), "{msg}");
}

#[tokio::test]
async fn closed_port_is_unreachable_with_address() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let mut p = params(&server, &home.path().join("kh"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    p.port = Some(port);
    let err = connect_ssh(p, Arc::new(NoPrompt))
        .await
        .err()
        .expect("refused");
    let ConnError::Unreachable(msg) = err else {
        panic!("{err:?}")
    };
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
}

struct Answer {
    pass: String,
    asked: Mutex<Vec<PathBuf>>,
}

impl PassphrasePrompt for Answer {
    fn passphrase(&self, key: &Path) -> Option<Secret> {
        self.asked.lock().expect("lock").push(key.to_path_buf());
        Some(Secret::new(self.pass.clone()))
    }
}

fn encrypted_key(server: &SshServer, dir: &Path, name: &str, pass: &str) -> PathBuf {
    let key = dir.join(name);
    keygen(&key, pass);
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    server.authorize_key(&public);
    key
}

#[tokio::test]
async fn encrypted_key_uses_the_prompt_or_explains() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let key = encrypted_key(&server, home.path(), "locked", "open sesame");
    let mut p = params(&server, &home.path().join("kh"));
    p.identity_files = vec![key.clone()];

    let err = connect_ssh(p.clone(), Arc::new(NoPrompt))
        .await
        .err()
        .expect("no passphrase available");
    let ConnError::Unreachable(msg) = err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("is encrypted"), "{msg}");
    assert!(msg.contains("ssh-agent"), "{msg}");

    let prompt = Arc::new(Answer {
        pass: "open sesame".into(),
        asked: Mutex::new(Vec::new()),
    });
    let conn = connect_ssh(p, prompt.clone()).await.expect("unlocked");
    assert_eq!(
        conn.exec("echo hi", None, None).await.expect("exec").stdout,
        b"hi\n"
    );
    assert_eq!(*prompt.asked.lock().expect("lock"), vec![key]);
}
