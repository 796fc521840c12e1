//! The same playbooks through ansible-playbook (ansible-core 2.19 from PyPI) and drover:
//! the console output must match once timestamps are masked and the host lines of each
//! task are sorted (both engines print hosts in completion order), and so must the exit
//! code. Needs ansible-core in $ANSIBLE_VENV (default /tmp/ansible-venv); scripts/test
//! installs it and sets DROVER_REQUIRE_ANSIBLE=1 so that a missing oracle fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{run, Scratch};

fn ansible_playbook() -> Option<PathBuf> {
    let venv = std::env::var("ANSIBLE_VENV").unwrap_or_else(|_| "/tmp/ansible-venv".into());
    let bin = Path::new(&venv).join("bin/ansible-playbook");
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var("DROVER_REQUIRE_ANSIBLE").as_deref() != Ok("1"),
        "ansible-playbook not found in {venv} and DROVER_REQUIRE_ANSIBLE=1"
    );
    eprintln!("note: {} missing, differential test skipped", bin.display());
    None
}

fn mask(line: &str) -> String {
    // A template's diff names the rendered file: ansible-core's is a temporary copy
    // on the controller, drover's the template itself (README: compatibility).
    if line.starts_with("+++ after: ") && line.ends_with(".j2") {
        return "+++ after: (the rendered template)".into();
    }
    // "included: FILE for h2, h1": the hosts come in the order they finished.
    if let Some((head, hosts)) = line
        .strip_prefix("included: ")
        .and_then(|rest| rest.rsplit_once(" for "))
    {
        // "... for h2, h1 => (item=a)": the item follows the hosts.
        let (hosts, item) = hosts
            .split_once(" => ")
            .map_or((hosts, None), |(h, i)| (h, Some(i)));
        let mut hosts: Vec<&str> = hosts.split(", ").collect();
        hosts.sort_unstable();
        let item = item.map(|i| format!(" => {i}")).unwrap_or_default();
        return format!("included: {head} for {}{item}", hosts.join(", "));
    }
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // "2026-11-23 08:21:54.724461" and "0:00:00.007716" -> TS
        let rest: String = chars[i..].iter().take(26).collect();
        let is_ts = rest.len() == 26
            && rest.as_bytes()[4] == b'-'
            && rest.as_bytes()[10] == b' '
            && rest.as_bytes()[19] == b'.';
        let delta: String = chars[i..].iter().take(14).collect();
        let is_delta =
            delta.len() == 14 && delta.starts_with("0:00:") && delta.as_bytes()[7] == b'.';
        if is_ts {
            out.push_str("TS");
            i += 26;
        } else if is_delta && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            out.push_str("TS");
            i += 14;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Output with each section's host records sorted.
fn normalize(out: &str) -> String {
    normalize_with(out, true)
}

/// [`normalize`], leaving out the `[ERROR]` reports unless `errors`.
fn normalize_with(out: &str, errors: bool) -> String {
    let is_section = |l: &str| {
        l.starts_with("TASK [")
            || l.starts_with("PLAY [")
            || l.starts_with("RUNNING HANDLER [")
            || l.starts_with("PLAY RECAP")
    };
    let starts_record = |l: &str| {
        [
            "ok: ",
            "changed: ",
            "skipping: ",
            "fatal: ",
            "failed: ",
            "included: ",
            "[ERROR]",
            "[WARNING]",
            "FAILED - RETRYING",
            // After a loop's items, whose hosts interleave.
            "...ignoring",
        ]
        .iter()
        .any(|p| l.starts_with(p))
    };
    let mut result = Vec::new();
    let mut records: Vec<String> = Vec::new();
    let flush = |records: &mut Vec<String>, result: &mut Vec<String>| {
        records.sort();
        result.append(records);
    };
    // Blank lines only separate sections; where they fall depends on host order.
    for line in out.lines().filter(|l| !l.trim().is_empty()).map(mask) {
        if is_section(&line) {
            flush(&mut records, &mut result);
            result.push(line);
        } else if starts_record(&line) || records.is_empty() {
            records.push(line);
        } else if let Some(last) = records.last_mut() {
            last.push('\n');
            last.push_str(&line);
        }
    }
    flush(&mut records, &mut result);
    if !errors {
        result.retain(|r| !r.starts_with("[ERROR]"));
    }
    result.join("\n")
}

fn compare(playbook: &str) {
    compare_with(playbook, &[]);
}

/// Like [`compare`], with more arguments after the inventory (run in tests/playbooks).
fn compare_with(playbook: &str, args: &[&str]) {
    compare_in_env(playbook, args, &[]);
}

/// Both engines with `env` set (a value of `None` unsets the variable).
fn compare_in_env(playbook: &str, args: &[&str], env: &[(&str, Option<&str>)]) {
    let with_env = |cmd: &mut Command| {
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
    };
    let Some(ansible) = ansible_playbook() else {
        return;
    };
    let s = Scratch::new();
    let python = ansible.parent().unwrap().join("python");
    let inv = s.write(
        "inv.ini",
        &format!("[all:vars]\nansible_python_interpreter={}\n[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\n", python.display()),
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/playbooks");
    let book = dir.join(playbook);
    let mut theirs = Command::new(&ansible);
    with_env(&mut theirs);
    let mut ours = s.drover();
    with_env(&mut ours);
    let theirs = run(theirs
        .arg("-i")
        .arg(&inv)
        .args(args)
        .arg(&book)
        .current_dir(&dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("HOME", &s.home)
        .env("ANSIBLE_LOCAL_TEMP", s.path("ansible-tmp")));
    let ours = run(ours
        .arg("play")
        .arg("-i")
        .arg(&inv)
        .args(args)
        .arg(&book)
        .current_dir(&dir));
    assert_eq!(
        ours.code,
        theirs.code,
        "exit codes differ\n--- ansible\n{}\n--- drover\n{}",
        theirs.show(),
        ours.show()
    );
    let errors = !env.iter().any(|(k, _)| *k == WITHOUT_ERROR_DETAILS);
    let (a, d) = (
        normalize_with(&theirs.stdout, errors),
        normalize_with(&ours.stdout, errors),
    );
    if a != d {
        let diff = similar::TextDiff::from_lines(&a, &d)
            .unified_diff()
            .header("ansible-playbook", "drover")
            .to_string();
        panic!("outputs differ:\n{diff}");
    }
}

/// Set in a comparison's environment: compare without the `[ERROR]` reports, whose
/// `Origin:` for an untrusted value points at the value's definition in ansible-core
/// (drover tracks no value origins and points at the conditional; README).
const WITHOUT_ERROR_DETAILS: &str = "DROVER_TEST_WITHOUT_ERROR_DETAILS";

#[test]
fn basics_match_ansible_playbook() {
    compare("basics.yml");
}

#[test]
fn the_playbook_language_matches_ansible_playbook() {
    compare("language.yml");
}

#[test]
fn control_flow_matches_ansible_playbook() {
    compare("control.yml");
}

#[test]
fn inventory_changes_match_ansible_playbook() {
    compare("inventory_changes.yml");
}

/// The constructed plugin's `use_extra_vars`: ansible-playbook hands its `-e` to
/// inventory plugins, so the play sees the groups and variables they made from them.
#[test]
fn constructed_inventory_sees_extra_vars_as_in_ansible_playbook() {
    compare_with(
        "extra_vars_constructed.yml",
        &[
            "-i",
            "inventory/constructed.yml",
            "-e",
            "from_extras=hey",
            "-e",
            "@inventory/extra.yml",
        ],
    );
}

#[test]
fn normalizing_masks_times_and_sorts_hosts() {
    let out = "TASK [x] ***\nok: [h2] => {\n    \"msg\": 1\n}\nok: [h1]\n\"delta\": \"0:00:00.003547\", \"end\": \"2026-11-23 07:53:34.780292\"";
    assert_eq!(
        normalize(out),
        "TASK [x] ***\nok: [h1]\n\"delta\": \"TS\", \"end\": \"TS\"\nok: [h2] => {\n    \"msg\": 1\n}"
    );
}

/// `--list-tasks`/`--list-tags` output, byte for byte.
fn compare_listing(args: &[&str]) {
    let Some(ansible) = ansible_playbook() else {
        return;
    };
    let s = Scratch::new();
    let inv = s.write("inv.ini", "h1 ansible_connection=local\n");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/playbooks");
    let theirs = run(Command::new(&ansible)
        .arg("-i")
        .arg(&inv)
        .args(args)
        .current_dir(&dir)
        .env("HOME", &s.home));
    let ours = run(s
        .drover()
        .arg("play")
        .arg("-i")
        .arg(&inv)
        .args(args)
        .current_dir(&dir));
    assert_eq!(
        (ours.code, &ours.stdout),
        (theirs.code, &theirs.stdout),
        "{args:?}\n{}",
        ours.show()
    );
}

#[test]
fn task_and_tag_listings_match_ansible_playbook() {
    compare_listing(&["language.yml", "--list-tasks"]);
    compare_listing(&["language.yml", "--list-tags"]);
    compare_listing(&["language.yml", "--list-tasks", "--tags", "never"]);
    compare_listing(&["basics.yml", "control.yml", "--list-tasks", "--list-tags"]);
    compare_listing(&[
        "language.yml",
        "--list-tasks",
        "--skip-tags",
        "never,always",
    ]);
}

#[test]
fn start_at_task_matches_ansible_playbook() {
    let Some(ansible) = ansible_playbook() else {
        return;
    };
    let s = Scratch::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/playbooks");
    let python = ansible.parent().unwrap().join("python");
    let inv = s.write(
        "inv2.ini",
        &format!(
            "h1 ansible_connection=local ansible_python_interpreter={}\n",
            python.display()
        ),
    );
    let args = ["basics.yml", "--start-at-task", "set a*"];
    let theirs = run(Command::new(&ansible)
        .arg("-i")
        .arg(&inv)
        .args(args)
        .current_dir(&dir)
        .env("HOME", &s.home)
        .env("ANSIBLE_NOCOLOR", "1"));
    let ours = run(s
        .drover()
        .arg("play")
        .arg("-i")
        .arg(&inv)
        .args(args)
        .current_dir(&dir));
    assert_eq!(ours.code, theirs.code, "{}", ours.show());
    assert_eq!(
        normalize(&ours.stdout),
        normalize(&theirs.stdout),
        "{}",
        ours.show()
    );
}

#[test]
fn undefined_values_fail_as_in_ansible_playbook() {
    compare("undefined.yml");
}

#[test]
fn templated_import_playbook_paths_match_ansible_playbook() {
    compare_with(
        "import_playbook.yml",
        &[
            "-e",
            "pb=imported/first.yml",
            "-e",
            "over=imported/second.yml",
        ],
    );
}

#[test]
fn templated_static_import_paths_match_ansible_playbook() {
    compare_with("static_imports.yml", &["-e", "from_extra=tasks/inc.yml"]);
}

#[test]
fn the_module_of_action_is_resolved_when_the_task_runs_as_in_ansible_playbook() {
    compare("late_actions.yml");
}

#[test]
fn handlers_of_an_imported_role_inherit_its_keywords_as_in_ansible_playbook() {
    compare("role_handlers.yml");
}

#[test]
fn role_privacy_matches_ansible_playbook() {
    for setting in [None, Some("1"), Some("0")] {
        compare_in_env(
            "role_privacy.yml",
            &[],
            &[("ANSIBLE_PRIVATE_ROLE_VARS", setting)],
        );
    }
}

#[test]
fn config_lookups_match_ansible_playbook() {
    compare_in_env(
        "config_lookup.yml",
        &[],
        &[
            ("ANSIBLE_FORKS", Some("3")),
            ("ANSIBLE_PRIVATE_ROLE_VARS", Some("on")),
        ],
    );
}

#[test]
fn include_keywords_match_ansible_playbook() {
    compare("include_keywords.yml");
}

#[test]
fn include_errors_match_ansible_playbook() {
    compare("include_errors.yml");
}

#[test]
fn a_malformed_include_ends_the_run_as_in_ansible_playbook() {
    compare("include_malformed.yml");
}

#[test]
fn task_args_from_one_template_match_ansible_playbook() {
    compare("task_args.yml");
}

#[test]
fn loop_forms_match_ansible_playbook() {
    compare("loops.yml");
}

#[test]
fn play_keywords_and_meta_tasks_match_ansible_playbook() {
    compare("plays.yml");
}

#[test]
fn variables_match_ansible_playbook() {
    compare("variables.yml");
}

#[test]
fn handlers_match_ansible_playbook() {
    compare("handlers.yml");
}

#[test]
fn blocks_and_errors_match_ansible_playbook() {
    compare("blocks.yml");
}

#[test]
fn filters_and_tests_match_ansible_playbook() {
    compare("filters.yml");
}

#[test]
fn file_changes_match_ansible_playbook_in_diff_and_check_modes() {
    compare_with("changes.yml", &["--diff"]);
    compare_with("changes.yml", &["--check", "--diff"]);
}

#[test]
fn registered_results_match_ansible_playbook() {
    compare("results.yml");
}

#[test]
fn no_log_hides_what_ansible_playbook_hides() {
    compare("secrets.yml");
}

#[test]
fn verbose_output_matches_ansible_playbook() {
    compare_with("variables.yml", &["-v"]);
    compare_with("handlers.yml", &["-v"]);
}

#[test]
fn conditionals_trust_what_ansible_playbook_trusts() {
    for allow in ["true", "false"] {
        compare_in_env(
            "conditionals.yml",
            &[],
            &[
                ("ANSIBLE_ALLOW_BROKEN_CONDITIONALS", Some(allow)),
                (WITHOUT_ERROR_DETAILS, Some("1")),
            ],
        );
    }
}

#[test]
fn lookup_and_loop_corners_match_ansible_playbook() {
    // ansible-core's reports of a failed loop lookup say "Origin: <unknown>"; drover's
    // point at the task.
    compare_in_env("edges.yml", &[], &[(WITHOUT_ERROR_DETAILS, Some("1"))]);
}

#[test]
fn role_entry_keywords_match_ansible_playbook() {
    compare("role_keywords.yml");
    compare_with("role_keywords.yml", &["-v"]);
}
