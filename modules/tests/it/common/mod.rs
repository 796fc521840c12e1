//! Runs a module against a real host: an SSH connection to a throwaway sshd (or the
//! local connection), with variables, check and diff flags as the engine would pass.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use drover_connection::{Become, ConnError, Connection, HostKeyChecking, SshParams};
use drover_modules::{Args, Ctx, ModuleError, ModuleResult, SearchKind, Target, TextOptions};
use drover_template::Templar;
use drover_testsupport::SshServer;
use serde_json::{Map, Value};

pub struct TestHost {
    pub conn: Arc<dyn Connection>,
    pub vars: Map<String, Value>,
    pub become_spec: Option<Become>,
    /// Where relative `src:` files are found (`files/`, `templates/` below it).
    pub playbook_dir: PathBuf,
    pub templar: Templar,
    /// Keeps the server alive as long as the host.
    pub server: Option<SshServer>,
}

impl TestHost {
    /// A fresh sshd and a connection to it as the test user.
    pub async fn ssh() -> TestHost {
        let server = SshServer::start();
        let mut p = SshParams::new("testhost");
        p.address = "127.0.0.1".into();
        p.port = Some(server.port);
        p.user = Some(server.user.clone());
        p.identity_files = vec![server.client_key.clone()];
        p.host_key_checking = HostKeyChecking::Off;
        let conn = drover_connection::connect_ssh(p, Arc::new(drover_connection::TtyPrompt::new()))
            .await
            .expect("connect to test sshd");
        TestHost::with(conn, Some(server))
    }

    pub fn local() -> TestHost {
        TestHost::with(drover_connection::local(), None)
    }

    fn with(conn: Arc<dyn Connection>, server: Option<SshServer>) -> TestHost {
        TestHost {
            conn,
            vars: Map::new(),
            become_spec: None,
            playbook_dir: std::env::temp_dir(),
            templar: Templar::new(),
            server,
        }
    }

    /// Run module `name` with `args` (a JSON object).
    pub async fn run(
        &self,
        name: &str,
        args: Value,
        check_mode: bool,
        diff: bool,
    ) -> Result<ModuleResult, ModuleError> {
        let module = drover_modules::find(name).unwrap_or_else(|| panic!("no module {name}"));
        let Value::Object(map) = args else {
            panic!("args must be an object")
        };
        let ctx = Ctx {
            host: "testhost",
            args: Args::new(map),
            check_mode,
            diff,
            verbosity: 0,
            target: self,
        };
        module.run(&ctx).await
    }

    /// Run and expect a result (not a ModuleError).
    pub async fn ok(&self, name: &str, args: Value) -> ModuleResult {
        self.run(name, args, false, false)
            .await
            .unwrap_or_else(|e| panic!("{name} failed: {e}"))
    }

    /// A shell command on the host; its stdout.
    pub async fn sh(&self, cmd: &str) -> String {
        let out = self.conn.exec(cmd, None, None).await.expect("exec");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

#[async_trait]
impl Target for TestHost {
    async fn connection(&self) -> Result<Arc<dyn Connection>, ConnError> {
        Ok(self.conn.clone())
    }

    fn become_spec(&self) -> Option<&Become> {
        self.become_spec.as_ref()
    }

    fn evaluate(&self, expr: &str) -> Result<Option<Value>, String> {
        match self.templar.expression(expr, &self.vars) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_undefined() => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn conditions(&self, that: &Value) -> Result<Vec<drover_template::Condition>, String> {
        self.templar
            .conditions_of(that, &self.vars)
            .map_err(|e| e.to_string())
    }

    fn render_text(
        &self,
        text: &str,
        opts: &TextOptions,
    ) -> Result<String, drover_template::TemplateError> {
        self.templar.render_text(text, &self.vars, opts)
    }

    fn find_file(&self, kind: SearchKind, name: &str) -> Option<PathBuf> {
        let path = Path::new(name);
        if path.is_absolute() {
            return path.exists().then(|| path.to_path_buf());
        }
        let sub = match kind {
            SearchKind::Files => "files",
            SearchKind::Templates => "templates",
            SearchKind::Vars => "vars",
        };
        [
            self.playbook_dir.join(sub).join(path),
            self.playbook_dir.join(path),
        ]
        .into_iter()
        .find(|p| p.exists())
    }

    fn playbook_dir(&self) -> PathBuf {
        self.playbook_dir.clone()
    }
}
