//! `include_vars`: variables from YAML/JSON files on the controller, at Ansible's
//! include_vars precedence (below set_fact, above task vars).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::pyre::{Mode, PyRegex};
use crate::{result, Ctx, Module, ModuleError, ModuleResult, SearchKind};

pub struct IncludeVars;

/// Result hint: these `ansible_facts` are include_vars variables.
pub const INCLUDED_VARS: &str = "_ansible_include_vars";

const OPTIONS: &[&str] = &[
    "_raw_params",
    "file",
    "dir",
    "name",
    "depth",
    "files_matching",
    "ignore_files",
    "extensions",
    "ignore_unknown_extensions",
    "hash_behaviour",
];

fn load(path: &Path) -> Result<Map<String, Value>, ModuleError> {
    let vars = drover_yaml::parse_path(path).map_err(|e| ModuleError::Failed(e.to_string()))?;
    match vars.root.to_json() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(ModuleError::Failed(format!(
            "{} must be stored as a dictionary/hash",
            path.display()
        ))),
    }
}

/// `new` merged into `base`: dicts key by key, recursively; anything else replaced.
fn merge_into(base: &mut Value, new: Value) {
    match (base, new) {
        (Value::Object(b), Value::Object(n)) => {
            for (k, v) in n {
                match b.get_mut(&k) {
                    Some(existing) => merge_into(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, n) => *b = n,
    }
}

/// Which files of a `dir` are loaded.
struct Walk<'a> {
    /// The wanted extensions (`""`: none).
    exts: &'a [String],
    /// How deep to go (0: unlimited).
    depth: usize,
    /// `ignore_files`: patterns that end the names of files to leave out.
    ignore: &'a [PyRegex],
    /// `files_matching`: a pattern the file's name must contain.
    matching: Option<&'a PyRegex>,
}

impl Walk<'_> {
    /// The files of `dir`, sorted; `unknown` gets the first file with another extension.
    fn run(&self, dir: &Path, level: usize, out: &mut Vec<PathBuf>, unknown: &mut Option<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let matches = |re: &PyRegex, name: &str| re.is_match(name.as_bytes()).unwrap_or(false);
        for p in paths {
            if p.is_dir() {
                if self.depth == 0 || level < self.depth {
                    self.run(&p, level + 1, out, unknown);
                }
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if self.ignore.iter().any(|re| matches(re, name)) {
                continue;
            }
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if self.exts.iter().any(|x| x == ext) {
                if self.matching.is_none_or(|re| matches(re, name)) {
                    out.push(p);
                }
            } else if unknown.is_none() {
                *unknown = Some(p);
            }
        }
    }
}

#[async_trait]
impl Module for IncludeVars {
    fn name(&self) -> &'static str {
        "include_vars"
    }
    fn controller_only(&self) -> bool {
        true
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported("include_vars", OPTIONS)?;
        let mut files = Vec::new();
        if let Some(dir) = ctx.args.str("dir")? {
            let found = ctx
                .target
                .find_file(SearchKind::Vars, &dir)
                .ok_or_else(|| ModuleError::Failed(format!("{dir} directory does not exist")))?;
            let exts = ctx
                .args
                .list("extensions")?
                .unwrap_or_else(|| vec!["json".into(), "yml".into(), "yaml".into()]);
            let depth = ctx.args.get("depth").and_then(Value::as_u64).unwrap_or(0) as usize;
            let mut ignore = Vec::new();
            for pattern in ctx.args.list("ignore_files")?.unwrap_or_default() {
                ignore.push(
                    PyRegex::new(&format!("{pattern}$"), Mode::Text, "")
                        .map_err(|e| ModuleError::Failed(format!("ignore_files: {e}")))?,
                );
            }
            let matching = match ctx.args.str("files_matching")? {
                Some(pattern) => Some(
                    PyRegex::new(&pattern, Mode::Text, "")
                        .map_err(|e| ModuleError::Failed(format!("files_matching: {e}")))?,
                ),
                None => None,
            };
            let mut unknown = None;
            let walk = Walk {
                exts: &exts,
                depth,
                ignore: &ignore,
                matching: matching.as_ref(),
            };
            walk.run(&found, 1, &mut files, &mut unknown);
            if let Some(file) = unknown.filter(|_| {
                !ctx.args
                    .bool("ignore_unknown_extensions", false)
                    .unwrap_or(false)
            }) {
                // ansible-core's words, under `message` rather than `msg`.
                let mut r = result(false);
                r.insert("failed".into(), true.into());
                r.insert(
                    "message".into(),
                    format!(
                        "{} does not have a valid extension: {}",
                        file.display(),
                        exts.join(", ")
                    )
                    .into(),
                );
                return Ok(r);
            }
        } else {
            let name = match ctx.args.str("file")? {
                Some(f) => f,
                None => ctx.args.str("_raw_params")?.unwrap_or_default(),
            };
            let name = name.trim().to_string();
            if name.is_empty() {
                // No file at all (a lookup that found none): ansible-core's result.
                let mut r = result(false);
                r.insert("failed".into(), true.into());
                r.insert("ansible_facts".into(), Value::Object(Map::new()));
                r.insert(
                    "ansible_included_var_files".into(),
                    Value::Array(Vec::new()),
                );
                r.insert(
                    "message".into(),
                    "Could not find file on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option".into(),
                );
                r.insert(
                    "msg".into(),
                    "Task failed: Action failed: Unknown error.".into(),
                );
                return Ok(r);
            }
            let found = ctx
                .target
                .find_file(SearchKind::Vars, &name)
                .ok_or_else(|| ModuleError::Failed(format!("Could not find or access '{name}'")))?;
            files.push(found);
        }
        let mut vars = Map::new();
        for f in &files {
            vars.extend(load(f)?);
        }
        // `hash_behaviour: merge`: a dict merges into the variable's current dict,
        // recursively, as ansible-core's combine does.
        if ctx.args.str("hash_behaviour")?.as_deref() == Some("merge") {
            for (k, v) in vars.iter_mut() {
                if let Ok(Some(Value::Object(current))) = ctx.target.evaluate(k) {
                    if v.is_object() {
                        let mut merged = Value::Object(current);
                        merge_into(&mut merged, std::mem::take(v));
                        *v = merged;
                    }
                }
            }
        }
        let facts = match ctx.args.str("name")? {
            Some(n) => {
                let mut m = Map::new();
                m.insert(n, Value::Object(vars));
                m
            }
            None => vars,
        };
        let mut r = result(false);
        r.insert("ansible_facts".into(), Value::Object(facts));
        r.insert(
            "ansible_included_var_files".into(),
            Value::Array(
                files
                    .iter()
                    .map(|f| f.display().to_string().into())
                    .collect(),
            ),
        );
        r.insert(INCLUDED_VARS.into(), true.into());
        Ok(r)
    }
}
