//! [`Unavailable`]: the failures that mean "the database cannot serve this now", as opposed to a
//! bug or a refused statement. The HTTP edge answers them with `503` and `Retry-After`
//! ([`crate::ApiError::internal_error`]); the service recovers by itself when the database
//! does, because the pool opens fresh connections for the next requests.

use std::error::Error as StdError;

use sqlx::postgres::{PgDatabaseError, PgSeverity};
use sqlx::sqlite::SqliteError;

/// Why the database cannot serve a statement for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unavailable {
    /// No connection became free, or none could be opened, within the pool's acquire timeout.
    #[error("no database connection within the acquire timeout")]
    PoolTimedOut,
    /// The connection broke or could not be made (refused, reset, closed by the server).
    #[error("the connection to the database failed")]
    Connection,
    /// The server refuses sessions for now: shutting down, starting up, not accepting
    /// connections to this database, too many connections (PostgreSQL `FATAL`, SQLSTATE
    /// classes 08 and 57P).
    #[error("the database server refuses sessions for now")]
    Refused,
    /// Another writer holds the SQLite file's lock longer than the busy timeout
    /// (`SQLITE_BUSY`, `SQLITE_LOCKED`).
    #[error("the database is locked by another writer")]
    Locked,
    /// The storage failed: disk full, I/O error, the file cannot be opened (`SQLITE_FULL`,
    /// `SQLITE_IOERR`, `SQLITE_CANTOPEN`; PostgreSQL SQLSTATE classes 53 and 58).
    #[error("the database's storage failed")]
    Storage,
    /// The handle is closed (the service is shutting down).
    #[error("the database handle is closed")]
    Closed,
}

// SQLite primary result codes (https://www.sqlite.org/rescode.html); the extended code's low
// byte is the primary one.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;

impl Unavailable {
    /// What `error` says about the database's availability: `None` for every failure that is
    /// not the database being unavailable (a constraint, a syntax error, a decoding bug).
    pub fn of(error: &sqlx::Error) -> Option<Self> {
        match error {
            sqlx::Error::PoolTimedOut => Some(Self::PoolTimedOut),
            sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => Some(Self::Closed),
            sqlx::Error::Io(io) => io_failure(io),
            sqlx::Error::Database(database) => {
                if let Some(pg) = database.try_downcast_ref::<PgDatabaseError>() {
                    return postgres(pg);
                }
                if database.try_downcast_ref::<SqliteError>().is_some() {
                    let code = database.code()?.parse::<i32>().ok()?;
                    return sqlite(code);
                }
                None
            }
            _ => None,
        }
    }

    /// The first [`Unavailable`] in `error`'s `source()` chain, `error` included: either one
    /// carried as such, or one a [`sqlx::Error`] of the chain says.
    pub fn in_chain(error: &(dyn StdError + 'static)) -> Option<Self> {
        let mut next = Some(error);
        while let Some(error) = next {
            if let Some(unavailable) = error.downcast_ref::<Self>() {
                return Some(*unavailable);
            }
            if let Some(sqlx) = error.downcast_ref::<sqlx::Error>() {
                return Self::of(sqlx);
            }
            next = error.source();
        }
        None
    }
}

/// An I/O error of a connection: unavailable, unless it carries a failed write group (see
/// [`super::group_commit`]), which says itself whether its cause was.
fn io_failure(io: &std::io::Error) -> Option<Unavailable> {
    if let Some(group) = io
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<super::group_commit::GroupFailed>())
    {
        return group.unavailable;
    }
    Some(Unavailable::Connection)
}

/// PostgreSQL's SQLSTATE and severity (PostgreSQL manual, Appendix A "Error Codes"): a
/// `FATAL` or `PANIC` error ends the session, so whatever its code the server is not serving
/// it now (`55000` "database is not accepting connections", `3D000` when the database is
/// renamed away, `28000` when its login is withdrawn).
fn postgres(error: &PgDatabaseError) -> Option<Unavailable> {
    let code = error.code();
    if code.starts_with("08") {
        return Some(Unavailable::Connection);
    }
    if code.starts_with("53") || code.starts_with("58") {
        return Some(Unavailable::Storage);
    }
    if code.starts_with("57P") || matches!(error.severity(), PgSeverity::Fatal | PgSeverity::Panic)
    {
        return Some(Unavailable::Refused);
    }
    None
}

fn sqlite(extended_code: i32) -> Option<Unavailable> {
    match extended_code & 0xff {
        SQLITE_BUSY | SQLITE_LOCKED => Some(Unavailable::Locked),
        SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN => Some(Unavailable::Storage),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_connection_failures_are_unavailability() {
        assert_eq!(
            Unavailable::of(&sqlx::Error::PoolTimedOut),
            Some(Unavailable::PoolTimedOut)
        );
        assert_eq!(
            Unavailable::of(&sqlx::Error::PoolClosed),
            Some(Unavailable::Closed)
        );
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(
            Unavailable::of(&sqlx::Error::Io(reset)),
            Some(Unavailable::Connection)
        );
        assert_eq!(Unavailable::of(&sqlx::Error::RowNotFound), None);
        assert_eq!(
            Unavailable::of(&sqlx::Error::ColumnNotFound("x".into())),
            None
        );
    }

    #[test]
    fn sqlite_codes_name_locks_and_storage_only() {
        assert_eq!(sqlite(5), Some(Unavailable::Locked));
        assert_eq!(
            sqlite(517),
            Some(Unavailable::Locked),
            "SQLITE_BUSY_SNAPSHOT"
        );
        assert_eq!(sqlite(13), Some(Unavailable::Storage));
        assert_eq!(
            sqlite(3338),
            Some(Unavailable::Storage),
            "SQLITE_IOERR_SHORT_READ"
        );
        assert_eq!(sqlite(2067), None, "SQLITE_CONSTRAINT_UNIQUE");
        assert_eq!(sqlite(1), None, "SQLITE_ERROR");
    }

    #[test]
    fn the_chain_is_searched_through_sources() {
        #[derive(Debug, thiserror::Error)]
        #[error("store failed")]
        struct Store(#[source] sqlx::Error);
        #[derive(Debug, thiserror::Error)]
        #[error("use case failed")]
        struct UseCase(#[source] Store);
        let error = UseCase(Store(sqlx::Error::PoolTimedOut));
        assert_eq!(
            Unavailable::in_chain(&error),
            Some(Unavailable::PoolTimedOut)
        );
        let error = UseCase(Store(sqlx::Error::RowNotFound));
        assert_eq!(Unavailable::in_chain(&error), None);
    }
}
