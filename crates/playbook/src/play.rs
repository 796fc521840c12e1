//! Playbook file -> plays, following `import_playbook` entries.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use drover_yaml::{Document, Location, Node, NodeValue, SourceError, SourceFile};
use indexmap::IndexMap;

use crate::keywords::PLAY_KEYWORDS;
use crate::task::TaskParser;
use crate::value::{scalar_text, Reader};
use crate::{ImportHooks, Play, Playbook, Task, Warning};

/// Guards against a playbook importing itself.
const MAX_IMPORT_DEPTH: usize = 32;

const IMPORT_KEYWORDS: &[&str] = &["name", "vars", "when", "tags"];

/// The names `import_playbook` answers to.
const IMPORT_ACTIONS: &[&str] = &[
    "import_playbook",
    "ansible.builtin.import_playbook",
    "ansible.legacy.import_playbook",
];

pub(crate) fn load(
    path: &Path,
    known_action: &dyn Fn(&str) -> bool,
    hooks: &dyn ImportHooks,
) -> Result<Playbook, SourceError> {
    let mut book = Playbook {
        path: path.to_owned(),
        plays: Vec::new(),
        warnings: Vec::new(),
    };
    load_into(path, known_action, hooks, 0, &mut book)?;
    Ok(book)
}

fn load_into(
    path: &Path,
    known_action: &dyn Fn(&str) -> bool,
    hooks: &dyn ImportHooks,
    depth: usize,
    book: &mut Playbook,
) -> Result<(), SourceError> {
    hooks.entering(path.parent().unwrap_or(Path::new(".")));
    let doc = drover_yaml::parse_path(path)?;
    let file = doc.file.clone();
    book.warnings.extend(doc.warnings.iter().map(|w| Warning {
        location: Location {
            file: file.clone(),
            pos: w.pos,
        },
        message: w.message.clone(),
    }));
    let reader = Reader { file: &file };
    let root = &doc.root;
    let entries = match &root.value {
        NodeValue::Null => {
            return Err(SourceError::new(
                path,
                None,
                format!("Empty playbook, nothing to do: {}", path.display()),
            ))
        }
        NodeValue::Seq(items) => items,
        _ => {
            return Err(reader.err(
                root,
                format!(
                    "A playbook must be a list of plays, got {} instead: {}",
                    root.kind_name(),
                    path.display()
                ),
            ))
        }
    };
    let location = |n: &Node| Location {
        file: file.clone(),
        pos: n.pos,
    };
    let parser = TaskParser {
        reader: Reader { file: &file },
        location: &location,
        known_action,
    };
    for entry in entries {
        if entry.as_map().is_none() {
            return Err(reader.err(
                entry,
                "playbook entries must be either valid plays or 'import_playbook' statements",
            ));
        }
        let actions: Vec<&(Node, Node)> = entry
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter(|(k, _)| k.as_str().is_some_and(|k| IMPORT_ACTIONS.contains(&k)))
            .collect();
        if actions.len() > 1 {
            let mut names: Vec<String> = actions.iter().map(|(k, _)| key_text(k)).collect();
            names.sort();
            return Err(reader.err(
                entry,
                format!(
                    "Found conflicting import_playbook actions: {}",
                    names.join(", ")
                ),
            ));
        }
        if let Some((_, target)) = actions.first() {
            import(&doc, &parser, hooks, entry, target, depth, book)?;
        } else {
            book.plays.push(play(&parser, entry)?);
        }
    }
    Ok(())
}

fn play(parser: &TaskParser<'_>, node: &Node) -> Result<Play, SourceError> {
    let r = &parser.reader;
    let entries = node.as_map().unwrap_or_default();
    for (k, _) in entries {
        let key = key_text(k);
        if !PLAY_KEYWORDS.contains(&key.as_str()) {
            return Err(r.err(k, format!("'{key}' is not a valid attribute for a Play")));
        }
    }
    let Some((hosts_key, hosts_node)) = entries
        .iter()
        .rev()
        .find(|(k, _)| k.as_str() == Some("hosts"))
    else {
        return Err(r.err(node, "The field 'hosts' is required but was not set."));
    };
    let mut play = Play::new(hosts(r, hosts_key, hosts_node)?, (parser.location)(node));
    for (k, v) in entries {
        let key = key_text(k);
        match key.as_str() {
            "hosts" => {}
            "name" => play.name = r.string(&key, v)?,
            "vars" => play.vars = r.vars("Play", v)?,
            "gather_facts" => play.gather_facts = r.bool(&key, v)?,
            "become" if crate::task::is_templated_str(v) => {
                play.extra.insert(key.to_string(), v.to_json());
            }
            "become" => play.r#become = r.bool(&key, v)?,
            "become_user" => play.become_user = r.string(&key, v)?,
            "become_method" => play.become_method = r.string(&key, v)?,
            "connection" => play.connection = r.string(&key, v)?,
            "remote_user" => play.remote_user = r.string(&key, v)?,
            "port" => play.port = (!v.is_null()).then(|| v.to_json()),
            "ignore_errors" => play.ignore_errors = (!v.is_null()).then(|| v.to_json()),
            "environment" => play.environment = (!v.is_null()).then(|| v.to_json()),
            "tags" => play.tags = r.tags(v)?,
            "pre_tasks" => play.pre_tasks = parser.task_list("pre_tasks", node, v)?,
            "tasks" => play.tasks = parser.task_list("tasks", node, v)?,
            "post_tasks" => play.post_tasks = parser.task_list("post_tasks", node, v)?,
            "handlers" => play.handlers = parser.task_list("handlers", node, v)?,
            "roles" => play.roles = crate::role::role_refs(parser.reader.file_arc(), v)?,
            "vars_files" => {
                play.vars_files = match &v.value {
                    NodeValue::Null => Vec::new(),
                    NodeValue::Seq(items) => items
                        .iter()
                        .map(|i| {
                            i.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| scalar_text(&i.value))
                        })
                        .collect(),
                    other => vec![scalar_text(other)],
                }
            }
            _ => {
                play.extra.insert(key, v.to_json());
            }
        }
    }
    Ok(play)
}

