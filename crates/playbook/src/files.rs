//! Task files (`include_tasks`, `import_tasks`, a role's `tasks/`) and variable files
//! (`vars_files`, `include_vars`, a role's `vars/` and `defaults/`).

use std::path::Path;

use drover_yaml::{Location, Node, NodeValue, SourceError};
use indexmap::IndexMap;
use serde_json::Value;

use crate::task::TaskParser;
use crate::value::Reader;
use crate::Task;

/// A file holding a list of tasks (an empty file holds none).
pub fn load_tasks_file(
    path: &Path,
    known_action: &dyn Fn(&str) -> bool,
) -> Result<Vec<Task>, SourceError> {
    let doc = drover_yaml::parse_path(path).map_err(|e| match e.missing {
        // ansible-core's words for a task file that is not there.
        true => {
            let shown =
                drover_yaml::normpath(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
            let access = format!(
                "Could not find or access '{}' on the Ansible Controller",
                shown.display()
            );
            SourceError {
                message: format!(
                    "{access}: Unable to retrieve file contents.\n{access}.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option: [Errno 2] No such file or directory: '{}'",
                    shown.display()
                ),
                ..e
            }
        }
        false => e,
    })?;
    let file = doc.file.clone();
    let location = |n: &Node| Location {
        file: file.clone(),
        pos: n.pos,
    };
    let parser = TaskParser {
        reader: Reader { file: &file },
        location: &location,
        known_action,
    };
    match &doc.root.value {
        NodeValue::Null => Ok(Vec::new()),
        NodeValue::Seq(items) => items.iter().map(|t| parser.task(t)).collect(),
        _ => Err(parser.reader.err(
            &doc.root,
            format!(
                "A malformed block was encountered while loading a block: the tasks file must hold a list of tasks, not {}",
                doc.root.kind_name()
            ),
        )),
    }
}

/// A file holding a mapping of variables (an empty file holds none).
pub fn load_vars_file(path: &Path) -> Result<IndexMap<String, Value>, SourceError> {
    let doc = drover_yaml::parse_path(path)?;
    let file = doc.file.clone();
    let reader = Reader { file: &file };
    match &doc.root.value {
        NodeValue::Null => Ok(IndexMap::new()),
        NodeValue::Map(_) => reader.vars("vars file", &doc.root),
        _ => Err(reader.err(
            &doc.root,
            format!("{} must be stored as a dictionary/hash", path.display()),
        )),
    }
}

/// `main.yml`, `main.yaml`, `main.json` or `main` in `dir` (Ansible's extension order).
pub fn main_file(dir: &Path, stem: &str) -> Option<std::path::PathBuf> {
    let has_ext = Path::new(stem).extension().is_some();
    let candidates: Vec<String> = if has_ext {
        vec![stem.to_string()]
    } else {
        ["", ".yml", ".yaml", ".json"]
            .iter()
            .map(|e| format!("{stem}{e}"))
            .collect()
    };
    candidates
        .into_iter()
        .map(|c| dir.join(c))
        .find(|p| p.is_file())
}
