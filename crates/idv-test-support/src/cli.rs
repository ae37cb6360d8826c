//! A service's command line as a test runs it: what a command printed, and `init` run twice
//! (the issuer's and the trust framework's `init` alike create a key and one operator token).

use std::fmt::Debug;

/// Asserts that `what` (a command, or `serve`) was refused because `db` was not initialised:
/// `error` says to run `<service> init` first and, for SQLite, names the file, which it did not
/// create.
pub fn assert_refused_before_init(service: &str, db: &crate::TestDb, what: &str, error: &str) {
    assert!(
        error.contains(&format!("no {service} database"))
            && error.contains(&format!("run `{service} init` first")),
        "{what}: {error}"
    );
    if let Some(file) = db.url().strip_prefix("sqlite://") {
        assert!(error.contains(file), "{what}: {error}");
        assert!(
            !std::path::Path::new(file).exists(),
            "{what} created {file}"
        );
    }
}

/// What `command` printed to the output it is given; it must succeed.
pub async fn printed<E: Debug>(command: impl AsyncFnOnce(&mut Vec<u8>) -> Result<(), E>) -> String {
    let mut out = Vec::new();
    if let Err(error) = command(&mut out).await {
        panic!("the command failed: {error:?}");
    }
    match String::from_utf8(out) {
        Ok(text) => text,
        Err(error) => panic!("the command printed something other than UTF-8: {error}"),
    }
}

/// Runs `init` twice and checks what it printed: the first run says `created` and shows the
/// operator token once; the second changes nothing and shows no token. Returns the key id both
/// print after `kid_label`, which must be the same.
pub async fn init_twice(init: impl AsyncFn() -> String, created: &str, kid_label: &str) -> String {
    let first = init().await;
    let second = init().await;
    assert!(first.contains(created), "{first}");
    assert!(first.contains("Operator API token (shown once"), "{first}");
    assert!(second.contains("was not changed"), "{second}");
    assert!(second.contains("not shown again"), "{second}");
    let kid = |out: &str| {
        out.lines()
            .find_map(|line| line.strip_prefix(kid_label))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no `{kid_label}` in {out}"))
    };
    let kid_first = kid(&first);
    assert_eq!(kid_first, kid(&second), "init keeps the key");
    kid_first
}
