//! ansible-core's configuration settings that drover knows: their names, environment
//! variables, defaults and types, for the `config` lookup and for the engine's own
//! decisions that depend on a setting's origin (`DEFAULT_PRIVATE_ROLE_VARS`).
//!
//! drover reads no `ansible.cfg`: a setting comes from a variable (for the few that
//! name one), else its environment variable (the last one set of its list), else its
//! default. Values are typed as ansible-core types them (`boolean`, `integer`, `path`,
//! `pathspec`, `pathlist`, `list`, `string`, or untyped strings).

use serde_json::Value as Json;

use crate::filters::resolve_path;

/// How a setting's value is converted (ansible-core's `ensure_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// No type: the value as given.
    Raw,
    Str,
    Bool,
    Integer,
    Path,
    /// `:`-separated paths.
    PathSpec,
    /// `,`-separated paths.
    PathList,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Raw => "none",
            Kind::Str => "string",
            Kind::Bool => "boolean",
            Kind::Integer => "integer",
            Kind::Path => "path",
            Kind::PathSpec => "pathspec",
            Kind::PathList => "pathlist",
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Default {
    None,
    Bool(bool),
    Int(i64),
    Str(&'static str),
    /// `ANSIBLE_HOME` followed by this text.
    Home(&'static str),
    List(&'static [&'static str]),
}

struct Setting {
    name: &'static str,
    env: &'static [&'static str],
    /// A variable that overrides the environment, where ansible-core has one.
    var: Option<&'static str>,
    kind: Kind,
    default: Default,
}

const fn s(
    name: &'static str,
    env: &'static [&'static str],
    kind: Kind,
    default: Default,
) -> Setting {
    Setting {
        name,
        env,
        var: None,
        kind,
        default,
    }
}

