//! Group commit of single writing statements on a SQLite file (see [`super::Database::write`]).
//!
//! One task per database takes the statements queued while the previous group was committing
//! and runs them in one transaction on the write connection, under the same write lock as
//! [`super::Database::begin_write`]: one commit (with `synchronous = FULL`, one `fsync`) for
//! the group instead of one per statement. A statement alone runs on its own, without
//! `BEGIN`/`COMMIT`. Each caller gets its statement's result only once the group's fate is
//! known: a constraint violation fails that statement alone (SQLite undoes the statement, not
//! the transaction); any other failure, or a failed commit, rolls the group back and fails
//! every statement of it.

use std::sync::Arc;

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::error::ErrorKind;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, Executor as _};

use super::{Unavailable, Writer};
use tokio::sync::{Mutex, mpsc, oneshot};

/// Most statements committed together.
const MAX_GROUP: usize = 256;

/// A writing statement, owned.
pub type Statement = Query<'static, Any, AnyArguments>;

/// A statement and where its result goes.
pub(super) enum Job {
    /// `execute`: rows affected.
    Execute(
        Statement,
        oneshot::Sender<Result<AnyQueryResult, sqlx::Error>>,
    ),
    /// `fetch_optional`: the first row the statement returns (`RETURNING`).
    FetchOptional(
        Statement,
        oneshot::Sender<Result<Option<AnyRow>, sqlx::Error>>,
    ),
}

/// A job that ran, waiting for its group's commit.
enum Done {
    Execute(
        Result<AnyQueryResult, sqlx::Error>,
        oneshot::Sender<Result<AnyQueryResult, sqlx::Error>>,
    ),
    FetchOptional(
        Result<Option<AnyRow>, sqlx::Error>,
        oneshot::Sender<Result<Option<AnyRow>, sqlx::Error>>,
    ),
}

impl Job {
    async fn run(self, conn: &mut AnyConnection) -> Done {
        match self {
            Self::Execute(statement, reply) => Done::Execute(conn.execute(statement).await, reply),
            Self::FetchOptional(statement, reply) => {
                Done::FetchOptional(conn.fetch_optional(statement).await, reply)
            }
        }
    }

    /// Fails without running.
    fn fail(self, why: &Why) {
        match self {
            Self::Execute(_, reply) => drop(reply.send(Err(group_error(why)))),
            Self::FetchOptional(_, reply) => drop(reply.send(Err(group_error(why)))),
        }
    }
}

impl Done {
    /// Why the group fails, when this job's failure is other than one that leaves the rest of
    /// the group's transaction in place (a constraint violation).
    fn breaks_group(&self) -> Option<Why> {
        let (Self::Execute(Err(error), _) | Self::FetchOptional(Err(error), _)) = self else {
            return None;
        };
        let violation = matches!(
            error,
            sqlx::Error::Database(e) if !matches!(e.kind(), ErrorKind::Other)
        );
        (!violation).then(|| Why {
            unavailable: Unavailable::of(error),
            ..Why::statement_failed()
        })
    }

    /// Hands the result over, or `why` the group failed instead of a success.
    fn deliver(self, group_failed: Option<&Why>) {
        match (self, group_failed) {
            (Self::Execute(Ok(_), reply), Some(why)) => drop(reply.send(Err(group_error(why)))),
            (Self::FetchOptional(Ok(_), reply), Some(why)) => {
                drop(reply.send(Err(group_error(why))));
            }
            (Self::Execute(result, reply), _) => drop(reply.send(result)),
            (Self::FetchOptional(result, reply), _) => drop(reply.send(result)),
        }
    }
}

/// The error of a statement that did not fail itself but was rolled back with its group (or
/// never ran): carried in a [`sqlx::Error::Io`], it says whether the group's failure was the
/// database being unavailable, so the statement's caller answers as the failing one would.
#[derive(Debug, thiserror::Error)]
#[error("the write was rolled back with its group: {why}")]
pub(super) struct GroupFailed {
    why: String,
    /// The group's cause, when it was the database being unavailable.
    pub(super) unavailable: Option<Unavailable>,
}

