//! ssh-agent authentication. A separate test binary because it sets
//! SSH_AUTH_SOCK, which is process-wide.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::{params, NoPrompt};
use drover_connection::connect_ssh;
use drover_testsupport::{drover_home, keygen, SshServer};

fn encrypted_key(server: &SshServer, dir: &Path, name: &str, pass: &str) -> PathBuf {
    let key = dir.join(name);
    keygen(&key, pass);
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    server.authorize_key(&public);
    key
}

#[tokio::test]
async fn ssh_agent_key_is_used_first() {
    let server = SshServer::start();
    let home = drover_home();
    let key = encrypted_key(&server, home.path(), "agentkey", "agent pass");
    let sock = home.path().join("agent.sock");
    let out = Command::new("ssh-agent")
        .arg("-a")
        .arg(&sock)
        .output()
        .expect("ssh-agent");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let pid = text
        .split("SSH_AGENT_PID=")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .expect("agent pid")
        .to_string();
    struct Kill(String);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = Command::new("kill").arg(&self.0).status();
        }
    }
    let _agent = Kill(pid);

    let askpass = home.path().join("askpass.sh");
    std::fs::write(&askpass, "#!/bin/sh\necho 'agent pass'\n").expect("askpass");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let added = Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("ssh-add");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    // Alone in its test binary: nothing else in this process reads or
    // clears SSH_AUTH_SOCK concurrently.
    std::env::set_var("SSH_AUTH_SOCK", &sock);
    let mut p = params(&server, &home.path().join("kh"));
    // The encrypted file is listed too: the agent holds it, so no prompt.
    p.identity_files = vec![key];
    let result = connect_ssh(p, Arc::new(NoPrompt)).await;
    std::env::remove_var("SSH_AUTH_SOCK");
    let conn = result.expect("agent auth");
    assert_eq!(
        conn.exec("echo agent", None, None)
            .await
            .expect("exec")
            .stdout,
        b"agent\n"
    );
}
