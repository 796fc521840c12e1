//! The `diff` of a file whose content changes, as Ansible's action plugins build it:
//! text before and after with headers, or a note that a side is binary or too large.

use serde_json::{Map, Value};

/// Ansible's MAX_FILE_SIZE_FOR_DIFF.
pub const MAX_DIFF: u64 = 104448;

/// `old`: the destination's bytes (`None` when it does not exist) and its size.
pub fn file_diff(dest: &str, old: Option<(&[u8], u64)>, new: &[u8], after_header: &str) -> Value {
    let mut d = Map::new();
    match old {
        None => {
            d.insert("before".into(), "".into());
        }
        Some((bytes, _)) if bytes.iter().take(8192).any(|b| *b == 0) => {
            d.insert("dst_binary".into(), 1.into());
        }
        Some((_, size)) if size > MAX_DIFF => {
            d.insert("dst_larger".into(), MAX_DIFF.into());
        }
        Some((bytes, _)) => {
            d.insert("before_header".into(), dest.into());
            d.insert(
                "before".into(),
                String::from_utf8_lossy(bytes).into_owned().into(),
            );
        }
    }
    if new.len() as u64 > MAX_DIFF {
        d.insert("src_larger".into(), MAX_DIFF.into());
    } else if new.contains(&0) {
        d.insert("src_binary".into(), 1.into());
    } else {
        d.insert("after_header".into(), after_header.into());
        d.insert(
            "after".into(),
            String::from_utf8_lossy(new).into_owned().into(),
        );
    }
    Value::Object(d)
}
