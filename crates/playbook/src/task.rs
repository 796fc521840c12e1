//! One task mapping -> `Task`: finds the action among the non-keyword keys, normalises
//! its arguments (free-form strings, mappings, `action:`/`local_action:`, `args:`), and
//! reads the task keywords.

use drover_yaml::{Location, Node, NodeValue, SourceError};
use serde_json::{Map, Value};

use crate::keywords::{canonical_action, is_freeform, BLOCK_KEYWORDS, CORE_LOOKUPS, TASK_KEYWORDS};
use crate::kv::{split_args, try_parse_kv};
use crate::value::{scalar_text, Reader};
use crate::{Block, Origins, Task};

/// An action name and its arguments.
type ActionArgs = (String, Map<String, Value>);

pub(crate) struct TaskParser<'a> {
    pub reader: Reader<'a>,
    pub location: &'a dyn Fn(&Node) -> Location,
    pub known_action: &'a dyn Fn(&str) -> bool,
}

/// The key of a mapping entry as text (`1: x` is the key "1").
fn key_text(k: &Node) -> String {
    match &k.value {
        NodeValue::Str(s) => s.clone(),
        v => scalar_text(v),
    }
}

impl TaskParser<'_> {
    /// A `tasks:`-like section (null is empty).
    pub fn task_list(
        &self,
        section: &str,
        owner: &Node,
        node: &Node,
    ) -> Result<Vec<Task>, SourceError> {
        match &node.value {
            NodeValue::Null => Ok(Vec::new()),
            NodeValue::Seq(items) => items.iter().map(|t| self.task(t)).collect(),
            _ => Err(self.reader.err(
                owner,
                format!("A malformed block was encountered while loading {section}: it should be a list or None but is {}", node.kind_name()),
            )),
        }
    }

    pub fn task(&self, node: &Node) -> Result<Task, SourceError> {
        let Some(entries) = node.as_map() else {
            return Err(self.reader.err(
                node,
                format!("A malformed block was encountered while loading tasks: a task must be a mapping, not {}", node.kind_name()),
            ));
        };
        if node.get("block").is_some() {
            return self.block(node, entries);
        }
        let mut task = Task::new((self.location)(node));
        let mut candidates: Vec<(String, &Node)> = Vec::new();
        let mut action_key: Option<&Node> = None;
        let mut with_loop: Option<(String, &Node, &Node)> = None;
        for (k, v) in entries {
            let key = key_text(k);
            if TASK_KEYWORDS.contains(&key.as_str()) {
                continue;
            }
            // Not an action candidate, yet no longer a valid keyword either.
            if key == "static" {
                return Err(self
                    .reader
                    .err(k, "'static' is not a valid attribute for a Task"));
            }
            if let Some(lookup) = key.strip_prefix("with_") {
                if !CORE_LOOKUPS.contains(&lookup) {
                    return Err(self
                        .reader
                        .err(k, format!("'{key}' is not a valid attribute for a Task")));
                }
                with_loop = Some((lookup.to_owned(), k, v));
                continue;
            }
            action_key.get_or_insert(k);
            candidates.push((key, v));
        }

        let (written, action, args) = self.action_and_args(node, &candidates)?;
        task.written_action = Some(written.clone()).filter(|w| *w != action);
        let action_key = action_key.or_else(|| {
            entries
                .iter()
                .find(|(k, _)| matches!(key_text(k).as_str(), "action" | "local_action"))
                .map(|(k, _)| k)
        });
        task.origins = origins(node, action_key, &args);
        task.action = action;
        task.args = args;
        if matches!(task.action.as_str(), "include_tasks" | "import_tasks")
            && !["_raw_params", "file"]
                .iter()
                .any(|k| task.args.get(*k).is_some_and(|v| !v.is_null()))
        {
            return Err(self
                .reader
                .err(node, format!("No file specified for {written}")));
        }
        if matches!(task.action.as_str(), "include_tasks" | "include_role") {
            task.apply = self.apply(node, &candidates)?.map(Box::new);
        }
        if matches!(task.action.as_str(), "include_role" | "import_role") {
            self.check_role_from_args(node, &candidates)?;
        }
        if node.get("local_action").is_some() {
            task.delegate_to = Some("localhost".to_owned());
        }

        for (k, v) in entries {
            let key = key_text(k);
            self.keyword(&mut task, &key, v, true)?;
            let at = self.value_locations(v);
            task.origins.keywords.insert(key, at);
        }

        if let Some((lookup, _, value)) = with_loop {
            if task.loop_items.is_some() {
                return Err(self
                    .reader
                    .err(node, format!("duplicate loop in task: {lookup}")));
            }
            if value.is_null() {
                return Err(self.reader.err(
                    node,
                    format!("you must specify a value when using with_{lookup}"),
                ));
            }
            task.loop_items = Some(value.to_json());
            task.loop_kind = Some(lookup);
        }
        Ok(task)
    }

    fn block(&self, node: &Node, entries: &[(Node, Node)]) -> Result<Task, SourceError> {
        let mut task = Task::new((self.location)(node));
        task.action = "block".to_owned();
        let mut block = Block::default();
        for (k, v) in entries {
            let key = key_text(k);
            if !BLOCK_KEYWORDS.contains(&key.as_str()) {
                return Err(self
                    .reader
                    .err(k, format!("'{key}' is not a valid attribute for a Block")));
            }
            match key.as_str() {
                "block" => block.block = self.task_list("block", node, v)?,
                "rescue" => block.rescue = self.task_list("rescue", node, v)?,
                "always" => block.always = self.task_list("always", node, v)?,
                _ => {
                    self.keyword(&mut task, &key, v, false)?;
                    let at = self.value_locations(v);
                    task.origins.keywords.insert(key, at);
                }
            }
        }
        task.block = Some(Box::new(block));
        Ok(task)
    }

    /// Where a keyword's value is; a list's items one by one.
    fn value_locations(&self, v: &Node) -> Vec<Location> {
        match &v.value {
            NodeValue::Seq(items) if !items.is_empty() => {
                items.iter().map(|i| (self.location)(i)).collect()
            }
            _ => vec![(self.location)(v)],
        }
    }

    /// `tasks_from` and its kin must be strings, even for an include that never runs:
    /// ansible-core checks them as it loads.
    fn check_role_from_args(
        &self,
        node: &Node,
        candidates: &[(String, &Node)],
    ) -> Result<(), SourceError> {
        let sources = node
            .get("args")
            .into_iter()
            .chain(candidates.iter().map(|(_, thing)| *thing));
        for thing in sources {
            for key in ["tasks_from", "vars_from", "defaults_from", "handlers_from"] {
                let Some(v) = thing.get(key) else { continue };
                let python_type = match &v.value {
                    NodeValue::Str(_) => continue,
                    NodeValue::Null => "NoneType",
                    NodeValue::Bool(_) => "bool",
                    NodeValue::Int(_) => {
                        "ansible.module_utils._internal._datatag._AnsibleTaggedInt"
                    }
                    NodeValue::Float(_) => {
                        "ansible.module_utils._internal._datatag._AnsibleTaggedFloat"
                    }
                    NodeValue::Seq(_) => {
                        "ansible.module_utils._internal._datatag._AnsibleTaggedList"
                    }
                    NodeValue::Map(_) => {
                        "ansible.module_utils._internal._datatag._AnsibleTaggedDict"
                    }
                };
                return Err(self.reader.err(
                    v,
                    format!("Expected a string for {key} but got <class '{python_type}'> instead"),
                ));
            }
        }
        Ok(())
    }

    /// The `apply:` argument of an include (in its action's mapping or in `args:`): a
    /// block's keywords.
    fn apply(
        &self,
        node: &Node,
        candidates: &[(String, &Node)],
    ) -> Result<Option<Task>, SourceError> {
        // The action's own arguments win over `args:`, as for any argument.
        let found = node
            .get("args")
            .into_iter()
            .chain(candidates.iter().map(|(_, thing)| *thing))
            .filter_map(|thing| thing.get("apply"))
            .next_back();
        let Some(apply) = found else {
            return Ok(None);
        };
        let Some(entries) = apply.as_map() else {
            return Err(self.reader.err(
                apply,
                format!("Expected a dict for apply but got {}", apply.kind_name()),
            ));
        };
        let mut holder = Task::new((self.location)(apply));
        holder.action = "block".to_owned();
        for (k, v) in entries {
            let key = key_text(k);
            if !BLOCK_KEYWORDS.contains(&key.as_str())
                || matches!(key.as_str(), "block" | "rescue" | "always")
            {
                return Err(self
                    .reader
                    .err(k, format!("'{key}' is not a valid attribute for a Block")));
            }
            self.keyword(&mut holder, &key, v, false)?;
            let at = self.value_locations(v);
            holder.origins.keywords.insert(key, at);
        }
        Ok(Some(holder))
    }

    /// Reads a keyword into `task`; returns without effect for keys that are not
    /// keywords (the action) or were handled by the action parser.
    pub(crate) fn keyword(
        &self,
        task: &mut Task,
        key: &str,
        v: &Node,
        is_task: bool,
    ) -> Result<(), SourceError> {
        let r = &self.reader;
        match key {
            "action" | "local_action" | "args" => {}
            "name" => task.name = r.string(key, v)?,
            "when" => task.when = r.conditions(key, v)?,
            "changed_when" => task.changed_when = r.conditions(key, v)?,
            "failed_when" => task.failed_when = r.conditions(key, v)?,
            "until" => task.until = r.conditions(key, v)?,
            "register" => task.register = r.identifier(key, v)?,
            "ignore_errors" => task.ignore_errors = opt_json(v),
            "loop" => task.loop_items = opt_json(v),
            "loop_control" => {
                if v.as_map().is_none() {
                    return Err(r.err(
                        v,
                        "the `loop_control` value must be specified as a dictionary and cannot be a variable itself (though it can contain variables)",
                    ));
                }
                task.loop_var = match v.get("loop_var") {
                    Some(n) => r.string("loop_var", n)?,
                    None => None,
                };
                task.loop_control = Some(v.to_json());
            }
            "vars" => task.vars = r.vars(if is_task { "Task" } else { "Block" }, v)?,
            // A templated value is rendered per host when the task runs.
            "become" if is_templated_str(v) => {
                task.extra.insert(key.to_string(), v.to_json());
            }
            "become" => task.r#become = r.bool(key, v)?,
            "become_user" => task.become_user = r.string(key, v)?,
            "become_method" => task.become_method = r.string(key, v)?,
            "no_log" => task.no_log = opt_json(v),
            // `local_action` wins over an explicit delegate_to, as in Ansible.
            "delegate_to" if task.delegate_to.is_none() => task.delegate_to = r.string(key, v)?,
            "delegate_to" => {}
            "run_once" => task.run_once = opt_json(v),
            "environment" => task.environment = opt_json(v),
            "tags" => task.tags = r.tags(v)?,
            "notify" => task.notify = r.string_list(key, v)?,
            "listen" => task.listen = r.string_list(key, v)?,
            "retries" => task.retries = opt_json(v),
            "delay" => task.delay = opt_json(v),
            "check_mode" => task.check_mode = opt_json(v),
            "connection" => task.connection = r.string(key, v)?,
            "remote_user" => task.remote_user = r.string(key, v)?,
            _ if TASK_KEYWORDS.contains(&key) || BLOCK_KEYWORDS.contains(&key) => {
                task.extra.insert(key.to_owned(), v.to_json());
            }
            _ => {}
        }
        Ok(())
    }

    /// ansible-core's ModuleArgsParser: `action:`/`local_action:`, then every
    /// non-keyword key is an action; exactly one must be found. The action's name as
    /// written, its canonical short name, and its arguments.
    fn action_and_args(
        &self,
        node: &Node,
        candidates: &[(String, &Node)],
    ) -> Result<(String, String, Map<String, Value>), SourceError> {
        let r = &self.reader;
        let additional = node.get("args");
        let mut found: Option<ActionArgs> = None;

        let old_style = match (node.get("action"), node.get("local_action")) {
            (Some(_), Some(_)) => {
                return Err(r.err(node, "action and local_action are mutually exclusive"))
            }
            (Some(a), None) | (None, Some(a)) => Some(a),
            (None, None) => None,
        };
        if let Some(thing) = old_style {
            if let Some((action, args)) = self.old_style(node, thing)? {
                found = Some((action, args));
            }
        }
        // ansible-core resolves the module of `action:`/`local_action:` only when the
        // task runs (it may even be templated); other keys must name one now.
        let resolve_now = found.is_none();
        for (key, thing) in candidates {
            if let Some((action, _)) = &found {
                return Err(r.err(
                    node,
                    format!("conflicting action statements: {action}, {key}"),
                ));
            }
            let args = self.new_style(node, key, thing)?;
            found = Some((key.clone(), args));
        }
        let Some((action, args)) = found else {
            return Err(r.err(node, "no module/action detected in task."));
        };

        let short = canonical_action(&action).to_owned();
        if resolve_now && !(self.known_action)(&short) {
            return Err(r.err(
                node,
                format!(
                    "couldn't resolve module/action '{action}'. This often indicates a misspelling, missing collection, or incorrect module path."
                ),
            ));
        }
        if !is_freeform(&short) {
            if let Some(bad) = args.keys().find(|k| k.starts_with("_ansible_")) {
                return Err(r.err(
                    node,
                    format!(
                        "Invalid parameter specified beginning with keyword '_ansible_' for action '{action}': '{bad}'. The prefix '_ansible_' is reserved for internal use only."
                    ),
                ));
            }
        }

        // `args:` gives defaults that the action's own arguments override.
        let mut final_args = Map::new();
        if let Some(extra) = additional {
            match &extra.value {
                NodeValue::Null => {}
                NodeValue::Map(_) => {
                    if let Value::Object(m) = extra.to_json() {
                        final_args.extend(m);
                    }
                }
                NodeValue::Str(s) if is_possibly_all_template(s) => {
                    final_args.insert("_variable_params".to_owned(), Value::String(s.clone()));
                }
                _ => {
                    return Err(r.err(
                        extra,
                        "The value of the task `args` keyword is invalid. A mapping or template which resolves to a mapping is required.",
                    ))
                }
            }
        }
        final_args.extend(args);
        Ok((action, short, final_args))
    }

    /// `copy: src=a dest=b`, `copy: {src: a}`, `ping:`.
    fn new_style(
        &self,
        task: &Node,
        action: &str,
        thing: &Node,
    ) -> Result<Map<String, Value>, SourceError> {
        match &thing.value {
            NodeValue::Map(_) => match thing.to_json() {
                Value::Object(m) => Ok(m),
                _ => Ok(Map::new()),
            },
            NodeValue::Str(s) => {
                // A vaulted string is opaque: no k=v parsing.
                if thing.tag.as_deref() == Some("!vault") {
                    let mut m = Map::new();
                    m.insert("_raw_params".to_owned(), Value::String(s.clone()));
                    return Ok(m);
                }
                try_parse_kv(s, is_freeform(action))
                    .map_err(|e| self.reader.err(task, e.to_string()))
            }
            NodeValue::Null => Ok(Map::new()),
            _ => Err(self.reader.err(
                task,
                format!("unexpected parameter type in action: {}", thing.kind_name()),
            )),
        }
    }

    /// `action: copy src=a dest=b` or `action: {module: copy, src: a}`. `None` when a
    /// mapping names no module (another key may still be the action).
    fn old_style(&self, task: &Node, thing: &Node) -> Result<Option<ActionArgs>, SourceError> {
        let r = &self.reader;
        let split_err = |e: crate::kv::SplitError| r.err(task, e.to_string());
        let (action, mut args) = match &thing.value {
            NodeValue::Str(s) => {
                let (action, rest) = split_module_string(s).map_err(split_err)?;
                let args = try_parse_kv(&rest, is_freeform(&action)).map_err(split_err)?;
                (action, args)
            }
            NodeValue::Map(_) => {
                let Some(module) = thing.get("module") else {
                    return Ok(None);
                };
                let Some(module) = module.as_str() else {
                    return Err(r.err(module, "the `module` of an action must be a string"));
                };
                let (action, rest) = split_module_string(module).map_err(split_err)?;
                let mut args = match thing.to_json() {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                args.extend(try_parse_kv(&rest, is_freeform(&action)).map_err(split_err)?);
                args.shift_remove("module");
                (action, args)
            }
            _ => {
                return Err(r.err(
                    task,
                    format!("unexpected parameter type in action: {}", thing.kind_name()),
                ))
            }
        };
        if action.is_empty() {
            return Err(r.err(task, "no module/action detected in task."));
        }
        // `action: {module: x, args: {...}}` nests its arguments one level down.
        if let Some(inner) = args.shift_remove("args") {
            match inner {
                Value::Object(m) => args.extend(m),
                Value::String(s) => args.extend(try_parse_kv(&s, false).map_err(split_err)?),
                _ => {}
            }
        }
        Ok(Some((action, args)))
    }
}

