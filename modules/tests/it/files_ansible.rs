//! Differential: the same file tasks through ansible-playbook (the oracle, with
//! /usr/bin/python3 on the test host) and through drover's modules, on twin
//! directories of one sshd host. Changed flags, key return fields and the files
//! left behind must agree. Skipped (with a note) when /tmp/ansible-venv is missing.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::TestHost;
use serde_json::{json, Value};

const ANSIBLE: &str = "/tmp/ansible-venv/bin/ansible-playbook";

/// (module, args with `W` standing for the work directory, fields compared).
fn tasks() -> Vec<(&'static str, Value, &'static [&'static str])> {
    vec![
        (
            "file",
            json!({"path": "W/d", "state": "directory", "mode": "0750"}),
            &["changed", "mode", "state", "path"],
        ),
        (
            "file",
            json!({"path": "W/d", "state": "directory", "mode": "0750"}),
            &["changed", "mode", "state"],
        ),
        (
            "file",
            json!({"path": "W/d", "mode": "u+w,g-x,o+rX"}),
            &["changed", "mode"],
        ),
        (
            "copy",
            json!({"content": "one\ntwo $x\n", "dest": "W/d/c f.txt", "mode": "0640"}),
            &[
                "changed", "checksum", "md5sum", "dest", "mode", "size", "state",
            ],
        ),
        (
            "copy",
            json!({"content": "one\ntwo $x\n", "dest": "W/d/c f.txt", "mode": "0640"}),
            &[
                "changed", "checksum", "dest", "mode", "size", "state", "path",
            ],
        ),
        (
            "copy",
            json!({"content": "one\ntwo $x\n", "dest": "W/d/c f.txt", "mode": "0600"}),
            &["changed", "checksum", "mode"],
        ),
        (
            "copy",
            json!({"content": "new\n", "dest": "W/d/", "force": false}),
            &["failed", "msg"],
        ),
        (
            "copy",
            json!({"content": "new\n", "dest": "W/d/c f.txt", "force": false}),
            &["changed"],
        ),
        (
            "file",
            json!({"path": "W/d/c f.txt", "state": "file", "mode": "g+r"}),
            &["changed", "mode", "state", "size"],
        ),
        (
            "file",
            json!({"path": "W/l", "state": "link", "src": "d/c f.txt"}),
            &["changed", "state", "dest", "src", "mode"],
        ),
        (
            "file",
            json!({"path": "W/l", "state": "link", "src": "d/c f.txt"}),
            &["changed", "state"],
        ),
        (
            "file",
            json!({"path": "W/h", "state": "hard", "src": "W/d/c f.txt"}),
            &["changed", "state", "dest", "src"],
        ),
        (
            "file",
            json!({"path": "W/t", "state": "touch", "mode": "0604"}),
            &["changed", "state", "mode", "dest"],
        ),
        (
            "file",
            json!({"path": "W/missing", "state": "file"}),
            &["failed", "msg"],
        ),
        (
            "template",
            json!({"src": "t.j2", "dest": "W/tpl.txt"}),
            &["changed", "checksum", "size", "mode"],
        ),
        (
            "template",
            json!({"src": "t.j2", "dest": "W/tpl.txt"}),
            &["changed", "checksum"],
        ),
        ("stat", json!({"path": "W/d/c f.txt"}), &["changed", "stat"]),
        ("stat", json!({"path": "W/l"}), &["stat"]),
        ("stat", json!({"path": "W/d", "get_mime": false}), &["stat"]),
        ("stat", json!({"path": "W/nope"}), &["stat"]),
        (
            "slurp",
            json!({"src": "W/d/c f.txt"}),
            &["content", "encoding", "source"],
        ),
        (
            "find",
            json!({"paths": "W", "recurse": true, "patterns": "*.txt"}),
            &["matched", "examined", "files"],
        ),
        (
            "find",
            json!({"paths": "W", "file_type": "any"}),
            &["matched", "examined"],
        ),
        (
            "file",
            json!({"path": "W/d", "state": "absent"}),
            &["changed", "state"],
        ),
        (
            "file",
            json!({"path": "W/d", "state": "absent"}),
            &["changed", "state"],
        ),
    ]
}

fn subst(v: &Value, w: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace('W', w)),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), subst(v, w))).collect())
        }
        other => other.clone(),
    }
}

