//! `systemd`, `systemd_service` and `service` against a real sshd host. systemd cannot
//! run on the test machines, so the host gets a stand-in `systemctl` (and `service`)
//! first on its PATH: shell scripts in the test's temp dir that keep unit state in
//! files and record their calls, so the tests see exactly which commands ran.

use crate::common;
use crate::sysfix;

use std::sync::Arc;

use common::TestHost;
use drover_testsupport::TempDir;
use serde_json::json;
use sysfix::{open_dir, script, PathFirst};

const FAKE_SYSTEMCTL: &str = r#"#!/bin/sh
# Stand-in systemctl: units are directories under units/, state is files in them.
D=$(dirname "$0")
echo "$*" >> "$D/calls"
while [ $# -gt 0 ]; do case $1 in --user|--global|--no-block|--force|-l) shift;; *) break;; esac; done
verb=$1; u=$2
case "$u" in *.*|'') ;; *) u=$u.service;; esac
S=$D/units/$u
known() { [ -d "$S" ] && [ ! -f "$S/masked" ]; }
case $verb in
daemon-reload|daemon-reexec) exit 0;;
show)
  if [ -f "$S/masked" ]; then load=masked; elif [ -d "$S" ]; then load=loaded; else load=not-found; fi
  if [ -f "$S/active" ]; then act=active; sub=running; else act=inactive; sub=dead; fi
  if [ -f "$S/enabled" ]; then ufs=enabled; else ufs=disabled; fi
  printf 'Id=%s\nLoadState=%s\nActiveState=%s\nSubState=%s\nUnitFileState=%s\nExecStart={ path=/bin/true ; argv[]=/bin/true ;\n ignore_errors=no }\nDescription=Test unit %s\n' "$u" $load $act $sub $ufs "$u"
  exit 0;;
is-enabled)
  if [ -f "$S/masked" ]; then echo masked; exit 1; fi
  [ -d "$S" ] || { echo "Failed to get unit file state for $u: No such file or directory" >&2; exit 1; }
  if [ -f "$S/enabled" ]; then echo enabled; exit 0; else echo disabled; exit 1; fi;;
start|restart|reload)
  [ -f "$S/masked" ] && { echo "Failed to $verb $u: Unit $u is masked." >&2; exit 1; }
  known || { echo "Failed to $verb $u: Unit $u not found." >&2; exit 5; }
  touch "$S/active";;
stop) rm -f "$S/active";;
enable) known || { echo "Failed to enable unit: Unit file $u does not exist." >&2; exit 1; }; touch "$S/enabled";;
disable) rm -f "$S/enabled";;
mask) mkdir -p "$S" && touch "$S/masked";;
unmask) rm -f "$S/masked";;
*) echo "unknown verb $verb" >&2; exit 1;;
esac
"#;

const FAKE_SERVICE: &str = r#"#!/bin/sh
# Stand-in sysvinit `service`: running state is a file per service.
D=$(dirname "$0")
echo "service $*" >> "$D/calls"
case $2 in
status) [ -f "$D/running-$1" ];;
start|restart|reload) touch "$D/running-$1";;
stop) rm -f "$D/running-$1";;
esac
"#;

