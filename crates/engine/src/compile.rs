//! A play's task lists -> the tree the engine runs. Static constructs are expanded here,
//! before any host is touched: `roles:`, `import_tasks`, `import_role`. Keywords of
//! blocks, imports and roles are pushed down into their tasks as Ansible's attribute
//! inheritance does (a block's `when` is evaluated for each of its tasks), and tasks
//! outside the `--tags`/`--skip-tags` selection are dropped.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use drover_playbook::{load_role, load_tasks_file, Play, RoleFiles, RoleInfo, RoleRef, Task};
use drover_yaml::SourceError;
use indexmap::IndexMap;
use serde_json::Value;

use crate::tags::TagFilter;

#[derive(Debug, Clone)]
pub enum Node {
    Task(Arc<Task>),
    Block {
        block: Vec<Node>,
        rescue: Vec<Node>,
        always: Vec<Node>,
    },
}

/// A play ready to run: sections (each followed by a handler flush) and handlers.
pub struct Plan {
    pub sections: Vec<Vec<Node>>,
    pub handlers: Vec<Arc<Task>>,
    /// The vars and defaults of every public role loaded, in load order (the last
    /// wins): the whole play sees them, below each task's own role.
    pub role_vars: IndexMap<String, Value>,
    pub role_defaults: IndexMap<String, Value>,
    /// Roles the play loaded statically; `include_role` dedupes against them.
    pub seen_roles: Vec<(String, Value)>,
    /// The names of the roles the play uses directly (`roles:`, `import_role`) and of
    /// those only their dependencies bring in (`role_names` and friends).
    pub role_names: Vec<String>,
    pub dependent_role_names: Vec<String>,
}

pub struct Compiler<'a> {
    pub playbook_dir: PathBuf,
    pub known_action: &'a dyn Fn(&str) -> bool,
    pub tags: &'a TagFilter,
    /// Roles already in the play (name + params), for Ansible's once-per-play rule.
    pub seen_roles: Vec<(String, Value)>,
    /// Each role loaded: its name, and whether a dependency brought it in.
    role_names: Vec<(String, bool)>,
    /// Handlers of the roles loaded, in load order; they come before the play's own.
    pub role_handlers: Vec<Arc<Task>>,
    role_vars: IndexMap<String, Value>,
    role_defaults: IndexMap<String, Value>,
    /// The vars and defaults the role compiled last exports (its own over its
    /// dependencies'), for the role that depends on it.
    exports: (IndexMap<String, Value>, IndexMap<String, Value>),
    /// Play vars, for templated `tags` and static import paths.
    play_vars: IndexMap<String, Value>,
    /// Extra vars, above every other variable.
    extra_vars: IndexMap<String, Value>,
    /// While compiling handlers: `--tags`/`--skip-tags` do not apply to them.
    all_tags: bool,
}

const IMPORT_DEPTH: usize = 64;

/// The implicit `meta` task at the end of every role.
pub const ROLE_COMPLETE: &str = "role_complete";

/// Marks a task the engine added (never listed nor announced).
const IMPLICIT: &str = "_implicit";

/// The end of a role that `Compiler::role` added.
pub fn is_role_end(t: &Task) -> bool {
    t.action == "meta" && t.args.get(IMPLICIT) == Some(&Value::Bool(true))
}

/// Whether a role's vars and defaults are seen outside it (ansible-core's `public`):
/// as `public:` says where given; else, when `DEFAULT_PRIVATE_ROLE_VARS` is set (in the
/// environment), the opposite of the setting; else `roles:` and `import_role` are
/// public (`static_load`) and `include_role` is private.
pub fn role_is_public(explicit: Option<&Value>, static_load: bool) -> bool {
    if let Some(v) = explicit {
        return crate::task::is_true(v);
    }
    match drover_template::config::value("DEFAULT_PRIVATE_ROLE_VARS") {
        Some(Ok((private, origin))) if origin != "default" => private != Value::Bool(true),
        _ => static_load,
    }
}

