//! Filters over lists and dicts: combine, dict2items/items2dict, flatten, the set
//! operations, product/zip_longest, subelements, extract, sum, shuffle, random.

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value as Json};

use super::{add, json, kw, list_of, value};
use crate::convert::py_type_name;
use crate::error::op_err;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "combine", combine);
    add(env, "dict2items", dict2items);
    add(env, "items2dict", items2dict);
    add(env, "flatten", flatten_filter);
    add(env, "difference", difference);
    add(env, "intersect", intersect);
    add(env, "union", union);
    add(env, "symmetric_difference", symmetric_difference);
    add(env, "product", product);
    add(env, "zip_longest", zip_longest);
    add(env, "subelements", subelements);
    add(env, "extract", extract);
    add(env, "sum", sum);
    add(env, "shuffle", shuffle);
    add(env, "random", random);
}

fn as_map(j: Json, what: &str) -> Result<Map<String, Json>, Error> {
    match j {
        Json::Object(m) => Ok(m),
        other => Err(op_err(format!(
            "{what} expects dictionaries, got {}",
            crate::convert::json_type_name(&other)
        ))),
    }
}

fn combine(v: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive: bool = kw(&kwargs, "recursive", false)?;
    let list_merge: String = kw(&kwargs, "list_merge", "replace".to_string())?;
    kwargs.assert_all_used()?;
    if ![
        "replace",
        "keep",
        "append",
        "prepend",
        "append_rp",
        "prepend_rp",
    ]
    .contains(&list_merge.as_str())
    {
        return Err(op_err(format!(
            "'{list_merge}' is not a valid list_merge value, expected one of replace, keep, append, prepend, append_rp, prepend_rp"
        )));
    }
    // Ansible flattens one level: `[a, b] | combine` and `a | combine(b, c)` both work.
    let mut dicts = Vec::new();
    for term in std::iter::once(v).chain(args.iter()) {
        match json(term)? {
            Json::Array(items) => dicts.extend(items),
            other => dicts.push(other),
        }
    }
    let mut out = Map::new();
    for d in dicts {
        let d = as_map(d, "combine")?;
        merge(&mut out, d, recursive, &list_merge);
    }
    Ok(value(&Json::Object(out)))
}

fn merge(x: &mut Map<String, Json>, y: Map<String, Json>, recursive: bool, list_merge: &str) {
    for (k, new) in y {
        match (x.get_mut(&k), new) {
            (Some(Json::Object(old)), Json::Object(new)) if recursive => {
                merge(old, new, recursive, list_merge);
            }
            (Some(Json::Array(old)), Json::Array(new)) if list_merge != "replace" => {
                let merged = match list_merge {
                    "keep" => old.clone(),
                    "append" => old.iter().cloned().chain(new).collect(),
                    "prepend" => new.into_iter().chain(old.iter().cloned()).collect(),
                    "append_rp" => {
                        let mut m: Vec<Json> =
                            old.iter().filter(|e| !new.contains(e)).cloned().collect();
                        m.extend(new);
                        m
                    }
                    _ => {
                        let rest: Vec<Json> =
                            old.iter().filter(|e| !new.contains(e)).cloned().collect();
                        new.into_iter().chain(rest).collect()
                    }
                };
                *old = merged;
            }
            (_, new) => {
                x.insert(k, new);
            }
        }
    }
}

fn dict2items(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name: String = kw(&kwargs, "key_name", "key".to_string())?;
    let value_name: String = kw(&kwargs, "value_name", "value".to_string())?;
    kwargs.assert_all_used()?;
    let j = json(v)?;
    let Json::Object(m) = j else {
        return Err(op_err(format!(
            "dict2items requires a dictionary, got {} instead.",
            crate::convert::json_type_name(&j)
        )));
    };
    let items: Vec<Json> = m
        .into_iter()
        .map(|(k, val)| {
            let mut item = Map::new();
            item.insert(key_name.clone(), Json::String(k));
            item.insert(value_name.clone(), val);
            Json::Object(item)
        })
        .collect();
    Ok(value(&Json::Array(items)))
}

fn items2dict(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name: String = kw(&kwargs, "key_name", "key".to_string())?;
    let value_name: String = kw(&kwargs, "value_name", "value".to_string())?;
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    for item in list_of(v, "items2dict")? {
        let k = item.get_attr(&key_name)?;
        let val = item.get_attr(&value_name)?;
        if k.is_undefined() || val.is_undefined() {
            return Err(op_err(format!(
                "items2dict requires each item to have '{key_name}' and '{value_name}' keys"
            )));
        }
        out.push((k, val));
    }
    Ok(Value::from_pairs(out))
}

pub(crate) fn flatten(
    items: Vec<Json>,
    levels: Option<i64>,
    skip_nulls: bool,
    out: &mut Vec<Json>,
) {
    for item in items {
        match item {
            Json::Null if skip_nulls => {}
            Json::String(ref s) if skip_nulls && (s == "None" || s == "null") => {}
            Json::Array(inner) if levels.is_none_or(|l| l > 0) => {
                flatten(inner, levels.map(|l| l - 1), skip_nulls, out);
            }
            other => out.push(other),
        }
    }
}

