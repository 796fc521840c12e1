//! Compares drover's inventory views with ansible-inventory's on the fixtures.
//! Skipped (with a note) when ansible-core is not installed in $ANSIBLE_VENV (default
//! /tmp/ansible-venv); a failure instead when DROVER_REQUIRE_ANSIBLE=1 (scripts/test).

use std::path::{Path, PathBuf};
use std::process::Command;

use drover_inventory::{dump_ansible_json, Inventory, LoadOptions};

fn ansible_inventory() -> PathBuf {
    let venv = std::env::var("ANSIBLE_VENV").unwrap_or_else(|_| "/tmp/ansible-venv".into());
    Path::new(&venv).join("bin/ansible-inventory")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn ansible(args: &[&str]) -> String {
    let out = Command::new(ansible_inventory())
        .args(args)
        .env("ANSIBLE_DEPRECATION_WARNINGS", "false")
        .env("ANSIBLE_LOCALHOST_WARNING", "false")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "false")
        .env("ANSIBLE_NOCOLOR", "1")
        .current_dir(fixtures())
        .output()
        .expect("run ansible-inventory");
    assert!(
        out.status.success(),
        "ansible-inventory {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .trim_end()
        .to_string()
}

fn have_ansible() -> bool {
    let bin = ansible_inventory();
    if bin.exists() {
        return true;
    }
    assert!(
        std::env::var("DROVER_REQUIRE_ANSIBLE").as_deref() != Ok("1"),
        "{} not found and DROVER_REQUIRE_ANSIBLE=1",
        bin.display()
    );
    eprintln!(
        "note: {} not found; differential inventory test skipped",
        bin.display()
    );
    false
}

fn compare(sources: &[&str]) {
    let absolute: Vec<String> = sources
        .iter()
        .map(|s| {
            if s.contains(',') {
                s.to_string()
            } else {
                fixtures().join(s).to_string_lossy().into_owned()
            }
        })
        .collect();
    let inv = Inventory::load(&absolute).unwrap_or_else(|e| panic!("{sources:?}: {e}"));
    let mut args: Vec<&str> = Vec::new();
    for s in &absolute {
        args.push("-i");
        args.push(s);
    }
    let mut list_args = args.clone();
    list_args.push("--list");
    let expected = ansible(&list_args);
    let ours = dump_ansible_json(&inv.to_list_json());
    assert_eq!(ours, expected, "--list differs for {sources:?}");

    let mut graph_args = args.clone();
    graph_args.push("--graph");
    assert_eq!(
        inv.graph(None).unwrap(),
        ansible(&graph_args),
        "--graph differs for {sources:?}"
    );
}

#[test]
fn ini_inventory_matches_ansible() {
    if have_ansible() {
        compare(&["ini_basic/hosts"]);
    }
}

#[test]
fn yaml_inventory_matches_ansible() {
    if have_ansible() {
        compare(&["yaml_nested/inventory.yml"]);
    }
}

#[test]
fn group_priorities_match_ansible() {
    if have_ansible() {
        compare(&["priorities/hosts.ini"]);
    }
}

#[test]
fn vars_directories_match_ansible() {
    if have_ansible() {
        compare(&["vars_dirs/hosts"]);
    }
}

#[test]
fn scripts_match_ansible() {
    if have_ansible() {
        compare(&["script/inventory.sh"]);
        compare(&["script_host/inventory.sh"]);
    }
}

#[test]
fn constructed_plugin_matches_ansible() {
    if have_ansible() {
        // INI then constructed in one directory source, strict off: failing
        // expressions are skipped.
        compare(&["constructed"]);
        // YAML, then constructed as a second -i source, strict on.
        compare(&["constructed_yaml/hosts.yml", "constructed_yaml/keyed.yml"]);
    }
}

/// `use_extra_vars`: the groups constructed makes from extra vars (given to
/// ansible-inventory as `-e JSON`) match; the hostvars views, which also show the
/// extra vars themselves, are compared by the CLI's tests.
#[test]
fn constructed_extra_vars_match_ansible() {
    if !have_ansible() {
        return;
    }
    let source = fixtures()
        .join("constructed_extra")
        .to_string_lossy()
        .into_owned();
    for extra in [
        serde_json::json!({}),
        serde_json::json!({"from_extras": "hey", "color": "green"}),
        serde_json::json!({"from_extras": "hey", "tier_parent": "tiers", "missing": ""}),
    ] {
        let options = LoadOptions {
            extra_vars: extra.as_object().cloned().unwrap_or_default(),
            ..LoadOptions::default()
        };
        let inv = Inventory::load_with(std::slice::from_ref(&source), &options)
            .unwrap_or_else(|e| panic!("{extra}: {e}"));
        let json = extra.to_string();
        assert_eq!(
            inv.graph(None).unwrap(),
            ansible(&["-i", &source, "--graph", "-e", &json]),
            "--graph differs with -e {json}"
        );
    }
}

#[test]
fn directory_source_matches_ansible() {
    if have_ansible() {
        compare(&["dir_source"]);
    }
}

#[test]
fn several_sources_and_host_lists_match_ansible() {
    if have_ansible() {
        compare(&[
            "vars_dirs/hosts",
            "priorities/hosts.ini",
            "extra1,extra2:2022,h0",
        ]);
    }
}

#[test]
fn host_view_matches_ansible() {
    if !have_ansible() {
        return;
    }
    let source = fixtures()
        .join("vars_dirs/hosts")
        .to_string_lossy()
        .into_owned();
    let inv = Inventory::load(std::slice::from_ref(&source)).unwrap();
    for host in ["h0", "h1", "h2"] {
        let ours = dump_ansible_json(&inv.host_json(host).unwrap());
        assert_eq!(
            ours,
            ansible(&["-i", &source, "--host", host]),
            "--host {host}"
        );
    }
}

#[test]
fn host_patterns_match_ansible() {
    if !have_ansible() {
        return;
    }
    let patterns = [
        "all",
        "*",
        "a:b",
        "c",
        "d",
        "h*",
        "~h[12]",
        "all:!a",
        "d:&b",
        "d[0]",
        "d[1:]",
        "d[-1]",
        "nope,h1",
        "localhost",
        "ungrouped",
        "all[0:1]",
        "web[1:3]",
        "web*",
        "*.example.com",
        "db:!db-b",
        "!a",
        "&c",
        "web,db,&db-?",
        "~^db",
        "web[0]:db[-1]",
        "10.1.0.1",
        "al*",
        "c,h1",
        "d[2:1]",
        "web[1:]",
        "h1,h1,z1",
        "d[9]",
        "~[",
        "d[0-1]",
        "web[-1]:&web*:!web0[12]*",
    ];
    let source = fixtures()
        .join("patterns/hosts")
        .to_string_lossy()
        .into_owned();
    let python = ansible_inventory().with_file_name("python");
    let mut child = Command::new(python)
        .arg(fixtures().join("patterns/oracle.py"))
        .arg(&source)
        .env("ANSIBLE_DEPRECATION_WARNINGS", "false")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run the pattern oracle");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(patterns.join("\n").as_bytes())
            .expect("write patterns");
    }
    let out = child.wait_with_output().expect("oracle output");
    let expected: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle json"))
        .collect();
    assert_eq!(
        expected.len(),
        patterns.len(),
        "oracle answered every pattern"
    );
    let inv = Inventory::load(std::slice::from_ref(&source)).unwrap();
    for (pattern, want) in patterns.iter().zip(expected) {
        let got = match inv.select(pattern) {
            Ok(sel) => serde_json::json!(sel.hosts),
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        };
        assert_eq!(got, want, "pattern {pattern:?}");
    }
}

#[test]
fn edge_cases_match_ansible() {
    if have_ansible() {
        compare(&["edge_ini/hosts"]);
        compare(&["edge_yaml/inv.yaml"]);
    }
}
