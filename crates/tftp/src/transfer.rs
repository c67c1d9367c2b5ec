//! One read transfer as a state machine: option negotiation (RFC 2347,
//! 2348 blksize, 2349 tsize and timeout, 7440 windowsize), windowed sending
//! with block-number rollover, retransmission with backoff, and duplicate
//! ACKs ignored (no Sorcerer's Apprentice). Time comes in as a parameter;
//! nothing here touches a socket or a clock.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::packet::{Mode, Request, encode_oack};

/// Server-side limits for negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest block the path allows (interface MTU − 32 for IPv4/UDP/TFTP).
    pub max_blksize: usize,
    pub max_window: u16,
    /// First retransmission timeout when the client does not ask for one;
    /// then it adapts to the measured round trip, down to `min_timeout`.
    pub default_timeout: Duration,
    /// Lowest adaptive retransmission timeout.
    pub min_timeout: Duration,
    /// How long to wait for the ACK of an OACK before sending it again.
    /// Long on purpose: a client that acknowledged the OACK retransmits
    /// its ACK on its own, and strict clients (atftp) abort on a second
    /// OACK; a client whose OACK was lost sends its request again.
    pub oack_timeout: Duration,
    /// Longest wait between retransmissions after backoff.
    pub max_timeout: Duration,
    /// Retransmissions of the same window before giving up.
    pub max_retries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_blksize: 1468,
            max_window: 64,
            default_timeout: Duration::from_secs(1),
            min_timeout: Duration::from_millis(200),
            oack_timeout: Duration::from_secs(5),
            max_timeout: Duration::from_secs(8),
            max_retries: 6,
        }
    }
}

/// What was agreed with the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub blksize: usize,
    pub window: u16,
    pub timeout: Duration,
    /// The client chose the timeout (RFC 2349): use it as is, do not adapt.
    pub fixed_timeout: bool,
    /// Accepted options, in the client's order, for the OACK (empty: no OACK).
    pub oack: Vec<(String, String)>,
}

/// RFC 2347: accept the options kindling supports within range, ignore the
/// rest (an option the server does not echo is refused).
pub fn negotiate(req: &Request, size: u64, limits: &Limits) -> Negotiated {
    let mut n = Negotiated {
        blksize: 512,
        window: 1,
        timeout: limits.default_timeout,
        fixed_timeout: false,
        oack: Vec::new(),
    };
    for (name, value) in &req.options {
        match name.as_str() {
            "blksize" => {
                if let Ok(v) = value.parse::<usize>()
                    && (8..=65464).contains(&v)
                {
                    n.blksize = v.min(limits.max_blksize);
                    n.oack.push((name.clone(), n.blksize.to_string()));
                }
            }
            "windowsize" => {
                if let Ok(v) = value.parse::<u32>()
                    && (1..=65535).contains(&v)
                {
                    n.window = (v as u16).min(limits.max_window);
                    n.oack.push((name.clone(), n.window.to_string()));
                }
            }
            "timeout" => {
                if let Ok(v) = value.parse::<u64>()
                    && (1..=255).contains(&v)
                {
                    n.timeout = Duration::from_secs(v);
                    n.fixed_timeout = true;
                    n.oack.push((name.clone(), v.to_string()));
                }
            }
            // RFC 2349: in a read request the client sends 0; the server
            // answers with the size it will send.
            "tsize" if value.parse::<u64>().is_ok() => {
                n.oack.push((name.clone(), size.to_string()));
            }
            _ => {}
        }
    }
    n
}

/// Converts to netascii: LF → CR LF, CR → CR NUL (RFC 764).
pub fn to_netascii(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    for &b in data {
        match b {
            b'\n' => out.extend_from_slice(b"\r\n"),
            b'\r' => out.extend_from_slice(b"\r\0"),
            b => out.push(b),
        }
    }
    out
}

/// Something to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Send {
    /// The OACK packet.
    Oack(Vec<u8>),
    /// DATA for this absolute block number (1-based; the wire number wraps).
    Block(u64),
}

/// How a transfer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    /// The client sent an ERROR (PXE ROMs do so after reading `tsize`).
    ClientError {
        code: u16,
        message: String,
    },
    /// No answer after every retransmission.
    TimedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// OACK sent, waiting for ACK 0.
    Oack,
    Sending,
    Done,
}

