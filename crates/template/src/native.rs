//! ansible-core 2.19 renders a `template` lookup natively: when the template's output
//! is one expression (beside macro definitions and blank text), the lookup gives that
//! expression's value, a dict or a number, not its text. A call of a parameterless
//! macro of the template whose body is itself one expression stands for that
//! expression (`{% macro m() %}{{ {"a": 1} }}{% endmacro %}{{ m() }}` is a dict).

use minijinja::machinery::ast::{Expr, Macro, Stmt};
use minijinja::machinery::parse;
use minijinja::syntax::SyntaxConfig;

/// The source text of the one expression `src` outputs, if that is all it outputs.
pub(crate) fn single_expression(src: &str, syntax: &SyntaxConfig) -> Option<String> {
    let tree = parse(src, "<template>", syntax.clone()).ok()?;
    let Stmt::Template(t) = &tree else {
        return None;
    };
    let (expr, macros) = lone_expression(&t.children)?;
    if let Expr::Call(c) = expr {
        if let (Expr::Var(v), true) = (&c.expr, c.args.is_empty()) {
            if let Some(m) = macros.iter().find(|m| m.name == v.id && m.args.is_empty()) {
                if let Some((inner, _)) = lone_expression(&m.body) {
                    return text_of(src, inner);
                }
            }
        }
    }
    text_of(src, expr)
}

/// The statements' one emitted expression, and the macros they define; `None` when
/// they emit anything else.
fn lone_expression<'s, 'a>(stmts: &'s [Stmt<'a>]) -> Option<(&'s Expr<'a>, Vec<&'s Macro<'a>>)> {
    let mut found = None;
    let mut macros = Vec::new();
    for s in stmts {
        match s {
            Stmt::EmitRaw(r) if r.raw.trim().is_empty() => {}
            Stmt::Macro(m) => macros.push(&**m),
            Stmt::EmitExpr(e) if found.is_none() => found = Some(&e.expr),
            _ => return None,
        }
    }
    Some((found?, macros))
}

fn text_of(src: &str, e: &Expr) -> Option<String> {
    let (start, end) = crate::strict::extent(e);
    src.get(start..end).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::single_expression;
    use minijinja::syntax::SyntaxConfig;

    fn one(src: &str) -> Option<String> {
        single_expression(src, &SyntaxConfig::default())
    }

    #[test]
    fn finds_the_one_expression() {
        assert_eq!(one("{{ 1 + 1 }}\n").as_deref(), Some("1 + 1"));
        assert_eq!(
            one("{% macro m() %}{{ {\"foo\": \"bar\"} }}{% endmacro %}\n{{ m() }}\n").as_deref(),
            Some("{\"foo\": \"bar\"}")
        );
        assert_eq!(one("x{{ 1 }}"), None);
        assert_eq!(one("42\n"), None);
        assert_eq!(one("{{ a }}{{ b }}"), None);
        assert_eq!(
            one("{% macro m() %}42{% endmacro %}{{ m() }}").as_deref(),
            Some("m()")
        );
    }
}
