//! Lookup plugins (`lookup()`, `query()`/`q()`, and `with_<name>` loops through
//! [`crate::Templar::query`]). Those that read files search the templar's search paths,
//! each with its `files/` (or `templates/`) subdirectory first, as roles do.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Kwargs, Rest};
use minijinja::{Environment, Error, State, Value};
use serde_json::{Map, Value as Json};

use crate::context::{Ctx, Scope};
use crate::convert::{to_json, to_value};
use crate::error::{op_err, TemplateError};
use crate::filters::expand_user;
use crate::pyrepr::json_str;
use crate::Vars;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("lookup", lookup);
    env.add_function("query", query);
    env.add_function("q", query);
}

/// Lookup arguments as JSON: the terms, and the keyword options.
struct Call {
    name: String,
    terms: Vec<Json>,
    opts: Map<String, Json>,
}

fn call_from(name: &str, terms: &[Value], kwargs: &Kwargs, skip: &[&str]) -> Result<Call, Error> {
    let terms = terms.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
    let mut opts = Map::new();
    for key in kwargs.args() {
        if skip.contains(&key) {
            continue;
        }
        let v: Value = kwargs.get(key)?;
        opts.insert(key.to_string(), to_json(&v)?);
    }
    Ok(Call {
        name: name
            .strip_prefix("ansible.builtin.")
            .unwrap_or(name)
            .to_string(),
        terms,
        opts,
    })
}

fn context(state: &State) -> Result<Arc<Ctx>, Error> {
    Ctx::from_state(state).ok_or_else(|| op_err("lookups need a variable context"))
}

fn lookup(state: &State, name: String, terms: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let wantlist: bool = kwargs.get::<Option<bool>>("wantlist")?.unwrap_or(false);
    let errors: String = kwargs
        .get::<Option<String>>("errors")?
        .unwrap_or_else(|| "strict".into());
    let call = call_from(&name, &terms, &kwargs, &["wantlist", "errors"])?;
    let ctx = context(state)?;
    let results = match run(&call, &ctx) {
        Ok(r) => r,
        Err(e) if errors != "strict" => {
            let _ = e;
            return Ok(Value::from(()));
        }
        Err(e) => return Err(e),
    };
    if wantlist {
        return Ok(to_value(&Json::Array(results)));
    }
    // Ansible: one result is returned as is, all-strings are joined with commas.
    Ok(match results.len() {
        // ansible-core 2.19: no result is an empty list.
        0 => Value::from(Vec::<Value>::new()),
        1 => to_value(&results[0]),
        _ if results.iter().all(Json::is_string) => {
            Value::from(results.iter().map(json_str).collect::<Vec<_>>().join(","))
        }
        _ => to_value(&Json::Array(results)),
    })
}

fn query(state: &State, name: String, terms: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let errors: String = kwargs
        .get::<Option<String>>("errors")?
        .unwrap_or_else(|| "strict".into());
    let call = call_from(&name, &terms, &kwargs, &["wantlist", "errors"])?;
    let _ = kwargs.get::<Option<bool>>("wantlist")?;
    let ctx = context(state)?;
    match run(&call, &ctx) {
        Ok(r) => Ok(to_value(&Json::Array(r))),
        Err(_) if errors != "strict" => Ok(Value::from(Vec::<Value>::new())),
        Err(e) => Err(e),
    }
}

/// Entry for `Templar::query`.
pub(crate) fn run_json(
    plugin: &str,
    terms: &[Json],
    kwargs: &Map<String, Json>,
    ctx: &Arc<Ctx>,
) -> Result<Vec<Json>, TemplateError> {
    let call = Call {
        name: plugin
            .strip_prefix("ansible.builtin.")
            .unwrap_or(plugin)
            .to_string(),
        terms: terms.to_vec(),
        opts: kwargs.clone(),
    };
    run(&call, ctx)
        .map_err(|e| TemplateError::new(e.detail().unwrap_or("lookup failed").to_string()))
}

fn fail(plugin: &str, msg: impl std::fmt::Display) -> Error {
    op_err(format!("The lookup plugin '{plugin}' failed: {msg}"))
}

fn term_strings(call: &Call) -> Vec<String> {
    call.terms.iter().map(json_str).collect()
}

