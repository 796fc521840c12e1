//! `find`: one `find | stat` listing per path from the host, filtered on the controller
//! as Ansible's find module filters (fnmatch or regex on the name, type, age, size,
//! mode); `contains` and checksums take a second round trip over the candidates only.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use drover_connection::quote;
use regex::Regex;
use serde_json::{Map, Value};

use super::find_content;
use super::info::{Kind, StatInfo};
use super::probe::Script;
use super::stat::stat_dict;
use super::{fail, run_script, Algo};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Find;

const OPTIONS: &[&str] = &[
    "paths",
    "name",
    "path",
    "patterns",
    "pattern",
    "excludes",
    "exclude",
    "contains",
    "read_whole_file",
    "file_type",
    "age",
    "age_stamp",
    "size",
    "recurse",
    "hidden",
    "follow",
    "get_checksum",
    "checksum_algorithm",
    "checksum",
    "checksum_algo",
    "use_regex",
    "depth",
    "mode",
    "exact_mode",
    "encoding",
    "limit",
];

const FORMAT: &str = "%f/%u/%g/%U/%G/%s/%h/%i/%d/%.9X/%.9Y/%.9Z/%b/%o/%t/%T/%n";

/// Python's fnmatch as a regex (case-sensitive, as on POSIX).
fn fnmatch_regex(pat: &str) -> Option<Regex> {
    let mut re = String::from("(?s)^");
    let chars: Vec<char> = pat.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                let mut j = i + 1;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    re.push_str("\\[");
                } else {
                    let body: String = chars[i + 1..j].iter().collect();
                    let body = body.replace('\\', "\\\\");
                    let body = match body.strip_prefix('!') {
                        Some(rest) => format!("^{rest}"),
                        None => body,
                    };
                    re.push_str(&format!("[{body}]"));
                    i = j;
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    Regex::new(&re).ok()
}

struct Matcher {
    patterns: Vec<Regex>,
    excludes: Vec<Regex>,
}

impl Matcher {
    fn new(
        patterns: &[String],
        excludes: &[String],
        use_regex: bool,
    ) -> Result<Matcher, ModuleError> {
        let compile = |p: &String| -> Result<Regex, ModuleError> {
            if use_regex {
                // re.match: anchored at the start only.
                Regex::new(&format!("^(?:{p})")).map_err(|e| fail(&format!("bad regex {p}: {e}")))
            } else {
                fnmatch_regex(p).ok_or_else(|| fail(&format!("bad pattern {p}")))
            }
        };
        Ok(Matcher {
            patterns: patterns.iter().map(compile).collect::<Result<_, _>>()?,
            excludes: excludes.iter().map(compile).collect::<Result<_, _>>()?,
        })
    }

    fn matches(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| p.is_match(name))
            && !self.excludes.iter().any(|e| e.is_match(name))
    }
}

fn amount(v: &str, units: &[(char, i64)], what: &str) -> Result<i64, ModuleError> {
    let v = v.to_ascii_lowercase();
    let (num, unit) = match v.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (&v[..v.len() - 1], Some(c)),
        _ => (v.as_str(), None),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| fail(&format!("failed to process {what}")))?;
    let mult = match unit {
        None => 1,
        Some(u) => units
            .iter()
            .find(|(c, _)| *c == u)
            .map(|(_, m)| *m)
            .ok_or_else(|| fail(&format!("failed to process {what}")))?,
    };
    Ok(n * mult)
}

/// One entry of the host's listing.
struct Entry {
    path: String,
    st: StatInfo,
}

