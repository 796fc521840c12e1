//! `find`'s `contains`: Python's `re.match` on each line (or `re.search` on the whole
//! file with `read_whole_file`) of the file decoded with `encoding`, run on the host by
//! `iconv` and `grep`. A file that does not decode makes Python raise, which abandons
//! the rest of its search path; an unknown encoding does the same for every path.

use drover_connection::quote;

/// Exit status of the content check for a file that does not decode.
pub const UNDECODABLE: i32 = 3;

/// The encoding as `iconv` spells it, from Python's spelling.
fn iconv_name(python: &str) -> String {
    let n = python.to_ascii_lowercase().replace('_', "-");
    if let Some(rest) = n.strip_prefix("latin-") {
        return format!("latin{rest}");
    }
    if let Some(rest) = n.strip_prefix("iso8859-") {
        return format!("iso-8859-{rest}");
    }
    n
}

/// Shell text exiting 0 when `iconv` knows the encoding.
pub fn known_encoding(encoding: &str) -> String {
    format!(
        "iconv -f {} -t UTF-8 </dev/null >/dev/null 2>&1",
        quote(&iconv_name(encoding))
    )
}

/// Shell text whose status is 0 when the file `path` contains `pattern`, 1 when it
/// does not, and [`UNDECODABLE`] when it does not decode.
pub fn check(path: &str, pattern: &str, whole_file: bool, encoding: Option<&str>) -> String {
    let q = quote(path);
    let enc = quote(&iconv_name(encoding.unwrap_or("utf-8")));
    let utf8 = matches!(
        iconv_name(encoding.unwrap_or("utf-8")).as_str(),
        "utf-8" | "utf8"
    );
    let (pcre, ere, z) = if whole_file {
        (
            quote(&crate::pyre::pcre_whole_text(pattern)),
            quote(pattern),
            "z",
        )
    } else {
        (
            quote(&format!("^(?:{pattern})")),
            quote(&format!("^({pattern})")),
            "",
        )
    };
    // grep -P when it takes the pattern, else -E (status 2: a pattern PCRE refuses).
    let grep = |flags: &str, re: &str| {
        if utf8 {
            format!("grep -qs{z}{flags} -e {re} -- {q}")
        } else {
            format!("iconv -f {enc} -t UTF-8 -- {q} 2>/dev/null | grep -qs{z}{flags} -e {re}")
        }
    };
    format!(
        "if iconv -f {enc} -t UTF-8 -- {q} >/dev/null 2>&1; then {} || {{ [ $? = 2 ] && {}; }}; else (exit {UNDECODABLE}); fi",
        grep("P", &pcre),
        grep("E", &ere)
    )
}

/// The message Python's decode error gives for `path`.
pub fn undecodable_msg(path: &str, encoding: Option<&str>) -> String {
    let shown =
        encoding.unwrap_or("None (default determined by the Python built-in function \"open\")");
    format!("Failed to read the file {path} due to an encoding error. current encoding: {shown}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(script: &str) -> i32 {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .status()
            .unwrap()
            .code()
            .unwrap_or(-1)
    }

    #[test]
    fn decodes_before_matching() {
        let dir = std::env::temp_dir().join(format!("drover-find-content-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let gbk = dir.join("gbk.txt");
        // "你好世界" in GBK.
        std::fs::write(
            &gbk,
            [0xc4, 0xe3, 0xba, 0xc3, 0xca, 0xc0, 0xbd, 0xe7, b'\n'],
        )
        .unwrap();
        let p = gbk.to_string_lossy();
        assert_eq!(status(&check(&p, "你好世界", false, Some("gbk"))), 0);
        assert_eq!(status(&check(&p, "再见", false, Some("GBK"))), 1);
        assert_eq!(status(&check(&p, "你好世界", false, None)), UNDECODABLE);
        assert_eq!(status(&check(&p, "x", true, Some("utf-8"))), UNDECODABLE);
        let ok = dir.join("ok.txt");
        std::fs::write(&ok, "01 KO\n01 OK\n").unwrap();
        let p = ok.to_string_lossy();
        assert_eq!(status(&check(&p, "OK$", true, None)), 0);
        assert_eq!(status(&check(&p, "KO$", true, None)), 1);
        // Line by line it is re.match: anchored at the start of each line.
        assert_eq!(status(&check(&p, "KO$", false, None)), 1);
        assert_eq!(status(&check(&p, "01 KO$", false, None)), 0);
        assert_eq!(status(&known_encoding("latin_1")), 0);
        assert_ne!(status(&known_encoding("bogus")), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
