//! Source excerpts for errors, in ansible-core 2.19's layout:
//!
//! ```text
//! Origin: site.yml:6:7
//!
//! 4     - name: t
//! 5       command: echo hi
//! 6     - foo: bar
//!         ^ column 7
//! ```

use std::fmt::Write;

/// Up to two lines of context before `line` (1-based), numbered, and a caret at `col`.
pub fn excerpt(text: &str, line: u32, col: u32) -> String {
    let line = line.max(1) as usize;
    let first = line.saturating_sub(2).max(1);
    let lines: Vec<&str> = text.lines().collect();
    let width = line.to_string().len();
    let mut out = String::new();
    for n in first..=line {
        let Some(l) = lines.get(n - 1) else { break };
        let _ = writeln!(out, "{n:>width$} {l}");
    }
    let _ = write!(
        out,
        "{}^ column {col}",
        " ".repeat(width + col.max(1) as usize)
    );
    out
}

/// `[ERROR]: message`, the origin, and the excerpt when the file can be read.
pub fn error_report(
    message: &str,
    path: &std::path::Path,
    text: Option<&str>,
    line: u32,
    col: u32,
) -> String {
    let mut out = format!(
        "[ERROR]: {message}\nOrigin: {}:{line}:{col}\n",
        path.display()
    );
    if let Some(text) = text {
        out.push('\n');
        out.push_str(&excerpt(text, line, col));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lays_out_like_ansible() {
        let text = "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: t\n      command: echo hi\n    - foo: bar\n";
        assert_eq!(
            super::excerpt(text, 6, 7),
            "4     - name: t\n5       command: echo hi\n6     - foo: bar\n        ^ column 7"
        );
    }
}
