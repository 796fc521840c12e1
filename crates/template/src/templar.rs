//! [`Templar`]: the public entry points for rendering strings, values, files and
//! conditionals.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use minijinja::Environment;
use serde_json::Value as Json;

use crate::context::{Ctx, Scope};
use crate::convert::py_type_name;
use crate::env::{
    self, Capture, Captured, Delimiters, Mode, SearchGuard, Whitespace, EXPR, EXPR_OPEN, INLINE,
};
use crate::error::{from_minijinja, SourceShift, TemplateError};
use crate::Vars;

/// How [`Templar::render_text`] treats whitespace, as the template module's options do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOptions {
    /// Remove the first newline after a block tag (Ansible's default: true).
    pub trim_blocks: bool,
    /// Strip spaces and tabs before a block tag on its line (default: false).
    pub lstrip_blocks: bool,
    /// Keep the template's final newlines (default: true, as the template module does:
    /// Ansible's preserve_trailing_newlines).
    pub keep_trailing_newline: bool,
    /// Line ending written for each newline: "\n", "\r\n" or "\r".
    pub newline_sequence: String,
    /// Directories searched after the templar's own for `include`/`import` (each with
    /// its `templates/` first): the template file's own directory, as Ansible adds it.
    pub search_paths: Vec<PathBuf>,
    pub delimiters: Delimiters,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            trim_blocks: true,
            lstrip_blocks: false,
            keep_trailing_newline: true,
            newline_sequence: "\n".to_string(),
            search_paths: Vec::new(),
            delimiters: Delimiters::default(),
        }
    }
}

struct Shared {
    data: Environment<'static>,
    text: Mutex<HashMap<(Whitespace, Delimiters), Arc<Environment<'static>>>>,
}

/// The templating engine of one run: cheap to clone; compiled templates are cached by
/// their source text and shared by all clones.
#[derive(Clone)]
pub struct Templar {
    shared: Arc<Shared>,
    search_paths: Arc<Vec<PathBuf>>,
}

impl Default for Templar {
    fn default() -> Self {
        Templar::new()
    }
}

impl std::fmt::Debug for Templar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templar")
            .field("search_paths", &self.search_paths)
            .finish()
    }
}

/// The data environment: trim_blocks on, and the final newline dropped while lexing
/// (it is put back on string results, see `finish_data`).
const DATA_WS: Whitespace = Whitespace {
    trim_blocks: true,
    lstrip_blocks: false,
    keep_trailing_newline: false,
};

pub(crate) fn is_template_str(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'{' && (w[1] == b'{' || w[1] == b'%' || w[1] == b'#'))
}

impl Templar {
    /// The value `omit` has in every render; task arguments equal to it are dropped.
    pub const OMIT: &'static str = "__omit_place_holder__5f3c1e0b9a7d4e2f8c6b1a0d9e8f7c6b5a4d3e2f";

    pub fn new() -> Templar {
        let data = match env::build(Mode::Data, DATA_WS, &Delimiters::default(), Templar::OMIT) {
            Ok(env) => env,
            // The syntax settings are constants; building cannot fail on user input.
            Err(_) => Environment::new(),
        };
        Templar {
            shared: Arc::new(Shared {
                data,
                text: Mutex::new(HashMap::new()),
            }),
            search_paths: Arc::new(Vec::new()),
        }
    }

    /// A templar sharing this one's caches, whose file lookups (`lookup('file')`,
    /// `lookup('template')`, includes) search `paths` in order, each also with its
    /// `files/` or `templates/` subdirectory first, as Ansible does for roles.
    pub fn with_search_paths(&self, paths: Vec<PathBuf>) -> Templar {
        Templar {
            shared: self.shared.clone(),
            search_paths: Arc::new(paths),
        }
    }

    pub fn search_paths(&self) -> &[PathBuf] {
        &self.search_paths
    }

    /// Does `s` contain `{{`, `{%` or `{#`?
    pub fn is_template(s: &str) -> bool {
        is_template_str(s)
    }

    /// Does any string inside `v` (map keys too) contain a template?
    pub fn is_template_value(v: &Json) -> bool {
        crate::convert::json_has_template(v)
    }

