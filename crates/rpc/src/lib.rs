//! matchbox's gRPC management API, as terraform-provider-matchbox and
//! bootcmd call it: the `rpcpb` services over mutual TLS, on the same data
//! directory the HTTP side serves.
//!
//! Where matchbox hurts its users, kindling differs (docs/compatibility.md):
//! names are single file names (no `/`, `..`, NUL, dotfiles; at most 255
//! bytes), refused with `InvalidArgument` before anything is written; writes
//! are atomic (temporary file, fsync, rename); a missing object is
//! `NotFound`, not `Unknown`; a profile read back always has its `boot`; a
//! MAC selector must be a MAC; Ignition and generic templates can be listed;
//! and every write reloads the snapshot, so HTTP answers change at once.

pub mod codes;
pub mod convert;
mod service;
mod tls;

pub use service::Api;
pub use tls::{TlsError, client_tls, server_tls};

/// The generated protobuf and gRPC code (`proto/`, compiled by `build.rs`).
pub mod pb {
    pub mod storagepb {
        tonic::include_proto!("storagepb");
    }
    pub mod serverpb {
        tonic::include_proto!("serverpb");
    }
    pub mod rpcpb {
        tonic::include_proto!("rpcpb");
    }
}

/// Largest message accepted (grpc-go's default, which matchbox keeps: it
/// bounds Ignition and generic uploads).
pub const MAX_MESSAGE: usize = 4 << 20;

/// Serves the API on `listener` with `tls` until `shutdown` completes;
/// `matchbox_codes` answers failures with matchbox's codes (see [`codes`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: tonic::transport::ServerTlsConfig,
    api: Api,
    matchbox_codes: bool,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    use pb::rpcpb::{
        generic_server::GenericServer, groups_server::GroupsServer, ignition_server::IgnitionServer,
        profiles_server::ProfilesServer, select_server::SelectServer,
    };
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .tls_config(tls)?
        .layer(tower_layer::layer_fn(move |inner| {
            codes::MatchboxCodes::new(inner, matchbox_codes)
        }))
        .add_service(GroupsServer::new(api.clone()).max_decoding_message_size(MAX_MESSAGE))
        .add_service(ProfilesServer::new(api.clone()).max_decoding_message_size(MAX_MESSAGE))
        .add_service(IgnitionServer::new(api.clone()).max_decoding_message_size(MAX_MESSAGE))
        .add_service(GenericServer::new(api.clone()).max_decoding_message_size(MAX_MESSAGE))
        .add_service(SelectServer::new(api).max_decoding_message_size(MAX_MESSAGE))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}
