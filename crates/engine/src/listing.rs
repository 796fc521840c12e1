//! What `--list-tasks` and `--list-tags` show: a play's tasks after imports, roles and
//! the tag selection, as ansible-playbook lists them (block tasks only, not `rescue` or
//! `always`, nor handlers), each with its own and inherited tags.

use drover_playbook::Play;
use drover_yaml::SourceError;

use crate::compile::{Compiler, Node};
use crate::tags::TagFilter;
use crate::tree::{is_action, task_name};

pub struct ListedTask {
    pub name: String,
    /// Sorted, without duplicates.
    pub tags: Vec<String>,
}

pub fn list_tasks(play: &Play, tags: &TagFilter) -> Result<Vec<ListedTask>, SourceError> {
    let dir = crate::play::playbook_dir(play);
    let plan = Compiler::new(dir.into(), &is_action, tags)
        .with_vars(&play.vars, &Default::default())
        .plan(play)?;
    let mut out = Vec::new();
    for section in &plan.sections {
        collect(section, &mut out);
    }
    Ok(out)
}

fn collect(nodes: &[Node], out: &mut Vec<ListedTask>) {
    for node in nodes {
        match node {
            Node::Task(t) if crate::compile::is_role_end(t) => {}
            Node::Task(t) => {
                let mut tags = t.tags.clone();
                tags.sort();
                tags.dedup();
                // --list-tasks names an unnamed include_role by its action alone.
                let name = match &t.name {
                    None if t.action == "include_role" => t.action.clone(),
                    _ => task_name(t),
                };
                out.push(ListedTask { name, tags });
            }
            Node::Block { block, .. } => collect(block, out),
        }
    }
}
