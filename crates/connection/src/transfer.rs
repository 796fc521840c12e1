//! File transfer over plain `exec`: streaming through `cat` works with become
//! and needs no sftp-server on the target.

use crate::quote::quote;
use crate::random::token;
use crate::{Become, ConnError, Connection};

pub(crate) async fn put<C: Connection + ?Sized>(
    conn: &C,
    data: &[u8],
    dest: &str,
    mode: Option<u32>,
    become_: Option<&Become>,
) -> Result<(), ConnError> {
    let cmd = put_command(dest, mode);
    let out = conn.exec(&cmd, Some(data), become_).await?;
    if out.rc != 0 {
        return Err(ConnError::Transfer(format!(
            "could not write {dest}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

pub(crate) async fn get<C: Connection + ?Sized>(
    conn: &C,
    src: &str,
    become_: Option<&Become>,
) -> Result<Vec<u8>, ConnError> {
    // A redirect, not an argument: a name starting with '-' cannot become an option.
    let cmd = format!("cat < {}", quote(src));
    let out = conn.exec(&cmd, None, become_).await?;
    if out.rc != 0 {
        return Err(ConnError::Transfer(format!(
            "could not read {src}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// The shell line that writes stdin to `dest` atomically. The temp file lives
/// in dest's directory so the final `mv` is a rename on the same filesystem.
/// Without a mode an existing file keeps its mode and owner (copied with
/// `cp -p` first, then overwritten) and a new one gets the default umask.
pub(crate) fn put_command(dest: &str, mode: Option<u32>) -> String {
    let dest = if dest.starts_with('-') {
        format!("./{dest}")
    } else {
        dest.to_string()
    };
    let dir = match dest.rfind('/') {
        Some(0) => "/",
        Some(i) => &dest[..i],
        None => ".",
    };
    let tmp = if dir.ends_with('/') {
        format!("{dir}.drover-tmp-{}", token())
    } else {
        format!("{dir}/.drover-tmp-{}", token())
    };
    let (t, d) = (quote(&tmp), quote(&dest));
    let write = match mode {
        Some(m) => format!("umask 077 && cat > {t} && chmod {m:o} {t}"),
        None => format!("{{ [ ! -f {d} ] || cp -p {d} {t}; }} && cat > {t}"),
    };
    // mv onto a directory would move the file into it: refuse instead.
    format!(
        "if [ -d {d} ]; then echo {msg} >&2; exit 1; fi; \
         {write} && mv -f {t} {d} || {{ rc=$?; rm -f {t}; exit $rc; }}",
        msg = quote(&format!("{dest} is a directory"))
    )
}

#[cfg(test)]
mod tests {
    use super::put_command;

    #[test]
    fn temp_file_sits_next_to_dest() {
        let cmd = put_command("/etc/app/my file", Some(0o640));
        assert!(cmd.starts_with("if [ -d '/etc/app/my file' ]; then"));
        assert!(cmd.contains("umask 077 && cat > /etc/app/.drover-tmp-"));
        assert!(cmd.contains("&& chmod 640 /etc/app/.drover-tmp-"));
        assert!(cmd.contains("mv -f /etc/app/.drover-tmp-"));
        assert!(cmd.contains(" '/etc/app/my file' || { rc=$?; rm -f "));
    }

    #[test]
    fn root_and_relative_paths() {
        assert!(put_command("/x", None).contains("cat > /.drover-tmp-"));
        assert!(put_command("x", None).contains("cat > ./.drover-tmp-"));
        assert!(put_command("-x", None).contains("mv -f ./.drover-tmp-"));
        assert!(put_command("-x", None).contains(" ./-x ||"));
    }
}
