//! `--list-tasks` and `--list-tags` in ansible-playbook's layout.

use std::path::PathBuf;

use drover_engine::TagFilter;
use drover_playbook::Playbook;
use drover_yaml::SourceError;

fn tag_list(tags: &[String]) -> String {
    format!("[{}]", tags.join(", "))
}

pub fn render(
    playbooks: &[Playbook],
    paths: &[PathBuf],
    filter: &TagFilter,
    tasks: bool,
    tags: bool,
) -> Result<String, SourceError> {
    let mut out = String::new();
    for (pb, path) in playbooks.iter().zip(paths) {
        out.push_str(&format!("\nplaybook: {}\n", path.display()));
        for (i, play) in pb.plays.iter().enumerate() {
            let mut play_tags = play.tags.clone();
            play_tags.sort();
            play_tags.dedup();
            let name = play.name.clone().unwrap_or_else(|| play.hosts.clone());
            out.push_str(&format!(
                "\n  play #{} ({}): {name}\tTAGS: {}\n",
                i + 1,
                play.hosts,
                tag_list(&play_tags)
            ));
            let listed = drover_engine::list_tasks(play, filter)?;
            if tasks {
                out.push_str("    tasks:\n");
                for t in &listed {
                    out.push_str(&format!("      {}\tTAGS: {}\n", t.name, tag_list(&t.tags)));
                }
            }
            if tags {
                // Without a selection every task's tags count, `never` ones included.
                let everything = TagFilter {
                    only: vec!["all".into(), "never".into()],
                    skip: Vec::new(),
                };
                let listed = if filter.only.is_empty() && filter.skip.is_empty() {
                    drover_engine::list_tasks(play, &everything)?
                } else {
                    listed
                };
                let mut all: Vec<String> =
                    listed.iter().flat_map(|t| t.tags.iter().cloned()).collect();
                all.sort();
                all.dedup();
                out.push_str(&format!("      TASK TAGS: {}\n", tag_list(&all)));
            }
        }
    }
    Ok(out)
}
