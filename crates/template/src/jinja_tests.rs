//! Ansible's Jinja tests (`x is succeeded`, `x is version('2', '>=')`, ...).

use std::path::Path;

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};

use crate::convert::undefined_error;
use crate::error::op_err;
use crate::filters::regex;

fn add<F, Rv, Args>(env: &mut Environment<'static>, name: &'static str, f: F)
where
    F: minijinja::functions::Function<Rv, Args> + Clone,
    Rv: minijinja::value::FunctionResult,
    Args: for<'a> minijinja::value::FunctionArgs<'a>,
{
    env.add_test(name, f.clone());
    env.add_test(format!("ansible.builtin.{name}"), f);
}

pub(crate) fn register(env: &mut Environment<'static>) {
    add(env, "succeeded", succeeded);
    add(env, "success", succeeded);
    add(env, "successful", succeeded);
    add(env, "failed", failed);
    add(env, "failure", failed);
    add(env, "changed", changed);
    add(env, "change", changed);
    add(env, "skipped", skipped);
    add(env, "skip", skipped);
    add(env, "finished", finished);
    add(env, "unreachable", unreachable);
    add(env, "reachable", reachable);
    add(env, "version", version);
    add(env, "version_compare", version);
    add(env, "subset", subset);
    add(env, "issubset", subset);
    add(env, "superset", superset);
    add(env, "issuperset", superset);
    add(env, "contains", contains);
    add(env, "truthy", truthy);
    add(env, "falsy", falsy);
    add(env, "match", match_test);
    add(env, "search", search_test);
    add(env, "regex", regex_test);
    add(env, "file", |p: &Value| path_test(p, |p| p.is_file()));
    add(env, "is_file", |p: &Value| path_test(p, |p| p.is_file()));
    add(env, "directory", |p: &Value| path_test(p, |p| p.is_dir()));
    add(env, "is_dir", |p: &Value| path_test(p, |p| p.is_dir()));
    add(env, "link", |p: &Value| path_test(p, |p| p.is_symlink()));
    add(env, "is_link", |p: &Value| path_test(p, |p| p.is_symlink()));
    add(env, "exists", |p: &Value| path_test(p, |p| p.exists()));
    add(env, "abs", |p: &Value| path_test(p, |p| p.is_absolute()));
    add(env, "is_abs", |p: &Value| path_test(p, |p| p.is_absolute()));
    add(env, "same_file", same_file);
    add(env, "nan", nan);
    add(env, "sequence", sequence);
    add(env, "any", any);
    add(env, "all", all);
}

fn result_dict(v: &Value, test: &str) -> Result<(), Error> {
    if v.is_undefined() {
        return Err(undefined_error(v));
    }
    if v.kind() != ValueKind::Map {
        return Err(op_err(format!("The '{test}' test expects a dictionary")));
    }
    Ok(())
}

fn flag(v: &Value, key: &str) -> bool {
    v.get_attr(key).map(|x| x.is_true()).unwrap_or(false)
}

fn succeeded(v: &Value) -> Result<bool, Error> {
    result_dict(v, "succeeded")?;
    Ok(!flag(v, "failed"))
}

fn failed(v: &Value) -> Result<bool, Error> {
    result_dict(v, "failed")?;
    Ok(flag(v, "failed"))
}