fn run(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    let name = call.name.as_str();
    match name {
        "items" | "list" => Ok(if name == "items" {
            flatten_one(&call.terms)
        } else {
            call.terms.clone()
        }),
        "indexed_items" => Ok(flatten_one(&call.terms)
            .into_iter()
            .enumerate()
            .map(|(i, v)| Json::Array(vec![Json::from(i), v]))
            .collect()),
        "dict" => dict_items(call),
        "env" => Ok(term_strings(call)
            .iter()
            .map(|n| match std::env::var(n) {
                Ok(v) => Json::String(v),
                Err(_) => call
                    .opts
                    .get("default")
                    .cloned()
                    .unwrap_or(Json::String(String::new())),
            })
            .collect()),
        "vars" => vars_lookup(call, ctx),
        "file" => file_lookup(call, ctx),
        "template" => template_lookup(call, ctx),
        "pipe" => term_strings(call)
            .iter()
            .map(|cmd| {
                run_shell(name, cmd).map(|out| Json::String(out.trim_end_matches('\n').to_string()))
            })
            .collect(),
        "lines" => {
            let mut out = Vec::new();
            for cmd in term_strings(call) {
                out.extend(
                    run_shell(name, &cmd)?
                        .lines()
                        .map(|l| Json::String(l.to_string())),
                );
            }
            Ok(out)
        }
        "first_found" => first_found(call, ctx),
        "fileglob" => fileglob(call, ctx),
        "sequence" => sequence(call),
        "password" => password(call, ctx),
        "together" => together(call),
        "nested" | "cartesian" => nested(call),
        "subelements" => subelements(call),
        "random_choice" => random_choice(call),
        "varnames" => varnames(call, ctx),
        "config" => config_lookup(call, ctx),
        other => Err(op_err(format!(
            "The lookup plugin '{other}' was not found."
        ))),
    }
}

