//! Roles: found on the roles path, loaded with their tasks, handlers, variables,
//! defaults and `meta/main.yml` dependencies.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use drover_yaml::{Location, Node, NodeValue, SourceError, SourceFile};
use indexmap::IndexMap;
use serde_json::Value;

use crate::files::{load_tasks_file, load_vars_file, main_file};
use crate::value::{scalar_text, Reader};
use crate::Task;

/// A role as a play, a task or a dependency names it.
#[derive(Debug, Clone)]
pub struct RoleRef {
    pub name: String,
    /// Role parameters (every key that is not a keyword).
    pub params: IndexMap<String, Value>,
    pub vars: IndexMap<String, Value>,
    pub when: Vec<String>,
    pub tags: Vec<String>,
    pub location: Location,
    /// The entry's other keywords (`become`, `become_user`, `environment`, ...), which
    /// every task of the role inherits.
    pub keywords: Option<Box<Task>>,
}

/// Keywords of a role entry; any other key is a role parameter.
const ROLE_ENTRY_KEYWORDS: &[&str] = &[
    "role",
    "name",
    "vars",
    "when",
    "tags",
    "become",
    "become_user",
    "become_method",
    "ignore_errors",
    "no_log",
    "delegate_to",
    "environment",
    "check_mode",
    "any_errors_fatal",
    "connection",
    "remote_user",
    "collections",
    "debugger",
    "diff",
    "module_defaults",
    "run_once",
    "throttle",
    "timeout",
    "port",
    "ignore_unreachable",
];

/// Which files of the role to load (`tasks_from`, ... of include_role/import_role).
#[derive(Debug, Clone)]
pub struct RoleFiles {
    pub tasks: String,
    pub handlers: String,
    pub vars: String,
    pub defaults: String,
}

impl Default for RoleFiles {
    fn default() -> Self {
        RoleFiles {
            tasks: "main".into(),
            handlers: "main".into(),
            vars: "main".into(),
            defaults: "main".into(),
        }
    }
}

#[derive(Debug)]
pub struct Role {
    pub name: String,
    pub path: PathBuf,
    pub tasks: Vec<Task>,
    pub handlers: Vec<Task>,
    pub defaults: IndexMap<String, Value>,
    pub vars: IndexMap<String, Value>,
    pub dependencies: Vec<RoleRef>,
    pub allow_duplicates: bool,
}

/// The information tasks of a role carry: for banners, file lookups and variables.
#[derive(Debug, Clone)]
pub struct RoleInfo {
    pub name: String,
    pub path: PathBuf,
    pub defaults: Arc<IndexMap<String, Value>>,
    pub vars: Arc<IndexMap<String, Value>>,
    pub params: Arc<IndexMap<String, Value>>,
    /// What makes two uses of a role the same role in a play (path, params, when,
    /// tags, vars, `*_from`, whether included): a host runs such a role once, unless
    /// `allow_duplicates`.
    pub key: String,
    pub allow_duplicates: bool,
    /// For a role that `import_role`/`include_role` brought in from inside another
    /// role: that role's name and path, then its own parents'
    /// (`ansible_parent_role_names`, `ansible_parent_role_paths`).
    pub parents: Vec<(String, std::path::PathBuf)>,
}

/// Parse a `roles:` list (or a `dependencies:` list) node.
pub(crate) fn role_refs(file: &Arc<SourceFile>, node: &Node) -> Result<Vec<RoleRef>, SourceError> {
    let reader = &Reader { file };
    let items = match &node.value {
        NodeValue::Null => return Ok(Vec::new()),
        NodeValue::Seq(items) => items,
        _ => {
            return Err(reader.err(
                node,
                format!("a list of roles is expected, got {}", node.kind_name()),
            ))
        }
    };
    items
        .iter()
        .map(|item| role_ref(file, reader, item))
        .collect()
}

