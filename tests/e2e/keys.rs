//! Passphrase-protected keys: through ssh-agent, and refused clearly without one.

use std::process::Command;

use drover_testsupport::{keygen, SshServer};

use crate::common::{run, set_mode, Scratch};

const PLAY: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n      register: who\n    - debug: var=who.stdout\n";

#[test]
fn a_passphrase_protected_key_works_through_ssh_agent() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    let key = s.path("locked_ed25519");
    keygen(&key, "correct horse");
    server.authorize_key(&std::fs::read_to_string(key.with_extension("pub")).unwrap());

    // A private agent, loaded non-interactively through SSH_ASKPASS.
    let sock = s.path("agent.sock");
    let agent = Command::new("ssh-agent")
        .arg("-a")
        .arg(&sock)
        .arg("-D")
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _agent = Kill(agent);
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let askpass = s.write("askpass.sh", "#!/bin/sh\necho 'correct horse'\n");
    set_mode(&askpass, 0o700);
    let added = Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "ssh-add: {}",
        String::from_utf8_lossy(&added.stderr)
    );

    s.write(
        "inv.ini",
        &format!(
            "h1 ansible_host=127.0.0.1 ansible_port={} ansible_user={}\n",
            server.port, server.user
        ),
    );
    s.write("site.yml", PLAY);
    let out = run(s
        .drover()
        .args(["play", "-i", "inv.ini", "site.yml"])
        .env("SSH_AUTH_SOCK", &sock));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout
            .contains(&format!("\"who.stdout\": \"{}\"", server.user)),
        "{}",
        out.show()
    );

    // Without the agent and without a terminal to ask on, the key cannot be used.
    let out = run(s
        .drover()
        .args(["play", "-i", "inv.ini", "site.yml", "--private-key"])
        .arg(&key));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(out.stdout.contains("UNREACHABLE!"), "{}", out.show());
    assert!(
        out.stdout.contains("encrypted") || out.stdout.contains("passphrase"),
        "{}",
        out.show()
    );
}
