//! Playbooks written to temporary files and loaded; expected errors and positions
//! come from `ansible-playbook --syntax-check` (ansible-core 2.19) on the same text.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use super::*;

const KNOWN: &[&str] = &[
    "command",
    "shell",
    "debug",
    "copy",
    "ping",
    "set_fact",
    "include_tasks",
    "include_role",
    "file",
    "fail",
];

fn known(name: &str) -> bool {
    KNOWN.contains(&name)
}

/// A fresh directory per test, so tests can run in parallel.
fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "drover-playbook-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
    dir
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("write: {e}"));
    p
}

fn load(text: &str) -> Playbook {
    let dir = temp_dir();
    let path = write(&dir, "site.yml", text);
    load_playbook(&path, &known).unwrap_or_else(|e| panic!("load failed: {e}"))
}

/// The error, with its position as (line, col).
fn load_err(text: &str) -> (SourceError, (u32, u32)) {
    let dir = temp_dir();
    let path = write(&dir, "site.yml", text);
    match load_playbook(&path, &known) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => {
            assert!(e.path.ends_with("site.yml"), "{e}");
            let pos = (e.line.unwrap_or(0), e.col.unwrap_or(0));
            (e, pos)
        }
    }
}

fn tasks(text: &str) -> Vec<Task> {
    let mut pb = load(text);
    assert_eq!(pb.plays.len(), 1);
    pb.plays.remove(0).tasks
}

