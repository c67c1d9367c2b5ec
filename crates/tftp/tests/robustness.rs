//! Wire input never panics, and a transfer delivers the file exactly over a
//! lossy link: random datagrams through the decoder, random requests
//! through negotiation, and whole transfers against a simulated RFC 7440
//! client on a link that drops packets in a random pattern.

use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use tftp::packet::{OP_RRQ, encode_request};
use tftp::{Limits, Mode, Outcome, Packet, Send, Transfer, negotiate};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_datagram_decodes_or_fails_cleanly(data in proptest::collection::vec(any::<u8>(), 0..700)) {
        let _ = Packet::decode(&data);
    }

    /// Requests built from arbitrary option names and values: decoding
    /// gives back what was encoded, and negotiation stays within limits.
    #[test]
    fn requests_round_trip_and_negotiate_within_limits(
        name in "[^\0]{0,40}",
        options in proptest::collection::vec(
            (prop_oneof!["blksize", "windowsize", "timeout", "tsize", "[a-zA-Z]{1,8}"],
             prop_oneof!["[0-9]{1,6}", "[^\0]{0,8}"]),
            0..6),
        size in 0u64..10_000_000,
    ) {
        let opts: Vec<(&str, &str)> = options.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let wire = encode_request(OP_RRQ, &name, "octet", &opts);
        let limits = Limits::default();
        match Packet::decode(&wire) {
            Ok(Packet::Rrq(req)) => {
                prop_assert_eq!(&req.filename, &name);
                prop_assert_eq!(req.options.len(), options.len());
                let n = negotiate(&req, size, &limits);
                prop_assert!((8..=limits.max_blksize).contains(&n.blksize) || n.blksize == 512);
                prop_assert!((1..=limits.max_window).contains(&n.window));
                prop_assert!(n.timeout >= Duration::from_secs(1) && n.timeout <= Duration::from_secs(255));
                // Every OACK option was asked for.
                for (k, _) in &n.oack {
                    prop_assert!(req.options.iter().any(|(rk, _)| rk == k));
                }
            }
            Err(tftp::DecodeError::RequestTooLong) => prop_assert!(wire.len() > 514),
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// Arbitrary ACKs, errors and clock jumps: the transfer never panics,
    /// only ever sends blocks of the file, and ends at most once.
    #[test]
    fn arbitrary_events_never_break_a_transfer(
        len in 0usize..5000,
        blksize in 8usize..600,
        window in 1u16..20,
        events in proptest::collection::vec((0u8..4, any::<u16>(), 0u64..20_000), 0..300),
    ) {
        let limits = Limits::default();
        let n = tftp::Negotiated {
            blksize,
            window,
            timeout: Duration::from_secs(1),
            fixed_timeout: false,
            oack: vec![("blksize".into(), blksize.to_string())],
        };
        let mut t = Transfer::new(Bytes::from(vec![7u8; len]), &n, &limits);
        let total = t.total_blocks();
        let mut now = Instant::now();
        let mut ended = 0;
        let check = |sends: &[Send]| {
            sends.iter().all(|s| match s {
                Send::Block(b) => (1..=total).contains(b),
                Send::Oack(_) => true,
            })
        };
        prop_assert!(check(&t.start(now)));
        for (kind, block, advance_ms) in events {
            now += Duration::from_millis(advance_ms);
            let (sends, outcome) = match kind {
                0 | 1 => t.on_ack(now, block),
                2 => t.on_timeout(now),
                _ => {
                    if t.is_done() {
                        continue;
                    }
                    (Vec::new(), Some(t.on_error(block, "stop".into())))
                }
            };
            prop_assert!(check(&sends));
            if let Some((_, payload)) = sends.iter().find_map(|s| match s { Send::Block(b) => Some(t.block(*b)), _ => None }) {
                prop_assert!(payload.len() <= blksize);
            }
            if outcome.is_some() {
                ended += 1;
            }
            if t.is_done() {
                prop_assert!(t.deadline().is_none());
            }
        }
        prop_assert!(ended <= 1);
    }
}

/// An RFC 7440 client: acknowledges after `window` in-order blocks or the
/// last block, and on a gap acknowledges the last block it has in order.
struct Client {
    window: u16,
    received: Vec<u8>,
    next: u64,
    in_window: u16,
    done: bool,
}

impl Client {
    fn on_data(&mut self, wire_block: u16, data: &[u8], blksize: usize) -> Option<u16> {
        if self.done {
            // The final ACK was lost: acknowledge the last block again.
            return Some(((self.next - 1) % 65536) as u16);
        }
        if wire_block != (self.next % 65536) as u16 {
            self.in_window = 0;
            return Some(((self.next - 1) % 65536) as u16);
        }
        self.received.extend_from_slice(data);
        self.next += 1;
        self.in_window += 1;
        let last = data.len() < blksize;
        if last {
            self.done = true;
        }
        if last || self.in_window >= self.window {
            self.in_window = 0;
            return Some(((self.next - 1) % 65536) as u16);
        }
        None
    }
}

/// A link that drops each packet with probability `loss_percent`, from a
/// seeded generator (xorshift), so a failing case replays exactly.
struct Link {
    state: u64,
    loss_percent: u64,
}

impl Link {
    fn drops(&mut self) -> bool {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % 100 < self.loss_percent
    }
}

/// Runs one transfer over a lossy link. Returns the outcome, the bytes the
/// client assembled and the number of retransmitted blocks. Panics if the
/// server ever stalls (waits for its deadline) after an exchange in which
/// no packet was lost: that would be a protocol bug, not bad luck.
fn simulate(file: &[u8], blksize: usize, window: u16, mut link: Link) -> (Outcome, Vec<u8>, u64) {
    let limits = Limits::default();
    let n = tftp::Negotiated {
        blksize,
        window,
        timeout: limits.default_timeout,
        fixed_timeout: false,
        oack: vec![
            ("blksize".into(), blksize.to_string()),
            ("windowsize".into(), window.to_string()),
        ],
    };
    let mut t = Transfer::new(
        Transfer::payload(Bytes::copy_from_slice(file), Mode::Octet),
        &n,
        &limits,
    );
    let mut client = Client {
        window,
        received: Vec::new(),
        next: 1,
        in_window: 0,
        done: false,
    };
    let mut now = Instant::now();
    let mut sends = t.start(now);
    let mut lost_since_progress = 0;
    for _ in 0..2_000_000 {
        let mut acks = Vec::new();
        for s in sends.drain(..) {
            if link.drops() {
                lost_since_progress += 1;
                continue;
            }
            match s {
                // The client acknowledges the OACK with ACK 0.
                Send::Oack(_) => acks.push(0u16),
                Send::Block(b) => {
                    let (wire, data) = t.block(b);
                    if let Some(ack) = client.on_data(wire, data, blksize) {
                        acks.push(ack);
                    }
                }
            }
        }
        for ack in acks {
            if link.drops() {
                lost_since_progress += 1;
                continue;
            }
            now += Duration::from_millis(1);
            let (more, outcome) = t.on_ack(now, ack);
            if let Some(o) = outcome {
                return (o, client.received, t.retransmissions);
            }
            if !more.is_empty() {
                lost_since_progress = 0;
            }
            sends.extend(more);
        }
        if sends.is_empty() {
            assert!(
                lost_since_progress > 0,
                "the transfer stalled at block {} of {} although no packet was lost",
                client.next,
                t.total_blocks()
            );
            now = t.deadline().expect("a running transfer has a deadline");
            let (more, outcome) = t.on_timeout(now);
            if let Some(o) = outcome {
                return (o, client.received, t.retransmissions);
            }
            sends = more;
        }
    }
    panic!("the transfer neither completed nor timed out");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Over a link losing up to 40 % of packets, the client ends with
    /// exactly the file, or the server gives up after a run of lost
    /// exchanges; the client never holds a byte that differs from the file.
    /// Below 5 % loss, giving up would take seven lost rounds in a row on
    /// a short file: the transfer must complete.
    #[test]
    fn lossy_transfers_deliver_the_file_exactly(
        file in proptest::collection::vec(any::<u8>(), 0..6000),
        blksize in prop_oneof![Just(512usize), 8usize..700],
        window in 1u16..12,
        loss_percent in 0u64..40,
        seed in 1u64..,
    ) {
        let (outcome, got, retx) = simulate(&file, blksize, window, Link { state: seed, loss_percent });
        prop_assert!(file.starts_with(&got), "the client assembled bytes that are not the file");
        match outcome {
            Outcome::Complete => prop_assert_eq!(got.len(), file.len()),
            Outcome::TimedOut => prop_assert!(loss_percent >= 5, "gave up at {}% loss", loss_percent),
            Outcome::ClientError { .. } => prop_assert!(false, "no client error was sent"),
        }
        if loss_percent == 0 {
            prop_assert_eq!(retx, 0);
        }
    }
}

#[test]
fn no_loss_no_retransmission() {
    let file: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
    for window in [1, 4, 16] {
        let (outcome, got, retx) = simulate(
            &file,
            1468,
            window,
            Link {
                state: 1,
                loss_percent: 0,
            },
        );
        assert_eq!(outcome, Outcome::Complete);
        assert_eq!(got, file);
        assert_eq!(retx, 0, "window {window}");
    }
}

/// More than 65535 blocks with losses: the wire block number wraps and the
/// file still arrives intact.
#[test]
fn rollover_with_losses() {
    let file: Vec<u8> = (0..(70_000u32 * 16 + 5)).map(|i| (i % 253) as u8).collect();
    for window in [1, 8] {
        let link = Link {
            state: 0x9e37_79b9_7f4a_7c15,
            loss_percent: 2,
        };
        let (outcome, got, retx) = simulate(&file, 16, window, link);
        assert_eq!(outcome, Outcome::Complete, "window {window}");
        assert!(got == file, "window {window}: the file arrived corrupted");
        assert!(retx > 0);
    }
}
