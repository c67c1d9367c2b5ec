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
        let mut b = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *b)
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
}
