//! Plays over several SSH hosts: registered results, a failing host, an unreachable one.

use drover_testsupport::SshServer;

use crate::common::{closed_port, inventory, recap, run, Scratch};

#[test]
fn registered_results_flow_between_tasks_on_three_hosts() {
    let servers = [SshServer::start(), SshServer::start(), SshServer::start()];
    let s = Scratch::new();
    s.trust(&servers.iter().collect::<Vec<_>>());
    s.write(
        "inv.ini",
        &inventory(
            "web",
            &[
                ("h1", &servers[0]),
                ("h2", &servers[1]),
                ("h3", &servers[2]),
            ],
        ),
    );
    s.write(
        "site.yml",
        &format!(
            r#"- name: three hosts
  hosts: web
  gather_facts: false
  vars:
    out_dir: {out}
  tasks:
    - name: who am i
      command: id -un
      register: who
    - name: write a file named after the host
      shell: echo "{{{{ who.stdout }}}} {{{{ inventory_hostname }}}}" > {{{{ out_dir }}}}/{{{{ inventory_hostname }}}}.txt
    - name: show
      debug:
        msg: "{{{{ inventory_hostname }}}} is {{{{ who.stdout }}}}"
    - name: not on h2
      command: /bin/true
      when: inventory_hostname != 'h2'
    - name: loop
      command: echo {{{{ item }}}}
      loop: [a, b]
      register: looped
    - name: use loop results
      debug:
        msg: "{{{{ looped.results | map(attribute='stdout') | join(',') }}}}"
"#,
            out = s.out.display()
        ),
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    let user = &servers[0].user;
    assert!(
        out.stdout.contains("\nPLAY [three hosts] ****"),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&format!(
            "ok: [h1] => {{\n    \"msg\": \"h1 is {user}\"\n}}"
        )),
        "{}",
        out.show()
    );
    assert!(out.stdout.contains("skipping: [h2]\n"), "{}", out.show());
    assert!(
        out.stdout.contains("changed: [h3] => (item=b)\n"),
        "{}",
        out.show()
    );
    assert!(out.stdout.contains("\"msg\": \"a,b\""), "{}", out.show());
    for h in ["h1", "h3"] {
        assert!(
            out.stdout.contains(&recap(h, [6, 4, 0, 0, 0, 0, 0])),
            "{}",
            out.show()
        );
    }
    assert!(
        out.stdout.contains(&recap("h2", [5, 3, 0, 0, 1, 0, 0])),
        "{}",
        out.show()
    );
    for h in ["h1", "h2", "h3"] {
        let text = std::fs::read_to_string(s.out.join(format!("{h}.txt"))).unwrap();
        assert_eq!(text, format!("{user} {h}\n"));
    }
}

#[test]
fn a_failing_host_drops_out_while_the_others_finish() {
    let servers = [SshServer::start(), SshServer::start(), SshServer::start()];
    let s = Scratch::new();
    s.trust(&servers.iter().collect::<Vec<_>>());
    s.write(
        "inv.ini",
        &inventory(
            "web",
            &[
                ("h1", &servers[0]),
                ("h2", &servers[1]),
                ("h3", &servers[2]),
            ],
        ),
    );
    s.write(
        "site.yml",
        &format!(
            r#"- hosts: web
  gather_facts: false
  tasks:
    - name: fails on h2
      command: "{{{{ '/bin/false' if inventory_hostname == 'h2' else '/bin/true' }}}}"
    - name: after
      command: touch {out}/{{{{ inventory_hostname }}}}.after
"#,
            out = s.out.display()
        ),
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 2, "{}", out.show());
    assert!(
        out.stdout.contains(
            r#"fatal: [h2]: FAILED! => {"changed": true, "cmd": ["/bin/false"], "delta": "#
        ),
        "{}",
        out.show()
    );
    assert!(
        out.stdout
            .contains(r#""msg": "non-zero return code", "rc": 1"#),
        "{}",
        out.show()
    );
    assert!(
        out.stdout
            .contains("[ERROR]: Task failed: Module failed: non-zero return code"),
        "{}",
        out.show()
    );
    assert!(out.stdout.contains("site.yml:4:7"), "{}", out.show());
    assert!(
        out.stdout.contains(&recap("h1", [2, 2, 0, 0, 0, 0, 0])),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&recap("h2", [0, 0, 0, 1, 0, 0, 0])),
        "{}",
        out.show()
    );
    assert!(s.out.join("h1.after").exists() && s.out.join("h3.after").exists());
    assert!(
        !s.out.join("h2.after").exists(),
        "a failed host must not run later tasks"
    );
}

