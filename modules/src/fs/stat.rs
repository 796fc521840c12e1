//! `stat`: everything Ansible's stat module returns about a path, from one script
//! (`stat -c`, the access tests, readlink, the checksum, `file` and `lsattr`).

use async_trait::async_trait;
use drover_connection::quote;
use serde_json::{Map, Value};

use super::info::{Kind, StatInfo};
use super::probe::Script;
use super::{fail, run_script, Algo};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Stat;

const OPTIONS: &[&str] = &[
    "path",
    "dest",
    "name",
    "follow",
    "get_checksum",
    "get_mime",
    "mime",
    "mime_type",
    "mime-type",
    "get_attributes",
    "attr",
    "attributes",
    "checksum_algorithm",
    "checksum",
    "checksum_algo",
    "get_md5",
];

/// The fields of Python's os.stat result that stat and find report, in Ansible's order.
pub fn stat_dict(path: &str, st: &StatInfo) -> Map<String, Value> {
    let m = st.raw_mode;
    let k = st.kind();
    let bit = |b: u32| Value::Bool(m & b != 0);
    let mut o = Map::new();
    o.insert("exists".into(), true.into());
    o.insert("path".into(), path.into());
    o.insert("mode".into(), format!("{:04o}", st.perm()).into());
    o.insert("isdir".into(), (k == Kind::Dir).into());
    o.insert("ischr".into(), (k == Kind::Char).into());
    o.insert("isblk".into(), (k == Kind::Block).into());
    o.insert("isreg".into(), (k == Kind::File).into());
    o.insert("isfifo".into(), (k == Kind::Fifo).into());
    o.insert("islnk".into(), (k == Kind::Link).into());
    o.insert("issock".into(), (k == Kind::Socket).into());
    o.insert("uid".into(), st.uid.into());
    o.insert("gid".into(), st.gid.into());
    o.insert("size".into(), st.size.into());
    o.insert("inode".into(), st.inode.into());
    o.insert("dev".into(), st.dev.into());
    o.insert("nlink".into(), st.nlink.into());
    o.insert("atime".into(), st.atime.into());
    o.insert("mtime".into(), st.mtime.into());
    o.insert("ctime".into(), st.ctime.into());
    for (name, b) in [
        ("wusr", 0o200),
        ("rusr", 0o400),
        ("xusr", 0o100),
        ("wgrp", 0o020),
        ("rgrp", 0o040),
        ("xgrp", 0o010),
        ("woth", 0o002),
        ("roth", 0o004),
        ("xoth", 0o001),
        ("isuid", 0o4000),
        ("isgid", 0o2000),
    ] {
        o.insert(name.into(), bit(b));
    }
    o.insert("blocks".into(), st.blocks.into());
    o.insert("block_size".into(), st.block_size.into());
    o.insert("device_type".into(), st.rdev.into());
    o
}

/// lsattr's one-letter flags as Ansible names them.
fn attribute_names(flags: &str) -> Vec<Value> {
    const NAMES: &[(char, &str)] = &[
        ('A', "noatime"),
        ('a', "append"),
        ('c', "compressed"),
        ('C', "nocow"),
        ('d', "nodump"),
        ('D', "dirsync"),
        ('e', "extents"),
        ('E', "encrypted"),
        ('h', "blocksize"),
        ('i', "immutable"),
        ('I', "indexed"),
        ('j', "journalled"),
        ('N', "inline"),
        ('s', "zero"),
        ('S', "synchronous"),
        ('t', "notail"),
        ('T', "blockroot"),
        ('u', "undelete"),
        ('X', "compressedraw"),
        ('Z', "compresseddirty"),
    ];
    flags
        .chars()
        .filter_map(|c| {
            NAMES
                .iter()
                .find(|(f, _)| *f == c)
                .map(|(_, n)| Value::String(n.to_string()))
        })
        .collect()
}

