use crate::common;

use common::{connect, params, without_agent};
use drover_connection::{ConnError, HostKeyChecking};
use drover_testsupport::{drover_home, SshServer};

fn fingerprint(server: &SshServer) -> String {
    let out = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(server.dir.join("host_ed25519.pub"))
        .output()
        .expect("ssh-keygen -l");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .expect("fingerprint field")
        .to_string()
}

#[tokio::test]
async fn unknown_key_is_refused_with_fingerprint_and_remedy() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let kh = home.path().join("kh");
    let p = params(&server, &kh);
    std::fs::write(&kh, "").expect("empty known_hosts");
    let err = connect(p).await.err().expect("must refuse");
    let ConnError::Unreachable(msg) = err else {
        panic!("wrong error kind: {err:?}")
    };
    assert!(msg.contains("testhost"), "{msg}");
    assert!(msg.contains("ssh-ed25519"), "{msg}");
    assert!(msg.contains(&fingerprint(&server)), "{msg}");
    assert!(
        msg.contains(&format!("ssh-keyscan -p {} 127.0.0.1", server.port)),
        "{msg}"
    );
    assert!(msg.contains("accept-new"), "{msg}");
    assert_eq!(
        std::fs::read_to_string(&kh).expect("read"),
        "",
        "strict must not learn"
    );
}

#[tokio::test]
async fn accept_new_records_then_strict_succeeds() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let kh = home.path().join("kh");
    let mut p = params(&server, &kh);
    std::fs::write(&kh, "# comment\n").expect("known_hosts");
    p.host_key_checking = HostKeyChecking::AcceptNew;
    let conn = connect(p.clone()).await.expect("accept-new connects");
    conn.close().await;
    let recorded = std::fs::read_to_string(&kh).expect("read");
    assert!(
        recorded.contains(&server.host_key_line),
        "known_hosts: {recorded}"
    );
    p.host_key_checking = HostKeyChecking::Strict;
    let conn = connect(p).await.expect("now known");
    assert_eq!(
        conn.exec("echo ok", None, None).await.expect("exec").stdout,
        b"ok\n"
    );
}

#[tokio::test]
async fn changed_key_is_refused_even_with_accept_new_but_off_accepts() {
    without_agent();
    let server = SshServer::start();
    let other = SshServer::start();
    let home = drover_home();
    let kh = home.path().join("kh");
    let mut p = params(&server, &kh);
    // Record the other server's key under this server's name.
    let wrong = format!(
        "# old entry\n{}\n",
        other
            .known_hosts_line("127.0.0.1")
            .replace(&format!(":{}", other.port), &format!(":{}", server.port),)
    );
    std::fs::write(&kh, &wrong).expect("known_hosts");
    for checking in [HostKeyChecking::Strict, HostKeyChecking::AcceptNew] {
        p.host_key_checking = checking;
        let err = connect(p.clone()).await.err().expect("must refuse");
        let ConnError::Unreachable(msg) = err else {
            panic!("wrong error kind: {err:?}")
        };
        assert!(msg.contains("HOST KEY HAS CHANGED"), "{msg}");
        assert!(msg.contains(&fingerprint(&server)), "{msg}");
        assert!(
            msg.contains(&format!("{}:2", kh.display())),
            "line number: {msg}"
        );
        assert!(msg.contains(&other.host_public_key), "recorded line: {msg}");
    }
    assert_eq!(std::fs::read_to_string(&kh).expect("read"), wrong);
    p.host_key_checking = HostKeyChecking::Off;
    let conn = connect(p).await.expect("off accepts");
    assert_eq!(conn.exec("echo ok", None, None).await.expect("exec").rc, 0);
}

#[tokio::test]
async fn hashed_known_hosts_entry_is_accepted() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let kh = home.path().join("kh");
    let p = params(&server, &kh);
    let out = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&kh)
        .output()
        .expect("ssh-keygen -H");
    assert!(out.status.success());
    let text = std::fs::read_to_string(&kh).expect("read");
    assert!(text.starts_with("|1|"), "{text}");
    connect(p).await.expect("hashed entry matches");
}
