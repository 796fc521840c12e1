//! setup against a real sshd host, compared with `ansible -m setup` on the same host
//! (skipped when ansible-core is not installed in /tmp/ansible-venv).

mod common;

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
        .ok("setup", json!({"gather_subset": ["!all"], "filter": ["ansible_user_*", "*distribution"]}))
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
        panic!("ansible setup failed: {text}\n{}", String::from_utf8_lossy(&out.stderr));
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
            Some(t) => differ.push(format!("{k}: drover {v} ansible {t}")),
            None => differ.push(format!("{k}: only drover has it ({v})")),
        }
    }
    let mut missing: Vec<&String> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
    missing.sort();
    eprintln!("facts ansible reports that drover does not: {missing:?}");
    eprintln!("differences:\n{}", differ.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
    // The python facts describe the interpreter ansible ran; env differs by what each
    // engine exports. Everything else drover reports must be equal.
    let allowed = ["ansible_python", "ansible_python_version", "ansible_selinux_python_present"];
    let bad: Vec<&String> = differ
        .iter()
        .filter(|d| !allowed.iter().any(|a| d.starts_with(&format!("{a}:"))))
        .collect();
    assert!(bad.is_empty(), "facts differ from ansible-core:\n{bad:#?}");
}