/// `allow_duplicates` of an import_role/include_role (true unless it says otherwise).
pub fn include_allows_duplicates(t: &Task) -> bool {
    match t.args.get("allow_duplicates") {
        Some(v) => crate::task::is_true(v),
        None => true,
    }
}

impl<'a> Compiler<'a> {
    pub fn new(
        playbook_dir: PathBuf,
        known_action: &'a dyn Fn(&str) -> bool,
        tags: &'a TagFilter,
    ) -> Self {
        Compiler {
            playbook_dir,
            known_action,
            tags,
            seen_roles: Vec::new(),
            role_names: Vec::new(),
            role_handlers: Vec::new(),
            role_vars: IndexMap::new(),
            role_defaults: IndexMap::new(),
            exports: Default::default(),
            play_vars: IndexMap::new(),
            extra_vars: IndexMap::new(),
            all_tags: false,
        }
    }

    /// The variables known before any host is: templated `tags: "{{ ... }}"` are
    /// rendered with the play and extra vars, static import paths with those and the
    /// importing task's (see `static_vars`).
    pub fn with_vars(
        mut self,
        play_vars: &IndexMap<String, Value>,
        extra_vars: &IndexMap<String, Value>,
    ) -> Self {
        self.play_vars = play_vars.clone();
        self.extra_vars = extra_vars.clone();
        self
    }

    /// The vars and defaults of the public roles compiled so far, taken out.
    pub fn take_public_vars(&mut self) -> (IndexMap<String, Value>, IndexMap<String, Value>) {
        (
            std::mem::take(&mut self.role_vars),
            std::mem::take(&mut self.role_defaults),
        )
    }

    /// What ansible-core templates a static import's path with: no host (so no
    /// inventory vars, no facts), but role defaults, play vars, the task's role vars,
    /// its own and its blocks' vars, role params and extra vars, in that order, and
    /// `playbook_dir`.
    fn static_vars(&self, t: &Task) -> serde_json::Map<String, Value> {
        let mut vars = serde_json::Map::new();
        let role = t.role.as_deref();
        let layers = [
            Some(&self.role_defaults),
            role.map(|r| r.defaults.as_ref()),
            Some(&self.play_vars),
            role.map(|r| r.vars.as_ref()),
            Some(&t.vars),
            role.map(|r| r.params.as_ref()),
            Some(&self.extra_vars),
        ];
        for layer in layers.into_iter().flatten() {
            for (k, v) in layer {
                vars.insert(k.clone(), v.clone());
            }
        }
        vars.insert(
            "playbook_dir".into(),
            self.playbook_dir.display().to_string().into(),
        );
        vars
    }

    /// Renders the templated string arguments `keys` of a static import in place;
    /// `failure(raw, error)` words the error, reported at the argument or the task.
    fn render_static_args(
        &self,
        t: &mut Task,
        keys: &[&str],
        failure: &dyn Fn(&str, &str) -> String,
        at_task: bool,
    ) -> Result<(), SourceError> {
        let mut vars = None;
        for key in keys {
            let Some(raw) = t.args.get(*key).and_then(Value::as_str) else {
                continue;
            };
            if !drover_template::Templar::is_template(raw) {
                continue;
            }
            let raw = raw.to_string();
            let vars = vars.get_or_insert_with(|| self.static_vars(t));
            let rendered = drover_template::Templar::new()
                .render(&raw, &*vars)
                .map_err(|e| {
                    let msg = failure(&raw, &e.to_string());
                    match t.origins.args.get(*key) {
                        Some(pos) if !at_task => {
                            drover_yaml::SourceError::at(&t.location.file, *pos, msg)
                        }
                        _ => t.location.error(msg),
                    }
                })?;
            let text = match rendered {
                Value::String(s) => s,
                other => drover_template::py_str(&other),
            };
            t.args.insert((*key).to_string(), Value::String(text));
        }
        Ok(())
    }

