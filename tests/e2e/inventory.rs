//! `drover inventory` and `ansible-inventory` (drover invoked through a link of that
//! name) against ansible-core 2.19's ansible-inventory on every fixture of the inventory
//! crate: `--list`, `--graph` and `--host` byte for byte, with exit codes. Also
//! `drover play --list-hosts`, missing inventory sources and the playbook directory's
//! group_vars/host_vars against ansible-playbook. Needs ansible-core in $ANSIBLE_VENV
//! (default /tmp/ansible-venv): scripts/test installs it and sets
//! DROVER_REQUIRE_ANSIBLE=1, under which a missing oracle is a failure, not a skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{run, Output, Scratch};

/// The oracle's `bin/NAME`, or `None` (a skip, with a note) when ansible-core is not
/// installed and not required.
fn oracle(name: &str) -> Option<PathBuf> {
    let venv = std::env::var("ANSIBLE_VENV").unwrap_or_else(|_| "/tmp/ansible-venv".into());
    let bin = Path::new(&venv).join("bin").join(name);
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var("DROVER_REQUIRE_ANSIBLE").as_deref() != Ok("1"),
        "{name} not found in {venv} and DROVER_REQUIRE_ANSIBLE=1"
    );
    eprintln!("note: {} missing, differential test skipped", bin.display());
    None
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory/tests/fixtures")
}

/// The inventory source of each fixture: its one inventory file, or the fixture
/// directory itself when it holds several (a directory source).
fn fixture_sources() -> Vec<String> {
    let mut sources = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                !matches!(
                    name.as_ref(),
                    "group_vars" | "host_vars" | "README.md" | "oracle.py"
                )
            })
            .collect();
        let source = match files.as_slice() {
            [one] => one.clone(),
            _ => dir,
        };
        sources.push(
            source
                .canonicalize()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
    }
    assert!(
        sources.len() >= 10,
        "expected the inventory crate's fixtures, found {sources:?}"
    );
    sources
}

