//! Building the minijinja environments: Ansible's whitespace rules, the undefined
//! policy, output formatting, and the loader that doubles as our compile cache.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Object, ValueKind};
use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value};

use crate::convert::{to_json, undefined_error};
use crate::pyrepr::py_str;

/// Template names starting with this carry their own source: the loader returns the
/// rest of the name, and minijinja's template store becomes a compile cache keyed by
/// source text.
pub(crate) const INLINE: &str = "\u{1}T";
/// Like [`INLINE`], but the rest is a bare expression compiled as `{{ expr }}`.
pub(crate) const EXPR: &str = "\u{1}E";
/// What [`EXPR`] puts before the expression (for error columns).
pub(crate) const EXPR_OPEN: &str = "{{ ";
const EXPR_CLOSE: &str = " }}";
/// Temp under which a data render records its emitted values.
const CAPTURE_KEY: &str = "__drover_capture__";

/// How a render prints values: data renders also capture the native value of a lone
/// expression; text renders (the template module) only print.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Data,
    Text,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct Whitespace {
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
    pub keep_trailing_newline: bool,
}

/// The Jinja delimiters: start and end of blocks, variables and comments (the template
/// module's `block_start_string`, ... options).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Delimiters {
    pub block: (String, String),
    pub variable: (String, String),
    pub comment: (String, String),
    /// Jinja's line statements (`# for x in y`), off unless set.
    pub line_statement: Option<String>,
    /// Jinja's line comments (`## note`), off unless set.
    pub line_comment: Option<String>,
}

impl Default for Delimiters {
    fn default() -> Self {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        Delimiters {
            block: pair("{%", "%}"),
            variable: pair("{{", "}}"),
            comment: pair("{#", "#}"),
            line_statement: None,
            line_comment: None,
        }
    }
}

pub(crate) fn build(
    mode: Mode,
    ws: Whitespace,
    delims: &Delimiters,
    omit: &'static str,
) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    // Debug mode makes undefined values remember where they came from, which is how an
    // error can name the variable. It also copies variable values into minijinja's
    // error objects; those never leave this crate (see error::from_minijinja).
    env.set_debug(true);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    let syntax_config = syntax(delims, ws)?;
    env.set_syntax(syntax_config.clone());
    match mode {
        Mode::Data => {
            env.set_formatter(move |out, state, value| capture_format(out, state, value, omit))
        }
        Mode::Text => env.set_formatter(move |out, _state, value| text_format(out, value, omit)),
    }
    let loader_delims = delims.clone();
    env.set_loader(move |name| {
        let src = load_template(name, mode, &loader_delims)?;
        Ok(
            src.map(|src| match crate::strict::rewrite(&src, &syntax_config).0 {
                std::borrow::Cow::Borrowed(_) => src,
                std::borrow::Cow::Owned(wrapped) => wrapped,
            }),
        )
    });
    env.add_function(crate::percent::FUNCTION, |fmt: Value, args: Value| {
        crate::percent::pyformat(&fmt, &args)
    });
    env.add_function(crate::strict::FUNCTION, crate::strict::defined);
    env.add_function(crate::datetime::FUNCTION, crate::datetime::now);
    // `undef(hint)`: an undefined value (ansible-core's global, for `default(undef())`).
    env.add_function("undef", |_hint: Option<Value>| Value::UNDEFINED);
    env.add_function(
        crate::conditional::RENDER_LITERAL,
        crate::conditional::render_literal,
    );
    env.set_path_join_callback(join_template_path);
    env.set_unknown_method_callback(unknown_method);
    env.add_global("omit", Value::from(omit));
    crate::filters::register(&mut env);
    crate::jinja_tests::register(&mut env);
    crate::lookups::register(&mut env);
    Ok(env)
}

