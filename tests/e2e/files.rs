//! The file tasks of the benchmark playbook (directory, copy, template, stat) over two
//! SSH hosts, twice: the first run changes every file, the second changes nothing.

use drover_testsupport::SshServer;

use crate::common::{inventory, recap, run, Scratch};

#[test]
fn bench_file_tasks_are_idempotent_on_two_hosts() {
    let servers = [SshServer::start(), SshServer::start()];
    let s = Scratch::new();
    s.trust(&servers.iter().collect::<Vec<_>>());
    s.write(
        "inv.ini",
        &inventory("bench", &[("b1", &servers[0]), ("b2", &servers[1])]),
    );
    std::fs::create_dir_all(s.path("templates")).unwrap();
    s.write(
        "templates/bench.j2",
        "# managed by bench playbook\nhost={{ inventory_hostname }}\nport={{ ansible_port }}\n{% for i in range(3) %}\nitem{{ i }}={{ bench_value }}-{{ i }}\n{% endfor %}\n",
    );
    let out_dir = s.out.display().to_string();
    s.write(
        "bench.yml",
        &format!(
            r#"- name: bench
  hosts: all
  gather_facts: false
  vars:
    bench_dir: "{out_dir}/{{{{ inventory_hostname }}}}"
    bench_value: "v1"
  tasks:
    - name: directory
      ansible.builtin.file:
        path: "{{{{ bench_dir }}}}"
        state: directory
        mode: "0755"
    - name: copy content
      ansible.builtin.copy:
        content: "hello from {{{{ inventory_hostname }}}}\n"
        dest: "{{{{ bench_dir }}}}/copied.txt"
        mode: "0644"
    - name: template
      ansible.builtin.template:
        src: templates/bench.j2
        dest: "{{{{ bench_dir }}}}/templated.txt"
        mode: "0644"
    - name: stat
      ansible.builtin.stat:
        path: "{{{{ bench_dir }}}}/copied.txt"
      register: st
    - name: debug
      ansible.builtin.debug:
        msg: "copied.txt size={{{{ st.stat.size }}}}"
"#
        ),
    );
    let first = run(s.drover().args(["play", "-i", "inv.ini", "bench.yml"]));
    assert_eq!(first.code, 0, "{}", first.show());
    for h in ["b1", "b2"] {
        assert!(
            first.stdout.contains(&recap(h, [5, 3, 0, 0, 0, 0, 0])),
            "{}",
            first.show()
        );
        assert!(
            first
                .stdout
                .contains(&format!("\"msg\": \"copied.txt size={}\"", 12 + h.len())),
            "{}",
            first.show()
        );
        let dir = s.out.join(h);
        assert_eq!(
            std::fs::read_to_string(dir.join("copied.txt")).unwrap(),
            format!("hello from {h}\n")
        );
        let port = if h == "b1" {
            servers[0].port
        } else {
            servers[1].port
        };
        assert_eq!(
            std::fs::read_to_string(dir.join("templated.txt")).unwrap(),
            format!("# managed by bench playbook\nhost={h}\nport={port}\nitem0=v1-0\nitem1=v1-1\nitem2=v1-2\n")
        );
    }
    let second = run(s.drover().args(["play", "-i", "inv.ini", "bench.yml"]));
    assert_eq!(second.code, 0, "{}", second.show());
    for h in ["b1", "b2"] {
        assert!(
            second.stdout.contains(&recap(h, [5, 0, 0, 0, 0, 0, 0])),
            "{}",
            second.show()
        );
    }
    // --check --diff after a drift: reported, not repaired.
    std::fs::write(s.out.join("b1/copied.txt"), "drift\n").unwrap();
    let check = run(s
        .drover()
        .args(["play", "-i", "inv.ini", "bench.yml", "--check", "--diff"]));
    assert_eq!(check.code, 0, "{}", check.show());
    assert!(
        check.stdout.contains("-drift\n+hello from b1"),
        "{}",
        check.show()
    );
    assert!(
        check.stdout.contains(&recap("b1", [5, 1, 0, 0, 0, 0, 0])),
        "{}",
        check.show()
    );
    assert_eq!(
        std::fs::read_to_string(s.out.join("b1/copied.txt")).unwrap(),
        "drift\n"
    );
}
