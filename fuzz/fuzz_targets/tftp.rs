//! Any datagram through the TFTP decoder; a read request that decodes goes
//! through negotiation and a transfer driven by the rest of the input as
//! ACKs and timeouts: never a panic, never a block outside the file.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use tftp::{Limits, Packet, Send, Transfer, negotiate};

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| b as usize).min(data.len());
    let (request, events) = data.split_at(split);
    let Ok(Packet::Rrq(req)) = Packet::decode(request) else {
        let _ = Packet::decode(data);
        return;
    };
    let limits = Limits::default();
    let size = events.len() as u64 * 37;
    let n = negotiate(&req, size, &limits);
    let mut t = Transfer::new(Transfer::payload(Bytes::from(vec![1u8; size as usize]), req.mode), &n, &limits);
    let total = t.total_blocks();
    let mut now = Instant::now();
    let mut sends = t.start(now);
    for chunk in events.chunks(3) {
        for s in &sends {
            if let Send::Block(b) = s {
                assert!((1..=total).contains(b));
                assert!(t.block(*b).1.len() <= t.blksize());
            }
        }
        let [kind, hi, lo] = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        now += Duration::from_millis(u64::from(kind) * 40);
        sends = match kind % 3 {
            0 => t.on_timeout(now).0,
            _ => t.on_ack(now, u16::from_be_bytes([hi, lo])).0,
        };
    }
});