    /// Renders a string. A template that prints exactly one value and nothing else
    /// (`"{{ [1, 2] }}"`) gives that value natively, as Ansible 2.19 does; anything
    /// else gives a string.
    pub fn render(&self, s: &str, vars: &dyn Vars) -> Result<Json, TemplateError> {
        if !is_template_str(s) {
            return Ok(Json::String(s.to_string()));
        }
        let guard = Scope::enter(self, vars);
        self.render_str_in(s, &guard.root())
    }

    /// Renders every string inside `v` (map keys too).
    pub fn render_value(&self, v: &Json, vars: &dyn Vars) -> Result<Json, TemplateError> {
        if !crate::convert::json_has_template(v) {
            return Ok(v.clone());
        }
        let guard = Scope::enter(self, vars);
        self.render_json_in(v, &guard.root())
    }

    /// Renders a file-like template to text, as the template module does.
    pub fn render_text(
        &self,
        s: &str,
        vars: &dyn Vars,
        opts: &TextOptions,
    ) -> Result<String, TemplateError> {
        let guard = Scope::enter(self, vars);
        self.render_text_in(s, &guard.root(), opts)
    }

    /// Evaluates a bare expression to its native value.
    pub fn expression(&self, expr: &str, vars: &dyn Vars) -> Result<Json, TemplateError> {
        let guard = Scope::enter(self, vars);
        self.eval_in(expr.trim(), &guard.root())
    }

    /// Runs a lookup plugin as `query()` does (always a list): what `with_<name>` loops
    /// iterate over. `terms` are passed already rendered.
    pub fn query(
        &self,
        plugin: &str,
        terms: &[Json],
        kwargs: &serde_json::Map<String, Json>,
        vars: &dyn Vars,
    ) -> Result<Vec<Json>, TemplateError> {
        let guard = Scope::enter(self, vars);
        crate::lookups::run_json(plugin, terms, kwargs, &guard.root())
    }

    // ---- internals, all running inside one Scope ----

