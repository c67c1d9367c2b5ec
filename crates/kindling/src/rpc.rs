//! Wiring the gRPC management API into `kindling serve`: with
//! --rpc-address, mutual TLS from --cert-file, --key-file and --ca-file
//! (matchbox's flags and MATCHBOX_* variables), on its own thread and
//! runtime, writing to the same store the HTTP side reads.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;

/// `host:port`, or matchbox's `:port` for every interface.
fn address(text: &str) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    let text = if text.starts_with(':') {
        format!("0.0.0.0{text}")
    } else {
        text.to_owned()
    };
    text.to_socket_addrs()
        .with_context(|| format!("--rpc-address {text:?}: expected host:port such as 0.0.0.0:8081"))?
        .next()
        .with_context(|| format!("--rpc-address {text:?} resolves to no address"))
}

pub fn start(
    args: &ServeArgs,
    store: Arc<store::Store>,
    compat: web::Compat,
    stop: CancellationToken,
) -> anyhow::Result<JoinHandle<()>> {
    let addr = address(&args.rpc_address)?;
    let tls = rpc::server_tls(&args.cert_file, &args.key_file, &args.ca_file)?;
    let api = rpc::Api::new(store);
    let matchbox_codes = compat.has(web::Quirk::GrpcStatus);
    let (thread, local) = crate::runtime::service_thread("rpc".into(), move || async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("the gRPC API cannot listen on {addr} (--rpc-address)"))?;
        let local = listener.local_addr()?;
        let run = async move {
            if let Err(e) = rpc::serve(listener, tls, api, matchbox_codes, stop.cancelled_owned()).await {
                tracing::error!(error = %e, "the gRPC API stopped");
            }
        };
        Ok((local, run))
    })?;
    crate::serve::ready_line("rpc", local);
    Ok(thread)
}
