//! The `free` (and `host_pinned`) strategy: every host runs through a section's tasks
//! at its own pace, `--forks` hosts at a time, instead of in lockstep.
//!
//! Banners follow the results, as ansible-core's default callback does for these
//! strategies: a host's task banner is shown just before that host's first line under
//! it, and again whenever another task's lines came in between.

use std::cell::RefCell;

use futures::StreamExt;

use crate::compile::Node;
use crate::events::Event;
use crate::play::{PlayCtx, Runner};

tokio::task_local! {
    /// The banner of the task this host's run is at, not shown yet: (key, event).
    static PENDING: RefCell<Option<(String, Event)>>;
}

/// Whether a play's `strategy` runs its hosts independently.
pub(crate) fn is_free(strategy: Option<&serde_json::Value>) -> bool {
    matches!(
        strategy
            .and_then(|v| v.as_str())
            .map(drover_playbook::canonical_action),
        Some("free" | "host_pinned")
    )
}

impl Runner<'_> {
    /// Run `section` on each live host of `batch` on its own.
    pub(crate) async fn run_free(&self, pc: &PlayCtx<'_>, section: &[Node], batch: &[String]) {
        if pc.max_fail_percentage.is_some() {
            self.emit(Event::Warning("Using max_fail_percentage with the free strategy is not supported, as tasks are executed independently on each host".into()));
        }
        let forks = self.opts.forks.max(1);
        let hosts: Vec<[String; 1]> = self.alive(batch).iter().map(|h| [h.name.clone()]).collect();
        futures::stream::iter(
            hosts
                .iter()
                .map(|one| PENDING.scope(RefCell::new(None), self.run_nodes(pc, section, one, 0))),
        )
        .buffer_unordered(forks)
        .collect::<Vec<()>>()
        .await;
    }

    /// In a host's free run, keep a task's banner until that host has a line to show
    /// under it; `false` outside one (show it now).
    pub(crate) fn defer_banner(&self, event: &Event) -> bool {
        let (Event::TaskStart { name, location } | Event::HandlerStart { name, location }) = event
        else {
            return false;
        };
        // Outside a host's free run (the linear strategy) this does nothing.
        PENDING
            .try_with(|p| {
                let key = format!(
                    "{}:{}:{}:{name}",
                    location.file.path.display(),
                    location.pos.line,
                    location.pos.col
                );
                *p.borrow_mut() = Some((key, event.clone()));
            })
            .is_ok()
    }

    /// The banner a host's line must come after, if it is not the last one shown.
    pub(crate) fn banner_due(
        &self,
        event: &Event,
        last: &std::sync::Mutex<Option<String>>,
    ) -> Option<Event> {
        if !matches!(
            event,
            Event::HostResult(_)
                | Event::TaskError { .. }
                | Event::Included { .. }
                | Event::Retry { .. }
                | Event::Display(_)
        ) {
            return None;
        }
        let (key, banner) = PENDING.try_with(|p| p.borrow().clone()).ok().flatten()?;
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_deref() == Some(key.as_str()) {
            return None;
        }
        *last = Some(key);
        Some(banner)
    }
}
