//! Another process holding a SQLite file's write lock, as an operator's `sqlite3` shell or a
//! maintenance tool does: python3's `sqlite3` module inside `BEGIN IMMEDIATE` until released.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The holder's program: take the lock, say so, and keep it until standard input closes.
const HOLD: &str = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); \
                    c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.read()";

/// A child process holding the write lock of a SQLite file until [`WriteLockHolder::release`]
/// (or until it is dropped, which closes its standard input too).
pub struct WriteLockHolder {
    child: Child,
}

impl WriteLockHolder {
    /// Starts the holder on the SQLite file at `path`; returns once it holds the lock.
    /// Panics if python3 does not start or does not take the lock.
    pub fn hold(path: &Path) -> Self {
        let mut child = match Command::new("python3")
            .arg("-c")
            .arg(HOLD)
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => panic!("python3 does not start: {e}"),
        };
        let Some(stdout) = child.stdout.take() else {
            panic!("the lock holder has no standard output");
        };
        let mut line = String::new();
        if let Err(e) = BufReader::new(stdout).read_line(&mut line) {
            panic!("the lock holder said nothing: {e}");
        }
        assert_eq!(
            line.trim(),
            "locked",
            "the lock holder did not take the lock"
        );
        Self { child }
    }

    /// Releases the lock (the holder's standard input closes) and checks that the holder
    /// exited cleanly.
    pub fn release(mut self) {
        drop(self.child.stdin.take());
        match self.child.wait() {
            Ok(status) => assert!(status.success(), "the lock holder failed: {status}"),
            Err(e) => panic!("the lock holder cannot be waited for: {e}"),
        }
    }
}
