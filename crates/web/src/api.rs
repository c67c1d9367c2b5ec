//! The flight recorder's HTTP side: boot events reported from the request
//! log, and the JSON views `kindling machines`, `kindling explain` and the
//! UI read (`/api/machines`, `/api/machines/ID`, `/api/live`).
//!
//! With several replicas, each records what it sees; a view asked of any
//! replica merges the others' (asked with `local=1`, so that they do not
//! ask further) within a short timeout: a replica that does not answer is
//! left out, and said so in the answer.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::App;
use crate::handlers::Route;

/// How long a replica waits for another's view.
const PEER_TIMEOUT: Duration = Duration::from_millis(1500);

/// The other live replicas' HTTP addresses (`host:port`), for merged views.
pub type Peers = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// Whether a route is part of a boot (and so worth recording).
pub(crate) fn is_boot_route(route: Route) -> bool {
    matches!(
        route,
        Route::BootIpxe
            | Route::Ipxe
            | Route::Grub
            | Route::Ignition
            | Route::Cloud
            | Route::Generic
            | Route::Metadata
            | Route::Assets
            | Route::BootFile
    )
}

/// Reports a boot request to the recorder: cheap on purpose (the labels
/// are split but not interpreted, selection is done later by the recorder).
pub(crate) fn record_event(
    app: &App,
    route: Route,
    path: &str,
    query: Option<&str>,
    client: Option<IpAddr>,
    status: StatusCode,
    failure: Option<&crate::Failure>,
) {
    let Some(rec) = &app.recorder else { return };
    // The query is split by the recorder, off this path; redacted, only the
    // names of its labels leave the request.
    let (labels, raw_query) = match query {
        None | Some("") => (Vec::new(), None),
        Some(q) if app.redact_queries => (
            model::parse_query(q)
                .take(32)
                .map(|(k, _)| (k, String::new()))
                .collect(),
            None,
        ),
        Some(q) => (Vec::new(), Some(q.to_owned())),
    };
    let path = match route {
        Route::Assets | Route::BootFile => path.to_owned(),
        _ => String::new(),
    };
    rec.sink().push(recorder::Event {
        at: recorder_server::now_millis(),
        replica: String::new(),
        kind: recorder::EventKind::Http(recorder::Http {
            client,
            route: route.label().to_owned(),
            path,
            labels,
            status: status.as_u16(),
            reason: failure.map(|f| f.code.to_owned()),
            detail: failure.map(|f| f.detail.clone()),
            selection: None,
            raw_query,
            query_hash: 0,
        }),
    });
}

fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn param(query: &str, key: &str) -> Option<String> {
    model::parse_query(query)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// One GET of a peer's view, as JSON; `Err` says why not.
async fn fetch(addr: &str, path: &str) -> Result<Value, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let work = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        s.take(64 << 20)
            .read_to_end(&mut raw)
            .await
            .map_err(|e| e.to_string())?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("a malformed answer")?;
        let status = String::from_utf8_lossy(&raw[..split]);
        if !status.starts_with("HTTP/1.1 200") && !status.starts_with("HTTP/1.0 200") {
            return Err(status.lines().next().unwrap_or("").to_owned());
        }
        serde_json::from_slice(&raw[split + 4..]).map_err(|e| e.to_string())
    };
    tokio::time::timeout(PEER_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {PEER_TIMEOUT:?}")))
}

