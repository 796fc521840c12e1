//! YAML as Ansible reads it (YAML 1.1 scalars, last-wins duplicate keys), with the
//! source position of every node, so that every later error can point at a line.
//!
//! The public types here are the seam the inventory and playbook crates build on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod error;
mod json;
mod parse;
mod path;
mod scalar;

pub use error::SourceError;
pub use json::{is_unsafe_text, unsafe_inner, unsafe_text};
pub use path::normpath;

/// A source file kept whole, so errors can quote its lines.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (displayed in errors).
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            path: path.into(),
            text: text.into(),
        })
    }

    pub fn read(path: &Path) -> Result<Arc<Self>, SourceError> {
        let bytes = std::fs::read(path).map_err(|e| SourceError::io(path, &e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| SourceError::new(path, None, "the file is not valid UTF-8"))?;
        Ok(Self::new(path, text))
    }

    /// The text of 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        self.text.lines().nth((line as usize).checked_sub(1)?)
    }
}

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A file and a position in it: where a play, task or value came from.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub pos: Pos,
}

impl Location {
    pub fn error(&self, message: impl Into<String>) -> SourceError {
        SourceError::at(&self.file, self.pos, message)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.file.path.display(),
            self.pos.line,
            self.pos.col
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in document order; a duplicated key keeps its last value (as PyYAML does).
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub pos: Pos,
    /// An explicit tag such as `!unsafe` or `!vault`, without resolving it.
    pub tag: Option<String>,
}

/// A parsed file: its root node and the source it came from.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: Arc<SourceFile>,
    pub root: Node,
    /// Things Ansible warns about while loading (duplicate mapping keys).
    pub warnings: Vec<YamlWarning>,
}

/// A non-fatal remark about the source, at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlWarning {
    pub pos: Pos,
    pub message: String,
}

/// Parse one YAML document (an empty file gives a `Null` root).
pub fn parse(file: Arc<SourceFile>) -> Result<Document, SourceError> {
    parse::parse_document(file)
}

/// Read and parse a file.
pub fn parse_path(path: &Path) -> Result<Document, SourceError> {
    parse(SourceFile::read(path)?)
}

impl Document {
    pub fn location(&self, node: &Node) -> Location {
        Location {
            file: self.file.clone(),
            pos: node.pos,
        }
    }

    /// An error pointing at `node`.
    pub fn error_at(&self, node: &Node, message: impl Into<String>) -> SourceError {
        SourceError::at(&self.file, node.pos, message)
    }
}

impl Node {
    /// The mapping value for a string key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, NodeValue::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Null)
    }

    /// What kind of node this is, for error messages ("a mapping", "a string", ...).
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) | NodeValue::Float(_) => "a number",
            NodeValue::Str(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }

    /// The plain data, positions dropped. Mapping keys become strings as Ansible's
    /// JSON encoding writes them (`1: x` gives key "1", `true: x` gives "true",
    /// `~: x` gives "null"). NaN and infinities, which JSON lacks, become the strings
    /// "NaN", "Infinity" and "-Infinity".
    pub fn to_json(&self) -> serde_json::Value {
        parse::to_json(self)
    }
}

#[cfg(test)]
mod tests;
