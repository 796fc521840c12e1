//! `--diff` output as ansible-core's default callback prints it: Python difflib's
//! unified diff (3 lines of context) of a result's `diff` (one or a list of
//! `{before, after, before_header, after_header, prepared}`).

use serde_json::Value;
use similar::{DiffOp, TextDiff};

use crate::pyjson::dumps;

/// The text to show for a result's `diff` field (empty when nothing differs).
pub fn render(diff: &Value) -> String {
    match diff {
        Value::Array(items) => items.iter().map(render_one).collect(),
        other => render_one(other),
    }
}

fn side(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other @ Value::Object(_)) => dumps(other, Some(4)).replace(", ", ",") + "\n",
        Some(other) => other.to_string(),
    }
}

fn render_one(diff: &Value) -> String {
    let Value::Object(d) = diff else {
        return String::new();
    };
    let mut out = String::new();
    if d.contains_key("before") && d.contains_key("after") {
        let header = |key: &str, word: &str| match d.get(key).and_then(Value::as_str) {
            Some(h) => format!("{word}: {h}"),
            None => word.to_string(),
        };
        let body = unified(
            &side(d.get("before")),
            &side(d.get("after")),
            &header("before_header", "before"),
            &header("after_header", "after"),
        );
        if !body.is_empty() {
            out.push_str(&body);
            out.push('\n');
        }
    }
    if let Some(p) = d.get("prepared").and_then(Value::as_str) {
        out.push_str(p);
    }
    out
}

/// Lines with their endings; a last line without one gets difflib's marker, as Ansible adds.
fn lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    if let Some(last) = lines.last_mut() {
        if !last.ends_with('\n') {
            last.push_str("\n\\ No newline at end of file\n");
        }
    }
    lines
}

fn range(start: usize, len: usize) -> String {
    // difflib: "start,len", 1-based; a single line is just "start"; empty is "start-1,0".
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        n => format!("{},{n}", start + 1),
    }
}

pub fn unified(before: &str, after: &str, from: &str, to: &str) -> String {
    let a = lines(before);
    let b = lines(after);
    let ar: Vec<&str> = a.iter().map(String::as_str).collect();
    let br: Vec<&str> = b.iter().map(String::as_str).collect();
    let diff = TextDiff::configure().diff_slices(&ar, &br);
    let groups = diff.grouped_ops(3);
    if groups.is_empty() {
        return String::new();
    }
    let mut out = format!("--- {from}\n+++ {to}\n");
    for group in groups {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let (a_start, b_start) = (first.old_range().start, first.new_range().start);
        let (a_end, b_end) = (last.old_range().end, last.new_range().end);
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(a_start, a_end - a_start),
            range(b_start, b_end - b_start)
        ));
        for op in &group {
            match *op {
                DiffOp::Equal { old_index, len, .. } => {
                    for l in &ar[old_index..old_index + len] {
                        out.push(' ');
                        out.push_str(l);
                    }
                }
                DiffOp::Delete {
                    old_index, old_len, ..
                } => {
                    for l in &ar[old_index..old_index + old_len] {
                        out.push('-');
                        out.push_str(l);
                    }
                }
                DiffOp::Insert {
                    new_index, new_len, ..
                } => {
                    for l in &br[new_index..new_index + new_len] {
                        out.push('+');
                        out.push_str(l);
                    }
                }
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    for l in &ar[old_index..old_index + old_len] {
                        out.push('-');
                        out.push_str(l);
                    }
                    for l in &br[new_index..new_index + new_len] {
                        out.push('+');
                        out.push_str(l);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_difflib() {
        // python3 -c "import difflib,sys; sys.stdout.writelines(difflib.unified_diff(
        //   ['a\n','b\n','c\n'], ['a\n','B\n','c\n','d'], 'before: f', 'after: f', n=3))"
        let d = json!({"before": "a\nb\nc\n", "after": "a\nB\nc\nd", "before_header": "f", "after_header": "f"});
        assert_eq!(
            render(&d),
            "--- before: f\n+++ after: f\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n\\ No newline at end of file\n\n"
        );
    }

    #[test]
    fn single_line_and_empty_ranges() {
        assert_eq!(
            unified("", "x\n", "before", "after"),
            "--- before\n+++ after\n@@ -0,0 +1 @@\n+x\n"
        );
        assert_eq!(render(&json!({"before": "same\n", "after": "same\n"})), "");
        assert_eq!(render(&json!({"prepared": "text\n"})), "text\n");
    }
}
