//! Documentation of the built-in modules: one YAML file per module in `modules/docs/`
//! (options with types, defaults and choices; examples; return values), compiled into
//! the binary for `drover doc`. Adding a module's docs is one line here.

/// (module name, its documentation YAML), sorted by name. Every registered module has an
/// entry: the tests fail for a module added without its documentation.
static DOCS: &[(&str, &str)] = &[
    ("add_host", include_str!("../docs/add_host.yml")),
    ("apt", include_str!("../docs/apt.yml")),
    ("assert", include_str!("../docs/assert.yml")),
    ("async_status", include_str!("../docs/async_status.yml")),
    ("authorized_key", include_str!("../docs/authorized_key.yml")),
    ("blockinfile", include_str!("../docs/blockinfile.yml")),
    ("command", include_str!("../docs/command.yml")),
    ("copy", include_str!("../docs/copy.yml")),
    ("cron", include_str!("../docs/cron.yml")),
    ("debug", include_str!("../docs/debug.yml")),
    ("fail", include_str!("../docs/fail.yml")),
    ("fetch", include_str!("../docs/fetch.yml")),
    ("file", include_str!("../docs/file.yml")),
    ("find", include_str!("../docs/find.yml")),
    ("gather_facts", include_str!("../docs/gather_facts.yml")),
    ("get_url", include_str!("../docs/get_url.yml")),
    ("getent", include_str!("../docs/getent.yml")),
    ("git", include_str!("../docs/git.yml")),
    ("group", include_str!("../docs/group.yml")),
    ("group_by", include_str!("../docs/group_by.yml")),
    ("hostname", include_str!("../docs/hostname.yml")),
    ("include_vars", include_str!("../docs/include_vars.yml")),
    ("lineinfile", include_str!("../docs/lineinfile.yml")),
    ("package", include_str!("../docs/package.yml")),
    ("pause", include_str!("../docs/pause.yml")),
    ("ping", include_str!("../docs/ping.yml")),
    ("pip", include_str!("../docs/pip.yml")),
    ("raw", include_str!("../docs/raw.yml")),
    ("replace", include_str!("../docs/replace.yml")),
    ("script", include_str!("../docs/script.yml")),
    ("service", include_str!("../docs/service.yml")),
    ("set_fact", include_str!("../docs/set_fact.yml")),
    ("setup", include_str!("../docs/setup.yml")),
    ("shell", include_str!("../docs/shell.yml")),
    ("slurp", include_str!("../docs/slurp.yml")),
    ("stat", include_str!("../docs/stat.yml")),
    ("supervisorctl", include_str!("../docs/supervisorctl.yml")),
    ("sysctl", include_str!("../docs/sysctl.yml")),
    ("systemd", include_str!("../docs/systemd.yml")),
    (
        "systemd_service",
        include_str!("../docs/systemd_service.yml"),
    ),
    ("tempfile", include_str!("../docs/tempfile.yml")),
    ("template", include_str!("../docs/template.yml")),
    ("unarchive", include_str!("../docs/unarchive.yml")),
    ("uri", include_str!("../docs/uri.yml")),
    ("user", include_str!("../docs/user.yml")),
    ("wait_for", include_str!("../docs/wait_for.yml")),
    (
        "wait_for_connection",
        include_str!("../docs/wait_for_connection.yml"),
    ),
];

/// The documentation YAML of module `name` (short name, or `ansible.builtin.NAME` etc.).
pub fn doc(name: &str) -> Option<&'static str> {
    let short = name.rsplit('.').next().unwrap_or(name);
    DOCS.iter().find(|(n, _)| *n == short).map(|(_, d)| *d)
}

/// Every documented module's name.
pub fn documented() -> impl Iterator<Item = &'static str> {
    DOCS.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_registered_module_is_documented_under_its_name() {
        for name in crate::names() {
            let text = super::doc(name).unwrap_or_else(|| panic!("no docs for module {name}"));
            assert!(
                text.starts_with(&format!("module: {name}\n")),
                "docs/{name}.yml names another module"
            );
        }
        assert_eq!(super::doc("ansible.builtin.apt"), super::doc("apt"));
    }
}
