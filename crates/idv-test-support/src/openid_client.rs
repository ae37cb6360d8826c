//! The HTTP client tests hand to the `openidconnect` crate: an async closure over reqwest,
//! as a relying party with no bundled HTTP client passes one.
//!
//! ```text
//! let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
//! let metadata = CoreProviderMetadata::discover_async(issuer, &http_client(http.clone())).await?;
//! ```

use std::future::Future;
use std::pin::Pin;

use openidconnect::{HttpRequest, HttpResponse};

/// What the closure returns.
pub type HttpFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, std::io::Error>> + Send>>;

/// openidconnect's async HTTP client over `client` (whose redirect policy is kept).
pub fn http_client(client: reqwest::Client) -> impl Fn(HttpRequest) -> HttpFuture {
    move |request: HttpRequest| {
        let client = client.clone();
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(std::io::Error::other)?;
            let response = client
                .execute(request)
                .await
                .map_err(std::io::Error::other)?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(std::io::Error::other)?;
            builder.body(body.to_vec()).map_err(std::io::Error::other)
        }) as HttpFuture
    }
}
