//! Background jobs of modules other than the command family (`async: N` with
//! `poll: 0` on `apt`, `get_url`, `copy`, ...). drover's modules run on the controller,
//! so such a job is the module running in a task of its own while the play goes on,
//! over the host's connection; `async_status` reads its result here. The command family
//! runs detached on the host instead (see `drover_modules::async_status`).
//!
//! A job that is still running when the last play ends is waited for (within its
//! `async` limit) before the recap: ansible-core's job would go on on the host after
//! ansible-playbook exits, and drover's would die with the process.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use drover_connection::{Become, ConnError, Connection};
use drover_modules::{Args, Ctx, Module, ModuleError, ModuleResult, SearchKind, Target};
use drover_template::{Templar, TextOptions};
use serde_json::Value;

use crate::vars::Scope;

#[derive(Default)]
pub(crate) struct Jobs {
    /// Job id -> its result once finished (`None` while it runs).
    results: Arc<Mutex<HashMap<String, Option<ModuleResult>>>>,
    running: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// What a job needs of its task, owned so that it can outlive the task.
pub(crate) struct Job {
    pub id: String,
    pub module: &'static dyn Module,
    pub host: String,
    pub args: serde_json::Map<String, Value>,
    pub check_mode: bool,
    pub diff: bool,
    pub verbosity: u8,
    /// `async: N`: the job fails when it has not finished within N seconds.
    pub limit: Option<f64>,
    pub target: JobTarget,
}

impl Jobs {
    /// Starts `job`; its result is kept for `async_status`.
    pub fn spawn(&self, job: Job) {
        let results = self.results.clone();
        lock(&results).insert(job.id.clone(), None);
        let handle = tokio::spawn(async move {
            let mut job = job;
            let ctx = Ctx {
                host: &job.host,
                args: Args::new(std::mem::take(&mut job.args)),
                check_mode: job.check_mode,
                diff: job.diff,
                verbosity: job.verbosity,
                target: &job.target,
            };
            let outcome = match job.limit {
                Some(secs) => {
                    let deadline = std::time::Duration::from_secs_f64(secs);
                    match tokio::time::timeout(deadline, job.module.run(&ctx)).await {
                        Ok(r) => r,
                        Err(_) => Err(ModuleError::Failed(format!(
                            "async task did not complete within the requested time - {secs}s"
                        ))),
                    }
                }
                None => job.module.run(&ctx).await,
            };
            let result = match outcome {
                Ok(r) => r,
                Err(e) => {
                    let mut r = ModuleResult::new();
                    r.insert("failed".into(), true.into());
                    if matches!(e, ModuleError::Unreachable(_)) {
                        r.insert("unreachable".into(), true.into());
                    }
                    r.insert("msg".into(), e.to_string().into());
                    r
                }
            };
            lock(&results).insert(job.id, Some(result));
        });
        lock(&self.running).push(handle);
    }

    /// A job's state: `None` for a job this run did not start, `Some(None)` while it
    /// runs, else its result.
    pub fn status(&self, id: &str) -> Option<Option<ModuleResult>> {
        lock(&self.results).get(id).cloned()
    }

    /// `async_status: mode=cleanup`: forgets a job (a running one goes on).
    pub fn forget(&self, id: &str) -> bool {
        lock(&self.results).remove(id).is_some()
    }

    /// Waits for the jobs still running.
    pub async fn wait_all(&self) {
        let handles = std::mem::take(&mut *lock(&self.running));
        for h in handles {
            let _ = h.await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The host as a job sees it: the connection its task opened, and the task's
/// variables and files.
pub(crate) struct JobTarget {
    pub connection: Arc<dyn Connection>,
    pub become_spec: Option<Become>,
    pub templar: Templar,
    pub scope: Scope,
    pub environment: Vec<(String, String)>,
    pub playbook_dir: PathBuf,
    pub role_path: Option<PathBuf>,
}

#[async_trait]
impl Target for JobTarget {
    async fn connection(&self) -> Result<Arc<dyn Connection>, ConnError> {
        Ok(self.connection.clone())
    }

    fn become_spec(&self) -> Option<&Become> {
        self.become_spec.as_ref()
    }

    fn evaluate(&self, expr: &str) -> Result<Option<Value>, String> {
        match self.templar.expression(expr, &self.scope) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_undefined() => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn condition(&self, expr: &str) -> Result<bool, String> {
        self.templar
            .condition(expr, &self.scope)
            .map_err(|e| e.to_string())
    }

    fn conditions(&self, that: &Value) -> Result<Vec<drover_template::Condition>, String> {
        self.templar
            .conditions_of(that, &self.scope)
            .map_err(|e| e.to_string())
    }

    fn environment(&self) -> Vec<(String, String)> {
        self.environment.clone()
    }

    fn render_text(
        &self,
        text: &str,
        opts: &TextOptions,
    ) -> Result<String, drover_template::TemplateError> {
        crate::task::render_controller_text(
            &self.templar,
            &self.scope,
            self.role_path.as_deref(),
            &self.playbook_dir,
            text,
            opts,
        )
    }

    fn find_file(&self, kind: SearchKind, name: &str) -> Option<PathBuf> {
        crate::task::find_controller_file(kind, name, self.role_path.as_deref(), &self.playbook_dir)
    }

    fn playbook_dir(&self) -> PathBuf {
        self.playbook_dir.clone()
    }
}
