//! Where actions come from: the engine's own, modules from `library/` directories
//! (beside the playbook, in roles, `-M`, `ANSIBLE_LIBRARY`), then the built-ins. A
//! library module shadows a built-in of the same name, as in Ansible.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use drover_modules::Module;

/// The library directories of this run; like ANSIBLE_LIBRARY, one setting per process.
static LIBRARY: RwLock<Vec<PathBuf>> = RwLock::new(Vec::new());

/// Add library directories (kept in order, without duplicates).
pub fn add_library_dirs(dirs: impl IntoIterator<Item = PathBuf>) {
    let mut lib = LIBRARY.write().unwrap_or_else(|p| p.into_inner());
    for d in dirs {
        if d.is_dir() && !lib.contains(&d) {
            lib.push(d);
        }
    }
}

/// `library/` beside a playbook and in each role under its `roles/`.
pub fn playbook_library_dirs(playbook_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![playbook_dir.join("library")];
    if let Ok(entries) = std::fs::read_dir(playbook_dir.join("roles")) {
        let mut roles: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path().join("library")))
            .collect();
        roles.sort();
        dirs.extend(roles);
    }
    dirs
}

fn library() -> Vec<PathBuf> {
    LIBRARY.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// A module ready to run: a built-in, or an external one loaded from a library.
pub enum ModuleRef {
    Builtin(&'static dyn Module),
    External(Arc<dyn Module>),
}

impl std::ops::Deref for ModuleRef {
    type Target = dyn Module;
    fn deref(&self) -> &Self::Target {
        match self {
            ModuleRef::Builtin(m) => *m,
            ModuleRef::External(m) => m.as_ref(),
        }
    }
}

pub fn resolve(action: &str) -> Option<ModuleRef> {
    if let Some(path) = drover_modules::external::find_external(action, &library()) {
        return Some(ModuleRef::External(drover_modules::external::external(
            path,
        )));
    }
    drover_modules::find(action).map(ModuleRef::Builtin)
}

pub fn is_module(action: &str) -> bool {
    drover_modules::external::find_external(action, &library()).is_some()
        || drover_modules::find(action).is_some()
}
