//! Builds the positioned node tree from saphyr-parser's event stream, applying what
//! PyYAML's composer and Ansible's constructor add on top of the grammar: anchors and
//! aliases, merge keys, last-wins duplicate keys, and YAML 1.1 scalar resolution.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use crate::scalar::{self, Plain};
use crate::{Document, Node, NodeValue, Pos, SourceError, SourceFile, YamlWarning};

pub(crate) use crate::json::to_json;

/// Deeper nesting than this is refused rather than risking the stack in the
/// recursive consumers (`to_json`, `Drop`) downstream.
const MAX_DEPTH: usize = 512;
/// Bounds the expansion of aliases ("billion laughs") since aliases are copied.
const MAX_NODES: usize = 10_000_000;

const CORE: &str = "tag:yaml.org,2002:";

pub(crate) fn parse_document(file: Arc<SourceFile>) -> Result<Document, SourceError> {
    let mut builder = Builder::new(&file);
    let mut parser = Parser::new_from_str(&file.text);
    let mut documents = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(&file, &e))?;
        match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SourceError::at(
                        &file,
                        pos_of(&span),
                        "YAML parsing failed: expected a single document in the stream, but found another document",
                    ));
                }
            }
            Event::Alias(id) => builder.alias(id, &span)?,
            Event::Scalar(value, style, anchor, tag) => {
                builder.scalar(&value, style, anchor, tag.as_deref(), &span)?
            }
            Event::SequenceStart(anchor, tag) => {
                builder.open(true, anchor, tag.as_deref(), &span)?
            }
            Event::MappingStart(anchor, tag) => {
                builder.open(false, anchor, tag.as_deref(), &span)?
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close()?,
        }
    }
    let root = builder.root.take().unwrap_or(Node {
        value: NodeValue::Null,
        pos: Pos { line: 1, col: 1 },
        tag: None,
    });
    Ok(Document {
        file: file.clone(),
        root,
        warnings: builder.warnings,
    })
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line().max(1) as u32,
        col: span.start.col() as u32 + 1,
    }
}

fn scan_error(file: &SourceFile, e: &ScanError) -> SourceError {
    let m = e.marker();
    let pos = Pos {
        line: m.line().max(1) as u32,
        col: m.col() as u32 + 1,
    };
    SourceError::at(file, pos, format!("YAML parsing failed: {}", e.info()))
}

fn tag_name(tag: &Tag) -> String {
    match tag.handle.as_str() {
        "!" => format!("!{}", tag.suffix),
        CORE => format!("!!{}", tag.suffix),
        h => format!("{h}{}", tag.suffix),
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
    },
    Map {
        entries: Vec<(Node, Node)>,
        merged: Vec<(Node, Node)>,
        key: Option<(Node, bool)>,
    },
}

struct Open {
    frame: Frame,
    pos: Pos,
    tag: Option<String>,
    anchor: usize,
}

struct Builder<'f> {
    file: &'f SourceFile,
    anchors: HashMap<usize, (Node, usize)>,
    stack: Vec<Open>,
    /// Sizes of the nodes completed so far inside each open collection, for alias accounting.
    sizes: Vec<usize>,
    root: Option<Node>,
    nodes: usize,
    warnings: Vec<YamlWarning>,
}

impl<'f> Builder<'f> {
    fn new(file: &'f SourceFile) -> Self {
        Self {
            file,
            anchors: HashMap::new(),
            stack: Vec::new(),
            sizes: vec![0],
            root: None,
            nodes: 0,
            warnings: Vec::new(),
        }
    }

