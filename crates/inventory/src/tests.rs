//! Behaviour of the public API on inventories written to temporary directories.

use std::fs;
use std::path::Path;

use serde_json::json;

use crate::{Inventory, InventoryError};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn load_one(path: &str) -> Result<Inventory, InventoryError> {
    Inventory::load(&[path.to_string()])
}

#[test]
fn bad_ini_line_names_file_line_and_quotes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hosts", "[web]\nw1\nw2 port 22\n");
    let err = load_one(&path).unwrap_err().to_string();
    assert!(
        err.starts_with("Expected key=value host variable assignment, got: port"),
        "{err}"
    );
    assert!(err.contains(&format!("--> {path}:3:4")), "{err}");
    assert!(err.contains("3 | w2 port 22"), "{err}");
}

#[test]
fn yaml_syntax_error_in_yml_file_is_reported_as_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.yml", "all:\n  hosts:\n    a: [\n");
    let err = load_one(&path).unwrap_err();
    assert!(matches!(err, InventoryError::Yaml(_)), "{err}");
    assert!(err.to_string().contains("inv.yml"), "{err}");
}

#[test]
fn yaml_structure_errors_point_at_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.yml", "all:\n  hosts:\n    - a\n");
    let err = load_one(&path).unwrap_err().to_string();
    assert!(
        err.contains("Invalid \"hosts\" entry for \"all\" group"),
        "{err}"
    );
    assert!(err.contains(":3:"), "{err}");
}

#[test]
fn extensionless_file_can_be_yaml_or_ini() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = write(dir.path(), "a/hosts", "web:\n  hosts:\n    w1:\n");
    let inv = load_one(&yaml).unwrap();
    assert_eq!(inv.groups()["web"], ["w1"]);
    let ini = write(dir.path(), "b/hosts", "w1\nw2 x=1\n");
    let inv = load_one(&ini).unwrap();
    assert_eq!(inv.hosts().collect::<Vec<_>>(), ["w1", "w2"]);
}

#[test]
fn missing_source_is_an_error() {
    let err = load_one("/nonexistent/inventory").unwrap_err();
    assert!(matches!(err, InventoryError::NotFound(_)), "{err}");
}

#[test]
fn failing_script_reports_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "inv.sh",
        "#!/bin/sh\necho 'cannot reach the API' >&2\nexit 3\n",
    );
    make_executable(&path);
    let err = load_one(&path).unwrap_err().to_string();
    assert!(err.contains("non-zero exit code 3"), "{err}");
    assert!(err.contains("cannot reach the API"), "{err}");
}

#[test]
fn executable_ini_without_shebang_is_read_as_ini() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hosts", "[g]\nh1\n");
    make_executable(&path);
    assert_eq!(load_one(&path).unwrap().groups()["g"], ["h1"]);
}

fn make_executable(path: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn implicit_localhost_is_selectable_but_not_in_all() {
    let inv = Inventory::implicit();
    assert_eq!(inv.hosts().count(), 0);
    assert!(inv.select("all").unwrap().hosts.is_empty());
    assert_eq!(inv.select("localhost").unwrap().hosts, ["localhost"]);
    assert!(inv.host_exists("localhost"));
    assert!(inv.is_implicit_localhost("127.0.0.1"));
    assert_eq!(
        inv.host_vars("localhost")["ansible_connection"],
        json!("local")
    );
    assert!(inv.group_names("localhost").is_empty());
    assert_eq!(inv.groups()["all"], Vec::<String>::new());
    assert_eq!(inv.groups()["ungrouped"], Vec::<String>::new());
}

#[test]
fn explicit_localhost_replaces_the_implicit_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hosts", "localhost ansible_connection=ssh\n");
    let inv = load_one(&path).unwrap();
    assert!(!inv.is_implicit_localhost("localhost"));
    assert_eq!(
        inv.host_vars("localhost")["ansible_connection"],
        json!("ssh")
    );
    assert_eq!(inv.select("all").unwrap().hosts, ["localhost"]);
}

#[test]
fn precedence_child_over_parent_priority_then_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "hosts",
        "[parent:children]\nchild\n[child]\nh\n[zeta]\nh\n[alpha]\nh\n\
         [parent:vars]\nv=parent\nw=parent\n[child:vars]\nv=child\n\
         [zeta:vars]\nw=zeta\n[alpha:vars]\nw=alpha\nansible_group_priority=5\n[all:vars]\nv=all\nw=all\nu=all\n",
    );
    let inv = load_one(&path).unwrap();
    let vars = inv.host_vars("h");
    // child (depth 2) beats parent (depth 1); among depth-1 groups alpha's priority
    // 5 beats zeta's default 1, and zeta beats parent by name.
    assert_eq!(vars["v"], json!("child"));
    assert_eq!(vars["w"], json!("alpha"));
    assert_eq!(vars["u"], json!("all"));
    assert_eq!(inv.group_names("h"), ["alpha", "child", "parent", "zeta"]);
}