fn role_ref(
    file: &Arc<SourceFile>,
    reader: &Reader<'_>,
    item: &Node,
) -> Result<RoleRef, SourceError> {
    let location = Location {
        file: file.clone(),
        pos: item.pos,
    };
    let mut r = RoleRef {
        name: String::new(),
        params: IndexMap::new(),
        vars: IndexMap::new(),
        when: Vec::new(),
        tags: Vec::new(),
        location: location.clone(),
        keywords: None,
    };
    let mut keywords: Vec<(String, &Node)> = Vec::new();
    match &item.value {
        NodeValue::Str(s) => r.name = s.clone(),
        NodeValue::Map(entries) => {
            for (k, v) in entries {
                let key = match &k.value {
                    NodeValue::Str(s) => s.clone(),
                    other => scalar_text(other),
                };
                match key.as_str() {
                    "role" | "name" => {
                        if key == "role" || r.name.is_empty() {
                            r.name = v
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| scalar_text(&v.value));
                        }
                    }
                    "vars" => r.vars = reader.vars("role", v)?,
                    "when" => r.when = reader.conditions("when", v)?,
                    "tags" => r.tags = reader.tags(v)?,
                    k if ROLE_ENTRY_KEYWORDS.contains(&k) => keywords.push((key.clone(), v)),
                    _ => {
                        r.params.insert(key, v.to_json());
                    }
                }
            }
        }
        _ => return Err(reader.err(item, "role definitions must contain a role name")),
    }
    if r.name.trim().is_empty() {
        return Err(reader.err(item, "role definitions must contain a role name"));
    }
    if !keywords.is_empty() {
        let at = |n: &Node| Location {
            file: file.clone(),
            pos: n.pos,
        };
        let parser = crate::task::TaskParser {
            reader: Reader { file },
            location: &at,
            known_action: &|_| false,
        };
        let mut holder = Task::new(location);
        holder.action = "block".to_owned();
        for (key, v) in keywords {
            parser.keyword(&mut holder, &key, v, false)?;
        }
        r.keywords = Some(Box::new(holder));
    }
    Ok(r)
}

/// Where roles are looked for: `ANSIBLE_ROLES_PATH`, `roles/` beside the playbook, the
/// playbook directory, then Ansible's default locations.
pub fn role_search_paths(playbook_dir: &Path) -> Vec<PathBuf> {
    let mut paths = vec![playbook_dir.join("roles")];
    if let Ok(env) = std::env::var("ANSIBLE_ROLES_PATH") {
        paths.extend(env.split(':').filter(|s| !s.is_empty()).map(PathBuf::from));
    }
    if let Some(home) = std::env::var_os("HOME") {
        paths.push(PathBuf::from(home).join(".ansible/roles"));
    }
    paths.push(PathBuf::from("/usr/share/ansible/roles"));
    paths.push(PathBuf::from("/etc/ansible/roles"));
    paths.push(playbook_dir.to_path_buf());
    paths
}

