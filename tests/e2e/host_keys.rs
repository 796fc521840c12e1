//! Host keys are checked against known_hosts by default.

use drover_testsupport::{keygen, SshServer, TempDir};

use crate::common::{inventory, run, Scratch};

const PLAY: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n";

#[test]
fn an_unknown_host_key_is_refused_then_accepted_on_request() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    s.write("site.yml", PLAY);
    let key = server
        .host_public_key
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();

    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(
        out.stdout.contains("fatal: [h1]: UNREACHABLE!"),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains("SHA256:"),
        "names the fingerprint: {}",
        out.show()
    );
    assert!(
        out.stdout.contains("accept-new"),
        "says how to accept it: {}",
        out.show()
    );
    assert!(
        !s.known_hosts().exists()
            || !std::fs::read_to_string(s.known_hosts())
                .unwrap()
                .contains(&key)
    );

    let out = run(s.drover().args([
        "play",
        "-i",
        "inv.ini",
        "site.yml",
        "--host-key-checking",
        "accept-new",
    ]));
    assert_eq!(out.code, 0, "{}", out.show());
    let known = std::fs::read_to_string(s.known_hosts()).unwrap();
    assert!(known.contains(&key), "accept-new records the key: {known}");

    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(
        out.code,
        0,
        "the recorded key is trusted now: {}",
        out.show()
    );
}

#[test]
fn a_changed_host_key_is_refused_even_by_accept_new() {
    let server = SshServer::start();
    let s = Scratch::new();
    let other = TempDir::new("drover-otherkey");
    keygen(&other.path().join("k"), "");
    let other_pub = std::fs::read_to_string(other.path().join("k.pub")).unwrap();
    let other_key: Vec<&str> = other_pub.split_whitespace().take(2).collect();
    std::fs::write(
        s.known_hosts(),
        format!("[127.0.0.1]:{} {}\n", server.port, other_key.join(" ")),
    )
    .unwrap();
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    s.write("site.yml", PLAY);

    for extra in [&[][..], &["--host-key-checking", "accept-new"][..]] {
        let out = run(s
            .drover()
            .args(["play", "-i", "inv.ini", "site.yml"])
            .args(extra));
        assert_eq!(out.code, 4, "{}", out.show());
        assert!(
            out.stdout.to_lowercase().contains("changed"),
            "{}",
            out.show()
        );
        assert!(out.stdout.contains("SHA256:"), "{}", out.show());
    }

    let out = run(s
        .drover()
        .args(["play", "-i", "inv.ini", "site.yml"])
        .env("ANSIBLE_HOST_KEY_CHECKING", "False"));
    assert_eq!(out.code, 0, "checking off accepts any key: {}", out.show());
}