#[test]
fn an_unreachable_host_is_reported_and_wins_the_exit_code() {
    let servers = [SshServer::start(), SshServer::start()];
    let s = Scratch::new();
    s.trust(&[&servers[0], &servers[1]]);
    let mut inv = inventory("web", &[("h1", &servers[0]), ("h3", &servers[1])]);
    inv.push_str(&format!(
        "h2 ansible_host=127.0.0.1 ansible_port={} ansible_user={}\n",
        closed_port(),
        servers[0].user
    ));
    s.write("inv.ini", &inv);
    s.write(
        "site.yml",
        r#"- hosts: web
  gather_facts: false
  tasks:
    - ping:
    - name: fails on h3
      command: /bin/false
      when: inventory_hostname == 'h3'
    - name: after
      command: /bin/true
"#,
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 4, "unreachable wins over failed: {}", out.show());
    assert!(
        out.stdout.contains(r#"fatal: [h2]: UNREACHABLE! => {"changed": false, "msg": "Task failed: Failed to connect to the host via ssh: "#),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(r#""unreachable": true}"#),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&recap("h1", [2, 1, 0, 0, 1, 0, 0])),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&recap("h2", [0, 0, 1, 0, 0, 0, 0])),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&recap("h3", [1, 0, 0, 1, 0, 0, 0])),
        "{}",
        out.show()
    );
}

#[test]
fn background_jobs_and_retries_over_ssh() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    s.write(
        "site.yml",
        r#"- hosts: web
  gather_facts: false
  tasks:
    - name: start in the background
      shell: sleep 1; echo "done $HOME"
      async: 30
      poll: 0
      register: job
    - name: wait for it
      async_status:
        jid: "{{ job.ansible_job_id }}"
      register: st
      until: st.finished
      retries: 20
      delay: 0.5
    - name: a deadline that is met
      command: sleep 0.2
      async: 10
      poll: 1
    - debug:
        msg: "{{ st.stdout }} rc={{ st.rc }}"
"#,
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout
            .contains("FAILED - RETRYING: [h1]: wait for it (20 retries left)."),
        "{}",
        out.show()
    );
    assert!(
        out.stdout
            .contains(&format!("\"msg\": \"done /home/{} rc=0\"", server.user))
            || out.stdout.contains("\"msg\": \"done /"),
        "{}",
        out.show()
    );
}

/// `poll: 0` on a module other than the command family: the module runs as a job on
/// the controller while the play goes on (here `wait_for` waits for a file the next
/// task creates), `async_status` gives its result, and a job nobody waits for still
/// finishes before drover exits.
#[test]
fn any_module_runs_in_the_background_with_poll_zero() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    s.write(
        "site.yml",
        &format!(
            r#"- hosts: web
  gather_facts: false
  tasks:
    - name: wait for a flag in the background
      wait_for:
        path: {out}/flag
        timeout: 30
      async: 60
      poll: 0
      register: waiter
    - name: the play goes on meanwhile
      file:
        path: {out}/flag
        state: touch
    - name: the job saw the flag
      async_status:
        jid: "{{{{ waiter.ansible_job_id }}}}"
      register: st
      until: st.finished
      retries: 40
      delay: 0.25
    - debug:
        msg: "job {{{{ waiter.started }}}}/{{{{ waiter.finished }}}}, then {{{{ st.finished }}}} {{{{ st.path }}}} failed={{{{ st.failed | default(false) }}}}"
    - name: left running
      copy:
        content: "written by a job\n"
        dest: {out}/late.txt
      async: 30
      poll: 0
"#,
            out = s.out.display()
        ),
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    let expected = format!(
        "\"msg\": \"job True/False, then True {}/flag failed=False\"",
        s.out.display()
    );
    assert!(out.stdout.contains(&expected), "{}", out.show());
    assert_eq!(
        std::fs::read_to_string(s.out.join("late.txt"))
            .ok()
            .as_deref(),
        Some("written by a job\n"),
        "{}",
        out.show()
    );
}

