//! The modules and actions ansible-core 2.19 ships as `ansible.builtin`. A task naming
//! one that drover does not implement still loads (as in Ansible, where it exists), so
//! a playbook whose `when:` never selects it runs; the task fails when it runs.

const ANSIBLE_BUILTIN: &[&str] = &[
    "add_host",
    "apt",
    "apt_key",
    "apt_repository",
    "assemble",
    "assert",
    "async_status",
    "blockinfile",
    "command",
    "copy",
    "cron",
    "deb822_repository",
    "debconf",
    "debug",
    "dnf",
    "dnf5",
    "dpkg_selections",
    "expect",
    "fail",
    "fetch",
    "file",
    "find",
    "gather_facts",
    "get_url",
    "getent",
    "git",
    "group",
    "group_by",
    "hostname",
    "import_playbook",
    "import_role",
    "import_tasks",
    "include_role",
    "include_tasks",
    "include_vars",
    "iptables",
    "known_hosts",
    "lineinfile",
    "meta",
    "mount_facts",
    "package",
    "package_facts",
    "pause",
    "ping",
    "pip",
    "raw",
    "reboot",
    "replace",
    "rpm_key",
    "script",
    "service",
    "service_facts",
    "set_fact",
    "set_stats",
    "setup",
    "shell",
    "slurp",
    "stat",
    "subversion",
    "systemd",
    "systemd_service",
    "sysvinit",
    "tempfile",
    "template",
    "unarchive",
    "uri",
    "user",
    "validate_argument_spec",
    "wait_for",
    "wait_for_connection",
    "yum_repository",
];

/// Whether `name` (short form) is a module or action of ansible-core itself.
pub fn is_ansible_builtin(name: &str) -> bool {
    ANSIBLE_BUILTIN.contains(&name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_drover_builtin_of_ansible_core_is_listed() {
        // drover's own modules from other collections are not ansible.builtin.
        let others = [
            "supervisorctl",
            "sysctl",
            "authorized_key",
            "win_command",
            "win_shell",
        ];
        for name in crate::names().filter(|n| !others.contains(n)) {
            assert!(super::is_ansible_builtin(name), "{name}");
        }
        assert!(super::is_ansible_builtin("dnf"));
        assert!(!super::is_ansible_builtin("debugg"));
    }
}