/// A loop's registered result has no `changed` of its own: any changed item counts.
fn changed(v: &Value) -> Result<bool, Error> {
    result_dict(v, "changed")?;
    let own = v.get_attr("changed")?;
    if !own.is_undefined() {
        return Ok(own.is_true());
    }
    let results = v.get_attr("results")?;
    if results.kind() == ValueKind::Seq {
        for r in results.try_iter()? {
            if r.kind() == ValueKind::Map && flag(&r, "changed") {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn skipped(v: &Value) -> Result<bool, Error> {
    result_dict(v, "skipped")?;
    Ok(flag(v, "skipped"))
}

fn finished(v: &Value) -> Result<bool, Error> {
    result_dict(v, "finished")?;
    let f = v.get_attr("finished")?;
    Ok(f.is_undefined() || f.is_true())
}

fn unreachable(v: &Value) -> Result<bool, Error> {
    result_dict(v, "unreachable")?;
    Ok(flag(v, "unreachable"))
}

fn reachable(v: &Value) -> Result<bool, Error> {
    Ok(!unreachable(v)?)
}

fn version(
    v: &Value,
    other: &Value,
    op: Option<String>,
    strict: Option<bool>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    let op = match op {
        Some(o) => o,
        None => kwargs
            .get::<Option<String>>("operator")?
            .unwrap_or_else(|| "eq".into()),
    };
    let strict = match strict {
        Some(s) => s,
        None => kwargs.get::<Option<bool>>("strict")?.unwrap_or(false),
    };
    let vt: Option<String> = kwargs.get("version_type")?;
    kwargs.assert_all_used()?;
    let vt = vt.unwrap_or_else(|| {
        if strict {
            "strict".into()
        } else {
            "loose".into()
        }
    });
    let a = crate::filters::text_of(v)?;
    let b = crate::filters::text_of(other)?;
    crate::version::compare(&a, &b, &op, &vt).map_err(op_err)
}

fn items(v: &Value) -> Result<Vec<Value>, Error> {
    if v.is_undefined() {
        return Err(undefined_error(v));
    }
    Ok(v.try_iter()?.collect())
}

fn subset(a: &Value, b: &Value) -> Result<bool, Error> {
    let (a, b) = (items(a)?, items(b)?);
    Ok(a.iter().all(|x| b.contains(x)))
}

fn superset(a: &Value, b: &Value) -> Result<bool, Error> {
    subset(b, a)
}

fn contains(seq: &Value, item: &Value) -> Result<bool, Error> {
    if seq.is_undefined() {
        return Err(undefined_error(seq));
    }
    if let (Some(s), Some(i)) = (seq.as_str(), item.as_str()) {
        return Ok(s.contains(i));
    }
    Ok(items(seq)?.contains(item))
}

/// `truthy(convert_bool=False)`: with convert_bool, Ansible's boolean words count.
fn truthy(v: &Value, kwargs: Kwargs) -> Result<bool, Error> {
    let convert: bool = kwargs.get::<Option<bool>>("convert_bool")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    if v.is_undefined() {
        return Err(undefined_error(v));
    }
    if convert {
        if let Some(s) = v.as_str() {
            match s.to_lowercase().as_str() {
                "yes" | "on" | "1" | "true" | "y" | "t" => return Ok(true),
                "no" | "off" | "0" | "false" | "n" | "f" | "" => return Ok(false),
                _ => {}
            }
        }
    }
    Ok(v.is_true())
}

fn falsy(v: &Value, kwargs: Kwargs) -> Result<bool, Error> {
    Ok(!truthy(v, kwargs)?)
}

fn match_test(v: &Value, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let r = regex::test(v, &pattern, &kwargs, true);
    kwargs.assert_all_used()?;
    r
}

fn search_test(v: &Value, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let r = regex::test(v, &pattern, &kwargs, false);
    kwargs.assert_all_used()?;
    r
}

fn regex_test(v: &Value, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let match_type: String = kwargs
        .get::<Option<String>>("match_type")?
        .unwrap_or_else(|| "search".into());
    let r = regex::test(v, &pattern, &kwargs, match_type == "match");
    kwargs.assert_all_used()?;
    r
}

/// Path tests look at the controller's file system.
fn path_test(p: &Value, f: impl Fn(&Path) -> bool) -> Result<bool, Error> {
    let s = crate::filters::text_of(p)?;
    Ok(f(Path::new(&crate::filters::expand_user(&s))))
}

fn same_file(a: &Value, b: &Value) -> Result<bool, Error> {
    let (a, b) = (crate::filters::text_of(a)?, crate::filters::text_of(b)?);
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => Ok(x == y),
        _ => Ok(false),
    }
}

fn nan(v: &Value) -> bool {
    f64::try_from(v.clone())
        .map(|f| f.is_nan())
        .unwrap_or(false)
}

/// Jinja's `sequence`: anything with a length and items, strings included.
fn sequence(v: &Value) -> bool {
    matches!(
        v.kind(),
        ValueKind::Seq | ValueKind::Map | ValueKind::String | ValueKind::Bytes
    )
}

fn any(v: &Value) -> Result<bool, Error> {
    Ok(items(v)?.iter().any(|x| x.is_true()))
}

fn all(v: &Value) -> Result<bool, Error> {
    Ok(items(v)?.iter().all(|x| x.is_true()))
}