#[test]
fn a_module_in_library_beside_the_playbook_runs_on_the_host() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    s.library_module(
        "whoami_mod",
        "#!/bin/sh\n# Ansible's non-Python protocol: $1 holds key=value arguments.\n. \"$1\"\nprintf '{\"changed\": false, \"user\": \"%s\", \"greeting\": \"%s\"}\\n' \"$(id -un)\" \"$greeting\"\n",
    );
    s.write(
        "site.yml",
        "- hosts: web\n  gather_facts: false\n  tasks:\n    - whoami_mod: greeting=hi\n      register: r\n    - debug:\n        msg: \"{{ r.greeting }} from {{ r.user }}\"\n",
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout
            .contains(&format!("\"msg\": \"hi from {}\"", server.user)),
        "{}",
        out.show()
    );
}

/// A host whose SSH connection dies (a reboot, sshd restarted) is reached again by
/// `wait_for_connection`, and the tasks after it use the fresh connection;
/// `meta: reset_connection` also opens a new one.
#[test]
fn wait_for_connection_reconnects_after_the_connection_dies() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    s.write(
        "site.yml",
        r#"- hosts: web
  gather_facts: false
  tasks:
    - name: the session process of this connection
      command: sh -c 'echo $PPID'
      register: first
    - name: kill it (as a reboot would); the task cannot answer
      command: kill -9 {{ first.stdout }}
      ignore_unreachable: true
    - wait_for_connection:
        timeout: 20
    - name: a new session
      command: sh -c 'echo $PPID'
      register: second
    - meta: reset_connection
    - name: another new session
      command: sh -c 'echo $PPID'
      register: third
    - debug:
        msg: "{{ first.stdout != second.stdout and second.stdout != third.stdout }}"
"#,
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(out.stdout.contains("\"msg\": true"), "{}", out.show());
}

/// `strategy: free`: a slow host does not hold the others back. h1 waits in its first
/// task until h2 has finished the whole play (it would time out in lockstep), and the
/// banners follow the results, shown again when another task's lines came between
/// (h1 lingers a second after h2's file appears, so that h2's result is shown first).
#[test]
fn the_free_strategy_lets_each_host_run_at_its_own_pace() {
    let servers = [SshServer::start(), SshServer::start()];
    let s = Scratch::new();
    s.trust(&servers.iter().collect::<Vec<_>>());
    s.write(
        "inv.ini",
        &inventory("web", &[("h1", &servers[0]), ("h2", &servers[1])]),
    );
    s.write(
        "site.yml",
        &format!(
            r#"- hosts: web
  gather_facts: false
  strategy: free
  tasks:
    - name: wait for h2 to finish
      shell: for i in $(seq 100); do test -e {out}/h2-done && sleep 1 && exit 0; sleep 0.1; done; exit 1
      when: inventory_hostname == 'h1'
    - name: mark done
      command: touch {out}/{{{{ inventory_hostname }}}}-done
      run_once: true
"#,
            out = s.out.display()
        ),
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(s.out.join("h1-done").exists(), "{}", out.show());
    assert_eq!(
        out.stdout.matches("TASK [mark done]").count(),
        2,
        "run_once runs on every host, each under its own banner: {}",
        out.show()
    );
    assert!(
        out.stderr
            .contains("Using run_once with the free strategy is not currently supported"),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&recap("h1", [2, 2, 0, 0, 0, 0, 0])),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&recap("h2", [1, 1, 0, 0, 1, 0, 0])),
        "{}",
        out.show()
    );
}
