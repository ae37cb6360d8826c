//! A loopback HTTP server for unit tests that answers each connection with the next canned
//! reply, or closes it after reading the request (a verifier dying with the request inside,
//! or a kept-alive connection it closed).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Canned {
    /// Answers with this status and JSON body, then closes.
    Reply(u16, &'static str),
    /// Reads the request and closes without answering.
    Drop,
}

/// Serves `script`, one entry per connection, then stops accepting; returns the base URL
/// (`http://127.0.0.1:<port>`) and the server's task.
pub(crate) async fn serve(script: Vec<Canned>) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        for canned in script {
            let Ok((mut stream, _)) = listener.accept().await else {
                break;
            };
            read_request(&mut stream).await;
            if let Canned::Reply(status, body) = canned {
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: \
                     {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            }
            let _ = stream.shutdown().await;
        }
    });
    (url, handle)
}

/// Reads the head and a `content-length` body.
async fn read_request(stream: &mut tokio::net::TcpStream) {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let Ok(read) = stream.read(&mut buffer).await else {
            return;
        };
        if read == 0 {
            return;
        }
        seen.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                return;
            }
        }
    }
}
