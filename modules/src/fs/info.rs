//! What `stat -c` says about one path, and the result fields Ansible's file-handling
//! modules add from it (`path`, `state`, `mode`, `owner`, `uid`, ...).

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatInfo {
    /// The whole st_mode: type and permission bits.
    pub raw_mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// `None` when the id has no name on the host.
    pub owner: Option<String>,
    pub group: Option<String>,
    pub size: u64,
    pub nlink: u64,
    pub inode: u64,
    pub dev: u64,
    pub atime: f64,
    pub mtime: f64,
    pub ctime: f64,
    pub blocks: u64,
    pub block_size: u64,
    /// Device number of a character or block special file.
    pub rdev: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Link,
    Char,
    Block,
    Fifo,
    Socket,
}

const S_IFMT: u32 = 0o170000;

impl StatInfo {
    /// One line of `stat -c` in probe's format; `None` for an empty (missing) answer.
    pub fn parse(line: &str) -> Option<StatInfo> {
        let f: Vec<&str> = line.trim_end().split('/').collect();
        if f.len() != 16 {
            return None;
        }
        let num = |i: usize| f[i].parse::<u64>().unwrap_or(0);
        let float = |i: usize| f[i].parse::<f64>().unwrap_or(0.0);
        let name = |i: usize| (f[i] != "UNKNOWN").then(|| f[i].to_string());
        let hex = |i: usize| u64::from_str_radix(f[i], 16).unwrap_or(0);
        Some(StatInfo {
            raw_mode: u32::from_str_radix(f[0], 16).ok()?,
            uid: num(1) as u32,
            gid: num(2) as u32,
            owner: name(3),
            group: name(4),
            size: num(5),
            nlink: num(6),
            inode: num(7),
            dev: num(8),
            atime: float(9),
            mtime: float(10),
            ctime: float(11),
            blocks: num(12),
            block_size: num(13),
            // Linux's makedev for the common (small) numbers, as os.stat's st_rdev.
            rdev: (hex(14) << 8) | hex(15),
        })
    }

    pub fn kind(&self) -> Kind {
        match self.raw_mode & S_IFMT {
            0o040000 => Kind::Dir,
            0o120000 => Kind::Link,
            0o020000 => Kind::Char,
            0o060000 => Kind::Block,
            0o010000 => Kind::Fifo,
            0o140000 => Kind::Socket,
            _ => Kind::File,
        }
    }

    /// The permission bits (with setuid, setgid, sticky).
    pub fn perm(&self) -> u32 {
        self.raw_mode & 0o7777
    }

    pub fn mode_str(&self) -> String {
        mode_str(self.perm())
    }

    /// Ansible's `get_state`: link, directory, hard (a file with several links), file.
    pub fn state(&self) -> &'static str {
        match self.kind() {
            Kind::Link => "link",
            Kind::Dir => "directory",
            _ if self.nlink > 1 => "hard",
            _ => "file",
        }
    }

    /// `path`-style result fields as AnsibleModule's add_path_info gives them.
    pub fn add_path_info(&self, r: &mut Map<String, Value>) {
        r.insert("uid".into(), self.uid.into());
        r.insert("gid".into(), self.gid.into());
        r.insert("owner".into(), name_or_id(&self.owner, self.uid));
        r.insert("group".into(), name_or_id(&self.group, self.gid));
        r.insert("mode".into(), self.mode_str().into());
        r.insert("state".into(), self.state().into());
        r.insert("size".into(), self.size.into());
    }
}

/// Ansible prints modes as at least four octal digits with a leading zero: "0644".
pub fn mode_str(mode: u32) -> String {
    format!("0{mode:03o}")
}

fn name_or_id(name: &Option<String>, id: u32) -> Value {
    Value::String(name.clone().unwrap_or_else(|| id.to_string()))
}

/// The fields for a path after a module ran; nothing for a missing path (or a
/// dangling link, which Python's os.path.exists calls missing).
pub fn path_info(st: Option<&StatInfo>, r: &mut Map<String, Value>) {
    if let Some(st) = st {
        st.add_path_info(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_stat_line() {
        let st = StatInfo::parse(
            "81a4/0/0/root/UNKNOWN/12/2/77/2049/1.5/1795422014.345074825/3.0/8/4096/0/0\n",
        )
        .unwrap();
        assert_eq!(st.kind(), Kind::File);
        assert_eq!(st.mode_str(), "0644");
        assert_eq!(st.state(), "hard");
        assert_eq!(st.group, None);
        assert!((st.mtime - 1_795_422_014.345_075).abs() < 1e-6);
        assert!(StatInfo::parse("").is_none());
        let dir = StatInfo::parse("41ed/0/0/a/b/4096/2/1/1/0/0/0/8/4096/0/0").unwrap();
        assert_eq!(
            (dir.kind(), dir.mode_str(), dir.state()),
            (Kind::Dir, "0755".into(), "directory")
        );
    }
}
