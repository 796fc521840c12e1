//! Tree building, positions and error reporting, checked against what PyYAML
//! (through ansible-core 2.19's loader) gives for the same input.

use serde_json::json;

use super::*;

fn doc(text: &str) -> Document {
    match parse(SourceFile::new("t.yml", text)) {
        Ok(d) => d,
        Err(e) => panic!("parse failed: {e}"),
    }
}

fn json_of(text: &str) -> serde_json::Value {
    doc(text).root.to_json()
}

fn err(text: &str) -> SourceError {
    match parse(SourceFile::new("t.yml", text)) {
        Ok(d) => panic!("expected an error, got {:?}", d.root.to_json()),
        Err(e) => e,
    }
}

#[test]
fn empty_and_comment_only_files_are_null() {
    assert!(doc("").root.is_null());
    assert!(doc("# nothing\n").root.is_null());
    assert!(doc("---\n").root.is_null());
}

#[test]
fn plain_scalars_resolve_but_quoted_stay_strings() {
    let v =
        json_of("a: yes\nb: 'yes'\nc: \"0644\"\nd: 0644\ne: ~\nf:\ng: 1.5\nh: y\ni: |\n  text\n");
    assert_eq!(
        v,
        json!({"a": true, "b": "yes", "c": "0644", "d": 420, "e": null, "f": null, "g": 1.5, "h": "y", "i": "text\n"})
    );
}

#[test]
fn positions_are_one_based_at_node_start() {
    let d = doc("- hosts: all\n  tasks:\n    - name: x\n      debug: {msg: hi}\n");
    let play = &d.root.as_seq().unwrap_or_default()[0];
    assert_eq!(play.pos, Pos { line: 1, col: 3 });
    let tasks = play.get("tasks").and_then(Node::as_seq).unwrap_or_default();
    assert_eq!(tasks[0].pos, Pos { line: 3, col: 7 });
    let msg = tasks[0].get("debug").and_then(|d| d.get("msg"));
    assert_eq!(msg.map(|m| m.pos), Some(Pos { line: 4, col: 20 }));
    let key_pos = tasks[0].as_map().map(|m| m[1].0.pos);
    assert_eq!(key_pos, Some(Pos { line: 4, col: 7 }));
    assert_eq!(d.location(&tasks[0]).to_string(), "t.yml:3:7");
}

#[test]
fn anchors_and_aliases_copy_values() {
    let v = json_of("base: &b {x: 1, y: [1, 2]}\nother: *b\nlist: &l [a, b]\nagain: *l\n");
    assert_eq!(v["other"], json!({"x": 1, "y": [1, 2]}));
    assert_eq!(v["again"], json!(["a", "b"]));
}

#[test]
fn merge_keys_follow_pyyaml_precedence() {
    let v = json_of("b: &x {a: 1, c: 3}\nk: {<<: *x, a: 2}\n");
    assert_eq!(v["k"], json!({"a": 2, "c": 3}));
    // In a list of maps the earlier map wins.
    let v = json_of("b: &x {a: 1}\nc: &y {a: 5, d: 1}\nk:\n  <<: [*x, *y]\n  e: 1\n");
    assert_eq!(v["k"], json!({"a": 1, "d": 1, "e": 1}));
    // Merged keys come first, whatever the position of `<<`.
    let v = json_of("k:\n  z: 1\n  <<: {b: 2}\n");
    assert_eq!(v["k"], json!({"b": 2, "z": 1}));
    // A quoted "<<" is an ordinary key.
    let v = json_of("k: {'<<': 1}\n");
    assert_eq!(v["k"], json!({"<<": 1}));
}

#[test]
fn bad_merge_value_is_an_error() {
    let e = err("k: {<<: 1}\n");
    assert_eq!((e.line, e.col), (Some(1), Some(9)));
    assert!(
        e.message
            .contains("expected a mapping or list of mappings for merging"),
        "{e}"
    );
}

#[test]
fn duplicate_keys_last_wins_first_order_and_warns() {
    let d = doc("a: 1\nb: 2\na: 3\n");
    assert_eq!(d.root.to_json(), json!({"a": 3, "b": 2}));
    let entries = d.root.as_map().unwrap_or_default();
    assert_eq!(entries[0].0.pos, Pos { line: 3, col: 1 });
    assert_eq!(entries[0].1.pos, Pos { line: 3, col: 4 });
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].pos, Pos { line: 3, col: 1 });
    // Python treats 1, 1.0 and true as one key.
    assert_eq!(json_of("{1: a, true: b, 1.0: c}"), json!({"1": "c"}));
}

#[test]
fn non_string_keys_stringify_like_json_dumps() {
    assert_eq!(
        json_of("{true: 1, 1.5: 2, null: 3, 7: 4, 0x10: 5}"),
        json!({"true": 1, "1.5": 2, "null": 3, "7": 4, "16": 5})
    );
}

#[test]
fn collection_keys_are_refused() {
    let e = err("{[1]: a}\n");
    assert!(e.message.contains("unhashable key"), "{e}");
    assert_eq!((e.line, e.col), (Some(1), Some(2)));
}

