//! What every service's command line shares: its `main` ([`run_main`]), `serve` ([`serve`]),
//! reading a JSON input file, printing JSON, and reporting an error with its causes on the
//! terminal.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::startup::Service;

/// An input file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not the expected JSON.
    #[error("{}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Why `serve` failed: the service did not start (`S`, its startup error), or the server
/// stopped with an I/O error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError<S> {
    /// The service could not start.
    #[error(transparent)]
    Startup(S),
    /// The server stopped with an I/O error.
    #[error("the server failed")]
    Serve(#[source] std::io::Error),
}

/// Declares a service's command-line error: the variants the service lists (its use cases'
/// failures), then the failures every service's commands share, converting with `?`:
/// - `Config`: bad configuration ([`crate::config::ConfigError`]);
/// - `Serve`: `serve` failed ([`ServeError`] of the startup error named in parentheses);
/// - `Output`: writing the output failed (`std::io::Error`).
///
/// The caller writes the `derive` (so that `thiserror` sees its variants' attributes and the
/// derive in one hygiene context):
/// ```ignore
/// idv_service_kit::cli_error!(
///     /// Why a command failed.
///     #[derive(Debug, thiserror::Error)]
///     pub enum CliError(StartupError) {
///         /// A signing key operation failed.
///         #[error(transparent)]
///         Key(#[from] KeyError),
///     }
/// );
/// ```
#[macro_export]
macro_rules! cli_error {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident($startup:ty) { $($variants:tt)* }
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        $vis enum $name {
            $($variants)*
            /// Bad configuration.
            #[error("bad configuration")]
            Config(#[from] $crate::config::ConfigError),
            /// `serve` failed: the service did not start, or the server stopped with an I/O error.
            #[error("serve failed")]
            Serve(#[from] $crate::cli::ServeError<$startup>),
            /// Writing the output failed.
            #[error("cannot write output")]
            Output(#[from] ::std::io::Error),
        }
    };
}

/// Every service's `serve` command: builds the service and serves it until ctrl-c or SIGTERM.
pub async fn serve<A, S>(build: impl Future<Output = Result<A, S>>) -> Result<(), ServeError<S>>
where
    A: Service,
{
    build
        .await
        .map_err(ServeError::Startup)?
        .run_until_stopped()
        .await
        .map_err(ServeError::Serve)
}

/// Reads `path` as JSON of type `T`.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| InputError::Json {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// `value` as indented JSON; an error (a map with non-string keys) becomes an I/O error of the
/// output.
pub fn pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, std::io::Error> {
    serde_json::to_string_pretty(value).map_err(|e| std::io::Error::other(e.to_string()))
}

/// A service binary's `main`: runs `command` (the parsed command line's) on a multi-threaded
/// Tokio runtime; a failure is printed to stderr with its causes ([`report`]) and exits 1.
pub fn run_main<E: std::error::Error>(command: impl Future<Output = Result<(), E>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", report(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, `outer: inner: root`, for the terminal.
pub fn report(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_names_every_cause() {
        let error = InputError::Read {
            path: PathBuf::from("entry.json"),
            source: std::io::Error::other("no such file"),
        };
        assert_eq!(report(&error), "cannot read entry.json: no such file");
    }

    #[test]
    fn json_input_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, "{").unwrap();
        let error = read_json::<serde_json::Value>(&path).unwrap_err();
        assert!(matches!(error, InputError::Json { .. }));
        assert!(error.to_string().starts_with(&path.display().to_string()));
    }
}