struct Fixture {
    host: TestHost,
    dir: TempDir,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = TempDir::new("drover-systemd");
        open_dir(dir.path());
        script(&dir.path().join("systemctl"), FAKE_SYSTEMCTL);
        script(&dir.path().join("service"), FAKE_SERVICE);
        std::fs::create_dir_all(dir.path().join("units/web.service")).unwrap();
        open_dir(&dir.path().join("units"));
        open_dir(&dir.path().join("units/web.service"));
        let mut host = TestHost::ssh().await;
        host.conn = Arc::new(PathFirst {
            inner: host.conn.clone(),
            dir: dir.path().display().to_string(),
        });
        Fixture { host, dir }
    }

    /// The systemctl calls since the last look, and forget them.
    fn calls(&self) -> Vec<String> {
        let p = self.dir.path().join("calls");
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let _ = std::fs::remove_file(&p);
        text.lines().map(str::to_string).collect()
    }

    fn has(&self, file: &str) -> bool {
        self.dir
            .path()
            .join("units/web.service")
            .join(file)
            .exists()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn systemd_starts_enables_and_is_idempotent() {
    let f = Fixture::new().await;
    let args = json!({"name": "web", "state": "started", "enabled": true});

    let r = f
        .host
        .run("systemd", args.clone(), true, false)
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert!(
        !f.has("active") && !f.has("enabled"),
        "check mode changes nothing"
    );
    assert_eq!(f.calls(), ["show web", "is-enabled web -l"]);

    let r = f.host.ok("systemd", args.clone()).await;
    assert_eq!(r["changed"], true);
    assert_eq!(
        (r["name"].clone(), r["state"].clone(), r["enabled"].clone()),
        (json!("web"), json!("started"), json!(true))
    );
    assert_eq!(
        r["status"]["ActiveState"], "inactive",
        "status is read before the change, as Ansible"
    );
    assert_eq!(
        r["status"]["ExecStart"],
        "{ path=/bin/true ; argv[]=/bin/true ;\n ignore_errors=no }"
    );
    assert!(f.has("active") && f.has("enabled"));
    assert_eq!(
        f.calls(),
        ["show web", "is-enabled web -l", "enable web", "start web"]
    );

    let r = f.host.ok("systemd_service", args).await;
    assert_eq!(r["changed"], false, "second run changes nothing");
    assert_eq!(r["status"]["ActiveState"], "active");
    assert_eq!(f.calls(), ["show web", "is-enabled web -l"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn systemd_restart_stop_mask_and_reload() {
    let f = Fixture::new().await;
    let r = f
        .host
        .ok(
            "systemd",
            json!({"name": "web", "state": "restarted", "daemon_reload": true}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["state"].clone()),
        (json!(true), json!("started"))
    );
    assert_eq!(
        f.calls(),
        [
            "daemon-reload",
            "show web",
            "is-enabled web -l",
            "start web"
        ],
        "restarting a stopped unit starts it"
    );
    let r = f
        .host
        .ok("systemd", json!({"name": "web", "state": "reloaded"}))
        .await;
    assert_eq!(r["changed"], true);
    assert_eq!(f.calls().last().map(String::as_str), Some("reload web"));
    let r = f
        .host
        .ok("systemd", json!({"name": "web", "state": "stopped"}))
        .await;
    assert_eq!(
        (r["changed"].clone(), r["state"].clone()),
        (json!(true), json!("stopped"))
    );
    assert!(!f.has("active"));
    f.calls();
    let r = f
        .host
        .ok(
            "systemd",
            json!({"unit": "web.service", "masked": true, "scope": "system"}),
        )
        .await;
    assert_eq!(r["changed"], true);
    assert_eq!(
        f.calls().last().map(String::as_str),
        Some("mask web.service")
    );
    let r = f
        .host
        .ok("systemd", json!({"name": "web", "masked": true}))
        .await;
    assert_eq!(r["changed"], false);
    let r = f
        .host
        .ok("systemd", json!({"name": "web", "state": "started"}))
        .await;
    assert_eq!(r["failed"], true);
    assert!(
        r["msg"].as_str().unwrap().starts_with(
            "Unable to start service web: Failed to start web.service: Unit web.service is masked."
        ),
        "{r:?}"
    );
    f.host
        .ok("systemd", json!({"name": "web", "masked": false}))
        .await;
    assert!(!f.has("masked"));
}

#[tokio::test(flavor = "multi_thread")]
async fn systemd_reports_missing_units_and_bad_options() {
    let f = Fixture::new().await;
    let r = f
        .host
        .ok(
            "systemd",
            json!({"name": "nope; touch /tmp/x", "state": "started"}),
        )
        .await;
    assert_eq!(r["failed"], true);
    assert_eq!(
        r["msg"],
        "Could not find the requested service nope; touch /tmp/x: host"
    );
    assert!(
        f.calls().contains(&"show nope; touch /tmp/x".to_string()),
        "the name reaches systemctl as one word"
    );
    let e = f
        .host
        .run(
            "systemd",
            json!({"name": "web", "state": "bogus"}),
            false,
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "value of state must be one of: reloaded, restarted, started, stopped, got: bogus"
    );
    let e = f
        .host
        .run(
            "systemd",
            json!({"name": "web", "pattern": "x"}),
            false,
            false,
        )
        .await
        .unwrap_err();
    assert!(e
        .to_string()
        .starts_with("Unsupported parameters for (ansible.legacy.systemd) module: pattern."));
}

#[tokio::test(flavor = "multi_thread")]
async fn service_uses_systemd_or_the_generic_service_command() {
    let f = Fixture::new().await;
    let r = f
        .host
        .ok(
            "service",
            json!({"name": "web", "state": "started", "use": "systemd"}),
        )
        .await;
    assert_eq!(r["changed"], true);
    assert_eq!(
        r["status"]["LoadState"], "loaded",
        "the systemd path returns systemd's fields"
    );
    assert!(f.has("active"));
    f.calls();
    // This machine's PID 1 is not systemd, so `auto` takes the generic path.
    let args = json!({"name": "app", "state": "started"});
    let r = f
        .host
        .run("service", args.clone(), true, false)
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(f.calls(), ["service app status"]);
    let r = f.host.ok("service", args.clone()).await;
    assert_eq!(
        (r["changed"].clone(), r["name"].clone(), r["state"].clone()),
        (json!(true), json!("app"), json!("started"))
    );
    assert_eq!(f.calls(), ["service app status", "service app start"]);
    let r = f.host.ok("service", args).await;
    assert_eq!(r["changed"], false);
    let r = f
        .host
        .ok("service", json!({"name": "app", "state": "restarted"}))
        .await;
    assert_eq!(r["changed"], true, "restarted always restarts");
    let r = f
        .host
        .ok("service", json!({"name": "app", "state": "stopped"}))
        .await;
    assert_eq!(r["changed"], true);
    assert!(!f.dir.path().join("running-app").exists());
}
