//! One shell script per round trip: the probes a module needs, each answer written as
//! a NUL-terminated key and a NUL-terminated value, so paths and contents with
//! newlines, quotes or non-UTF-8 bytes come back intact.

use std::collections::HashMap;

use drover_connection::quote;

use super::info::StatInfo;

/// The fields `stat -c` prints, '/'-separated (no field can hold a '/').
const STAT_FORMAT: &str = "%f/%u/%g/%U/%G/%s/%h/%i/%d/%.9X/%.9Y/%.9Z/%b/%o/%t/%T";

/// Shell functions every script starts with. `_dk KEY` opens a record, `_de` closes it.
/// Each process they start is paid on every host for every task, so they start few:
/// `stat --printf` ends without a newline, `read` cuts the digest.
const PRELUDE: &str = concat!(
    "_dk() { printf '%s\\0' \"$1\"; }; _de() { printf '\\0'; }; ",
    // `_dst KEY PATH [-L]`: the stat line, empty when the path is missing.
    "_dst() { _dk \"$1\"; stat $3 --printf='",
    "%f/%u/%g/%U/%G/%s/%h/%i/%d/%.9X/%.9Y/%.9Z/%b/%o/%t/%T",
    "' -- \"$2\" 2>/dev/null; _de; }; ",
    // `_dsum KEY PATH PROGRAM`: PROGRAM's digest of the file, empty when unreadable.
    "_dsum() { _dk \"$1\"; if [ -f \"$2\" ] && [ -r \"$2\" ]; then $3 < \"$2\" 2>/dev/null | { read -r _ds _; printf %s \"$_ds\"; }; fi; _de; }; ",
    // `_dln KEY PATH`: a symlink's target, byte for byte.
    "_dln() { _dk \"$1\"; [ -L \"$2\" ] && readlink -n -- \"$2\" 2>/dev/null; _de; }; ",
);

/// A script under construction.
pub struct Script {
    text: String,
}

impl Default for Script {
    fn default() -> Self {
        Script::new()
    }
}

impl Script {
    pub fn new() -> Script {
        debug_assert!(PRELUDE.contains(STAT_FORMAT));
        Script {
            text: PRELUDE.to_string(),
        }
    }

    /// Any shell text, as it is (already quoted by the caller).
    pub fn line(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self.text.push('\n');
        self
    }

    /// The lstat (or stat when `follow`) of `path` under `key`.
    pub fn stat(&mut self, key: &str, path: &str, follow: bool) -> &mut Self {
        let flag = if follow { " -L" } else { "" };
        self.line(&format!("_dst {} {}{flag}", quote(key), quote(path)))
    }

    /// The digest of a regular file with `program` (`sha1sum`, `md5sum`, ...).
    pub fn checksum(&mut self, key: &str, path: &str, program: &str) -> &mut Self {
        self.line(&format!(
            "_dsum {} {} {}",
            quote(key),
            quote(path),
            quote(program)
        ))
    }

    pub fn readlink(&mut self, key: &str, path: &str) -> &mut Self {
        self.line(&format!("_dln {} {}", quote(key), quote(path)))
    }

    /// The stdout of `cmd` (shell text, run in a subshell) under `key`; stderr is discarded.
    pub fn capture(&mut self, key: &str, cmd: &str) -> &mut Self {
        self.line(&format!("_dk {}; ( {cmd} ) 2>/dev/null; _de", quote(key)))
    }

    /// The exit status of `cmd` (shell text) under `key`, its output discarded.
    pub fn status(&mut self, key: &str, cmd: &str) -> &mut Self {
        self.line(&format!(
            "_dk {}; ( {cmd} ) >/dev/null 2>&1; printf %s $?; _de",
            quote(key)
        ))
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The records a script printed.
#[derive(Debug, Default)]
pub struct Answers(HashMap<String, Vec<u8>>);

impl Answers {
    /// A key starting with '@' holds the rest of the output (bytes that may contain
    /// NUL, such as a file's content): it must be the script's last record.
    pub fn parse(out: &[u8]) -> Answers {
        let mut map = HashMap::new();
        let mut rest = out;
        while let Some(k_end) = rest.iter().position(|b| *b == 0) {
            let key = String::from_utf8_lossy(&rest[..k_end]).into_owned();
            rest = &rest[k_end + 1..];
            if key.starts_with('@') {
                let v = rest.strip_suffix(b"\0").unwrap_or(rest);
                map.insert(key, v.to_vec());
                break;
            }
            let v_end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
            map.insert(key, rest[..v_end].to_vec());
            rest = rest.get(v_end + 1..).unwrap_or_default();
        }
        Answers(map)
    }

    pub fn bytes(&self, key: &str) -> Option<&[u8]> {
        self.0.get(key).map(Vec::as_slice)
    }

    /// A record as text; empty when absent.
    pub fn text(&self, key: &str) -> String {
        self.bytes(key)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    /// A stat record: `None` when the path does not exist.
    pub fn stat(&self, key: &str) -> Option<StatInfo> {
        StatInfo::parse(&self.text(key))
    }

    /// A `status` record as a number (-1 when missing).
    pub fn rc(&self, key: &str) -> i32 {
        self.text(key).trim().parse().unwrap_or(-1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_newlines_and_binary() {
        let out = b"a\0line1\nline2\0b\0\xff\xfe\0c\0\0@d\0x\0y\0";
        let a = Answers::parse(out);
        assert_eq!(a.text("a"), "line1\nline2");
        assert_eq!(a.bytes("b"), Some(&b"\xff\xfe"[..]));
        assert_eq!(a.bytes("c"), Some(&b""[..]));
        assert_eq!(a.bytes("@d"), Some(&b"x\0y"[..]));
        assert_eq!(a.bytes("d"), None);
    }

    #[test]
    fn script_runs_under_sh() {
        let dir = std::env::temp_dir().join(format!("drover-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a 'b' $c\nd");
        std::fs::write(&f, b"x\n\n").unwrap();
        let p = f.to_str().unwrap();
        let mut s = Script::new();
        s.stat("st", p, false)
            .checksum("sum", p, "sha1sum")
            .capture("cat", &format!("cat -- {}", quote(p)))
            .status("rc", "exit 3")
            .stat("none", "/no/such", true);
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(s.text())
            .output()
            .unwrap();
        let a = Answers::parse(&out.stdout);
        assert_eq!(a.stat("st").map(|s| s.size), Some(3));
        // sha1 of "x\n\n"
        assert_eq!(a.text("sum"), "0dad9e9d44ef439b59dfde9e2076d90fb789f667");
        assert_eq!(a.bytes("cat"), Some(&b"x\n\n"[..]));
        assert_eq!(a.rc("rc"), 3);
        assert!(a.stat("none").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
