//! Endpoints, failover, and the unary calls.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::error::{Error, retriable};
use crate::pb;
use crate::pb::kv_client::KvClient;
use crate::pb::lease_client::LeaseClient;
use crate::pb::maintenance_client::MaintenanceClient;
use crate::{Kv, Txn, TxnOutcome};

/// Largest answer accepted (a page of a range read; etcd's own limit on
/// requests is 1.5 MiB by default).
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// TLS files for `https://` endpoints (PEM).
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// The CA that signed the members' certificates (default: the system's roots are not used; give one).
    pub ca_file: Option<PathBuf>,
    /// A client certificate and key, when the members require one.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `http://host:port` or `https://host:port`, one per member.
    pub endpoints: Vec<String>,
    pub tls: Tls,
    /// How long one request may take on one endpoint before the next is tried.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Config {
    pub fn new(endpoints: Vec<String>) -> Config {
        Config {
            endpoints,
            tls: Tls::default(),
            request_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(1),
        }
    }
}

struct Member {
    url: String,
    channel: Channel,
}

struct Inner {
    members: Vec<Member>,
    /// The endpoint that answered last, tried first.
    preferred: AtomicUsize,
    request_timeout: Duration,
}

/// A client of one etcd cluster. Cheap to clone; connections are opened on
/// first use and reopened after a failure.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoints", &self.endpoints())
            .finish_non_exhaustive()
    }
}

/// The status of one member, as that member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStatus {
    pub member_id: u64,
    /// The member id of its leader; 0 when it has none.
    pub leader: u64,
    pub version: String,
    pub raft_term: u64,
    pub revision: i64,
    pub db_size: i64,
    pub errors: Vec<String>,
}

/// One endpoint's answer to a status request.
#[derive(Debug, Clone)]
pub struct EndpointStatus {
    pub url: String,
    pub status: Result<MemberStatus, String>,
    pub round_trip: Duration,
}

/// The end of the range of every key that starts with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // Every byte was 0xff (or the prefix was empty): to the end of the keyspace.
    vec![0]
}

/// A request that asks the member to refuse when it has no leader, so that
/// a partitioned member sends the client to another instead of stalling.
pub(crate) fn leader_required<T>(msg: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut()
        .insert("hasleader", tonic::metadata::MetadataValue::from_static("true"));
    req
}

