//! Turning `-i` arguments into inventory: directories (each file in them), host
//! lists (`a,b,`), executable scripts, YAML and INI files, tried in ansible's
//! plugin order (script, yaml, ini).

use std::fs;
use std::path::{Component, Path, PathBuf};

use drover_yaml::SourceFile;

use crate::address::parse_address;
use crate::error::InventoryError;
use crate::model::{Data, UNGROUPED};
use crate::script::{self, ScriptFailure};
use crate::{constructed, ini, yaml_inv, LoadOptions};

/// Extensions ansible skips in inventory directories (REJECT_EXTS plus
/// INVENTORY_IGNORE_EXTS defaults).
const IGNORED_EXTS: [&str; 12] = [
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];
const YAML_EXTS: [&str; 3] = [".yaml", ".yml", ".json"];

pub fn is_host_list(source: &str) -> bool {
    source.contains(',') && !Path::new(source).exists()
}

/// ansible's unfrackpath without following symlinks: `~` expanded, absolute, normalized.
pub fn unfrack(source: &str) -> PathBuf {
    let expanded = match source.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest.trim_start_matches('/')),
            None => PathBuf::from(source),
        },
        _ => PathBuf::from(source),
    };
    let absolute = if expanded.is_absolute() {
        expanded
    } else {
        std::env::current_dir()
            .map(|d| d.join(&expanded))
            .unwrap_or(expanded)
    };
    let mut out = PathBuf::new();
    for comp in absolute.components() {
        match comp {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn ignored_in_dir(name: &str) -> bool {
    name.starts_with('.')
        || matches!(name, "host_vars" | "group_vars" | "vars_plugins")
        || IGNORED_EXTS.iter().any(|ext| name.ends_with(ext))
}

pub fn parse_host_list(data: &mut Data, source: &str) {
    data.current_source = Some(source.to_string());
    for item in source.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (host, port) = parse_address(item, false).unwrap_or_else(|| (item.to_string(), None));
        if data.host_id(&host).is_none() {
            data.add_host(&host, Some(UNGROUPED), port);
        }
    }
    data.current_source = None;
}

/// Parses a file or directory source. A file that does not parse ends the load, or
/// with `options.lenient` (as ansible does by default) is a warning that quotes the
/// error (file, line, column), and the source is skipped whole: nothing it declared
/// before the error is kept. Returns whether the source was parsed.
pub fn parse_path(
    data: &mut Data,
    path: &Path,
    options: &LoadOptions,
) -> Result<bool, InventoryError> {
    let meta = fs::metadata(path).map_err(|_| InventoryError::NotFound(path.to_path_buf()))?;
    if meta.is_dir() {
        let mut names: Vec<String> = Vec::new();
        for entry in fs::read_dir(path).map_err(|e| InventoryError::io(path, e))? {
            let entry = entry.map_err(|e| InventoryError::io(path, e))?;
            match entry.file_name().into_string() {
                Ok(name) => names.push(name),
                Err(name) => data.warn(format!(
                    "Skipping inventory entry with a name that is not UTF-8: {}",
                    name.to_string_lossy()
                )),
            }
        }
        names.sort();
        // As in ansible, a directory is parsed when one of its entries is: an empty
        // one (or one whose every file failed) is itself an unparsed source.
        let mut parsed = false;
        for name in names.into_iter().filter(|n| !ignored_in_dir(n)) {
            parsed |= parse_path(data, &path.join(name), options)?;
        }
        if !parsed {
            if !options.lenient {
                return Err(InventoryError::Unparsed(path.to_path_buf()));
            }
            unparsed(data, path);
        }
        return Ok(parsed);
    }
    let before = options.lenient.then(|| data.clone());
    data.current_source = Some(path.to_string_lossy().into_owned());
    let result = parse_file(data, path, options);
    data.current_source = None;
    match (result, before) {
        (Err(e), Some(before)) => {
            *data = before;
            data.warn(format!(
                "Failed to parse inventory source {}: {e}",
                path.display()
            ));
            unparsed(data, path);
            Ok(false)
        }
        (result, _) => result.map(|()| true),
    }
}

/// Records a source that nothing parsed, with ansible's warning.
fn unparsed(data: &mut Data, path: &Path) {
    data.warn(format!(
        "Unable to parse {} as an inventory source",
        path.display()
    ));
    data.unparsed.push(path.to_path_buf());
}

fn extension(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(|name| {
            let stem_start = name.len() - name.trim_start_matches('.').len();
            name[stem_start..]
                .rfind('.')
                .map(|i| name[stem_start + i..].to_string())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn parse_file(data: &mut Data, path: &Path, options: &LoadOptions) -> Result<(), InventoryError> {
    let plugins = &options.plugins;
    if plugins.script && is_executable(path) {
        match script::parse(data, path) {
            Ok(()) => return Ok(()),
            // Not runnable (no shebang): ansible moves on to the file formats.
            Err(ScriptFailure::NotExecutable) => {}
            Err(ScriptFailure::Failed(e)) => return Err(e),
        }
    }
    let ext = extension(path);
    if plugins.toml && ext == ".toml" {
        return Err(InventoryError::invalid(
            path,
            "TOML inventories are not supported",
        ));
    }
    let file = SourceFile::read(path)?;
    // The file extensions each plugin accepts, as their verify_file checks them.
    let try_yaml = plugins.yaml && (ext.is_empty() || YAML_EXTS.contains(&ext.as_str()));
    let try_auto = plugins.auto && matches!(ext.as_str(), ".yml" | ".yaml");
    let try_constructed =
        plugins.constructed.is_some() && matches!(ext.as_str(), ".yml" | ".yaml" | ".config");
    // The YAML failure, and whether the file was clearly meant as YAML (it parsed to a mapping).
    let mut yaml_error: Option<(InventoryError, bool)> = None;
    if try_yaml || try_auto || try_constructed {
        match drover_yaml::parse(file.clone()) {
            Ok(doc) => {
                let checked = yaml_inv::check(&doc);
                let message = match checked {
                    Ok(()) if try_yaml => return yaml_inv::parse(data, &doc),
                    Err(yaml_inv::NotInventory::PluginConfig) if try_auto || try_constructed => {
                        return plugin_config(data, path, &doc, options, try_auto);
                    }
                    Err(not) if try_yaml => not.message(),
                    // Only plugin configurations were looked for.
                    Err(yaml_inv::NotInventory::Empty) if !try_auto => {
                        format!("{} is empty", path.display())
                    }
                    _ if try_auto => format!(
                        "no root 'plugin' key found, '{}' is not a valid YAML inventory \
                         plugin config file",
                        path.display()
                    ),
                    _ => "Incorrect plugin name in file: none found".to_string(),
                };
                let mapping = doc.root.as_map().is_some();
                yaml_error = Some((
                    InventoryError::Yaml(doc.error_at(&doc.root, message)),
                    mapping,
                ));
            }
            Err(e) => yaml_error = Some((InventoryError::Yaml(e), false)),
        }
    }
    if !plugins.ini {
        return Err(match yaml_error {
            Some((e, _)) => e,
            None => InventoryError::invalid(path, "no enabled inventory plugin accepts this file"),
        });
    }
    match ini::parse(data, path, &file.text) {
        Ok(()) => Ok(()),
        Err(ini_error) => match yaml_error {
            Some((yaml_error, mapping)) if mapping || looks_like_yaml(&ext, &file.text) => {
                Err(yaml_error)
            }
            _ => Err(ini_error),
        },
    }
}

/// A YAML file naming an inventory plugin (`plugin: NAME`): through the `auto`
/// plugin any plugin drover has, else only the `constructed` plugin by the name it
/// was enabled under.
fn plugin_config(
    data: &mut Data,
    path: &Path,
    doc: &drover_yaml::Document,
    options: &LoadOptions,
    auto: bool,
) -> Result<(), InventoryError> {
    let name = doc
        .root
        .get("plugin")
        .and_then(|p| p.as_str())
        .unwrap_or("");
    // Enabled directly (not through `auto`), constructed wants its own name.
    if constructed::is_constructed(name) && (auto || options.plugins.constructed == Some(name)) {
        return constructed::parse(data, path, doc, &options.extra_vars);
    }
    let message = if auto {
        format!(
            "inventory config '{}' specifies unknown plugin '{name}' \
             (drover has the constructed plugin only)",
            path.display()
        )
    } else {
        format!("Incorrect plugin name in file: {name}")
    };
    Err(InventoryError::invalid(path, message))
}

/// Which error to show when a file is neither valid YAML inventory nor valid INI.
fn looks_like_yaml(ext: &str, text: &str) -> bool {
    if YAML_EXTS.contains(&ext) {
        return true;
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
    first.is_some_and(|l| l.starts_with("---") || l.ends_with(':') || l.starts_with('{'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_entries_ansible_skips() {
        for name in [
            ".hidden",
            "group_vars",
            "host_vars",
            "a.retry",
            "b.ini~",
            "README.md",
            "x.cfg",
            "y.orig",
        ] {
            assert!(ignored_in_dir(name), "{name}");
        }
        for name in ["hosts", "a.ini", "b.yml", "README"] {
            assert!(!ignored_in_dir(name), "{name}");
        }
    }

    #[test]
    fn unfrack_normalizes() {
        assert_eq!(unfrack("/a/b/../c/./d"), PathBuf::from("/a/c/d"));
    }

    #[test]
    fn host_lists() {
        let mut d = Data::new();
        parse_host_list(&mut d, "a, b:2222,[::1]:22,a,");
        let names: Vec<&str> = d.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "::1"]);
        assert_eq!(d.hosts[1].vars["ansible_port"], serde_json::json!(2222));
        assert!(is_host_list("x,y"));
        assert!(!is_host_list("/nonexistent"));
    }
}