#[test]
fn play_fields() {
    let pb = load(
        "- name: web\n  hosts: [web, db]\n  gather_facts: no\n  become: yes\n  become_user: root\n  vars:\n    port: 8080\n    flag: on\n  serial: 2\n  roles: [common]\n  tasks: []\n",
    );
    let play = &pb.plays[0];
    assert_eq!(play.name.as_deref(), Some("web"));
    assert_eq!(play.hosts, "web,db");
    assert_eq!(play.gather_facts, Some(false));
    assert_eq!(play.r#become, Some(true));
    assert_eq!(play.become_user.as_deref(), Some("root"));
    assert_eq!(play.vars.get("port"), Some(&json!(8080)));
    assert_eq!(play.vars.get("flag"), Some(&json!(true)));
    assert_eq!(play.extra.get("serial"), Some(&json!(2)));
    assert_eq!(play.roles.len(), 1);
    assert_eq!(play.roles[0].name, "common");
    assert_eq!(
        play.location.to_string(),
        format!("{}:1:3", pb.path.display())
    );
}

#[test]
fn free_form_and_mapping_args() {
    let t = tasks(
        "- hosts: all\n  tasks:\n    - command: echo \"a b\" c=d chdir=/tmp\n    - copy: src=a dest='/b c'\n    - copy:\n        src: a\n        mode: 0644\n    - ping:\n    - shell: cat x\n      args:\n        chdir: /etc\n        creates: y\n",
    );
    assert_eq!(t[0].action, "command");
    assert_eq!(
        Value::Object(t[0].args.clone()),
        json!({"chdir": "/tmp", "_raw_params": "echo \"a b\" c=d"})
    );
    assert_eq!(
        Value::Object(t[1].args.clone()),
        json!({"src": "a", "dest": "/b c"})
    );
    assert_eq!(
        Value::Object(t[2].args.clone()),
        json!({"src": "a", "mode": 420})
    );
    assert_eq!(t[3].action, "ping");
    assert!(t[3].args.is_empty());
    assert_eq!(
        Value::Object(t[4].args.clone()),
        json!({"chdir": "/etc", "creates": "y", "_raw_params": "cat x"})
    );
    assert_eq!(t[0].location.pos, drover_yaml::Pos { line: 3, col: 7 });
}

#[test]
fn fqcn_and_action_forms() {
    let t = tasks(
        "- hosts: all\n  tasks:\n    - ansible.builtin.command: ls\n    - ansible.legacy.shell: ls\n    - action: command echo hi\n    - local_action: shell echo {{ x }} chdir=/\n    - action:\n        module: copy src=a\n        dest: b\n",
    );
    assert_eq!(t[0].action, "command");
    assert_eq!(t[1].action, "shell");
    assert_eq!(t[2].action, "command");
    assert_eq!(
        Value::Object(t[2].args.clone()),
        json!({"_raw_params": "echo hi"})
    );
    assert_eq!(t[3].action, "shell");
    assert_eq!(t[3].delegate_to.as_deref(), Some("localhost"));
    assert_eq!(
        Value::Object(t[3].args.clone()),
        json!({"_raw_params": "echo {{ x }}", "chdir": "/"})
    );
    assert_eq!(t[4].action, "copy");
    assert_eq!(
        Value::Object(t[4].args.clone()),
        json!({"dest": "b", "src": "a"})
    );
}

#[test]
fn when_forms() {
    let t = tasks(
        "- hosts: all\n  tasks:\n    - debug: msg=a\n      when: x is defined\n    - debug: msg=b\n      when: [a, b == 1]\n    - debug: msg=c\n      when: false\n    - debug: msg=d\n      when: yes\n      changed_when: false\n      failed_when: [rc != 0]\n",
    );
    assert_eq!(t[0].when, vec!["x is defined"]);
    assert_eq!(t[1].when, vec!["a", "b == 1"]);
    assert_eq!(t[2].when, vec!["False"]);
    assert_eq!(t[3].when, vec!["True"]);
    assert_eq!(t[3].changed_when, vec!["False"]);
    assert_eq!(t[3].failed_when, vec!["rc != 0"]);
}

#[test]
fn loops_register_and_keywords() {
    let t = tasks(
        "- hosts: all\n  tasks:\n    - name: looped\n      debug: msg={{ item }}\n      loop: [1, 2]\n      loop_control:\n        loop_var: x\n      register: out\n      ignore_errors: true\n      tags: a,b\n      notify: restart\n      become: true\n      vars: {v: 1}\n      delegate_to: db\n      async: 10\n    - debug: msg=x\n      with_items: \"{{ list }}\"\n    - debug: msg=x\n      with_dict: {a: 1}\n",
    );
    assert_eq!(t[0].name.as_deref(), Some("looped"));
    assert_eq!(t[0].loop_items, Some(json!([1, 2])));
    assert_eq!(t[0].loop_kind, None);
    assert_eq!(t[0].loop_var.as_deref(), Some("x"));
    assert_eq!(t[0].register.as_deref(), Some("out"));
    assert_eq!(t[0].ignore_errors, Some(json!(true)));
    assert_eq!(t[0].tags, vec!["a", "b"]);
    assert_eq!(t[0].notify, vec!["restart"]);
    assert_eq!(t[0].r#become, Some(true));
    assert_eq!(t[0].vars.get("v"), Some(&json!(1)));
    assert_eq!(t[0].delegate_to.as_deref(), Some("db"));
    assert_eq!(t[0].extra.get("async"), Some(&json!(10)));
    assert_eq!(t[1].loop_items, Some(json!("{{ list }}")));
    assert_eq!(t[1].loop_kind.as_deref(), Some("items"));
    assert_eq!(t[2].loop_kind.as_deref(), Some("dict"));
}

#[test]
fn blocks_and_sections() {
    let pb = load(
        "- hosts: all\n  pre_tasks:\n    - ping:\n  tasks:\n    - name: b\n      when: x\n      block:\n        - command: ls\n      rescue:\n        - debug: msg=r\n      always:\n        - debug: msg=a\n  handlers:\n    - name: restart\n      debug: msg=h\n      listen: web\n",
    );
    let play = &pb.plays[0];
    assert_eq!(play.pre_tasks[0].action, "ping");
    let b = &play.tasks[0];
    assert_eq!(b.action, "block");
    assert_eq!(b.when, vec!["x"]);
    let body = b
        .block
        .as_deref()
        .map(|bl| (bl.block.len(), bl.rescue.len(), bl.always.len()));
    assert_eq!(body, Some((1, 1, 1)));
    assert_eq!(play.handlers[0].listen, vec!["web"]);
}

#[test]
fn import_playbook_expands_in_place() {
    let dir = temp_dir();
    write(&dir, "other.yml", "- hosts: db\n  tasks:\n    - ping:\n");
    let path = write(
        &dir,
        "site.yml",
        "- hosts: web\n  tasks: []\n- import_playbook: other.yml\n  vars: {x: 1}\n  when: go\n",
    );
    let pb = load_playbook(&path, &known).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pb.plays.len(), 2);
    assert_eq!(pb.plays[1].hosts, "db");
    assert_eq!(pb.plays[1].vars.get("x"), Some(&json!(1)));
    assert_eq!(pb.plays[1].tasks[0].when, vec!["go"]);
    assert!(pb.plays[1].location.file.path.ends_with("other.yml"));
}

#[test]
fn self_import_is_an_error_not_a_hang() {
    let dir = temp_dir();
    let path = write(&dir, "site.yml", "- import_playbook: site.yml\n");
    assert!(load_playbook(&path, &known).is_err());
}

#[test]
fn duplicate_keys_become_warnings() {
    let pb = load("- hosts: all\n  tasks:\n    - debug: msg=a\n      name: x\n      name: y\n");
    assert_eq!(pb.plays[0].tasks[0].name.as_deref(), Some("y"));
    assert_eq!(pb.warnings.len(), 1);
    assert_eq!(
        pb.warnings[0].location.pos,
        drover_yaml::Pos { line: 5, col: 7 }
    );
}

#[test]
fn errors_match_ansible() {
    let cases: &[(&str, &str, (u32, u32))] = &[
        ("- hosts: all\n  foo: bar\n  tasks: []\n", "'foo' is not a valid attribute for a Play", (2, 3)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      foo: bar\n", "conflicting action statements: debug, foo", (3, 7)),
        ("- hosts: all\n  tasks:\n    - name: hi\n      when: x\n", "no module/action detected in task.", (3, 7)),
        (
            "- hosts: all\n  tasks:\n    - name: hi\n      debug: msg=x\n      command: echo\n",
            "conflicting action statements: debug, command",
            (3, 7),
        ),
        (
            "- hosts: all\n  tasks:\n    - name: hi\n      debugg: msg=x\n",
            "couldn't resolve module/action 'debugg'. This often indicates a misspelling, missing collection, or incorrect module path.",
            (3, 7),
        ),
        (
            "- hosts: all\n  tasks:\n    - include_role:\n        name: r\n        vars_from:\n          - a.yml\n",
            "Expected a string for vars_from but got <class 'ansible.module_utils._internal._datatag._AnsibleTaggedList'> instead",
            (6, 11),
        ),
        ("hosts: all\ntasks: []\n", "A playbook must be a list of plays", (1, 1)),
        ("- hosts: all\n- foo\n", "playbook entries must be either valid plays or 'import_playbook' statements", (2, 3)),
        ("- name: x\n  tasks: []\n", "The field 'hosts' is required but was not set.", (1, 3)),
        ("- hosts:\n  tasks: []\n", "Hosts list cannot be empty", (1, 3)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      loop: [1]\n      with_items: [2]\n", "duplicate loop in task: items", (3, 7)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      register: \"a b\"\n", "Invalid 'register' specified", (4, 17)),
        (
            "- hosts: all\n  tasks:\n    - action: command echo hi\n      local_action: shell echo\n",
            "action and local_action are mutually exclusive",
            (3, 7),
        ),
        ("- hosts: all\n  vars: [a, b]\n  tasks: []\n", "Vars in a Play must be specified as a dictionary.", (2, 9)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      tags: {a: 1}\n", "tags must be specified as a list", (4, 13)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      loop_control: \"x\"\n", "the `loop_control` value must be specified as a dictionary", (4, 21)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      with_foo: [1]\n", "'with_foo' is not a valid attribute for a Task", (4, 7)),
        ("- hosts: all\n  tasks:\n    - command: echo\n      args: \"x\"\n", "The value of the task `args` keyword is invalid.", (4, 13)),
        (
            "- hosts: all\n  tasks:\n    - command: echo \"a b\n",
            "failed at splitting arguments, either an unbalanced jinja2 block or quotes: echo \"a b",
            (3, 7),
        ),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      when: {a: 1}\n", "'when' must be a conditional expression", (4, 13)),
        ("- hosts: all\n  tasks:\n    - block: []\n      register: x\n", "'register' is not a valid attribute for a Block", (4, 7)),
        ("- hosts: all\n  tasks:\n    - debug: [1]\n", "unexpected parameter type in action", (3, 7)),
        ("- hosts: all\n  become: maybe\n  tasks: []\n", "'become' is supposed to be a boolean", (2, 11)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n  name: x: y\n", "YAML parsing failed", (4, 10)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      tags: 1.5\n", "tags must be specified as a list", (4, 13)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      static: yes\n", "'static' is not a valid attribute for a Task", (4, 7)),
        ("- hosts: all\n  tasks:\n    - debug: msg=x\n      with_items:\n", "you must specify a value when using with_items", (3, 7)),
        ("- hosts: {a: 1}\n  tasks: []\n", "Hosts list must be a sequence or string.", (1, 10)),
        (
            "- hosts: all\n  tasks:\n    - debug:\n        _ansible_x: 1\n",
            "Invalid parameter specified beginning with keyword '_ansible_' for action 'debug': '_ansible_x'.",
            (3, 7),
        ),
    ];
    for (text, message, pos) in cases {
        let (e, at) = load_err(text);
        assert!(e.message.contains(message), "{text:?}: got {e}");
        assert_eq!(at, *pos, "{text:?}: {e}");
        assert!(
            e.to_string()
                .contains(&format!("site.yml:{}:{}", pos.0, pos.1)),
            "{e}"
        );
    }
}

#[test]
fn missing_and_empty_files() {
    let dir = temp_dir();
    let e = load_playbook(&dir.join("nope.yml"), &known)
        .err()
        .map(|e| e.to_string());
    assert!(e.is_some_and(|m| m.contains("nope.yml")));
    let path = write(&dir, "empty.yml", "");
    let e = load_playbook(&path, &known).err().map(|e| e.message);
    assert!(e.is_some_and(|m| m.starts_with("Empty playbook, nothing to do")));
}

#[test]
fn collection_names_of_native_modules_resolve_to_them() {
    use crate::keywords::canonical_action;
    assert_eq!(canonical_action("ansible.builtin.copy"), "copy");
    assert_eq!(canonical_action("ansible.legacy.shell"), "shell");
    assert_eq!(
        canonical_action("community.general.supervisorctl"),
        "supervisorctl"
    );
    assert_eq!(canonical_action("ansible.posix.sysctl"), "sysctl");
    assert_eq!(
        canonical_action("community.general.timezone"),
        "community.general.timezone"
    );
}
