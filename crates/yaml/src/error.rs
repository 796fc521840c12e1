//! An error that points into a source file: path, line, column, the quoted line and a caret.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::{Pos, SourceFile};

/// An error tied to a file and, when known, a position in it.
///
/// `Display` renders a multi-line report (message, `--> path:line:col`, the quoted
/// line and a caret under the column). It does not add Ansible's `ERROR!` prefix: the
/// CLI decides how to introduce errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(self))]
pub struct SourceError {
    pub path: PathBuf,
    /// 1-based; `None` when the error concerns the whole file (I/O, encoding).
    pub line: Option<u32>,
    /// 1-based, in characters.
    pub col: Option<u32>,
    pub message: String,
    /// The text of line `line`, when the file could be read.
    pub line_text: Option<String>,
    /// The error is a file or role that is not there (not a fault in one that is):
    /// a dynamic include fails the host for it, where a malformed file ends the run.
    pub missing: bool,
}

impl SourceError {
    /// An error without the source text at hand (the line cannot be quoted).
    pub fn new(path: impl Into<PathBuf>, pos: Option<Pos>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: pos.map(|p| p.line),
            col: pos.map(|p| p.col),
            message: message.into(),
            line_text: None,
            missing: false,
        }
    }

    /// An error at `pos` in `file`, quoting the line.
    pub fn at(file: &SourceFile, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            path: file.path.clone(),
            line: Some(pos.line),
            col: Some(pos.col),
            message: message.into(),
            line_text: file.line_text(pos.line).map(str::to_owned),
            missing: false,
        }
    }

    pub fn io(path: &Path, err: &io::Error) -> Self {
        let reason = match err.kind() {
            io::ErrorKind::NotFound => "the file does not exist".to_owned(),
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => err.to_string(),
        };
        Self {
            missing: err.kind() == io::ErrorKind::NotFound,
            ..Self::new(
                path,
                None,
                format!("could not read {}: {reason}", path.display()),
            )
        }
    }

    /// The same error, marked as one about something that is not there.
    pub fn missing(self) -> Self {
        Self {
            missing: true,
            ..self
        }
    }

    /// The position, when the error has one.
    pub fn pos(&self) -> Option<Pos> {
        Some(Pos {
            line: self.line?,
            col: self.col.unwrap_or(1),
        })
    }
}

fn render(e: &SourceError) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_report(e, &mut out);
    out
}

fn write_report(e: &SourceError, out: &mut String) -> fmt::Result {
    use fmt::Write;
    write!(out, "{}", e.message)?;
    let Some(line) = e.line else {
        return Ok(());
    };
    let col = e.col.unwrap_or(1);
    write!(out, "\n  --> {}:{}:{}", e.path.display(), line, col)?;
    let Some(text) = &e.line_text else {
        return Ok(());
    };
    let gutter = " ".repeat(line.to_string().len());
    write!(out, "\n{gutter} |")?;
    write!(out, "\n{line} | {text}")?;
    // Tabs before the column are copied so the caret lines up however the
    // terminal expands them.
    let pad: String = text
        .chars()
        .take(col.saturating_sub(1) as usize)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let missing = (col.saturating_sub(1) as usize).saturating_sub(pad.chars().count());
    write!(out, "\n{gutter} | {pad}{}^", " ".repeat(missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_path_line_col_quote_and_caret() {
        let file = SourceFile::new("site.yml", "- hosts: all\n  tasks:\n\n    name: x: y\n");
        let err = SourceError::at(
            &file,
            Pos { line: 4, col: 11 },
            "mapping values are not allowed here",
        );
        assert_eq!(
            err.to_string(),
            "mapping values are not allowed here\n  --> site.yml:4:11\n  |\n4 |     name: x: y\n  |           ^"
        );
    }

    #[test]
    fn caret_follows_tabs() {
        let file = SourceFile::new("a.yml", "\tkey: v\n");
        let err = SourceError::at(&file, Pos { line: 1, col: 2 }, "tabs");
        assert!(err.to_string().ends_with("\n  | \t^"), "{err}");
    }

    #[test]
    fn caret_past_end_of_line() {
        let file = SourceFile::new("a.yml", "ab\n");
        let err = SourceError::at(&file, Pos { line: 1, col: 5 }, "eof");
        assert!(err.to_string().ends_with("\n  |     ^"), "{err}");
    }

    #[test]
    fn io_error_has_no_position() {
        let err = SourceError::io(
            Path::new("nope.yml"),
            &io::Error::from(io::ErrorKind::NotFound),
        );
        assert_eq!(err.line, None);
        assert!(err.missing);
        assert_eq!(
            err.to_string(),
            "could not read nope.yml: the file does not exist"
        );
    }
}