/// `hosts: a` or `hosts: [a, b]` -> "a" / "a,b"; empty is an error, as in Ansible.
fn hosts(r: &Reader<'_>, key: &Node, node: &Node) -> Result<String, SourceError> {
    // An empty value has no useful position of its own: point at the key.
    let empty = || {
        r.err(
            key,
            "Hosts list cannot be empty. Please check your playbook",
        )
    };
    let pattern = match &node.value {
        NodeValue::Null => return Err(empty()),
        NodeValue::Seq(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match &item.value {
                    NodeValue::Seq(_) | NodeValue::Map(_) | NodeValue::Null => {
                        return Err(r.err(
                            item,
                            "Hosts list contains an invalid host value (it must be a string)",
                        ))
                    }
                    v => parts.push(scalar_text(v)),
                }
            }
            parts.join(",")
        }
        NodeValue::Map(_) => {
            return Err(r.err(
                node,
                "Hosts list must be a sequence or string. Please check your playbook.",
            ))
        }
        v => scalar_text(v),
    };
    if pattern.trim().is_empty() {
        return Err(empty());
    }
    Ok(pattern)
}

fn import(
    doc: &Document,
    parser: &TaskParser<'_>,
    hooks: &dyn ImportHooks,
    entry: &Node,
    target: &Node,
    depth: usize,
    book: &mut Playbook,
) -> Result<(), SourceError> {
    let r = &parser.reader;
    for (k, _) in entry.as_map().unwrap_or_default() {
        let key = key_text(k);
        if !IMPORT_KEYWORDS.contains(&key.as_str()) && !IMPORT_ACTIONS.contains(&key.as_str()) {
            return Err(r.err(
                k,
                format!("'{key}' is not a valid attribute for a PlaybookInclude"),
            ));
        }
    }
    let Some(written) = target.as_str().filter(|s| !s.trim().is_empty()) else {
        return Err(r.err(target, "import_playbook parameters cannot be empty"));
    };
    let vars = match entry.get("vars") {
        Some(v) => r.vars("PlaybookInclude", v)?,
        None => IndexMap::new(),
    };
    // ansible templates the path as it loads: no host, no play, only the entry's vars
    // below the extra vars (and the magic variables that need neither).
    let rendered;
    let name = if written.contains("{{") || written.contains("{%") {
        let dir = doc.file.path.parent().unwrap_or(Path::new("."));
        rendered = hooks.render(written, &vars, dir).map_err(|e| {
            r.err(
                target,
                format!("Error processing keyword 'import_playbook': {e}"),
            )
        })?;
        if rendered.trim().is_empty() {
            return Err(r.err(target, "import_playbook parameters cannot be empty"));
        }
        rendered.as_str()
    } else {
        written
    };
    if depth >= MAX_IMPORT_DEPTH {
        return Err(r.err(
            target,
            format!(
                "import_playbook nested more than {MAX_IMPORT_DEPTH} deep (does it import itself?)"
            ),
        ));
    }
    let path = resolve_relative(&doc.file, name);
    if !path.is_file() {
        return Err(r.err(
            target,
            format!(
                "Unable to retrieve file contents. Could not find or access '{}'",
                path.display()
            ),
        ));
    }
    let when = match entry.get("when") {
        Some(v) => r.conditions("when", v)?,
        None => Vec::new(),
    };
    let tags = match entry.get("tags") {
        Some(v) => r.tags(v)?,
        None => Vec::new(),
    };
    let first = book.plays.len();
    load_into(&path, parser.known_action, hooks, depth + 1, book)?;
    for play in &mut book.plays[first..] {
        // The import's vars override the play's own (`play.vars | import.vars`).
        for (k, v) in &vars {
            play.vars.insert(k.clone(), v.clone());
        }
        for t in &tags {
            if !play.tags.contains(t) {
                play.tags.push(t.clone());
            }
        }
        if !when.is_empty() {
            for task in play
                .pre_tasks
                .iter_mut()
                .chain(play.tasks.iter_mut())
                .chain(play.post_tasks.iter_mut())
            {
                prepend_when(task, &when);
            }
        }
    }
    Ok(())
}

fn prepend_when(task: &mut Task, when: &[String]) {
    let mut all = when.to_vec();
    all.append(&mut task.when);
    task.when = all;
}

/// Paths in a playbook are relative to the playbook's directory.
fn resolve_relative(file: &Arc<SourceFile>, name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.is_absolute() {
        return p.to_owned();
    }
    file.path
        .parent()
        .map(|d| d.join(p))
        .unwrap_or_else(|| p.to_owned())
}

fn key_text(k: &Node) -> String {
    match &k.value {
        NodeValue::Str(s) => s.clone(),
        v => scalar_text(v),
    }
}