/// The peers' answers to `path` (with `local=1` added), and who did not answer.
async fn ask_peers(app: &App, path: &str) -> (Vec<Value>, Vec<Value>) {
    let Some(peers) = &app.peers else {
        return (Vec::new(), Vec::new());
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    let path = format!("{path}{sep}local=1");
    let mut answers = Vec::new();
    let mut missing = Vec::new();
    let asks: Vec<_> = peers()
        .into_iter()
        .map(|addr| {
            let path = path.clone();
            async move { (addr.clone(), fetch(&addr, &path).await) }
        })
        .collect();
    for (addr, result) in join_all(asks).await {
        match result {
            Ok(v) => answers.push(v),
            Err(e) => missing.push(json!({"replica": addr, "error": e})),
        }
    }
    (answers, missing)
}

/// Runs futures concurrently (a handful of peers) without another dependency.
async fn join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

/// `GET /api/machines[?state=…&q=…&local=1]`: every machine, newest first.
pub(crate) async fn machines(app: &App, query: &str) -> Result<Response<Body>, crate::Failure> {
    let rec = recorder(app)?;
    let now = recorder_server::now_millis();
    let (state, q) = (param(query, "state"), param(query, "q"));
    let local: Vec<Value> = {
        let m = rec.machines();
        let limits = m.limits().clone();
        m.iter()
            .map(|x| recorder_server::views::summary(x, now, &limits))
            .collect()
    };
    let (lists, missing) = if param(query, "local").is_some() {
        (vec![local], Vec::new())
    } else {
        let (answers, missing) = ask_peers(app, "/api/machines").await;
        let mut lists = vec![local];
        lists.extend(
            answers
                .into_iter()
                .map(|a| a["machines"].as_array().cloned().unwrap_or_default()),
        );
        (lists, missing)
    };
    let machines: Vec<Value> = recorder_server::views::merge_summaries(lists)
        .into_iter()
        .filter(|s| recorder_server::views::matches(s, state.as_deref(), q.as_deref()))
        .collect();
    let counts = rec.machines().counts();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "replica": rec.replica(),
            "now": now,
            "machines": machines,
            "evicted_unknown": counts.evicted_unknown,
            "unattributed": counts.unattributed,
            "missing_replicas": missing,
        }),
    ))
}

/// `GET /api/machines/ID`: one machine by MAC, UUID or IP address, with its
/// boots, every event, and what to do when the last boot failed.
pub(crate) async fn machine(app: &App, id: &str, query: &str) -> Result<Response<Body>, crate::Failure> {
    let rec = recorder(app)?;
    let now = recorder_server::now_millis();
    let snap = app.store.snapshot();
    let (mut events, mac, limits) = {
        let m = rec.machines();
        let limits = m.limits().clone();
        match m.find(id) {
            Some(x) => (
                m.entries_of(&x.mac)
                    .into_iter()
                    .map(|e| (e.event, e.repeats, e.last_at))
                    .collect::<Vec<_>>(),
                Some(x.mac.clone()),
                limits,
            ),
            None => (Vec::new(), None, limits),
        }
    };
    let mut missing = Vec::new();
    let mut mac = mac;
    if param(query, "local").is_none() {
        let (answers, m) = ask_peers(app, &format!("/api/machines/{}", crate::gourl::escape_path(id))).await;
        missing = m;
        for a in answers {
            if mac.is_none() {
                mac = a["mac"]
                    .as_str()
                    .and_then(|t| model::Mac::parse(t).ok())
                    .map(|m| m.octets().to_vec());
            }
            events.extend(recorder_server::views::entries_of_detail(&a));
        }
    }
    let found = match mac {
        Some(mac) => recorder_server::views::merge_machine(&mac, events, &limits).map(|m| (m, mac)),
        None => None,
    };
    let Some((machines, mac)) = found else {
        return Err(crate::Failure::not_found(
            "machine-not-found",
            format!("no machine {id:?} has been seen (give a MAC, a UUID or an IP address it used)"),
        ));
    };
    let m = machines.get_mac(&mac).expect("merged");
    let mut v = recorder_server::views::detail(m, now, &limits, Some(&snap.groups));
    if let Value::Object(o) = &mut v {
        o.insert("missing_replicas".into(), Value::Array(missing));
    }
    Ok(json_response(StatusCode::OK, &v))
}

fn recorder(app: &App) -> Result<&Arc<recorder_server::Recorder>, crate::Failure> {
    app.recorder.as_ref().ok_or_else(|| {
        crate::Failure::not_found(
            "recorder-disabled",
            "the flight recorder is off in this process (--recorder=false)",
        )
    })
}

/// `GET /api/live`: server-sent events, one `data:` line of JSON per event
/// recorded from now on.
pub(crate) fn live(app: &App) -> Result<Response<Body>, crate::Failure> {
    use tokio_stream::StreamExt;
    let rec = recorder(app)?;
    let rx = rec.subscribe();
    let hello = tokio_stream::once(Ok::<Bytes, std::convert::Infallible>(Bytes::from_static(
        b": kindling flight recorder\n\n",
    )));
    let events = tokio_stream::wrappers::BroadcastStream::new(rx).filter_map(|r| match r {
        Ok(line) => Some(Ok(Bytes::from(format!("data: {line}\n\n")))),
        // Fell behind: say so, the page reloads its lists.
        Err(_) => Some(Ok(Bytes::from_static(b"event: lagged\ndata: {}\n\n"))),
    });
    let mut r = Response::new(Body::from_stream(hello.chain(events)));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(r)
}
