//! Minimal IPv6 router advertisements, for iPXE's sake.
//!
//! iPXE (Debian's 2019 build and others) runs IPv6 autoconfiguration beside
//! DHCPv4 and reports the NIC configured only when that is over: on a network
//! without an IPv6 router it waits about 16 s for router solicitations to time
//! out, on every boot and again after each chainload. A router advertisement
//! that asks for nothing (no managed or other-config flag) ends the wait at
//! once. The one kindling sends is as small as RFC 4861 §4.2 allows: router
//! lifetime 0 (it is not a default router), no prefix (nobody autoconfigures
//! an address from it), no options, so hosts that are not iPXE do nothing
//! with it.
//!
//! Solicitations are answered with a multicast advertisement, at most one per
//! [`MIN_DELAY_BETWEEN_RAS_MS`] per interface (RFC 4861 §6.2.6): a
//! solicitation that arrives sooner is answered when the delay is over, not
//! dropped.

/// ICMPv6 type of a router solicitation.
pub const ROUTER_SOLICITATION: u8 = 133;
/// ICMPv6 type of a router advertisement.
pub const ROUTER_ADVERTISEMENT: u8 = 134;
/// RFC 4861 §10: MIN_DELAY_BETWEEN_RAS, 3 seconds.
pub const MIN_DELAY_BETWEEN_RAS_MS: u64 = 3_000;

/// The advertisement: type 134, code 0, checksum 0 (the kernel computes it
/// for ICMPv6 raw sockets), hop limit unspecified, no flags, router lifetime
/// 0, reachable time and retransmission timer unspecified.
pub fn advertisement() -> [u8; 16] {
    let mut msg = [0u8; 16];
    msg[0] = ROUTER_ADVERTISEMENT;
    msg
}

/// Whether an ICMPv6 message (as a raw socket delivers it, without the IPv6
/// header) is a router solicitation (RFC 4861 §6.1.1: code 0, at least 8 bytes).
pub fn is_solicitation(icmp: &[u8]) -> bool {
    icmp.len() >= 8 && icmp[0] == ROUTER_SOLICITATION && icmp[1] == 0
}

/// When to send, per interface: the clock is a parameter (milliseconds).
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    last_sent: Option<u64>,
    pending: Option<u64>,
}

impl Pacer {
    /// A solicitation arrived at `now`: schedules an advertisement as soon
    /// as the pacing allows (one already scheduled covers this one too).
    pub fn solicited(&mut self, now: u64) {
        let earliest = self.last_sent.map_or(now, |t| now.max(t + MIN_DELAY_BETWEEN_RAS_MS));
        self.pending = Some(self.pending.map_or(earliest, |p| p.min(earliest)));
    }

    /// When the next advertisement is due, if one is.
    pub fn due_at(&self) -> Option<u64> {
        self.pending
    }

    /// Whether to send at `now`; if so the advertisement counts as sent.
    pub fn poll(&mut self, now: u64) -> bool {
        match self.pending {
            Some(at) if at <= now => {
                self.pending = None;
                self.last_sent = Some(now);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertisement_asks_for_nothing() {
        let ra = advertisement();
        assert_eq!(ra[0], 134);
        assert_eq!(ra[1], 0, "code");
        assert_eq!(ra[5], 0, "no managed or other-config flag: iPXE finishes at once");
        assert_eq!(&ra[6..8], &[0, 0], "router lifetime 0: not a default router");
        assert_eq!(ra.len(), 16, "no options, no prefix");
    }

    #[test]
    fn solicitations_recognised() {
        assert!(is_solicitation(&[133, 0, 0x12, 0x34, 0, 0, 0, 0]));
        assert!(is_solicitation(&[
            133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x52, 0x54, 0, 0, 0, 1
        ]));
        assert!(!is_solicitation(&[133, 0, 0, 0]), "too short");
        assert!(!is_solicitation(&[133, 1, 0, 0, 0, 0, 0, 0]), "code must be 0");
        assert!(!is_solicitation(&[135, 0, 0, 0, 0, 0, 0, 0]), "neighbour solicitation");
        assert!(!is_solicitation(&[]));
    }

    #[test]
    fn pacing_delays_instead_of_dropping() {
        let mut p = Pacer::default();
        assert!(!p.poll(0), "nothing asked yet");
        p.solicited(1_000);
        assert_eq!(p.due_at(), Some(1_000), "the first is answered at once");
        assert!(p.poll(1_000));
        assert_eq!(p.due_at(), None);
        // A second client asks 500 ms later: answered 3 s after the last one.
        p.solicited(1_500);
        assert_eq!(p.due_at(), Some(4_000));
        assert!(!p.poll(3_999));
        // More solicitations meanwhile share that one advertisement.
        p.solicited(2_000);
        p.solicited(3_000);
        assert_eq!(p.due_at(), Some(4_000));
        assert!(p.poll(4_000));
        assert!(!p.poll(4_001), "sent once");
        // Long after, at once again.
        p.solicited(60_000);
        assert!(p.poll(60_000));
    }
}
