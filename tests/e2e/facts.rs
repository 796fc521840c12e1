//! Fact gathering keywords over SSH: the play's `fact_path` (and `gather_subset`) reach
//! the implicit fact gathering; local facts (`ansible_local`) are read from the
//! directory's `*.fact` files as ansible-core reads them.

use drover_testsupport::SshServer;

use crate::common::{inventory, run, Scratch};

#[test]
fn fact_path_reads_local_facts_from_the_host() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    s.write(
        "site.yml",
        r##"- hosts: web
  gather_facts: false
  tasks:
    - file: {path: ~/drover-facts.d, state: absent}
    - file: {path: ~/drover-facts.d, state: directory}
    - copy: {dest: "~/drover-facts.d/{{ item.name }}", content: "{{ item.content }}", mode: "{{ item.mode }}"}
      loop:
        - {name: data.fact, mode: "0644", content: '{"a": [1, "x"]}'}
        - {name: conf.fact, mode: "0644", content: "[sec]\nKey = v1\nother: %(key)s!\n  more\n"}
        - {name: run.fact, mode: "0755", content: "#!/bin/sh\necho '{\"ran\": true}'\n"}
        - {name: fail.fact, mode: "0755", content: "#!/bin/sh\necho oops >&2\nexit 3\n"}
        - {name: bad.fact, mode: "0644", content: "not json, not ini\n"}
        - {name: empty.fact, mode: "0644", content: ""}
        - {name: ignored.txt, mode: "0644", content: "{}"}

- hosts: web
  gather_subset: ["!all"]
  fact_path: "{{ facts_dir }}"
  vars:
    facts_dir: ~/drover-facts.d
  tasks:
    - assert:
        that:
          - 'ansible_local.data == {"a": [1, "x"]}'
          - 'ansible_local.conf == {"sec": {"key": "v1", "other": "v1!\nmore"}}'
          - 'ansible_local.run == {"ran": true}'
          - 'ansible_local.fail is match("Failure executing fact script [(]/.*/drover-facts.d/fail.fact[)], rc: 3, err: oops")'
          - 'ansible_local.bad is match("error loading facts as JSON or ini - please check content: /.*/bad.fact$")'
          - "ansible_local.empty == {}"
          - ansible_local | length == 6
          # !all keeps the minimal subset only
          - ansible_memtotal_mb is undefined
    - setup: {fact_path: /nonexistent/facts.d, gather_subset: ["!all"]}
      register: nofacts
    - assert:
        that: nofacts.ansible_facts.ansible_local == {}
    - file: {path: ~/drover-facts.d, state: absent}
"##,
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stderr
            .contains("[WARNING]: Failure executing fact script (")
            && out
                .stderr
                .contains("/drover-facts.d/fail.fact), rc: 3, err: oops\n"),
        "{}",
        out.show()
    );
    assert!(
        out.stderr
            .contains("[WARNING]: error loading facts as JSON or ini - please check content: "),
        "{}",
        out.show()
    );
}

/// Gathered facts as ansible-core keeps them: `ansible_facts` without the `ansible_`
/// prefix (but with `ansible_local`), variables under the names the module gave
/// (`gather_subset`, a module's own `factsone`), and `module_defaults` of
/// `gather_facts` over those of `setup` for both the implicit gathering and the task.
#[test]
fn gathered_facts_are_named_and_defaulted_as_ansible_core_does() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    s.library_module(
        "facts_mod",
        "#!/bin/sh\necho '{\"changed\": false, \"ansible_facts\": {\"factsone\": 1, \"ansible_two\": 2}}'\n",
    );
    s.write(
        "site.yml",
        r#"- hosts: web
  vars:
    subset: ["!all", "!min", "env", "local"]
  module_defaults:
    setup:
      gather_subset: "{{ subset }}"
  tasks:
    - assert:
        that:
          - ansible_facts.gather_subset == subset
          - gather_subset == subset
          - module_setup
          - ansible_facts._ansible_facts_gathered
          - _ansible_facts_gathered is undefined
          - ansible_facts.ansible_local is defined
          - ansible_facts.local is undefined
    - facts_mod:
    - assert:
        that:
          - factsone == 1 and ansible_factsone is undefined
          - ansible_two == 2 and ansible_facts.two == 2
    - gather_facts:
      module_defaults:
        setup: {gather_subset: "!all"}
        gather_facts: {gather_subset: min}
    - assert:
        that: gather_subset == ["min"]
"#,
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
}
