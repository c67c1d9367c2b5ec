//! The lease table: which address belongs to which client until when, and
//! how a free address is chosen. In memory; every change that must survive
//! a crash is returned to the caller as a [`Lease`] to persist (the caller
//! acknowledges a lease only once it is durable). Time is a parameter
//! (`now`, Unix seconds), never read here.
//!
//! With several replicas sharing one lease store, the table is each
//! replica's view of the shared records: records other replicas wrote come
//! in through [`LeaseTable::apply_remote`], an expired lease of someone else
//! is reused only after a grace period for clock skew, and free addresses
//! are looked for first in this replica's share of each range ([`Share`]),
//! so that concurrent allocations rarely collide. The store's
//! compare-and-swap decides the rare collision; this table never has to be
//! right about other replicas, only never optimistic about them.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::config::{Reservation, Subnet};

/// Seconds since the Unix epoch.
pub type UnixTime = u64;

/// Who holds a lease: the client identifier (option 61) when the client
/// sends one, else the hardware type and address (RFC 2131 §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(pub Vec<u8>);

impl ClientKey {
    pub fn from_request(msg: &crate::wire::Message) -> ClientKey {
        match msg.options.client_id() {
            Some(id) => ClientKey(id.to_vec()),
            None => {
                let mut k = vec![msg.htype];
                k.extend_from_slice(msg.hw_addr());
                ClientKey(k)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// Acknowledged; valid until `expires`.
    Active,
    /// Given back by the client (DHCPRELEASE) or expired early.
    Released,
    /// Declined by a client (DHCPDECLINE: someone else uses it); kept out of
    /// use until `expires`.
    Probation,
}

impl LeaseState {
    pub fn name(self) -> &'static str {
        match self {
            LeaseState::Active => "active",
            LeaseState::Released => "released",
            LeaseState::Probation => "probation",
        }
    }

    pub fn parse(s: &str) -> Option<LeaseState> {
        match s {
            "active" => Some(LeaseState::Active),
            "released" => Some(LeaseState::Released),
            "probation" => Some(LeaseState::Probation),
            _ => None,
        }
    }
}

/// One address's record, as persisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub ip: Ipv4Addr,
    pub client: ClientKey,
    /// Hardware address (for `kindling leases`, DNS names, ARP).
    pub hw: Vec<u8>,
    pub hostname: Option<String>,
    pub expires: UnixTime,
    pub state: LeaseState,
}

impl Lease {
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.state == LeaseState::Active && self.expires > now
    }

    /// Whether the address is out of use for anyone but `client`, an
    /// expired lease still counting for `grace` seconds.
    fn blocks(&self, client: &ClientKey, now: UnixTime, grace: u64) -> bool {
        match self.state {
            LeaseState::Active => self.expires.saturating_add(grace) > now && self.client != *client,
            LeaseState::Probation => self.expires > now,
            LeaseState::Released => false,
        }
    }
}

/// Addresses per block of a range when replicas share it: each block is
/// preferred by one live replica.
pub const SHARE_BLOCK: u64 = 16;

/// How replicas sharing a lease store divide each range: every block of
/// [`SHARE_BLOCK`] addresses is preferred by the live member with the
/// highest rendezvous score for it, so that a replica's death moves only
/// its own blocks, spread over the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// This replica's name.
    pub me: String,
    /// Every live replica's name, this one included.
    pub members: Vec<String>,
}

impl Share {
    /// The member that prefers `block` of the subnet at `network`.
    pub fn owner(&self, network: Ipv4Addr, block: u64) -> Option<&str> {
        self.members
            .iter()
            .max_by_key(|m| (rendezvous_score(m, network, block), m.as_str()))
            .map(String::as_str)
    }

    fn mine(&self, network: Ipv4Addr, block: u64) -> bool {
        self.owner(network, block) == Some(self.me.as_str())
    }
}

