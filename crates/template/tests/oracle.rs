//! Renders every case in `oracle/expected.json` and compares with what ansible-core
//! 2.19 produced for it (`oracle/gen.py` regenerates the file from `oracle/cases.py`).

use drover_template::Templar;
use serde_json::Value;

/// Ansible wraps filter failures as "The filter plugin 'x' failed: msg"; compare the
/// message itself.
fn strip_plugin_prefix(msg: &str) -> &str {
    if let Some(rest) = msg.strip_prefix("The filter plugin '") {
        if let Some(i) = rest.find("' failed: ") {
            return &rest[i + "' failed: ".len()..];
        }
    }
    msg
}

/// Cases whose error text comes from a different regex engine.
const ERROR_TEXT_DIFFERS: &[&str] = &["{{ 'secret' | regex_replace('(', 'x') }}"];

#[test]
fn matches_ansible_core() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/oracle/expected.json"
    ))
    .unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    let vars = data["vars"].as_object().unwrap().clone();
    let templar = Templar::new();
    let mut failures = Vec::new();
    for case in data["cases"].as_array().unwrap() {
        let t = case["t"].as_str().unwrap();
        let got = templar.render(t, &vars);
        match (case.get("value"), case.get("error"), got) {
            (Some(want), _, Ok(got)) => {
                if &got != want {
                    failures.push(format!("{t}\n    want {want}\n    got  {got}"));
                }
            }
            (Some(want), _, Err(e)) => {
                failures.push(format!("{t}\n    want {want}\n    got error {}", e.message))
            }
            (None, Some(want), Ok(got)) => {
                failures.push(format!("{t}\n    want error {want}\n    got {got}"))
            }
            (None, Some(want), Err(e)) => {
                let want = strip_plugin_prefix(want.as_str().unwrap());
                if strip_plugin_prefix(&e.message) != want && !ERROR_TEXT_DIFFERS.contains(&t) {
                    failures.push(format!(
                        "{t}\n    want error {want}\n    got error {}",
                        e.message
                    ));
                }
            }
            _ => failures.push(format!("{t}: malformed case")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        data["cases"].as_array().unwrap().len(),
        failures.join("\n")
    );
}
