//! Differential: the same lineinfile/blockinfile/replace task on the same file through
//! ansible-core (`ansible localhost -m ...`) and through drover (over SSH); the files
//! after, `changed` and `msg` must be equal. Skipped without /tmp/ansible-venv.

use crate::common;

use common::TestHost;
use serde_json::{json, Value};

const ANSIBLE: &str = "/tmp/ansible-venv/bin/ansible";

/// (module, args, file content before)
fn cases() -> Vec<(&'static str, Value, &'static [u8])> {
    vec![
        ("lineinfile", json!({"line": "x=1"}), b"a\nb"),
        ("lineinfile", json!({"line": "a"}), b"a\r\nb\r\n"),
        (
            "lineinfile",
            json!({"regexp": "^k=", "line": "k=new"}),
            b"k=\xff\xfe\nk=2\nz\n",
        ),
        (
            "lineinfile",
            json!({"regexp": "^k=", "line": "k=new", "firstmatch": true}),
            b"k=1\nk=2\n",
        ),
        (
            "lineinfile",
            json!({"regexp": "^(\\w+)=off$", "line": "\\1=on", "backrefs": true}),
            b"x=off\ny=off\n",
        ),
        (
            "lineinfile",
            json!({"regexp": "^nomatch", "line": "\\1", "backrefs": true}),
            b"x\n",
        ),
        (
            "lineinfile",
            json!({"line": "new", "insertafter": "^b"}),
            b"a\nb\nc\nb\n",
        ),
        (
            "lineinfile",
            json!({"line": "new", "insertafter": "^b", "firstmatch": true}),
            b"a\nb\nc\nb\n",
        ),
        (
            "lineinfile",
            json!({"line": "new", "insertbefore": "^c"}),
            b"a\nb\nc",
        ),
        (
            "lineinfile",
            json!({"line": "new", "insertbefore": "BOF"}),
            b"",
        ),
        (
            "lineinfile",
            json!({"line": "b", "insertafter": "^a"}),
            b"a\nb\n",
        ),
        (
            "lineinfile",
            json!({"search_string": "$x[", "line": "lit"}),
            b"1 $x[ 2\nq\n",
        ),
        (
            "lineinfile",
            json!({"state": "absent", "regexp": "^#"}),
            b"#a\nb\n#c",
        ),
        (
            "lineinfile",
            json!({"state": "absent", "line": "b"}),
            b"b\r\nb\nc\n",
        ),
        (
            "lineinfile",
            json!({"regexp": "", "line": "all"}),
            b"a\nb\n",
        ),
        ("blockinfile", json!({"block": "x\ny"}), b"a\nb"),
        (
            "blockinfile",
            json!({"block": "x", "insertbefore": "^b", "prepend_newline": true, "append_newline": true}),
            b"a\nb\n",
        ),
        (
            "blockinfile",
            json!({"block": "x", "insertafter": "(?m)^a\\n"}),
            b"a\nb\n",
        ),
        (
            "blockinfile",
            json!({"block": "new"}),
            b"p\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nq\n",
        ),
        (
            "blockinfile",
            json!({"state": "absent"}),
            b"p\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nq\n",
        ),
        (
            "blockinfile",
            json!({"block": "x", "marker": "<!-- {mark} -->", "marker_begin": "S", "marker_end": "E"}),
            b"\r\nz",
        ),
        (
            "replace",
            json!({"regexp": "(\\d+)", "replace": "<\\1>"}),
            b"a1 b22\nc333\n",
        ),
        (
            "replace",
            json!({"regexp": "^", "replace": "# "}),
            b"a\nb\n",
        ),
        ("replace", json!({"regexp": "x*", "replace": "-"}), b"abxd"),
        (
            "replace",
            json!({"regexp": "o", "replace": "0", "after": "start", "before": "end"}),
            b"foo start foo end foo",
        ),
        (
            "replace",
            json!({"regexp": "(?P<k>\\w+)=(?P<v>\\w+)", "replace": "\\g<v>=\\g<k>"}),
            b"a=b\n",
        ),
        (
            "replace",
            json!({"regexp": "\\s+$", "replace": ""}),
            b"a  \nb\t\n",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn same_result_as_ansible_core() {
    if !std::path::Path::new(ANSIBLE).exists() {
        eprintln!("ansible-core not installed: skipped");
        return;
    }
    let host = TestHost::ssh().await;
    let dir = std::env::temp_dir().join(format!("drover-textdiff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let mut mismatches = Vec::new();
    for (i, (module, args, before)) in cases().into_iter().enumerate() {
        let theirs_path = dir.join(format!("a{i}"));
        let ours_path = dir.join(format!("d{i}"));
        std::fs::write(&theirs_path, before).unwrap();
        std::fs::write(&ours_path, before).unwrap();
        std::fs::set_permissions(
            &ours_path,
            std::os::unix::fs::PermissionsExt::from_mode(0o666),
        )
        .unwrap();
        let mut a = args.clone();
        a["path"] = json!(theirs_path.to_string_lossy());
        let out = tokio::process::Command::new(ANSIBLE)
            .args(["localhost", "-c", "local", "-o", "-m", module, "-a"])
            .arg(a.to_string())
            .arg("-e")
            .arg("ansible_python_interpreter=/usr/bin/python3")
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let theirs: Value = text
            .find('{')
            .and_then(|s| serde_json::from_str(text[s..].trim()).ok())
            .unwrap_or_else(|| panic!("ansible output: {text}"));
        let mut d = args.clone();
        d["path"] = json!(ours_path.to_string_lossy());
        let ours = host.ok(module, d).await;
        let after_theirs = std::fs::read(&theirs_path).unwrap();
        let after_ours = std::fs::read(&ours_path).unwrap();
        let same = after_theirs == after_ours
            && theirs["changed"] == ours["changed"]
            && theirs["msg"] == ours["msg"];
        if !same {
            mismatches.push(format!(
                "{module} {args}: ansible {:?} changed={} msg={}; drover {:?} changed={} msg={}",
                String::from_utf8_lossy(&after_theirs),
                theirs["changed"],
                theirs["msg"],
                String::from_utf8_lossy(&after_ours),
                ours["changed"],
                ours["msg"]
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        mismatches.is_empty(),
        "differences:\n{}",
        mismatches.join("\n")
    );
}