#[test]
fn tags() {
    let d = doc("a: !unsafe '{{ x }}'\nb: !unsafe 42\nc: !!str 42\nd: !!int \"42\"\ne: !!float 1\nf: !!bool yes\ng: !!null x\nh: ! 42\ni: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n");
    assert_eq!(
        d.root.to_json(),
        json!({"a": "{% raw %}{{ x }}{% endraw %}", "b": 42, "c": "42", "d": 42, "e": 1.0, "f": true, "g": null, "h": 42,
               "i": "$ANSIBLE_VAULT;1.1;AES256\n6162\n"})
    );
    assert_eq!(
        d.root.get("a").and_then(|n| n.tag.clone()).as_deref(),
        Some("!unsafe")
    );
    assert_eq!(
        d.root.get("i").and_then(|n| n.tag.clone()).as_deref(),
        Some("!vault")
    );
    assert_eq!(json_of("a: !\n"), json!({"a": ""}));
    let d = doc("a: !unsafe [1, '{{ x }}']\n");
    assert_eq!(
        d.root.get("a").and_then(|n| n.tag.clone()).as_deref(),
        Some("!unsafe")
    );
    // Every string under an `!unsafe` collection is kept from templating.
    assert_eq!(
        d.root.to_json(),
        json!({"a": [1, "{% raw %}{{ x }}{% endraw %}"]})
    );
    assert!(crate::is_unsafe_text(&crate::unsafe_text("x")));
    assert!(!crate::is_unsafe_text("{{ x }}"));
}

#[test]
fn bad_tags_are_errors() {
    let e = err("a: !foo x\n");
    assert_eq!(
        e.message,
        "could not determine a constructor for the tag '!foo'"
    );
    assert_eq!((e.line, e.col), (Some(1), Some(4)));
    assert!(err("a: !!int x\n").message.contains("not an integer"));
    assert!(err("a: !vault 42\n")
        .message
        .contains("requires a string value"));
    assert!(err("a: =\n").message.contains("tag:yaml.org,2002:value"));
    assert!(err("a: <<\n").message.contains("tag:yaml.org,2002:merge"));
}

#[test]
fn syntax_errors_carry_positions_and_quote_the_line() {
    let cases: &[(&str, u32, u32, &str)] = &[
        (
            "- hosts: all\n  tasks:\n    - debug:\n        msg: x: y\n",
            4,
            15,
            "mapping values are not allowed",
        ),
        ("a: \"x\n", 1, 4, "quoted scalar"),
        ("a:\n  b: 1\n c: 2\n", 3, 2, "did not find expected key"),
        ("a:\n\tb: 1\n", 2, 2, "tabs"),
        ("a: *x\n", 1, 4, "unknown anchor"),
        ("---\na: 1\n---\nb: 2\n", 3, 1, "single document"),
        ("key: @foo\n", 1, 6, "unexpected character"),
    ];
    for (text, line, col, what) in cases {
        let e = err(text);
        assert_eq!((e.line, e.col), (Some(*line), Some(*col)), "{text:?}: {e}");
        assert!(e.message.starts_with("YAML parsing failed: "), "{e}");
        assert!(e.message.contains(what), "{text:?}: {e}");
        let shown = e.to_string();
        assert!(
            shown.contains(&format!("--> t.yml:{line}:{col}")),
            "{shown}"
        );
        let quoted = text.lines().nth(*line as usize - 1).unwrap_or_default();
        assert!(shown.contains(&format!("{line} | {quoted}")), "{shown}");
    }
}

#[test]
fn error_at_end_of_file_has_no_quote_but_a_position() {
    let e = err("[1, 2\n");
    assert_eq!(e.line, Some(2));
    assert!(e.to_string().contains("--> t.yml:2:1"));
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let text = "[".repeat(5000);
    let e = err(&text);
    assert!(
        e.message.contains("nesting") || e.message.contains("YAML parsing failed"),
        "{e}"
    );
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let e = err(&text);
    assert!(e.message.contains("too many nodes"), "{e}");
}

const SAMPLE: &str = r#"---
# a playbook with most constructs in it
- name: "Deploy \"app\""
  hosts: web, db
  vars: &vars
    port: 0644
    flag: yes
    list: [1, 2.5, 'three', {four: 4}]
    text: |
      line one
      line two
    folded: >-
      a
      b
  tasks:
    - name: run
      command: echo "{{ port }}" chdir=/tmp
      when: flag
      loop: "{{ list }}"
    - debug:
        msg: !unsafe '{{ raw }}'
      vars:
        <<: *vars
        extra: ~
    - ? complex
      : value
"#;

#[test]
fn no_panic_on_truncations_and_mutations() {
    let chars: Vec<char> = SAMPLE.chars().collect();
    for end in 0..=chars.len() {
        let text: String = chars[..end].iter().collect();
        let _ = parse(SourceFile::new("t.yml", text));
    }
    // Deterministic pseudo-random single-character replacements.
    let alphabet = [
        '\t', ' ', ':', '-', '"', '\'', '[', ']', '{', '}', '&', '*', '!', '|', '>', '#', '\n',
        '?', ',', '%', '@', 'x',
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut mutated = chars.clone();
        let at = (seed % chars.len() as u64) as usize;
        mutated[at] = alphabet[((seed >> 32) % alphabet.len() as u64) as usize];
        let text: String = mutated.into_iter().collect();
        if let Err(e) = parse(SourceFile::new("t.yml", text)) {
            // Rendering must not panic either.
            let _ = e.to_string();
        }
    }
}

#[test]
fn sample_parses() {
    let v = json_of(SAMPLE);
    assert_eq!(v[0]["name"], json!("Deploy \"app\""));
    assert_eq!(v[0]["vars"]["port"], json!(420));
    assert_eq!(v[0]["vars"]["folded"], json!("a b"));
    assert_eq!(v[0]["tasks"][1]["vars"]["flag"], json!(true));
    assert_eq!(v[0]["tasks"][1]["vars"]["extra"], json!(null));
    assert_eq!(v[0]["tasks"][2]["complex"], json!("value"));
}
