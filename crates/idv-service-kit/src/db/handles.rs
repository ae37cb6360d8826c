//! The SQLite files this process has opened, and how often: one [`super::Database`] handle per
//! file and process is the rule (a service's server, its background tasks and, in the
//! in-process launcher, the operator's commands all share the service's handle). A second
//! handle is safe for SQLite's locks since the file is created by SQLite itself, but it doubles
//! the connections and splits the process's write queue in two, so its opening is logged as a
//! warning and counted ([`sqlite_handles`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// How many handles of this process opened a SQLite file, and how many are open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SqliteHandles {
    /// Handles opened on the file since the process started.
    pub opened: u64,
    /// Handles open now (a handle and its clones count once, until the last is dropped).
    pub open: u64,
}

static FILES: Mutex<BTreeMap<PathBuf, SqliteHandles>> = Mutex::new(BTreeMap::new());

/// The handles of this process on the SQLite file `path` (as given to the URL, or canonical).
pub fn sqlite_handles(path: &Path) -> SqliteHandles {
    let key = canonical(path);
    FILES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .copied()
        .unwrap_or_default()
}

/// The canonical path (symbolic links and `..` resolved, which reads directories, never the
/// file's contents), or the path as given when that fails.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// A handle's registration; dropped with the last clone of its [`super::Database`].
#[derive(Debug)]
pub(super) struct Registered {
    path: PathBuf,
}

impl Registered {
    /// Counts a handle opened on `path` (after SQLite created the file).
    pub(super) fn open(path: &Path) -> Self {
        let path = canonical(path);
        let mut files = FILES.lock().unwrap_or_else(PoisonError::into_inner);
        let handles = files.entry(path.clone()).or_default();
        handles.opened += 1;
        handles.open += 1;
        if handles.open > 1 {
            tracing::warn!(
                db.path = %path.display(),
                db.open_handles = handles.open,
                "another database handle on a SQLite file this process has open: share the \
                 first one"
            );
        }
        Self { path }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut files = FILES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(handles) = files.get_mut(&self.path) {
            handles.open = handles.open.saturating_sub(1);
        }
    }
}
