//! setup against a real sshd host, compared with `ansible -m setup` on the same host
//! (skipped when ansible-core is not installed in /tmp/ansible-venv).

use crate::common;

use common::TestHost;
use serde_json::{json, Value};

const ANSIBLE: &str = "/tmp/ansible-venv/bin/ansible";

/// Facts whose values move between two runs a second apart.
const VOLATILE: &[&str] = &[
    "ansible_date_time",
    "ansible_uptime_seconds",
    "ansible_memfree_mb",
    "ansible_memory_mb",
    "ansible_loadavg",
    "ansible_mounts",
    "ansible_env",
    "ansible_swapfree_mb",
];

#[tokio::test(flavor = "multi_thread")]
async fn setup_matches_ansible_on_the_same_host() {
    let host = TestHost::ssh().await;
    let r = host.ok("setup", json!({})).await;
    let ours = r["ansible_facts"].as_object().unwrap().clone();
    for k in [
        "ansible_distribution",
        "ansible_os_family",
        "ansible_hostname",
        "ansible_default_ipv4",
        "ansible_interfaces",
        "ansible_date_time",
        "ansible_user_id",
        "ansible_processor_vcpus",
        "ansible_mounts",
        "ansible_dns",
        "ansible_local",
    ] {
        assert!(ours.contains_key(k), "missing {k}");
    }
    assert_eq!(ours["ansible_date_time"].as_object().unwrap().len(), 20);

    let r = host
        .ok(
            "setup",
            json!({"gather_subset": ["!all"], "filter": ["ansible_user_*", "*distribution"]}),
        )
        .await;
    let f = r["ansible_facts"].as_object().unwrap();
    assert!(f.contains_key("ansible_user_id") && f.contains_key("ansible_distribution"));
    assert!(!f.contains_key("ansible_kernel") && !f.contains_key("ansible_interfaces"));

    if !std::path::Path::new(ANSIBLE).exists() {
        eprintln!("ansible-core not installed: differential part skipped");
        return;
    }
    let server = host.server.as_ref().unwrap();
    let dir = std::env::temp_dir().join(format!("drover-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let inv = dir.join("hosts");
    std::fs::write(
        &inv,
        format!(
            "testhost {} ansible_python_interpreter=/usr/bin/python3\n",
            server.inventory_vars()
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(ANSIBLE)
        .arg("testhost")
        .arg("-i")
        .arg(&inv)
        .arg("-m")
        .arg("setup")
        .arg("-o")
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("ANSIBLE_LOCAL_TEMP", &dir)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(start) = text.find('{') else {
        panic!(
            "ansible setup failed: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let theirs: Value = serde_json::from_str(text[start..].trim()).unwrap();
    let theirs = theirs["ansible_facts"].as_object().unwrap().clone();
    let mut differ = Vec::new();
    for (k, v) in &ours {
        if VOLATILE.contains(&k.as_str()) {
            continue;
        }
        match theirs.get(k) {
            Some(t) if t == v => {}
            // Python sets (and dict order from sysfs): the order is arbitrary.
            Some(Value::Array(t))
                if (k.starts_with("ansible_virtualization_tech") || k == "ansible_interfaces")
                    && {
                        let mut a: Vec<String> = t.iter().map(|x| x.to_string()).collect();
                        let mut b: Vec<String> = v
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|x| x.to_string())
                            .collect();
                        a.sort();
                        b.sort();
                        a == b
                    } => {}
            Some(t) => differ.push(format!("{k}: drover {v} ansible {t}")),
            None => differ.push(format!("{k}: only drover has it ({v})")),
        }
    }
    // Mounts: the usage figures move; the rest must match.
    let strip = |v: &Value| -> Value {
        let mut v = v.clone();
        for m in v.as_array_mut().into_iter().flatten() {
            if let Some(o) = m.as_object_mut() {
                o.retain(|k, _| {
                    !k.starts_with("block_") && !k.starts_with("size_") && !k.starts_with("inode_")
                });
            }
        }
        v
    };
    if strip(&ours["ansible_mounts"]) != strip(&theirs["ansible_mounts"]) {
        differ.push(format!(
            "ansible_mounts: drover {} ansible {}",
            strip(&ours["ansible_mounts"]),
            strip(&theirs["ansible_mounts"])
        ));
    }
    let (oe, te) = (
        ours["ansible_env"].as_object().unwrap(),
        theirs["ansible_env"].as_object().unwrap(),
    );
    let env_diff: Vec<&String> = oe
        .keys()
        .chain(te.keys())
        .filter(|k| oe.get(*k) != te.get(*k))
        .collect();
    eprintln!("env variables that differ: {env_diff:?}");
    let mut missing: Vec<&String> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
    missing.sort();
    eprintln!("facts ansible reports that drover does not: {missing:?}");
    eprintln!("differences:\n{}", differ.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
    // The python facts describe the interpreter ansible ran; env differs by what each
    // engine exports. Everything else drover reports must be equal.
    let allowed = ["ansible_python", "ansible_python_version"];
    let bad: Vec<&String> = differ
        .iter()
        .filter(|d| !allowed.iter().any(|a| d.starts_with(&format!("{a}:"))))
        .collect();
    assert!(bad.is_empty(), "facts differ from ansible-core:\n{bad:#?}");
}
