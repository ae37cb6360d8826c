//! A server task a test (or the federation harness) starts and stops: whatever serves is handed
//! a future that completes when [`TestServer::stop`] is called (or the server is dropped), and
//! its result is returned by `stop`.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle};

/// The future a served task waits on for its graceful shutdown.
pub type Stopped = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Why a server did not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum StopError {
    /// The server returned an error.
    #[error("the server failed")]
    Served(#[from] std::io::Error),
    /// The server's task panicked or was cancelled.
    #[error("the server's task did not finish")]
    Task(#[from] JoinError),
}

/// One server task, stopped through a oneshot.
#[derive(Debug)]
pub struct TestServer {
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Spawns `run(stopped)` on the runtime; `stopped` completes when the server is stopped.
    pub fn spawn<F, Fut>(run: F) -> Self
    where
        F: FnOnce(Stopped) -> Fut,
        Fut: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(Box::pin(async {
            let _ = stopped.await;
        })));
        Self {
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// Stops serving (requests under way finish) and waits for the task; a second call does
    /// nothing.
    pub async fn stop(&mut self) -> Result<(), StopError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.task.take() {
            Some(task) => Ok(task.await??),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stop_waits_for_the_server_and_returns_its_result() {
        let (finished, seen) = oneshot::channel();
        let mut server = TestServer::spawn(|stopped| async move {
            stopped.await;
            let _ = finished.send(());
            Err(std::io::Error::other("closed badly"))
        });
        assert!(matches!(server.stop().await, Err(StopError::Served(_))));
        seen.await.unwrap();
        // Stopped already: nothing left to wait for.
        server.stop().await.unwrap();
    }
}
