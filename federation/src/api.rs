//! A small JSON client for the services' APIs, as their operators and tenants call them: bearer
//! token, JSON in and out, and the services' `{error, error_description}` bodies turned into
//! [`CallError::Refused`].

use idv_service_kit::Secret;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a call to a service failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The service could not be reached or the exchange broke off.
    #[error("{method} {url}: {reason}")]
    Transport {
        /// `GET`, `POST`, …
        method: &'static str,
        /// The URL called.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The service answered with an error.
    #[error("{method} {url} answered {status}: {error}: {description}")]
    Refused {
        /// `GET`, `POST`, …
        method: &'static str,
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The `error` code of the body (or `-`).
        error: String,
        /// The `error_description` (or the start of the body).
        description: String,
    },
    /// The service answered success with a body of an unexpected shape.
    #[error("{method} {url}: unexpected response: {reason}")]
    Body {
        /// `GET`, `POST`, …
        method: &'static str,
        /// The URL called.
        url: String,
        /// What did not parse.
        reason: String,
    },
}

impl CallError {
    /// The `error` code of a refused call.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Refused { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// One service's API under its base URL, with the caller's bearer token.
#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    base_url: String,
    token: Secret,
}

impl Api {
    /// The API at `base_url` (no trailing slash), called with `token`.
    pub fn new(client: reqwest::Client, base_url: impl Into<String>, token: Secret) -> Self {
        Self {
            client,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// The service's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The caller's bearer token (for printing commands to try by hand).
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// `POST path` with a JSON body.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T, CallError> {
        let url = format!("{}{path}", self.base_url);
        let request = self
            .client
            .post(&url)
            .bearer_auth(self.token.expose())
            .json(body);
        exchange("POST", url, request).await
    }

    /// `GET path`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        let url = format!("{}{path}", self.base_url);
        let request = self.client.get(&url).bearer_auth(self.token.expose());
        exchange("GET", url, request).await
    }

    /// `GET path`, the body as it came (a document to keep: HTML, PDF, JSON).
    pub async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, CallError> {
        let url = format!("{}{path}", self.base_url);
        let request = self.client.get(&url).bearer_auth(self.token.expose());
        send("GET", &url, request).await
    }
}

async fn exchange<T: DeserializeOwned>(
    method: &'static str,
    url: String,
    request: reqwest::RequestBuilder,
) -> Result<T, CallError> {
    let body = send(method, &url, request).await?;
    serde_json::from_slice(&body).map_err(|e| CallError::Body {
        method,
        url,
        reason: e.to_string(),
    })
}

/// Sends `request`; the body of a success, or the service's error as [`CallError::Refused`].
pub(crate) async fn send(
    method: &'static str,
    url: &str,
    request: reqwest::RequestBuilder,
) -> Result<Vec<u8>, CallError> {
    let transport = |url: &str, e: reqwest::Error| CallError::Transport {
        method,
        url: url.to_owned(),
        reason: e.to_string(),
    };
    let response = request.send().await.map_err(|e| transport(url, e))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| transport(url, e))?;
    if !status.is_success() {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(name))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        return Err(CallError::Refused {
            method,
            status: status.as_u16(),
            error: field("error").unwrap_or_else(|| "-".into()),
            description: field("error_description")
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect()),
            url: url.to_owned(),
        });
    }
    Ok(body.to_vec())
}
