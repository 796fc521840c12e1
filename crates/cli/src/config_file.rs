//! ansible.cfg: drover reads none (settings come from the environment), but says so.

use std::path::PathBuf;

/// The configuration file ansible-core would read, in its order: `ANSIBLE_CONFIG`
/// (a file, or a directory holding `ansible.cfg`), `./ansible.cfg`, `~/.ansible.cfg`,
/// `/etc/ansible/ansible.cfg`.
fn ansible_cfg() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("ANSIBLE_CONFIG").map(PathBuf::from) {
        candidates.push(if p.is_dir() { p.join("ansible.cfg") } else { p });
    }
    candidates.push(PathBuf::from("ansible.cfg"));
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".ansible.cfg"));
    }
    candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
    candidates.into_iter().find(|p| p.is_file())
}

/// What ansible-core says of its configuration file at `-v`, and a warning that one
/// which exists is not read.
pub(crate) fn announce(verbosity: u8) {
    match ansible_cfg() {
        Some(path) => eprintln!(
            "[WARNING]: drover does not read {}: set its options through ANSIBLE_* environment variables or command-line flags",
            path.display()
        ),
        None if verbosity > 0 => println!("No config file found; using defaults"),
        None => {}
    }
}
