//! Conditionals (`when`, `failed_when`, `changed_when`, `until`, `assert: that`): how
//! a conditional written with template delimiters is read.
//!
//! A conditional is a Jinja expression. Playbooks written for ansible-core 2.18 and
//! earlier often put templates into it: `when: "{{ x }} == 1"` or
//! `when: "'{{ name }}' in groups"`. 2.18 rendered such a conditional to text and then
//! evaluated that text again, which ran whatever a variable held as code (a command's
//! output reaching a conditional could call lookups on the controller). drover keeps
//! the meaning without the second evaluation: a `{{ e }}` outside a string literal is
//! the sub-expression `(e)`, and a string literal holding a template is that template's
//! value, as ansible-core 2.19 renders it.

use std::sync::Arc;

use minijinja::value::ValueKind;
use minijinja::{Error, State, Value};

use crate::context::{Ctx, Scope};
use crate::convert::{json_truthy, to_value};
use crate::error::{to_minijinja, TemplateError};
use crate::templar::{is_template_str, Templar};
use crate::Vars;

/// The function a string literal holding a template becomes: renders it in the
/// current variables.
pub(crate) const RENDER_LITERAL: &str = "__drover_render_literal";

pub(crate) fn render_literal(state: &State, text: String) -> Result<Value, Error> {
    let Some(ctx) = Ctx::from_state(state) else {
        return Ok(Value::from(text));
    };
    let json = ctx
        .scope
        .templar
        .render_str_in(&text, &ctx)
        .map_err(|e| to_minijinja(&e))?;
    Ok(to_value(&json))
}

impl Templar {
    /// Evaluates a conditional (`when`, `failed_when`, `changed_when`, `until`).
    /// A conditional wrapped in `{{ }}` is accepted too.
    pub fn condition(&self, expr: &str, vars: &dyn Vars) -> Result<bool, TemplateError> {
        let guard = Scope::enter(self, vars);
        let ctx = guard.root();
        let trimmed = expr.trim();
        // An `!unsafe` conditional is never evaluated (ansible-core 2.18 and 2.19).
        if drover_yaml::is_unsafe_text(trimmed) {
            return Err(untrusted());
        }
        if trimmed.is_empty() {
            return Ok(true);
        }
        if !is_template_str(trimmed) {
            return truth(self.eval_in(trimmed, &ctx)?);
        }
        match inline_templates(trimmed) {
            Some(Inlined::Whole(_)) => self.template_condition(trimmed, &ctx),
            None => self.rendered_condition(trimmed, &ctx),
            Some(Inlined::Expression(e)) => truth(self.eval_in(&e, &ctx)?),
        }
    }

    /// A conditional that is one template (`"{{ check }}"`): a string it gives is an
    /// expression when it comes from a trusted source (the playbook's
    /// `check: "x == 1"`), and an error when the template or a host made it
    /// (ansible-core 2.19's rule; 2.18 evaluated any string, running a command's
    /// output as code).
    fn template_condition(&self, text: &str, ctx: &Arc<Ctx>) -> Result<bool, TemplateError> {
        let v = self.render_str_value_in(text, ctx)?;
        let Some(s) = v.as_str().filter(|_| v.kind() == ValueKind::String) else {
            return truth(
                crate::convert::to_json(&v).map_err(|e| TemplateError::new(e.to_string()))?,
            );
        };
        if !v.is_safe() {
            return Err(untrusted());
        }
        match s.trim() {
            "" if broken_allowed() => Ok(false),
            "" => Err(broken(
                "Empty conditional expressions are not allowed.".into(),
            )),
            expr => truth(self.eval_in(expr, ctx)?),
        }
    }

    /// The conditionals of an `assert: that:` as written: a list of them, or one,
    /// or one template giving a list (`that: "{{ checks }}"`), whose strings are
    /// conditionals when they come from a trusted source.
    pub fn conditions_of(
        &self,
        that: &serde_json::Value,
        vars: &dyn Vars,
    ) -> Result<Vec<Condition>, TemplateError> {
        use serde_json::Value as Json;
        let one = |v: &Json| match v {
            Json::String(s) => Condition::Expr(s.clone()),
            other => Condition::Value {
                shown: crate::pyrepr::json_str(other),
                holds: json_truthy(other),
            },
        };
        let text = match that {
            Json::Array(items) => return Ok(items.iter().map(one).collect()),
            Json::String(s) => s,
            other => return Ok(vec![one(other)]),
        };
        if !matches!(inline_templates(text.trim()), Some(Inlined::Whole(_))) {
            return Ok(vec![one(that)]);
        }
        let guard = Scope::enter(self, vars);
        let v = self.render_str_value_in(text.trim(), &guard.root())?;
        if v.kind() != ValueKind::Seq {
            return Ok(vec![one(that)]);
        }
        Ok(v.try_iter()
            .map_err(|e| TemplateError::new(e.to_string()))?
            .map(|item| match item.as_str() {
                Some(s) if item.kind() == ValueKind::String && item.is_safe() => {
                    Condition::Expr(s.to_string())
                }
                Some(s) if item.kind() == ValueKind::String => Condition::Untrusted(s.to_string()),
                _ => Condition::Value {
                    shown: crate::pyrepr::py_str(&item),
                    holds: item.is_true(),
                },
            })
            .collect())
    }

    /// A conditional with block tags (`{% if %}`):
    /// rendered, and a string result read as 2.18 read it ("False", "no", "" are false).
    fn rendered_condition(&self, text: &str, ctx: &Arc<Ctx>) -> Result<bool, TemplateError> {
        let v = self.render_str_in(text, ctx)?;
        match &v {
            serde_json::Value::String(s) if broken_allowed() => Ok(!matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "" | "false" | "no" | "off" | "0" | "none"
            )),
            _ => truth(v),
        }
    }
}