fn read_pem(path: &PathBuf) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::Tls {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

impl Client {
    /// Checks the endpoints and TLS files; connects lazily. Call it inside a
    /// tokio runtime: the connections' tasks run on it.
    pub fn new(config: Config) -> Result<Client, Error> {
        if config.endpoints.is_empty() {
            return Err(Error::BadEndpoint {
                url: String::new(),
                reason: "no endpoints given: list every member, such as http://10.0.0.1:2379".into(),
            });
        }
        let tls = match (&config.tls.ca_file, &config.tls.cert_file, &config.tls.key_file) {
            (None, None, None) => None,
            (ca, cert, key) => {
                let mut t = ClientTlsConfig::new();
                if let Some(ca) = ca {
                    t = t.ca_certificate(Certificate::from_pem(read_pem(ca)?));
                }
                match (cert, key) {
                    (Some(c), Some(k)) => t = t.identity(Identity::from_pem(read_pem(c)?, read_pem(k)?)),
                    (None, None) => {}
                    (Some(c), None) | (None, Some(c)) => {
                        return Err(Error::Tls {
                            path: c.display().to_string(),
                            reason: "a client certificate needs its key and the key its certificate: give both".into(),
                        });
                    }
                }
                Some(t)
            }
        };
        let mut members = Vec::new();
        for url in &config.endpoints {
            let bad = |reason: String| Error::BadEndpoint {
                url: url.clone(),
                reason,
            };
            let https = url.starts_with("https://");
            if !https && !url.starts_with("http://") {
                return Err(bad("an endpoint starts with http:// or https://".into()));
            }
            if https && tls.is_none() {
                return Err(bad(
                    "https:// needs --etcd-ca-file (the CA of the members' certificates)".into(),
                ));
            }
            let mut endpoint = Endpoint::from_shared(url.clone())
                .map_err(|e| bad(e.to_string()))?
                .connect_timeout(config.connect_timeout)
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(5))
                .keep_alive_timeout(Duration::from_secs(3))
                .keep_alive_while_idle(true);
            if https && let Some(t) = &tls {
                endpoint = endpoint.tls_config(t.clone()).map_err(|e| bad(e.to_string()))?;
            }
            members.push(Member {
                url: url.clone(),
                channel: endpoint.connect_lazy(),
            });
        }
        Ok(Client {
            inner: Arc::new(Inner {
                members,
                preferred: AtomicUsize::new(0),
                request_timeout: config.request_timeout,
            }),
        })
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.inner.members.iter().map(|m| m.url.clone()).collect()
    }

    /// The endpoint requests go to first.
    pub fn preferred_endpoint(&self) -> String {
        let i = self.inner.preferred.load(Ordering::Relaxed);
        self.inner.members[i % self.inner.members.len()].url.clone()
    }

    pub fn request_timeout(&self) -> Duration {
        self.inner.request_timeout
    }

    /// Runs `f` against the preferred endpoint, then each other one in turn
    /// while the failure is one another member might not have.
    pub(crate) async fn call<T, F, Fut>(&self, op: &'static str, f: F) -> Result<T, Error>
    where
        F: Fn(Channel) -> Fut,
        Fut: Future<Output = Result<T, tonic::Status>>,
    {
        let members = &self.inner.members;
        let start = self.inner.preferred.load(Ordering::Relaxed) % members.len();
        let mut last = String::new();
        for step in 0..members.len() {
            let idx = (start + step) % members.len();
            let member = &members[idx];
            let began = Instant::now();
            let outcome = tokio::time::timeout(self.inner.request_timeout, f(member.channel.clone())).await;
            metrics::histogram!("kindling_etcd_request_seconds", "op" => op).record(began.elapsed().as_secs_f64());
            match outcome {
                Ok(Ok(value)) => {
                    if step > 0 {
                        self.inner.preferred.store(idx, Ordering::Relaxed);
                        metrics::counter!("kindling_etcd_endpoint_switches_total").increment(1);
                        tracing::warn!(from = %members[start].url, to = %member.url, op, "etcd: switched to another endpoint");
                    }
                    return Ok(value);
                }
                Ok(Err(status)) if retriable(&status) => {
                    last = format!("{}: {}", member.url, status.message());
                }
                Ok(Err(status)) => {
                    metrics::counter!("kindling_etcd_errors_total", "op" => op).increment(1);
                    return Err(Error::Rejected {
                        code: status.code(),
                        message: status.message().to_owned(),
                    });
                }
                Err(_) => {
                    last = format!("{}: no answer within {:?}", member.url, self.inner.request_timeout);
                }
            }
            tracing::debug!(endpoint = %member.url, op, error = %last, "etcd: endpoint failed, trying the next");
        }
        metrics::counter!("kindling_etcd_errors_total", "op" => op).increment(1);
        Err(Error::Unavailable {
            endpoints: self.endpoints().join(", "),
            last,
        })
    }

    /// The members in the order to try them (the preferred one first).
    pub(crate) fn members_in_order(&self) -> Vec<(usize, String, Channel)> {
        let members = &self.inner.members;
        let start = self.inner.preferred.load(Ordering::Relaxed) % members.len();
        (0..members.len())
            .map(|step| {
                let idx = (start + step) % members.len();
                (idx, members[idx].url.clone(), members[idx].channel.clone())
            })
            .collect()
    }

    pub(crate) fn prefer(&self, idx: usize) {
        let old = self.inner.preferred.swap(idx, Ordering::Relaxed);
        if old != idx {
            metrics::counter!("kindling_etcd_endpoint_switches_total").increment(1);
        }
    }

    fn kv(channel: Channel) -> KvClient<Channel> {
        KvClient::new(channel).max_decoding_message_size(MAX_MESSAGE)
    }

    /// One range request, with failover.
    async fn range(&self, req: pb::RangeRequest) -> Result<pb::RangeResponse, Error> {
        Ok(self
            .call("range", |ch| {
                let req = req.clone();
                async move { Client::kv(ch).range(leader_required(req)).await }
            })
            .await?
            .into_inner())
    }

    /// One key, read with a quorum (linearizable), and the store's revision.
    pub async fn get(&self, key: &[u8]) -> Result<(Option<Kv>, i64), Error> {
        let req = pb::RangeRequest {
            key: key.to_vec(),
            ..Default::default()
        };
        let resp = self.range(req).await?;
        let revision = resp.header.map(|h| h.revision).unwrap_or(0);
        Ok((resp.kvs.into_iter().next().map(Kv::from), revision))
    }

    /// Every key under `prefix` at one revision (the current one when
    /// `revision` is `None`), read in pages of `page` keys; `progress` is
    /// called with the number read so far after each page.
    pub async fn get_prefix(
        &self,
        prefix: &[u8],
        revision: Option<i64>,
        page: i64,
        mut progress: impl FnMut(usize),
    ) -> Result<(Vec<Kv>, i64), Error> {
        let end = prefix_end(prefix);
        let mut from = prefix.to_vec();
        let mut at = revision.unwrap_or(0);
        let mut out = Vec::new();
        loop {
            let req = pb::RangeRequest {
                key: from.clone(),
                range_end: end.clone(),
                limit: page,
                revision: at,
                ..Default::default()
            };
            let resp = self.range(req).await?;
            if at == 0 {
                // Later pages read at the first page's revision: one consistent view.
                at = resp.header.as_ref().map(|h| h.revision).unwrap_or(0);
            }
            let more = resp.more;
            if let Some(last) = resp.kvs.last() {
                from = last.key.clone();
                from.push(0);
            }
            let empty = resp.kvs.is_empty();
            out.extend(resp.kvs.into_iter().map(Kv::from));
            progress(out.len());
            if !more || empty {
                return Ok((out, at));
            }
        }
    }

    /// How many keys start with `prefix` (counted by etcd; no values sent).
    pub async fn count(&self, prefix: &[u8]) -> Result<i64, Error> {
        let req = pb::RangeRequest {
            key: prefix.to_vec(),
            range_end: prefix_end(prefix),
            count_only: true,
            ..Default::default()
        };
        let resp = self.range(req).await?;
        Ok(resp.count)
    }

    /// Stores a value (with an etcd lease when `lease` is not 0); returns the revision.
    pub async fn put(&self, key: &[u8], value: &[u8], lease: i64) -> Result<i64, Error> {
        let req = pb::PutRequest {
            key: key.to_vec(),
            value: value.to_vec(),
            lease,
            prev_kv: false,
        };
        let resp = self
            .call("put", |ch| {
                let req = req.clone();
                async move { Client::kv(ch).put(leader_required(req)).await }
            })
            .await?
            .into_inner();
        Ok(resp.header.map(|h| h.revision).unwrap_or(0))
    }

    /// Deletes one key; returns how many keys went (0 or 1) and the revision.
    pub async fn delete(&self, key: &[u8]) -> Result<(i64, i64), Error> {
        let req = pb::DeleteRangeRequest {
            key: key.to_vec(),
            ..Default::default()
        };
        let resp = self
            .call("delete", |ch| {
                let req = req.clone();
                async move { Client::kv(ch).delete_range(leader_required(req)).await }
            })
            .await?
            .into_inner();
        Ok((resp.deleted, resp.header.map(|h| h.revision).unwrap_or(0)))
    }

    /// Runs a transaction.
    pub async fn txn(&self, txn: &Txn) -> Result<TxnOutcome, Error> {
        let req = txn.request().clone();
        let resp = self
            .call("txn", |ch| {
                let req = req.clone();
                async move { Client::kv(ch).txn(leader_required(req)).await }
            })
            .await?
            .into_inner();
        Ok(TxnOutcome::from_response(resp))
    }

    /// Discards history before `revision` (what etcd's auto-compaction does).
    pub async fn compact(&self, revision: i64) -> Result<(), Error> {
        let req = pb::CompactionRequest {
            revision,
            physical: false,
        };
        self.call("compact", |ch| async move {
            Client::kv(ch).compact(leader_required(req)).await
        })
        .await?;
        Ok(())
    }

    /// A lease that expires `ttl` seconds after its last refresh; returns its id.
    pub async fn lease_grant(&self, ttl: i64) -> Result<i64, Error> {
        let req = pb::LeaseGrantRequest { ttl, id: 0 };
        let resp = self
            .call("lease_grant", |ch| async move {
                LeaseClient::new(ch).lease_grant(leader_required(req)).await
            })
            .await?
            .into_inner();
        if !resp.error.is_empty() {
            return Err(Error::Rejected {
                code: tonic::Code::Unknown,
                message: resp.error,
            });
        }
        Ok(resp.id)
    }

    /// Refreshes a lease once; returns its new time to live in seconds, 0
    /// when it had already expired (its keys are gone then).
    pub async fn lease_keep_alive(&self, id: i64) -> Result<i64, Error> {
        self.call("lease_keep_alive", |ch| async move {
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            let _ = tx.send(pb::LeaseKeepAliveRequest { id }).await;
            let mut stream = LeaseClient::new(ch)
                .lease_keep_alive(leader_required(tokio_stream::wrappers::ReceiverStream::new(rx)))
                .await?
                .into_inner();
            match stream.message().await? {
                Some(resp) => Ok(resp.ttl),
                None => Err(tonic::Status::unavailable(
                    "the keep-alive stream closed without an answer",
                )),
            }
        })
        .await
    }

    /// Ends a lease now; its keys are deleted.
    pub async fn lease_revoke(&self, id: i64) -> Result<(), Error> {
        self.call("lease_revoke", |ch| async move {
            LeaseClient::new(ch)
                .lease_revoke(leader_required(pb::LeaseRevokeRequest { id }))
                .await
        })
        .await?;
        Ok(())
    }

    /// Asks every endpoint for its status (each on its own, no failover).
    pub async fn status(&self) -> Vec<EndpointStatus> {
        let mut out = Vec::new();
        for m in &self.inner.members {
            let began = Instant::now();
            let answer = tokio::time::timeout(
                self.inner.request_timeout,
                MaintenanceClient::new(m.channel.clone()).status(pb::StatusRequest {}),
            )
            .await;
            let status = match answer {
                Ok(Ok(r)) => {
                    let r = r.into_inner();
                    let h = r.header.unwrap_or_default();
                    Ok(MemberStatus {
                        member_id: h.member_id,
                        leader: r.leader,
                        version: r.version,
                        raft_term: r.raft_term,
                        revision: h.revision,
                        db_size: r.db_size,
                        errors: r.errors,
                    })
                }
                Ok(Err(s)) => Err(s.message().to_owned()),
                Err(_) => Err(format!("no answer within {:?}", self.inner.request_timeout)),
            };
            out.push(EndpointStatus {
                url: m.url.clone(),
                status,
                round_trip: began.elapsed(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b"/kindling/"), b"/kindling0".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b"\xff\xff"), vec![0]);
        assert_eq!(prefix_end(b""), vec![0]);
    }

    #[test]
    fn endpoints_are_checked() {
        let err = |eps: &[&str]| {
            Client::new(Config::new(eps.iter().map(|s| s.to_string()).collect()))
                .err()
                .map(|e| e.to_string())
        };
        assert!(err(&[]).unwrap().contains("no endpoints"));
        assert!(err(&["10.0.0.1:2379"]).unwrap().contains("http://"));
        assert!(err(&["https://10.0.0.1:2379"]).unwrap().contains("--etcd-ca-file"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            assert!(err(&["http://127.0.0.1:2379", "http://[::1]:2379"]).is_none());
        });
    }
}
