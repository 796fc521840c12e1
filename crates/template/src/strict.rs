//! Ansible's undefined values fail wherever they are used, except in `is defined`-style
//! tests, `default` and attribute chains. minijinja's chainable mode fails only when an
//! undefined value is printed; a comparison, an `in`, an `if`, `not`, `and`/`or`,
//! arithmetic or a `for` over one quietly treats it as false or empty (`typo == 'x'` is
//! false, and a mistyped `when:` skips its task). minijinja has no hook there, so before
//! compiling, every operand in those positions is wrapped in a call of [`FUNCTION`],
//! which returns a defined value unchanged and fails on an undefined one with the
//! error that names it: `x == 'a' and y in z` becomes
//! `__drover_defined(x) == 'a' and __drover_defined(y) in __drover_defined(z)`.
//!
//! The operands are found in minijinja's own syntax tree (their byte spans); the
//! source stays as written everywhere else. Error columns are mapped back through
//! [`Insertions::original_offset`].

use std::borrow::Cow;

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt, UnaryOpKind};
use minijinja::machinery::parse;
use minijinja::syntax::SyntaxConfig;
use minijinja::{Error, Value};

use crate::convert::undefined_error;

pub(crate) const FUNCTION: &str = "__drover_defined";
const OPEN: &str = "__drover_defined(";
const CLOSE: &str = ")";

/// The function the wrapped operands call.
pub(crate) fn defined(v: &Value) -> Result<Value, Error> {
    if v.is_undefined() {
        return Err(undefined_error(v));
    }
    Ok(v.clone())
}

