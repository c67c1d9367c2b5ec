//! The accept loop: a bound listener in, connections served with hyper
//! until shutdown, then a bounded drain. Binding belongs to the binary, so
//! tests pass a listener on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;

/// The address a request's connection came from (a request extension).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// A client must send its request headers within this time (also the idle
/// limit for kept-alive connections); matchbox sets no timeout at all (D14).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` completes, then lets
/// in-flight requests finish for up to `grace`.
///
/// With `tls`, every connection is HTTPS: a TLS handshake first (HTTP/2 when
/// the client offers `h2` by ALPN, HTTP/1.1 otherwise); a client that speaks
/// plain HTTP to it gets a short plain-text 400 and the connection closes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    let builder = http1_builder();
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // The peer rides along as a request extension, for the request log.
                let service = TowerToHyperService::new(router.clone().map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(Peer(peer));
                    req
                }));
                match &tls {
                    None => {
                        let conn = builder.serve_connection(TokioIo::new(stream), service);
                        let conn = graceful.watch(conn);
                        tokio::spawn(async move {
                            let _ = conn.await;
                        });
                    }
                    Some(acceptor) => {
                        tokio::spawn(serve_tls(stream, peer, acceptor.clone(), builder.clone(), service, graceful.watcher()));
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => tracing::warn!(grace_secs = grace.as_secs(), "connections still open after the grace period; closing them"),
    }
}

/// HTTP/1.1 as every connection is served: Go's header case, a deadline
/// for the request headers, keep-alive.
fn http1_builder() -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true)
        // Header names as Go writes them (Content-Length, not content-length):
        // GRUB's http module matches "Content-Length: " byte for byte.
        .title_case_headers(true);
    builder
}

/// The TLS handshake must be over within this time (a client that connects
/// and says nothing holds a task, not a thread, but it should not hold it
/// long).
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a client that speaks plain HTTP to the HTTPS port reads back (a
/// TLS handshake record starts with byte 22).
const PLAIN_TO_TLS: &[u8] = b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// One HTTPS connection: tell plain HTTP from TLS by the first byte, shake
/// hands, then serve HTTP/2 or HTTP/1.1 as ALPN chose.
async fn serve_tls<S>(
    mut stream: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    http1: hyper::server::conn::http1::Builder,
    service: S,
    watcher: Watcher,
) where
    S: hyper::service::Service<hyper::Request<hyper::body::Incoming>, Response = axum::response::Response>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    let mut first = [0u8; 1];
    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        _ => return,
    }
    if first[0] != 0x16 {
        tracing::debug!(%peer, "plain HTTP on the HTTPS port; answered 400");
        let _ = stream.write_all(PLAIN_TO_TLS).await;
        let _ = stream.shutdown().await;
        return;
    }
    let tls = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(tls);
    if h2 {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder.timer(TokioTimer::new());
        let _ = watcher.watch(builder.serve_connection(io, service)).await;
    } else {
        let _ = watcher.watch(http1.serve_connection(io, service)).await;
    }
}