#[derive(Debug)]
pub struct Transfer {
    data: Bytes,
    blksize: usize,
    window: u64,
    total_blocks: u64,
    oack: Option<Vec<u8>>,
    phase: Phase,
    /// Highest block the client acknowledged.
    acked: u64,
    /// Highest block sent in the current window.
    sent: u64,
    base_timeout: Duration,
    oack_timeout: Duration,
    min_timeout: Duration,
    max_timeout: Duration,
    adaptive: bool,
    /// Smoothed round trip and its variation (RFC 6298), once measured.
    srtt: Option<(Duration, Duration)>,
    /// The window being timed: its last block and when it was sent (Karn:
    /// cleared when that window is retransmitted).
    timing: Option<(u64, Instant)>,
    rto: Duration,
    retries: u32,
    max_retries: u32,
    deadline: Option<Instant>,
    /// Blocks sent, retransmissions included (for metrics).
    pub blocks_sent: u64,
    pub retransmissions: u64,
}

impl Transfer {
    /// A transfer of `data` (already converted for netascii) as negotiated.
    pub fn new(data: Bytes, n: &Negotiated, limits: &Limits) -> Transfer {
        let blksize = n.blksize.max(1);
        Transfer {
            total_blocks: data.len() as u64 / blksize as u64 + 1,
            data,
            blksize,
            window: n.window.max(1) as u64,
            oack: (!n.oack.is_empty()).then(|| encode_oack(&n.oack)),
            phase: Phase::Oack,
            acked: 0,
            sent: 0,
            base_timeout: n.timeout,
            oack_timeout: if n.fixed_timeout {
                n.timeout
            } else {
                limits.oack_timeout.max(n.timeout)
            },
            min_timeout: limits.min_timeout.min(n.timeout),
            max_timeout: limits.max_timeout.max(n.timeout),
            adaptive: !n.fixed_timeout,
            srtt: None,
            timing: None,
            rto: n.timeout,
            retries: 0,
            max_retries: limits.max_retries,
            deadline: None,
            blocks_sent: 0,
            retransmissions: 0,
        }
    }

    /// The data to send for a request in `mode` (netascii converted).
    pub fn payload(file: Bytes, mode: Mode) -> Bytes {
        match mode {
            Mode::Netascii => Bytes::from(to_netascii(&file)),
            _ => file,
        }
    }

    pub fn blksize(&self) -> usize {
        self.blksize
    }

