use drover_template::{Templar, TemplateErrorKind, TextOptions};
use serde_json::{json, Map, Value};

fn vars(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn render(t: &str, v: Value) -> Result<Value, drover_template::TemplateError> {
    Templar::new().render(t, &vars(v))
}

#[test]
fn native_types() {
    assert_eq!(render("{{ [1,2] }}", json!({})).unwrap(), json!([1, 2]));
    assert_eq!(render("{{ 1 }}", json!({})).unwrap(), json!(1));
    assert_eq!(render("a{{ 1 }}", json!({})).unwrap(), json!("a1"));
    assert_eq!(render("{{ 1 }}{{ 2 }}", json!({})).unwrap(), json!("12"));
    assert_eq!(render("{{ '[1,2]' }}", json!({})).unwrap(), json!("[1,2]"));
    assert_eq!(
        render("a{{ d }}", json!({"d": {"a": 1}})).unwrap(),
        json!("a{'a': 1}")
    );
    assert_eq!(render("a{{ true }}", json!({})).unwrap(), json!("aTrue"));
    assert_eq!(render("a{{ none }}", json!({})).unwrap(), json!("a"));
    assert_eq!(render("{{ none }}", json!({})).unwrap(), json!(null));
    assert_eq!(render(" {{ 1 }}", json!({})).unwrap(), json!(" 1"));
    assert_eq!(render("{{ 1 }}\n", json!({})).unwrap(), json!(1));
    assert_eq!(render("{{ 1 }}\n\n", json!({})).unwrap(), json!("1\n\n"));
    assert_eq!(render("{{ \"a\" }}\n", json!({})).unwrap(), json!("a\n"));
    assert_eq!(render("{{ 1 }}{{ none }}", json!({})).unwrap(), json!(1));
    assert_eq!(
        render("{{ true }}{{ \"\" }}", json!({})).unwrap(),
        json!("True")
    );
    assert_eq!(
        render("{% if true %}{{ [1] }}{% endif %}", json!({})).unwrap(),
        json!([1])
    );
    assert_eq!(
        render("{% if false %}x{% endif %}", json!({})).unwrap(),
        json!(null)
    );
    assert_eq!(
        render("{% set x = 1 %}{{ x }}", json!({})).unwrap(),
        json!(1)
    );
    assert_eq!(
        render("{{ 1 }}{{ 2.5 }}", json!({})).unwrap(),
        json!("12.5")
    );
    assert_eq!(render("plain", json!({})).unwrap(), json!("plain"));
    assert_eq!(
        render("a\n{% if true %}\nx\n{% endif %}\ny\n", json!({})).unwrap(),
        json!("a\nx\ny\n")
    );
}

#[test]
fn undefined_errors_name_the_variable() {
    let e = render("{{ foo }}", json!({})).unwrap_err();
    assert_eq!(e.message, "'foo' is undefined");
    assert_eq!(e.kind, TemplateErrorKind::Undefined);
    let d = json!({"d": {"a": 1}, "l": [1, 2], "s": "str"});
    assert_eq!(
        render("{{ d.b }}", d.clone()).unwrap_err().message,
        "object of type 'dict' has no attribute 'b'"
    );
    assert_eq!(
        render("x{{ d.b }}", d.clone()).unwrap_err().message,
        "object of type 'dict' has no attribute 'b'"
    );
    assert_eq!(
        render("{{ d.b.c }}", d.clone()).unwrap_err().message,
        "object of type 'dict' has no attribute 'b'"
    );
    assert_eq!(
        render("{{ d['b'] }}", d.clone()).unwrap_err().message,
        "object of type 'dict' has no attribute 'b'"
    );
    assert_eq!(
        render("{{ l[5] }}", d.clone()).unwrap_err().message,
        "object of type 'list' has no attribute 5"
    );
    assert_eq!(
        render("{{ s.foo }}", d.clone()).unwrap_err().message,
        "object of type 'str' has no attribute 'foo'"
    );
    assert_eq!(
        render("{{ d.a.b }}", d.clone()).unwrap_err().message,
        "object of type 'int' has no attribute 'b'"
    );
    assert_eq!(
        render("{{ nope.x }}", d.clone()).unwrap_err().message,
        "'nope' is undefined"
    );
    assert_eq!(
        render("{{ [nope] }}", d.clone()).unwrap_err().message,
        "'nope' is undefined"
    );
}

#[test]
fn undefined_chains_into_default_and_tests() {
    let d = json!({"d": {"a": 1}});
    assert_eq!(
        render("{{ d.b | default('x') }}", d.clone()).unwrap(),
        json!("x")
    );
    assert_eq!(
        render("{{ nope.b.c | default('x') }}", d.clone()).unwrap(),
        json!("x")
    );
    assert_eq!(
        render("{{ d.b.c | default('x') }}", d.clone()).unwrap(),
        json!("x")
    );
    assert_eq!(
        render("{{ nope is defined }}", d.clone()).unwrap(),
        json!(false)
    );
    assert_eq!(
        render("{{ d.b.c is defined }}", d.clone()).unwrap(),
        json!(false)
    );
    assert_eq!(
        render("{{ nope.b.c is undefined }}", d.clone()).unwrap(),
        json!(true)
    );
    assert_eq!(
        render("{{ d.a is defined }}", d.clone()).unwrap(),
        json!(true)
    );
}

#[test]
fn lazy_variables_and_cycles() {
    let v = json!({
        "a": "{{ b }}", "b": "{{ a }}", "c": "{{ c }}",
        "e": "{{ f }}", "f": "{{ [1, g] }}", "g": "{{ 7 }}",
        "h": {"k": ["{{ g }}x", "{{ g }}"]},
        "o": "{{ undefined_thing }}"
    });
    assert_eq!(render("{{ e }}", v.clone()).unwrap(), json!([1, 7]));
    assert_eq!(
        render("{{ h }}", v.clone()).unwrap(),
        json!({"k": ["7x", 7]})
    );
    assert_eq!(render("{{ h.k[0] }}", v.clone()).unwrap(), json!("7x"));
    assert_eq!(
        render("{{ a }}", v.clone()).unwrap_err().message,
        "Recursive loop detected in template: a -> b -> a"
    );
    assert_eq!(
        render("{{ c }}", v.clone()).unwrap_err().message,
        "Recursive loop detected in template: c -> c"
    );
    assert_eq!(
        render("{{ o | default('dflt') }}", v.clone()).unwrap(),
        json!("dflt")
    );
    assert_eq!(
        render("{{ o is defined }}", v.clone()).unwrap(),
        json!(false)
    );
    assert_eq!(
        render("{{ o }}", v.clone()).unwrap_err().message,
        "'undefined_thing' is undefined"
    );
}

#[test]
fn render_value_renders_keys_and_nested_strings() {
    let t = Templar::new();
    let v = vars(json!({"k": "key", "n": 3}));
    let out = t
        .render_value(
            &json!({"{{ k }}": ["{{ n }}", {"x": "n={{ n }}"}], "plain": true}),
            &v,
        )
        .unwrap();
    assert_eq!(out, json!({"key": [3, {"x": "n=3"}], "plain": true}));
}

#[test]
fn omit_sentinel() {
    assert_eq!(
        render("{{ omit }}", json!({})).unwrap(),
        json!(Templar::OMIT)
    );
    assert_eq!(
        render("{{ x | default(omit) }}", json!({})).unwrap(),
        json!(Templar::OMIT)
    );
    assert_eq!(render("x{{ omit }}", json!({})).unwrap(), json!("x"));
}

#[test]
fn syntax_errors_have_positions() {
    let e = render("line1\n{{ foo bar }}", json!({})).unwrap_err();
    assert_eq!(e.kind, TemplateErrorKind::Syntax);
    assert_eq!(e.line, Some(2));
    assert!(e.col.is_some());
    assert!(e.message.contains("expected"), "{}", e.message);
    let e = Templar::new()
        .condition("a ==", &vars(json!({"a": 1})))
        .unwrap_err();
    assert_eq!(e.kind, TemplateErrorKind::Syntax);
    assert_eq!(e.line, Some(1));
}

#[test]
fn conditions() {
    let t = Templar::new();
    let v = vars(json!({"a": 1, "s": "", "l": [1], "f": "false", "t": "{{ a == 1 }}"}));
    assert!(t.condition("a == 1", &v).unwrap());
    assert!(!t.condition("a == 2", &v).unwrap());
    assert!(!t.condition("s", &v).unwrap());
    assert!(t.condition("l", &v).unwrap());
    assert!(t.condition("t", &v).unwrap());
    assert!(t.condition("{{ a == 1 }}", &v).unwrap());
    assert!(!t.condition("{{ f }}", &v).unwrap());
    assert!(t.condition("nope is not defined", &v).unwrap());
    assert!(t.condition("nope.x is not defined", &v).unwrap());
    let e = t.condition("nope", &v).unwrap_err();
    assert_eq!(e.message, "'nope' is undefined");
}

/// Templates inside a conditional are sub-expressions, never text evaluated again:
/// `{{ x }} == 1` compares x; a variable holding code stays a string.
#[test]
fn templates_inside_conditions_are_sub_expressions() {
    let t = Templar::new();
    let v = vars(json!({
        "x": 2, "name": "web", "lst": ["a", "b"],
        "out": "lookup('pipe', 'echo ran > /dev/null') or true",
    }));
    assert!(t.condition("{{ x }} == 2", &v).unwrap());
    assert!(!t.condition("{{ x }} == 1", &v).unwrap());
    assert!(!t.condition("x == 2 and {{ x }} == 3", &v).unwrap());
    assert!(!t.condition("'{{ name }}' in lst", &v).unwrap());
    assert!(t.condition("'{{ lst[0] }}' in lst", &v).unwrap());
    // A string literal's template gives its native value, as ansible-core 2.19 does.
    assert!(t.condition("'{{ x }}' == 2", &v).unwrap());
    assert!(!t.condition("\"foo\" in {{ out }}", &v).unwrap());
    assert!(t.condition("{{ out }} is string", &v).unwrap());
}

#[test]
fn expressions_are_native() {
    let t = Templar::new();
    let v = vars(json!({"a": [1, 2]}));
    assert_eq!(t.expression("a | length", &v).unwrap(), json!(2));
    assert_eq!(t.expression("a + [3]", &v).unwrap(), json!([1, 2, 3]));
    assert_eq!(t.expression("{'k': a}", &v).unwrap(), json!({"k": [1, 2]}));
}

#[test]
fn text_templates_keep_trailing_newline_and_trim_blocks() {
    let t = Templar::new();
    let v = vars(json!({"items": [1, 2], "d": {"a": true}}));
    let src = "{% for i in items %}\n- {{ i }}\n{% endfor %}\n{{ d }}\n";
    assert_eq!(
        t.render_text(src, &v, &TextOptions::default()).unwrap(),
        "- 1\n- 2\n{'a': True}\n"
    );
    let opts = TextOptions {
        newline_sequence: "\r\n".into(),
        ..TextOptions::default()
    };
    assert_eq!(t.render_text("a\nb\n", &v, &opts).unwrap(), "a\r\nb\r\n");
    let opts = TextOptions {
        lstrip_blocks: true,
        ..TextOptions::default()
    };
    assert_eq!(
        t.render_text("x\n  {% if true %}\ny\n  {% endif %}\n", &v, &opts)
            .unwrap(),
        "x\ny\n"
    );
    let e = t
        .render_text("{{ nope }}", &v, &TextOptions::default())
        .unwrap_err();
    assert_eq!(e.message, "'nope' is undefined");
}

#[test]
fn python_percent_formatting() {
    let v = json!({"a": "x", "n": 7, "d": {"k": "v"}, "l": [1, 2]});
    assert_eq!(
        render("{{ '%s-%03d' % (a, n) }}", v.clone()).unwrap(),
        json!("x-007")
    );
    assert_eq!(
        render("{{ \"%s!\" % a | upper }}", v.clone()).unwrap(),
        json!("X!")
    );
    assert_eq!(render("{{ '%(k)s' % d }}", v.clone()).unwrap(), json!("v"));
    assert_eq!(
        render("{{ '%.1f%%' % 12.25 ~ '.' }}", v.clone()).unwrap(),
        json!("12.2%.")
    );
    let t = Templar::new();
    assert!(t.condition("'%d' % n == '7'", &vars(v.clone())).unwrap());
    assert_eq!(
        t.render_text(
            "{% set s = '<%s>' % l[0] %}{{ s }}\n",
            &vars(v.clone()),
            &TextOptions::default()
        )
        .unwrap(),
        "<1>\n"
    );
    // Numbers keep their modulo; errors are Python's.
    assert_eq!(render("{{ n % 4 }}", v.clone()).unwrap(), json!(3));
    assert!(render("{{ '%d' % a }}", v.clone()).is_err());
    assert!(render("{{ '%s' % nope }}", v).unwrap_err().is_undefined());
}

/// A conditional that is one template: a string it gives is an expression when it
/// came from the playbook, and an error when the template made it (ansible-core 2.19).
#[test]
fn a_conditional_template_evaluates_only_trusted_strings() {
    let t = Templar::new();
    let v = vars(json!({
        "s_false": "1 == 0", "s_true": "1 == 1", "ref": "{{ s_false }}",
        "made": "{{ '1 == 1' }}", "word": "False", "list": ["1 == 0"],
        "unsafe": drover_yaml::unsafe_text("1 == 1"), "html": "<a>",
    }));
    assert!(!t.condition("{{ s_false }}", &v).unwrap());
    assert!(t.condition("{{ s_true }}", &v).unwrap());
    assert!(!t.condition("{{ ref }}", &v).unwrap());
    assert!(!t.condition("{{ word }}", &v).unwrap());
    assert!(t.condition("{{ s_true if true else 'x' }}", &v).unwrap());
    assert!(!t.condition("{{ list[0] }}", &v).unwrap());
    for untrusted in [
        "{{ '1 == 1' }}",
        "{{ s_true ~ '' }}",
        "{{ made }}",
        "{{ unsafe }}",
    ] {
        let e = t.condition(untrusted, &v).unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::Untrusted, "{untrusted}");
    }
    // The mark means nothing to the filters: a variable's text is escaped as any text.
    assert_eq!(t.render("{{ html | e }}", &v).unwrap(), json!("&lt;a&gt;"));
    assert_eq!(
        t.render("{{ '%s' | format(html) }}", &v).unwrap(),
        json!("<a>")
    );
    assert_eq!(
        t.render("{{ html | tojson }}", &v).unwrap(),
        json!("\"\\u003ca\\u003e\"")
    );
}

/// `is not` with a test that takes arguments, inside `or`: the strict-undefined
/// rewrite must wrap the whole operand (it once cut it before the arguments).
#[test]
fn negated_tests_with_arguments_inside_or() {
    let t = Templar::new();
    let v = vars(
        json!({"r": {"failed": true, "msg": "Assertion failed", "assertion": "a != \"one\""}}),
    );
    let cond = "r is not failed or r.msg is not contains(\"Assertion failed\") or r.assertion is not contains('a != \"one\"')";
    assert!(!t.condition(cond, &v).unwrap());
    assert!(t
        .condition("r is not failed or r.msg is not contains('nope')", &v)
        .unwrap());
}
