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

/// Files of `dir` with the wanted extensions (`""`: none), sorted, down to `depth`
/// (0: unlimited); `unknown` gets the first file with another extension.
fn walk(
    dir: &Path,
    exts: &[String],
    depth: usize,
    level: usize,
    out: &mut Vec<PathBuf>,
    unknown: &mut Option<PathBuf>,
    ignore: &[PyRegex],
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if depth == 0 || level < depth {
                walk(&p, exts, depth, level + 1, out, unknown, ignore);
            }
            continue;
        }
        // `ignore_files`: patterns that end the file's name (ansible-core's re.search).
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if ignore
            .iter()
            .any(|re| re.is_match(name.as_bytes()).unwrap_or(false))
        {
            continue;
        }
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if exts.iter().any(|x| x == ext) {
            out.push(p);
        } else if unknown.is_none() {
            *unknown = Some(p);
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
            let mut unknown = None;
            walk(&found, &exts, depth, 1, &mut files, &mut unknown, &ignore);
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
                return Err(ModuleError::Failed(
                    "No file or dir given to include_vars".into(),
                ));
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