#[async_trait]
impl Module for Stat {
    fn name(&self) -> &'static str {
        "stat"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let a = &ctx.args;
        a.check_supported("stat", OPTIONS)?;
        let path = match (a.str("path")?, a.str("dest")?, a.str("name")?) {
            (Some(p), _, _) | (None, Some(p), _) | (None, None, Some(p)) => p,
            _ => return Err(fail("missing required arguments: path")),
        };
        let path = super::expand_home(ctx, path).await?;
        let follow = a.bool("follow", false)?;
        let get_checksum = a.bool("get_checksum", true)?;
        let mime_key = ["get_mime", "mime", "mime_type", "mime-type"]
            .into_iter()
            .find(|k| a.get(k).is_some())
            .unwrap_or("get_mime");
        let get_mime = a.bool(mime_key, true)?;
        let attr_key = ["get_attributes", "attr", "attributes"]
            .into_iter()
            .find(|k| a.get(k).is_some())
            .unwrap_or("get_attributes");
        let get_attr = a.bool(attr_key, true)?;
        let algo_name = match (
            a.str("checksum_algorithm")?,
            a.str("checksum")?,
            a.str("checksum_algo")?,
        ) {
            (Some(x), _, _) | (None, Some(x), _) | (None, None, Some(x)) => x,
            _ => "sha1".into(),
        };
        let Some(algo) = Algo::parse(&algo_name) else {
            return Err(fail(&format!(
                "value of checksum_algorithm must be one of: md5, sha1, sha224, sha256, sha384, sha512, got: {algo_name}"
            )));
        };
        let q = quote(&path);
        let mut s = Script::new();
        s.stat("st", &path, follow)
            .status("r", &format!("[ -r {q} ]"))
            .status("w", &format!("[ -w {q} ]"))
            .status("x", &format!("[ -x {q} ]"))
            .readlink("lnk", &path)
            .capture("real", &format!("readlink -m -- {q}"));
        if get_checksum {
            s.checksum("sum", &path, algo.program());
        }
        if get_mime {
            let l = if follow { "-L " } else { "" };
            s.capture(
                "mime",
                &format!("file {l}-b --mime-type --mime-encoding -- {q}"),
            );
        }
        if get_attr {
            s.capture("attr", &format!("lsattr -vd -- {q}"));
        }
        let ans = run_script(ctx, &s, None).await?;
        let mut r = result(false);
        let Some(st) = ans.stat("st") else {
            let mut o = Map::new();
            o.insert("exists".into(), false.into());
            r.insert("stat".into(), Value::Object(o));
            return Ok(r);
        };
        let mut o = stat_dict(&path, &st);
        o.insert("readable".into(), (ans.rc("r") == 0).into());
        o.insert("writeable".into(), (ans.rc("w") == 0).into());
        o.insert("executable".into(), (ans.rc("x") == 0).into());
        if st.kind() == Kind::Link {
            o.insert(
                "lnk_source".into(),
                ans.text("real").trim_end_matches('\n').into(),
            );
            o.insert("lnk_target".into(), ans.text("lnk").into());
        }
        if let Some(n) = &st.owner {
            o.insert("pw_name".into(), n.clone().into());
        }
        if let Some(n) = &st.group {
            o.insert("gr_name".into(), n.clone().into());
        }
        if get_checksum && st.kind() == Kind::File && ans.rc("r") == 0 {
            o.insert("checksum".into(), ans.text("sum").into());
        }
        if get_mime {
            let (mut mt, mut cs) = ("unknown".to_string(), "unknown".to_string());
            let out = ans.text("mime");
            if let Some((m, c)) = out.trim().split_once(';') {
                mt = m.trim().to_string();
                cs = c
                    .split_once('=')
                    .map(|(_, v)| v.trim().to_string())
                    .unwrap_or(cs);
            }
            o.insert("mimetype".into(), mt.into());
            o.insert("charset".into(), cs.into());
        }
        if get_attr {
            let out = ans.text("attr");
            let mut words = out.split_whitespace();
            match (words.next(), words.next()) {
                (Some(v), Some(f)) => {
                    let flags = f.replace('-', "");
                    o.insert("version".into(), v.into());
                    o.insert("attributes".into(), attribute_names(&flags).into());
                    o.insert("attr_flags".into(), flags.into());
                }
                _ => {
                    o.insert("version".into(), Value::Null);
                    o.insert("attributes".into(), Value::Array(vec![]));
                    o.insert("attr_flags".into(), "".into());
                }
            }
        }
        r.insert("stat".into(), Value::Object(o));
        Ok(r)
    }
}
