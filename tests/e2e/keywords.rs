//! Play keywords inherited by every task (check_mode, module_defaults, run_once, no_log,
//! throttle), delegate_facts, loops that see earlier items' facts, and roles a host
//! runs once it has completed them.

use crate::common::{recap, run, Scratch};

#[test]
fn play_keywords_reach_every_task() {
    let s = Scratch::new();
    s.write(
        "inv.ini",
        "a ansible_connection=local\nb ansible_connection=local\n",
    );
    let out_dir = s.out.display().to_string();
    s.write(
        "site.yml",
        &format!(
            r#"- hosts: all
  gather_facts: false
  check_mode: true
  no_log: true
  throttle: 1
  module_defaults:
    ansible.builtin.file:
      state: touch
  tasks:
    - file:
        path: "{out_dir}/{{{{ inventory_hostname }}}}-checked"
    - command: echo secret-output
      register: hidden
    - assert:
        that:
          # `ansible_check_mode` is --check only, as in ansible-core.
          - not ansible_check_mode
          - hidden is skipped or hidden.msg is defined
- hosts: all
  gather_facts: false
  run_once: true
  tasks:
    - file:
        path: "{out_dir}/once-{{{{ inventory_hostname }}}}"
        state: touch
    - set_fact:
        "fact_{{{{ item }}}}": "{{{{ (fact_1 | default(0)) + item }}}}"
      loop: [1, 2]
      run_once: false
    - assert:
        that: fact_2 == 3
      run_once: false
    - setup:
      delegate_to: b
      delegate_facts: true
      run_once: false
      when: inventory_hostname == 'a'
    - assert:
        that: hostvars['b'].ansible_facts.hostname is defined
      run_once: false
"#
        ),
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    for h in ["a", "b"] {
        assert!(
            !s.out.join(format!("{h}-checked")).exists(),
            "check_mode: {}",
            out.show()
        );
    }
    // run_once on the play: only the first host ran the task.
    assert!(s.out.join("once-a").exists(), "{}", out.show());
    assert!(!s.out.join("once-b").exists(), "{}", out.show());
    assert!(
        !out.stdout.contains("secret-output"),
        "no_log: {}",
        out.show()
    );
    // The counts ansible-playbook 2.19 gives for this playbook.
    assert!(
        out.stdout.contains(&recap("a", [7, 2, 0, 0, 1, 0, 0])),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&recap("b", [5, 1, 0, 0, 2, 0, 0])),
        "{}",
        out.show()
    );
}

#[test]
fn a_role_runs_again_only_until_a_host_completed_it() {
    let s = Scratch::new();
    s.write("inv.ini", "a ansible_connection=local\n");
    std::fs::create_dir_all(s.path("roles/r/tasks")).unwrap();
    s.write("roles/r/tasks/main.yml", "- debug:\n    msg: role r ran\n");
    std::fs::create_dir_all(s.path("roles/setter/tasks")).unwrap();
    s.write(
        "roles/setter/tasks/main.yml",
        "- set_fact:\n    ready: true\n",
    );
    s.write(
        "site.yml",
        r#"- hosts: all
  gather_facts: false
  roles:
    - role: r
      when: ready is defined
    - role: setter
    - role: r
      when: ready is defined
    - role: r
      when: ready is defined
"#,
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    // Skipped the first time (not completed), run the second, deduplicated the third.
    assert_eq!(
        out.stdout.matches("\"msg\": \"role r ran\"").count(),
        1,
        "{}",
        out.show()
    );
}

/// A no_log task shows nothing of its result, not even a failure's message (where
/// ansible-core prints it), at any verbosity, in a loop or not.
#[test]
fn no_log_keeps_secrets_out_of_failures_at_any_verbosity() {
    let s = Scratch::new();
    s.write(
        "site.yml",
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - fail:
        msg: "pw={{ password }}"
      no_log: true
      ignore_errors: true
    - fail:
        msg: "{{ item }} {{ password }}"
      loop: [a, b]
      no_log: true
      ignore_errors: true
    - command: "echo {{ password }}"
      no_log: true
      register: hidden
    - debug:
        msg: "{{ hidden.stdout | length }}"
"#,
    );
    s.write("secret.yml", "password: s3cr3t-value\n");
    let out = run(s
        .drover()
        .args(["play", "-vvv", "-e", "@secret.yml", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(out.stdout.contains("\"msg\": 12"), "{}", out.show());
    assert!(
        !out.stdout.contains("s3cr3t") && !out.stderr.contains("s3cr3t"),
        "{}",
        out.show()
    );
    assert!(out.stdout.contains("ignored=2"), "{}", out.show());
}

/// Under the free strategy any_errors_fatal and max_fail_percentage do not stop the
/// other hosts; ansible-core says so in warnings.
#[test]
fn the_free_strategy_warns_that_failure_limits_do_not_apply() {
    let s = Scratch::new();
    s.write(
        "inv.ini",
        "a ansible_connection=local\nb ansible_connection=local\n",
    );
    s.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  strategy: free\n  any_errors_fatal: true\n  max_fail_percentage: 0\n  tasks:\n    - fail: msg=boom\n      when: inventory_hostname == 'a'\n    - debug: msg=after\n",
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 2, "{}", out.show());
    for limit in ["any_errors_fatal", "max_fail_percentage"] {
        assert!(
            out.stderr.contains(&format!(
                "[WARNING]: Using {limit} with the free strategy is not supported"
            )),
            "{}",
            out.show()
        );
    }
    assert!(
        out.stdout.contains(&recap("b", [1, 0, 0, 0, 1, 0, 0])),
        "{}",
        out.show()
    );
}
