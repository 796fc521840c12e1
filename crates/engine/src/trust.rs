//! Ansible 2.19's trust rule where it shows: `debug: var` is an expression, and an
//! expression must come from a trusted source (the playbook's own text). An `!unsafe`
//! value, or a string a template produced, is not one.

/// Whether the raw (unrendered) `var` of a debug task is not a trusted expression.
pub fn untrusted_expression(raw: &str) -> bool {
    if drover_yaml::is_unsafe_text(raw) {
        return true;
    }
    let text = raw.trim();
    if !text.contains("{{") && !text.contains("{%") {
        return false;
    }
    // `{{ name }}` passes a variable's value through, as trusted as the variable; any
    // other template makes a new string, which is untrusted.
    match text.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        Some(inner) if !inner.contains("{{") && !inner.contains("}}") => {
            !is_variable_path(inner.trim())
        }
        _ => true,
    }
}

/// `a`, `a.b`, `a[0]`, `a['b']`-free paths: names, dots and numeric subscripts.
fn is_variable_path(expr: &str) -> bool {
    let mut chars = expr.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::untrusted_expression;

    #[test]
    fn literals_and_built_strings_are_untrusted() {
        assert!(!untrusted_expression("debug_me"));
        assert!(!untrusted_expression("{{ item }}"));
        assert!(!untrusted_expression("{{ results[0].stdout }}"));
        assert!(untrusted_expression("{{ \"debug_me\" }}"));
        assert!(untrusted_expression("{{ 'k' ~ '1' }}"));
        assert!(untrusted_expression(&drover_yaml::unsafe_text("debug_me")));
    }
}