    pub fn total_blocks(&self) -> u64 {
        self.total_blocks
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// When [`Transfer::on_timeout`] must next be called.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The wire block number and payload of absolute block `n`.
    pub fn block(&self, n: u64) -> (u16, &[u8]) {
        let start = ((n - 1) * self.blksize as u64).min(self.data.len() as u64) as usize;
        let end = (start + self.blksize).min(self.data.len());
        ((n % 65536) as u16, &self.data[start..end])
    }

    /// Begins: the OACK, or the first window.
    pub fn start(&mut self, now: Instant) -> Vec<Send> {
        match self.oack.clone() {
            Some(oack) => {
                self.deadline = Some(now + self.oack_timeout);
                vec![Send::Oack(oack)]
            }
            None => {
                self.phase = Phase::Sending;
                self.send_window(now)
            }
        }
    }

    fn send_window(&mut self, now: Instant) -> Vec<Send> {
        let last = (self.acked + self.window).min(self.total_blocks);
        self.sent = last;
        self.deadline = Some(now + self.rto);
        self.timing = Some((last, now));
        let out: Vec<Send> = (self.acked + 1..=last).map(Send::Block).collect();
        self.blocks_sent += out.len() as u64;
        out
    }

    /// An ACK from the client. Returns what to send, and the outcome when
    /// the transfer just finished.
    pub fn on_ack(&mut self, now: Instant, block: u16) -> (Vec<Send>, Option<Outcome>) {
        match self.phase {
            Phase::Done => (Vec::new(), None),
            Phase::Oack => {
                if block != 0 {
                    return (Vec::new(), None);
                }
                self.phase = Phase::Sending;
                self.reset_backoff();
                (self.send_window(now), None)
            }
            Phase::Sending => {
                // The absolute block this ACK names: the one in (acked, sent]
                // with this wire number; anything else is old or duplicate.
                let diff = block.wrapping_sub(self.acked as u16) as u64;
                let abs = self.acked + diff;
                if diff == 0 || abs > self.sent {
                    return (Vec::new(), None);
                }
                self.acked = abs;
                if let Some((timed, sent_at)) = self.timing
                    && abs >= timed
                {
                    self.sample_rtt(now.saturating_duration_since(sent_at));
                }
                self.reset_backoff();
                if self.acked >= self.total_blocks {
                    self.phase = Phase::Done;
                    self.deadline = None;
                    return (Vec::new(), Some(Outcome::Complete));
                }
                // A window acknowledged in full, or only part of it (RFC 7440:
                // the client lost later blocks): continue from acked + 1.
                (self.send_window(now), None)
            }
        }
    }

    /// The client aborted with an ERROR.
    pub fn on_error(&mut self, code: u16, message: String) -> Outcome {
        self.phase = Phase::Done;
        self.deadline = None;
        Outcome::ClientError { code, message }
    }

    /// The deadline passed: retransmit the OACK or the whole window, with
    /// a doubled timeout, or give up after `max_retries`.
    pub fn on_timeout(&mut self, now: Instant) -> (Vec<Send>, Option<Outcome>) {
        match self.deadline {
            Some(d) if now >= d && self.phase != Phase::Done => {}
            _ => return (Vec::new(), None),
        }
        self.retries += 1;
        if self.retries > self.max_retries {
            self.phase = Phase::Done;
            self.deadline = None;
            return (Vec::new(), Some(Outcome::TimedOut));
        }
        self.rto = (self.rto * 2).min(self.max_timeout);
        self.deadline = Some(
            now + if self.phase == Phase::Oack {
                self.oack_timeout
            } else {
                self.rto
            },
        );
        self.timing = None;
        match self.phase {
            Phase::Oack => (self.oack.clone().map(Send::Oack).into_iter().collect(), None),
            Phase::Sending => {
                let out: Vec<Send> = (self.acked + 1..=self.sent).map(Send::Block).collect();
                self.blocks_sent += out.len() as u64;
                self.retransmissions += out.len() as u64;
                (out, None)
            }
            Phase::Done => (Vec::new(), None),
        }
    }

    fn reset_backoff(&mut self) {
        self.retries = 0;
        self.rto = match self.srtt {
            Some((srtt, var)) if self.adaptive => (srtt + 4 * var).clamp(self.min_timeout, self.base_timeout),
            _ => self.base_timeout,
        };
    }

    /// RFC 6298 smoothing of a round-trip sample.
    fn sample_rtt(&mut self, sample: Duration) {
        self.srtt = Some(match self.srtt {
            None => (sample, sample / 2),
            Some((srtt, var)) => {
                let diff = srtt.abs_diff(sample);
                (srtt * 7 / 8 + sample / 8, var * 3 / 4 + diff / 4)
            }
        });
    }

    /// The current retransmission timeout (for tests and metrics).
    pub fn rto(&self) -> Duration {
        self.rto
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Mode, Request};

    fn req(opts: &[(&str, &str)]) -> Request {
        Request {
            filename: "f".into(),
            mode: Mode::Octet,
            options: opts.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
        }
    }

    fn transfer(len: usize, opts: &[(&str, &str)]) -> Transfer {
        let limits = Limits::default();
        let n = negotiate(&req(opts), len as u64, &limits);
        Transfer::new(Bytes::from(vec![7u8; len]), &n, &limits)
    }

    fn blocks(s: &[Send]) -> Vec<u64> {
        s.iter()
            .filter_map(|x| if let Send::Block(b) = x { Some(*b) } else { None })
            .collect()
    }

    #[test]
    fn negotiation_caps_and_ignores() {
        let l = Limits::default();
        let n = negotiate(
            &req(&[
                ("blksize", "9000"),
                ("tsize", "0"),
                ("windowsize", "500"),
                ("timeout", "3"),
                ("foo", "1"),
            ]),
            1234,
            &l,
        );
        assert_eq!((n.blksize, n.window, n.timeout), (1468, 64, Duration::from_secs(3)));
        assert_eq!(
            n.oack,
            vec![
                ("blksize".into(), "1468".into()),
                ("tsize".into(), "1234".into()),
                ("windowsize".into(), "64".into()),
                ("timeout".into(), "3".into())
            ]
        );
        let n = negotiate(
            &req(&[("blksize", "7"), ("timeout", "0"), ("windowsize", "0"), ("tsize", "x")]),
            1,
            &l,
        );
        assert!(n.oack.is_empty());
        assert_eq!((n.blksize, n.window), (512, 1));
    }

    #[test]
    fn lock_step_without_options() {
        let now = Instant::now();
        let mut t = transfer(1024, &[]);
        assert_eq!(blocks(&t.start(now)), [1]);
        assert_eq!(t.block(1).1.len(), 512);
        assert_eq!(blocks(&t.on_ack(now, 1).0), [2]);
        // 1024 = 2 × 512: a final empty block ends the transfer.
        let (s, _) = t.on_ack(now, 2);
        assert_eq!(blocks(&s), [3]);
        assert!(t.block(3).1.is_empty());
        assert_eq!(t.on_ack(now, 3), (vec![], Some(Outcome::Complete)));
    }

    #[test]
    fn oack_then_windows_and_duplicate_acks_ignored() {
        let now = Instant::now();
        let mut t = transfer(10_000, &[("blksize", "1000"), ("windowsize", "4")]);
        assert!(matches!(t.start(now)[..], [Send::Oack(_)]));
        assert_eq!(
            blocks(&t.on_ack(now, 1).0),
            Vec::<u64>::new(),
            "only ACK 0 answers an OACK"
        );
        assert_eq!(blocks(&t.on_ack(now, 0).0), [1, 2, 3, 4]);
        assert_eq!(blocks(&t.on_ack(now, 4).0), [5, 6, 7, 8]);
        // A duplicate ACK 4 sends nothing (Sorcerer's Apprentice).
        assert_eq!(blocks(&t.on_ack(now, 4).0), Vec::<u64>::new());
        // A partial ACK: the client lost 7 and 8; resend from 7.
        assert_eq!(blocks(&t.on_ack(now, 6).0), [7, 8, 9, 10]);
        assert_eq!(blocks(&t.on_ack(now, 10).0), [11]);
        assert_eq!(t.on_ack(now, 11).1, Some(Outcome::Complete));
    }

    #[test]
    fn rollover_past_65535_blocks() {
        let now = Instant::now();
        let mut t = transfer(70_000 * 8, &[("blksize", "8")]);
        t.start(now);
        t.on_ack(now, 0);
        for abs in 1..=70_000u64 {
            let wire = (abs % 65536) as u16;
            assert_eq!(t.block(abs).0, wire);
            let (s, done) = t.on_ack(now, wire);
            if abs < 70_000 {
                assert_eq!(blocks(&s), [abs + 1], "at {abs}");
            } else {
                assert!(done.is_none());
            }
        }
        assert_eq!(t.on_ack(now, (70_001 % 65536) as u16).1, Some(Outcome::Complete));
    }

    #[test]
    fn retransmission_backs_off_then_gives_up() {
        let t0 = Instant::now();
        let mut t = transfer(5000, &[("windowsize", "2")]);
        t.start(t0);
        assert_eq!(t.on_timeout(t0), (vec![], None), "not yet");
        assert_eq!(
            t.deadline().unwrap() - t0,
            Duration::from_secs(5),
            "an OACK waits long for its ACK"
        );
        t.on_ack(t0, 0);
        let mut waits = Vec::new();
        for _ in 0..6 {
            let now = t.deadline().unwrap();
            let (s, done) = t.on_timeout(now);
            assert_eq!(blocks(&s), [1, 2]);
            assert!(done.is_none());
            waits.push(t.deadline().unwrap() - now);
        }
        assert_eq!(
            waits.iter().map(|d| d.as_secs()).collect::<Vec<_>>(),
            [2, 4, 8, 8, 8, 8]
        );
        let (_, done) = t.on_timeout(t.deadline().unwrap());
        assert_eq!(done, Some(Outcome::TimedOut));
        assert!(t.is_done());
    }

    #[test]
    fn an_ack_resets_the_backoff() {
        let t0 = Instant::now();
        let mut t = transfer(5000, &[]);
        t.start(t0);
        t.on_timeout(t.deadline().unwrap());
        let now = t.deadline().unwrap();
        t.on_ack(now, 1);
        assert_eq!(t.deadline().unwrap() - now, Duration::from_secs(1));
    }

    #[test]
    fn timeout_adapts_to_the_round_trip_unless_the_client_chose_one() {
        let t0 = Instant::now();
        let mut t = transfer(100_000, &[]);
        t.start(t0);
        let mut now = t0;
        for b in 1..=20u16 {
            now += Duration::from_millis(2);
            t.on_ack(now, b);
        }
        assert_eq!(t.rto(), Duration::from_millis(200), "fast link: the floor");
        let mut fixed = transfer(100_000, &[("timeout", "3")]);
        fixed.start(t0);
        fixed.on_ack(t0, 0);
        fixed.on_ack(t0 + Duration::from_millis(1), 1);
        assert_eq!(fixed.rto(), Duration::from_secs(3));
    }

    #[test]
    fn netascii() {
        assert_eq!(to_netascii(b"a\nb\rc"), b"a\r\nb\r\0c");
    }
}
