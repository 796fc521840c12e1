//! Ansible's filters, grouped by theme; each group registers its own.

mod collections;
mod core;
mod data;
mod hashing;
mod paths;
pub(crate) mod regex;
mod text;

pub(crate) use self::core::parse_py_int;
pub(crate) use paths::{expand_user, resolve_path};

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, Value};
use serde_json::Value as Json;

use crate::convert::{to_json, to_value};
use crate::env::strict_builtin;

pub(crate) fn register(env: &mut Environment<'static>) {
    strict_builtins(env);
    core::register(env);
    collections::register(env);
    data::register(env);
    hashing::register(env);
    paths::register(env);
    regex::register(env);
    text::register(env);
}

/// Adds a filter under its short name and its `ansible.builtin.` name.
pub(crate) fn add<F, Rv, Args>(env: &mut Environment<'static>, name: &'static str, f: F)
where
    F: minijinja::functions::Function<Rv, Args> + Clone,
    Rv: minijinja::value::FunctionResult,
    Args: for<'a> minijinja::value::FunctionArgs<'a>,
{
    env.add_filter(name, f.clone());
    env.add_filter(format!("ansible.builtin.{name}"), f);
}

/// minijinja's builtins accept undefined input silently under the chainable policy;
/// Ansible fails instead, naming the variable.
fn strict_builtins(env: &mut Environment<'static>) {
    use minijinja::filters as f;
    let table: Vec<(&'static str, Value)> = vec![
        ("upper", Value::from_function(f::upper)),
        ("lower", Value::from_function(f::lower)),
        ("title", Value::from_function(f::title)),
        ("capitalize", Value::from_function(f::capitalize)),
        ("replace", Value::from_function(f::replace)),
        ("length", Value::from_function(f::length)),
        ("count", Value::from_function(f::length)),
        ("dictsort", Value::from_function(f::dictsort)),
        ("items", Value::from_function(f::items)),
        ("reverse", Value::from_function(f::reverse)),
        ("trim", Value::from_function(f::trim)),
        ("split", Value::from_function(f::split)),
        ("lines", Value::from_function(f::lines)),
        ("abs", Value::from_function(f::abs)),
        ("attr", Value::from_function(f::attr)),
        ("round", Value::from_function(f::round)),
        ("first", Value::from_function(f::first)),
        ("last", Value::from_function(f::last)),
        ("min", Value::from_function(f::min)),
        ("max", Value::from_function(f::max)),
        ("sort", Value::from_function(f::sort)),
        ("list", Value::from_function(f::list)),
        ("slice", Value::from_function(f::slice)),
        ("batch", Value::from_function(f::batch)),
        ("indent", Value::from_function(f::indent)),
        ("urlencode", Value::from_function(f::urlencode)),
        ("select", Value::from_function(f::select)),
        ("selectattr", Value::from_function(f::selectattr)),
        ("reject", Value::from_function(f::reject)),
        ("rejectattr", Value::from_function(f::rejectattr)),
        ("map", Value::from_function(f::map)),
        ("groupby", Value::from_function(f::groupby)),
        ("unique", Value::from_function(f::unique)),
        ("format", Value::from_function(f::format)),
        ("escape", Value::from_function(f::escape)),
        ("e", Value::from_function(f::escape)),
        ("safe", Value::from_function(f::safe)),
        ("tojson", Value::from_function(f::tojson)),
    ];
    for (name, func) in table {
        strict_builtin(env, name, func);
    }
}

/// Reads a filter argument as JSON (undefined is an error naming it).
pub(crate) fn json(v: &Value) -> Result<Json, Error> {
    to_json(v)
}

pub(crate) fn value(j: &Json) -> Value {
    to_value(j)
}

/// The items of a list-like value (a string is not one).
pub(crate) fn list_of(v: &Value, what: &str) -> Result<Vec<Value>, Error> {
    if v.is_undefined() {
        return Err(crate::convert::undefined_error(v));
    }
    if v.as_str().is_some() || v.is_none() {
        return Err(crate::error::op_err(format!(
            "{what} expects a list, got {}",
            crate::convert::py_type_name(v)
        )));
    }
    Ok(v.try_iter()?.collect())
}

/// A keyword argument, or `default` when absent.
pub(crate) fn kw<'a, T>(kwargs: &'a Kwargs, name: &'a str, default: T) -> Result<T, Error>
where
    T: minijinja::value::ArgType<'a, Output = T>,
{
    Ok(kwargs.get::<Option<T>>(name)?.unwrap_or(default))
}

/// The string form of a value for filters that take text (Python's `str()`).
pub(crate) fn text_of(v: &Value) -> Result<String, Error> {
    if v.is_undefined() {
        return Err(crate::convert::undefined_error(v));
    }
    Ok(crate::pyrepr::py_str(v))
}

/// `attribute="a.b.0"` as Jinja's filters read it: dotted keys, numbers index lists.
pub(crate) fn get_path(v: &Value, path: &str) -> Value {
    let mut cur = v.clone();
    for part in path.split('.') {
        let next = match part.parse::<usize>() {
            Ok(i) if cur.kind() == minijinja::value::ValueKind::Seq => cur.get_item_by_index(i),
            _ => cur.get_attr(part),
        };
        cur = next.unwrap_or(Value::UNDEFINED);
        if cur.is_undefined() {
            break;
        }
    }
    cur
}
