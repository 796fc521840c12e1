//! External (non-Python) modules over a real sshd host: an old-style shell script
//! (key=value arguments), a WANT_JSON script, a compiled C program (when a C compiler
//! is present), and modules that fail or print junk.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::TestHost;
use drover_modules::{external, find_external, Args, Ctx, ModuleResult};
use drover_testsupport::TempDir;
use serde_json::{json, Value};

const TOUCH: &str = r#"#!/bin/sh
# Old-style module: key=value words in the file named by $1.
. "$1"
if [ -e "$path" ]; then printf '{"changed": false, "path": "%s"}\n' "$path"; exit 0; fi
if [ "$_ansible_check_mode" = True ]; then echo '{"changed": true, "msg": "would create"}'; exit 0; fi
touch "$path" && printf '{"changed": true, "path": "%s", "msg": "created"}\n' "$path"
"#;

const ECHO_JSON: &str = r#"#!/bin/sh
# WANT_JSON
printf 'some banner\n{"changed": "yes", "raw": %s}\n' "$(cat "$1")"
"#;

const FAIL: &str = "#!/bin/sh\necho '{\"failed\": true, \"msg\": \"boom\", \"rc\": 3}'; exit 1\n";
const JUNK: &str = "#!/bin/sh\necho not json; echo oops >&2; exit 2\n";

const C_MODULE: &str = r#"#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    char buf[65536]; size_t n = 0;
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (f) { n = fread(buf, 1, sizeof buf - 1, f); fclose(f); }
    buf[n] = 0;
    printf("{\"changed\": false, \"args_bytes\": %zu, \"json_args\": %s}\n", n, strstr(buf, "\"who\":\"me\"") ? "true" : "false");
    return 0;
}
"#;

fn write_module(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

async fn run(host: &TestHost, path: PathBuf, args: Value, check: bool) -> ModuleResult {
    let module = external(path);
    let Value::Object(map) = args else {
        panic!("args")
    };
    let ctx = Ctx {
        host: "testhost",
        args: Args::new(map),
        check_mode: check,
        diff: false,
        verbosity: 0,
        target: host,
    };
    module.run(&ctx).await.expect("module runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn external_modules_run_with_ansibles_protocol() {
    let host = TestHost::ssh().await;
    let lib = TempDir::new("drover-library");
    let out = TempDir::new("drover-ext-out");
    std::fs::set_permissions(out.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    write_module(lib.path(), "touchit", TOUCH);
    write_module(lib.path(), "echo_json.sh", ECHO_JSON);
    write_module(lib.path(), "fail", FAIL);
    write_module(lib.path(), "junk", JUNK);

    let dirs = vec![PathBuf::from("/nonexistent"), lib.path().to_path_buf()];
    let touch = find_external("touchit", &dirs).expect("found");
    assert_eq!(
        find_external("echo_json", &dirs),
        Some(lib.path().join("echo_json.sh"))
    );
    assert_eq!(
        find_external("ansible.legacy.fail", &dirs),
        Some(lib.path().join("fail"))
    );
    assert_eq!(find_external("nothere", &dirs), None);
    assert_eq!(external(touch.clone()).name(), "touchit");

    let target = out.path().join("it's a $file");
    let t = target.display().to_string();
    let r = run(&host, touch.clone(), json!({"path": t}), true).await;
    assert_eq!(
        (r["changed"].clone(), r["msg"].clone()),
        (json!(true), json!("would create"))
    );
    assert!(!target.exists(), "check mode reaches the module");
    let r = run(&host, touch.clone(), json!({"path": t}), false).await;
    assert_eq!(
        (r["changed"].clone(), r["msg"].clone()),
        (json!(true), json!("created")),
        "{r:?}"
    );
    assert!(target.exists());
    let r = run(&host, touch.clone(), json!({"path": t}), false).await;
    assert_eq!(r["changed"], false);

    let r = run(
        &host,
        lib.path().join("echo_json.sh"),
        json!({"n": [1, 2], "s": "x y"}),
        false,
    )
    .await;
    assert_eq!(r["changed"], true, "changed: \"yes\" is true");
    assert_eq!(r["raw"]["n"], json!([1, 2]));
    assert_eq!(r["raw"]["_ansible_module_name"], "echo_json");
    assert_eq!(r["raw"]["_ansible_check_mode"], false);

    let r = run(&host, lib.path().join("fail"), json!({}), false).await;
    assert_eq!(
        (r["failed"].clone(), r["msg"].clone(), r["rc"].clone()),
        (json!(true), json!("boom"), json!(3))
    );
    let r = run(&host, lib.path().join("junk"), json!({}), false).await;
    assert_eq!(
        r["msg"],
        "MODULE FAILURE\nSee stdout/stderr for the exact error"
    );
    assert_eq!(
        (
            r["module_stdout"].clone(),
            r["module_stderr"].clone(),
            r["rc"].clone()
        ),
        (json!("not json\n"), json!("oops\n"), json!(2))
    );
    assert_eq!(
        host.sh("ls ${TMPDIR:-/tmp} | grep -c '^drover-module\\.' || true")
            .await
            .trim(),
        "0",
        "temp dirs are removed"
    );

    let src = lib.path().join("m.c");
    std::fs::write(&src, C_MODULE).unwrap();
    let bin = lib.path().join("cmod");
    let built = std::process::Command::new("cc")
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !built {
        eprintln!("no C compiler: the compiled-module case is skipped");
        return;
    }
    let r = run(&host, bin, json!({"who": "me"}), false).await;
    assert_eq!(
        (r["changed"].clone(), r["json_args"].clone()),
        (json!(false), json!(true)),
        "{r:?}"
    );
    assert!(r["args_bytes"].as_u64().unwrap() > 20);
}
