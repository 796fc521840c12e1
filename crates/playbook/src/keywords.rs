//! Keyword lists of ansible-core 2.19 (`Play.fattributes`, `Task.fattributes`, ...).

pub const PLAY_KEYWORDS: &[&str] = &[
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "diff",
    "environment",
    "fact_path",
    "force_handlers",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "handlers",
    "hosts",
    "ignore_errors",
    "ignore_unreachable",
    "max_fail_percentage",
    "module_defaults",
    "name",
    "no_log",
    "order",
    "port",
    "post_tasks",
    "pre_tasks",
    "remote_user",
    "roles",
    "run_once",
    "serial",
    "strategy",
    "tags",
    "tasks",
    "throttle",
    "timeout",
    "vars",
    "vars_files",
    "vars_prompt",
];

/// Task and handler keywords, plus `local_action` which the argument parser handles.
pub const TASK_KEYWORDS: &[&str] = &[
    "action",
    "any_errors_fatal",
    "args",
    "async",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "changed_when",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "delay",
    "delegate_facts",
    "delegate_to",
    "diff",
    "environment",
    "failed_when",
    "ignore_errors",
    "ignore_unreachable",
    "listen",
    "local_action",
    "loop",
    "loop_control",
    "module_defaults",
    "name",
    "no_log",
    "notify",
    "poll",
    "port",
    "register",
    "remote_user",
    "retries",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "until",
    "vars",
    "when",
];

pub const BLOCK_KEYWORDS: &[&str] = &[
    "always",
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "block",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "delegate_facts",
    "delegate_to",
    "diff",
    "environment",
    "ignore_errors",
    "ignore_unreachable",
    "module_defaults",
    "name",
    "no_log",
    "notify",
    "port",
    "remote_user",
    "rescue",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "vars",
    "when",
];

/// Lookup plugins shipped with ansible-core: `with_<name>` is a loop over them.
pub const CORE_LOOKUPS: &[&str] = &[
    "config",
    "csvfile",
    "dict",
    "env",
    "file",
    "fileglob",
    "first_found",
    "indexed_items",
    "ini",
    "inventory_hostnames",
    "items",
    "lines",
    "list",
    "nested",
    "password",
    "pipe",
    "random_choice",
    "sequence",
    "subelements",
    "template",
    "together",
    "unvault",
    "url",
    "varnames",
    "vars",
];

/// Modules whose string argument is a command line (`check_raw` in `parse_kv`).
pub const FREEFORM_ACTIONS: &[&str] = &[
    "command",
    "raw",
    "script",
    "shell",
    "win_command",
    "win_shell",
];

/// Actions that accept `_raw_params` (free text that is not `k=v`).
pub const RAW_PARAM_ACTIONS: &[&str] = &[
    "command",
    "raw",
    "script",
    "shell",
    "win_command",
    "win_shell",
    "include_vars",
    "include_tasks",
    "include_role",
    "import_tasks",
    "import_role",
    "add_host",
    "group_by",
    "set_fact",
    "meta",
];

/// The short name of an action: `ansible.builtin.X` and `ansible.legacy.X` are `X`,
/// as are the Windows command modules that moved to `ansible.windows`.
pub fn canonical_action(name: &str) -> &str {
    for prefix in ["ansible.builtin.", "ansible.legacy."] {
        if let Some(short) = name.strip_prefix(prefix) {
            if !short.contains('.') {
                return short;
            }
        }
    }
    // Modules of other collections that drover implements natively.
    match name {
        "ansible.windows.win_command" => "win_command",
        "ansible.windows.win_shell" => "win_shell",
        "community.general.supervisorctl" => "supervisorctl",
        "ansible.posix.sysctl" => "sysctl",
        "ansible.posix.authorized_key" => "authorized_key",
        _ => name,
    }
}

pub fn is_freeform(action: &str) -> bool {
    FREEFORM_ACTIONS.contains(&canonical_action(action))
}