#[test]
fn vars_directories_rank_as_in_ansible() {
    let dir = tempfile::tempdir().unwrap();
    let inv_path = write(
        dir.path(),
        "inv/hosts",
        "[web]\nh1 hv=inline\n[web:vars]\nx=ini\n",
    );
    write(
        dir.path(),
        "inv/group_vars/all.yml",
        "x: gv_all\ny: gv_all\n",
    );
    write(dir.path(), "inv/group_vars/web.yml", "y: gv_web\n");
    write(dir.path(), "inv/host_vars/h1.yml", "hv: host_vars\n");
    write(
        dir.path(),
        "play/group_vars/all.yml",
        "y: play_all\nz: play_all\n",
    );
    write(dir.path(), "play/group_vars/web.yml", "z: play_web\n");
    write(dir.path(), "play/host_vars/h1.yml", "hv: play_host_vars\n");
    let mut inv = load_one(&inv_path).unwrap();
    let vars = inv.host_vars("h1");
    // group_vars/all beside the inventory outranks the inventory file's own group vars.
    assert_eq!(vars["x"], json!("gv_all"));
    assert_eq!(vars["y"], json!("gv_web"));
    assert_eq!(vars["hv"], json!("host_vars"));
    inv.load_vars_dirs(&dir.path().join("play")).unwrap();
    let vars = inv.host_vars("h1");
    assert_eq!(
        vars["y"],
        json!("gv_web"),
        "inventory group_vars/web beats playbook group_vars/all"
    );
    assert_eq!(vars["z"], json!("play_web"));
    assert_eq!(vars["hv"], json!("play_host_vars"));
    inv.clear_playbook_vars_dirs();
    assert!(!inv.host_vars("h1").contains_key("z"));
}

#[test]
fn groups_magic_var_includes_descendants() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "hosts",
        "lone\n[p:children]\nc\n[c]\nh2\n[p]\nh1\n",
    );
    let inv = load_one(&path).unwrap();
    let groups = inv.groups();
    assert_eq!(groups["p"], ["h1", "h2"]);
    assert_eq!(groups["ungrouped"], ["lone"]);
    assert_eq!(groups["all"], ["lone", "h1", "h2"]);
    assert_eq!(inv.group_names("lone"), ["ungrouped"]);
}

#[test]
fn limit_files_and_limited_selection() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hosts", "[web]\nw1\nw2\nw3\n");
    let limit = write(dir.path(), "limit.txt", "w3\nw1\n");
    let inv = load_one(&path).unwrap();
    let sel = inv
        .select_limited("web", Some(&format!("@{limit}")))
        .unwrap();
    assert_eq!(sel.hosts, ["w1", "w3"]);
    let sel = inv.select_limited("web", Some("w2,nope")).unwrap();
    assert_eq!(sel.hosts, ["w2"]);
    assert_eq!(sel.unmatched, ["nope"]);
    assert!(inv.select_limit("@/nonexistent").is_err());
}

#[test]
fn runtime_additions_join_groups_and_read_vars_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hosts", "[web]\nw1\n");
    write(dir.path(), "host_vars/new.yml", "from_file: 1\n");
    write(dir.path(), "group_vars/dyn.yml", "dyn_var: yes\n");
    let mut inv = load_one(&path).unwrap();
    let mut vars = indexmap::IndexMap::new();
    vars.insert("given".to_string(), json!(true));
    inv.add_host("new", &["dyn".to_string()], vars).unwrap();
    let v = inv.host_vars("new");
    assert_eq!(v["from_file"], json!(1));
    assert_eq!(v["dyn_var"], json!(true));
    assert_eq!(v["given"], json!(true));
    assert_eq!(inv.select("dyn").unwrap().hosts, ["new"]);
    inv.add_host_to_group("w1", "by_os", &["linux".to_string()])
        .unwrap();
    assert_eq!(inv.select("linux").unwrap().hosts, ["w1"]);
    assert_eq!(inv.group_names("w1"), ["by_os", "linux", "web"]);
}

#[test]
fn graph_of_a_subgroup_and_unknown_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hosts", "[p:children]\nc\n[c]\nh2\n[p]\nh1\n");
    let inv = load_one(&path).unwrap();
    assert_eq!(
        inv.graph(Some("p")).unwrap(),
        "@p:\n  |--@c:\n  |  |--h2\n  |--h1"
    );
    assert!(inv.graph(Some("nope")).is_err());
}