    fn render_tags(&self, tags: &mut Vec<String>) {
        if !tags.iter().any(|t| t.contains("{{")) {
            return;
        }
        let templar = drover_template::Templar::new();
        let tag_vars: serde_json::Map<String, Value> = self
            .play_vars
            .iter()
            .chain(&self.extra_vars)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut out = Vec::new();
        for t in tags.drain(..) {
            match templar.render(&t, &tag_vars) {
                Ok(Value::Array(items)) => out.extend(items.iter().map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })),
                Ok(Value::String(s)) => out.extend(
                    s.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty()),
                ),
                Ok(other) => out.push(other.to_string()),
                Err(_) => out.push(t),
            }
        }
        *tags = out;
    }

    pub fn plan(mut self, play: &Play) -> Result<Plan, SourceError> {
        // The play's keywords (tags, check_mode, no_log, ...) are inherited by all of
        // its tasks and handlers, below the keywords of blocks, roles and tasks.
        let holder = play_holder(play);
        let parent = Some(&holder);
        let pre = self.tasks(&play.pre_tasks, parent, 0)?;
        let mut main = Vec::new();
        for r in &play.roles {
            let public = role_is_public(None, true);
            main.extend(self.role(r, &RoleFiles::default(), parent, None, public, 0)?);
        }
        main.extend(self.tasks(&play.tasks, parent, 0)?);
        let post = self.tasks(&play.post_tasks, parent, 0)?;
        for h in &play.handlers {
            check_handler(h)?;
        }
        let mut handlers = std::mem::take(&mut self.role_handlers);
        self.all_tags = true;
        let play_handlers = self.tasks(&play.handlers, parent, 0);
        self.all_tags = false;
        for h in play_handlers? {
            flatten_into(h, &mut handlers);
        }
        Ok(Plan {
            sections: vec![pre, main, post],
            handlers,
            role_vars: self.role_vars,
            role_defaults: self.role_defaults,
            seen_roles: self.seen_roles,
            role_names: unique(self.role_names.iter().filter(|(_, dep)| !dep)),
            dependent_role_names: unique(self.role_names.iter().filter(|(_, dep)| *dep)),
        })
    }

    /// Compile tasks under an optional parent (block, import, role) whose keywords they inherit.
    pub fn tasks(
        &mut self,
        tasks: &[Task],
        parent: Option<&Task>,
        depth: usize,
    ) -> Result<Vec<Node>, SourceError> {
        let mut out = Vec::new();
        for t in tasks {
            let mut t = t.clone();
            if let Some(p) = parent {
                if matches!(t.action.as_str(), "include_tasks" | "include_role") {
                    t.include_parent = Some(Box::new(p.clone()));
                }
                inherit(p, &mut t);
            }
            if let Some(b) = t.block.take() {
                let block = self.tasks(&b.block, Some(&t), depth)?;
                let rescue = self.tasks(&b.rescue, Some(&t), depth)?;
                let always = self.tasks(&b.always, Some(&t), depth)?;
                if !(block.is_empty() && rescue.is_empty() && always.is_empty()) {
                    out.push(Node::Block {
                        block,
                        rescue,
                        always,
                    });
                }
                continue;
            }
            check_import_options(&t)?;
            match t.action.as_str() {
                "import_tasks" => {
                    self.render_static_args(
                        &mut t,
                        &["_raw_params", "file"],
                        &|raw, e| {
                            format!("Error when evaluating variable in import path '{raw}': {e}")
                        },
                        true,
                    )?;
                    out.extend(self.import_tasks(&t, depth)?)
                }
                "import_role" => {
                    self.render_static_args(
                        &mut t,
                        &[
                            "name",
                            "tasks_from",
                            "vars_from",
                            "defaults_from",
                            "handlers_from",
                            "public",
                        ],
                        &|_, e| e.to_string(),
                        false,
                    )?;
                    let r = role_ref_from_args(&t)?;
                    let files = role_files(&t);
                    let dups = include_allows_duplicates(&t);
                    let public = role_is_public(t.args.get("public"), true);
                    out.extend(self.role(&r, &files, Some(&t), Some(dups), public, depth)?);
                }
                "meta"
                    if t.role.is_none()
                        && !self.all_tags
                        && raw_param(&t, "_raw_params").as_deref().map(str::trim)
                            == Some("end_role") =>
                {
                    // ansible-core refuses it when loading the task.
                    return Err(t
                        .location
                        .error("Cannot execute 'end_role' from outside of a role"));
                }
                _ => {
                    self.render_tags(&mut t.tags);
                    if self.all_tags || self.tags.selects(&t.tags) {
                        out.push(Node::Task(Arc::new(t)));
                    }
                }
            }
        }
        Ok(out)
    }

    fn import_tasks(&mut self, t: &Task, depth: usize) -> Result<Vec<Node>, SourceError> {
        if depth > IMPORT_DEPTH {
            return Err(t
                .location
                .error("import_tasks nested too deep (does a file import itself?)"));
        }
        let name = raw_param(t, "file")
            .ok_or_else(|| t.location.error("No file specified for import_tasks"))?;
        let path = resolve_task_file(&name, t, &self.playbook_dir);
        let tasks = load_tasks_file(&path, self.known_action)?;
        if self.all_tags {
            // Compiling handlers: what a handler imports is held to a handler's rules.
            tasks.iter().try_for_each(check_handler)?;
        }
        // The import's own keywords apply to every imported task; its name does not.
        let mut parent = t.clone();
        parent.name = None;
        self.tasks(&tasks, Some(&parent), depth + 1)
    }

    /// A role's tasks as one block (dependencies first), its handlers kept for the play;
    /// a `public` role's (and its dependencies') vars and defaults join the play's.
    pub fn role(
        &mut self,
        r: &RoleRef,
        files: &RoleFiles,
        parent: Option<&Task>,
        included: Option<bool>,
        public: bool,
        depth: usize,
    ) -> Result<Vec<Node>, SourceError> {
        if depth > IMPORT_DEPTH {
            return Err(r
                .location
                .error("role dependencies nested too deep (a cycle?)"));
        }
        let mut search = Vec::new();
        if let Some(p) = parent.and_then(|p| p.role.as_ref()) {
            // A role's dependencies may sit beside it.
            if let Some(dir) = p.path.parent() {
                search.push(dir.to_path_buf());
            }
        }
        search.extend(drover_playbook::role_search_paths(&self.playbook_dir));
        // A role's own library/ must be known before its tasks are parsed.
        if let Some(dir) = search.iter().map(|p| p.join(&r.name)).find(|p| p.is_dir()) {
            crate::library::add_library_dirs([dir.join("library")]);
        }
        let role = load_role(r, files, &search, self.known_action)?;
        self.role_names.push((role.name.clone(), depth > 0));
        // Every use of a role is compiled; a host skips one it already completed (see
        // `Runner::role_done`). Its handlers are the play's once.
        let seen = (
            role.path.display().to_string(),
            Value::Object(r.params.clone().into_iter().collect()),
        );
        let first_use = !self.seen_roles.contains(&seen);
        if first_use {
            self.seen_roles.push(seen);
        }
        let key = serde_json::json!([
            role.path.display().to_string(),
            r.params,
            r.when,
            r.tags,
            r.vars,
            [&files.tasks, &files.handlers, &files.vars, &files.defaults],
            included.is_some(),
        ])
        .to_string();

        // A dependency also sees the variables, defaults and params of the roles that
        // depend on it (Ansible's dependency chain), its own winning.
        let chain = parent.and_then(|p| p.role.clone());
        let layered = |own: &IndexMap<String, Value>,
                       inherited: Option<&IndexMap<String, Value>>| {
            let mut m = inherited.cloned().unwrap_or_default();
            for (k, v) in own {
                m.insert(k.clone(), v.clone());
            }
            Arc::new(m)
        };
        let info = Arc::new(RoleInfo {
            name: role.name.clone(),
            path: role.path.clone(),
            defaults: layered(&role.defaults, chain.as_ref().map(|c| c.defaults.as_ref())),
            vars: layered(&role.vars, chain.as_ref().map(|c| c.vars.as_ref())),
            params: layered(&r.params, chain.as_ref().map(|c| c.params.as_ref())),
            key,
            // import_role and include_role allow duplicates unless told otherwise.
            allow_duplicates: included.unwrap_or(role.allow_duplicates),
            parents: match (included, parent.and_then(|p| p.role.as_ref())) {
                (Some(_), Some(p)) => std::iter::once((p.name.clone(), p.path.clone()))
                    .chain(p.parents.iter().cloned())
                    .collect(),
                _ => Vec::new(),
            },
        });
        // The role entry acts as a parent of every task of the role.
        let mut holder = Task::new(r.location.clone());
        holder.when = r.when.clone();
        holder.tags = r.tags.clone();
        holder.vars = r.vars.clone();
        holder.role = Some(info.clone());
        // The entry's own keywords (`roles: [{role: x, become: true}]`), over those
        // of what brought the role in.
        if let Some(k) = &r.keywords {
            inherit(k, &mut holder);
        }
        // The role's handlers, like its tasks, inherit the keywords of what brought it
        // in (an import_role's `delegate_to`, `become`, `when`, ...), as in ansible-core.
        let handler_parent = parent.map(|p| {
            let mut p = p.clone();
            p.name = None;
            p.role = None;
            p
        });
        if let Some(p) = &handler_parent {
            inherit(p, &mut holder);
        }
        let mut out = Vec::new();
        // What the dependencies export (their vars and defaults, theirs' first).
        let (mut dep_vars, mut dep_defaults) = (IndexMap::new(), IndexMap::new());
        for dep in &role.dependencies {
            out.extend(self.role(
                dep,
                &RoleFiles::default(),
                Some(&holder),
                None,
                public,
                depth + 1,
            )?);
            let (vars, defaults) = std::mem::take(&mut self.exports);
            dep_vars.extend(vars);
            dep_defaults.extend(defaults);
        }
        // A role sees what its dependencies export: their vars above the roles that
        // depend on it, their defaults below them (ansible-core's order).
        let mut vars = chain
            .as_ref()
            .map(|c| (*c.vars).clone())
            .unwrap_or_default();
        vars.extend(dep_vars.clone());
        vars.extend(role.vars.clone());
        let mut defaults = dep_defaults.clone();
        defaults.extend(
            chain
                .as_ref()
                .map(|c| (*c.defaults).clone())
                .unwrap_or_default(),
        );
        defaults.extend(role.defaults.clone());
        let info = Arc::new(RoleInfo {
            vars: Arc::new(vars),
            defaults: Arc::new(defaults),
            ..(*info).clone()
        });
        holder.role = Some(info.clone());
        dep_vars.extend(role.vars.clone());
        dep_defaults.extend(role.defaults.clone());
        if public {
            self.role_vars.extend(dep_vars.clone());
            self.role_defaults.extend(dep_defaults.clone());
        }
        self.exports = (dep_vars, dep_defaults);
        out.extend(self.tasks(&role.tasks, Some(&holder), depth + 1)?);
        // The end of the role: where a host that ran any of its tasks completes it.
        let mut end = Task::new(r.location.clone());
        end.action = "meta".into();
        end.args
            .insert("_raw_params".into(), Value::String(ROLE_COMPLETE.into()));
        end.args.insert(IMPLICIT.into(), Value::Bool(true));
        end.role = Some(info.clone());
        out.push(Node::Task(Arc::new(end)));
        if first_use || role.allow_duplicates {
            let mut handlers = Vec::new();
            for h in &role.handlers {
                check_handler(h)?;
                let mut h = h.clone();
                h.role = Some(info.clone());
                handlers.push(h);
            }
            // Handlers may import task files; `--tags` never applies to them.
            let all_tags = std::mem::replace(&mut self.all_tags, true);
            // They inherit the role entry's keywords too (`become_user` on the entry).
            let handler_holder = match (&r.keywords, &handler_parent) {
                (Some(k), outer) => {
                    let mut k = (**k).clone();
                    if let Some(p) = outer {
                        inherit(p, &mut k);
                    }
                    Some(k)
                }
                (None, outer) => outer.clone(),
            };
            let compiled = self.tasks(&handlers, handler_holder.as_ref(), depth + 1);
            self.all_tags = all_tags;
            for h in compiled? {
                flatten_into(h, &mut self.role_handlers);
            }
        }
        Ok(out)
    }
}

