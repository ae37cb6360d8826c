//! The socket a service serves on: bound from `http.listen` (port 0 picks a free one), or
//! handed over already bound (tests that must know the port before the service's
//! `http.public_url` is set, socket activation). [`super::serve_with`] serves on it.

use std::net::SocketAddr;

use tokio::net::TcpListener;

/// The listen address cannot be bound (or a handed-over socket has no local address).
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {address}")]
pub struct BindError {
    /// The address.
    pub address: SocketAddr,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// A bound listener and the address it got.
#[derive(Debug)]
pub struct Listener {
    listener: TcpListener,
    address: SocketAddr,
}

impl Listener {
    /// Binds `address`.
    pub async fn bind(address: SocketAddr) -> Result<Self, BindError> {
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| BindError { address, source })?;
        Self::bound(listener, address)
    }

    /// A listener bound by the caller; `configured` (the unused `http.listen`) names it in
    /// the error should it have no local address.
    pub fn bound(listener: TcpListener, configured: SocketAddr) -> Result<Self, BindError> {
        let address = listener.local_addr().map_err(|source| BindError {
            address: configured,
            source,
        })?;
        Ok(Self { listener, address })
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl From<Listener> for TcpListener {
    fn from(listener: Listener) -> Self {
        listener.listener
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn port_zero_binds_a_free_port_on_the_address_asked_for() {
        let listener = Listener::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        assert!(listener.address().ip().is_loopback());
        assert_ne!(listener.address().port(), 0);
        let taken = listener.address();
        let error = Listener::bind(taken).await.unwrap_err();
        assert_eq!(error.address, taken);
        assert_eq!(error.to_string(), format!("cannot listen on {taken}"));
    }
}