/// Why a group failed: the failure's message and whether it was the database being
/// unavailable.
#[derive(Debug, Clone)]
struct Why {
    text: String,
    unavailable: Option<Unavailable>,
}

impl Why {
    fn of(error: &sqlx::Error) -> Self {
        Self {
            text: error.to_string(),
            unavailable: Unavailable::of(error),
        }
    }

    fn statement_failed() -> Self {
        Self {
            text: "a statement of the group failed".to_owned(),
            unavailable: None,
        }
    }
}

fn group_error(why: &Why) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(GroupFailed {
        why: why.text.clone(),
        unavailable: why.unavailable,
    }))
}

/// Queues the job `make` builds around its reply channel and waits for its result.
pub(super) async fn submit<T>(
    queue: &mpsc::UnboundedSender<Job>,
    make: impl FnOnce(oneshot::Sender<Result<T, sqlx::Error>>) -> Job,
) -> Result<T, sqlx::Error> {
    let (reply, result) = oneshot::channel();
    // Either end gone means the task is gone (its runtime shut down).
    queue
        .send(make(reply))
        .map_err(|_| sqlx::Error::PoolClosed)?;
    result.await.map_err(|_| sqlx::Error::PoolClosed)?
}

/// Starts the task committing `jobs` in groups on the write connection (see
/// [`Writer::acquire`]); it ends when every sender is dropped.
pub(super) fn start(
    pool: AnyPool,
    writes: Arc<Mutex<Option<AnyConnection>>>,
) -> mpsc::UnboundedSender<Job> {
    let (sender, jobs) = mpsc::unbounded_channel();
    tokio::spawn(commit_in_groups(pool, writes, jobs));
    sender
}

async fn commit_in_groups(
    pool: AnyPool,
    writes: Arc<Mutex<Option<AnyConnection>>>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
        let writer = Writer::acquire(&pool, Some(&writes)).await;
        // What queued while waiting for the lock joins this group.
        while group.len() < MAX_GROUP
            && let Ok(job) = jobs.try_recv()
        {
            group.push(job);
        }
        match writer {
            Ok(mut writer) => {
                if !run_group(&mut writer, group.drain(..)).await {
                    writer.discard();
                }
            }
            Err(error) => {
                let why = Why::of(&error);
                group.drain(..).for_each(|job| job.fail(&why));
            }
        }
    }
}

/// Runs the group and hands out the results; returns whether the connection is fit for
/// reuse (false when a failed group could not be rolled back).
async fn run_group(conn: &mut AnyConnection, mut group: std::vec::Drain<'_, Job>) -> bool {
    if group.len() == 1 {
        if let Some(job) = group.next() {
            job.run(conn).await.deliver(None);
        }
        return true;
    }
    if let Err(error) = conn.execute("BEGIN IMMEDIATE").await {
        let why = Why::of(&error);
        group.for_each(|job| job.fail(&why));
        return true;
    }
    let mut done = Vec::with_capacity(group.len());
    let mut broken = None;
    for job in group.by_ref() {
        let ran = job.run(conn).await;
        broken = ran.breaks_group();
        done.push(ran);
        if broken.is_some() {
            break;
        }
    }
    let failed = match broken {
        Some(why) => Some(why),
        None => conn.execute("COMMIT").await.err().map(|e| Why::of(&e)),
    };
    if let Some(why) = &failed {
        group.for_each(|job| job.fail(why));
    }
    let reusable = match failed {
        Some(_) => match conn.execute("ROLLBACK").await {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%error, "rolling back a failed write group failed");
                false
            }
        },
        None => true,
    };
    for ran in done {
        ran.deliver(failed.as_ref());
    }
    reusable
}
