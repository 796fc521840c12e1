//! wait_for, wait_for_connection and unarchive against a real sshd host.

use crate::common;

use std::time::Instant;

use common::TestHost;
use serde_json::json;

fn scratch(name: &str) -> String {
    let d = std::env::temp_dir().join(format!(
        "drover-wait-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    // The sshd's login user is not the test process's user: let it write here.
    std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    d.to_string_lossy().into_owned()
}

fn mkdir(d: &str) {
    std::fs::create_dir_all(d).unwrap();
    std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_for_ports_and_files() {
    let host = TestHost::ssh().await;
    let port = host.server.as_ref().unwrap().port;
    let r = host
        .ok("wait_for", json!({"port": port, "timeout": 5}))
        .await;
    assert!(r.get("failed").is_none(), "{r:?}");
    assert_eq!(
        (r["state"].clone(), r["port"].clone()),
        (json!("started"), json!(port))
    );
    assert!(r["elapsed"].as_u64().unwrap() <= 1);
    // A closed port: started times out, stopped succeeds at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = Instant::now();
    let r = host
        .ok(
            "wait_for",
            json!({"port": closed, "timeout": 2, "sleep": 0.5}),
        )
        .await;
    assert_eq!(r["failed"], true);
    assert_eq!(
        r["msg"],
        format!("Timeout when waiting for 127.0.0.1:{closed}")
    );
    assert!(t.elapsed().as_secs() >= 2);
    let r = host
        .ok(
            "wait_for",
            json!({"port": closed, "state": "stopped", "timeout": 2}),
        )
        .await;
    assert_eq!(r["state"], "stopped");
    let r = host
        .ok(
            "wait_for",
            json!({"port": closed, "timeout": 1, "msg": "custom"}),
        )
        .await;
    assert_eq!(r["msg"], "custom");

    let dir = scratch("wf");
    let f = format!("{dir}/ready 'x'");
    let f2 = f.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1200));
        std::fs::write(&f2, b"starting\nlisten port=8080 ok\n").unwrap();
    });
    let r = host
        .ok(
            "wait_for",
            json!({"path": f, "search_regex": r"port=(?P<port>\d+)", "timeout": 10, "sleep": 0.3}),
        )
        .await;
    writer.join().unwrap();
    assert_eq!(r["match_groupdict"], json!({"port": "8080"}), "{r:?}");
    assert_eq!(r["match_groups"], json!(["8080"]));
    let r = host
        .ok(
            "wait_for",
            json!({"path": format!("{dir}/nope"), "state": "absent", "timeout": 2}),
        )
        .await;
    assert_eq!(r["state"], "absent");
    let r = host
        .ok(
            "wait_for",
            json!({"path": f, "state": "absent", "timeout": 1}),
        )
        .await;
    assert_eq!(
        r["msg"],
        format!("Timeout when waiting for {f} to be absent.")
    );
    let r = host.ok("wait_for", json!({"path": f, "port": 1})).await;
    assert_eq!(
        r["msg"],
        "port and path parameter can not both be passed to wait_for"
    );
    let r = host
        .run("wait_for", json!({"port": port}), true, false)
        .await
        .unwrap();
    assert_eq!(r["skipped"], true);
    let r = host.ok("wait_for_connection", json!({"timeout": 5})).await;
    assert_eq!(r["changed"], false);
    assert!(r.get("failed").is_none(), "{r:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn unarchive_tar_and_zip_idempotent() {
    let host = TestHost::ssh().await;
    let dir = scratch("ua");
    let src = format!("{dir}/src");
    std::fs::create_dir_all(format!("{src}/top/sub dir")).unwrap();
    std::fs::write(format!("{src}/top/a.txt"), b"A\n").unwrap();
    std::fs::write(format!("{src}/top/sub dir/b $x.txt"), b"B\n").unwrap();
    host.sh(&format!(
        "cd '{src}' && tar czf ../a.tar.gz top && tar cJf ../a.tar.xz top && tar cf ../a.tar top && (command -v zip >/dev/null && zip -qr ../a.zip top || true)"
    ))
    .await;
    for (archive, handler) in [
        ("a.tar.gz", "TgzArchive"),
        ("a.tar", "TarArchive"),
        ("a.tar.xz", "TarArchive"),
    ] {
        let dest = format!("{dir}/out-{archive}");
        mkdir(&dest);
        let args = json!({"src": format!("{dir}/{archive}"), "dest": dest, "remote_src": true, "list_files": true});
        let r = host
            .run("unarchive", args.clone(), true, false)
            .await
            .unwrap();
        assert_eq!(r["changed"], true, "{r:?}");
        assert!(!std::path::Path::new(&format!("{dest}/top")).exists());
        let r = host.ok("unarchive", args.clone()).await;
        assert_eq!(
            (r["changed"].clone(), r["handler"].clone()),
            (json!(true), json!(handler)),
            "{r:?}"
        );
        assert!(r["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "top/a.txt"));
        assert_eq!(
            std::fs::read(format!("{dest}/top/sub dir/b $x.txt")).unwrap(),
            b"B\n"
        );
        let r = host.ok("unarchive", args.clone()).await;
        assert_eq!(r["changed"], false, "second run: {r:?}");
        std::fs::write(format!("{dest}/top/a.txt"), b"changed").unwrap();
        let r = host.ok("unarchive", args).await;
        assert_eq!(r["changed"], true);
        assert_eq!(std::fs::read(format!("{dest}/top/a.txt")).unwrap(), b"A\n");
    }
    // From the controller, with creates.
    let dest = format!("{dir}/out-ctl");
    mkdir(&dest);
    let args = json!({"src": format!("{dir}/a.tar.gz"), "dest": dest, "creates": format!("{dest}/top/a.txt")});
    let r = host.ok("unarchive", args.clone()).await;
    assert_eq!(r["changed"], true, "{r:?}");
    let r = host.ok("unarchive", args).await;
    assert_eq!(r["skipped"], true);
    let r = host
        .ok("unarchive", json!({"src": format!("{dir}/a.tar.gz"), "dest": format!("{dir}/none"), "remote_src": true}))
        .await;
    assert_eq!(r["failed"], true);
    if std::path::Path::new(&format!("{dir}/a.zip")).exists() {
        let dest = format!("{dir}/out-zip");
        mkdir(&dest);
        let args = json!({"src": format!("{dir}/a.zip"), "dest": dest, "remote_src": true});
        let r = host.ok("unarchive", args.clone()).await;
        assert_eq!(
            (r["changed"].clone(), r["handler"].clone()),
            (json!(true), json!("ZipArchive"))
        );
        assert_eq!(host.ok("unarchive", args).await["changed"], false);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