    pub(crate) fn render_json_in(&self, v: &Json, ctx: &Arc<Ctx>) -> Result<Json, TemplateError> {
        Ok(match v {
            Json::String(s) if is_template_str(s) => self.render_str_in(s, ctx)?,
            Json::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.render_json_in(i, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, item) in map {
                    let key = self.render_key_in(k, ctx)?;
                    out.insert(key, self.render_json_in(item, ctx)?);
                }
                Json::Object(out)
            }
            other => other.clone(),
        })
    }

    pub(crate) fn render_str_in(&self, s: &str, ctx: &Arc<Ctx>) -> Result<Json, TemplateError> {
        if !is_template_str(s) {
            return Ok(Json::String(s.to_string()));
        }
        let name = format!("{INLINE}{s}");
        self.run_data(&name, s, 0, ctx, s.ends_with('\n'))
    }

    pub(crate) fn eval_in(&self, expr: &str, ctx: &Arc<Ctx>) -> Result<Json, TemplateError> {
        let name = format!("{EXPR}{expr}");
        let source = format!("{EXPR_OPEN}{expr} }}}}");
        self.run_data(&name, &source, EXPR_OPEN.len() as u32, ctx, false)
    }

    fn run_data(
        &self,
        name: &str,
        source: &str,
        first_line_cols: u32,
        ctx: &Arc<Ctx>,
        trailing_newline: bool,
    ) -> Result<Json, TemplateError> {
        let (output, cap) = self.run_captured(name, source, first_line_cols, ctx)?;
        Ok(finish_data(output, cap, trailing_newline))
    }

    /// A mapping key, rendered when it is a template (a value that is not a string
    /// becomes its Python text).
    fn render_key_in(&self, k: &str, ctx: &Arc<Ctx>) -> Result<String, TemplateError> {
        if !is_template_str(k) {
            return Ok(k.to_string());
        }
        Ok(match self.render_str_in(k, ctx)? {
            Json::String(s) => s,
            other => crate::pyrepr::json_str(&other),
        })
    }

    /// Renders a string as [`Self::render_str_in`] does, to a template value: a value
    /// passed through from a variable keeps its trust mark, text the template made
    /// has none.
    pub(crate) fn render_str_value_in(
        &self,
        s: &str,
        ctx: &Arc<Ctx>,
    ) -> Result<minijinja::Value, TemplateError> {
        let name = format!("{INLINE}{s}");
        let (output, cap) = self.run_captured(&name, s, 0, ctx)?;
        let trailing_newline = s.ends_with('\n');
        Ok(match cap {
            Some(Captured {
                first_value: Some(v),
                printed,
                count: 1,
                ..
            }) if printed == output.len() && !trailing_newline && is_plain_data(&v) => v,
            cap => crate::convert::to_value(&finish_data(output, cap, trailing_newline)),
        })
    }

    /// Renders every template inside a variable's value `v`, keeping the trust of
    /// what is not rendered (see [`crate::convert::to_trusted_value`]).
    pub(crate) fn render_json_value_in(
        &self,
        v: &Json,
        ctx: &Arc<Ctx>,
        trusted: bool,
    ) -> Result<minijinja::Value, TemplateError> {
        use minijinja::Value;
        Ok(match v {
            Json::String(s) if is_template_str(s) => match drover_yaml::unsafe_inner(s) {
                Some(inner) => Value::from(inner),
                None => self.render_str_value_in(s, ctx)?,
            },
            Json::Array(items) => Value::from(
                items
                    .iter()
                    .map(|i| self.render_json_value_in(i, ctx, trusted))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Json::Object(map) => {
                let mut out = Vec::with_capacity(map.len());
                for (k, item) in map {
                    let key = self.render_key_in(k, ctx)?;
                    out.push((
                        Value::from(key),
                        self.render_json_value_in(item, ctx, trusted)?,
                    ));
                }
                Value::from_pairs(out)
            }
            other => crate::convert::to_trusted_value(other, trusted),
        })
    }

    fn run_captured(
        &self,
        name: &str,
        source: &str,
        first_line_cols: u32,
        ctx: &Arc<Ctx>,
    ) -> Result<(String, Option<Captured>), TemplateError> {
        let env = &self.shared.data;
        let delims = Delimiters::default();
        let convert =
            |e: &minijinja::Error| self.convert_error(e, source, first_line_cols, &delims, ctx);
        let tmpl = env.get_template(name).map_err(|e| convert(&e))?;
        let captured = tmpl
            .render_captured(ctx.as_value())
            .map_err(|e| convert(&e))?;
        let cap = Capture::from_state(captured.state());
        Ok((captured.into_output(), cap))
    }

    pub(crate) fn render_text_in(
        &self,
        s: &str,
        ctx: &Arc<Ctx>,
        opts: &TextOptions,
    ) -> Result<String, TemplateError> {
        let env = self.text_env(opts)?;
        let search = if opts.search_paths.is_empty() {
            self.search_paths.clone()
        } else {
            let mut all = self.search_paths.to_vec();
            all.extend(opts.search_paths.iter().cloned());
            Arc::new(all)
        };
        let _search = SearchGuard::push(search);
        let name = format!("{INLINE}{s}");
        let convert = |e: &minijinja::Error| self.convert_error(e, s, 0, &opts.delimiters, ctx);
        let tmpl = env.get_template(&name).map_err(|e| convert(&e))?;
        let mut out = tmpl.render(ctx.as_value()).map_err(|e| convert(&e))?;
        if opts.keep_trailing_newline {
            // Ansible's preserve_trailing_newlines: Jinja drops the final newline (and
            // trim_blocks may eat one after a last block tag); the output gets as many
            // trailing newlines as the source had. Included templates keep none.
            let trailing = |t: &str| t.len() - t.trim_end_matches('\n').len();
            let missing = trailing(s).saturating_sub(trailing(&out));
            out.push_str(&"\n".repeat(missing));
        }
        Ok(match opts.newline_sequence.as_str() {
            "\n" => out,
            seq => out.replace('\n', seq),
        })
    }

    fn text_env(&self, opts: &TextOptions) -> Result<Arc<Environment<'static>>, TemplateError> {
        let ws = Whitespace {
            trim_blocks: opts.trim_blocks,
            lstrip_blocks: opts.lstrip_blocks,
            // The final newlines are put back after rendering (see render_text_in).
            keep_trailing_newline: false,
        };
        let mut envs = match self.shared.text.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let key = (ws, opts.delimiters.clone());
        if let Some(env) = envs.get(&key) {
            return Ok(env.clone());
        }
        let env = Arc::new(
            env::build(Mode::Text, ws, &opts.delimiters, Templar::OMIT).map_err(|e| {
                TemplateError::new(format!("cannot set up template environment: {e}"))
            })?,
        );
        envs.insert(key, env.clone());
        Ok(env)
    }

    fn convert_error(
        &self,
        e: &minijinja::Error,
        source: &str,
        first_line_cols: u32,
        delims: &Delimiters,
        ctx: &Arc<Ctx>,
    ) -> TemplateError {
        // Columns point into what the user wrote, not at the operands' wrappers.
        let syntax = env::syntax(delims, Whitespace::default()).ok();
        let inserted = syntax.map(|syntax| crate::strict::rewrite(source, &syntax).1);
        let shift = SourceShift {
            first_line_cols,
            inserted: inserted.as_ref(),
        };
        from_minijinja(e, source, shift, |expr| {
            self.undefined_message(expr, ctx, 0)
        })
    }

    /// Ansible's message for an undefined expression: "'x' is undefined" for a missing
    /// variable, "object of type 'dict' has no attribute 'k'" for a missing key.
    fn undefined_message(&self, expr: &str, ctx: &Arc<Ctx>, depth: usize) -> String {
        if let Some((base, attr)) = split_last_access(expr) {
            if depth < 8 {
                if let Ok(v) = self.eval_value(base, ctx) {
                    if !v.is_undefined() {
                        return format!(
                            "object of type '{}' has no attribute {attr}",
                            py_type_name(&v)
                        );
                    }
                }
                return self.undefined_message(base, ctx, depth + 1);
            }
        }
        if let Some(cause) = ctx.scope.undefined_cause(expr) {
            return cause;
        }
        format!("'{expr}' is undefined")
    }

    /// Evaluates an expression to a template value (undefined allowed), for messages.
    fn eval_value(&self, expr: &str, ctx: &Arc<Ctx>) -> Result<minijinja::Value, minijinja::Error> {
        let compiled = self.shared.data.compile_expression(expr)?;
        compiled.eval(ctx.as_value())
    }
}

