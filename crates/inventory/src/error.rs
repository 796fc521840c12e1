use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong while reading an inventory or evaluating a host pattern.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A line of an INI inventory (or a value in any inventory) that cannot be read.
    #[error("{}", ParseDisplay { file, line: *line, col: *col, message, text })]
    Parse {
        file: PathBuf,
        line: u32,
        col: Option<u32>,
        message: String,
        /// The offending line, quoted in the message.
        text: Option<String>,
    },
    /// A YAML inventory, group_vars or host_vars file that is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] drover_yaml::SourceError),
    /// A file whose structure is wrong as a whole (no single line to point at).
    #[error("{}: {message}", file.display())]
    Invalid { file: PathBuf, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A `-i` source that is neither an existing path nor a comma-separated host list.
    /// ansible-playbook only warns here; callers that want that can match this variant.
    #[error("inventory source {} does not exist", .0.display())]
    NotFound(PathBuf),
    /// A directory source in which nothing parsed (ansible's wording).
    #[error("Completely failed to parse inventory source {}", .0.display())]
    Unparsed(PathBuf),
    /// An executable inventory that failed or printed something that is not inventory JSON.
    #[error("{}", ScriptDisplay { path, message, stderr })]
    Script {
        path: PathBuf,
        message: String,
        stderr: String,
    },
    /// A host pattern that cannot be evaluated (bad regex, subscript out of range).
    #[error("{0}")]
    Pattern(String),
    /// A group that `--graph` was asked to start at does not exist, and similar lookups.
    #[error("{0}")]
    Lookup(String),
}

struct ParseDisplay<'a> {
    file: &'a PathBuf,
    line: u32,
    col: Option<u32>,
    message: &'a str,
    text: &'a Option<String>,
}

impl fmt::Display for ParseDisplay<'_> {
    /// The same layout as drover-yaml's SourceError, so every parse error reads alike.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n  --> {}:{}",
            self.message,
            self.file.display(),
            self.line
        )?;
        if let Some(col) = self.col {
            write!(f, ":{col}")?;
        }
        let Some(text) = self.text else {
            return Ok(());
        };
        let gutter = " ".repeat(self.line.to_string().len());
        write!(f, "\n{gutter} |\n{} | {text}", self.line)?;
        if let Some(col) = self.col {
            let pad: String = text
                .chars()
                .take(col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{gutter} | {pad}^")?;
        }
        Ok(())
    }
}

struct ScriptDisplay<'a> {
    path: &'a PathBuf,
    message: &'a str,
    stderr: &'a str,
}

impl fmt::Display for ScriptDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "inventory script {}: {}",
            self.path.display(),
            self.message
        )?;
        let stderr = self.stderr.trim_end();
        if !stderr.is_empty() {
            write!(f, "\nStandard error from inventory script:\n{stderr}")?;
        }
        Ok(())
    }
}

impl InventoryError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        InventoryError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        InventoryError::Invalid {
            file: file.into(),
            message: message.into(),
        }
    }
}
