//! matchbox's failure codes, for clients that match on them (`--compat
//! grpc-status`, contract D4). kindling answers a missing object with
//! NotFound, a bad request with InvalidArgument and a fault with Internal;
//! matchbox answers every failure with Unknown, except a Select that
//! matches nothing, which is NotFound. The messages stay kindling's.
//!
//! The rewrite happens on the way out, on the `grpc-status` header of the
//! trailers-only responses that carry a handler's failure, so no handler
//! needs to know about it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::codegen::http;

/// The codes kindling's handlers return for failures, which matchbox
/// reports as Unknown (2).
const REWRITTEN: [&str; 5] = [
    "3",  // InvalidArgument
    "5",  // NotFound
    "13", // Internal
    "14", // Unavailable (no etcd quorum)
    "15", // DataLoss (an unreadable stored object)
];

/// What matchbox answers for a failure with `code` on `path` (an RPC path
/// such as `/rpcpb.Groups/GroupGet`).
pub fn matchbox_code<'a>(path: &str, code: &'a str) -> &'a str {
    let select = path.starts_with("/rpcpb.Select/");
    if !REWRITTEN.contains(&code) || (select && code == "5") {
        code
    } else {
        "2"
    }
}

/// The service wrapper: passes everything through, and with `on` rewrites
/// failure codes as [`matchbox_code`] says.
#[derive(Debug, Clone)]
pub struct MatchboxCodes<S> {
    inner: S,
    on: bool,
}

impl<S> MatchboxCodes<S> {
    pub fn new(inner: S, on: bool) -> MatchboxCodes<S> {
        MatchboxCodes { inner, on }
    }
}

impl<S, B, R> tower_service::Service<http::Request<B>> for MatchboxCodes<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = self.on.then(|| req.uri().path().to_owned());
        let response = self.inner.call(req);
        Box::pin(async move {
            let mut response = response.await?;
            if let Some(path) = path {
                let headers = response.headers_mut();
                let code = headers.get("grpc-status").and_then(|v| v.to_str().ok());
                if let Some(code) = code {
                    let matchbox = matchbox_code(&path, code);
                    if matchbox != code {
                        let value = http::HeaderValue::from_static("2");
                        headers.insert("grpc-status", value);
                    }
                }
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::matchbox_code;

    #[test]
    fn only_select_keeps_not_found() {
        assert_eq!(matchbox_code("/rpcpb.Select/SelectGroup", "5"), "5");
        assert_eq!(matchbox_code("/rpcpb.Select/SelectProfile", "3"), "2");
        assert_eq!(matchbox_code("/rpcpb.Groups/GroupGet", "5"), "2");
        assert_eq!(matchbox_code("/rpcpb.Ignition/IgnitionPut", "3"), "2");
        assert_eq!(matchbox_code("/rpcpb.Profiles/ProfilePut", "14"), "2");
        // OK, and codes the transport gives (Unimplemented), pass.
        assert_eq!(matchbox_code("/rpcpb.Groups/GroupGet", "0"), "0");
        assert_eq!(matchbox_code("/rpcpb.Nope/Nope", "12"), "12");
    }
}
