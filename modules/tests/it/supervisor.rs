//! `supervisorctl` against a real supervisord that the test starts with its own config,
//! socket and logs in a temp dir; the module runs over sshd as the unprivileged test
//! user, authenticating with a username and password.

use crate::common;
use crate::sysfix;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::TestHost;
use drover_testsupport::TempDir;
use serde_json::json;
use sysfix::open_dir;

const PASSWORD: &str = "s3cret pw$";

struct Supervisord {
    child: Child,
    dir: TempDir,
}

impl Drop for Supervisord {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Option<Supervisord> {
    let bin = ["/usr/bin/supervisord", "/usr/local/bin/supervisord"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let dir = TempDir::new("drover-supervisor");
    open_dir(dir.path());
    let d = dir.path().display();
    std::fs::create_dir_all(dir.path().join("conf.d")).unwrap();
    let conf = format!(
        "[unix_http_server]\nfile={d}/s.sock\nchmod=0777\nusername=admin\npassword={PASSWORD}\n\n\
         [supervisord]\nlogfile={d}/d.log\npidfile={d}/d.pid\nchildlogdir={d}\nnodaemon=true\n\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n\
         [program:sleeper]\ncommand=sleep 1000\nautostart=false\nstartsecs=0\n\n\
         [include]\nfiles = {d}/conf.d/*.conf\n"
    );
    std::fs::write(dir.path().join("supervisord.conf"), conf).unwrap();
    let child = Command::new(bin)
        .arg("-c")
        .arg(dir.path().join("supervisord.conf"))
        .spawn()
        .ok()?;
    let sock = dir.path().join("s.sock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Supervisord { child, dir })
}

#[tokio::test(flavor = "multi_thread")]
async fn supervisorctl_drives_a_real_supervisord() {
    let Some(sup) = start() else {
        eprintln!("skipped: supervisord is not installed (apt-get install supervisor)");
        return;
    };
    let host = TestHost::ssh().await;
    let config = sup
        .dir
        .path()
        .join("supervisord.conf")
        .display()
        .to_string();
    let args = |name: &str, state: &str| json!({"name": name, "state": state, "config": config, "username": "admin", "password": PASSWORD});

    let r = host
        .run("supervisorctl", args("sleeper", "started"), true, false)
        .await
        .unwrap();
    assert_eq!(r["changed"], true, "{r:?}");
    let r = host.ok("supervisorctl", args("sleeper", "stopped")).await;
    assert_eq!(r["changed"], false, "check mode started nothing: {r:?}");

    let r = host.ok("supervisorctl", args("sleeper", "started")).await;
    assert_eq!(
        (r["changed"].clone(), r["affected"].clone()),
        (json!(true), json!(["sleeper"])),
        "{r:?}"
    );
    let r = host.ok("supervisorctl", args("sleeper", "started")).await;
    assert_eq!(r["changed"], false);
    let r = host.ok("supervisorctl", args("sleeper", "restarted")).await;
    assert_eq!(r["changed"], true, "{r:?}");
    let r = host.ok("supervisorctl", json!({"name": "sleeper", "state": "signalled", "signal": "CONT", "config": config, "username": "admin", "password": PASSWORD})).await;
    assert_eq!(r["changed"], true, "{r:?}");
    let r = host.ok("supervisorctl", args("sleeper", "stopped")).await;
    assert_eq!(r["changed"], true);
    let r = host.ok("supervisorctl", args("sleeper", "stopped")).await;
    assert_eq!(r["changed"], false);

    // A program added to the config after start: present adds it, absent removes it.
    std::fs::write(
        sup.dir.path().join("conf.d/extra.conf"),
        "[program:extra]\ncommand=sleep 1000\nautostart=false\n",
    )
    .unwrap();
    let r = host.ok("supervisorctl", args("extra", "present")).await;
    assert_eq!(r["changed"], true, "{r:?}");
    let r = host.ok("supervisorctl", args("extra", "present")).await;
    assert_eq!(r["changed"], false);
    let r = host.ok("supervisorctl", args("extra", "absent")).await;
    assert_eq!(r["changed"], true, "{r:?}");

    let r = host.ok("supervisorctl", args("nope", "started")).await;
    assert_eq!(
        (r["failed"].clone(), r["msg"].clone()),
        (json!(true), json!("ERROR (no such process)"))
    );
    let r = host.ok("supervisorctl", json!({"name": "sleeper", "state": "started", "config": config, "username": "admin", "password": "wrong"})).await;
    assert_eq!(r["failed"], true, "a wrong password fails: {r:?}");
    assert_eq!(
        host.sh("ls ${TMPDIR:-/tmp} | grep -c drover-supervisorctl || true")
            .await
            .trim(),
        "0",
        "the credentials file is removed"
    );
}
