//! `getent`, `sysctl` and `hostname` against a real sshd host.

use crate::common;
use crate::sysfix;

use common::TestHost;
use drover_testsupport::TempDir;
use serde_json::json;
use sysfix::open_dir;

#[tokio::test(flavor = "multi_thread")]
async fn getent_sets_facts_and_reports_missing_keys() {
    let host = TestHost::ssh().await;
    let r = host
        .ok("getent", json!({"database": "passwd", "key": "root"}))
        .await;
    assert_eq!(r["changed"], false);
    assert_eq!(r["ansible_facts"]["getent_passwd"]["root"][1], "0");
    assert_eq!(r["ansible_facts"]["getent_passwd"]["root"][4], "/root");
    let r = host.ok("getent", json!({"database": "group"})).await;
    assert!(r["ansible_facts"]["getent_group"]["root"].is_array());
    let r = host
        .ok(
            "getent",
            json!({"database": "passwd", "key": "no such user"}),
        )
        .await;
    assert_eq!(
        (r["failed"].clone(), r["msg"].clone()),
        (
            json!(true),
            json!("One or more supplied key could not be found in the database.")
        )
    );
    let r = host
        .ok(
            "getent",
            json!({"database": "passwd", "key": "nouser", "fail_key": false}),
        )
        .await;
    assert_eq!(
        r["ansible_facts"],
        json!({"getent_passwd": {"nouser": null}})
    );
    assert!(r.get("failed").is_none());
    let r = host.ok("getent", json!({"database": "nodb"})).await;
    assert_eq!(r["msg"], "Missing arguments, or database unknown.");
}

#[tokio::test(flavor = "multi_thread")]
async fn sysctl_edits_its_file_idempotently() {
    let host = TestHost::ssh().await;
    let dir = TempDir::new("drover-sysctl");
    open_dir(dir.path());
    let file = dir.path().join("my sysctl.conf");
    std::fs::write(
        &file,
        "# keep me\nvm.swappiness = 10\nnet.core.somaxconn=128\nvm.swappiness=20\n",
    )
    .unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let f = file.display().to_string();
    let args = json!({"name": "vm.swappiness", "value": "5", "sysctl_file": f, "reload": false});

    let r = host.run("sysctl", args.clone(), true, true).await.unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(
        r["diff"]["after"],
        "# keep me\nvm.swappiness=5\nnet.core.somaxconn=128\n"
    );
    assert!(
        std::fs::read_to_string(&file).unwrap().contains("= 10"),
        "check mode writes nothing"
    );

    let r = host.ok("sysctl", args.clone()).await;
    assert_eq!(r["changed"], true);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "# keep me\nvm.swappiness=5\nnet.core.somaxconn=128\n"
    );
    let r = host.ok("sysctl", args).await;
    assert_eq!(r["changed"], false);
    let r = host
        .ok(
            "sysctl",
            json!({"key": "net.core.somaxconn", "val": 128, "sysctl_file": f, "reload": false}),
        )
        .await;
    assert_eq!(r["changed"], false, "same value, other spelling");

    let r = host
        .ok(
            "sysctl",
            json!({"name": "kernel.x", "value": "a  b", "sysctl_file": f, "reload": false}),
        )
        .await;
    assert_eq!(r["changed"], true);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .ends_with("kernel.x=a b\n"));
    let r = host
        .ok(
            "sysctl",
            json!({"name": "kernel.x", "state": "absent", "sysctl_file": f, "reload": false}),
        )
        .await;
    assert_eq!(r["changed"], true);
    assert!(!std::fs::read_to_string(&file).unwrap().contains("kernel.x"));

    // The live value: equal to the kernel's, so nothing to set (and no root needed).
    let live = host.sh("sysctl -n kernel.ostype").await;
    let r = host.ok("sysctl", json!({"name": "kernel.ostype", "value": live.trim(), "sysctl_set": true, "sysctl_file": f, "reload": false})).await;
    assert_eq!(r["changed"], true, "the file still gains the entry");
    let r = host.ok("sysctl", json!({"name": "kernel.ostype", "value": live.trim(), "sysctl_set": true, "sysctl_file": f, "reload": false})).await;
    assert_eq!(r["changed"], false);

    // Reloading a file with a key the kernel does not have fails unless ignored.
    let r = host
        .ok(
            "sysctl",
            json!({"name": "drover.no.such.key", "value": "1", "sysctl_file": f}),
        )
        .await;
    assert_eq!(r["failed"], true, "{r:?}");
    let r = host.ok("sysctl", json!({"name": "drover.no.such.key2", "value": "1", "sysctl_file": f, "ignoreerrors": true})).await;
    assert_eq!((r["changed"].clone(), r.get("failed")), (json!(true), None));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostname_check_mode_and_no_change() {
    let host = TestHost::ssh().await;
    let current = host.sh("hostname").await.trim().to_string();
    let r = host.ok("hostname", json!({"name": current})).await;
    assert_eq!(r["changed"], false, "{r:?}");
    assert_eq!(
        r["ansible_facts"]["ansible_hostname"],
        current.split('.').next().unwrap()
    );
    let r = host
        .run("hostname", json!({"name": "web01.example.org"}), true, true)
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(r["ansible_facts"]["ansible_domain"], "example.org");
    assert_eq!(r["diff"]["after"], "hostname = web01.example.org\n");
    assert_eq!(
        host.sh("hostname").await.trim(),
        current,
        "check mode renames nothing"
    );
}
