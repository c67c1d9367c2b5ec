//! Per-request metrics without a registry lookup per request: one counter
//! handle per (route, status) pair, registered on first use and kept.

use std::sync::OnceLock;

use axum::http::StatusCode;

use crate::handlers::Route;

/// Status codes with their own label; everything else counts as "other".
const STATUSES: [&str; 12] = [
    "200", "206", "301", "304", "400", "403", "404", "405", "412", "416", "500", "other",
];

fn status_index(status: StatusCode) -> usize {
    let label = status.as_str();
    STATUSES.iter().position(|s| *s == label).unwrap_or(STATUSES.len() - 1)
}

pub struct Counters {
    requests: Vec<OnceLock<metrics::Counter>>,
    misses: Vec<OnceLock<metrics::Counter>>,
}

impl Counters {
    pub fn new() -> Counters {
        Counters {
            requests: (0..Route::COUNT * STATUSES.len()).map(|_| OnceLock::new()).collect(),
            misses: (0..Route::COUNT).map(|_| OnceLock::new()).collect(),
        }
    }

    /// `kindling_http_requests_total{route, status}`.
    pub fn request(&self, route: Route, status: StatusCode) {
        let s = status_index(status);
        self.requests[route as usize * STATUSES.len() + s]
            .get_or_init(
                || metrics::counter!("kindling_http_requests_total", "route" => route.label(), "status" => STATUSES[s]),
            )
            .increment(1);
    }

    /// `kindling_selection_misses_total{route}`.
    pub fn selection_miss(&self, route: Route) {
        self.misses[route as usize]
            .get_or_init(|| metrics::counter!("kindling_selection_misses_total", "route" => route.label()))
            .increment(1);
    }
}