/// Where a task's action and arguments are written: an argument given in a mapping
/// (the action's or `args:`) at its value, one in a free-form string at the string.
fn origins(node: &Node, action_key: Option<&Node>, args: &Map<String, Value>) -> Origins {
    let mut origins = Origins {
        action: action_key.map(|k| k.pos),
        ..Origins::default()
    };
    let action_value = action_key.and_then(|k| {
        node.as_map()?
            .iter()
            .find(|(key, _)| std::ptr::eq(key, k))
            .map(|(_, v)| v)
    });
    origins.module = match (action_key, action_value) {
        (Some(k), Some(v)) if matches!(k.as_str(), Some("action" | "local_action")) => {
            Some(v.get("module").unwrap_or(v).pos)
        }
        _ => origins.action,
    };
    for source in [node.get("args"), action_value].into_iter().flatten() {
        match source.as_map() {
            Some(entries) => {
                for (k, v) in entries {
                    origins.args.insert(key_text(k), v.pos);
                }
            }
            None => {
                for k in args.keys() {
                    origins.args.insert(k.clone(), source.pos);
                }
            }
        }
    }
    origins.args.retain(|k, _| args.contains_key(k));
    origins
}

/// A keyword value as data; an empty value means "not set".
fn opt_json(v: &Node) -> Option<Value> {
    (!v.is_null()).then(|| v.to_json())
}

/// "command echo hi" -> ("command", "echo hi").
fn split_module_string(s: &str) -> Result<(String, String), crate::kv::SplitError> {
    let tokens = split_args(s)?;
    let action = tokens
        .first()
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    let rest = tokens.get(1..).map(|t| t.join(" ")).unwrap_or_default();
    Ok((action, rest))
}

/// The whole string is one `{{ ... }}` expression.
pub fn is_possibly_all_template(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("{{") && t.ends_with("}}")
}

/// A string holding a template (`become: "{{ use_sudo }}"`).
pub(crate) fn is_templated_str(v: &Node) -> bool {
    matches!(&v.value, NodeValue::Str(s) if s.contains("{{") || s.contains("{%"))
}
