//! The one narrow channel from the servers to the recorder: a bounded
//! buffer the hot paths push into and the recorder drains a few times a
//! second. Pushing is a short lock and a vector push; when the buffer is
//! full (the recorder fell behind) the event is dropped and counted, so a
//! server never waits on the recorder.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::event::Event;

/// Events buffered before new ones are dropped.
pub const DEFAULT_CAPACITY: usize = 65_536;

#[derive(Debug)]
pub struct EventSink {
    buffer: Mutex<Vec<Event>>,
    capacity: usize,
    dropped: AtomicU64,
}

impl EventSink {
    pub fn new(capacity: usize) -> EventSink {
        EventSink {
            buffer: Mutex::new(Vec::with_capacity(capacity.min(4096))),
            capacity,
            dropped: AtomicU64::new(0),
        }
    }

    /// Hands an event to the recorder; never blocks for long, never grows
    /// past the capacity.
    pub fn push(&self, event: Event) {
        let mut b = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        if b.len() < self.capacity {
            b.push(event);
        } else {
            drop(b);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Everything pushed since the last drain, oldest first.
    pub fn drain(&self) -> Vec<Event> {
        let mut events = Vec::new();
        self.drain_into(&mut events);
        events
    }

    /// Swaps everything pushed since the last drain into `spare` (which
    /// should be empty) and keeps `spare`'s allocation for the next pushes:
    /// a drainer that hands back the same cleared vector each time lets the
    /// two buffers reach their working size once, instead of the servers
    /// growing a new one (and faulting its pages in) after every drain.
    pub fn drain_into(&self, spare: &mut Vec<Event>) {
        spare.clear();
        let mut b = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut *b, spare);
    }

    /// Events dropped because the buffer was full, since the start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Tftp};

    fn ev(at: u64) -> Event {
        Event {
            at,
            replica: String::new(),
            kind: EventKind::Tftp(Tftp {
                client: "10.0.0.1".parse().unwrap(),
                file: "f".into(),
                size: 1,
                blocks: 1,
                retransmissions: 0,
                failure: None,
            }),
        }
    }

    #[test]
    fn bounded_and_drained_in_order() {
        let s = EventSink::new(3);
        for i in 0..5 {
            s.push(ev(i));
        }
        assert_eq!(s.dropped(), 2);
        let got: Vec<u64> = s.drain().iter().map(|e| e.at).collect();
        assert_eq!(got, [0, 1, 2]);
        assert!(s.drain().is_empty());
        s.push(ev(9));
        assert_eq!(s.drain().len(), 1);
    }

    #[test]
    fn a_drain_into_a_spare_buffer_keeps_both_allocations() {
        let s = EventSink::new(100);
        let mut spare = Vec::with_capacity(64);
        for i in 0..10 {
            s.push(ev(i));
        }
        s.drain_into(&mut spare);
        assert_eq!(
            spare.iter().map(|e| e.at).collect::<Vec<_>>(),
            (0..10).collect::<Vec<_>>()
        );
        // The sink now pushes into the spare's old allocation.
        assert!(s.buffer.lock().unwrap().capacity() >= 64);
        spare.clear();
        s.push(ev(10));
        s.drain_into(&mut spare);
        assert_eq!(spare.len(), 1);
        assert_eq!(spare[0].at, 10);
    }
}
