//! Controller paths as ansible-core shows them.

use std::path::{Component, Path, PathBuf};

/// Python's `os.path.normpath`: `.` dropped and `..` folded into its parent, lexically
/// (symbolic links are not followed).
pub fn normpath(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_dots_lexically() {
        assert_eq!(
            normpath(Path::new("/a/b/../c/./d.yml")),
            PathBuf::from("/a/c/d.yml")
        );
        assert_eq!(normpath(Path::new("/..")), PathBuf::from("/"));
    }
}