#[test]
fn inventory_file_and_dir_of_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv/hosts", "h1\n");
    let inv = Inventory::load(&[path.clone(), "h2,".to_string()]).unwrap();
    assert_eq!(inv.inventory_file("h1"), Some(path.as_str()));
    assert_eq!(inv.inventory_dir("h1"), Some(dir.path().join("inv")));
    assert_eq!(inv.inventory_file("h2"), Some("h2,"));
    assert_eq!(inv.inventory_dir("h2"), None);
}

#[test]
fn hostname_short() {
    assert_eq!(
        Inventory::inventory_hostname_short("web1.example.com"),
        "web1"
    );
    assert_eq!(Inventory::inventory_hostname_short("10.0.0.1"), "10.0.0.1");
}

#[test]
fn group_by_on_the_implicit_localhost_keeps_it_out_of_all() {
    let mut inv = Inventory::implicit();
    inv.add_host_to_group("localhost", "os_linux", &[]).unwrap();
    assert_eq!(inv.select("os_linux").unwrap().hosts, ["localhost"]);
    assert_eq!(inv.select("localhost").unwrap().hosts, ["localhost"]);
    assert!(inv.select("all").unwrap().hosts.is_empty());
    assert!(inv.select("local*").unwrap().hosts.is_empty());
    assert_eq!(inv.hosts().count(), 0);
    assert!(inv.is_implicit_localhost("localhost"));
    assert_eq!(inv.group_names("localhost"), ["os_linux"]);
    assert_eq!(
        inv.host_vars("localhost")["ansible_connection"],
        json!("local")
    );
    assert_eq!(inv.groups()["os_linux"], ["localhost"]);
    assert_eq!(inv.groups()["all"], Vec::<String>::new());
    let list = inv.to_list_json();
    assert!(list.get("os_linux").is_none(), "{list}");
}

#[test]
fn lenient_load_skips_a_source_that_does_not_parse_whole_and_warns_where() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.ini", "[web]\nw1\nw2 port 22\n");
    let good = write(dir.path(), "good.ini", "[db]\nd1\n");
    assert!(Inventory::load(&[bad.clone(), good.clone()]).is_err());
    let inv = Inventory::load_lenient(&[bad.clone(), good]).unwrap();
    // Nothing of the bad file is kept, not even the hosts before its bad line.
    let hosts: Vec<String> = inv.hosts().map(|h| h.to_string()).collect();
    assert_eq!(hosts, ["d1"]);
    assert_eq!(inv.unparsed(), [std::path::PathBuf::from(&bad)]);
    let warnings = inv.warnings().join("\n");
    assert!(warnings.contains(&format!("--> {bad}:3:4")), "{warnings}");
    assert!(
        warnings.contains(&format!("Unable to parse {bad} as an inventory source")),
        "{warnings}"
    );
}

#[test]
fn constructed_strict_failure_names_file_host_and_variable() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = write(dir.path(), "hosts.ini", "[web]\nweb1 os=debian\n");
    let conf = write(
        dir.path(),
        "c.yml",
        "plugin: constructed\nstrict: true\ncompose:\n  z: nothere + 1\n",
    );
    let err = Inventory::load(&[hosts.clone(), conf.clone()]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&conf), "{text}");
    assert!(text.contains("Could not set z for host web1"), "{text}");
    assert!(text.contains("nothere"), "{text}");

    // Not strict: the failing expression is skipped, the rest applies.
    let conf = write(
        dir.path(),
        "c.yml",
        "plugin: constructed\ncompose:\n  z: nothere + 1\n  upper: os | upper\nkeyed_groups:\n  - key: os\n    prefix: os\n",
    );
    let inv = Inventory::load(&[hosts, conf]).unwrap();
    let vars = inv.host_vars("web1");
    assert_eq!(vars.get("upper"), Some(&json!("DEBIAN")));
    assert!(!vars.contains_key("z"));
    assert_eq!(inv.group_names("web1"), vec!["os_debian", "web"]);
}

#[test]
fn unknown_inventory_plugin_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write(dir.path(), "aws.yml", "plugin: amazon.aws.aws_ec2\n");
    let err = load_one(&conf).unwrap_err().to_string();
    assert!(err.contains("unknown plugin 'amazon.aws.aws_ec2'"), "{err}");
}

#[test]
fn enabled_plugin_names() {
    let (plugins, unknown) = crate::Plugins::from_names(
        " ini, ansible.builtin.constructed ,nosuch,,ansible.legacy.host_list".split(','),
    );
    assert!(plugins.ini && plugins.host_list);
    assert_eq!(plugins.constructed, Some("ansible.builtin.constructed"));
    assert!(!plugins.yaml && !plugins.auto && !plugins.script && !plugins.toml);
    assert_eq!(unknown, ["nosuch"]);
    assert_eq!(crate::Plugins::default().constructed, None);
}