fn flatten_filter(v: &Value, levels: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels = match levels {
        Some(l) => Some(l),
        None => kwargs.get::<Option<i64>>("levels")?,
    };
    let skip_nulls: bool = kw(&kwargs, "skip_nulls", true)?;
    kwargs.assert_all_used()?;
    let Json::Array(items) = json(v)? else {
        return Err(op_err("flatten expects a list"));
    };
    let mut out = Vec::new();
    flatten(items, levels, skip_nulls, &mut out);
    Ok(value(&Json::Array(out)))
}

fn json_list(v: &Value, what: &str) -> Result<Vec<Json>, Error> {
    list_of(v, what)?.iter().map(json).collect()
}

fn unique_json(items: Vec<Json>) -> Vec<Json> {
    let mut out: Vec<Json> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Ansible computes these with Python sets, whose order for small integers is
/// ascending; for strings it depends on the interpreter's hash seed, so first-seen
/// order is as good as any.
fn set_order(mut items: Vec<Json>) -> Vec<Json> {
    if !items.is_empty() && items.iter().all(|i| i.as_i64().is_some()) {
        items.sort_by_key(|i| i.as_i64().unwrap_or(0));
    }
    items
}

fn difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let (a, b) = (json_list(a, "difference")?, json_list(b, "difference")?);
    let out: Vec<Json> = unique_json(a)
        .into_iter()
        .filter(|x| !b.contains(x))
        .collect();
    Ok(value(&Json::Array(set_order(out))))
}

fn intersect(a: &Value, b: &Value) -> Result<Value, Error> {
    let (a, b) = (json_list(a, "intersect")?, json_list(b, "intersect")?);
    let out: Vec<Json> = unique_json(a)
        .into_iter()
        .filter(|x| b.contains(x))
        .collect();
    Ok(value(&Json::Array(set_order(out))))
}

fn union(a: &Value, b: &Value) -> Result<Value, Error> {
    let (mut a, b) = (json_list(a, "union")?, json_list(b, "union")?);
    a.extend(b);
    Ok(value(&Json::Array(set_order(unique_json(a)))))
}

fn symmetric_difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let (a, b) = (
        json_list(a, "symmetric_difference")?,
        json_list(b, "symmetric_difference")?,
    );
    let mut out: Vec<Json> = unique_json(a.clone())
        .into_iter()
        .filter(|x| !b.contains(x))
        .collect();
    out.extend(unique_json(b).into_iter().filter(|x| !a.contains(x)));
    Ok(value(&Json::Array(set_order(out))))
}

fn product(v: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let repeat: usize = kw(&kwargs, "repeat", 1usize)?;
    kwargs.assert_all_used()?;
    let mut pools = Vec::new();
    for term in std::iter::once(v).chain(args.iter()) {
        pools.push(list_of(term, "product")?);
    }
    let pools: Vec<Vec<Value>> = (0..repeat).flat_map(|_| pools.clone()).collect();
    let mut result: Vec<Vec<Value>> = vec![Vec::new()];
    for pool in &pools {
        let mut next = Vec::with_capacity(result.len() * pool.len());
        for prefix in &result {
            for item in pool {
                let mut combo = prefix.clone();
                combo.push(item.clone());
                next.push(combo);
            }
        }
        result = next;
    }
    Ok(Value::from(
        result.into_iter().map(Value::from).collect::<Vec<_>>(),
    ))
}

