//! The file modules against a real sshd host: states, attributes, check and diff
//! modes, idempotence, awkward names and contents, and round trips per task.

use crate::common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use common::TestHost;
use drover_connection::{Become, ConnError, Connection, ExecOutput};
use serde_json::json;

/// Counts the commands a module runs (one exec = one round trip).
struct Counting {
    inner: Arc<dyn Connection>,
    execs: AtomicUsize,
}

#[async_trait]
impl Connection for Counting {
    async fn exec(
        &self,
        cmd: &str,
        stdin: Option<&[u8]>,
        b: Option<&Become>,
    ) -> Result<ExecOutput, ConnError> {
        self.execs.fetch_add(1, Ordering::SeqCst);
        self.inner.exec(cmd, stdin, b).await
    }
    async fn close(&self) {}
}

async fn counted_host() -> (TestHost, Arc<Counting>) {
    let mut host = TestHost::ssh().await;
    let c = Arc::new(Counting {
        inner: host.conn.clone(),
        execs: AtomicUsize::new(0),
    });
    host.conn = c.clone();
    (host, c)
}

fn trips(c: &Counting) -> usize {
    c.execs.swap(0, Ordering::SeqCst)
}

/// A fresh directory on the host owned by the login user, with an awkward name.
async fn workdir(host: &TestHost) -> String {
    let d = host.sh("mktemp -d /tmp/drover-files.XXXXXX").await;
    let d = format!("{}/it's a \"dir\" $x `y`", d.trim());
    host.sh(&format!("mkdir {}", drover_connection::quote(&d)))
        .await;
    d
}

fn sha1(data: &[u8]) -> String {
    let out = std::process::Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&out.stdout)[..40].to_string()
}

fn mode_of(p: &str) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