#[async_trait]
impl Module for Find {
    fn name(&self) -> &'static str {
        "find"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let a = &ctx.args;
        a.check_supported("find", OPTIONS)?;
        let paths = a
            .list("paths")?
            .or(a.list("path")?)
            .or(a.list("name")?)
            .ok_or_else(|| fail("missing required arguments: paths"))?;
        let mut expanded = Vec::new();
        for p in paths {
            expanded.push(super::expand_home(ctx, p).await?);
        }
        let paths = expanded;
        let use_regex = a.bool("use_regex", false)?;
        let mut patterns = a
            .list("patterns")?
            .or(a.list("pattern")?)
            .unwrap_or_default();
        if patterns.is_empty() {
            patterns.push(if use_regex { ".*".into() } else { "*".into() });
        }
        let excludes = a
            .list("excludes")?
            .or(a.list("exclude")?)
            .unwrap_or_default();
        let matcher = Matcher::new(&patterns, &excludes, use_regex)?;
        let file_type = a.str("file_type")?.unwrap_or_else(|| "file".into());
        if !["any", "directory", "file", "link"].contains(&file_type.as_str()) {
            return Err(fail(&format!(
                "value of file_type must be one of: any, directory, file, link, got: {file_type}"
            )));
        }
        let age = match a.str("age")? {
            Some(v) => Some(amount(
                &v,
                &[
                    ('s', 1),
                    ('m', 60),
                    ('h', 3600),
                    ('d', 86400),
                    ('w', 604800),
                ],
                "age",
            )?),
            None => None,
        };
        let age_stamp = a.str("age_stamp")?.unwrap_or_else(|| "mtime".into());
        let size = match a.str("size")? {
            Some(v) => Some(amount(
                &v,
                &[
                    ('b', 1),
                    ('k', 1 << 10),
                    ('m', 1 << 20),
                    ('g', 1 << 30),
                    ('t', 1 << 40),
                ],
                "size",
            )?),
            None => None,
        };
        let recurse = a.bool("recurse", false)?;
        let hidden = a.bool("hidden", false)?;
        let follow = a.bool("follow", false)?;
        let depth = a
            .str("depth")?
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|d| *d > 0);
        let limit = a.str("limit")?.and_then(|d| d.parse::<i64>().ok());
        if let Some(l) = limit.filter(|l| *l <= 0) {
            return Err(fail(&format!(
                "limit cannot be {l} (use None for unlimited)"
            )));
        }
        let get_checksum = a.bool("get_checksum", false)?;
        let algo_name = a
            .str("checksum_algorithm")?
            .or(a.str("checksum")?)
            .or(a.str("checksum_algo")?)
            .unwrap_or_else(|| "sha1".into());
        let algo = Algo::parse(&algo_name)
            .ok_or_else(|| fail(&format!("unsupported checksum_algorithm {algo_name}")))?;
        let mode_filter = a.str("mode")?;
        let exact_mode = a.bool("exact_mode", true)?;
        let contains = a.str("contains")?;
        let whole_file = a.bool("read_whole_file", false)?;
        let encoding = a.str("encoding")?;

        // The listing: per path a status word, then NUL-terminated "stat/name" entries.
        let l = if follow { "-L " } else { "" };
        let maxdepth = if recurse {
            String::new()
        } else {
            "-maxdepth 1 ".into()
        };
        let mut s = Script::new();
        for (i, p) in paths.iter().enumerate() {
            let q = quote(p);
            s.capture(&format!("ok{i}"), &format!("[ -d {q} ] && printf yes"));
            s.line(&format!(
                "_dk ls{i}; find {l}{q} -mindepth 1 {maxdepth}-exec stat -c '{}' {{}} + 2>/dev/null; _de",
                FORMAT
            ));
            // The directories the walk cannot list (Python's os.walk reports them to
            // its onerror): the path itself, and when recursing its subdirectories.
            s.capture(&format!("ur{i}"), &format!("[ -r {q} ] || printf yes"));
            if recurse {
                s.capture(
                    &format!("urs{i}"),
                    &format!(
                        "find {l}{q} -mindepth 1 -type d -exec sh -c \
                         'for d do [ -r \"$d\" ] || printf \"%s\\n\" \"$d\"; done' sh {{}} +"
                    ),
                );
            }
        }
        let ans = run_script(ctx, &s, None).await?;
        let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
        let mut files: Vec<Map<String, Value>> = Vec::new();
        // (index in files, path, search path it was found under)
        let mut candidates: Vec<(usize, String, String)> = Vec::new();
        let mut examined = 0usize;
        let mut skipped = Map::new();
        let mut warnings = Vec::new();
        let mut limit_hit = false;
        'paths: for (i, root) in paths.iter().enumerate() {
            if ans.text(&format!("ok{i}")) != "yes" {
                let msg = format!("'{root}' is not a directory");
                warnings.push(format!(
                    "Skipped '{root}' path due to this access issue: {msg}\n"
                ));
                skipped.insert(root.clone(), msg.into());
                continue;
            }
            // One entry a line: a name holding a newline is not supported.
            let raw = ans.bytes(&format!("ls{i}")).unwrap_or_default().to_vec();
            let mut by_parent: HashMap<String, Vec<Entry>> = HashMap::new();
            for line in raw.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let line = String::from_utf8_lossy(line);
                let mut parts = line.splitn(17, '/');
                let stat_part: Vec<&str> = parts.by_ref().take(16).collect();
                let Some(name) = parts.next() else { continue };
                let Some(st) = StatInfo::parse(&stat_part.join("/")) else {
                    continue;
                };
                let path = name.to_string();
                let parent = super::dirname(&path);
                by_parent
                    .entry(parent)
                    .or_default()
                    .push(Entry { path, st });
            }
            let unlistable: HashSet<String> = ans
                .text(&format!("urs{i}"))
                .lines()
                .map(str::to_string)
                .collect();
            // os.walk order: a directory's files, then its directories, then each of those.
            let top = root.trim_end_matches('/').to_string();
            let mut stack = vec![top.clone()];
            let root_depth = top.matches('/').count();
            let mut order = Vec::new();
            while let Some(dir) = stack.pop() {
                // A directory the walk enters but cannot list: in skipped_paths, without
                // a warning (ansible's find records os.walk's errors and goes on).
                let (denied, shown) = if dir == top {
                    (ans.text(&format!("ur{i}")) == "yes", root.as_str())
                } else {
                    (unlistable.contains(&dir), dir.as_str())
                };
                if denied {
                    let msg = format!(
                        "[Errno 13] Permission denied: {}",
                        drover_template::py_repr(&Value::String(shown.to_string()))
                    );
                    skipped.insert(shown.to_string(), msg.into());
                    continue;
                }
                let Some(entries) = by_parent.remove(&dir) else {
                    continue;
                };
                let (dirs, others): (Vec<Entry>, Vec<Entry>) =
                    entries.into_iter().partition(|e| e.st.kind() == Kind::Dir);
                examined += dirs.len() + others.len();
                let subdirs: Vec<String> = dirs.iter().map(|d| d.path.clone()).collect();
                order.extend(others);
                order.extend(dirs);
                if recurse {
                    // Python's walk stops below `depth`: a directory deeper than that is
                    // not entered, so its entries are not examined either.
                    for d in subdirs.into_iter().rev() {
                        let d_depth = d.matches('/').count() - root_depth;
                        if depth.is_none_or(|max| d_depth <= max) {
                            stack.push(d);
                        }
                    }
                }
            }
            for e in order {
                let d = e.path.matches('/').count() - root_depth;
                if depth.is_some_and(|max| d > max) {
                    continue;
                }
                let name = super::basename(&e.path);
                if name.starts_with('.') && !hidden {
                    continue;
                }
                let kind = e.st.kind();
                let type_ok = match file_type.as_str() {
                    "any" => true,
                    "directory" => kind == Kind::Dir,
                    "file" => kind == Kind::File,
                    _ => kind == Kind::Link,
                };
                if !type_ok || !matcher.matches(&name) {
                    continue;
                }
                let stamp = match age_stamp.as_str() {
                    "atime" => e.st.atime,
                    "ctime" => e.st.ctime,
                    _ => e.st.mtime,
                };
                if let Some(age) = age {
                    let old = now - stamp;
                    if (age >= 0 && old < age as f64) || (age < 0 && old > (-age) as f64) {
                        continue;
                    }
                }
                if kind == Kind::File && file_type != "directory" {
                    if let Some(size) = size {
                        let sz = e.st.size as i64;
                        if (size >= 0 && sz < size) || (size < 0 && sz > -size) {
                            continue;
                        }
                    }
                }
                if let Some(m) = &mode_filter {
                    let want = super::mode::parse(Some(&Value::String(m.clone())))?
                        .map(|spec| spec.resolve(e.st.perm(), kind == Kind::Dir, 0o022))
                        .transpose()?
                        .unwrap_or(0);
                    let ok = if exact_mode {
                        e.st.perm() == want
                    } else {
                        e.st.perm() & want == want
                    };
                    if !ok {
                        continue;
                    }
                }
                let mut r = stat_dict(&e.path, &e.st);
                // find's statinfo has no exists, blocks, block_size nor device_type.
                for k in ["exists", "blocks", "block_size", "device_type"] {
                    r.remove(k);
                }
                if let Some(n) = &e.st.owner {
                    r.insert("pw_name".into(), n.clone().into());
                }
                if let Some(n) = &e.st.group {
                    r.insert("gr_name".into(), n.clone().into());
                }
                if kind == Kind::File
                    && (get_checksum || (contains.is_some() && file_type == "file"))
                {
                    candidates.push((files.len(), e.path.clone(), root.clone()));
                }
                files.push(r);
                if contains.is_none() && limit.is_some_and(|l| files.len() as i64 == l) {
                    limit_hit = true;
                    break 'paths;
                }
            }
        }
        if !candidates.is_empty() {
            let searching = contains.as_ref().filter(|_| file_type == "file");
            let mut s = Script::new();
            if let Some(enc) = encoding.as_ref().filter(|_| searching.is_some()) {
                s.status("enc", &find_content::known_encoding(enc));
            }
            for (i, p, _) in &candidates {
                if let Some(c) = searching {
                    s.status(
                        &format!("c{i}"),
                        &find_content::check(p, c, whole_file, encoding.as_deref()),
                    );
                }
                if get_checksum {
                    s.checksum(&format!("s{i}"), p, algo.program());
                }
            }
            let ans = run_script(ctx, &s, None).await?;
            // Python raises out of a search path at its first file that does not decode
            // (every file, for an unknown encoding): the rest of that path is not read.
            let unknown_encoding = encoding.is_some() && searching.is_some() && ans.rc("enc") != 0;
            let mut abandoned: HashSet<usize> = HashSet::new();
            if searching.is_some() {
                for (i, p, root) in &candidates {
                    if skipped.contains_key(root) {
                        abandoned.insert(*i);
                        continue;
                    }
                    let msg = if unknown_encoding {
                        format!(
                            "unknown encoding: {}",
                            encoding.as_deref().unwrap_or_default()
                        )
                    } else if ans.rc(&format!("c{i}")) == find_content::UNDECODABLE {
                        find_content::undecodable_msg(p, encoding.as_deref())
                    } else {
                        continue;
                    };
                    abandoned.insert(*i);
                    warnings.push(format!(
                        "Skipped '{root}' path due to this access issue: {msg}\n"
                    ));
                    skipped.insert(root.clone(), msg.into());
                }
            }
            let mut kept = Vec::new();
            for (i, mut f) in files.into_iter().enumerate() {
                if searching.is_some() && (abandoned.contains(&i) || ans.rc(&format!("c{i}")) != 0)
                {
                    continue;
                }
                if get_checksum && ans.bytes(&format!("s{i}")).is_some() {
                    f.insert("checksum".into(), ans.text(&format!("s{i}")).into());
                }
                kept.push(f);
            }
            files = kept;
            if let Some(l) = limit.filter(|l| files.len() as i64 >= *l) {
                files.truncate(l as usize);
                limit_hit = true;
            }
        }
        let mut r = result(false);
        let msg = if !warnings.is_empty() {
            "Not all paths examined, check warnings for details"
        } else if limit_hit {
            "Limit of matches reached"
        } else {
            "All paths examined"
        };
        r.insert("matched".into(), files.len().into());
        r.insert(
            "files".into(),
            Value::Array(files.into_iter().map(Value::Object).collect()),
        );
        r.insert("examined".into(), examined.into());
        r.insert("msg".into(), msg.into());
        r.insert("skipped_paths".into(), Value::Object(skipped));
        if !warnings.is_empty() {
            r.insert(
                "warnings".into(),
                warnings.into_iter().map(Value::String).collect(),
            );
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_as_python() {
        let m = |p: &str, s: &str| fnmatch_regex(p).unwrap().is_match(s);
        assert!(m("*.txt", "a.txt"));
        assert!(!m("*.txt", "a.txt.bak"));
        assert!(m("a?c", "abc"));
        assert!(m("[!x]*", "yes"));
        assert!(!m("[!x]*", "xes"));
        assert!(m("a[", "a["));
        assert!(m("*", ".hidden"));
    }
}
