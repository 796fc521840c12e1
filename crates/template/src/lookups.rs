//! Lookup plugins.

use std::sync::Arc;

use minijinja::Environment;
use serde_json::Value as Json;

use crate::context::Ctx;
use crate::error::TemplateError;

pub(crate) fn register(env: &mut Environment<'static>) {
    let _ = env;
}

pub(crate) fn run_json(
    plugin: &str,
    _terms: &[Json],
    _kwargs: &serde_json::Map<String, Json>,
    _ctx: &Arc<Ctx>,
) -> Result<Vec<Json>, TemplateError> {
    Err(TemplateError::new(format!(
        "lookup plugin '{plugin}' not found"
    )))
}
