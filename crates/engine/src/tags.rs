//! `--tags` / `--skip-tags` with Ansible's special tags: `always` runs unless skipped by
//! name, `never` runs only when asked for by name, `tagged`, `untagged` and `all`.

#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl TagFilter {
    pub fn selects(&self, tags: &[String]) -> bool {
        let has = |t: &str| tags.iter().any(|x| x == t);
        let only_all = self.only.is_empty() || self.only.iter().any(|t| t == "all");
        // A tag of the task's asked for by name (not through all/tagged/untagged).
        let named = self
            .only
            .iter()
            .any(|t| !matches!(t.as_str(), "all" | "tagged" | "untagged") && has(t));
        let mut run = if has("always") {
            true
        } else if has("never") {
            named
        } else if only_all || named {
            true
        } else {
            self.only.iter().any(|t| match t.as_str() {
                "tagged" => !tags.is_empty(),
                "untagged" => tags.is_empty(),
                _ => false,
            })
        };
        if !self.skip.is_empty() {
            let skipped = self.skip.iter().any(|t| match t.as_str() {
                "all" => !has("always"),
                "tagged" => !tags.is_empty(),
                "untagged" => tags.is_empty(),
                "always" => has("always"),
                t => has(t),
            });
            if skipped {
                run = false;
            }
        }
        run
    }
}

#[cfg(test)]
mod tests {
    use super::TagFilter;

    fn f(only: &[&str], skip: &[&str]) -> TagFilter {
        TagFilter {
            only: only.iter().map(|s| s.to_string()).collect(),
            skip: skip.iter().map(|s| s.to_string()).collect(),
        }
    }
    fn t(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn follows_ansible_special_tags() {
        assert!(f(&[], &[]).selects(&t(&[])));
        assert!(!f(&[], &[]).selects(&t(&["never"])));
        assert!(f(&["never"], &[]).selects(&t(&["never"])));
        assert!(f(&["x"], &[]).selects(&t(&["always"])));
        assert!(!f(&["x"], &["always"]).selects(&t(&["always"])));
        assert!(f(&["x"], &[]).selects(&t(&["x", "never"])));
        assert!(!f(&["x"], &[]).selects(&t(&["y"])));
        assert!(f(&["tagged"], &[]).selects(&t(&["y"])));
        assert!(!f(&["tagged"], &[]).selects(&t(&[])));
        assert!(f(&["untagged"], &[]).selects(&t(&[])));
        assert!(!f(&[], &["y"]).selects(&t(&["y", "z"])));
    }
}
