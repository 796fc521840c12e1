//! Installing a file's new content on the host in one script: written to a temp file
//! beside the destination, given its mode and owner, validated, the old file backed
//! up, then renamed over the destination (so an interrupted run leaves no half file).

use std::time::{SystemTime, UNIX_EPOCH};

use drover_connection::quote;

use super::probe::{Answers, Script};

/// Where the new content comes from.
pub enum Source<'a> {
    /// The exec's stdin.
    Stdin,
    /// A file already on the host (`remote_src`).
    Remote(&'a str),
    /// Base64 text embedded in the script (several files in one script).
    Base64(&'a str),
}

pub struct Install<'a> {
    pub dest: &'a str,
    pub source: Source<'a>,
    /// Permission bits; `None` keeps an existing file's (or the umask default).
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// The validation command with `%s` for the temp file.
    pub validate: Option<&'a str>,
    pub backup: bool,
}

/// Exit codes of the install function besides 0 and 1 (an error message).
pub const VALIDATE_FAILED: i32 = 3;

fn token() -> String {
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", std::process::id(), n & 0xffff_ffff_ffff)
}

fn dir_of(dest: &str) -> &str {
    match dest.rfind('/') {
        Some(0) => "/",
        Some(i) => &dest[..i],
        None => ".",
    }
}

/// The file's extension, kept on the temp file for validators that look at it.
fn suffix(dest: &str) -> &str {
    let base = dest.rsplit('/').next().unwrap_or(dest);
    match base.rfind('.') {
        Some(i) if i > 0 => &base[i..],
        _ => "",
    }
}

impl Install<'_> {
    /// Append the install of this file to `s`, with records `KEY.rc`, `KEY.err`,
    /// `KEY.backup` and the final stat `KEY.st`.
    pub fn add_to(&self, s: &mut Script, key: &str) {
        let d = quote(self.dest);
        let tmp = format!(
            "{}/.drover-tmp-{}{}",
            dir_of(self.dest).trim_end_matches('/'),
            token(),
            suffix(self.dest)
        );
        let tmp = if dir_of(self.dest) == "/" {
            tmp.replacen("//", "/", 1)
        } else {
            tmp
        };
        let t = quote(&tmp);
        let mut body = vec![format!(
            "_db=; if [ -d {d} ]; then printf '%s is a directory' {d} >&2; return 1; fi"
        )];
        let fill = match &self.source {
            Source::Stdin => format!("cat > {t}"),
            Source::Remote(src) => format!("cat -- {} > {t}", quote(src)),
            Source::Base64(b64) => {
                format!("base64 -d > {t} <<'__DROVER_B64__'\n{b64}\n__DROVER_B64__\n")
            }
        };
        // The temp file is private until its mode is set.
        body.push(format!(
            "(umask 077 && {fill}) || {{ rm -f -- {t}; return 1; }}"
        ));
        let mut attrs = Vec::new();
        match self.mode {
            Some(m) => attrs.push(format!("chmod {m:05o} -- {t}")),
            None => attrs.push(format!(
                "if [ -e {d} ]; then chmod --reference={d} -- {t}; else chmod $(printf '%o' $((0666 & ~$(umask)))) -- {t}; fi"
            )),
        }
        // An existing file keeps its owner, as Ansible's atomic_move does (root only).
        let keep = format!("[ ! -e {d} ] || chown --reference={d} -- {t} 2>/dev/null || :");
        match (self.uid, self.gid) {
            (Some(u), Some(g)) => attrs.push(format!("chown {u}:{g} -- {t}")),
            (Some(u), None) => attrs.push(format!("{keep}; chown {u} -- {t}")),
            (None, Some(g)) => attrs.push(format!("{keep}; chgrp {g} -- {t}")),
            (None, None) => attrs.push(keep),
        }
        body.push(format!(
            "{{ {}; }} || {{ rm -f -- {t}; return 1; }}",
            attrs.join(" && ")
        ));
        if let Some(v) = self.validate {
            // As Ansible runs it: the words split as a shell would, run without one.
            let cmd =
                crate::textfile::validate_command(v, &tmp).unwrap_or_else(|_| v.replace("%s", &t));
            body.push(format!(
                "if ! {{ {cmd}; }} 1>&2; then rm -f -- {t}; return {VALIDATE_FAILED}; fi"
            ));
        }
        if self.backup {
            body.push(format!(
                "if [ -f {d} ]; then _db={d}.$$.$(date +%Y-%m-%d@%H:%M:%S)~; cp -p -- {d} \"$_db\" || {{ rm -f -- {t}; return 1; }}; fi"
            ));
        }
        body.push(format!("mv -f -- {t} {d} || {{ rm -f -- {t}; return 1; }}"));
        let k = |s: &str| quote(&format!("{key}.{s}"));
        s.line(&format!("_dw() {{\n{}\n}}", body.join("\n")));
        s.line(&format!(
            "_dk {}; _dw 2>&1 >/dev/null; _drc=$?; _de; _dk {}; printf %s $_drc; _de; _dk {}; printf %s \"$_db\"; _de",
            k("err"),
            k("rc"),
            k("backup")
        ));
        s.stat(&format!("{key}.st"), self.dest, false);
    }
}

/// The outcome of one install.
pub struct Installed {
    pub rc: i32,
    pub err: String,
    pub backup: Option<String>,
}

pub fn outcome(a: &Answers, key: &str) -> Installed {
    let backup = a.text(&format!("{key}.backup"));
    Installed {
        rc: a.rc(&format!("{key}.rc")),
        err: a.text(&format!("{key}.err")).trim().to_string(),
        backup: (!backup.is_empty()).then_some(backup),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &Script, stdin: &[u8]) -> Answers {
        use std::io::Write;
        let mut child = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(s.text())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        Answers::parse(&child.wait_with_output().unwrap().stdout)
    }

    #[test]
    fn installs_validates_and_backs_up() {
        let dir = std::env::temp_dir().join(format!("drover-write-{}", token()));
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("it's a $file.conf");
        let d = dest.to_str().unwrap();
        let install = |validate, backup| Install {
            dest: d,
            source: Source::Stdin,
            mode: Some(0o640),
            uid: None,
            gid: None,
            validate,
            backup,
        };
        let mut s = Script::new();
        install(None, true).add_to(&mut s, "f");
        let a = run(&s, b"one\n");
        let o = outcome(&a, "f");
        assert_eq!((o.rc, o.backup), (0, None));
        assert_eq!(std::fs::read(&dest).unwrap(), b"one\n");
        assert_eq!(a.stat("f.st").unwrap().mode_str(), "0640");

        let mut s = Script::new();
        install(Some("grep -q two %s"), true).add_to(&mut s, "f");
        let o = outcome(&run(&s, b"three\n"), "f");
        assert_eq!(o.rc, VALIDATE_FAILED);
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            b"one\n",
            "invalid content is not installed"
        );

        let mut s = Script::new();
        install(Some("grep -q two %s"), true).add_to(&mut s, "f");
        let o = outcome(&run(&s, b"two\n"), "f");
        assert_eq!(o.rc, 0, "{}", o.err);
        let backup = o.backup.unwrap();
        assert_eq!(std::fs::read(&backup).unwrap(), b"one\n");
        assert_eq!(std::fs::read(&dest).unwrap(), b"two\n");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            2,
            "no temp file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
