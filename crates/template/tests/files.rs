//! Controller-side file features: search paths, includes, file/template/password lookups.

use std::path::PathBuf;

use drover_template::{Templar, TextOptions, Vars};
use serde_json::{json, Map, Value};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("drover-template-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("templates")).unwrap();
    std::fs::create_dir_all(d.join("files")).unwrap();
    d
}

fn vars(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn includes_and_template_lookup_use_search_paths() {
    let d = dir("include");
    std::fs::write(d.join("templates/header.j2"), "# {{ title }}\n").unwrap();
    std::fs::write(
        d.join("templates/page.j2"),
        "{% include 'header.j2' %}body {{ n }}\n",
    )
    .unwrap();
    let t = Templar::new().with_search_paths(vec![d.clone()]);
    let v = vars(json!({"title": "T", "n": 2}));
    let src = std::fs::read_to_string(d.join("templates/page.j2")).unwrap();
    // As in ansible: an included template loses its one trailing newline
    // (Jinja's keep_trailing_newline is off for includes).
    assert_eq!(
        t.render_text(&src, &v, &TextOptions::default()).unwrap(),
        "# Tbody 2\n"
    );
    assert_eq!(
        t.render("{{ lookup('template', 'page.j2') }}", &v).unwrap(),
        json!("# Tbody 2\n")
    );
    assert_eq!(
        t.render(
            "{{ lookup('template', 'header.j2', template_vars={'title': 'X'}) }}",
            &v
        )
        .unwrap(),
        json!("# X\n")
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn file_lookups() {
    let d = dir("file");
    std::fs::write(d.join("files/a.txt"), "content\n\n").unwrap();
    let t = Templar::new().with_search_paths(vec![d.clone()]);
    let v = vars(json!({}));
    assert_eq!(
        t.render("{{ lookup('file', 'a.txt') }}", &v).unwrap(),
        json!("content")
    );
    let found = t
        .render("{{ lookup('first_found', ['nope.txt', 'a.txt']) }}", &v)
        .unwrap();
    assert!(found.as_str().unwrap().ends_with("files/a.txt"), "{found}");
    let e = t
        .render("{{ lookup('file', 'missing.txt') }}", &v)
        .unwrap_err();
    assert!(e.message.contains("missing.txt"), "{}", e.message);
    let globbed = t
        .query("fileglob", &[json!("*.txt")], &Map::new(), &v)
        .unwrap();
    assert_eq!(globbed.len(), 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn password_lookup_is_stored_and_reused() {
    let d = dir("password");
    let t = Templar::new();
    let v = vars(json!({}));
    let path = d.join("creds/pw");
    let tmpl = format!(
        "{{{{ lookup('password', '{} length=12 chars=digits') }}}}",
        path.display()
    );
    let first = t.render(&tmpl, &v).unwrap();
    let pw = first.as_str().unwrap().to_string();
    assert_eq!(pw.len(), 12);
    assert!(pw.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(t.render(&tmpl, &v).unwrap(), json!(pw));
    assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), pw);
    let _ = std::fs::remove_dir_all(&d);
}

struct Inventory {
    me: Map<String, Value>,
    others: Vec<(String, Map<String, Value>)>,
}

impl Vars for Inventory {
    fn get(&self, name: &str) -> Option<Value> {
        self.me.get(name).cloned()
    }
    fn names(&self) -> Vec<String> {
        self.me.keys().cloned().collect()
    }
    fn host_vars(&self, host: &str) -> Option<Box<dyn Vars + '_>> {
        self.others
            .iter()
            .find(|(h, _)| h == host)
            .map(|(_, v)| Box::new(v.clone()) as Box<dyn Vars>)
    }
    fn host_names(&self) -> Vec<String> {
        self.others.iter().map(|(h, _)| h.clone()).collect()
    }
}

#[test]
fn hostvars_and_vars_are_lazy_views() {
    let inv = Inventory {
        me: vars(json!({"x": 1, "name": "{{ 'me' }}"})),
        others: vec![(
            "web1".into(),
            vars(json!({"ip": "10.0.0.1", "url": "http://{{ ip }}/"})),
        )],
    };
    let t = Templar::new();
    assert_eq!(
        t.render("{{ hostvars['web1'].url }}", &inv).unwrap(),
        json!("http://10.0.0.1/")
    );
    assert_eq!(
        t.render("{{ hostvars | list }}", &inv).unwrap(),
        json!(["web1"])
    );
    assert_eq!(t.render("{{ vars['name'] }}", &inv).unwrap(), json!("me"));
    assert_eq!(
        t.render("{{ hostvars['db9'] | default('none') }}", &inv)
            .unwrap(),
        json!("none")
    );
    assert!(t.condition("'x' in vars", &inv).unwrap());
}