fn zip_longest(v: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let fill: Value = kw(&kwargs, "fillvalue", Value::from(()))?;
    kwargs.assert_all_used()?;
    let mut lists = Vec::new();
    for term in std::iter::once(v).chain(args.iter()) {
        lists.push(list_of(term, "zip_longest")?);
    }
    let len = lists.iter().map(Vec::len).max().unwrap_or(0);
    let rows: Vec<Value> = (0..len)
        .map(|i| {
            Value::from(
                lists
                    .iter()
                    .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Ok(Value::from(rows))
}

fn subelements(
    v: &Value,
    path: String,
    skip_missing: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let skip_missing = match skip_missing {
        Some(s) => s.is_true(),
        None => kw(&kwargs, "skip_missing", false)?,
    };
    kwargs.assert_all_used()?;
    let items = match v.kind() {
        ValueKind::Map => v
            .try_iter()?
            .map(|k| v.get_item(&k))
            .collect::<Result<Vec<_>, _>>()?,
        _ => list_of(v, "subelements")?,
    };
    let mut out = Vec::new();
    for item in items {
        let mut sub = item.clone();
        let mut missing = false;
        for part in path.split('.') {
            let next = sub.get_attr(part)?;
            if next.is_undefined() {
                missing = true;
                break;
            }
            sub = next;
        }
        if missing {
            if skip_missing {
                continue;
            }
            return Err(op_err(format!(
                "could not find '{path}' key in iterated item '{}'",
                crate::pyrepr::py_str(&item)
            )));
        }
        if sub.kind() != ValueKind::Seq {
            return Err(op_err(format!(
                "the key {path} should point to a list, got '{}'",
                crate::pyrepr::py_str(&sub)
            )));
        }
        for s in sub.try_iter()? {
            out.push(Value::from(vec![item.clone(), s]));
        }
    }
    Ok(Value::from(out))
}

fn missing_attr(container: &Value, key: &Value) -> Error {
    let key = match key.as_str() {
        Some(s) => format!("'{s}'"),
        None => key.to_string(),
    };
    Error::new(
        ErrorKind::UndefinedError,
        format!(
            "object of type '{}' has no attribute {key}",
            py_type_name(container)
        ),
    )
}

fn extract(item: &Value, container: &Value, morekeys: Option<Value>) -> Result<Value, Error> {
    if item.is_undefined() {
        return Err(crate::convert::undefined_error(item));
    }
    let mut v = container.get_item(item)?;
    if v.is_undefined() {
        return Err(missing_attr(container, item));
    }
    let keys = match morekeys {
        None => Vec::new(),
        Some(k) if k.kind() == ValueKind::Seq => k.try_iter()?.collect(),
        Some(k) => vec![k],
    };
    for k in keys {
        let next = v.get_item(&k)?;
        if next.is_undefined() {
            return Err(missing_attr(&v, &k));
        }
        v = next;
    }
    Ok(v)
}

fn add_json(a: Json, b: Json) -> Result<Json, Error> {
    Ok(match (a, b) {
        (Json::Array(mut x), Json::Array(y)) => {
            x.extend(y);
            Json::Array(x)
        }
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => match i.checked_add(j) {
                Some(s) => Json::from(s),
                None => Json::from(i as f64 + j as f64),
            },
            _ => Json::from(x.as_f64().unwrap_or(0.0) + y.as_f64().unwrap_or(0.0)),
        },
        (Json::Bool(x), y) => add_json(Json::from(x as i64), y)?,
        (x, Json::Bool(y)) => add_json(x, Json::from(y as i64))?,
        (x, y) => {
            return Err(op_err(format!(
                "unsupported operand type(s) for +: '{}' and '{}'",
                crate::convert::json_type_name(&x),
                crate::convert::json_type_name(&y)
            )))
        }
    })
}

/// Jinja's `sum(attribute=None, start=0)`; `start=[]` concatenates lists.
fn sum(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let attribute: Option<String> = kwargs.get("attribute")?;
    let start: Option<Value> = kwargs.get("start")?;
    kwargs.assert_all_used()?;
    let mut total = match start {
        Some(s) => json(&s)?,
        None => Json::from(0),
    };
    for item in list_of(v, "sum")? {
        let item = match &attribute {
            Some(a) => super::get_path(&item, a),
            None => item,
        };
        total = add_json(total, json(&item)?)?;
    }
    Ok(value(&total))
}

fn rng_for(seed: Option<Value>) -> rand::rngs::StdRng {
    match seed {
        Some(s) if !s.is_none() && !s.is_undefined() => {
            // A seed gives a stable result from run to run (not Python's sequence).
            let text = crate::pyrepr::py_str(&s);
            let mut bytes = [0u8; 32];
            let digest = <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes());
            bytes.copy_from_slice(&digest);
            rand::rngs::StdRng::from_seed(bytes)
        }
        _ => rand::rngs::StdRng::from_os_rng(),
    }
}

fn shuffle(v: &Value, seed: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let seed = match seed {
        Some(s) => Some(s),
        None => kwargs.get("seed")?,
    };
    kwargs.assert_all_used()?;
    let mut items = list_of(v, "shuffle")?;
    items.shuffle(&mut rng_for(seed));
    Ok(Value::from(items))
}

fn random(
    v: &Value,
    start: Option<i64>,
    step: Option<i64>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let start = match start {
        Some(s) => s,
        None => kw(&kwargs, "start", 0i64)?,
    };
    let step = match step {
        Some(s) => s,
        None => kw(&kwargs, "step", 1i64)?,
    };
    let seed: Option<Value> = kwargs.get("seed")?;
    kwargs.assert_all_used()?;
    let mut rng = rng_for(seed);
    if v.kind() == ValueKind::Number {
        let end = v
            .as_i64()
            .ok_or_else(|| op_err("random expects an integer end"))?;
        if step <= 0 || end <= start {
            return Err(op_err("empty range for random"));
        }
        let count = (end - start + step - 1) / step;
        return Ok(Value::from(start + rng.random_range(0..count) * step));
    }
    let items: Vec<Value> = match v.as_str() {
        Some(s) => s.chars().map(Value::from).collect(),
        None => list_of(v, "random")?,
    };
    if items.is_empty() {
        return Err(op_err("random: cannot choose from an empty sequence"));
    }
    Ok(items[rng.random_range(0..items.len())].clone())
}