/// Where text was inserted into a source: byte offsets in the original source and
/// the inserted text, in source order (at one offset, closing text first).
#[derive(Debug, Default)]
pub(crate) struct Insertions(Vec<(usize, &'static str)>);

impl Insertions {
    /// The offset in the original source of `offset` in the rewritten one.
    pub fn original_offset(&self, offset: usize) -> usize {
        let mut shift = 0;
        for (at, text) in &self.0 {
            if at + shift + text.len() > offset {
                // Inside or after this insertion: everything before counts.
                if at + shift <= offset {
                    return *at;
                }
                break;
            }
            shift += text.len();
        }
        offset.saturating_sub(shift)
    }
}

/// The source with the operands wrapped, and where the text went. A source that does
/// not parse is returned as is: compiling it reports the syntax error.
pub(crate) fn rewrite<'a>(src: &'a str, syntax: &SyntaxConfig) -> (Cow<'a, str>, Insertions) {
    if !might_need(src) {
        return (Cow::Borrowed(src), Insertions::default());
    }
    let Ok(tree) = parse(src, "<template>", syntax.clone()) else {
        return (Cow::Borrowed(src), Insertions::default());
    };
    let mut spans = Vec::new();
    stmt(&tree, &mut spans);
    if spans.is_empty() {
        return (Cow::Borrowed(src), Insertions::default());
    }
    let mut marks: Vec<(usize, bool)> = Vec::with_capacity(spans.len() * 2);
    for (start, end) in spans {
        marks.push((start, true));
        marks.push((end, false));
    }
    // Closing before opening at one offset; opens of nested operands are the same text.
    marks.sort_by_key(|&(at, open)| (at, open));
    let mut out = String::with_capacity(src.len() + marks.len() * OPEN.len());
    let mut last = 0;
    let mut inserted = Vec::with_capacity(marks.len());
    for (at, open) in marks {
        let Some(text) = src.get(last..at) else {
            // A span that does not fall on character boundaries: leave the source be.
            return (Cow::Borrowed(src), Insertions::default());
        };
        out.push_str(text);
        let piece = if open { OPEN } else { CLOSE };
        out.push_str(piece);
        inserted.push((at, piece));
        last = at;
    }
    out.push_str(&src[last..]);
    // A wrapping that does not parse (a span minijinja reports oddly) is dropped:
    // the template then runs as written, as lenient as minijinja is.
    if parse(&out, "<template>", syntax.clone()).is_err() {
        return (Cow::Borrowed(src), Insertions::default());
    }
    (Cow::Owned(out), Insertions(inserted))
}

/// A cheap test for sources that have nothing to wrap.
fn might_need(src: &str) -> bool {
    const WORDS: [&str; 8] = [" in ", "if", "not", "and", "or", "for", " is ", "("];
    src.bytes().any(|b| {
        matches!(
            b,
            b'=' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'~' | b'%'
        )
    }) || WORDS.iter().any(|w| src.contains(w))
}

type Spans = Vec<(usize, usize)>;

fn stmt(s: &Stmt, out: &mut Spans) {
    match s {
        Stmt::Template(t) => body(&t.children, out),
        Stmt::EmitExpr(e) => expr(&e.expr, out),
        Stmt::ForLoop(f) => {
            operand(&f.iter, out);
            if let Some(cond) = &f.filter_expr {
                operand(cond, out);
            }
            body(&f.body, out);
            body(&f.else_body, out);
        }
        Stmt::IfCond(c) => {
            operand(&c.expr, out);
            body(&c.true_body, out);
            body(&c.false_body, out);
        }
        Stmt::WithBlock(w) => {
            for (_, value) in &w.assignments {
                expr(value, out);
            }
            body(&w.body, out);
        }
        Stmt::Set(s) => expr(&s.expr, out),
        Stmt::SetBlock(s) => body(&s.body, out),
        Stmt::AutoEscape(a) => body(&a.body, out),
        Stmt::FilterBlock(f) => body(&f.body, out),
        Stmt::Block(b) => body(&b.body, out),
        Stmt::Macro(m) => {
            for d in &m.defaults {
                expr(d, out);
            }
            body(&m.body, out);
        }
        Stmt::CallBlock(c) => {
            args(&c.call.args, out);
            body(&c.macro_decl.body, out);
        }
        Stmt::Include(i) => expr(&i.name, out),
        Stmt::Do(d) => args(&d.call.args, out),
        _ => {}
    }
}

fn body(stmts: &[Stmt], out: &mut Spans) {
    for s in stmts {
        stmt(s, out);
    }
}

fn args(args: &[CallArg], out: &mut Spans) {
    for a in args {
        match a {
            CallArg::Pos(e)
            | CallArg::Kwarg(_, e)
            | CallArg::PosSplat(e)
            | CallArg::KwargSplat(e) => expr(e, out),
        }
    }
}

/// An expression in a position where an undefined value must fail: wrapped, unless it
/// can never be undefined (a constant, a comparison, a test, ...).
fn operand(e: &Expr, out: &mut Spans) {
    let can_be_undefined = matches!(
        e,
        Expr::Var(_)
            | Expr::GetAttr(_)
            | Expr::GetItem(_)
            | Expr::Slice(_)
            | Expr::Filter(_)
            | Expr::Call(_)
            | Expr::IfExpr(_)
    ) || matches!(e, Expr::BinOp(b) if !is_comparison(b.op));
    if can_be_undefined {
        out.push(extent(e));
    }
    expr(e, out);
}

fn is_comparison(op: BinOpKind) -> bool {
    use BinOpKind::*;
    matches!(op, Eq | Ne | Lt | Lte | Gt | Gte | In)
}

/// The bytes an expression covers. minijinja's spans of composite expressions may
/// start early (an `and` inside `{% if %}` starts at `if`) or late (a filter's at its
/// name), so an expression that begins with a sub-expression starts where that one
/// does; the end is the later of its own and its last sub-expression's.
pub(crate) fn extent(e: &Expr) -> (usize, usize) {
    let span = e.span();
    let (own_start, own_end) = (span.start_offset as usize, span.end_offset as usize);
    let first: Option<&Expr> = match e {
        Expr::Filter(f) => f.expr.as_ref(),
        Expr::Test(t) => Some(&t.expr),
        Expr::IfExpr(i) => Some(&i.true_expr),
        Expr::GetAttr(g) => Some(&g.expr),
        Expr::GetItem(g) => Some(&g.expr),
        Expr::Slice(s) => Some(&s.expr),
        Expr::Call(c) => Some(&c.expr),
        Expr::BinOp(b) => Some(&b.left),
        Expr::Compare(c) => Some(&c.expr),
        _ => None,
    };
    let last: Option<&Expr> = match e {
        Expr::IfExpr(i) => i.false_expr.as_ref().or(Some(&i.test_expr)),
        Expr::BinOp(b) => Some(&b.right),
        Expr::Compare(c) => c.ops.last().map(|op| &op.expr),
        _ => None,
    };
    let start = first.map_or(own_start, |f| extent(f).0);
    let end = last.map_or(own_end, |l| extent(l).1.max(own_end));
    match e {
        // `x is not t(y)` is `not (x is t(y))`, whose span minijinja gives as the
        // `not` alone: it covers its operand.
        Expr::UnaryOp(u) => {
            let (s, e) = extent(&u.expr);
            (start.min(s), end.max(e))
        }
        // A test's span may stop at its name: its arguments are part of it.
        Expr::Test(t) => {
            let args_end = t
                .args
                .iter()
                .map(|a| match a {
                    CallArg::Pos(e)
                    | CallArg::Kwarg(_, e)
                    | CallArg::PosSplat(e)
                    | CallArg::KwargSplat(e) => extent(e).1,
                })
                .max()
                .unwrap_or(end);
            (start, end.max(args_end))
        }
        _ => (start, end),
    }
}

/// Walks into an expression, wrapping the operands inside it.
fn expr(e: &Expr, out: &mut Spans) {
    match e {
        Expr::Compare(c) => {
            operand(&c.expr, out);
            for op in &c.ops {
                operand(&op.expr, out);
            }
        }
        Expr::BinOp(b) => match b.op {
            // `a or b` tests `a` and returns `b` as it is (`(a or b) | default(1)`).
            BinOpKind::ScAnd | BinOpKind::ScOr => {
                operand(&b.left, out);
                expr(&b.right, out);
            }
            _ => {
                operand(&b.left, out);
                operand(&b.right, out);
            }
        },
        Expr::UnaryOp(u) => match u.op {
            UnaryOpKind::Not | UnaryOpKind::Neg => operand(&u.expr, out),
        },
        Expr::IfExpr(i) => {
            operand(&i.test_expr, out);
            expr(&i.true_expr, out);
            if let Some(f) = &i.false_expr {
                expr(f, out);
            }
        }
        Expr::Filter(f) => {
            if let Some(inner) = &f.expr {
                expr(inner, out);
            }
            // A filter uses its arguments (`combine(x)`, `select('equalto', x)`): an
            // undefined one fails, but for those that may pass one through unused.
            let lenient = matches!(f.name, "default" | "d" | "ternary");
            for a in &f.args {
                match a {
                    CallArg::Pos(e) | CallArg::Kwarg(_, e) if !lenient => operand(e, out),
                    _ => args(std::slice::from_ref(a), out),
                }
            }
        }
        Expr::Test(t) => {
            expr(&t.expr, out);
            // A test uses its arguments (`x is equalto(y)`): an undefined one fails.
            for a in &t.args {
                match a {
                    CallArg::Pos(e) | CallArg::Kwarg(_, e) => operand(e, out),
                    _ => args(std::slice::from_ref(a), out),
                }
            }
        }
        Expr::GetAttr(g) => expr(&g.expr, out),
        Expr::GetItem(g) => {
            expr(&g.expr, out);
            expr(&g.subscript_expr, out);
        }
        Expr::Slice(s) => {
            expr(&s.expr, out);
            for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                expr(part, out);
            }
        }
        Expr::Call(c) => {
            expr(&c.expr, out);
            args(&c.args, out);
        }
        Expr::List(l) => l.items.iter().for_each(|i| expr(i, out)),
        Expr::Tuple(t) => t.items.iter().for_each(|i| expr(i, out)),
        Expr::Map(m) => {
            m.keys.iter().for_each(|k| expr(k, out));
            m.values.iter().for_each(|v| expr(v, out));
        }
        _ => {}
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn wrapped(src: &str) -> String {
        rewrite(src, &SyntaxConfig::default()).0.into_owned()
    }

    #[test]
    fn operands_of_comparisons_conditions_and_arithmetic_are_wrapped() {
        let d = |s: &str| format!("{OPEN}{s}{CLOSE}");
        assert_eq!(
            wrapped("{{ 'x' in y }}"),
            format!("{{{{ 'x' in {} }}}}", d("y"))
        );
        assert_eq!(
            wrapped("{{ a.b == c['d'] | lower }}"),
            format!("{{{{ {} == {} }}}}", d("a.b"), d("c['d'] | lower"))
        );
        assert_eq!(
            wrapped("{% if x %}1{% endif %}"),
            format!("{{% if {} %}}1{{% endif %}}", d("x"))
        );
        assert_eq!(
            wrapped("{{ x or 'b' }}"),
            format!("{{{{ {} or 'b' }}}}", d("x"))
        );
        assert_eq!(wrapped("{{ n+1 }}"), format!("{{{{ {}+1 }}}}", d("n")));
        assert_eq!(
            wrapped("{% for i in items %}{{ i }}{% endfor %}"),
            format!("{{% for i in {} %}}{{{{ i }}}}{{% endfor %}}", d("items"))
        );
        assert_eq!(
            wrapped("{{ x is equalto(y) }}"),
            format!("{{{{ x is equalto({}) }}}}", d("y"))
        );
        assert_eq!(
            wrapped("{{ l | select('equalto', y) | selectattr('a', 'eq', z) }}"),
            format!(
                "{{{{ l | select('equalto', {}) | selectattr('a', 'eq', {}) }}}}",
                d("y"),
                d("z")
            )
        );
        assert_eq!(
            wrapped("{{ {} | combine(y, recursive=z) | default(w) }}"),
            format!(
                "{{{{ {{}} | combine({}, recursive={}) | default(w) }}}}",
                d("y"),
                d("z")
            )
        );
        assert_eq!(
            wrapped("{{ (a == b) == c }}"),
            format!("{{{{ ({} == {}) == {} }}}}", d("a"), d("b"), d("c"))
        );
    }

    #[test]
    fn tests_defaults_and_constants_are_left_alone() {
        for src in [
            "{{ x is defined and x }}",
            "{{ x | default(1) }}",
            "{{ 1 == 1 }}",
            "plain text",
            "{{ x.y.z }}",
        ] {
            let out = wrapped(src);
            assert!(
                !out.contains(&format!("{OPEN}x)")) || src.contains("and"),
                "{src} -> {out}"
            );
        }
        assert_eq!(wrapped("{{ x | default(1) }}"), "{{ x | default(1) }}");
        assert_eq!(wrapped("{{ 1 == 1 }}"), "{{ 1 == 1 }}");
        assert_eq!(
            wrapped("{{ x is defined and x }}"),
            "{{ x is defined and x }}"
        );
    }

    #[test]
    fn statements_after_text_are_wrapped_inside_their_tags() {
        let d = |s: &str| format!("{OPEN}{s}{CLOSE}");
        assert_eq!(
            wrapped("line1\n{% if a == 1 and c in [1] %}{{ b }}{% endif %}\n"),
            format!(
                "line1\n{{% if {} %}}{{{{ b }}}}{{% endif %}}\n",
                d(&format!("{} == 1 and {} in [1]", d("a"), d("c")))
            )
        );
        assert_eq!(
            wrapped("{{ (a) + b }}"),
            format!("{{{{ ({}) + {} }}}}", d("a"), d("b"))
        );
        // A parenthesised first operand: the wrapper opens inside the group, which
        // still parses and still checks every operand.
        assert_eq!(
            wrapped("{{ (a) + b == 1 }}"),
            format!("{{{{ ({OPEN}{}) + {}{CLOSE} == 1 }}}}", d("a"), d("b"))
        );
        assert_eq!(
            wrapped("{{ x if c else y | upper }}"),
            format!("{{{{ x if {} else y | upper }}}}", d("c"))
        );
    }

    #[test]
    fn offsets_map_back_to_the_source() {
        let src = "{{ a == b }}";
        let (out, ins) = rewrite(src, &SyntaxConfig::default());
        let b_at = out.rfind("b)").unwrap();
        assert_eq!(&src[ins.original_offset(b_at)..][..1], "b");
        let call_at = out.rfind(OPEN).unwrap();
        assert_eq!(&src[ins.original_offset(call_at)..][..1], "b");
        assert_eq!(ins.original_offset(0), 0);
    }
}