    fn err(&self, pos: Pos, msg: impl Into<String>) -> SourceError {
        SourceError::at(self.file, pos, msg)
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), SourceError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.err(
                pos,
                "YAML parsing failed: the document expands to too many nodes (alias bomb?)",
            ));
        }
        Ok(())
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: &Span,
    ) -> Result<(), SourceError> {
        let pos = pos_of(span);
        let plain = style == ScalarStyle::Plain;
        let mut is_merge = false;
        let (value, tag_str) = match tag {
            None => match scalar::resolve_plain(text) {
                Plain::Value(v) if plain => (v, None),
                Plain::Merge if plain => {
                    is_merge = true;
                    (NodeValue::Str(text.to_owned()), None)
                }
                Plain::BadInt if plain => {
                    return Err(self.err(pos, format!("invalid literal for an integer: {text:?}")));
                }
                Plain::ValueKey if plain => {
                    return Err(self.err(
                        pos,
                        "could not determine a constructor for the tag 'tag:yaml.org,2002:value'",
                    ));
                }
                _ => (NodeValue::Str(text.to_owned()), None),
            },
            Some(t) => (self.tagged_scalar(text, t, pos)?, Some(tag_name(t))),
        };
        let node = Node {
            value,
            pos,
            tag: tag_str,
        };
        self.complete(node, anchor, 1, is_merge)
    }

    fn tagged_scalar(&self, text: &str, tag: &Tag, pos: Pos) -> Result<NodeValue, SourceError> {
        let name = tag_name(tag);
        let resolved = || match scalar::resolve_plain(text) {
            Plain::Value(v) => v,
            Plain::Merge | Plain::ValueKey | Plain::BadInt => NodeValue::Str(text.to_owned()),
        };
        let invalid = |what: &str| {
            self.err(
                pos,
                format!("invalid value for the tag '{name}': {text:?} is not {what}"),
            )
        };
        Ok(match name.as_str() {
            // PyYAML treats the non-specific tag like no tag; Ansible re-resolves the
            // text of `!unsafe` values as if they were plain, even when quoted.
            // ...except that an empty value under `!` is an empty string, not null.
            "!" if text.is_empty() => NodeValue::Str(String::new()),
            "!" | "!unsafe" => resolved(),
            "!vault" | "!vault-encrypted" => match resolved() {
                NodeValue::Str(_) => NodeValue::Str(text.to_owned()),
                _ => return Err(self.err(pos, format!("the '{name}' tag requires a string value"))),
            },
            "!!str" | "!!python/unicode" | "!!binary" | "!!timestamp" => {
                NodeValue::Str(text.to_owned())
            }
            "!!int" => scalar::construct_int(text.trim()).ok_or_else(|| invalid("an integer"))?,
            "!!float" => NodeValue::Float(
                scalar::construct_float(text.trim()).ok_or_else(|| invalid("a number"))?,
            ),
            "!!bool" => NodeValue::Bool(scalar::as_bool(text).ok_or_else(|| invalid("a boolean"))?),
            "!!null" => NodeValue::Null,
            _ => {
                return Err(self.err(
                    pos,
                    format!("could not determine a constructor for the tag '{name}'"),
                ))
            }
        })
    }

    fn open(
        &mut self,
        seq: bool,
        anchor: usize,
        tag: Option<&Tag>,
        span: &Span,
    ) -> Result<(), SourceError> {
        let pos = pos_of(span);
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(
                pos,
                format!("YAML parsing failed: nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        let tag = tag.map(tag_name);
        if let Some(t) = &tag {
            let ok = if seq {
                matches!(t.as_str(), "!" | "!unsafe" | "!!seq" | "!!omap" | "!!pairs")
            } else {
                matches!(
                    t.as_str(),
                    "!" | "!unsafe" | "!!map" | "!!set" | "!!python/dict"
                )
            };
            if !ok {
                return Err(self.err(
                    pos,
                    format!("could not determine a constructor for the tag '{t}'"),
                ));
            }
        }
        let frame = if seq {
            Frame::Seq { items: Vec::new() }
        } else {
            Frame::Map {
                entries: Vec::new(),
                merged: Vec::new(),
                key: None,
            }
        };
        self.stack.push(Open {
            frame,
            pos,
            tag,
            anchor,
        });
        self.sizes.push(0);
        Ok(())
    }

    fn close(&mut self) -> Result<(), SourceError> {
        let (Some(open), Some(size)) = (self.stack.pop(), self.sizes.pop()) else {
            // The parser guarantees balanced events; be defensive rather than panic.
            return Ok(());
        };
        let value = match open.frame {
            Frame::Seq { items } => NodeValue::Seq(items),
            Frame::Map {
                entries,
                mut merged,
                key,
            } => {
                if let Some((k, _)) = key {
                    return Err(self.err(k.pos, "YAML parsing failed: mapping key without a value"));
                }
                merged.extend(entries);
                NodeValue::Map(self.dedup(merged)?)
            }
        };
        let node = Node {
            value,
            pos: open.pos,
            tag: open.tag,
        };
        self.complete(node, open.anchor, size + 1, false)
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<(), SourceError> {
        let pos = pos_of(span);
        let Some((node, size)) = self.anchors.get(&id).cloned() else {
            return Err(self.err(pos, "YAML parsing failed: found undefined alias"));
        };
        self.count(size, pos)?;
        self.complete(node, 0, size, false)
    }

    /// Hands a finished node to its parent (or makes it the root).
    fn complete(
        &mut self,
        node: Node,
        anchor: usize,
        size: usize,
        is_merge: bool,
    ) -> Result<(), SourceError> {
        self.count(1, node.pos)?;
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        if let Some(s) = self.sizes.last_mut() {
            *s = s.saturating_add(size);
        }
        let Some(top) = self.stack.last_mut() else {
            if is_merge {
                return Err(merge_misplaced(self.file, node.pos));
            }
            self.root = Some(node);
            return Ok(());
        };
        match &mut top.frame {
            Frame::Seq { items } => {
                if is_merge {
                    return Err(merge_misplaced(self.file, node.pos));
                }
                items.push(node);
            }
            Frame::Map {
                entries,
                merged,
                key,
            } => match key.take() {
                None => {
                    if matches!(node.value, NodeValue::Seq(_) | NodeValue::Map(_)) {
                        return Err(SourceError::at(
                            self.file,
                            node.pos,
                            "YAML parsing failed: found unhashable key (a mapping key must be a scalar)",
                        ));
                    }
                    *key = Some((node, is_merge));
                }
                Some((_, true)) => merged.extend(merge_entries(self.file, node)?),
                Some((k, false)) => {
                    if is_merge {
                        return Err(merge_misplaced(self.file, node.pos));
                    }
                    entries.push((k, node));
                }
            },
        }
        Ok(())
    }

    /// Last value wins, at the position of the first occurrence (Python dict order).
    fn dedup(&mut self, entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, SourceError> {
        let mut seen: HashMap<KeyId, usize> = HashMap::with_capacity(entries.len());
        let mut out: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let id = key_id(&k.value);
            match seen.get(&id) {
                Some(&i) => {
                    self.warnings.push(YamlWarning {
                        pos: k.pos,
                        message: format!(
                            "Found duplicate mapping key {}. Using last defined value only.",
                            key_repr(&k)
                        ),
                    });
                    out[i].0.pos = k.pos;
                    out[i].1 = v;
                }
                None => {
                    seen.insert(id, out.len());
                    out.push((k, v));
                }
            }
        }
        Ok(out)
    }
}

fn merge_misplaced(file: &SourceFile, pos: Pos) -> SourceError {
    SourceError::at(
        file,
        pos,
        "could not determine a constructor for the tag 'tag:yaml.org,2002:merge'",
    )
}

/// The entries a `<<` value contributes. In a list, earlier mappings win, so they
/// come last.
fn merge_entries(file: &SourceFile, node: Node) -> Result<Vec<(Node, Node)>, SourceError> {
    let expected = |n: &Node| {
        SourceError::at(
            file,
            n.pos,
            format!(
                "expected a mapping or list of mappings for merging, but found {}",
                n.kind_name()
            ),
        )
    };
    match node.value {
        NodeValue::Map(entries) => Ok(entries),
        NodeValue::Seq(items) => {
            let mut out = Vec::new();
            for item in items.into_iter().rev() {
                match item.value {
                    NodeValue::Map(entries) => out.extend(entries),
                    _ => return Err(expected(&item)),
                }
            }
            Ok(out)
        }
        _ => Err(expected(&node)),
    }
}

/// Python's key equality: `1`, `1.0` and `true` are the same key.
#[derive(Hash, PartialEq, Eq)]
enum KeyId {
    Null,
    Int(i64),
    Float(u64),
    Str(String),
    Other,
}

fn key_id(v: &NodeValue) -> KeyId {
    match v {
        NodeValue::Null => KeyId::Null,
        NodeValue::Bool(b) => KeyId::Int(i64::from(*b)),
        NodeValue::Int(i) => KeyId::Int(*i),
        NodeValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => KeyId::Int(*f as i64),
        NodeValue::Float(f) => KeyId::Float(f.to_bits()),
        NodeValue::Str(s) => KeyId::Str(s.clone()),
        NodeValue::Seq(_) | NodeValue::Map(_) => KeyId::Other,
    }
}

fn key_repr(k: &Node) -> String {
    match &k.value {
        NodeValue::Str(s) => format!("'{s}'"),
        _ => crate::json::key_string(&k.value),
    }
}
