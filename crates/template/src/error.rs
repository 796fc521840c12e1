//! The error type every templating operation returns, and its construction from
//! minijinja's errors (with Ansible's wording for undefined values).

use minijinja::ErrorKind;

use crate::strict::Insertions;

/// What went wrong, coarsely: callers treat undefined values differently from other
/// failures (`default`-like fallbacks, `failed_when` messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// The template text does not parse.
    Syntax,
    /// An undefined variable or attribute was used.
    Undefined,
    /// An `!unsafe` value where an expression is evaluated (ansible-core 2.19's trust).
    Untrusted,
    /// A conditional whose result is not a boolean, when `ALLOW_BROKEN_CONDITIONALS` is
    /// off.
    BrokenConditional,
    /// Anything else: a failing filter, a type error, a recursive variable.
    Other,
}

/// A templating failure; `line`/`col` (1-based) point into the template text when known.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub kind: TemplateErrorKind,
}

impl TemplateError {
    pub fn new(message: impl Into<String>) -> TemplateError {
        TemplateError {
            message: message.into(),
            line: None,
            col: None,
            kind: TemplateErrorKind::Other,
        }
    }

    pub fn is_undefined(&self) -> bool {
        self.kind == TemplateErrorKind::Undefined
    }
}

thread_local! {
    /// Set by the `mandatory` filter just before it raises the undefined error, so the
    /// final message can be Ansible's "Mandatory variable 'x' not defined." (the filter
    /// itself cannot know the variable's name; minijinja resolves it afterwards).
    static MANDATORY: std::cell::RefCell<Option<Option<String>>> = const { std::cell::RefCell::new(None) };
}

pub(crate) fn set_mandatory_message(msg: Option<String>) {
    MANDATORY.with(|m| *m.borrow_mut() = Some(msg));
}

fn take_mandatory_message() -> Option<Option<String>> {
    MANDATORY.with(|m| m.borrow_mut().take())
}

/// Errors raised by our own filters carry the Ansible message in the detail; this kind
/// marks an error that was already converted once (a nested render) so it passes through
/// unchanged.
pub(crate) fn to_minijinja(err: &TemplateError) -> minijinja::Error {
    let kind = match err.kind {
        TemplateErrorKind::Undefined => ErrorKind::UndefinedError,
        _ => ErrorKind::InvalidOperation,
    };
    minijinja::Error::new(kind, err.message.clone())
}

/// A filter/test/lookup failure with a plain message.
pub(crate) fn op_err(msg: impl Into<String>) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Where the template text handed to minijinja starts relative to what the user wrote
/// (expressions are wrapped in `{{ ` before compiling).
#[derive(Clone, Copy)]
pub(crate) struct SourceShift<'a> {
    pub first_line_cols: u32,
    /// What the strict-undefined rewrite inserted (see `strict`).
    pub inserted: Option<&'a Insertions>,
}

