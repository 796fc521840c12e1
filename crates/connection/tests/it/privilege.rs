//! become (sudo) over SSH and locally. Needs root to set up users and sudoers.
use crate::common;

use common::{connect, params, without_agent};
use drover_connection::{local, Become, ConnError, Secret};
use drover_testsupport::{drover_home, is_root, sudo_fixture, SshServer};

fn become_as(user: &str, password: Option<&str>) -> Become {
    Become {
        user: user.to_string(),
        password: password.map(|p| Secret::new(p.to_string())),
        ..Become::default()
    }
}

#[tokio::test]
async fn sudo_with_password_over_ssh() {
    if !is_root() {
        eprintln!("skipped: needs root to create sudo users");
        return;
    }
    without_agent();
    let fx = sudo_fixture();
    let server = SshServer::start_for(&fx.login_user);
    let home = drover_home();
    let conn = connect(params(&server, &home.path().join("kh")))
        .await
        .expect("connect");

    let good = become_as(&fx.target_user, Some(&fx.password));
    let out = conn
        .exec(
            "id -un; echo warn >&2; cat",
            Some(b"stdin reaches the command"),
            Some(&good),
        )
        .await
        .expect("become exec");
    assert_eq!(out.rc, 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\nstdin reaches the command", fx.target_user)
    );
    assert_eq!(out.stderr, b"warn\n", "sudo chatter must be stripped");

    // A big stdin must arrive intact after the password handshake.
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 253) as u8).collect();
    let out = conn
        .exec("cat", Some(&data), Some(&good))
        .await
        .expect("cat");
    assert!(out.stdout == data);

    // put/get through become: the file ends up owned by the target user.
    let dest = format!("/tmp/drover-become-{}", server.port);
    conn.put(b"owned", &dest, Some(0o600), Some(&good))
        .await
        .expect("put as target");
    let owner = conn
        .exec(&format!("stat -c %U {dest}"), None, None)
        .await
        .expect("stat");
    assert_eq!(
        String::from_utf8_lossy(&owner.stdout).trim(),
        fx.target_user
    );
    assert_eq!(conn.get(&dest, Some(&good)).await.expect("get"), b"owned");
    conn.exec(&format!("rm -f {dest}"), None, Some(&good))
        .await
        .expect("rm");

    let wrong = become_as(&fx.target_user, Some("not the password"));
    let err = conn
        .exec("id -un", None, Some(&wrong))
        .await
        .expect_err("wrong password");
    assert!(
        matches!(&err, ConnError::Become(m) if m.contains("Incorrect sudo password")),
        "{err:?}"
    );

    let none = become_as(&fx.target_user, None);
    let err = conn
        .exec("id -un", None, Some(&none))
        .await
        .expect_err("no password");
    assert!(
        matches!(&err, ConnError::Become(m) if m.contains("requires a password")),
        "{err:?}"
    );

    // Flags without -n: sudo prompts, and we still refuse cleanly.
    let none_interactive = Become {
        flags: Some("-H -S".into()),
        ..none
    };
    let err = conn
        .exec("id -un", None, Some(&none_interactive))
        .await
        .expect_err("no password, prompting sudo");
    assert!(
        matches!(&err, ConnError::Become(m) if m.contains("-K")),
        "{err:?}"
    );

    // The connection is still healthy after the failures.
    let out = conn.exec("echo fine", None, None).await.expect("exec");
    assert_eq!(out.stdout, b"fine\n");
}

#[tokio::test]
async fn password_never_appears_in_process_arguments() {
    if !is_root() {
        eprintln!("skipped: needs root to create sudo users");
        return;
    }
    without_agent();
    let fx = sudo_fixture();
    let server = SshServer::start_for(&fx.login_user);
    let home = drover_home();
    let conn = connect(params(&server, &home.path().join("kh")))
        .await
        .expect("connect");
    let good = become_as(&fx.target_user, Some(&fx.password));
    // While the become command runs, list every process's arguments.
    let out = conn
        .exec("ps -eo args", None, Some(&good))
        .await
        .expect("ps");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("ps -eo args"), "{listing}");
    assert!(listing.contains("sudo"), "{listing}");
    assert!(
        !listing.contains(&fx.password),
        "password visible in ps: {listing}"
    );
}

#[tokio::test]
async fn local_exec_put_get_and_become() {
    let conn = local();
    let out = conn
        .exec("echo out; echo err >&2; cat; exit 4", Some(b"in"), None)
        .await
        .expect("exec");
    assert_eq!(
        (out.rc, out.stdout.as_slice(), out.stderr.as_slice()),
        (4, &b"out\nin"[..], &b"err\n"[..])
    );

    let home = drover_home();
    let dest = home.path().join("a 'file'.bin");
    let dest = dest.to_str().expect("utf-8 path");
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    conn.put(&data, dest, Some(0o604), None).await.expect("put");
    assert!(conn.get(dest, None).await.expect("get") == data);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dest).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o604);
    let entries: Vec<_> = std::fs::read_dir(home.path())
        .expect("readdir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(entries.len(), 2, "temp file left: {entries:?}"); // .ssh and the file

    let big: Vec<u8> = vec![7u8; 3_000_000];
    let out = conn.exec("cat", Some(&big), None).await.expect("cat");
    assert_eq!(out.stdout.len(), big.len());

    if is_root() {
        let fx = sudo_fixture();
        let b = become_as(&fx.target_user, None);
        let out = conn
            .exec("id -un", None, Some(&b))
            .await
            .expect("local become");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), fx.target_user);
    }
}
