//! Runs one drover module as an Ansible *binary module*, on the local host: Ansible
//! passes the path of a JSON file with the task's arguments and reads a JSON result.
//! Copied into an `ANSIBLE_LIBRARY` directory under a module's name (`lineinfile`), it
//! makes ansible-core's own integration targets exercise drover's implementation while
//! their `copy`/`stat`/`assert` tasks still run in ansible-core. A development tool for
//! `scripts/ansible-targets-text.sh`; not part of drover.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use drover_connection::{Become, ConnError, Connection};
use drover_modules::{Args, Ctx, SearchKind, Target, TextOptions};
use serde_json::{json, Map, Value};

struct Local(Arc<dyn Connection>);

#[async_trait]
impl Target for Local {
    async fn connection(&self) -> Result<Arc<dyn Connection>, ConnError> {
        Ok(self.0.clone())
    }
    fn become_spec(&self) -> Option<&Become> {
        None
    }
    fn evaluate(&self, _expr: &str) -> Result<Option<Value>, String> {
        Ok(None)
    }
    fn conditions(&self, _that: &Value) -> Result<Vec<drover_template::Condition>, String> {
        Err("this shim evaluates no conditionals".into())
    }
    fn render_text(
        &self,
        text: &str,
        _opts: &TextOptions,
    ) -> Result<String, drover_template::TemplateError> {
        Ok(text.to_string())
    }
    fn find_file(&self, _kind: SearchKind, name: &str) -> Option<PathBuf> {
        Path::new(name).exists().then(|| PathBuf::from(name))
    }
    fn playbook_dir(&self) -> PathBuf {
        PathBuf::from(".")
    }
}

fn main() {
    let module_name = std::env::args()
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    // Ansible names the copied binary after the module, with a suffix of its own.
    let name = [
        "lineinfile",
        "blockinfile",
        "replace",
        "wait_for_connection",
        "wait_for",
        "unarchive",
        "get_url",
        "uri",
        "setup",
    ]
    .into_iter()
    .find(|m| module_name.contains(m))
    .map(str::to_string)
    .unwrap_or(module_name);
    let args_path = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(&args_path).unwrap_or_default();
    let parsed: Value = serde_json::from_str(&text).unwrap_or(json!({}));
    let mut args = Map::new();
    let mut check = false;
    let mut diff = false;
    if let Value::Object(m) = parsed {
        for (k, v) in m {
            match k.as_str() {
                "_ansible_check_mode" => check = v.as_bool().unwrap_or(false),
                "_ansible_diff" => diff = v.as_bool().unwrap_or(false),
                k if k.starts_with("_ansible_") => {}
                _ => {
                    args.insert(k, v);
                }
            }
        }
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let out = rt.block_on(async {
        let target = Local(drover_connection::local());
        let Some(module) = drover_modules::find(&name) else {
            return json!({"failed": true, "msg": format!("no drover module {name}")});
        };
        let ctx = Ctx {
            host: "localhost",
            args: Args::new(args),
            check_mode: check,
            diff,
            verbosity: 0,
            target: &target,
        };
        match module.run(&ctx).await {
            Ok(r) => Value::Object(r),
            Err(e) => json!({"failed": true, "msg": e.to_string()}),
        }
    });
    println!("{out}");
}
