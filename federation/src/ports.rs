//! Ports and listeners on 127.0.0.1 for the services.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use crate::error::LaunchError;

/// A port free on 127.0.0.1 now: the OS picks it (port 0); the caller binds it again, since
/// each service must know its public URL, which holds the port, before it starts.
pub fn free_port() -> Result<u16, LaunchError> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .map_err(LaunchError::io("cannot reserve a port on 127.0.0.1"))?;
    let port = listener
        .local_addr()
        .map_err(LaunchError::io("cannot read the reserved port"))?
        .port();
    Ok(port)
}

/// A listener on a free port of 127.0.0.1, its address and its URL.
pub async fn bind_local() -> Result<(tokio::net::TcpListener, SocketAddr, String), LaunchError> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(LaunchError::io("cannot bind a port on 127.0.0.1"))?;
    let address = listener
        .local_addr()
        .map_err(LaunchError::io("cannot read the bound port"))?;
    Ok((listener, address, format!("http://{address}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_free_on_loopback() {
        // A port in use on loopback is never handed out.
        let taken = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
        let taken_port = taken.local_addr().unwrap().port();
        for _ in 0..20 {
            let port = free_port().unwrap();
            assert_ne!(port, taken_port);
            // Released: a service can bind it on loopback.
            TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).unwrap();
        }
    }

    #[tokio::test]
    async fn a_bound_listener_is_reachable_at_its_url() {
        let (listener, address, url) = bind_local().await.unwrap();
        assert!(address.ip().is_loopback());
        assert_eq!(url, format!("http://127.0.0.1:{}", address.port()));
        let connected = tokio::net::TcpStream::connect(address);
        let (accepted, connected) = tokio::join!(listener.accept(), connected);
        assert_eq!(
            accepted.unwrap().0.peer_addr().unwrap(),
            connected.unwrap().local_addr().unwrap()
        );
    }
}