/// What ansible-core refuses as a handler: roles, nested blocks, `flush_handlers`.
pub(crate) fn check_handler(h: &Task) -> Result<(), SourceError> {
    if let Some(b) = &h.block {
        for t in b.block.iter().chain(&b.rescue).chain(&b.always) {
            if t.block.is_some() {
                return Err(t
                    .location
                    .error("Using a block as a handler is not supported."));
            }
            check_handler(t)?;
        }
        return Ok(());
    }
    match h.action.as_str() {
        "include_role" | "import_role" => Err(h.location.error(format!(
            "Using '{}' as a handler is not supported.",
            h.action
        ))),
        "meta" => match raw_param(h, "_raw_params").as_deref().map(str::trim) {
            Some("flush_handlers") => Err(h
                .location
                .error("flush_handlers cannot be used as a handler")),
            Some("end_role") => Err(h.location.error("Cannot execute 'end_role' from a handler")),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn flatten_into(node: Node, out: &mut Vec<Arc<Task>>) {
    match node {
        Node::Task(t) => out.push(t),
        Node::Block {
            block,
            rescue,
            always,
            ..
        } => {
            for n in block.into_iter().chain(rescue).chain(always) {
                flatten_into(n, out);
            }
        }
    }
}

/// The free-form argument or a named one (`include_tasks: x.yml` / `file: x.yml`).
pub fn raw_param(t: &Task, key: &str) -> Option<String> {
    t.args
        .get("_raw_params")
        .or_else(|| t.args.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A task file named relative to the including file's directory, a role's `tasks/`,
/// or the playbook directory.
pub fn resolve_task_file(name: &str, t: &Task, playbook_dir: &Path) -> PathBuf {
    let p = Path::new(name);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let mut candidates = Vec::new();
    if let Some(dir) = t.location.file.path.parent() {
        candidates.push(dir.join(p));
    }
    if let Some(role) = &t.role {
        candidates.push(role.path.join("tasks").join(p));
        // `tasks/x.yml` from a role's handlers/main.yml: the role's root.
        candidates.push(role.path.join(p));
    }
    candidates.push(playbook_dir.join(p));
    candidates
        .iter()
        .find(|c| c.is_file())
        .cloned()
        .unwrap_or_else(|| candidates[0].clone())
}

pub fn role_ref_from_args(t: &Task) -> Result<RoleRef, SourceError> {
    let name = raw_param(t, "name").ok_or_else(|| {
        t.location
            .error("'name' is a required field for include_role/import_role")
    })?;
    Ok(RoleRef {
        name,
        params: IndexMap::new(),
        vars: IndexMap::new(),
        when: Vec::new(),
        tags: Vec::new(),
        location: t.location.clone(),
        keywords: None,
    })
}

pub fn role_files(t: &Task) -> RoleFiles {
    let get = |k: &str| {
        t.args
            .get(k)
            .and_then(Value::as_str)
            .map(|s| s.trim_end_matches(".yml").to_string())
    };
    let mut f = RoleFiles::default();
    if let Some(v) = get("tasks_from") {
        f.tasks = v;
    }
    if let Some(v) = get("handlers_from") {
        f.handlers = v;
    }
    if let Some(v) = get("vars_from") {
        f.vars = v;
    }
    if let Some(v) = get("defaults_from") {
        f.defaults = v;
    }
    f
}

const INHERITED_EXTRA: &[&str] = &[
    "any_errors_fatal",
    "ignore_unreachable",
    "diff",
    "timeout",
    "throttle",
];

/// A task standing for the play: the keywords its tasks inherit.
fn play_holder(play: &Play) -> Task {
    let mut holder = Task::new(play.location.clone());
    holder.tags = play.tags.clone();
    let get = |k: &str| play.extra.get(k).filter(|v| !v.is_null()).cloned();
    holder.check_mode = get("check_mode");
    holder.no_log = get("no_log");
    holder.run_once = get("run_once");
    for k in INHERITED_EXTRA.iter().chain(&["module_defaults"]) {
        // any_errors_fatal and ignore_unreachable are read from the play itself.
        if matches!(*k, "any_errors_fatal" | "ignore_unreachable") {
            continue;
        }
        if let Some(v) = get(k) {
            holder.extra.insert(k.to_string(), v);
        }
    }
    holder
}

/// Ansible's attribute inheritance: the child's own value wins; `when` and `tags`
/// accumulate; parent vars sit below the child's.
pub fn inherit(parent: &Task, child: &mut Task) {
    if !parent.when.is_empty() {
        let mut when = parent.when.clone();
        when.append(&mut child.when);
        child.when = when;
        let mut at = parent
            .origins
            .keywords
            .get("when")
            .cloned()
            .unwrap_or_default();
        at.extend(
            child
                .origins
                .keywords
                .shift_remove("when")
                .unwrap_or_default(),
        );
        child.origins.keywords.insert("when".into(), at);
    }
    for tag in &parent.tags {
        if !child.tags.contains(tag) {
            child.tags.push(tag.clone());
        }
    }
    if child.notify.is_empty() {
        child.notify = parent.notify.clone();
    }
    for (k, v) in &parent.include_params {
        child
            .include_params
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    if !parent.vars.is_empty() {
        let mut vars = parent.vars.clone();
        for (k, v) in std::mem::take(&mut child.vars) {
            vars.insert(k, v);
        }
        child.vars = vars;
    }
    macro_rules! keep {
        ($($f:ident),*) => { $( if child.$f.is_none() { child.$f = parent.$f.clone(); } )* };
    }
    if let Some(outer) = parent.extra.get("module_defaults") {
        let merged = crate::defaults::merge(Some(outer), child.extra.get("module_defaults"));
        child.extra.insert("module_defaults".into(), merged);
    }
    // Inheritable keywords not modelled as fields (any_errors_fatal, diff, ...).
    for (k, v) in &parent.extra {
        if INHERITED_EXTRA.contains(&k.as_str()) && !child.extra.contains_key(k) {
            child.extra.insert(k.clone(), v.clone());
        }
    }
    // A templated `become` (kept in `extra`) yields to the child's literal one.
    if let Some(v) = parent.extra.get("become") {
        if child.r#become.is_none() && !child.extra.contains_key("become") {
            child.extra.insert("become".into(), v.clone());
        }
    }
    keep!(
        r#become,
        become_user,
        become_method,
        ignore_errors,
        no_log,
        check_mode,
        delegate_to,
        environment,
        run_once,
        connection,
        remote_user,
        role
    );
}

/// The options a static import takes; anything else (`apply:`, which only includes
/// take) is an error before anything runs, as in ansible-core.
fn check_import_options(t: &Task) -> Result<(), SourceError> {
    let valid: &[&str] = match t.action.as_str() {
        "import_tasks" => &["_raw_params", "file"],
        "import_role" => &[
            "name",
            "tasks_from",
            "vars_from",
            "defaults_from",
            "handlers_from",
            "public",
            "allow_duplicates",
            "rolespec_validate",
        ],
        _ => return Ok(()),
    };
    let bad: Vec<&str> = t
        .args
        .keys()
        .map(String::as_str)
        .filter(|k| !valid.contains(k))
        .collect();
    if bad.is_empty() && t.apply.is_none() {
        return Ok(());
    }
    let mut bad = bad;
    if t.apply.is_some() && !bad.contains(&"apply") {
        bad.push("apply");
    }
    Err(t.location.error(format!(
        "Invalid options for {}: {}",
        t.action,
        bad.join(", ")
    )))
}

/// The names, each once, in first-seen order.
fn unique<'n>(names: impl Iterator<Item = &'n (String, bool)>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (n, _) in names {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}
