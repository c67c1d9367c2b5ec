//! The router-advertisement loop around [`dhcp::ra`]: one blocking thread
//! per interface (the traffic is a handful of packets per boot), waking for
//! solicitations and for paced advertisements, and checking `stop` at least
//! every 500 ms.

use std::time::{Duration, Instant};

use netio::Icmpv6Socket;
use tokio_util::sync::CancellationToken;

/// Sends an advertisement at once, then answers router solicitations until
/// `stop` is cancelled.
pub fn serve(socket: Icmpv6Socket, stop: CancellationToken) {
    let start = Instant::now();
    let now_ms = || start.elapsed().as_millis() as u64;
    let advertisement = dhcp::ra::advertisement();
    let mut pacer = dhcp::ra::Pacer::default();
    pacer.solicited(now_ms());
    let mut buf = [0u8; 1500];
    let mut warned = false;
    while !stop.is_cancelled() {
        let now = now_ms();
        if pacer.poll(now) {
            match socket.send_all_nodes(&advertisement) {
                Ok(()) => {
                    metrics::counter!("kindling_router_advertisements_total").increment(1);
                    tracing::debug!(iface = socket.ifname(), "router advertisement sent");
                }
                // An interface without IPv6 (disabled, no link-local address yet):
                // say so once, keep trying on later solicitations.
                Err(e) if !warned => {
                    warned = true;
                    tracing::warn!(iface = socket.ifname(), error = %e, "router advertisement not sent; is IPv6 enabled on the interface?");
                }
                Err(_) => {}
            }
        }
        let wait = pacer.due_at().map_or(500, |at| at.saturating_sub(now).min(500));
        match socket.recv(&mut buf, Duration::from_millis(wait)) {
            Ok(Some(n)) if dhcp::ra::is_solicitation(&buf[..n]) => pacer.solicited(now_ms()),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(iface = socket.ifname(), error = %e, "reading router solicitations failed");
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}