/// A role of a collection (`namespace.collection.role`): in `collections/` beside the
/// playbook (or a role directory), `ANSIBLE_COLLECTIONS_PATH` or `~/.ansible/collections`.
fn collection_role(name: &str, search: &[PathBuf]) -> Option<PathBuf> {
    let mut parts = name.splitn(3, '.');
    let (ns, col, role) = (parts.next()?, parts.next()?, parts.next()?);
    if role.contains('.') {
        return None;
    }
    let mut roots: Vec<PathBuf> = search.iter().map(|p| p.join("collections")).collect();
    for var in ["ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"] {
        if let Ok(v) = std::env::var(var) {
            roots.extend(v.split(':').filter(|s| !s.is_empty()).map(PathBuf::from));
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        roots.push(PathBuf::from(home).join(".ansible/collections"));
    }
    roots
        .into_iter()
        .map(|r| {
            r.join("ansible_collections")
                .join(ns)
                .join(col)
                .join("roles")
                .join(role)
        })
        .find(|p| p.is_dir())
}

/// Find and load a role by name (or path) with the given entry files.
pub fn load_role(
    r: &RoleRef,
    files: &RoleFiles,
    search: &[PathBuf],
    known_action: &dyn Fn(&str) -> bool,
) -> Result<Role, SourceError> {
    let candidate = Path::new(&r.name);
    // A relative name with a slash (`nested/dep_role`) is looked for under each search
    // path first, then as a path from the current directory, as in ansible-core.
    let dir = if candidate.is_absolute() {
        Some(candidate.to_path_buf()).filter(|p| p.is_dir())
    } else if let Some(dir) = collection_role(&r.name, search) {
        Some(dir)
    } else {
        search
            .iter()
            .map(|p| p.join(&r.name))
            .find(|p| p.is_dir())
            .or_else(|| {
                Some(candidate.to_path_buf()).filter(|p| r.name.contains('/') && p.is_dir())
            })
    };
    let Some(dir) = dir else {
        let tried: Vec<String> = search.iter().map(|p| p.display().to_string()).collect();
        return Err(r
            .location
            .error(format!(
                "the role '{}' was not found in {}",
                r.name,
                tried.join(":")
            ))
            .missing());
    };
    // A collection role and a relative path keep the name as written (`nested/dep`).
    let keep_name = !candidate.is_absolute() && r.name.contains('/');
    let name = match collection_role(&r.name, search) {
        _ if keep_name => r.name.clone(),
        Some(_) => r.name.clone(),
        None => dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| r.name.clone()),
    };
    // `*_from` may not leave the role's directory (`../`, an absolute path).
    let inside = |sub: &str, p: std::path::PathBuf| -> Result<std::path::PathBuf, SourceError> {
        let base = dir.join(sub);
        let real = p.canonicalize().unwrap_or_else(|_| p.clone());
        if real.starts_with(base.canonicalize().unwrap_or_else(|_| base.clone())) {
            return Ok(p);
        }
        Err(r.location.error(format!(
            "Failed loading '{}' for role ({name}) as it is not inside the expected role path: '{}'",
            real.display(),
            base.display()
        )))
    };
    let tasks = match main_file(&dir.join("tasks"), &files.tasks) {
        Some(p) => load_tasks_file(&inside("tasks", p)?, known_action)?,
        None if files.tasks != "main" => {
            return Err(r.location.error(format!(
                "Could not find specified file in role: tasks/{}",
                files.tasks
            )))
        }
        None => Vec::new(),
    };
    let handlers = match main_file(&dir.join("handlers"), &files.handlers) {
        Some(p) => load_tasks_file(&inside("handlers", p)?, known_action)?,
        None => Vec::new(),
    };
    let vars = load_vars_dir(&dir.join("vars"), &files.vars)?;
    let defaults = load_vars_dir(&dir.join("defaults"), &files.defaults)?;
    let (dependencies, allow_duplicates) = match main_file(&dir.join("meta"), "main") {
        Some(p) => meta(&p)?,
        None => (Vec::new(), false),
    };
    Ok(Role {
        name,
        path: dir,
        tasks,
        handlers,
        defaults,
        vars,
        dependencies,
        allow_duplicates,
    })
}

/// `vars/main.yml` (or `defaults/`), or every YAML/JSON file of a `vars/main/`
/// directory in name order, later files winning.
fn load_vars_dir(dir: &Path, stem: &str) -> Result<IndexMap<String, Value>, SourceError> {
    if let Some(p) = main_file(dir, stem) {
        return load_vars_file(&p);
    }
    let sub = dir.join(stem);
    let Ok(entries) = std::fs::read_dir(&sub) else {
        return Ok(IndexMap::new());
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yml" | "yaml" | "json")
                )
        })
        .collect();
    files.sort();
    let mut out = IndexMap::new();
    for f in files {
        out.extend(load_vars_file(&f)?);
    }
    Ok(out)
}

fn meta(path: &Path) -> Result<(Vec<RoleRef>, bool), SourceError> {
    let doc = drover_yaml::parse_path(path)?;
    let deps = match doc.root.get("dependencies") {
        Some(d) => role_refs(&doc.file, d)?,
        None => Vec::new(),
    };
    let allow = matches!(
        doc.root.get("allow_duplicates").map(|n| &n.value),
        Some(NodeValue::Bool(true))
    );
    Ok((deps, allow))
}
