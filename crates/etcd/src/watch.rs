//! Watches: every change to a key range from a revision on, in order.

use tokio::sync::mpsc;
use tonic::Streaming;

use crate::client::{Client, leader_required};
use crate::error::{Error, retriable};
use crate::pb::watch_client::WatchClient;
use crate::{Kv, pb};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
}

/// One change: the key's new value, or its deletion (`kv.value` is empty
/// then and `kv.mod_revision` is the deletion's revision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub kv: Kv,
}

/// The changes of one answer, and the revision the watch has reached: every
/// change up to `revision` has been delivered once this batch is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchBatch {
    pub revision: i64,
    /// Empty for a progress report.
    pub events: Vec<Event>,
}

/// An open watch. Dropping it closes the stream.
#[derive(Debug)]
pub struct Watcher {
    requests: mpsc::Sender<pb::WatchRequest>,
    stream: Streaming<pb::WatchResponse>,
    endpoint: String,
    start: i64,
}

impl Client {
    /// Watches every key in `[key, range_end)` from `start_revision` on (0:
    /// from now). The stream is opened on the first endpoint that accepts
    /// it; a member without a leader ends the watch rather than stall it.
    pub async fn watch(&self, key: &[u8], range_end: &[u8], start_revision: i64) -> Result<Watcher, Error> {
        let create = pb::WatchRequest {
            request_union: Some(pb::watch_request::RequestUnion::CreateRequest(pb::WatchCreateRequest {
                key: key.to_vec(),
                range_end: range_end.to_vec(),
                start_revision,
                progress_notify: true,
                prev_kv: false,
            })),
        };
        let mut last = String::new();
        for (idx, url, channel) in self.members_in_order() {
            let (tx, rx) = mpsc::channel(4);
            let _ = tx.send(create.clone()).await;
            let open = async {
                let mut stream = WatchClient::new(channel)
                    .watch(leader_required(tokio_stream::wrappers::ReceiverStream::new(rx)))
                    .await?
                    .into_inner();
                // The first answer confirms the watch (or says it cannot start).
                match stream.message().await? {
                    Some(first) => Ok((stream, first)),
                    None => Err(tonic::Status::unavailable("the watch stream closed at once")),
                }
            };
            match tokio::time::timeout(self.request_timeout(), open).await {
                Ok(Ok((stream, first))) => {
                    if first.compact_revision > 0 {
                        return Err(Error::Compacted {
                            requested: start_revision,
                            compacted: first.compact_revision,
                        });
                    }
                    if first.canceled {
                        last = format!("{url}: watch refused: {}", first.cancel_reason);
                        continue;
                    }
                    self.prefer(idx);
                    return Ok(Watcher {
                        requests: tx,
                        stream,
                        endpoint: url,
                        start: start_revision,
                    });
                }
                Ok(Err(status)) if retriable(&status) => last = format!("{url}: {}", status.message()),
                Ok(Err(status)) => {
                    return Err(Error::Rejected {
                        code: status.code(),
                        message: status.message().to_owned(),
                    });
                }
                Err(_) => last = format!("{url}: no answer within {:?}", self.request_timeout()),
            }
        }
        Err(Error::Unavailable {
            endpoints: self.endpoints().join(", "),
            last,
        })
    }
}

impl Watcher {
    /// The endpoint this watch runs on.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Asks etcd for a progress report (an empty batch with the revision the
    /// watch has reached), answered after any pending changes.
    pub async fn request_progress(&self) {
        let _ = self
            .requests
            .send(pb::WatchRequest {
                request_union: Some(pb::watch_request::RequestUnion::ProgressRequest(
                    pb::WatchProgressRequest {},
                )),
            })
            .await;
    }

    /// The next batch of changes (or progress report). An error ends the
    /// watch: `Compacted` means its history is gone (read everything again),
    /// anything else that the stream broke (watch again from the next
    /// revision, on another endpoint if need be).
    pub async fn next(&mut self) -> Result<WatchBatch, Error> {
        loop {
            let msg = match self.stream.message().await {
                Ok(Some(m)) => m,
                Ok(None) => {
                    return Err(Error::WatchEnded {
                        endpoint: self.endpoint.clone(),
                        reason: "the stream closed".into(),
                    });
                }
                Err(status) => {
                    return Err(Error::WatchEnded {
                        endpoint: self.endpoint.clone(),
                        reason: status.message().to_owned(),
                    });
                }
            };
            if msg.compact_revision > 0 {
                return Err(Error::Compacted {
                    requested: self.start,
                    compacted: msg.compact_revision,
                });
            }
            if msg.canceled {
                return Err(Error::WatchEnded {
                    endpoint: self.endpoint.clone(),
                    reason: if msg.cancel_reason.is_empty() {
                        "canceled by the server".into()
                    } else {
                        msg.cancel_reason
                    },
                });
            }
            if msg.created {
                continue;
            }
            let header_revision = msg.header.map(|h| h.revision).unwrap_or(0);
            let events: Vec<Event> = msg
                .events
                .into_iter()
                .filter_map(|e| {
                    let kind = match pb::event::EventType::try_from(e.r#type) {
                        Ok(pb::event::EventType::Delete) => EventKind::Delete,
                        _ => EventKind::Put,
                    };
                    e.kv.map(|kv| Event { kind, kv: Kv::from(kv) })
                })
                .collect();
            // With changes, the header may be ahead of them while a lagging
            // watch catches up in several answers: only the last change's
            // revision is known to be complete. A progress report (no
            // changes) is sent only by a watch that has caught up.
            let revision = events.last().map(|e| e.kv.mod_revision).unwrap_or(header_revision);
            self.start = revision + 1;
            return Ok(WatchBatch { revision, events });
        }
    }
}