/// The settings asked for by name in playbooks most, and every one drover honours.
const SETTINGS: &[Setting] = &[
    // drover's default is lenient, as ansible-core 2.18 was (2.19's default: False).
    s(
        "ALLOW_BROKEN_CONDITIONALS",
        &["ANSIBLE_ALLOW_BROKEN_CONDITIONALS"],
        Kind::Bool,
        Default::Bool(true),
    ),
    s(
        "ANSIBLE_HOME",
        &["ANSIBLE_HOME"],
        Kind::Path,
        Default::Str("~/.ansible"),
    ),
    s(
        "ANSIBLE_FORCE_COLOR",
        &["ANSIBLE_FORCE_COLOR"],
        Kind::Bool,
        Default::Bool(false),
    ),
    s(
        "ANSIBLE_NOCOLOR",
        &["ANSIBLE_NOCOLOR", "NO_COLOR"],
        Kind::Bool,
        Default::Bool(false),
    ),
    s(
        "COLLECTIONS_PATHS",
        &["ANSIBLE_COLLECTIONS_PATH"],
        Kind::PathSpec,
        Default::Home("/collections:/usr/share/ansible/collections"),
    ),
    s(
        "DEFAULT_BECOME",
        &["ANSIBLE_BECOME"],
        Kind::Bool,
        Default::Bool(false),
    ),
    s(
        "DEFAULT_BECOME_METHOD",
        &["ANSIBLE_BECOME_METHOD"],
        Kind::Raw,
        Default::Str("sudo"),
    ),
    s(
        "DEFAULT_BECOME_USER",
        &["ANSIBLE_BECOME_USER"],
        Kind::Raw,
        Default::Str("root"),
    ),
    s(
        "DEFAULT_DEBUG",
        &["ANSIBLE_DEBUG"],
        Kind::Bool,
        Default::Bool(false),
    ),
    s(
        "DEFAULT_FORCE_HANDLERS",
        &["ANSIBLE_FORCE_HANDLERS"],
        Kind::Bool,
        Default::Bool(false),
    ),
    s(
        "DEFAULT_FORKS",
        &["ANSIBLE_FORKS"],
        Kind::Integer,
        Default::Int(5),
    ),
    s(
        "DEFAULT_HASH_BEHAVIOUR",
        &["ANSIBLE_HASH_BEHAVIOUR"],
        Kind::Str,
        Default::Str("replace"),
    ),
    s(
        "DEFAULT_HOST_LIST",
        &["ANSIBLE_INVENTORY"],
        Kind::PathList,
        Default::List(&["/etc/ansible/hosts"]),
    ),
    s(
        "DEFAULT_MODULE_PATH",
        &["ANSIBLE_LIBRARY"],
        Kind::PathSpec,
        Default::Home("/plugins/modules:/usr/share/ansible/plugins/modules"),
    ),
    s(
        "DEFAULT_PRIVATE_KEY_FILE",
        &["ANSIBLE_PRIVATE_KEY_FILE"],
        Kind::Path,
        Default::None,
    ),
    s(
        "DEFAULT_PRIVATE_ROLE_VARS",
        &["ANSIBLE_PRIVATE_ROLE_VARS"],
        Kind::Bool,
        Default::Bool(false),
    ),
    s(
        "DEFAULT_REMOTE_USER",
        &["ANSIBLE_REMOTE_USER"],
        Kind::Raw,
        Default::None,
    ),
    s(
        "DEFAULT_ROLES_PATH",
        &["ANSIBLE_ROLES_PATH"],
        Kind::PathSpec,
        Default::Home("/roles:/usr/share/ansible/roles:/etc/ansible/roles"),
    ),
    s(
        "DEFAULT_STRATEGY",
        &["ANSIBLE_STRATEGY"],
        Kind::Raw,
        Default::Str("linear"),
    ),
    s(
        "DEFAULT_TIMEOUT",
        &["ANSIBLE_TIMEOUT"],
        Kind::Integer,
        Default::Int(10),
    ),
    s(
        "DEFAULT_TRANSPORT",
        &["ANSIBLE_TRANSPORT"],
        Kind::Raw,
        Default::Str("ssh"),
    ),
    Setting {
        name: "DEPRECATION_WARNINGS",
        env: &["ANSIBLE_DEPRECATION_WARNINGS"],
        var: Some("ansible_deprecation_warnings"),
        kind: Kind::Bool,
        default: Default::Bool(true),
    },
    s(
        "ERROR_ON_MISSING_HANDLER",
        &["ANSIBLE_ERROR_ON_MISSING_HANDLER"],
        Kind::Bool,
        Default::Bool(true),
    ),
    s(
        "HOST_KEY_CHECKING",
        &["ANSIBLE_HOST_KEY_CHECKING"],
        Kind::Bool,
        Default::Bool(true),
    ),
    s(
        "INVENTORY_ANY_UNPARSED_IS_FAILED",
        &["ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"],
        Kind::Bool,
        Default::Bool(false),
    ),
    s(
        "INVENTORY_UNPARSED_WARNING",
        &["ANSIBLE_INVENTORY_UNPARSED_WARNING"],
        Kind::Bool,
        Default::Bool(true),
    ),
    s(
        "LOCALHOST_WARNING",
        &["ANSIBLE_LOCALHOST_WARNING"],
        Kind::Bool,
        Default::Bool(true),
    ),
];

/// Whether drover knows the setting `name`.
pub fn is_known(name: &str) -> bool {
    SETTINGS.iter().any(|s| s.name == name)
}

/// A setting's value and origin (`default`, `env: NAME`, `var: name`), with `var`
/// giving variables for the settings that read one. `None` for an unknown setting;
/// an error when its value does not convert to the setting's type.
pub fn value_and_origin(
    name: &str,
    var: &dyn Fn(&str) -> Option<Json>,
) -> Option<Result<(Json, String), String>> {
    let setting = SETTINGS.iter().find(|s| s.name == name)?;
    if let Some(v) = setting.var.and_then(|n| var(n).map(|v| (n, v))) {
        let origin = format!("var: {}", v.0);
        return Some(convert(setting, v.1, &origin).map(|j| (j, origin)));
    }
    // The last variable of the list that is set wins, as in ansible-core.
    if let Some((env, value)) = setting
        .env
        .iter()
        .filter_map(|e| std::env::var(e).ok().map(|v| (*e, v)))
        .next_back()
    {
        let origin = format!("env: {env}");
        return Some(convert(setting, Json::String(value), &origin).map(|j| (j, origin)));
    }
    let default = match setting.default {
        Default::None => Json::Null,
        Default::Bool(b) => Json::Bool(b),
        Default::Int(i) => Json::from(i),
        Default::Str(s) => Json::String(s.into()),
        Default::Home(rest) => {
            let home = match value_and_origin("ANSIBLE_HOME", var) {
                Some(Ok((Json::String(h), _))) => h,
                Some(Err(e)) => return Some(Err(e)),
                _ => String::new(),
            };
            Json::String(format!("{home}{rest}"))
        }
        Default::List(items) => Json::from(items.to_vec()),
    };
    Some(convert(setting, default, "default").map(|j| (j, "default".to_string())))
}