fn flatten_one(terms: &[Json]) -> Vec<Json> {
    let mut out = Vec::new();
    for t in terms {
        match t {
            Json::Array(items) => out.extend(items.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    out
}

fn dict_items(call: &Call) -> Result<Vec<Json>, Error> {
    let mut out = Vec::new();
    for t in &call.terms {
        let Json::Object(m) = t else {
            // ansible-core's words (its type is a tagged subclass; the `)` is its own).
            return Err(fail(
                "dict",
                format!(
                    "the 'dict' lookup plugin expects a dictionary, got '{}' of type <class '{}'>)",
                    json_str(t),
                    crate::convert::json_type_name(t)
                ),
            ));
        };
        for (k, v) in m {
            let mut item = Map::new();
            item.insert("key".into(), Json::String(k.clone()));
            item.insert("value".into(), v.clone());
            out.push(Json::Object(item));
        }
    }
    Ok(out)
}

fn vars_lookup(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    if let Some(bad) = call.terms.iter().find(|t| !t.is_string()) {
        return Err(fail(
            "vars",
            format!(
                "Variable name must be 'str' not '{}'.",
                crate::convert::json_type_name(bad)
            ),
        ));
    }
    let mut out = Vec::new();
    for name in term_strings(call) {
        let v = ctx
            .resolve(&name)
            .map_err(|e| crate::error::to_minijinja(&e))?;
        match (v, call.opts.get("default")) {
            (Some(v), _) => out.push(to_json(&v)?),
            (None, Some(d)) => out.push(d.clone()),
            (None, None) => return Err(op_err(format!("No variable named '{name}' was found."))),
        }
    }
    Ok(out)
}

/// `config`: ansible-core settings drover knows (see [`crate::config`]).
fn config_lookup(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    let opt = |k: &str| call.opts.get(k).filter(|v| !v.is_null());
    let missing = match opt("on_missing") {
        None => "error".to_string(),
        Some(v) => json_str(v),
    };
    if !matches!(missing.as_str(), "error" | "warn" | "skip") {
        return Err(fail(
            "config",
            format!(
                "Invalid value '{missing}' for config 'on_missing' for 'config' lookup plugin."
            ),
        ));
    }
    let show_origin = opt("show_origin").is_some_and(crate::convert::json_truthy);
    match (opt("plugin_type"), opt("plugin_name")) {
        (None, None) => {}
        (Some(t), Some(n)) => {
            return Err(fail(
                "config",
                format!(
                    "drover knows no plugin settings ({} plugin {}): only ansible-core's \
                     general settings can be looked up.",
                    json_str(t),
                    crate::pyrepr::json_repr(n)
                ),
            ))
        }
        _ => {
            return Err(fail(
                "config",
                "Both plugin_type and plugin_name are required, cannot use one without the other.",
            ))
        }
    }
    let var = |name: &str| {
        ctx.resolve(name)
            .ok()
            .flatten()
            .and_then(|v| to_json(&v).ok())
    };
    let mut out = Vec::new();
    for term in &call.terms {
        let Json::String(name) = term else {
            let class = crate::convert::json_type_name(term);
            return Err(fail(
                "config",
                format!(
                    "Invalid setting identifier, {} is not a <class 'str'>, its a <class '{class}'>.",
                    crate::pyrepr::json_repr(term)
                ),
            ));
        };
        match crate::config::value_and_origin(name, &var) {
            Some(Ok((value, origin))) => out.push(if show_origin {
                Json::Array(vec![value, Json::String(origin)])
            } else {
                value
            }),
            Some(Err(e)) => return Err(fail("config", e)),
            None => {
                let msg = format!("No config definition exists for '{name}'.");
                match missing.as_str() {
                    "skip" => {}
                    "warn" => crate::warn(format!("Skipping {name}: {msg}")),
                    _ => return Err(fail("config", msg)),
                }
            }
        }
    }
    Ok(out)
}

fn varnames(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    let names = ctx.scope.with_vars(|v| v.names()).unwrap_or_default();
    let mut out = Vec::new();
    for pattern in term_strings(call) {
        let re = crate::filters::regex::compile(&pattern, crate::filters::regex::Flags::default())?;
        for n in &names {
            if re.is_match(n).unwrap_or(false) && !out.contains(&Json::String(n.clone())) {
                out.push(Json::String(n.clone()));
            }
        }
    }
    Ok(out)
}

/// Where relative controller files are looked for: the templar's search paths, else
/// the `ansible_search_path` variable (the task's role, its file's directory, the
/// playbook directory), as Ansible's lookups do.
fn search_paths(ctx: &Arc<Ctx>) -> Vec<PathBuf> {
    let own = ctx.scope.templar.search_paths();
    if !own.is_empty() {
        return own.to_vec();
    }
    match ctx.resolve("ansible_search_path") {
        Ok(Some(v)) => match to_json(&v) {
            Ok(Json::Array(items)) => items
                .iter()
                .filter_map(Json::as_str)
                .map(PathBuf::from)
                .collect(),
            Ok(Json::String(s)) => vec![PathBuf::from(s)],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Finds a controller file: absolute paths as they are; relative ones in each search
/// path's `subdir/`, then the search path itself, then the working directory.
fn find_file(ctx: &Arc<Ctx>, subdir: &str, name: &str) -> Option<PathBuf> {
    let expanded = expand_user(name);
    let p = Path::new(&expanded);
    if p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    for base in search_paths(ctx) {
        for candidate in [base.join(subdir).join(p), base.join(p)] {
            if candidate.exists() {
                return Some(candidate);
            }
        }
    }
    p.exists().then(|| p.to_path_buf())
}

fn file_lookup(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    let rstrip = call
        .opts
        .get("rstrip")
        .map(crate::convert::json_truthy)
        .unwrap_or(true);
    let lstrip = call
        .opts
        .get("lstrip")
        .map(crate::convert::json_truthy)
        .unwrap_or(false);
    let mut out = Vec::new();
    for name in term_strings(call) {
        let path = find_file(ctx, "files", &name).ok_or_else(|| {
            fail(
                "file",
                format!("Unable to access the file '{name}': File not found. Use -vvvvv to see paths searched."),
            )
        })?;
        let bytes = std::fs::read(&path)
            .map_err(|e| fail("file", format!("Unable to read '{}': {e}", path.display())))?;
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        if rstrip {
            text.truncate(text.trim_end().len());
        }
        if lstrip {
            text = text.trim_start().to_string();
        }
        out.push(Json::String(text));
    }
    Ok(out)
}

/// Variables of the calling template with `template_vars` on top.
struct Overlay<'a> {
    extra: &'a Map<String, Json>,
    scope: &'a Scope,
}

impl Vars for Overlay<'_> {
    fn get(&self, name: &str) -> Option<Json> {
        match self.extra.get(name) {
            Some(v) => Some(v.clone()),
            None => self.scope.with_vars(|v| v.get(name)).flatten(),
        }
    }
    fn names(&self) -> Vec<String> {
        let mut names = self.scope.with_vars(|v| v.names()).unwrap_or_default();
        names.extend(self.extra.keys().cloned());
        names
    }
}

fn template_lookup(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    let empty = Map::new();
    let extra = match call.opts.get("template_vars") {
        Some(Json::Object(m)) => m,
        _ => &empty,
    };
    let defaults = crate::TextOptions {
        trim_blocks: call
            .opts
            .get("trim_blocks")
            .map(crate::convert::json_truthy)
            .unwrap_or(true),
        lstrip_blocks: call
            .opts
            .get("lstrip_blocks")
            .map(crate::convert::json_truthy)
            .unwrap_or(false),
        ..crate::TextOptions::default()
    };
    let mut out = Vec::new();
    for name in term_strings(call) {
        let path = find_file(ctx, "templates", &name).ok_or_else(|| {
            fail(
                "template",
                format!("the template file {name} could not be found for the lookup"),
            )
        })?;
        let source = std::fs::read_to_string(&path)
            .map_err(|e| fail("template", format!("{}: {e}", path.display())))?;
        let mut opts = defaults.clone();
        let source =
            crate::template_overrides(&source, &mut opts).map_err(|e| fail("template", e))?;
        let mut search = vec![path.parent().map(Path::to_path_buf).unwrap_or_default()];
        search.extend(search_paths(ctx));
        let templar = ctx.scope.templar.with_search_paths(search);
        let overlay = Overlay {
            extra,
            scope: &ctx.scope,
        };
        let text = templar
            .render_text(source, &overlay, &opts)
            .map_err(|e| fail("template", e.message))?;
        // One expression's value stays what it is (convert_data or not, as 2.19).
        let native = crate::env::syntax(&opts.delimiters, crate::env::Whitespace::default())
            .ok()
            .and_then(|syntax| crate::native::single_expression(source, &syntax))
            .and_then(|expr| templar.expression(&expr, &overlay).ok())
            .filter(|v| !v.is_string());
        out.push(native.unwrap_or(Json::String(text)));
    }
    Ok(out)
}

fn run_shell(plugin: &str, cmd: &str) -> Result<String, Error> {
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| fail(plugin, format!("cannot run /bin/sh: {e}")))?;
    if !out.status.success() {
        return Err(fail(
            plugin,
            format!(
                "lookup_plugin.{plugin}({cmd}) returned {}",
                out.status.code().unwrap_or(-1)
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn first_found(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    let mut files: Vec<String> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    let mut skip = call
        .opts
        .get("skip")
        .map(crate::convert::json_truthy)
        .unwrap_or(false);
    let split = |s: &str| -> Vec<String> {
        s.split([',', ';'])
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    };
    let add_term =
        |t: &Json, files: &mut Vec<String>, paths: &mut Vec<String>, skip: &mut bool| match t {
            Json::Object(m) => {
                for f in m.get("files").map(flatten_one_json).unwrap_or_default() {
                    files.extend(split(&json_str(&f)));
                }
                for p in m.get("paths").map(flatten_one_json).unwrap_or_default() {
                    paths.extend(split(&json_str(&p)));
                }
                if let Some(s) = m.get("skip") {
                    *skip = crate::convert::json_truthy(s);
                }
            }
            other => files.push(json_str(other)),
        };
    for t in flatten_one(&call.terms) {
        add_term(&t, &mut files, &mut paths, &mut skip);
    }
    if let Some(f) = call.opts.get("files") {
        for f in flatten_one_json(f) {
            files.extend(split(&json_str(&f)));
        }
    }
    if let Some(p) = call.opts.get("paths") {
        for p in flatten_one_json(p) {
            paths.extend(split(&json_str(&p)));
        }
    }
    for f in &files {
        let candidates: Vec<String> = if paths.is_empty() || Path::new(f).is_absolute() {
            vec![f.clone()]
        } else {
            paths
                .iter()
                .map(|p| Path::new(p).join(f).to_string_lossy().into_owned())
                .collect()
        };
        for c in candidates {
            if let Some(found) = find_file(ctx, "files", &c) {
                let abs = drover_yaml::normpath(&std::path::absolute(&found).unwrap_or(found));
                return Ok(vec![Json::String(abs.to_string_lossy().into_owned())]);
            }
        }
    }
    if skip {
        return Ok(Vec::new());
    }
    Err(fail(
        "first_found",
        "No file was found when using first_found.",
    ))
}

fn flatten_one_json(v: &Json) -> Vec<Json> {
    match v {
        Json::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn fileglob(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    let mut out = Vec::new();
    for pattern in term_strings(call) {
        let pattern = expand_user(&pattern);
        let bases: Vec<PathBuf> = if Path::new(&pattern).is_absolute() {
            vec![PathBuf::new()]
        } else {
            let mut b: Vec<PathBuf> = search_paths(ctx)
                .iter()
                .flat_map(|p| [p.join("files"), p.clone()])
                .collect();
            b.push(PathBuf::from("."));
            b
        };
        for base in bases {
            let full = base.join(&pattern);
            let Ok(paths) = glob::glob(&full.to_string_lossy()) else {
                continue;
            };
            let mut found: Vec<String> = paths
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .map(|p| drover_yaml::normpath(&p).to_string_lossy().into_owned())
                .collect();
            if !found.is_empty() {
                found.sort();
                out.extend(found.into_iter().map(Json::String));
                break;
            }
        }
    }
    Ok(out)
}

/// `with_sequence`: `start=1 end=10 stride=2 format=x%02d`, `count=`, or `1-10/2:fmt`.
fn sequence(call: &Call) -> Result<Vec<Json>, Error> {
    let mut out = Vec::new();
    // Keyword arguments alone make one sequence (`query('sequence', count=5)`).
    let mut terms = term_strings(call);
    if terms.is_empty() && !call.opts.is_empty() {
        terms.push(String::new());
    }
    for term in terms {
        let (mut start, mut end, mut stride, mut count, mut format) =
            (1i64, None::<i64>, 1i64, None::<i64>, "%d".to_string());
        // ansible-core's message for an option that is not an integer.
        let parse_opt = |key: &str, v: &str| -> Result<i64, Error> {
            crate::filters::parse_py_int(v, 0).ok_or_else(|| {
                fail(
                    "sequence",
                    format!("Config '{key}' for 'sequence' lookup plugin from 'Direct' has an invalid value: Invalid value provided for 'integer': '{v}'"),
                )
            })
        };
        for (k, v) in call.opts.iter() {
            let v = json_str(v);
            match k.as_str() {
                "start" => start = parse_opt("start", &v)?,
                "end" => end = Some(parse_opt("end", &v)?),
                "stride" => stride = parse_opt("stride", &v)?,
                "count" => count = Some(parse_opt("count", &v)?),
                "format" => format = v,
                _ => {}
            }
        }
        if term.contains('=') {
            for part in term.split_whitespace() {
                let Some((k, v)) = part.split_once('=') else {
                    return Err(fail(
                        "sequence",
                        format!("unrecognized arguments to with_sequence: {part}"),
                    ));
                };
                match k {
                    "start" => start = parse_opt("start", v)?,
                    "end" => end = Some(parse_opt("end", v)?),
                    "stride" => stride = parse_opt("stride", v)?,
                    "count" => count = Some(parse_opt("count", v)?),
                    "format" => format = v.to_string(),
                    other => {
                        return Err(fail(
                            "sequence",
                            format!("unrecognized arguments to with_sequence: {other}"),
                        ))
                    }
                }
            }
        } else if !term.trim().is_empty() {
            // shortcut form: [start-]end[/stride][:format]
            let (body, fmt) = match term.split_once(':') {
                Some((b, f)) => (b, Some(f)),
                None => (term.as_str(), None),
            };
            let (range, st) = match body.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (body, None),
            };
            match range.split_once('-') {
                Some((s, e)) if !s.is_empty() => {
                    start = parse_opt("start", s)?;
                    end = Some(parse_opt("end", e)?);
                }
                _ => end = Some(parse_opt("end", range)?),
            }
            if let Some(s) = st {
                stride = parse_opt("stride", s)?;
            }
            if let Some(f) = fmt {
                format = f.to_string();
            }
        }
        if let Some(c) = count {
            if end.is_some() {
                return Err(fail(
                    "sequence",
                    "can't specify both count and end in with_sequence",
                ));
            }
            // ansible-core's arithmetic, quirks included (a negative stride counts
            // past `count` items: `count=5 stride=-1` gives 0 to -6).
            end = Some(if c <= 0 {
                start - stride
            } else {
                start + c * stride - 1
            });
            if c <= 0 {
                continue;
            }
        }
        let end =
            end.ok_or_else(|| fail("sequence", "must specify count or end in with_sequence"))?;
        if stride == 0 {
            continue;
        }
        if stride > 0 && end < start {
            return Err(fail("sequence", "to count backwards make stride negative"));
        }
        if stride < 0 && end > start {
            return Err(fail(
                "sequence",
                "to count forward don't make stride negative",
            ));
        }
        let mut i = start;
        while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
            let s = crate::pyformat::format(&format, &[Json::from(i)])
                .map_err(|_| fail("sequence", format!("bad formatting string: {format}")))?;
            out.push(Json::String(s));
            i += stride;
        }
    }
    Ok(out)
}

/// `password`: the first line of the file if it exists, else a new random password
/// written to it (`/dev/null` keeps nothing).
fn password(call: &Call, ctx: &Arc<Ctx>) -> Result<Vec<Json>, Error> {
    let mut out = Vec::new();
    for term in term_strings(call) {
        let mut parts = term.split_whitespace();
        let Some(path) = parts.next() else {
            return Err(fail("password", "a path is required"));
        };
        let mut length = 20usize;
        let mut chars_spec: Option<String> = None;
        let mut params: Vec<(String, String)> = parts
            .filter_map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect();
        for (k, v) in &call.opts {
            params.push((k.clone(), json_str(v)));
        }
        for (k, v) in params {
            match k.as_str() {
                "length" => {
                    length = v
                        .parse()
                        .map_err(|_| fail("password", format!("invalid length {v}")))?
                }
                "chars" => chars_spec = Some(v),
                _ => {}
            }
        }
        let path = if Path::new(path).is_absolute() || path == "/dev/null" {
            PathBuf::from(path)
        } else {
            ctx.scope
                .templar
                .search_paths()
                .first()
                .map(|b| b.join(path))
                .unwrap_or_else(|| PathBuf::from(path))
        };
        if path != Path::new("/dev/null") {
            if let Ok(content) = std::fs::read_to_string(&path) {
                let first = content.lines().next().unwrap_or("");
                let pw = first
                    .split(" salt=")
                    .next()
                    .unwrap_or(first)
                    .split(" ident=")
                    .next()
                    .unwrap_or(first);
                out.push(Json::String(pw.to_string()));
                continue;
            }
        }
        let alphabet = password_chars(chars_spec.as_deref());
        if alphabet.is_empty() {
            return Err(fail("password", "no characters to choose from"));
        }
        use rand::Rng;
        let mut rng = rand::rng();
        let pw: String = (0..length)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        if path != Path::new("/dev/null") {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| fail("password", format!("{}: {e}", dir.display())))?;
            }
            write_private(&path, &format!("{pw}\n"))
                .map_err(|e| fail("password", format!("{}: {e}", path.display())))?;
        }
        out.push(Json::String(pw));
    }
    Ok(out)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

fn password_chars(spec: Option<&str>) -> Vec<char> {
    const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const DIGITS: &str = "0123456789";
    const PUNCT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    let spec = spec.unwrap_or("ascii_letters,digits,.,:-_");
    let mut out = String::new();
    // ",," is a literal comma
    let spec = spec.replace(",,", "\u{0}");
    for part in spec.split(',') {
        let part = part.replace('\u{0}', ",");
        match part.as_str() {
            "ascii_letters" | "letters" => out.push_str(&format!("{LOWER}{UPPER}")),
            "ascii_lowercase" => out.push_str(LOWER),
            "ascii_uppercase" => out.push_str(UPPER),
            "digits" => out.push_str(DIGITS),
            "hexdigits" => out.push_str("0123456789abcdefABCDEF"),
            "octdigits" => out.push_str("01234567"),
            "punctuation" => out.push_str(PUNCT),
            other => out.push_str(other),
        }
    }
    let mut chars: Vec<char> = Vec::new();
    for c in out.chars() {
        if !chars.contains(&c) {
            chars.push(c);
        }
    }
    chars
}

fn lists(call: &Call, plugin: &str) -> Result<Vec<Vec<Json>>, Error> {
    let terms = match call.terms.as_slice() {
        [Json::Array(inner)] if inner.iter().all(Json::is_array) => inner.clone(),
        t => t.to_vec(),
    };
    terms
        .into_iter()
        .map(|t| match t {
            Json::Array(items) => Ok(items),
            other => Err(fail(
                plugin,
                format!("expected lists, got {}", json_str(&other)),
            )),
        })
        .collect()
}

fn together(call: &Call) -> Result<Vec<Json>, Error> {
    let lists = lists(call, "together")?;
    if lists.is_empty() {
        return Err(fail(
            "together",
            "with_together requires at least one element in each list",
        ));
    }
    let len = lists.iter().map(Vec::len).max().unwrap_or(0);
    Ok((0..len)
        .map(|i| {
            Json::Array(
                lists
                    .iter()
                    .map(|l| l.get(i).cloned().unwrap_or(Json::Null))
                    .collect(),
            )
        })
        .collect())
}

fn nested(call: &Call) -> Result<Vec<Json>, Error> {
    let lists = lists(call, "nested")?;
    let mut result: Vec<Vec<Json>> = vec![Vec::new()];
    for l in &lists {
        let mut next = Vec::new();
        for prefix in &result {
            for item in l {
                let mut c = prefix.clone();
                c.push(item.clone());
                next.push(c);
            }
        }
        result = next;
    }
    Ok(result.into_iter().map(Json::Array).collect())
}

fn subelements(call: &Call) -> Result<Vec<Json>, Error> {
    const EXPECTS: &str = "subelements lookup expects a list of two or three items, ";
    let shape = || {
        fail(
            "subelements",
            format!("{EXPECTS}first a dict or a list, second a string pointing to the subkey"),
        )
    };
    let (items, key, flags) = match call.terms.as_slice() {
        [items, Json::String(key)] => (items.clone(), key.clone(), Json::Null),
        [items, Json::String(key), flags] => (items.clone(), key.clone(), flags.clone()),
        [_, _] | [_, _, _] => return Err(shape()),
        _ => return Err(fail("subelements", EXPECTS)),
    };
    let flags = match flags {
        Json::Null => serde_json::Map::new(),
        Json::Object(m) if m.keys().all(|k| k == "skip_missing") => m,
        _ => {
            return Err(fail(
                "subelements",
                format!("{EXPECTS}the optional third item must be a dict with flags skip_missing"),
            ))
        }
    };
    let skip_missing = flags
        .get("skip_missing")
        .map(crate::convert::json_truthy)
        .unwrap_or(false);
    let items = match items {
        Json::Array(a) => a,
        // A registered result that was skipped as a whole gives nothing.
        Json::Object(m) if m.get("skipped").is_some_and(|v| v != &Json::Bool(false)) => {
            return Ok(Vec::new())
        }
        Json::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
        _ => return Err(shape()),
    };
    let mut out = Vec::new();
    let parts: Vec<&str> = key.split('.').collect();
    let err = |msg: String| fail("subelements", msg);
    'items: for mut item in items {
        // An item a loop skipped (`skipped: true`) is left out.
        if item.get("skipped") == Some(&Json::Bool(true)) {
            continue;
        }
        // Walk down to the list, as ansible-core does, naming the part that failed.
        let mut holder = &mut item;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let here = crate::pyrepr::json_str(holder);
            let Some(map) = holder.as_object_mut() else {
                return Err(err(format!(
                    "could not find '{part}' key in iterated item '{here}'"
                )));
            };
            if !map.contains_key(*part) {
                if skip_missing {
                    continue 'items;
                }
                return Err(err(format!(
                    "could not find '{part}' key in iterated item '{here}'"
                )));
            }
            if !last {
                match map.get_mut(*part) {
                    Some(next) if next.is_object() => {
                        holder = next;
                        continue;
                    }
                    _ if skip_missing => continue 'items,
                    next => {
                        return Err(err(format!(
                            "the key {part} should point to a dictionary, got '{}'",
                            next.map(|n| crate::pyrepr::json_str(n)).unwrap_or_default()
                        )))
                    }
                }
            }
            // The list is taken out of the item: `item.0` has no `keys` any more.
            match map.shift_remove(*part) {
                Some(Json::Array(subs)) => {
                    for s in subs {
                        out.push(Json::Array(vec![item.clone(), s]));
                    }
                }
                Some(other) => {
                    return Err(err(format!(
                        "the key {part} should point to a list, got '{}'",
                        crate::pyrepr::json_str(&other)
                    )))
                }
                None => {}
            }
            continue 'items;
        }
    }
    Ok(out)
}

fn random_choice(call: &Call) -> Result<Vec<Json>, Error> {
    use rand::Rng;
    let items = flatten_one(&call.terms);
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let i = rand::rng().random_range(0..items.len());
    Ok(vec![items[i].clone()])
}