/// Runs `program` with a clean ANSIBLE_* environment (plus `env`), no colours.
fn run_tool(s: &Scratch, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("ANSIBLE_") {
            cmd.env_remove(&k);
        }
    }
    cmd.args(args)
        .env("HOME", &s.home)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("NO_COLOR", "1")
        .env("ANSIBLE_LOCAL_TEMP", s.path("ansible-tmp"))
        .current_dir(s.dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// A directory with `ansible-inventory` and `ansible-playbook` links to drover.
fn links(s: &Scratch) -> PathBuf {
    let bin = s.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["ansible-inventory", "ansible-playbook"] {
        let link = bin.join(name);
        if !link.exists() {
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_drover"), link).unwrap();
        }
    }
    bin
}

/// The same ansible-inventory arguments through the oracle, `drover inventory` and
/// the `ansible-inventory` link: stdout and exit code must be identical.
fn same_inventory_view(s: &Scratch, oracle: &Path, args: &[&str]) {
    same_inventory_view_with(s, oracle, args, &[]);
}

/// [`same_inventory_view`] with more ANSIBLE_* settings in the environment.
fn same_inventory_view_with(s: &Scratch, oracle: &Path, args: &[&str], env: &[(&str, &str)]) {
    let theirs = run_tool(s, oracle, args, env);
    let mut drover_args = vec!["inventory"];
    drover_args.extend_from_slice(args);
    let ours = run_tool(
        s,
        Path::new(env!("CARGO_BIN_EXE_drover")),
        &drover_args,
        env,
    );
    let linked = run_tool(s, &links(s).join("ansible-inventory"), args, env);
    for (how, out) in [
        ("drover inventory", &ours),
        ("ansible-inventory link", &linked),
    ] {
        assert_eq!(
            (out.code, &out.stdout),
            (theirs.code, &theirs.stdout),
            "{how} {args:?} {env:?} differs\n--- ansible\n{}\n--- drover\n{}",
            theirs.show(),
            out.show()
        );
    }
}

#[test]
fn list_matches_ansible_inventory_on_every_fixture() {
    let Some(ai) = oracle("ansible-inventory") else {
        return;
    };
    let s = Scratch::new();
    for source in fixture_sources() {
        same_inventory_view(&s, &ai, &["-i", &source, "--list"]);
    }
}

#[test]
fn graph_matches_ansible_inventory_on_every_fixture() {
    let Some(ai) = oracle("ansible-inventory") else {
        return;
    };
    let s = Scratch::new();
    for source in fixture_sources() {
        same_inventory_view(&s, &ai, &["-i", &source, "--graph"]);
    }
    let basic = fixtures().join("ini_basic/hosts");
    let basic = basic.to_str().unwrap();
    for group in ["web", "prod", "ungrouped", "empty", "nope"] {
        same_inventory_view(&s, &ai, &["-i", basic, "--graph", group]);
    }
}

#[test]
fn host_matches_ansible_inventory_on_every_fixture() {
    let Some(ai) = oracle("ansible-inventory") else {
        return;
    };
    let s = Scratch::new();
    for source in fixture_sources() {
        // The first three hosts of each fixture (each ansible run costs a second).
        let list = run_tool(
            &s,
            Path::new(env!("CARGO_BIN_EXE_drover")),
            &["inventory", "-i", &source, "--list"],
            &[],
        );
        let json: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
        let hosts: Vec<String> = json["_meta"]["hostvars"]
            .as_object()
            .unwrap()
            .keys()
            .take(3)
            .cloned()
            .collect();
        for host in hosts {
            same_inventory_view(&s, &ai, &["-i", &source, "--host", &host]);
        }
    }
}

/// `@PATH` of a new scratch file (for `--limit @file` and `-e @file`).
fn at_file(s: &Scratch, name: &str, text: &str) -> String {
    format!("@{}", s.write(name, text).display())
}

#[test]
fn limit_extra_vars_and_errors_match_ansible_inventory() {
    let Some(ai) = oracle("ansible-inventory") else {
        return;
    };
    let s = Scratch::new();
    let retry_limit = at_file(&s, "site.retry", "db1\nweb01.example.com\n");
    let basic = fixtures().join("ini_basic/hosts");
    let basic = basic.to_str().unwrap();
    let vars_dirs = fixtures().join("vars_dirs/hosts");
    let vars_dirs = vars_dirs.to_str().unwrap();
    // Names ansible-inventory leaves out of host variables, from inventory and -e.
    let internal = s.write(
        "internal.ini",
        "[g]\nh1 playbook_dir=x role_name=r keep=1\nh2 groups=1\n[g:vars]\nansible_facts=1\n",
    );
    let internal = internal.to_str().unwrap();
    let magic = r#"{"inventory_file": "z", "ansible_version": 1, "hostvars": 2}"#;
    let cases: Vec<Vec<&str>> = vec![
        vec!["-i", internal, "--list", "-e", magic],
        vec!["-i", internal, "--host", "h1", "-e", magic],
        vec!["-i", basic, "--list", "--limit", "web[0]:db1"],
        vec!["-i", basic, "--list", "-l", "all:!prod", "-e", "x=1"],
        vec!["-i", basic, "--list", "-l", &retry_limit],
        vec!["-i", basic, "--list", "-l", "nothing"],
        vec!["-i", basic, "--list", "-l", "@/nonexistent/retry"],
        vec!["-i", basic, "--graph", "--limit", "db1"],
        vec!["-i", basic, "--host", "db1", "-e", r#"{"x": [1, 2.5]}"#],
        vec!["-i", basic, "--host", "db1", "--limit", "web"],
        vec!["-i", basic, "--host", "db*"],
        vec!["-i", basic, "--host", "nope"],
        vec!["-i", basic],
        vec!["-i", basic, "--list", "--graph"],
        vec!["-i", vars_dirs, "--list", "-e", "@/nonexistent.yml"],
        vec!["-i", "/nonexistent/hosts", "--list"],
        vec!["-i", "/nonexistent/hosts", "-i", basic, "--graph"],
        vec!["-i", "a,b:2222,c", "--list"],
    ];
    for args in cases {
        same_inventory_view(&s, &ai, &args);
    }
}

/// The constructed plugin's `use_extra_vars` with each form of `-e`: key=value,
/// JSON, and @file (extra vars over host variables in compose and keyed_groups).
#[test]
fn constructed_use_extra_vars_matches_ansible_inventory() {
    let Some(ai) = oracle("ansible-inventory") else {
        return;
    };
    let s = Scratch::new();
    let at_vars = at_file(
        &s,
        "vars.yml",
        "nested:\n  inner: deep\ntier_parent: tiers\n",
    );
    let source = fixtures().join("constructed_extra");
    let source = source.to_str().unwrap();
    let (kv, json) = (
        "from_extras=hey ",
        r#"{"from_extras": "j", "missing": null}"#,
    );
    let cases: [&[&str]; 5] = [
        &["--list", "-e", kv, "-e", "color=green"],
        &["--graph", "-e", kv, "-e", &at_vars],
        &["--list", "-e", json],
        &["--host", "web1", "-e", kv, "-e", &at_vars],
        &["-i", "testhost,", "--list", "-e", "from_extras=a b=c"],
    ];
    for rest in cases {
        let mut args = vec!["-i", source];
        args.extend_from_slice(rest);
        same_inventory_view(&s, &ai, &args);
    }
}

/// `ANSIBLE_INVENTORY_ENABLED` chooses the plugins sources are tried with: a file no
/// enabled plugin parses is unparsed (exit 1 under ANSIBLE_INVENTORY_UNPARSED_FAILED),
/// `constructed` may be enabled on its own, unknown names are skipped.
#[test]
fn enabled_inventory_plugins_match_ansible_inventory() {
    let Some(ai) = oracle("ansible-inventory") else {
        return;
    };
    let s = Scratch::new();
    s.write("empty.yml", "");
    s.write("plain.ini", "[g]\nh1\n");
    s.write("hosts.yml", "all:\n  hosts:\n    y1:\n");
    s.write("other.yml", "plugin: nosuch\n");
    s.write("c.config", "plugin: constructed\ngroups:\n  every: true\n");
    s.write(
        "fq.yml",
        "plugin: ansible.builtin.constructed\ngroups:\n  fq: true\n",
    );
    let sources: [&[&str]; 7] = [
        &["-i", "empty.yml"],
        &["-i", "plain.ini"],
        &["-i", "hosts.yml"],
        &["-i", "a,b"],
        &["-i", "other.yml"],
        &["-i", "a,b", "-i", "c.config", "-i", "hosts.yml"],
        &["-i", "hosts.yml", "-i", "fq.yml", "-i", "c.config"],
    ];
    for enabled in [
        "constructed",
        "yaml",
        "ini,constructed",
        " host_list , ansible.builtin.constructed",
        "host_list,constructed,yaml",
        "auto",
        "nosuch,ansible.builtin.ini",
    ] {
        for source in sources {
            let mut args = source.to_vec();
            args.push("--graph");
            let env = [
                ("ANSIBLE_INVENTORY_ENABLED", enabled),
                ("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True"),
            ];
            same_inventory_view_with(&s, &ai, &args, &env);
        }
    }
}

#[test]
fn playbook_dir_adds_its_vars_directories_as_ansible_inventory_does() {
    let Some(ai) = oracle("ansible-inventory") else {
        return;
    };
    let s = Scratch::new();
    std::fs::create_dir_all(s.path("pb/group_vars")).unwrap();
    s.write("pb/group_vars/all.yml", "from_playbook_dir: 1\ng: pb\n");
    let vars_dirs = fixtures().join("vars_dirs/hosts");
    let pb = s.path("pb");
    let args = [
        "-i",
        vars_dirs.to_str().unwrap(),
        "--list",
        "--playbook-dir",
        pb.to_str().unwrap(),
    ];
    same_inventory_view(&s, &ai, &args);
}

/// ansible-playbook's warnings, exit code and output for inventory sources that do
/// not exist (a warning each, then the implicit localhost) and for directories in
/// which nothing parses.
#[test]
fn missing_inventory_sources_warn_as_ansible_playbook_does() {
    let Some(ap) = oracle("ansible-playbook") else {
        return;
    };
    let s = Scratch::new();
    s.write(
        "local.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n",
    );
    let basic = fixtures().join("ini_basic/hosts");
    let basic = basic.to_str().unwrap();
    // Directories: one empty, one with an inventory and an empty directory beside it.
    std::fs::create_dir_all(s.path("empty")).unwrap();
    std::fs::create_dir_all(s.path("full/empty")).unwrap();
    s.write("full/hosts", "[g]\nh1\n");
    let env_none: &[(&str, &str)] = &[];
    let any_failed: &[(&str, &str)] = &[("ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED", "True")];
    type Case<'a> = (Vec<&'a str>, &'a [(&'a str, &'a str)]);
    let cases: Vec<Case> = vec![
        (vec!["-i", "empty", "local.yml"], env_none),
        (vec!["-i", "full", "local.yml"], env_none),
        (vec!["-i", "empty", "-i", "full", "local.yml"], env_none),
        (vec!["-i", "full", "local.yml"], any_failed),
        (vec!["-i", "empty", "local.yml"], any_failed),
        (vec!["-i", "missing", "local.yml"], env_none),
        (vec!["-i", "missing", "-i", "~/gone", "local.yml"], env_none),
        (
            vec!["-i", "missing", "-i", basic, "local.yml", "-l", "db1"],
            env_none,
        ),
        (
            vec!["-i", "missing", "local.yml", "-l", "nothing"],
            env_none,
        ),
        (
            vec!["-i", "missing", "local.yml"],
            &[("ANSIBLE_INVENTORY_UNPARSED_FAILED", "yes")],
        ),
        (vec!["-i", "missing", "local.yml"], any_failed),
        (
            vec!["-i", "missing", "local.yml"],
            &[
                ("ANSIBLE_LOCALHOST_WARNING", "false"),
                ("ANSIBLE_INVENTORY_UNPARSED_WARNING", "0"),
            ],
        ),
    ];
    let linked = links(&s).join("ansible-playbook");
    for (args, env) in cases {
        let theirs = run_tool(&s, &ap, &args, env);
        let ours = run_tool(&s, &linked, &args, env);
        assert_eq!(
            (ours.code, &ours.stderr, &ours.stdout),
            (theirs.code, &theirs.stderr, &theirs.stdout),
            "{args:?} {env:?}\n--- ansible\n{}\n--- drover\n{}",
            theirs.show(),
            ours.show()
        );
    }
}

/// `--list-hosts` output with the host lines of each play and the tags sorted:
/// ansible prints both from Python sets, in an order that changes between runs.
fn sorted_listing(out: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    for line in out.split('\n') {
        if line.starts_with("      ") {
            hosts.push(line.to_string());
            continue;
        }
        hosts.sort();
        lines.append(&mut hosts);
        match line.split_once("\tTAGS: [") {
            Some((head, tags)) => {
                let mut tags: Vec<&str> = tags
                    .trim_end_matches(']')
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .collect();
                tags.sort();
                lines.push(format!("{head}\tTAGS: [{}]", tags.join(",")));
            }
            None => lines.push(line.to_string()),
        }
    }
    hosts.sort();
    lines.append(&mut hosts);
    lines.join("\n")
}

#[test]
fn list_hosts_matches_ansible_playbook() {
    let Some(ap) = oracle("ansible-playbook") else {
        return;
    };
    let s = Scratch::new();
    let basic = fixtures().join("ini_basic/hosts");
    let basic = basic.to_str().unwrap();
    s.write(
        "site.yml",
        r#"- hosts: web
  name: first play
  gather_facts: false
  tasks: [{debug: msg=x}]
- hosts: db:staging
  tags: [t1, t2]
  tasks: [{debug: msg=x}]
- hosts: nomatch
  tasks: []
- hosts: localhost
  tasks: []
- hosts: ['db1', 'top1']
  name: "{{ 'templated' }}"
  tasks: []
- hosts: "db1,top1"
  tasks: []
- hosts: "{{ lst }}"
  vars: {lst: [db1, "top2"]}
  tasks: []
- hosts: ["it's", 'a"b', "x\\y"]
  tasks: []
"#,
    );
    s.write(
        "outer.yml",
        "- import_playbook: site.yml\n- hosts: \"{{ target | default('db') }}\"\n  tasks: []\n",
    );
    s.write("site.retry", "db2\nweb-a\n");
    let cases: Vec<Vec<&str>> = vec![
        vec!["-i", basic, "site.yml", "--list-hosts"],
        vec!["-i", basic, "site.yml", "--list-hosts", "-l", "db*"],
        vec!["-i", basic, "site.yml", "--list-hosts", "-l", "@site.retry"],
        vec![
            "-i",
            basic,
            "outer.yml",
            "site.yml",
            "--list-hosts",
            "-l",
            "db1,nothing",
            "-e",
            "target=web",
        ],
        vec!["-i", basic, "site.yml", "--list-hosts", "-l", "nothing"],
    ];
    let linked = links(&s).join("ansible-playbook");
    for args in cases {
        let theirs = run_tool(&s, &ap, &args, &[]);
        let ours = run_tool(&s, &linked, &args, &[]);
        assert_eq!(
            (ours.code, sorted_listing(&ours.stdout), &ours.stderr),
            (theirs.code, sorted_listing(&theirs.stdout), &theirs.stderr),
            "{args:?}\n--- ansible\n{}\n--- drover\n{}",
            theirs.show(),
            ours.show()
        );
    }
}

/// group_vars/host_vars beside the playbook rank above those beside the inventory, at
/// each level (all, group, host), and below the inventory's own group for `all`.
#[test]
fn playbook_dir_vars_take_ansible_precedence() {
    let s = Scratch::new();
    for dir in [
        "inv/group_vars",
        "inv/host_vars",
        "pb/group_vars",
        "pb/host_vars",
    ] {
        std::fs::create_dir_all(s.path(dir)).unwrap();
    }
    s.write(
        "inv/hosts",
        "[web]\nh1 ansible_connection=local inline=inv_inline\n",
    );
    s.write(
        "inv/group_vars/all.yml",
        "a: inv_all\nb: inv_all\nc: inv_all\ninline: inv_all\n",
    );
    s.write("inv/group_vars/web.yml", "b: inv_web\nc: inv_web\n");
    s.write("inv/host_vars/h1.yml", "d: inv_host\n");
    s.write(
        "pb/group_vars/all.yml",
        "a: pb_all\nc: pb_all\ne: pb_all\ninline: pb_all\n",
    );
    s.write("pb/group_vars/web.yml", "b: pb_web\n");
    s.write("pb/host_vars/h1.yml", "d: pb_host\n");
    s.write(
        "pb/site.yml",
        "- hosts: web\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{ [a, b, c, d, e, inline] | join(',') }}\"\n",
    );
    let expected = "pb_all,pb_web,inv_web,pb_host,pb_all,inv_inline";
    let args = ["-i", "inv/hosts", "pb/site.yml"];
    let ours = run(s.drover().arg("play").args(args));
    assert_eq!(ours.code, 0, "{}", ours.show());
    assert!(
        ours.stdout.contains(&format!("\"msg\": \"{expected}\"")),
        "{}",
        ours.show()
    );
    if let Some(ap) = oracle("ansible-playbook") {
        let python = ap.with_file_name("python");
        let interpreter = format!("ansible_python_interpreter={}", python.display());
        let mut with_python = args.to_vec();
        with_python.extend(["-e", &interpreter]);
        let theirs = run_tool(&s, &ap, &with_python, &[]);
        assert_eq!(theirs.code, 0, "{}", theirs.show());
        assert!(
            theirs.stdout.contains(&format!("\"msg\": \"{expected}\"")),
            "ansible disagrees with the expected precedence:\n{}",
            theirs.show()
        );
    }
}

/// Several playbooks in one run: each one's group_vars/ apply while its plays run, in
/// place of the previous one's, as in ansible-playbook.
#[test]
fn each_playbook_brings_its_own_vars_directories() {
    let s = Scratch::new();
    for dir in ["a/group_vars", "b/group_vars"] {
        std::fs::create_dir_all(s.path(dir)).unwrap();
    }
    s.write("a/group_vars/all.yml", "x: from-a\nz: only-a\n");
    s.write("b/group_vars/all.yml", "x: from-b\ny: only-b\n");
    let play = "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{ x }} {{ y | default('no-y') }} {{ z | default('no-z') }}\"\n";
    s.write("a/site.yml", play);
    s.write("b/site.yml", play);
    let out = run(s.drover().args(["play", "a/site.yml", "b/site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    let first = out.stdout.find("\"msg\": \"from-a no-y only-a\"");
    let second = out.stdout.find("\"msg\": \"from-b only-b no-z\"");
    assert!(
        matches!((first, second), (Some(a), Some(b)) if a < b),
        "{}",
        out.show()
    );
}