/// A setting's value from the environment or its default, ignoring variables.
pub fn value(name: &str) -> Option<Result<(Json, String), String>> {
    value_and_origin(name, &|_| None)
}

/// ansible-core's `ensure_type` for the kinds of the table.
fn convert(setting: &Setting, value: Json, origin: &str) -> Result<Json, String> {
    let invalid = || {
        format!(
            "Config '{}' from '{origin}' has an invalid value: Invalid value provided for '{}': {}",
            setting.name,
            setting.kind.label(),
            crate::pyrepr::json_repr(&value)
        )
    };
    let paths = |items: Vec<String>| {
        Json::Array(
            items
                .iter()
                .map(|p| Json::String(resolve_path(p)))
                .collect(),
        )
    };
    Ok(match (setting.kind, &value) {
        (_, Json::Null) => Json::Null,
        (Kind::Raw, _) => value,
        (Kind::Bool, v) => Json::Bool(truthy(v)),
        (Kind::Integer, Json::Number(n)) if n.is_i64() => value,
        (Kind::Integer, Json::Bool(b)) => Json::from(i64::from(*b)),
        (Kind::Integer, Json::String(text)) => Json::from(integer(text).ok_or_else(invalid)?),
        (Kind::Integer, _) => return Err(invalid()),
        (Kind::Str, Json::String(_)) => value,
        (Kind::Str, Json::Bool(b)) => Json::String(if *b { "True" } else { "False" }.into()),
        (Kind::Str, Json::Number(n)) => Json::String(n.to_string()),
        (Kind::Str, _) => return Err(invalid()),
        (Kind::Path, Json::String(p)) => Json::String(resolve_path(p)),
        (Kind::PathSpec, Json::String(p)) => paths(p.split(':').map(str::to_string).collect()),
        (Kind::PathList, Json::String(p)) => {
            paths(p.split(',').map(|x| x.trim().to_string()).collect())
        }
        (Kind::PathSpec | Kind::PathList, Json::Array(items))
            if items.iter().all(Json::is_string) =>
        {
            paths(items.iter().map(crate::pyrepr::json_str).collect())
        }
        (Kind::Path | Kind::PathSpec | Kind::PathList, _) => return Err(invalid()),
    })
}

/// ansible-core's non-strict `boolean`: only its true words (and 1) are true.
fn truthy(v: &Json) -> bool {
    match v {
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64() == Some(1.0),
        Json::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "y" | "yes" | "on" | "1" | "true" | "t" | "1.0"
        ),
        _ => false,
    }
}

/// An integer as Python's `Decimal` reads it, when it has no fractional part.
fn integer(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(i);
    }
    let f = t.parse::<f64>().ok().filter(|f| f.is_finite())?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(name: &str) -> Json {
        match value(name) {
            Some(Ok((v, _))) => v,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_typed() {
        // Only settings no test changes the environment of.
        assert_eq!(
            get("DEFAULT_HASH_BEHAVIOUR"),
            Json::String("replace".into())
        );
        assert_eq!(get("DEFAULT_BECOME_USER"), Json::String("root".into()));
        assert!(value("NOPE").is_none());
        assert!(is_known("DEFAULT_PRIVATE_ROLE_VARS"));
    }

    #[test]
    fn conversions() {
        let setting = |kind| Setting {
            name: "X",
            env: &[],
            var: None,
            kind,
            default: Default::None,
        };
        let conv = |kind, v: &str| convert(&setting(kind), Json::String(v.into()), "env: X");
        assert_eq!(conv(Kind::Bool, " Yes "), Ok(Json::Bool(true)));
        assert_eq!(conv(Kind::Bool, "maybe"), Ok(Json::Bool(false)));
        assert_eq!(conv(Kind::Integer, "5.0"), Ok(Json::from(5)));
        assert_eq!(
            conv(Kind::Integer, "1.5x"),
            Err("Config 'X' from 'env: X' has an invalid value: Invalid value provided for 'integer': '1.5x'".into())
        );
        assert_eq!(
            conv(Kind::PathSpec, "/a/../b:/c//d"),
            Ok(serde_json::json!(["/b", "/c/d"]))
        );
        assert_eq!(
            conv(Kind::PathList, " /a , /b/./c"),
            Ok(serde_json::json!(["/a", "/b/c"]))
        );
    }
}