/// Splits `a.b['c']` into (`a.b`, `'c'`) and `a.b` into (`a`, `'b'`); the attribute is
/// rendered as Python would print it in an AttributeError.
fn split_last_access(expr: &str) -> Option<(&str, String)> {
    if let Some(stripped) = expr.strip_suffix(']') {
        let open = stripped.rfind('[')?;
        let key = &stripped[open + 1..];
        if key == "..." {
            return None;
        }
        let attr = match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
            Some(inner) => format!("'{inner}'"),
            None => key.to_string(),
        };
        return Some((&expr[..open], attr));
    }
    let dot = expr.rfind('.')?;
    Some((&expr[..dot], format!("'{}'", &expr[dot + 1..])))
}

/// Strings, numbers, lists and maps of them: a value that can be kept as the template
/// gave it (anything else, such as a lazy view or an iterator, is converted to data).
fn is_plain_data(v: &minijinja::Value) -> bool {
    use minijinja::value::ValueKind;
    // minijinja's map type (with its `preserve_order` feature).
    type ValueMap = indexmap::IndexMap<minijinja::Value, minijinja::Value>;
    match v.kind() {
        ValueKind::None | ValueKind::Bool | ValueKind::Number | ValueKind::String => true,
        ValueKind::Seq => v
            .downcast_object_ref::<Vec<minijinja::Value>>()
            .is_some_and(|items| items.iter().all(is_plain_data)),
        ValueKind::Map => v
            .downcast_object_ref::<ValueMap>()
            .is_some_and(|m| m.values().all(is_plain_data)),
        _ => false,
    }
}

/// Ansible's native concatenation: a template that printed one value and no literal
/// text returns that value; nothing at all is None; anything else is the string.
fn finish_data(output: String, cap: Option<Captured>, trailing_newline: bool) -> Json {
    let mut result = match cap {
        Some(cap) if cap.printed == output.len() && cap.count <= 1 => {
            cap.first.unwrap_or(Json::Null)
        }
        None if output.is_empty() => Json::Null,
        _ => Json::String(output),
    };
    // Jinja drops the template's final newline while lexing; Ansible puts it back on
    // string results.
    if let (Json::String(s), true) = (&mut result, trailing_newline) {
        s.push('\n');
    }
    result
}
