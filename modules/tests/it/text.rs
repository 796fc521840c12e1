//! lineinfile, blockinfile and replace against a real sshd host.

use crate::common;

use common::TestHost;
use serde_json::{json, Value};

/// A fresh directory on the host (the test host is this machine).
fn scratch(name: &str) -> String {
    let d = std::env::temp_dir().join(format!(
        "drover-text-{name}-{}-{}",
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

fn write(path: &str, data: &[u8]) {
    std::fs::write(path, data).unwrap();
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn lineinfile_present_absent_check_diff_idempotent() {
    let host = TestHost::ssh().await;
    let dir = scratch("lif");
    let f = format!("{dir}/my conf $x `y`");
    write(&f, b"a=1\r\nkey=\xff\xfeold\nb=2");
    let args = json!({"path": f, "regexp": "^key=", "line": "key=new"});
    // Check mode: reports the change, writes nothing.
    let r = host
        .run("lineinfile", args.clone(), true, true)
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(r["msg"], "line replaced");
    assert_eq!(read(&f), b"a=1\r\nkey=\xff\xfeold\nb=2");
    let d = &r["diff"][0];
    assert!(d["after"].as_str().unwrap().contains("key=new\n"));
    assert_eq!(d["before_header"], format!("{f} (content)"));
    let r = host.ok("lineinfile", args.clone()).await;
    assert_eq!(
        (r["changed"].clone(), r["msg"].clone()),
        (json!(true), json!("line replaced"))
    );
    // CRLF on other lines, the missing final newline: untouched.
    assert_eq!(read(&f), b"a=1\r\nkey=new\nb=2");
    let r = host.ok("lineinfile", args).await;
    assert_eq!(r["changed"], false);
    assert_eq!(r["msg"], "");
    // Appending after a last line without newline adds one first.
    let r = host
        .ok("lineinfile", json!({"path": f, "line": "c='3' \"$HOME\""}))
        .await;
    assert_eq!(r["msg"], "line added");
    assert_eq!(read(&f), b"a=1\r\nkey=new\nb=2\nc='3' \"$HOME\"\n");
    let r = host
        .ok(
            "lineinfile",
            json!({"path": f, "regexp": "^[ab]=", "state": "absent"}),
        )
        .await;
    assert_eq!(
        (r["msg"].clone(), r["found"].clone()),
        (json!("2 line(s) removed"), json!(2))
    );
    assert_eq!(read(&f), b"key=new\nc='3' \"$HOME\"\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn lineinfile_create_mode_backup_validate_errors() {
    let host = TestHost::ssh().await;
    let dir = scratch("lif2");
    let f = format!("{dir}/sub/new.conf");
    let r = host
        .run(
            "lineinfile",
            json!({"path": f, "line": "x", "create": true}),
            true,
            false,
        )
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert!(
        !std::path::Path::new(&f).exists(),
        "check mode creates nothing"
    );
    let r = host
        .ok(
            "lineinfile",
            json!({"path": f, "line": "x", "create": true, "mode": "0600"}),
        )
        .await;
    assert_eq!(
        r["msg"],
        "line added and ownership, perms or SE linux context changed"
    );
    assert_eq!(host.sh(&format!("stat -c %a '{f}'")).await.trim(), "600");
    let r = host
        .ok(
            "lineinfile",
            json!({"path": f, "line": "x", "mode": "0600"}),
        )
        .await;
    assert_eq!(r["changed"], false);
    let r = host
        .ok("lineinfile", json!({"path": f, "line": "x", "mode": "u+x"}))
        .await;
    assert_eq!(
        (r["changed"].clone(), r["msg"].clone()),
        (
            json!(true),
            json!("ownership, perms or SE linux context changed")
        )
    );
    // Backup and mode kept through the rewrite.
    let r = host
        .ok(
            "lineinfile",
            json!({"path": f, "line": "y", "backup": true}),
        )
        .await;
    let backup = r["backup"].as_str().unwrap().to_string();
    assert!(
        backup.starts_with(&format!("{f}.")) && backup.ends_with('~'),
        "{backup}"
    );
    assert_eq!(read(&backup), b"x\n");
    assert_eq!(host.sh(&format!("stat -c %a '{f}'")).await.trim(), "700");
    // validate failing leaves the file alone.
    let r = host
        .run(
            "lineinfile",
            json!({"path": f, "line": "z", "validate": "grep -q nomatch %s"}),
            false,
            false,
        )
        .await;
    assert!(r
        .unwrap_err()
        .to_string()
        .starts_with("failed to validate: rc:1"));
    assert_eq!(read(&f), b"x\ny\n");
    let r = host
        .ok(
            "lineinfile",
            json!({"path": f, "line": "z", "validate": "grep -q z %s"}),
        )
        .await;
    assert_eq!(r["changed"], true);
    let r = host
        .ok(
            "lineinfile",
            json!({"path": format!("{dir}/none"), "line": "x"}),
        )
        .await;
    assert_eq!(
        (r["failed"].clone(), r["rc"].clone(), r["msg"].clone()),
        (
            json!(true),
            json!(257),
            json!(format!("Destination {dir}/none does not exist !"))
        )
    );
    let r = host
        .ok("lineinfile", json!({"path": dir, "line": "x"}))
        .await;
    assert_eq!(r["rc"], 256);
    // Through a symlink: the real file changes, the link stays a link.
    std::os::unix::fs::symlink(&f, format!("{dir}/link")).unwrap();
    host.ok(
        "lineinfile",
        json!({"path": format!("{dir}/link"), "line": "w"}),
    )
    .await;
    assert!(std::fs::symlink_metadata(format!("{dir}/link"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read(&f), b"x\ny\nz\nw\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn blockinfile_insert_update_remove() {
    let host = TestHost::ssh().await;
    let dir = scratch("bif");
    let f = format!("{dir}/hosts");
    write(&f, b"127.0.0.1 localhost\n# anchor\nlast");
    let args = json!({"path": f, "block": "10.0.0.1 a\n10.0.0.2 b $x", "insertafter": "^# anchor"});
    let r = host
        .run("blockinfile", args.clone(), true, true)
        .await
        .unwrap();
    assert_eq!(
        (r["changed"].clone(), r["msg"].clone()),
        (json!(true), json!("Block inserted"))
    );
    assert_eq!(read(&f), b"127.0.0.1 localhost\n# anchor\nlast");
    host.ok("blockinfile", args.clone()).await;
    assert_eq!(
        String::from_utf8(read(&f)).unwrap(),
        "127.0.0.1 localhost\n# anchor\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 a\n10.0.0.2 b $x\n# END ANSIBLE MANAGED BLOCK\nlast"
    );
    assert_eq!(host.ok("blockinfile", args).await["changed"], false);
    let r = host
        .ok(
            "blockinfile",
            json!({"path": f, "block": "", "backup": true}),
        )
        .await;
    assert_eq!(r["msg"], "Block removed");
    assert!(r["backup_file"].is_string());
    assert_eq!(read(&f), b"127.0.0.1 localhost\n# anchor\nlast");
    let g = format!("{dir}/new");
    let r = host
        .ok(
            "blockinfile",
            json!({"path": g, "block": "x", "create": true, "marker": "// {mark}"}),
        )
        .await;
    assert_eq!(r["msg"], "File created");
    assert_eq!(read(&g), b"// BEGIN\nx\n// END\n");
    let r = host
        .ok(
            "blockinfile",
            json!({"path": format!("{dir}/none"), "state": "absent", "block": "x"}),
        )
        .await;
    assert_eq!(r["failed"], true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn replace_backrefs_sections_and_bytes() {
    let host = TestHost::ssh().await;
    let dir = scratch("rep");
    let f = format!("{dir}/c.ini");
    write(&f, b"[a]\nport=1\n[b]\nport=2\r\nraw=\xff\n");
    let args =
        json!({"path": f, "regexp": r"^port=(\d+)", "replace": r"port=\g<1>0", "after": r"\[b\]"});
    let r = host.run("replace", args.clone(), true, true).await.unwrap();
    assert_eq!(
        (r["changed"].clone(), r["msg"].clone()),
        (json!(true), json!("1 replacements made"))
    );
    assert_eq!(r["diff"]["before_header"], Value::String(f.clone()));
    let r = host.ok("replace", args.clone()).await;
    assert_eq!(r["rc"], 0);
    assert_eq!(read(&f), b"[a]\nport=1\n[b]\nport=20\r\nraw=\xff\n");
    let r = host
        .ok(
            "replace",
            json!({"path": f, "regexp": "^port=20", "replace": "port=20"}),
        )
        .await;
    assert_eq!(r["changed"], false);
    let r = host
        .ok(
            "replace",
            json!({"path": f, "regexp": "x", "after": "nomatch"}),
        )
        .await;
    assert_eq!(
        r["msg"],
        "Pattern for before/after params did not match the given file: nomatch(?P<subsection>.*)"
    );
    let r = host
        .run(
            "replace",
            json!({"path": f, "regexp": "(", "replace": ""}),
            false,
            false,
        )
        .await;
    assert!(r.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
