//! `user` and `group` for real, through the local connection as root, with names unique
//! to this run so parallel runs never clash; everything created is removed.

use crate::common;
use crate::sysfix;

use common::TestHost;
use drover_testsupport::is_root;
use serde_json::json;
use sysfix::unique_name;

/// Removes the test's accounts even when an assertion fails.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for cmd in &self.0 {
            let _ = std::process::Command::new("sh").args(["-c", cmd]).output();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn group_add_change_remove() {
    if !is_root() {
        eprintln!("skipped: group tests need root");
        return;
    }
    let host = TestHost::local();
    let name = unique_name("drg");
    let _c = Cleanup(vec![format!("groupdel {name}")]);
    let r = host
        .run("group", json!({"name": name}), true, false)
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(
        host.sh(&format!("getent group {name}")).await,
        "",
        "check mode adds nothing"
    );
    let r = host
        .ok("group", json!({"name": name, "system": true}))
        .await;
    assert_eq!(
        (
            r["changed"].clone(),
            r["state"].clone(),
            r["system"].clone()
        ),
        (json!(true), json!("present"), json!(true))
    );
    let gid = r["gid"].as_i64().expect("gid returned");
    assert!(host
        .sh(&format!("getent group {name}"))
        .await
        .contains(&format!(":{gid}:")));
    let r = host
        .ok("group", json!({"name": name, "system": true}))
        .await;
    assert_eq!(
        (r["changed"].clone(), r["gid"].clone()),
        (json!(false), json!(gid))
    );
    let r = host.ok("group", json!({"name": name, "gid": 48123})).await;
    assert_eq!(
        (r["changed"].clone(), r["gid"].clone()),
        (json!(true), json!(48123))
    );
    let r = host
        .ok("group", json!({"name": name, "state": "absent"}))
        .await;
    assert_eq!(r["changed"], true);
    let r = host
        .ok("group", json!({"name": name, "state": "absent"}))
        .await;
    assert_eq!(r["changed"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_add_modify_password_and_remove() {
    if !is_root() {
        eprintln!("skipped: user tests need root");
        return;
    }
    let host = TestHost::local();
    let name = unique_name("dru");
    let extra = unique_name("drx");
    let _c = Cleanup(vec![
        format!("userdel -r {name}"),
        format!("groupdel {extra}"),
        format!("groupdel {name}"),
    ]);
    host.ok("group", json!({"name": extra})).await;
    // A SHA-512 crypt hash with `$` in it: it must reach /etc/shadow intact.
    let hash = "$6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.";
    let args = json!({
        "name": name, "comment": "Test 'user' \"q\" $x `y`", "shell": "/bin/sh",
        "groups": [extra], "password": hash, "home": format!("/tmp/{name} home"),
    });
    let r = host.run("user", args.clone(), true, false).await.unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(
        host.sh(&format!("getent passwd {name}")).await,
        "",
        "check mode adds nothing"
    );

    let r = host.ok("user", args.clone()).await;
    assert_eq!(r["changed"], true, "{r:?}");
    assert_eq!(r["password"], "NOT_LOGGING_PASSWORD");
    assert!(
        !serde_json::to_string(&r).unwrap().contains("IxDD3"),
        "the hash is never in the result"
    );
    assert_eq!(r["home"], format!("/tmp/{name} home"));
    assert_eq!(r["comment"], "Test 'user' \"q\" $x `y`");
    assert!(r["uid"].as_i64().unwrap() > 0);
    assert_eq!(
        host.sh(&format!("getent shadow {name} | cut -d: -f2"))
            .await
            .trim(),
        hash
    );
    assert!(host.sh(&format!("id -Gn {name}")).await.contains(&extra));
    assert!(
        std::path::Path::new(&format!("/tmp/{name} home")).is_dir(),
        "create_home"
    );

    let r = host.ok("user", args.clone()).await;
    assert_eq!(r["changed"], false, "second run changes nothing: {r:?}");

    let r = host
        .ok(
            "user",
            json!({"name": name, "shell": "/bin/bash", "groups": [], "append": false}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["shell"].clone()),
        (json!(true), json!("/bin/bash"))
    );
    assert!(
        !host.sh(&format!("id -Gn {name}")).await.contains(&extra),
        "groups: [] leaves only the primary group"
    );
    let r = host
        .ok(
            "user",
            json!({"name": name, "groups": extra, "append": true}),
        )
        .await;
    assert_eq!(r["changed"], true);
    let r = host
        .ok(
            "user",
            json!({"name": name, "groups": extra, "append": true}),
        )
        .await;
    assert_eq!(r["changed"], false);
    let r = host
        .ok(
            "user",
            json!({"name": name, "group": "no-such-group-drover"}),
        )
        .await;
    assert_eq!(
        (r["failed"].clone(), r["msg"].clone()),
        (
            json!(true),
            json!("Group no-such-group-drover does not exist")
        )
    );

    let r = host
        .ok(
            "user",
            json!({"name": name, "state": "absent", "remove": true}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["remove"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(host.sh(&format!("getent passwd {name}")).await, "");
    let r = host
        .ok("user", json!({"name": name, "state": "absent"}))
        .await;
    assert_eq!(r["changed"], false);
    host.ok("group", json!({"name": extra, "state": "absent"}))
        .await;
}
