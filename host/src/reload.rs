//! When to reload rules: on SIGHUP, and (with `watch_config_files`) when the configuration or
//! a rules file changes on disk. The rebuild itself is the caller's (app) and runs off the
//! event path; the engine swaps the result in atomically (`engine::RulesHandle`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How often watched files are checked for changes.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// The reload triggers of one run.
pub struct ReloadTriggers {
    /// Each watched file and its modification time when last seen (`None`: missing).
    watched: Vec<(PathBuf, Option<SystemTime>)>,
    last_check: Instant,
}

impl ReloadTriggers {
    /// Watches `files` (empty: SIGHUP only).
    pub fn new(files: Vec<PathBuf>) -> ReloadTriggers {
        let watched = files.into_iter().map(|f| {
            let seen = modified(&f);
            (f, seen)
        });
        ReloadTriggers {
            watched: watched.collect(),
            last_check: Instant::now(),
        }
    }

    /// Replaces the watched files (after a reload that changed `rules_files`).
    pub fn rewatch(&mut self, files: Vec<PathBuf>) {
        *self = ReloadTriggers::new(files);
    }

    /// Whether a reload is due: a SIGHUP arrived or a watched file changed.
    pub fn requested(&mut self) -> bool {
        let signalled = crate::engine::take_reload_request();
        if signalled {
            self.refresh();
            return true;
        }
        if self.watched.is_empty() || self.last_check.elapsed() < WATCH_INTERVAL {
            return false;
        }
        self.last_check = Instant::now();
        self.refresh()
    }

    /// Records current modification times; whether any differed.
    fn refresh(&mut self) -> bool {
        let mut changed = false;
        for (path, seen) in &mut self.watched {
            let now = modified(path);
            if now != *seen {
                *seen = now;
                changed = true;
            }
        }
        changed
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_file_requests_one_reload() {
        let dir = std::env::temp_dir().join(format!("saker-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("rules.yaml");
        std::fs::write(&file, "- list: a\n  items: []\n").unwrap();
        let mut triggers = ReloadTriggers::new(vec![file.clone()]);
        triggers.last_check -= WATCH_INTERVAL;
        assert!(!triggers.requested(), "nothing changed yet");
        // Make the change visible even on coarse-mtime filesystems.
        let later = SystemTime::now() + Duration::from_secs(5);
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(later).unwrap();
        triggers.last_check -= WATCH_INTERVAL;
        assert!(triggers.requested());
        triggers.last_check -= WATCH_INTERVAL;
        assert!(!triggers.requested(), "the same change is reported once");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