/// Whether a conditional may give a value that is not a boolean (read with Python's
/// truthiness): ansible-core's `ALLOW_BROKEN_CONDITIONALS`, on unless set off.
fn broken_allowed() -> bool {
    static ALLOWED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ALLOWED.get_or_init(|| {
        !matches!(
            crate::config::value("ALLOW_BROKEN_CONDITIONALS"),
            Some(Ok((serde_json::Value::Bool(false), _)))
        )
    })
}

/// A conditional's result as a boolean.
fn truth(v: serde_json::Value) -> Result<bool, TemplateError> {
    match v {
        serde_json::Value::Bool(b) => Ok(b),
        other if broken_allowed() => Ok(json_truthy(&other)),
        other => Err(broken(format!(
            "Conditional result ({}) was derived from value of type '{}'. Conditionals must have a boolean result.",
            if json_truthy(&other) { "True" } else { "False" },
            crate::convert::json_type_name(&other)
        ))),
    }
}

fn broken(message: String) -> TemplateError {
    TemplateError {
        kind: crate::error::TemplateErrorKind::BrokenConditional,
        ..TemplateError::new(message)
    }
}

/// One conditional of an `assert`, in the order they are checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A conditional to evaluate (with [`Templar::condition`]), as written or as a
    /// trusted variable held it.
    Expr(String),
    /// A value that is already known (`that: [true]`): its Python text and truth.
    Value { shown: String, holds: bool },
    /// A string from an untrusted source where a conditional was expected: an error
    /// when it is reached.
    Untrusted(String),
}

/// ansible-core 2.19's error for an expression from an untrusted source.
pub fn untrusted() -> TemplateError {
    TemplateError {
        kind: crate::error::TemplateErrorKind::Untrusted,
        ..TemplateError::new("Encountered untrusted template or expression.")
    }
}

/// A conditional with template delimiters, as a plain expression.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Inlined<'a> {
    /// The conditional is exactly one `{{ e }}`: `e`.
    Whole(&'a str),
    /// Anything else: the expression with each `{{ e }}` made `(e)` and each string
    /// literal holding a template made a call of [`RENDER_LITERAL`].
    Expression(String),
}

/// Rewrites a conditional's templates into its expression; `None` when it has block
/// tags or comments outside string literals, or unbalanced delimiters (it is then
/// rendered as a template).
pub(crate) fn inline_templates(cond: &str) -> Option<Inlined<'_>> {
    let bytes = cond.as_bytes();
    let mut out = String::with_capacity(cond.len() + 16);
    let mut templates = Vec::new();
    let mut code = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                let end = literal_end(bytes, i, q)?;
                let literal = &cond[i..=end];
                if is_template_str(&literal[1..literal.len() - 1]) {
                    out.push_str(RENDER_LITERAL);
                    out.push('(');
                    out.push_str(literal);
                    out.push(')');
                } else {
                    out.push_str(literal);
                }
                code = true;
                i = end + 1;
            }
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                let close = template_end(bytes, i + 2)?;
                let inner = &cond[i + 2..close];
                templates.push(inner);
                out.push('(');
                out.push_str(inner);
                out.push(')');
                i = close + 2;
            }
            b'{' if matches!(bytes.get(i + 1), Some(b'%' | b'#')) => return None,
            c => {
                let len = utf8_len(c);
                let piece = &cond[i..i + len];
                code |= !piece.trim().is_empty();
                out.push_str(piece);
                i += len;
            }
        }
    }
    match (templates.as_slice(), code) {
        ([only], false) => Some(Inlined::Whole(only.trim())),
        _ => Some(Inlined::Expression(out)),
    }
}

/// The index of the quote closing the string literal that opens at `start`.
fn literal_end(bytes: &[u8], start: usize, quote: u8) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            c if c == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The index of the `}}` closing a template whose body starts at `from`, skipping
/// string literals inside it.
fn template_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => i = literal_end(bytes, i, q)? + 1,
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::{inline_templates, Inlined, RENDER_LITERAL};

    fn expr(c: &str) -> String {
        match inline_templates(c) {
            Some(Inlined::Expression(e)) => e,
            other => panic!("{c}: {other:?}"),
        }
    }

    #[test]
    fn templates_become_sub_expressions() {
        assert_eq!(expr("{{ x }} == 1"), "( x ) == 1");
        assert_eq!(
            expr("x == 2 and {{ y | default('}}') }} == 3"),
            "x == 2 and ( y | default('}}') ) == 3"
        );
        assert_eq!(
            expr("'{{ name }}' in lst"),
            format!("{RENDER_LITERAL}('{{{{ name }}}}') in lst")
        );
        assert_eq!(
            expr(r#""a\"{{ b }}" == c"#),
            format!(r#"{RENDER_LITERAL}("a\"{{{{ b }}}}") == c"#)
        );
        assert_eq!(expr("'é' in {{ s }}"), "'é' in ( s )");
    }

    #[test]
    fn one_template_is_whole() {
        assert_eq!(
            inline_templates(" {{ flag }} "),
            Some(Inlined::Whole("flag"))
        );
        assert_eq!(
            inline_templates("{{ a }}{{ b }}"),
            Some(Inlined::Expression("( a )( b )".into()))
        );
    }

    #[test]
    fn block_tags_and_broken_delimiters_are_left_to_rendering() {
        assert_eq!(inline_templates("{% if x %}true{% endif %}"), None);
        assert_eq!(inline_templates("{{ x "), None);
        assert_eq!(inline_templates("'{{ x }}"), None);
        // A block tag inside a string literal is the literal's business.
        assert!(matches!(
            inline_templates("'{% if x %}a{% endif %}' == 'a'"),
            Some(Inlined::Expression(_))
        ));
    }
}