/// Converts a minijinja error, computing the column from the error's byte range in
/// `source` (the text that was compiled).
pub(crate) fn from_minijinja(
    err: &minijinja::Error,
    source: &str,
    shift: SourceShift,
    undefined_message: impl FnOnce(&str) -> String,
) -> TemplateError {
    let (line, col) = position(err, source, shift);
    let detail = err.detail().unwrap_or("");
    match err.kind() {
        ErrorKind::SyntaxError => TemplateError {
            message: format!("Syntax error in template: {}", syntax_detail(detail)),
            line,
            col,
            kind: TemplateErrorKind::Syntax,
        },
        ErrorKind::UndefinedError => {
            let mandatory = take_mandatory_message();
            let kind = if mandatory.is_some() {
                TemplateErrorKind::Other
            } else {
                TemplateErrorKind::Undefined
            };
            let message = match (undefined_expr(detail), mandatory) {
                (_, Some(Some(custom))) => custom,
                (Some(expr), Some(None)) => {
                    let name = expr.rsplit(['.', '[']).next().unwrap_or(expr);
                    let name = name.trim_end_matches(']').trim_matches(['"', '\'']);
                    format!("Mandatory variable '{name}' not defined.")
                }
                (Some(expr), None) => undefined_message(expr),
                (None, _) if !detail.is_empty() => detail.to_string(),
                (None, _) => "undefined value".to_string(),
            };
            TemplateError {
                message,
                line,
                col,
                kind,
            }
        }
        ErrorKind::UnknownFilter => other(format!("no filter named '{detail}'"), line, col),
        ErrorKind::UnknownTest => other(format!("no test named '{detail}'"), line, col),
        ErrorKind::UnknownFunction => other(format!("no function named '{detail}'"), line, col),
        ErrorKind::UnknownMethod => other(non_empty(detail, "unknown method"), line, col),
        ErrorKind::TemplateNotFound => other(non_empty(detail, "template not found"), line, col),
        ErrorKind::InvalidOperation => other(
            python_arith(non_empty(detail, "invalid operation")),
            line,
            col,
        ),
        _ => {
            let mut text = if detail.is_empty() {
                err.kind().to_string()
            } else {
                format!("{}: {detail}", err.kind())
            };
            // What went wrong inside an include or import, with where.
            let cause =
                std::error::Error::source(err).and_then(|c| c.downcast_ref::<minijinja::Error>());
            if let Some(cause) = cause {
                text = format!("{text}: {cause}");
            }
            other(text, line, col)
        }
    }
}

/// minijinja's "unable to calculate 5 / 0" is Python's ZeroDivisionError: name it as
/// Python does, which is what playbooks test for.
fn python_arith(detail: String) -> String {
    let by_zero = detail
        .strip_prefix("unable to calculate ")
        .is_some_and(|expr| {
            ["/", "//", "%"].iter().any(|op| {
                expr.rsplit_once(&format!(" {op} "))
                    .is_some_and(|(_, rhs)| rhs.trim().parse::<f64>() == Ok(0.0))
            })
        });
    if by_zero {
        format!("division by zero ({detail})")
    } else {
        detail
    }
}

fn other(message: String, line: Option<u32>, col: Option<u32>) -> TemplateError {
    TemplateError {
        message,
        line,
        col,
        kind: TemplateErrorKind::Other,
    }
}

fn non_empty(detail: &str, fallback: &str) -> String {
    if detail.is_empty() {
        fallback.to_string()
    } else {
        detail.to_string()
    }
}

fn syntax_detail(detail: &str) -> &str {
    if detail.is_empty() {
        "unexpected input"
    } else {
        detail
    }
}

/// minijinja (with its `debug` feature) describes the undefined value as
/// "`a.b` is undefined"; the expression between the backticks is what we name.
fn undefined_expr(detail: &str) -> Option<&str> {
    let start = detail.find('`')?;
    let rest = &detail[start + 1..];
    let end = rest.find("` is undefined")?;
    Some(&rest[..end])
}

fn position(
    err: &minijinja::Error,
    source: &str,
    shift: SourceShift,
) -> (Option<u32>, Option<u32>) {
    let line = err.line().map(|l| l as u32);
    let Some(range) = err.range() else {
        return (line, None);
    };
    let start = match shift.inserted {
        Some(ins) => ins.original_offset(range.start),
        None => range.start,
    };
    let start = start.min(source.len());
    let before = source.get(..start).unwrap_or("");
    let line_no = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let mut col = before[line_start..].chars().count() as u32 + 1;
    if line_no == 1 {
        col = col.saturating_sub(shift.first_line_cols).max(1);
    }
    (Some(line_no), Some(col))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn undefined_expression_is_taken_from_backticks() {
        assert_eq!(undefined_expr("`a.b` is undefined"), Some("a.b"));
        assert_eq!(
            undefined_expr("cannot x (`foo` is undefined, from line 2)"),
            Some("foo")
        );
        assert_eq!(undefined_expr("something else"), None);
    }
}
