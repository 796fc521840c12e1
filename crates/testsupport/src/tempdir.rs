use std::path::{Path, PathBuf};

/// A directory removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", crate::unique()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("testsupport: cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A temporary HOME with an empty `.ssh/` (mode 700), for known_hosts and
/// ssh config tests.
pub fn drover_home() -> TempDir {
    let home = TempDir::new("drover-home");
    let ssh = home.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap_or_else(|e| panic!("testsupport: mkdir .ssh: {e}"));
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o700));
    home
}