#[tokio::test(flavor = "multi_thread")]
async fn file_states_modes_check_and_idempotence() {
    let (host, c) = counted_host().await;
    let w = workdir(&host).await;
    let d = format!("{w}/a/b c");
    // Check mode: reports the change, creates nothing.
    let r = host
        .run(
            "file",
            json!({"path": d, "state": "directory", "mode": "0750"}),
            true,
            true,
        )
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(r["diff"]["before"]["state"], "absent");
    assert!(!std::path::Path::new(&d).exists());
    trips(&c);
    let r = host
        .ok(
            "file",
            json!({"path": d, "state": "directory", "mode": "0750"}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["state"].clone(), r["mode"].clone()),
        (json!(true), json!("directory"), json!("0750"))
    );
    assert_eq!(mode_of(&d), 0o750);
    assert_eq!(
        mode_of(&format!("{w}/a")),
        0o750,
        "created parents get the mode too"
    );
    assert_eq!(trips(&c), 2);
    let r = host
        .ok(
            "file",
            json!({"path": d, "state": "directory", "mode": "0750"}),
        )
        .await;
    assert_eq!(r["changed"], false);
    assert_eq!(trips(&c), 1, "an unchanged file task is one round trip");
    // Symbolic modes.
    let r = host
        .run(
            "file",
            json!({"path": d, "mode": "u-w,g+w,o=rX"}),
            false,
            true,
        )
        .await
        .unwrap();
    assert_eq!(r["mode"], "0575");
    assert_eq!(r["diff"]["before"]["mode"], "0750");
    assert_eq!(r["diff"]["after"]["mode"], "0575");
    host.ok("file", json!({"path": d, "mode": "0755"})).await;

    // touch, file, link, hard, absent with a newline and a backtick in the name.
    let f = format!("{w}/new\nline `f` $HOME");
    let r = host
        .ok(
            "file",
            json!({"path": f, "state": "touch", "mode": "u=rw,go=r"}),
        )
        .await;
    assert_eq!(
        (r["dest"].clone(), r["state"].clone(), r["mode"].clone()),
        (json!(f), json!("file"), json!("0644"))
    );
    assert!(std::path::Path::new(&f).is_file());
    let r = host
        .ok("file", json!({"path": f, "state": "file", "mode": "0600"}))
        .await;
    assert_eq!(
        (r["changed"].clone(), r["mode"].clone()),
        (json!(true), json!("0600"))
    );
    let r = host
        .ok("file", json!({"path": f, "state": "file", "mode": "0600"}))
        .await;
    assert_eq!(r["changed"], false);
    let missing = host
        .run(
            "file",
            json!({"path": format!("{w}/nope"), "state": "file"}),
            false,
            false,
        )
        .await;
    let missing = missing.unwrap();
    assert!(missing["msg"]
        .as_str()
        .unwrap()
        .contains("is absent, cannot continue"));
    assert_eq!(
        (missing["failed"].clone(), missing["state"].clone()),
        (json!(true), json!("absent"))
    );

    let l = format!("{w}/link");
    let r = host
        .ok(
            "file",
            json!({"path": l, "state": "link", "src": "new\nline `f` $HOME"}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["state"].clone()),
        (json!(true), json!("link"))
    );
    assert_eq!(
        std::fs::read_link(&l).unwrap().to_str().unwrap(),
        "new\nline `f` $HOME"
    );
    let r = host
        .ok(
            "file",
            json!({"path": l, "state": "link", "src": "new\nline `f` $HOME"}),
        )
        .await;
    assert_eq!(r["changed"], false);
    let r = host
        .run(
            "file",
            json!({"path": l, "state": "link", "src": "/no/such/src"}),
            false,
            false,
        )
        .await
        .unwrap();
    assert!(r["msg"]
        .as_str()
        .unwrap()
        .contains("src file does not exist"));
    let r = host
        .ok(
            "file",
            json!({"path": l, "state": "link", "src": "/no/such/src", "force": true}),
        )
        .await;
    assert_eq!(r["changed"], true);

    let h = format!("{w}/hard");
    let r = host
        .ok("file", json!({"path": h, "state": "hard", "src": f}))
        .await;
    assert_eq!(
        (r["changed"].clone(), r["state"].clone()),
        (json!(true), json!("hard"))
    );
    assert_eq!(
        std::fs::metadata(&h).unwrap().ino(),
        std::fs::metadata(&f).unwrap().ino()
    );
    let r = host
        .ok("file", json!({"path": h, "state": "hard", "src": f}))
        .await;
    assert_eq!(r["changed"], false);

    let r = host
        .run("file", json!({"path": w, "state": "absent"}), false, true)
        .await
        .unwrap();
    assert_eq!(
        (r["changed"].clone(), r["state"].clone()),
        (json!(true), json!("absent"))
    );
    assert!(
        r["diff"]["before"]["path_content"]["files"]
            .as_array()
            .unwrap()
            .len()
            >= 3
    );
    assert!(!std::path::Path::new(&w).exists());
    let r = host.ok("file", json!({"path": w, "state": "absent"})).await;
    assert_eq!(r["changed"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_content_checksums_round_trips_backup_validate() {
    let (host, c) = counted_host().await;
    let w = workdir(&host).await;
    let dest = format!("{w}/conf $x.txt");
    let args = json!({"content": "hello\n", "dest": dest, "mode": "0640"});
    let r = host.run("copy", args.clone(), true, true).await.unwrap();
    assert_eq!(r["changed"], true);
    assert_eq!(r["diff"][0]["after"], "hello\n");
    assert!(
        !std::path::Path::new(&dest).exists(),
        "check mode writes nothing"
    );
    trips(&c);
    let r = host.ok("copy", args.clone()).await;
    assert_eq!(trips(&c), 2, "a changed copy is two round trips");
    assert_eq!(r["checksum"], sha1(b"hello\n"));
    assert_eq!(r["md5sum"], "b1946ac92492d2347c6235b4d2611184");
    assert_eq!(
        (r["size"].clone(), r["mode"].clone(), r["dest"].clone()),
        (json!(6), json!("0640"), json!(dest))
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"hello\n");
    assert_eq!(mode_of(&dest), 0o640);
    let r = host.ok("copy", args.clone()).await;
    assert_eq!(trips(&c), 1, "an unchanged copy is one round trip");
    assert_eq!(
        (r["changed"].clone(), r["checksum"].clone()),
        (json!(false), json!(sha1(b"hello\n")))
    );
    // Only the mode differs: no content is sent, the mode is fixed.
    let r = host
        .ok(
            "copy",
            json!({"content": "hello\n", "dest": dest, "mode": "0600"}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["mode"].clone()),
        (json!(true), json!("0600"))
    );
    // Diff of a change, and a backup of the old file.
    let r = host
        .run(
            "copy",
            json!({"content": "hello\nworld\n", "dest": dest, "backup": true}),
            false,
            true,
        )
        .await
        .unwrap();
    assert_eq!(r["diff"][0]["before"], "hello\n");
    assert_eq!(r["diff"][0]["before_header"], dest);
    let backup = r["backup_file"].as_str().unwrap();
    assert_eq!(std::fs::read(backup).unwrap(), b"hello\n");
    assert_eq!(mode_of(&dest), 0o600, "an existing file keeps its mode");
    // validate: a failing check leaves the file alone.
    let r = host
        .ok(
            "copy",
            json!({"content": "bad\n", "dest": dest, "validate": "grep -q good %s"}),
        )
        .await;
    assert_eq!(
        (r["failed"].clone(), r["msg"].clone()),
        (json!(true), json!("failed to validate"))
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"hello\nworld\n");
    let r = host
        .ok(
            "copy",
            json!({"content": "good\n", "dest": dest, "validate": "grep -q good %s"}),
        )
        .await;
    assert_eq!(r["changed"], true);
    // validate runs without a shell, as in Ansible: `$HOME` stays a literal word
    // (a shell would expand it and the check would fail).
    let r = host
        .ok(
            "copy",
            json!({"content": "good $HOME\n", "dest": dest, "validate": "grep -qF $HOME %s"}),
        )
        .await;
    assert_eq!(r["changed"], true, "{r:?}");
    let r = host
        .ok("copy", json!({"content": "good\n", "dest": dest}))
        .await;
    assert_eq!(r["changed"], true);
    // force=false never replaces.
    let r = host
        .ok(
            "copy",
            json!({"content": "other\n", "dest": dest, "force": false}),
        )
        .await;
    assert_eq!(r["changed"], false);
    assert_eq!(std::fs::read(&dest).unwrap(), b"good\n");
    // A directory dest with content is refused; parent must exist.
    let r = host
        .run("copy", json!({"content": "x", "dest": w}), false, false)
        .await;
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("can not use content with a dir as dest"));
    let r = host
        .run(
            "copy",
            json!({"content": "x", "dest": format!("{w}/no/such")}),
            false,
            false,
        )
        .await;
    assert!(r.unwrap_err().to_string().contains("Destination directory"));
    // A mapping as content is written as JSON.
    let j = format!("{w}/data.json");
    host.ok("copy", json!({"content": {"a": [1, "é"]}, "dest": j}))
        .await;
    assert_eq!(
        std::fs::read_to_string(&j).unwrap(),
        "{\"a\": [1, \"\\u00e9\"]}"
    );
    host.sh(&format!("rm -rf {}", drover_connection::quote(&w)))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_files_trees_and_remote_src() {
    let mut host = TestHost::ssh().await;
    let local = drover_testsupport::TempDir::new("drover-copy-src");
    host.playbook_dir = local.path().to_path_buf();
    let files = local.path().join("files");
    std::fs::create_dir_all(files.join("tree/sub")).unwrap();
    let binary: Vec<u8> = (0..=255u8).chain([0xff, 0xfe, 0, b'\n']).collect();
    std::fs::write(files.join("bin.dat"), &binary).unwrap();
    std::fs::write(files.join("tree/a.txt"), "a\n").unwrap();
    std::fs::write(files.join("tree/sub/b.txt"), "b\n").unwrap();
    std::fs::set_permissions(
        files.join("tree/a.txt"),
        std::fs::Permissions::from_mode(0o751),
    )
    .unwrap();
    let w = workdir(&host).await;

    // Non-UTF-8 bytes arrive intact; a directory dest means dest/basename.
    let r = host
        .ok("copy", json!({"src": "bin.dat", "dest": format!("{w}/")}))
        .await;
    assert_eq!(r["checksum"], sha1(&binary));
    assert_eq!(std::fs::read(format!("{w}/bin.dat")).unwrap(), binary);
    let r = host.ok("copy", json!({"src": "bin.dat", "dest": w})).await;
    assert_eq!(r["changed"], false, "{r:?}");

    // Trailing slash: the contents; none: the directory itself.
    let r = host
        .ok(
            "copy",
            json!({"src": "tree/", "dest": format!("{w}/t1"), "mode": "preserve"}),
        )
        .await;
    assert_eq!(r["changed"], true);
    assert_eq!(std::fs::read(format!("{w}/t1/sub/b.txt")).unwrap(), b"b\n");
    assert_eq!(mode_of(&format!("{w}/t1/a.txt")), 0o751);
    let r = host
        .ok(
            "copy",
            json!({"src": "tree/", "dest": format!("{w}/t1"), "mode": "preserve"}),
        )
        .await;
    assert_eq!(r["changed"], false);
    let r = host
        .ok("copy", json!({"src": "tree", "dest": format!("{w}/t2")}))
        .await;
    assert_eq!(r["changed"], true);
    assert_eq!(std::fs::read(format!("{w}/t2/tree/a.txt")).unwrap(), b"a\n");
    std::fs::write(files.join("tree/a.txt"), "changed\n").unwrap();
    let r = host
        .ok("copy", json!({"src": "tree", "dest": format!("{w}/t2")}))
        .await;
    assert_eq!(r["changed"], true);
    assert_eq!(
        std::fs::read(format!("{w}/t2/tree/a.txt")).unwrap(),
        b"changed\n"
    );

    // remote_src copies on the host.
    let r = host
        .ok("copy", json!({"src": format!("{w}/bin.dat"), "dest": format!("{w}/copy.dat"), "remote_src": true}))
        .await;
    assert_eq!(
        (r["changed"].clone(), r["checksum"].clone()),
        (json!(true), json!(sha1(&binary)))
    );
    assert_eq!(std::fs::read(format!("{w}/copy.dat")).unwrap(), binary);
    let r = host
        .ok("copy", json!({"src": format!("{w}/bin.dat"), "dest": format!("{w}/copy.dat"), "remote_src": true}))
        .await;
    assert_eq!(r["changed"], false);
    host.sh(&format!("rm -rf {}", drover_connection::quote(&w)))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jinja2_header_line_overrides_the_template_options() {
    let host = {
        let mut h = TestHost::ssh().await;
        h.vars.insert("items".into(), json!(["a", "b"]));
        h
    };
    let local = drover_testsupport::TempDir::new("drover-tpl-header");
    let mut host = host;
    host.playbook_dir = local.path().to_path_buf();
    std::fs::create_dir_all(local.path().join("templates")).unwrap();
    std::fs::write(
        local.path().join("templates/lines.j2"),
        "#jinja2: line_statement_prefix: '%', trim_blocks: False, variable_start_string: '[[', variable_end_string: ']]'\n% for i in items\n- [[ i ]] {{ kept }}\n% endfor\n",
    )
    .unwrap();
    std::fs::write(
        local.path().join("templates/bad.j2"),
        "#jinja2: lstrip_blocks=True\nx\n",
    )
    .unwrap();
    let w = workdir(&host).await;
    let dest = format!("{w}/lines.txt");
    let r = host
        .run(
            "template",
            json!({"src": "lines.j2", "dest": dest}),
            false,
            true,
        )
        .await
        .unwrap();
    assert_eq!(r["changed"], true, "{r:?}");
    assert_eq!(
        std::fs::read_to_string(&dest).unwrap(),
        "- a {{ kept }}\n- b {{ kept }}\n"
    );
    let err = host
        .run(
            "template",
            json!({"src": "bad.j2", "dest": format!("{w}/bad.txt")}),
            false,
            true,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "Missing key-value separator `:` in '#jinja2:' override pair ' lstrip_blocks=True'."
        ),
        "{err}"
    );
    host.sh(&format!("rm -rf {}", drover_connection::quote(&w)))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn template_renders_on_the_controller() {
    let mut host = TestHost::ssh().await;
    let local = drover_testsupport::TempDir::new("drover-tpl");
    host.playbook_dir = local.path().to_path_buf();
    std::fs::create_dir_all(local.path().join("templates")).unwrap();
    std::fs::write(
        local.path().join("templates/app.j2"),
        "\n# {{ ansible_managed }}\n{% for i in items %}\n  item={{ i }}\n{% endfor %}\npath={{ template_path }}\n",
    )
    .unwrap();
    host.vars.insert("items".into(), json!(["a", "b $c"]));
    let w = workdir(&host).await;
    let dest = format!("{w}/app.conf");
    let args = json!({"src": "app.j2", "dest": dest, "mode": "0644"});
    let r = host
        .run("template", args.clone(), false, true)
        .await
        .unwrap();
    assert_eq!(r["changed"], true);
    let want = "\n# Ansible managed\n  item=a\n  item=b $c\npath=app.j2\n";
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), want);
    assert_eq!(r["diff"][0]["after"], want);
    assert_eq!(r["checksum"], sha1(want.as_bytes()));
    let r = host.ok("template", args.clone()).await;
    assert_eq!(r["changed"], false);
    // The user's ansible_managed wins; CRLF newlines on request.
    host.vars.insert("ansible_managed".into(), json!("mine"));
    let r = host
        .ok(
            "template",
            json!({"src": "app.j2", "dest": dest, "newline_sequence": "\\r\\n"}),
        )
        .await;
    assert_eq!(r["changed"], true);
    assert!(std::fs::read_to_string(&dest)
        .unwrap()
        .starts_with("\r\n# mine\r\n"));
    host.sh(&format!("rm -rf {}", drover_connection::quote(&w)))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stat_slurp_fetch_tempfile_find_script() {
    let (mut host, c) = counted_host().await;
    let local = drover_testsupport::TempDir::new("drover-misc");
    host.playbook_dir = local.path().to_path_buf();
    let w = workdir(&host).await;
    let f = format!("{w}/data 'x'.bin");
    let bytes = b"\x00\xff\xfebinary\n".to_vec();
    host.ok("copy", json!({"content": "", "dest": f})).await;
    std::fs::write(&f, &bytes).unwrap();
    host.ok(
        "file",
        json!({"path": format!("{w}/ln"), "state": "link", "src": f}),
    )
    .await;
    trips(&c);

    let r = host
        .ok("stat", json!({"path": f, "checksum_algorithm": "sha256"}))
        .await;
    assert_eq!(trips(&c), 1, "stat is one round trip");
    let st = &r["stat"];
    let meta = std::fs::metadata(&f).unwrap();
    assert_eq!(st["exists"], true);
    assert_eq!(st["isreg"], true);
    assert_eq!(st["size"], bytes.len());
    assert_eq!(st["inode"], meta.ino());
    assert_eq!(st["uid"], meta.uid());
    assert_eq!(st["nlink"], 1);
    assert_eq!(st["pw_name"], host.server.as_ref().unwrap().user);
    assert!((st["mtime"].as_f64().unwrap() - meta.mtime() as f64).abs() < 1.0);
    assert_eq!(st["checksum"].as_str().unwrap().len(), 64);
    let r = host.ok("stat", json!({"path": format!("{w}/ln")})).await;
    assert_eq!(
        (r["stat"]["islnk"].clone(), r["stat"]["lnk_target"].clone()),
        (json!(true), json!(f))
    );
    assert!(r["stat"].get("checksum").is_none());
    let r = host
        .ok("stat", json!({"path": format!("{w}/ln"), "follow": true}))
        .await;
    assert_eq!(r["stat"]["isreg"], true);
    let r = host.ok("stat", json!({"path": format!("{w}/none")})).await;
    assert_eq!(r["stat"], json!({"exists": false}));

    let r = host.ok("slurp", json!({"src": f})).await;
    use base64::Engine;
    assert_eq!(
        r["content"],
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    );
    let r = host.run("slurp", json!({"src": w}), false, false).await;
    assert!(r
        .unwrap_err()
        .to_string()
        .starts_with("Source is a directory"));

    let r = host.ok("fetch", json!({"src": f, "dest": "fetched"})).await;
    let got = local.path().join(format!("fetched/testhost{f}"));
    assert_eq!(r["changed"], true);
    assert_eq!(std::fs::read(&got).unwrap(), bytes);
    trips(&c);
    let r = host.ok("fetch", json!({"src": f, "dest": "fetched"})).await;
    assert_eq!((r["changed"].clone(), trips(&c)), (json!(false), 1));
    let r = host
        .ok(
            "fetch",
            json!({"src": format!("{w}/none"), "dest": "fetched", "fail_on_missing": false}),
        )
        .await;
    assert_eq!(
        r["msg"],
        "the remote file does not exist, not transferring, ignored"
    );
    assert!(r.get("failed").is_none());

    let r = host
        .ok(
            "tempfile",
            json!({"path": w, "suffix": ".tmp", "prefix": "p-"}),
        )
        .await;
    let p = r["path"].as_str().unwrap();
    assert!(
        p.starts_with(&format!("{w}/p-")) && p.ends_with(".tmp"),
        "{p}"
    );
    assert_eq!(
        (r["state"].clone(), r["mode"].clone()),
        (json!("file"), json!("0600"))
    );
    let r = host
        .ok("tempfile", json!({"path": w, "state": "directory"}))
        .await;
    assert_eq!(r["state"], "directory");

    std::fs::create_dir_all(format!("{w}/sub/.hid")).unwrap();
    std::fs::write(format!("{w}/sub/a.log"), "needle here\n").unwrap();
    std::fs::write(format!("{w}/sub/.hid/b.log"), "nothing\n").unwrap();
    std::fs::write(format!("{w}/sub/.c.log"), "needle\n").unwrap();
    let r = host
        .ok(
            "find",
            json!({"paths": w, "patterns": "*.log", "recurse": true}),
        )
        .await;
    let names: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![format!("{w}/sub/a.log"), format!("{w}/sub/.hid/b.log")]
    );
    let r = host.ok("find", json!({"paths": w, "patterns": "*.log", "recurse": true, "hidden": true, "contains": "need.e"})).await;
    assert_eq!(r["matched"], 2);
    // As Python's re.match: at the start of a line; read_whole_file searches anywhere.
    let r = host.ok("find", json!({"paths": w, "patterns": "*.log", "recurse": true, "hidden": true, "contains": "here"})).await;
    assert_eq!(r["matched"], 0);
    let r = host.ok("find", json!({"paths": w, "patterns": "*.log", "recurse": true, "hidden": true, "contains": "here", "read_whole_file": true})).await;
    assert_eq!(r["matched"], 1);
    let r = host
        .ok(
            "find",
            json!({"paths": w, "patterns": ["^p-.*\\.tmp$"], "use_regex": true}),
        )
        .await;
    assert_eq!(r["matched"], 1);
    let r = host
        .ok(
            "find",
            json!({"paths": w, "file_type": "directory", "size": "-1"}),
        )
        .await;
    assert_eq!(r["matched"], 2, "{r:?}");

    std::fs::create_dir_all(local.path().join("files")).unwrap();
    std::fs::write(
        local.path().join("files/hello.sh"),
        "#!/bin/sh\necho \"args: $1|$2\"; pwd; exit ${3:-0}\n",
    )
    .unwrap();
    let r = host
        .ok(
            "script",
            json!({"_raw_params": "hello.sh 'a b' \"$c\"", "chdir": w}),
        )
        .await;
    assert_eq!(r["stdout"], format!("args: a b|$c\n{w}\n"));
    assert_eq!(r["rc"], 0);
    let r = host
        .ok("script", json!({"_raw_params": "hello.sh x y 3"}))
        .await;
    assert_eq!(
        (r["rc"].clone(), r["failed"].clone()),
        (json!(3), json!(true))
    );
    let r = host
        .ok("script", json!({"_raw_params": "hello.sh", "creates": f}))
        .await;
    assert_eq!(r["changed"], false);
    host.sh(&format!("rm -rf {}", drover_connection::quote(&w)))
        .await;
}

/// A symlink made with `owner` and `follow: false` gets that owner at once, so a second
/// run has nothing to change, even when the link dangles (Ansible's lchown).
#[tokio::test(flavor = "multi_thread")]
async fn new_dangling_link_gets_its_owner_at_once() {
    if std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout != b"0\n")
        .unwrap_or(true)
    {
        eprintln!("skipped: chown to another user needs root");
        return;
    }
    let host = TestHost::local();
    let dir = host.sh("mktemp -d /tmp/drover-link-owner.XXXXXX").await;
    let link = format!("{}/soft", dir.trim());
    let args = json!({"path": link, "src": "/nonexistent/x", "state": "link",
                      "owner": "nobody", "mode": "0640", "force": true, "follow": false});
    assert_eq!(host.ok("file", args.clone()).await["changed"], true);
    assert_eq!(host.ok("file", args).await["changed"], false);
    let nobody = host.sh("id -u nobody").await;
    assert_eq!(
        std::fs::symlink_metadata(&link).unwrap().uid().to_string(),
        nobody.trim()
    );
    host.sh(&format!("rm -rf {}", dir.trim())).await;
}

/// A directory find walks into but cannot list lands in `skipped_paths` with Python's
/// error text, without a warning: the rest of the tree is still searched (as
/// ansible-core's find does with os.walk's errors). The login user is never root.
#[tokio::test(flavor = "multi_thread")]
async fn find_reports_directories_it_cannot_list() {
    let host = TestHost::ssh().await;
    let w = workdir(&host).await;
    let q = |p: &str| drover_connection::quote(&format!("{w}/{p}"));
    host.sh(&format!(
        "mkdir -p {} {} {} && touch {} {} && chmod 000 {} {}",
        q("top/locked/deep"),
        q("top/open"),
        q("shut"),
        q("top/f"),
        q("top/open/g"),
        q("top/locked"),
        q("shut")
    ))
    .await;
    let top = format!("{w}/top/");
    let r = host
        .ok(
            "find",
            json!({"paths": [top, format!("{w}/shut")], "recurse": true, "file_type": "any"}),
        )
        .await;
    // The work directory's name holds a single and a double quote: Python's repr
    // keeps single quotes and escapes the one inside.
    let repr = |p: &str| format!("'{}'", p.replace('\'', "\\'"));
    let locked = format!("{w}/top/locked");
    let shut = format!("{w}/shut");
    assert_eq!(
        r["skipped_paths"],
        json!({
            locked.clone(): format!("[Errno 13] Permission denied: {}", repr(&locked)),
            shut.clone(): format!("[Errno 13] Permission denied: {}", repr(&shut)),
        }),
        "{r:?}"
    );
    assert_eq!(r["msg"], "All paths examined");
    assert!(r.get("warnings").is_none(), "{r:?}");
    assert_eq!(r["matched"], 4, "{r:?}");
    assert_eq!(r["examined"], 4, "{r:?}");
    // Without recurse only the paths themselves are listed.
    let r = host
        .ok("find", json!({"paths": top, "file_type": "any"}))
        .await;
    assert_eq!(r["skipped_paths"], json!({}), "{r:?}");
    host.sh(&format!(
        "chmod 700 {} {}; rm -rf {}",
        q("top/locked"),
        q("shut"),
        drover_connection::quote(&w)
    ))
    .await;
}
