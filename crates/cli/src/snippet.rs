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
        if l.is_empty() {
            // An empty line is its number alone, as ansible-core prints it.
            let _ = writeln!(out, "{n:>width$}");
        } else {
            let _ = writeln!(out, "{n:>width$} {l}");
        }
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

/// One level of a "caused by" chain: its message and where it points.
pub struct Level<'a> {
    pub message: String,
    pub at: Option<Origin<'a>>,
    /// A hint after the excerpt.
    pub help: Option<String>,
}

/// A place in a file, with the file's text for the excerpt; without a line and
/// column, the file alone.
#[derive(PartialEq)]
pub struct Origin<'a> {
    pub path: std::path::PathBuf,
    pub text: Option<&'a str>,
    pub at: Option<(u32, u32)>,
}

/// ansible-core 2.19's report of an error with causes: `[ERROR]: summary`, then each
/// level with its origin and excerpt, joined by `<<< caused by >>>`. Adjacent levels
/// that point at the same place are one level (their messages joined by ": "); a
/// single level is the plain [`error_report`].
pub fn chain_report(summary: &str, levels: Vec<Level>) -> String {
    let mut merged: Vec<Level> = Vec::new();
    for level in levels {
        match merged.last_mut() {
            Some(last) if last.at.is_some() && last.at == level.at => {
                last.message = format!("{}: {}", last.message, level.message);
            }
            _ => merged.push(level),
        }
    }
    if let [Level {
        at:
            Some(Origin {
                path,
                text,
                at: Some((line, col)),
            }),
        ..
    }] = merged.as_slice()
    {
        return error_report(summary, path, *text, *line, *col);
    }
    let count = merged.len();
    let mut out = format!("[ERROR]: {summary}\n");
    for (i, level) in merged.into_iter().enumerate() {
        if i > 0 {
            out.push_str("\n<<< caused by >>>\n");
        }
        let stop = if i + 1 < count { "." } else { "" };
        let _ = write!(out, "\n{}{stop}\n", level.message);
        match level.at {
            Some(Origin {
                path,
                text,
                at: Some((line, col)),
            }) => {
                let _ = writeln!(out, "Origin: {}:{line}:{col}", path.display());
                if let Some(text) = text {
                    let _ = writeln!(out, "\n{}", excerpt(text, line, col));
                }
            }
            Some(Origin { path, .. }) => {
                let _ = writeln!(out, "Origin: {}", path.display());
            }
            None => {}
        }
        if let Some(help) = &level.help {
            let _ = writeln!(out, "{help}");
        }
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

    #[test]
    fn chains_merge_levels_at_one_place() {
        let text = "- hosts: all\n  tasks:\n    - debug: msg={{ y }}\n";
        let level = |m: &str, (line, col)| super::Level {
            message: m.into(),
            help: None,
            at: Some(super::Origin {
                path: "p.yml".into(),
                text: Some(text),
                at: Some((line, col)),
            }),
        };
        let out = super::chain_report(
            "Task failed: F failed: E",
            vec![
                level("Task failed", (3, 7)),
                level("F failed", (3, 7)),
                level("E", (3, 14)),
            ],
        );
        assert_eq!(
            out,
            "[ERROR]: Task failed: F failed: E\n\nTask failed: F failed.\nOrigin: p.yml:3:7\n\n\
             1 - hosts: all\n2   tasks:\n3     - debug: msg={{ y }}\n        ^ column 7\n\n\
             <<< caused by >>>\n\nE\nOrigin: p.yml:3:14\n\n\
             1 - hosts: all\n2   tasks:\n3     - debug: msg={{ y }}\n               ^ column 14\n"
        );
    }
}
