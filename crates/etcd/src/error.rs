//! The client's one error type: each message says what to check.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("etcd endpoint {url:?} is not usable: {reason}")]
    BadEndpoint { url: String, reason: String },
    #[error("cannot use {path} for TLS to etcd: {reason}")]
    Tls { path: String, reason: String },
    #[error(
        "no etcd endpoint could answer ({endpoints}); last error: {last}. Check that the members run, are reachable from here and have a quorum"
    )]
    Unavailable { endpoints: String, last: String },
    #[error("etcd refused the request: {message} ({code:?})")]
    Rejected { code: tonic::Code, message: String },
    #[error(
        "the watch could not start at revision {requested}: etcd compacted its history up to {compacted}; read everything again at a current revision"
    )]
    Compacted { requested: i64, compacted: i64 },
    #[error("the etcd watch on {endpoint} ended: {reason}")]
    WatchEnded { endpoint: String, reason: String },
}

impl Error {
    /// Whether the cluster could not be reached or had no quorum (as
    /// opposed to refusing this particular request).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable { .. } | Error::WatchEnded { .. })
    }
}

/// Whether a failed call should be tried on another endpoint: the member
/// cannot be reached, did not answer in time, or has no leader.
pub(crate) fn retriable(status: &tonic::Status) -> bool {
    use tonic::Code;
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Unknown | Code::Cancelled | Code::Aborted => true,
        // etcd reports some raft-level failures as Internal.
        Code::Internal => {
            let m = status.message();
            m.contains("leader") || m.contains("timed out") || m.contains("stopped")
        }
        _ => false,
    }
}
