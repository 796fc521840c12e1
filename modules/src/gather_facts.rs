//! `gather_facts`: what a play's fact gathering does, as a task. ansible-core runs its
//! configured fact modules (`setup` by default); drover's one fact module is `setup`,
//! so this is `setup` with `parallel` accepted.

use async_trait::async_trait;

use crate::{setup, Ctx, Module, ModuleError, ModuleResult};

pub struct GatherFacts;

#[async_trait]
impl Module for GatherFacts {
    fn name(&self) -> &'static str {
        "gather_facts"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let mut options = setup::OPTIONS.to_vec();
        options.push("parallel");
        ctx.args.check_supported("gather_facts", &options)?;
        // One module runs, so there is nothing to run in parallel; still a bool.
        ctx.args.bool("parallel", false)?;
        let mut r = setup::gather(ctx).await?;
        // What tells ansible-core's executor that facts were gathered (kept in
        // `ansible_facts`, never a variable of its own).
        if let Some(serde_json::Value::Object(facts)) = r.get_mut("ansible_facts") {
            facts.insert("_ansible_facts_gathered".into(), true.into());
        }
        Ok(r)
    }
}