/// Fields that legitimately differ between two runs (times, inodes, temp names).
fn normalise(v: &Value, w: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(w, "W")),
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "atime"
                            | "mtime"
                            | "ctime"
                            | "inode"
                            | "dev"
                            | "version"
                            | "attributes"
                            | "attr_flags"
                            | "blocks"
                    )
                })
                .map(|(k, v)| (k.clone(), normalise(v, w)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| normalise(x, w)).collect()),
        other => other.clone(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn file_modules_agree_with_ansible_playbook() {
    if !Path::new(ANSIBLE).exists() || !Path::new("/usr/bin/python3").exists() {
        eprintln!("note: skipped, needs {ANSIBLE} and /usr/bin/python3");
        return;
    }
    let mut host = TestHost::ssh().await;
    let server = host.server.as_ref().unwrap();
    let local = drover_testsupport::TempDir::new("drover-files-diff");
    let dir = local.path();
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("templates/t.j2"),
        "# {{ ansible_managed }}\n{% for i in [1, 2] %}\nv={{ i }} {{ who }}\n{% endfor %}\n",
    )
    .unwrap();
    host.playbook_dir = dir.to_path_buf();
    host.vars.insert("who".into(), json!("me"));
    let base = host
        .sh("mktemp -d /tmp/drover-diff.XXXXXX")
        .await
        .trim()
        .to_string();
    let (wa, wd) = (format!("{base}/ansible"), format!("{base}/drover"));
    host.sh(&format!("mkdir {wa} {wd}")).await;

    let mut play =
        String::from("- hosts: all\n  gather_facts: false\n  vars: {who: me}\n  tasks:\n");
    for (i, (m, args, _)) in tasks().iter().enumerate() {
        play.push_str(&format!(
            "    - {m}: {}\n      register: r{i}\n      ignore_errors: true\n",
            subst(args, &wa)
        ));
    }
    let all: Vec<String> = (0..tasks().len()).map(|i| format!("r{i}")).collect();
    play.push_str(&format!(
        "    - copy:\n        content: \"{{{{ [{}] | to_json }}}}\"\n        dest: {base}/results.json\n",
        all.join(", ")
    ));
    std::fs::write(dir.join("play.yml"), play).unwrap();
    std::fs::write(
        dir.join("inv.ini"),
        format!(
            "testhost {} ansible_python_interpreter=/usr/bin/python3\n",
            server.inventory_vars()
        ),
    )
    .unwrap();
    let out = Command::new(ANSIBLE)
        .args(["-i", "inv.ini", "play.yml"])
        .current_dir(dir)
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .unwrap();
    let results = std::fs::read_to_string(format!("{base}/results.json"))
        .unwrap_or_else(|_| panic!("ansible failed: {}", String::from_utf8_lossy(&out.stdout)));
    let theirs: Vec<Value> = serde_json::from_str(&results).unwrap();

    let mut mismatches = Vec::new();
    for (i, (m, args, fields)) in tasks().iter().enumerate() {
        let ours = match host.run(m, subst(args, &wd), false, false).await {
            Ok(r) => Value::Object(r),
            Err(e) => json!({"failed": true, "msg": e.to_string()}),
        };
        let (a, d) = (normalise(&theirs[i], &wa), normalise(&ours, &wd));
        for f in *fields {
            let (x, y) = (
                a.get(*f).cloned().unwrap_or(Value::Null),
                d.get(*f).cloned().unwrap_or(Value::Null),
            );
            if x != y {
                mismatches.push(format!("task {i} {m} {f}:\n  ansible: {x}\n  drover:  {y}"));
            }
        }
    }
    // The files left behind: names, types, modes and contents.
    let listing =
        |w: &str| format!("cd {w} && find . -printf '%p %y %m %s %l\\n' | sort && cat tpl.txt t");
    let (la, ld) = (host.sh(&listing(&wa)).await, host.sh(&listing(&wd)).await);
    host.sh(&format!("rm -rf {base}")).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(la, ld);
}
