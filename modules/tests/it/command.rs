//! The command family against a real sshd host.

use crate::common;

use common::TestHost;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn command_returns_ansible_fields_and_honours_creates() {
    let host = TestHost::ssh().await;
    let r = host
        .ok(
            "command",
            json!({"_raw_params": "echo 'a b' c", "chdir": "/tmp"}),
        )
        .await;
    assert_eq!(r["stdout"], "a b c");
    assert_eq!(r["cmd"], json!(["echo", "a b", "c"]));
    assert_eq!(r["rc"], 0);
    assert_eq!(r["changed"], true);
    let r = host
        .ok(
            "command",
            json!({"_raw_params": "echo hi", "creates": "/etc/pass*"}),
        )
        .await;
    assert_eq!(r["changed"], false);
    assert_eq!(r["msg"], "Did not run command since '/etc/pass*' exists");
    let r = host
        .ok("shell", json!({"_raw_params": "echo $((6*7)) >&2; exit 3"}))
        .await;
    assert_eq!(
        (r["rc"].clone(), r["stderr"].clone(), r["failed"].clone()),
        (json!(3), json!("42"), json!(true))
    );
    let r = host
        .ok("command", json!({"_raw_params": "/no/such/program"}))
        .await;
    assert_eq!(
        (r["rc"].clone(), r["msg"].clone()),
        (json!(2), json!("Error executing command."))
    );
    let r = host
        .run(
            "command",
            json!({"_raw_params": "touch /tmp/x"}),
            true,
            false,
        )
        .await
        .unwrap();
    assert_eq!(r["skipped"], true, "check mode does not run commands");
}
