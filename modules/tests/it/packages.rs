//! `apt` and `package` for real: installs and removes the tiny `sl` package (no
//! dependencies beyond libc and ncurses, nothing running) on this machine through the
//! local connection as root, and leaves it removed. Needs root and Debian's mirror.

use crate::common;

use common::TestHost;
use drover_testsupport::{is_root, TempDir};
use serde_json::json;

const PKG: &str = "sl";

async fn installed(host: &TestHost) -> bool {
    host.sh(&format!(
        "dpkg-query -W -f='${{db:Status-Abbrev}}' {PKG} 2>/dev/null"
    ))
    .await
    .starts_with("ii")
}

#[tokio::test(flavor = "multi_thread")]
async fn apt_installs_upgrades_and_removes_a_real_package() {
    if !is_root() {
        eprintln!("skipped: apt tests need root");
        return;
    }
    let host = TestHost::local();
    host.sh(&format!("DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=120 purge {PKG} >/dev/null 2>&1")).await;

    // cache_valid_time far in the future of the lists' age: no update.
    let r = host
        .ok(
            "apt",
            json!({"update_cache": true, "cache_valid_time": 864000000}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["cache_updated"].clone()),
        (json!(false), json!(false))
    );
    assert!(r["cache_update_time"].as_i64().unwrap() > 0);

    let args = json!({"name": PKG, "state": "present", "install_recommends": false});
    let r = host.run("apt", args.clone(), true, true).await.unwrap();
    assert_eq!(r["changed"], true, "{r:?}");
    assert!(
        r["stdout"]
            .as_str()
            .unwrap()
            .contains(&format!("Inst {PKG} ")),
        "check mode simulates: {r:?}"
    );
    assert!(!installed(&host).await, "check mode installs nothing");

    let r = host.run("apt", args.clone(), false, true).await.unwrap();
    assert_eq!(r["changed"], true, "{r:?}");
    assert!(installed(&host).await);
    let prepared = r["diff"]["prepared"].as_str().unwrap();
    assert!(
        prepared.contains("The following NEW packages will be installed:")
            && prepared.contains(PKG),
        "{prepared}"
    );
    assert_eq!(r["cache_updated"], false);

    let r = host.ok("apt", args).await;
    assert_eq!(r["changed"], false, "second run changes nothing: {r:?}");
    let r = host
        .ok("package", json!({"name": PKG, "state": "latest"}))
        .await;
    assert_eq!(r["changed"], false, "package dispatches to apt: {r:?}");
    let r = host
        .ok(
            "apt",
            json!({"pkg": format!("{PKG}, no-such-package-drover")}),
        )
        .await;
    assert_eq!(
        (r["failed"].clone(), r["msg"].clone()),
        (
            json!(true),
            json!("No package matching 'no-such-package-drover' is available")
        )
    );

    let r = host
        .run(
            "apt",
            json!({"name": [PKG], "state": "absent"}),
            true,
            false,
        )
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert!(installed(&host).await, "check mode removes nothing");
    let r = host
        .ok(
            "apt",
            json!({"name": [PKG], "state": "absent", "purge": true}),
        )
        .await;
    assert_eq!(r["changed"], true, "{r:?}");
    assert!(!installed(&host).await);
    let r = host
        .ok(
            "apt",
            json!({"name": [PKG], "state": "absent", "purge": true}),
        )
        .await;
    assert_eq!(r["changed"], false);

    // A local .deb on the host.
    let dir = TempDir::new("drover-apt");
    host.sh(&format!(
        "cd {} && apt-get download {PKG} >/dev/null 2>&1",
        dir.path().display()
    ))
    .await;
    let deb = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("downloaded .deb");
    let deb_args = json!({"deb": deb.display().to_string()});
    let r = host.ok("apt", deb_args.clone()).await;
    assert_eq!(r["changed"], true, "{r:?}");
    assert!(installed(&host).await);
    let r = host.ok("apt", deb_args).await;
    assert_eq!(r["changed"], false);
    host.ok(
        "apt",
        json!({"name": PKG, "state": "absent", "purge": true}),
    )
    .await;
    assert!(!installed(&host).await);
    let r = host.ok("apt", json!({"deb": "/no/such/file.deb"})).await;
    assert_eq!(r["failed"], true);
}