/// The delimiters and whitespace rules as minijinja's syntax configuration.
pub(crate) fn syntax(delims: &Delimiters, ws: Whitespace) -> Result<SyntaxConfig, Error> {
    let mut builder = SyntaxConfig::builder();
    builder
        .block_delimiters(delims.block.0.clone(), delims.block.1.clone())
        .variable_delimiters(delims.variable.0.clone(), delims.variable.1.clone())
        .comment_delimiters(delims.comment.0.clone(), delims.comment.1.clone())
        .trim_blocks(ws.trim_blocks)
        .lstrip_blocks(ws.lstrip_blocks)
        .keep_trailing_newline(ws.keep_trailing_newline);
    if let Some(prefix) = &delims.line_statement {
        builder.line_statement_prefix(prefix.clone());
    }
    if let Some(prefix) = &delims.line_comment {
        builder.line_comment_prefix(prefix.clone());
    }
    builder.build()
}

fn text_format(out: &mut Output, value: &Value, omit: &str) -> Result<(), Error> {
    match value.kind() {
        ValueKind::Undefined => Err(undefined_error(value)),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            if s != omit {
                out.write_str(s)?;
            }
            Ok(())
        }
        _ => Ok(out.write_str(&py_str(value))?),
    }
}

/// What a data render emitted through `{{ }}`: how many non-None values, the first one
/// as JSON, and how many bytes they printed (to tell whether any literal text was
/// emitted too).
#[derive(Debug, Default)]
struct CaptureState {
    count: usize,
    first: Option<serde_json::Value>,
    first_value: Option<Value>,
    printed: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Capture(Mutex<CaptureState>);

impl Object for Capture {}

/// The result of a data render, before deciding between native value and string.
pub(crate) struct Captured {
    pub count: usize,
    pub first: Option<serde_json::Value>,
    /// The first value as the template had it (with its trust mark).
    pub first_value: Option<Value>,
    pub printed: usize,
}

impl Capture {
    pub fn from_state(state: &State) -> Option<Captured> {
        let v = state.get_temp(CAPTURE_KEY)?;
        let cap = v.downcast_object_ref::<Capture>()?;
        let mut st = match cap.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        Some(Captured {
            count: st.count,
            first: st.first.take(),
            first_value: st.first_value.take(),
            printed: st.printed,
        })
    }
}

fn capture_format(
    out: &mut Output,
    state: &mut State,
    value: &Value,
    omit: &str,
) -> Result<(), Error> {
    if value.is_undefined() {
        return Err(undefined_error(value));
    }
    let holder = match state.get_temp(CAPTURE_KEY) {
        Some(v) => v,
        None => {
            let v = Value::from_object(Capture::default());
            state.set_temp(CAPTURE_KEY, v.clone());
            v
        }
    };
    let Some(cap) = holder.downcast_object_ref::<Capture>() else {
        return Ok(());
    };
    let mut st = match cap.0.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if value.is_none() {
        return Ok(());
    }
    st.count += 1;
    if st.count == 1 {
        st.first = Some(to_json(value)?);
        st.first_value = Some(value.clone());
    }
    match value.as_str() {
        Some(s) if value.kind() == ValueKind::String => {
            // `omit` inside a larger string prints nothing, as in Ansible.
            if s != omit {
                st.printed += s.len();
                out.write_str(s)?;
            }
        }
        _ => {
            let s = py_str(value);
            st.printed += s.len();
            out.write_str(&s)?;
        }
    }
    Ok(())
}

thread_local! {
    /// Directories file templates are searched in, for `{% include %}` and friends;
    /// set around each text render (the loader cannot see per-call state).
    static SEARCH_PATHS: RefCell<Vec<Arc<Vec<PathBuf>>>> = const { RefCell::new(Vec::new()) };
}

pub(crate) struct SearchGuard;

impl SearchGuard {
    pub fn push(paths: Arc<Vec<PathBuf>>) -> SearchGuard {
        SEARCH_PATHS.with(|s| s.borrow_mut().push(paths));
        SearchGuard
    }
}

impl Drop for SearchGuard {
    fn drop(&mut self) {
        SEARCH_PATHS.with(|s| {
            s.borrow_mut().pop();
        });
    }
}

fn current_search_paths() -> Arc<Vec<PathBuf>> {
    SEARCH_PATHS.with(|s| s.borrow().last().cloned().unwrap_or_default())
}

/// A template's source, with Python's `'...' % args` rewritten (see `percent`).
fn load_template(name: &str, mode: Mode, delims: &Delimiters) -> Result<Option<String>, Error> {
    let percent = |src: String| match crate::percent::rewrite(&src, delims) {
        std::borrow::Cow::Borrowed(_) => src,
        std::borrow::Cow::Owned(rewritten) => rewritten,
    };
    if let Some(src) = name.strip_prefix(INLINE) {
        return Ok(Some(percent(match mode {
            Mode::Data => crate::rawstrings::raw_string_literals(src).into_owned(),
            Mode::Text => src.to_string(),
        })));
    }
    if let Some(expr) = name.strip_prefix(EXPR) {
        let expr = crate::rawstrings::raw_string_literals(expr);
        return Ok(Some(percent(format!("{EXPR_OPEN}{expr}{EXPR_CLOSE}"))));
    }
    let path = Path::new(name);
    let found = if path.is_absolute() {
        Some(path.to_path_buf())
    } else {
        find_in_search_paths(name, &current_search_paths())
    };
    match found {
        Some(p) => match std::fs::read_to_string(&p) {
            Ok(text) => Ok(Some(percent(text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(crate::error::op_err(format!(
                "could not read {}: {e}",
                p.display()
            ))),
        },
        None => Ok(None),
    }
}

/// Includes are resolved to absolute paths so that the template cache never confuses
/// two roles' `header.j2`.
fn join_template_path<'s>(name: &'s str, parent: &'s str) -> std::borrow::Cow<'s, str> {
    if Path::new(name).is_absolute() {
        return name.into();
    }
    if !parent.starts_with('\u{1}') {
        if let Some(dir) = Path::new(parent).parent() {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate.to_string_lossy().into_owned().into();
            }
        }
    }
    match find_in_search_paths(name, &current_search_paths()) {
        Some(p) => p.to_string_lossy().into_owned().into(),
        None => name.into(),
    }
}

pub(crate) fn find_in_search_paths(name: &str, paths: &[PathBuf]) -> Option<PathBuf> {
    for base in paths {
        for candidate in [base.join("templates").join(name), base.join(name)] {
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Wraps the builtin filters that would quietly accept an undefined value, so that
/// using one is an error naming it, as in Ansible.
/// A string without its trust mark. minijinja's builtins read the mark as
/// "HTML-safe" (`escape` would leave the string as it is, `format` would escape its
/// arguments); they never see it, and what they return is not trusted.
fn untrusted(v: Value) -> Value {
    match v.as_str() {
        Some(s) if v.is_safe() => Value::from(s),
        _ => v,
    }
}

/// Python's methods on values: minijinja-contrib's, plus a list's `index` and `count`.
fn unknown_method(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    if value.kind() == ValueKind::Seq && matches!(method, "index" | "count") {
        let (needle,): (Value,) = minijinja::value::from_args(args)?;
        let items: Vec<Value> = value.try_iter()?.collect();
        return match method {
            "count" => Ok(Value::from(items.iter().filter(|i| **i == needle).count())),
            _ => match items.iter().position(|i| *i == needle) {
                Some(i) => Ok(Value::from(i)),
                None => Err(crate::error::op_err(format!(
                    "{} is not in list",
                    crate::convert::to_json(&needle)
                        .map(|j| crate::pyrepr::json_repr(&j))
                        .unwrap_or_else(|_| needle.to_string())
                ))),
            },
        };
    }
    minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
}

pub(crate) fn strict_builtin(env: &mut Environment<'static>, name: &'static str, f: Value) {
    env.add_filter(
        name,
        move |state: &mut State, args: minijinja::value::Rest<minijinja::value::ValueOrKwargs>| {
            let all: Vec<Value> = args
                .0
                .into_iter()
                .map(|a| untrusted(a.into_value()))
                .collect();
            if let Some(first) = all.first() {
                if first.is_undefined() {
                    return Err(undefined_error(first));
                }
            }
            f.call(state, &all).map(untrusted)
        },
    );
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn search_paths_prefer_templates_dir() {
        let dir = std::env::temp_dir().join(format!("drover-tpl-search-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(dir.join("templates/a.j2"), "t").unwrap();
        std::fs::write(dir.join("a.j2"), "plain").unwrap();
        let found = find_in_search_paths("a.j2", std::slice::from_ref(&dir)).unwrap();
        assert_eq!(found, dir.join("templates/a.j2"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
