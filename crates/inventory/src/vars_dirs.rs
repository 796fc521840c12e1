//! `group_vars/` and `host_vars/` directories, read as ansible's host_group_vars
//! plugin reads them: for an entity NAME the first of `NAME` (file or directory),
//! `NAME.yml`, `NAME.yaml`, `NAME.json`; a directory contributes its files
//! (recursively, sorted, skipping hidden and `~` backups). Only entities that
//! exist are looked up, so a broken file for an unknown group is never read.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use drover_yaml::{NodeValue, SourceFile};
use serde_json::Value;

use crate::error::InventoryError;
use crate::model::Vars;

const EXTENSIONS: [&str; 4] = ["", ".yml", ".yaml", ".json"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Group,
    Host,
}

/// Names found in one `group_vars/` or `host_vars/` directory (listed once, so a
/// large inventory does not stat four candidate paths per host).
#[derive(Debug, Default, Clone)]
struct Listing {
    dir: PathBuf,
    /// Entry name -> whether it is a directory.
    entries: HashMap<String, bool>,
}

impl Listing {
    fn read(dir: PathBuf, warnings: &mut Vec<String>) -> Result<Option<Listing>, InventoryError> {
        match fs::metadata(&dir) {
            Err(_) => return Ok(None),
            Ok(meta) if !meta.is_dir() => {
                let kind = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                warnings.push(format!(
                    "Found {kind} that is not a directory, skipping: {}",
                    dir.display()
                ));
                return Ok(None);
            }
            Ok(_) => {}
        }
        let mut entries = HashMap::new();
        for entry in fs::read_dir(&dir).map_err(|e| InventoryError::io(&dir, e))? {
            let entry = entry.map_err(|e| InventoryError::io(&dir, e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let is_dir = fs::metadata(entry.path())
                .map(|m| m.is_dir())
                .unwrap_or(false);
            entries.insert(name, is_dir);
        }
        Ok(Some(Listing { dir, entries }))
    }

    /// The files holding NAME's variables, in load order.
    fn files_for(&self, name: &str) -> Result<Vec<PathBuf>, InventoryError> {
        for ext in EXTENSIONS {
            let candidate = format!("{name}{ext}");
            if let Some(is_dir) = self.entries.get(&candidate) {
                let path = self.dir.join(&candidate);
                return if *is_dir {
                    dir_files(&path)
                } else {
                    Ok(vec![path])
                };
            }
        }
        Ok(Vec::new())
    }
}

fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, InventoryError> {
    let mut names: Vec<String> = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| InventoryError::io(dir, e))? {
        let entry = entry.map_err(|e| InventoryError::io(dir, e))?;
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    names.sort();
    let mut found = Vec::new();
    for name in names {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = dir.join(&name);
        let ext = python_splitext_ext(&name);
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() && ext.is_empty() {
            found.extend(dir_files(&path)?);
        } else if meta.is_file() && EXTENSIONS.contains(&ext) {
            found.push(path);
        }
    }
    Ok(found)
}

/// The extension as Python's os.path.splitext sees it (leading dots do not count).
fn python_splitext_ext(name: &str) -> &str {
    let stem_start = name.len() - name.trim_start_matches('.').len();
    match name[stem_start..].rfind('.') {
        Some(i) => &name[stem_start + i..],
        None => "",
    }
}

/// Reads one vars file: a mapping, or nothing for an empty file.
pub fn load_vars_file(path: &Path) -> Result<Option<Vars>, InventoryError> {
    let file = SourceFile::read(path)?;
    if file.text.trim_start().starts_with("$ANSIBLE_VAULT") {
        return Err(InventoryError::invalid(
            path,
            "vault-encrypted variable files are not supported",
        ));
    }
    let doc = drover_yaml::parse(file)?;
    let empty = match &doc.root.value {
        NodeValue::Null => true,
        NodeValue::Map(m) => m.is_empty(),
        NodeValue::Seq(s) => s.is_empty(),
        NodeValue::Str(s) => s.is_empty(),
        NodeValue::Bool(b) => !*b,
        NodeValue::Int(i) => *i == 0,
        NodeValue::Float(f) => *f == 0.0,
    };
    // ansible ignores any empty (falsy) document.
    if empty {
        return Ok(None);
    }
    match doc.root.to_json() {
        Value::Object(map) => Ok(Some(map.into_iter().collect())),
        _ => Err(InventoryError::Yaml(doc.error_at(
            &doc.root,
            format!(
                "failed to combine variables, expected dicts but got {} here",
                doc.root.kind_name()
            ),
        ))),
    }
}

/// The variables a directory's `group_vars/` and `host_vars/` give each entity.
#[derive(Debug, Clone)]
pub struct VarsDir {
    groups: Option<Listing>,
    hosts: Option<Listing>,
    group_vars: HashMap<String, Vars>,
    host_vars: HashMap<String, Vars>,
}

impl VarsDir {
    pub fn open(root: &Path, warnings: &mut Vec<String>) -> Result<VarsDir, InventoryError> {
        // ansible resolves the directory (symlinks included) before looking inside.
        let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        Ok(VarsDir {
            groups: Listing::read(root.join("group_vars"), warnings)?,
            hosts: Listing::read(root.join("host_vars"), warnings)?,
            group_vars: HashMap::new(),
            host_vars: HashMap::new(),
        })
    }

    /// Loads NAME's files once; later calls are free.
    pub fn load(&mut self, kind: Kind, name: &str) -> Result<(), InventoryError> {
        // Names that look like absolute paths (chroot hosts) are skipped, as ansible does.
        if name.starts_with('/') || name.is_empty() {
            return Ok(());
        }
        let (listing, store) = match kind {
            Kind::Group => (&self.groups, &mut self.group_vars),
            Kind::Host => (&self.hosts, &mut self.host_vars),
        };
        let Some(listing) = listing else {
            return Ok(());
        };
        if store.contains_key(name) {
            return Ok(());
        }
        let mut vars = Vars::new();
        for file in listing.files_for(name)? {
            if let Some(more) = load_vars_file(&file)? {
                vars.extend(more);
            }
        }
        store.insert(name.to_string(), vars);
        Ok(())
    }

    pub fn get(&self, kind: Kind, name: &str) -> Option<&Vars> {
        let vars = match kind {
            Kind::Group => self.group_vars.get(name),
            Kind::Host => self.host_vars.get(name),
        };
        vars.filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splitext_matches_python() {
        assert_eq!(python_splitext_ext("a.yml"), ".yml");
        assert_eq!(python_splitext_ext("a.b.json"), ".json");
        assert_eq!(python_splitext_ext("plain"), "");
        assert_eq!(python_splitext_ext("foo."), ".");
    }

    #[test]
    fn first_candidate_wins_and_directories_merge_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let gv = dir.path().join("group_vars");
        fs::create_dir_all(gv.join("web/sub")).unwrap();
        fs::write(gv.join("web/b.yml"), "x: b\ny: b\n").unwrap();
        fs::write(gv.join("web/a.yml"), "x: a\n").unwrap();
        fs::write(gv.join("web/sub/c.yaml"), "z: c\n").unwrap();
        fs::write(gv.join("web/notes.txt"), "ignored: 1\n").unwrap();
        fs::write(gv.join("web/.hidden.yml"), "ignored: 1\n").unwrap();
        // Shadowed by the web/ directory.
        fs::write(gv.join("web.yml"), "shadowed: 1\n").unwrap();
        fs::write(gv.join("db.yaml"), "d: 1\n").unwrap();
        fs::write(gv.join("db.json"), "{\"d\": 2}").unwrap();
        let mut warnings = Vec::new();
        let mut vd = VarsDir::open(dir.path(), &mut warnings).unwrap();
        vd.load(Kind::Group, "web").unwrap();
        vd.load(Kind::Group, "db").unwrap();
        vd.load(Kind::Group, "none").unwrap();
        let web = vd.get(Kind::Group, "web").unwrap();
        assert_eq!(
            serde_json::to_value(web).unwrap(),
            json!({"x": "b", "y": "b", "z": "c"})
        );
        assert_eq!(vd.get(Kind::Group, "db").unwrap()["d"], json!(1));
        assert!(vd.get(Kind::Group, "none").is_none());
        assert!(warnings.is_empty());
    }

    #[test]
    fn non_mapping_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("host_vars")).unwrap();
        fs::write(dir.path().join("host_vars/h1.yml"), "- a\n- b\n").unwrap();
        fs::write(dir.path().join("host_vars/h2.yml"), "# only a comment\n").unwrap();
        let mut vd = VarsDir::open(dir.path(), &mut Vec::new()).unwrap();
        let err = vd.load(Kind::Host, "h1").unwrap_err().to_string();
        assert!(
            err.contains("h1.yml") && err.contains("expected dicts"),
            "{err}"
        );
        vd.load(Kind::Host, "h2").unwrap();
        assert!(vd.get(Kind::Host, "h2").is_none());
    }
}