/// A stable score (FNV-1a over the name, network and block, then the
/// splitmix64 finalizer), the same in every replica and every version.
fn rendezvous_score(member: &str, network: Ipv4Addr, block: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in member
        .as_bytes()
        .iter()
        .chain(&[0])
        .chain(&network.octets())
        .chain(&block.to_le_bytes())
    {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Why no address could be offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAddress {
    /// Every address of the subnet's ranges is leased, offered or on probation.
    PoolExhausted,
    /// The client's reserved address is held by another client.
    ReservationTaken { ip: Ipv4Addr },
}

#[derive(Debug, Default)]
pub struct LeaseTable {
    by_ip: HashMap<Ipv4Addr, Lease>,
    by_client: HashMap<ClientKey, Ipv4Addr>,
    /// Offered but not yet requested: client → (address, hold until).
    offers: HashMap<ClientKey, (Ipv4Addr, UnixTime)>,
    offered: HashMap<Ipv4Addr, (ClientKey, UnixTime)>,
    /// Reserved addresses → the hardware address they belong to.
    reserved: HashMap<Ipv4Addr, Vec<u8>>,
    /// Next address to try, per subnet network (next-fit allocation).
    cursors: HashMap<Ipv4Addr, u32>,
    /// This replica's share of the ranges, when replicas share the leases.
    share: Option<Share>,
    /// Which blocks of each subnet are this replica's (computed on first
    /// use after the share changes).
    owned: HashMap<Ipv4Addr, Vec<bool>>,
    /// Seconds an expired lease of another client stays blocked (clock skew
    /// between replicas).
    grace: u64,
    /// Subnets whose last search found no free address, and until when a
    /// DISCOVER is told so without searching again: a starvation flood
    /// keeps DISCOVERing once the pool is gone, and a full search per
    /// DISCOVER would cost milliseconds each.
    exhausted: HashMap<Ipv4Addr, UnixTime>,
}

/// Seconds a subnet found exhausted is not searched again (an address freed
/// meanwhile is offered at most this much later; clients retry DISCOVER
/// after 4 s or more).
const EXHAUSTED_FOR: UnixTime = 2;

impl LeaseTable {
    pub fn new(reservations: &[Reservation], existing: impl IntoIterator<Item = Lease>) -> LeaseTable {
        let mut t = LeaseTable::default();
        for r in reservations {
            if let Some(address) = r.address {
                t.reserved.insert(address, r.mac.octets().to_vec());
            }
        }
        for lease in existing {
            t.insert(lease);
        }
        t
    }

    /// Records a lease; when its client moves from another address, that
    /// record is released and returned (to be persisted with the new one).
    fn insert(&mut self, lease: Lease) -> Option<Lease> {
        if let Some(old) = self.by_ip.get(&lease.ip)
            && old.client != lease.client
            && self.by_client.get(&old.client) == Some(&lease.ip)
        {
            self.by_client.remove(&old.client);
        }
        let mut released = None;
        if lease.state != LeaseState::Probation
            && let Some(prev_ip) = self.by_client.insert(lease.client.clone(), lease.ip)
            && prev_ip != lease.ip
            && let Some(old) = self.by_ip.get_mut(&prev_ip)
            && old.client == lease.client
            && old.state == LeaseState::Active
        {
            // The client moved: its old address is free again.
            old.state = LeaseState::Released;
            released = Some(old.clone());
        }
        self.by_ip.insert(lease.ip, lease);
        released
    }

    /// A record as the shared store holds it now (written by another
    /// replica, or found there after losing a race): it replaces this
    /// table's view, and an offer of that address to someone else is
    /// withdrawn. `None`: the record was removed.
    pub fn apply_remote(&mut self, ip: Ipv4Addr, lease: Option<Lease>) {
        match lease {
            Some(lease) => {
                if let Some((holder, _)) = self.offered.get(&ip)
                    && *holder != lease.client
                {
                    let holder = holder.clone();
                    self.drop_offer(&holder);
                }
                if let Some(old) = self.by_ip.get(&ip)
                    && old.client != lease.client
                    && self.by_client.get(&old.client) == Some(&ip)
                {
                    self.by_client.remove(&old.client);
                }
                if lease.state != LeaseState::Probation {
                    self.by_client.insert(lease.client.clone(), ip);
                }
                self.by_ip.insert(ip, lease);
            }
            None => {
                if let Some(old) = self.by_ip.remove(&ip)
                    && self.by_client.get(&old.client) == Some(&ip)
                {
                    self.by_client.remove(&old.client);
                }
            }
        }
    }

    /// Replaces every record (a full read of the shared store); offers,
    /// reservations and the share are kept.
    pub fn reset(&mut self, records: impl IntoIterator<Item = Lease>) {
        self.by_ip.clear();
        self.by_client.clear();
        self.exhausted.clear();
        for lease in records {
            self.apply_remote(lease.ip, Some(lease));
        }
    }

    /// Sets this replica's share of the ranges (`None`: all of them).
    pub fn set_share(&mut self, share: Option<Share>) {
        if self.share != share {
            self.share = share;
            self.owned.clear();
        }
    }

    pub fn share(&self) -> Option<&Share> {
        self.share.as_ref()
    }

    /// Seconds an expired lease of another client stays blocked.
    pub fn set_expiry_grace(&mut self, seconds: u64) {
        self.grace = seconds;
    }

    pub fn get(&self, ip: Ipv4Addr) -> Option<&Lease> {
        self.by_ip.get(&ip)
    }

    /// The client's current lease record (any state but probation).
    pub fn of_client(&self, client: &ClientKey) -> Option<&Lease> {
        self.by_client
            .get(client)
            .and_then(|ip| self.by_ip.get(ip))
            .filter(|l| l.client == *client)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lease> {
        self.by_ip.values()
    }

    pub fn len(&self) -> usize {
        self.by_ip.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_ip.is_empty()
    }

    /// Whether `client` may be given `ip` now.
    pub fn available(&self, ip: Ipv4Addr, client: &ClientKey, hw: &[u8], now: UnixTime) -> bool {
        if self.by_ip.get(&ip).is_some_and(|l| l.blocks(client, now, self.grace)) {
            return false;
        }
        if self
            .offered
            .get(&ip)
            .is_some_and(|(c, until)| c != client && *until > now)
        {
            return false;
        }
        if self.reserved.get(&ip).is_some_and(|mac| mac.as_slice() != hw) {
            return false;
        }
        true
    }

    /// Chooses an address for a DISCOVER: the reservation, the client's
    /// previous address, the requested one, then the next free address of
    /// the ranges (addresses never leased before come first, so returning
    /// clients tend to keep theirs).
    pub fn choose(
        &mut self,
        subnet: &Subnet,
        client: &ClientKey,
        hw: &[u8],
        requested: Option<Ipv4Addr>,
        reservation: Option<&Reservation>,
        now: UnixTime,
    ) -> Result<Ipv4Addr, NoAddress> {
        if let Some(reserved) = reservation.and_then(|r| r.address).filter(|a| subnet.net.contains(*a)) {
            return if self.available(reserved, client, hw, now) {
                Ok(reserved)
            } else {
                Err(NoAddress::ReservationTaken { ip: reserved })
            };
        }
        if let Some(l) = self.of_client(client)
            && subnet.in_range(l.ip)
            && self.available(l.ip, client, hw, now)
        {
            return Ok(l.ip);
        }
        if let Some((ip, _)) = self.offers.get(client)
            && subnet.in_range(*ip)
            && self.available(*ip, client, hw, now)
        {
            return Ok(*ip);
        }
        if let Some(ip) = requested.filter(|ip| subnet.in_range(*ip) && self.available(*ip, client, hw, now)) {
            return Ok(ip);
        }
        self.next_free(subnet, client, hw, now).ok_or(NoAddress::PoolExhausted)
    }

    fn next_free(&mut self, subnet: &Subnet, client: &ClientKey, hw: &[u8], now: UnixTime) -> Option<Ipv4Addr> {
        let total = subnet.range_size();
        if total == 0 {
            return None;
        }
        let key = subnet.net.network();
        if self.exhausted.get(&key).is_some_and(|until| now < *until) {
            return None;
        }
        let start = u64::from(*self.cursors.get(&key).unwrap_or(&0)) % total;
        self.compute_owned_blocks(key, total);
        let owned = self.share.as_ref().and_then(|_| self.owned.get(&key));
        // Addresses with no record at all first, then any available one; in
        // this replica's share of the range first, then anywhere.
        let passes: &[(bool, bool)] = if owned.is_some() {
            &[(true, true), (true, false), (false, true), (false, false)]
        } else {
            &[(false, true), (false, false)]
        };
        let mut found = None;
        'search: for &(mine_only, fresh_only) in passes {
            for step in 0..total {
                let idx = (start + step) % total;
                if mine_only && owned.is_some_and(|o| !o[(idx / SHARE_BLOCK) as usize]) {
                    continue;
                }
                let ip = nth_address(subnet, idx);
                if fresh_only && self.by_ip.contains_key(&ip) {
                    continue;
                }
                if self.available(ip, client, hw, now) {
                    found = Some((idx, ip));
                    break 'search;
                }
            }
        }
        let Some((idx, ip)) = found else {
            self.exhausted.insert(key, now + EXHAUSTED_FOR);
            return None;
        };
        self.exhausted.remove(&key);
        self.cursors.insert(key, ((idx + 1) % total) as u32);
        Some(ip)
    }

    /// Works out which blocks of the subnet at `network` (`total`
    /// addresses) are this replica's, once per share.
    fn compute_owned_blocks(&mut self, network: Ipv4Addr, total: u64) {
        let Some(share) = &self.share else { return };
        let blocks = total.div_ceil(SHARE_BLOCK) as usize;
        if self.owned.get(&network).is_some_and(|o| o.len() == blocks) {
            return;
        }
        let owned = (0..blocks as u64).map(|b| share.mine(network, b)).collect();
        self.owned.insert(network, owned);
    }

    /// Sets `ip` aside for `client` until `until` (an OFFER).
    pub fn hold(&mut self, client: &ClientKey, ip: Ipv4Addr, until: UnixTime) {
        if let Some((old, _)) = self.offers.insert(client.clone(), (ip, until))
            && old != ip
        {
            self.offered.remove(&old);
        }
        self.offered.insert(ip, (client.clone(), until));
    }

    /// The address offered to `client`, if the offer still holds.
    pub fn offered_to(&self, client: &ClientKey, now: UnixTime) -> Option<Ipv4Addr> {
        self.offers
            .get(client)
            .filter(|(_, until)| *until > now)
            .map(|(ip, _)| *ip)
    }

    /// Forgets an offer (the client chose another server).
    pub fn drop_offer(&mut self, client: &ClientKey) {
        if let Some((ip, _)) = self.offers.remove(client) {
            self.offered.remove(&ip);
        }
    }

    /// Records an acknowledged lease; returns the records to persist: the
    /// lease, then the client's previous address, released, if it moved.
    pub fn bind(&mut self, lease: Lease) -> Vec<Lease> {
        self.drop_offer(&lease.client);
        let released = self.insert(lease.clone());
        std::iter::once(lease).chain(released).collect()
    }

    /// DHCPRELEASE: the record to persist, if the client held `ip`.
    pub fn release(&mut self, client: &ClientKey, ip: Ipv4Addr, now: UnixTime) -> Option<Lease> {
        let lease = self
            .by_ip
            .get_mut(&ip)
            .filter(|l| l.client == *client && l.state == LeaseState::Active)?;
        lease.state = LeaseState::Released;
        lease.expires = now;
        let released = lease.clone();
        self.exhausted.clear();
        Some(released)
    }

    /// DHCPDECLINE: `ip` is in use by someone else; keep it out of use.
    pub fn decline(&mut self, client: &ClientKey, hw: &[u8], ip: Ipv4Addr, until: UnixTime) -> Lease {
        self.drop_offer(client);
        if self.by_client.get(client) == Some(&ip) {
            self.by_client.remove(client);
        }
        let lease = Lease {
            ip,
            client: client.clone(),
            hw: hw.to_vec(),
            hostname: None,
            expires: until,
            state: LeaseState::Probation,
        };
        self.by_ip.insert(ip, lease.clone());
        lease
    }

    /// Drops offers whose hold passed (bounded memory under a storm of
    /// DISCOVERs that never REQUEST).
    pub fn expire_offers(&mut self, now: UnixTime) {
        self.offers.retain(|_, (_, until)| *until > now);
        self.offered.retain(|_, (_, until)| *until > now);
    }
}

/// Bytes as lower-case hex, as lease records keep client identifiers and
/// hardware addresses.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The bytes of a hex string (either case); `None` for an odd length or a
/// character that is not a hex digit. The empty string is no bytes.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The `idx`-th address across a subnet's ranges.
fn nth_address(subnet: &Subnet, mut idx: u64) -> Ipv4Addr {
    for (a, b) in &subnet.ranges {
        let size = u64::from(u32::from(*b) - u32::from(*a)) + 1;
        if idx < size {
            return Ipv4Addr::from(u32::from(*a) + idx as u32);
        }
        idx -= size;
    }
    subnet.ranges[0].0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Net;
    use std::time::Duration;

    fn subnet() -> Subnet {
        Subnet {
            net: Net::parse("10.0.0.0/24").unwrap(),
            ranges: vec![(Ipv4Addr::new(10, 0, 0, 10), Ipv4Addr::new(10, 0, 0, 12))],
            lease_time: Duration::from_secs(3600),
            routers: vec![],
            dns: vec![],
            domain: None,
            ntp: vec![],
            mtu: None,
            routes: vec![],
            options: vec![],
        }
    }

    fn key(n: u8) -> ClientKey {
        ClientKey(vec![1, 0x52, 0x54, 0, 0, 0, n])
    }

    fn lease(ip: Ipv4Addr, n: u8, expires: u64) -> Lease {
        Lease {
            ip,
            client: key(n),
            hw: key(n).0[1..].to_vec(),
            hostname: None,
            expires,
            state: LeaseState::Active,
        }
    }

    #[test]
    fn allocation_order_and_exhaustion() {
        let s = subnet();
        let mut t = LeaseTable::new(&[], []);
        let a = t.choose(&s, &key(1), &[], None, None, 100).unwrap();
        t.hold(&key(1), a, 130);
        let b = t.choose(&s, &key(2), &[], None, None, 100).unwrap();
        assert_ne!(a, b);
        t.bind(lease(b, 2, 4000));
        let c = t.choose(&s, &key(3), &[], None, None, 100).unwrap();
        t.hold(&key(3), c, 130);
        assert_eq!(
            t.choose(&s, &key(4), &[], None, None, 100),
            Err(NoAddress::PoolExhausted)
        );
        // After the hold passes, the offered address is free again.
        assert!(t.choose(&s, &key(4), &[], None, None, 200).is_ok());
        // The same client gets the same offer back.
        assert_eq!(t.choose(&s, &key(1), &[], None, None, 110), Ok(a));
    }

    #[test]
    fn an_exhausted_pool_is_not_searched_again_for_two_seconds_unless_a_lease_is_released() {
        let s = subnet();
        let ips = [10, 11, 12].map(|n| Ipv4Addr::new(10, 0, 0, n));
        let mut t = LeaseTable::new(&[], ips.iter().enumerate().map(|(i, ip)| lease(*ip, i as u8 + 1, 101)));
        assert_eq!(
            t.choose(&s, &key(9), &[], None, None, 100),
            Err(NoAddress::PoolExhausted)
        );
        // The leases expire at 101, but the search is skipped until 102.
        assert_eq!(
            t.choose(&s, &key(9), &[], None, None, 101),
            Err(NoAddress::PoolExhausted)
        );
        assert!(t.choose(&s, &key(9), &[], None, None, 102).is_ok());

        let mut t = LeaseTable::new(&[], ips.iter().enumerate().map(|(i, ip)| lease(*ip, i as u8 + 1, 4000)));
        assert_eq!(
            t.choose(&s, &key(9), &[], None, None, 100),
            Err(NoAddress::PoolExhausted)
        );
        // A release frees an address at once.
        assert!(t.release(&key(2), ips[1], 100).is_some());
        assert_eq!(t.choose(&s, &key(9), &[], None, None, 100), Ok(ips[1]));
    }

    #[test]
    fn active_leases_block_and_expire() {
        let s = subnet();
        let ip = Ipv4Addr::new(10, 0, 0, 11);
        let mut t = LeaseTable::new(&[], [lease(ip, 1, 500)]);
        assert!(!t.available(ip, &key(2), &[], 100));
        assert!(t.available(ip, &key(1), &[], 100));
        assert!(t.available(ip, &key(2), &[], 500));
        // The returning client gets its address back.
        assert_eq!(t.choose(&s, &key(1), &[], None, None, 100), Ok(ip));
        // A requested address in use is not given.
        assert_ne!(t.choose(&s, &key(2), &[], Some(ip), None, 100), Ok(ip));
    }

    #[test]
    fn release_and_decline() {
        let ip = Ipv4Addr::new(10, 0, 0, 10);
        let mut t = LeaseTable::new(&[], [lease(ip, 1, 500)]);
        assert!(t.release(&key(2), ip, 100).is_none());
        let r = t.release(&key(1), ip, 100).unwrap();
        assert_eq!((r.state, r.expires), (LeaseState::Released, 100));
        assert!(t.available(ip, &key(2), &[], 101));
        let d = t.decline(&key(2), &[], ip, 700);
        assert_eq!(d.state, LeaseState::Probation);
        assert!(!t.available(ip, &key(3), &[], 600));
        assert!(!t.available(ip, &key(2), &[], 600));
        assert!(t.available(ip, &key(3), &[], 700));
    }

    #[test]
    fn reservations_are_kept_for_their_mac() {
        let s = subnet();
        let mac = model::Mac::parse("52:54:00:00:00:09").unwrap();
        let r = Reservation::address(mac.clone(), Ipv4Addr::new(10, 0, 0, 10), Some("n9".into()));
        let mut t = LeaseTable::new(std::slice::from_ref(&r), []);
        // Not handed to others, even from the pool.
        for n in 1..=2 {
            let ip = t
                .choose(&s, &key(n), &[0x52, 0x54, 0, 0, 0, n], None, None, 10)
                .unwrap();
            assert_ne!(Some(ip), r.address);
            t.hold(&key(n), ip, 100);
        }
        let k9 = ClientKey(vec![1, 0x52, 0x54, 0, 0, 0, 9]);
        assert_eq!(
            t.choose(&s, &k9, mac.octets(), None, Some(&r), 10),
            Ok(Ipv4Addr::new(10, 0, 0, 10))
        );
    }

    #[test]
    fn a_client_that_moves_frees_its_old_address() {
        let a = Ipv4Addr::new(10, 0, 0, 10);
        let b = Ipv4Addr::new(10, 0, 0, 11);
        let mut t = LeaseTable::new(&[], [lease(a, 1, 500)]);
        let records = t.bind(lease(b, 1, 600));
        assert_eq!(t.of_client(&key(1)).map(|l| l.ip), Some(b));
        assert!(t.available(a, &key(2), &[], 100));
        // Both records are to be persisted, so that a reload cannot revive
        // the old one.
        assert_eq!(records.len(), 2);
        assert_eq!((records[1].ip, records[1].state), (a, LeaseState::Released));
        let reloaded = LeaseTable::new(&[], records.iter().rev().cloned());
        assert_eq!(reloaded.of_client(&key(1)).map(|l| l.ip), Some(b));
    }

    fn wide_subnet() -> Subnet {
        Subnet {
            ranges: vec![(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 254))],
            ..subnet()
        }
    }

    fn share(me: &str, members: &[&str]) -> Share {
        Share {
            me: me.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
        }
    }

    /// Replicas prefer disjoint blocks that cover the range; a departed
    /// member's blocks go to the others and no one else's blocks move.
    #[test]
    fn shares_split_the_range_and_move_only_the_departed_members_blocks() {
        let net = Ipv4Addr::new(10, 0, 0, 0);
        let three = share("a", &["a", "b", "c"]);
        let two = share("a", &["a", "b"]);
        let mut counts = HashMap::new();
        for block in 0..64 {
            let before = three.owner(net, block).unwrap().to_owned();
            *counts.entry(before.clone()).or_insert(0) += 1;
            let after = two.owner(net, block).unwrap();
            if before != "c" {
                assert_eq!(after, before, "block {block} moved although its owner stayed");
            }
        }
        assert_eq!(counts.len(), 3, "every member owns some of 64 blocks: {counts:?}");
        assert!(counts.values().all(|&n| n >= 8), "roughly even: {counts:?}");
    }

    /// Two replicas allocating for different clients from the same empty
    /// range, each seeing nothing of the other, pick different addresses
    /// while their own share lasts.
    #[test]
    fn replicas_allocate_from_their_own_blocks() {
        let s = wide_subnet();
        let mut a = LeaseTable::new(&[], []);
        let mut b = LeaseTable::new(&[], []);
        a.set_share(Some(share("a", &["a", "b"])));
        b.set_share(Some(share("b", &["a", "b"])));
        let both = share("a", &["a", "b"]);
        let net = s.net.network();
        let blocks_of = |who: &str| (0..16).filter(|&b| both.owner(net, b) == Some(who)).count();
        // The last block holds 14 addresses (254 in all): count it short.
        let room = (blocks_of("a").min(blocks_of("b")) as u64 * SHARE_BLOCK).saturating_sub(2) as u8;
        assert!(room >= 32, "each owns a fair part");
        let mut seen = std::collections::HashSet::new();
        for n in 0..room.min(100) {
            for (t, who) in [(&mut a, 0u8), (&mut b, 100u8)] {
                let ip = t.choose(&s, &key(n + who), &[], None, None, 10).unwrap();
                t.hold(&key(n + who), ip, 100);
                assert!(seen.insert(ip), "{ip} chosen twice");
                let block = u64::from(u32::from(ip) - u32::from(Ipv4Addr::new(10, 0, 0, 1))) / SHARE_BLOCK;
                let owner = both.owner(net, block).unwrap().to_owned();
                assert_eq!(owner, if who == 0 { "a" } else { "b" });
            }
        }
    }

    #[test]
    fn remote_records_replace_the_view_and_withdraw_offers() {
        let s = subnet();
        let ip = Ipv4Addr::new(10, 0, 0, 10);
        let mut t = LeaseTable::new(&[], []);
        t.hold(&key(1), ip, 100);
        t.apply_remote(ip, Some(lease(ip, 2, 500)));
        assert_eq!(t.offered_to(&key(1), 10), None, "the offer is withdrawn");
        assert!(!t.available(ip, &key(1), &[], 10));
        assert_eq!(t.of_client(&key(2)).map(|l| l.ip), Some(ip));
        // Expired, but inside the grace period: still blocked for others.
        t.set_expiry_grace(60);
        assert!(!t.available(ip, &key(1), &[], 520));
        assert!(t.available(ip, &key(1), &[], 560));
        t.apply_remote(ip, None);
        assert!(t.get(ip).is_none());
        assert!(t.of_client(&key(2)).is_none());
        t.reset([lease(ip, 3, 900)]);
        assert_eq!(t.choose(&s, &key(3), &[], None, None, 10), Ok(ip));
    }
}
