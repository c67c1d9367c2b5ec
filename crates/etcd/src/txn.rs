//! Transactions: compares, then the operations for success or failure.

use crate::Kv;
use crate::pb;
use crate::pb::compare::{CompareResult, CompareTarget, TargetUnion};

/// A transaction under construction. Compares are all "equal"; that is
/// every compare-and-swap kindling needs (a key's mod revision as last
/// read, 0 for "does not exist").
#[derive(Debug, Clone, Default)]
pub struct Txn {
    req: pb::TxnRequest,
}

/// What one operation of a transaction returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    Get(Vec<Kv>),
    Put,
    Delete { deleted: i64 },
}

/// The answer to a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOutcome {
    /// Whether every compare held (so the success operations ran).
    pub succeeded: bool,
    /// The store's revision after the transaction (the revision of its
    /// writes when it wrote anything).
    pub revision: i64,
    pub results: Vec<OpResult>,
}

fn put_op(key: &[u8], value: &[u8], lease: i64) -> pb::RequestOp {
    pb::RequestOp {
        request: Some(pb::request_op::Request::RequestPut(pb::PutRequest {
            key: key.to_vec(),
            value: value.to_vec(),
            lease,
            prev_kv: false,
        })),
    }
}

fn delete_op(key: &[u8]) -> pb::RequestOp {
    pb::RequestOp {
        request: Some(pb::request_op::Request::RequestDeleteRange(pb::DeleteRangeRequest {
            key: key.to_vec(),
            ..Default::default()
        })),
    }
}

fn get_op(key: &[u8]) -> pb::RequestOp {
    pb::RequestOp {
        request: Some(pb::request_op::Request::RequestRange(pb::RangeRequest {
            key: key.to_vec(),
            ..Default::default()
        })),
    }
}

impl Txn {
    pub fn new() -> Txn {
        Txn::default()
    }

    /// Holds when `key` was last changed at `revision` (0: it does not exist).
    pub fn when_mod_revision(mut self, key: &[u8], revision: i64) -> Txn {
        self.req.compare.push(pb::Compare {
            result: CompareResult::Equal as i32,
            target: CompareTarget::Mod as i32,
            key: key.to_vec(),
            target_union: Some(TargetUnion::ModRevision(revision)),
        });
        self
    }

    /// Holds when `key` has this version (0: it does not exist).
    pub fn when_version(mut self, key: &[u8], version: i64) -> Txn {
        self.req.compare.push(pb::Compare {
            result: CompareResult::Equal as i32,
            target: CompareTarget::Version as i32,
            key: key.to_vec(),
            target_union: Some(TargetUnion::Version(version)),
        });
        self
    }

    /// Holds when `key` is attached to this etcd lease.
    pub fn when_lease(mut self, key: &[u8], lease: i64) -> Txn {
        self.req.compare.push(pb::Compare {
            result: CompareResult::Equal as i32,
            target: CompareTarget::Lease as i32,
            key: key.to_vec(),
            target_union: Some(TargetUnion::Lease(lease)),
        });
        self
    }

    pub fn and_put(mut self, key: &[u8], value: &[u8], lease: i64) -> Txn {
        self.req.success.push(put_op(key, value, lease));
        self
    }

    pub fn and_delete(mut self, key: &[u8]) -> Txn {
        self.req.success.push(delete_op(key));
        self
    }

    pub fn and_get(mut self, key: &[u8]) -> Txn {
        self.req.success.push(get_op(key));
        self
    }

    /// Reads `key` when a compare fails (to see what won the race).
    pub fn or_get(mut self, key: &[u8]) -> Txn {
        self.req.failure.push(get_op(key));
        self
    }

    /// The number of operations in the larger branch (etcd refuses more than
    /// `--max-txn-ops`, 128 by default, in either).
    pub fn ops(&self) -> usize {
        self.req
            .compare
            .len()
            .max(self.req.success.len())
            .max(self.req.failure.len())
    }

    pub(crate) fn request(&self) -> &pb::TxnRequest {
        &self.req
    }
}

impl TxnOutcome {
    pub(crate) fn from_response(resp: pb::TxnResponse) -> TxnOutcome {
        let results = resp
            .responses
            .into_iter()
            .map(|r| match r.response {
                Some(pb::response_op::Response::ResponseRange(r)) => {
                    OpResult::Get(r.kvs.into_iter().map(Kv::from).collect())
                }
                Some(pb::response_op::Response::ResponseDeleteRange(d)) => OpResult::Delete { deleted: d.deleted },
                Some(pb::response_op::Response::ResponsePut(_)) | None => OpResult::Put,
            })
            .collect();
        TxnOutcome {
            succeeded: resp.succeeded,
            revision: resp.header.map(|h| h.revision).unwrap_or(0),
            results,
        }
    }
}
