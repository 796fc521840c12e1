//! Ansible's filters.

use minijinja::Environment;

pub(crate) fn register(env: &mut Environment<'static>) {
    let _ = env;
}
