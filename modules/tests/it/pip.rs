//! `pip` against a real sshd host: a virtualenv in a temp dir (made with the
//! system's `python3 -m venv`) and the small pure-Python `six` from PyPI.

use crate::common;
use crate::sysfix;

use common::TestHost;
use drover_testsupport::TempDir;
use serde_json::json;
use sysfix::open_dir;

#[tokio::test(flavor = "multi_thread")]
async fn pip_in_a_virtualenv() {
    if !std::path::Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped: needs /usr/bin/python3");
        return;
    }
    let host = TestHost::ssh().await;
    let tmp = TempDir::new("drover-pip");
    open_dir(tmp.path());
    let venv = format!("{}/my venv", tmp.path().display());
    let base = json!({"virtualenv": venv, "virtualenv_command": "/usr/bin/python3 -m venv"});
    let with = |extra: serde_json::Value| {
        let mut a = base.clone();
        a.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        a
    };

    let r = host
        .run(
            "pip",
            with(json!({"name": "six", "version": "1.16.0"})),
            true,
            false,
        )
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert!(
        !std::path::Path::new(&venv).exists(),
        "check mode creates no virtualenv"
    );

    let r = host
        .ok("pip", with(json!({"name": "six", "version": "1.16.0"})))
        .await;
    assert_eq!(r["changed"], true, "{r:?}");
    assert_eq!(r["cmd"], format!("{venv}/bin/pip3 install six==1.16.0"));
    assert!(r["stdout"]
        .as_str()
        .unwrap()
        .contains("Successfully installed six-1.16.0"));
    let r = host.ok("pip", with(json!({"name": ["six==1.16.0"]}))).await;
    assert_eq!(
        r["changed"], false,
        "already installed: decided without running pip: {r:?}"
    );
    assert!(r.get("stdout").is_none());
    let r = host
        .run(
            "pip",
            with(json!({"name": "six", "state": "latest"})),
            true,
            false,
        )
        .await
        .unwrap();
    assert_eq!(r["changed"], true);

    let r = host
        .run(
            "pip",
            with(json!({"name": "six", "state": "absent"})),
            true,
            false,
        )
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    let r = host
        .ok("pip", with(json!({"name": "six", "state": "absent"})))
        .await;
    assert_eq!(r["changed"], true, "{r:?}");
    let r = host
        .ok("pip", with(json!({"name": "six", "state": "absent"})))
        .await;
    assert_eq!(r["changed"], false);

    let req = format!("{}/req s.txt", tmp.path().display());
    std::fs::write(&req, "six==1.16.0\n").unwrap();
    let r = host.ok("pip", with(json!({"requirements": req}))).await;
    assert_eq!(r["changed"], true);
    let r = host.ok("pip", with(json!({"requirements": req}))).await;
    assert_eq!(
        r["changed"], false,
        "requirements: the listing before and after compare equal"
    );

    let r = host
        .ok(
            "pip",
            with(json!({"name": "drover-no-such-package-xyz==0.0.1", "extra_args": "--no-index"})),
        )
        .await;
    assert_eq!(r["failed"], true);
    assert!(r["msg"].as_str().unwrap().contains(":stderr: "), "{r:?}");
}
