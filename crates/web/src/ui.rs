//! The web UI under `/ui/`: server-rendered pages from the same views as
//! the JSON API, with a little JavaScript for the live view (server-sent
//! events from `/api/live`). Everything it needs is in the page: no CDN,
//! no external request. Read-only, and it never shows secret material:
//! Ignition and other configuration contents are not shown, and with
//! `--redact-queries` the recorder keeps only label names.

use axum::body::Body;
use axum::http::{HeaderValue, Response, header};
use serde_json::Value;

use recorder_server::views::{age, clock, text};

use crate::{App, Failure};

fn ago_text(now: u64, at: u64) -> String {
    format!("{} ago", age(now, at))
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#1d2433;color:#fff;padding:8px 16px;display:flex;gap:20px;align-items:center}
header a{color:#cfd8ff;text-decoration:none}header strong{color:#fff}
main{padding:16px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3;font-weight:600}
code{font:12px ui-monospace,monospace}
.state{padding:1px 6px;border-radius:8px;font-size:12px}
.configured{background:#d6f5dd}.booting{background:#dbe8ff}.stuck{background:#fff1c2}.failed{background:#ffd6d6}
.advice{background:#fff1c2;border:1px solid #e6c75a;padding:8px;margin:8px 0}
.stages span{display:inline-block;padding:2px 6px;margin-right:4px;background:#dbe8ff;border-radius:4px}
.muted{color:#6b7280}
#live{max-height:240px;overflow:auto;background:#fff;border:1px solid #e3e6ea;padding:4px 8px;margin-bottom:12px}
#live div{font:12px ui-monospace,monospace;border-bottom:1px dotted #e3e6ea}
form{margin-bottom:12px}
"#;

/// Appends every recorded event to `#live` (newest first); `only` limits
/// it to one machine's MAC.
fn live_script(only: Option<&str>) -> String {
    let filter = only
        .map(|m| format!("if (e.mac !== {m:?}) return;"))
        .unwrap_or_default();
    format!(
        r#"<script>
(function() {{
  var box = document.getElementById('live');
  if (!box || !window.EventSource) return;
  var es = new EventSource('/api/live');
  es.onmessage = function(msg) {{
    var e; try {{ e = JSON.parse(msg.data); }} catch (x) {{ return; }}
    {filter}
    var d = document.createElement('div');
    d.className = 'live-event';
    var t = new Date(e.at).toISOString().substr(11, 12);
    d.textContent = t + '  ' + (e.mac || '?') + '  ' + (e.stage ? '[' + e.stage + '] ' : '') + (e.failure ? '[' + e.failure + '] ' : '') + e.summary;
    box.insertBefore(d, box.firstChild);
    var empty = document.getElementById('live-empty'); if (empty) empty.remove();
    while (box.childNodes.length > 200) box.removeChild(box.lastChild);
  }};
}})();
</script>"#
    )
}

fn page_html(title: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t} · kindling</title><style>{STYLE}</style></head><body><header><strong>kindling</strong><a href=\"/ui/\">Machines</a><a href=\"/ui/groups\">Groups</a><a href=\"/ui/leases\">Leases</a></header><main>{body}</main></body></html>",
        t = esc(title)
    );
    let mut r = Response::new(Body::from(html));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn state_badge(state: &Value) -> String {
    let s = text(state);
    if s.is_empty() {
        return String::new();
    }
    format!("<span class=\"state {s}\">{s}</span>", s = esc(&s))
}

/// Serves `/ui/…`.
pub(crate) async fn page(app: &App, path: &str, query: &str) -> Result<Response<Body>, Failure> {
    if !app.ui {
        return Err(Failure::not_found(
            "ui-disabled",
            "the web UI is off in this process (--ui=false)",
        ));
    }
    let rest = path.strip_prefix("/ui").unwrap_or("").trim_start_matches('/');
    match rest {
        "" => machines(app, query).await,
        "groups" => Ok(groups(app).await),
        "leases" => Ok(leases(app)),
        r if r.starts_with("machine/") => machine(app, &r["machine/".len()..]).await,
        _ => Err(Failure::not_found(
            "no-such-route",
            format!("no page {path}; the UI has /ui/, /ui/machine/ID, /ui/groups and /ui/leases"),
        )),
    }
}

async fn json_of(r: Result<Response<Body>, Failure>) -> Result<Value, Failure> {
    use http_body_util::BodyExt;
    let r = r?;
    let bytes = r.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn machines(app: &App, query: &str) -> Result<Response<Body>, Failure> {
    let data = json_of(crate::api::machines(app, query).await).await?;
    let now = data["now"].as_u64().unwrap_or(0);
    let param = |k: &str| {
        model::parse_query(query)
            .find(|(key, _)| key == k)
            .map(|(_, v)| v)
            .unwrap_or_default()
    };
    let (state, q) = (param("state"), param("q"));
    let mut body = String::new();
    body.push_str("<h1>Machines</h1><form method=\"get\" action=\"/ui/\">");
    body.push_str(&format!(
        "<input name=\"q\" placeholder=\"MAC, hostname, IP or UUID\" value=\"{}\"> <select name=\"state\">",
        esc(&q)
    ));
    for s in ["", "booting", "configured", "stuck", "failed", "known", "unknown"] {
        let label = if s.is_empty() { "any state" } else { s };
        let sel = if s == state { " selected" } else { "" };
        body.push_str(&format!("<option value=\"{s}\"{sel}>{label}</option>"));
    }
    body.push_str("</select> <button type=\"submit\">Filter</button></form>");
    body.push_str("<h2>Live</h2><div id=\"live\"><div id=\"live-empty\" class=\"muted\">Boot events appear here as they happen.</div></div>");
    let list = data["machines"].as_array().cloned().unwrap_or_default();
    body.push_str(&format!(
        "<p class=\"muted\">{} machines shown; {} unknown machines evicted to keep within bounds.</p>",
        list.len(),
        data["evicted_unknown"].as_u64().unwrap_or(0)
    ));
    if let Some(missing) = data["missing_replicas"].as_array().filter(|m| !m.is_empty()) {
        body.push_str(&format!(
            "<p class=\"advice\">Not merged: {} replica(s) did not answer.</p>",
            missing.len()
        ));
    }
    body.push_str("<table id=\"machines\"><tr><th>MAC</th><th>Host name</th><th>Addresses</th><th>Firmware</th><th>Group / profile</th><th>Stage</th><th>State</th><th>Seen</th></tr>");
    for m in &list {
        let mac = text(&m["mac"]);
        let ips: Vec<String> = m["ips"].as_array().into_iter().flatten().map(text).collect();
        let fw = &m["firmware"];
        let arch = fw["arch"]
            .as_array()
            .and_then(|a| a.first())
            .map(text)
            .unwrap_or_default();
        let selection = if m["group"].is_null() {
            "<span class=\"muted\">no group</span>".to_owned()
        } else {
            format!("{} / {}", esc(&text(&m["group"])), esc(&text(&m["profile"])))
        };
        let reason = text(&m["reason"]);
        body.push_str(&format!(
            "<tr class=\"machine\"><td><a href=\"/ui/machine/{mac}\"><code>{mac}</code></a></td><td>{}</td><td>{}</td><td>{}{}</td><td>{selection}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
            esc(&text(&m["hostname"])),
            esc(&ips.join(", ")),
            esc(&text(&fw["kind"])),
            if arch.is_empty() { String::new() } else { format!(" <span class=\"muted\">arch {}</span>", esc(&arch)) },
            esc(&text(&m["stage"])),
            state_badge(&m["state"]),
            esc(&reason),
            ago_text(now, m["last_seen"].as_u64().unwrap_or(0)),
            mac = esc(&mac),
        ));
    }
    body.push_str("</table>");
    body.push_str(&live_script(None));
    Ok(page_html("Machines", &body))
}

async fn machine(app: &App, id: &str) -> Result<Response<Body>, Failure> {
    let m = json_of(crate::api::machine(app, id, "").await).await?;
    let now = recorder_server::now_millis();
    let mac = text(&m["mac"]);
    let mut body = format!("<h1>Machine <code>{}</code></h1>", esc(&mac));
    let fw = &m["firmware"];
    let row = |k: &str, v: String| {
        if v.is_empty() {
            String::new()
        } else {
            format!("<tr><th>{k}</th><td>{v}</td></tr>")
        }
    };
    let labels: Vec<String> = m["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| format!("{}={}", text(&p[0]), text(&p[1])))
        .collect();
    let ips: Vec<String> = m["ips"].as_array().into_iter().flatten().map(text).collect();
    body.push_str("<table style=\"width:auto\">");
    body.push_str(&row("UUID", esc(&text(&m["uuid"]))));
    body.push_str(&row("Host name", esc(&text(&m["hostname"]))));
    body.push_str(&row("Addresses", esc(&ips.join(", "))));
    body.push_str(&row("Firmware", esc(&text(&fw["kind"]))));
    body.push_str(&row("Architecture (option 93)", esc(&text(&fw["arch"]))));
    body.push_str(&row("Vendor class (option 60)", esc(&text(&fw["vendor_class"]))));
    body.push_str(&row("User class (option 77)", esc(&text(&fw["user_class"]))));
    body.push_str(&row("iPXE features (option 175)", esc(&text(&fw["ipxe_features"]))));
    body.push_str(&row("Labels sent", format!("<code>{}</code>", esc(&labels.join("&")))));
    body.push_str(&row(
        "Selected by",
        if m["group"].is_null() {
            "no group".into()
        } else {
            format!(
                "group <code>{}</code>, profile <code>{}</code>",
                esc(&text(&m["group"])),
                esc(&text(&m["profile"]))
            )
        },
    ));
    body.push_str(&row("First seen", ago_text(now, m["first_seen"].as_u64().unwrap_or(0))));
    body.push_str("</table>");
    if let Some(advice) = m["advice"].as_str() {
        body.push_str(&format!("<div class=\"advice\" id=\"advice\">{}</div>", esc(advice)));
    }
    body.push_str("<h2>Live</h2><div id=\"live\"><div id=\"live-empty\" class=\"muted\">New events of this machine appear here as they happen.</div></div>");
    let boots = m["boots_detail"].as_array().cloned().unwrap_or_default();
    for (i, b) in boots.iter().enumerate().rev() {
        body.push_str(&format!(
            "<h2>Boot {} <small class=\"muted\">started {}</small> {}</h2>",
            i + 1,
            ago_text(now, b["started"].as_u64().unwrap_or(0)),
            state_badge(&b["state"])
        ));
        if !b["reason"].is_null() {
            body.push_str(&format!(
                "<p><strong>{}</strong>: {}</p>",
                esc(&text(&b["reason"])),
                esc(&text(&b["detail"]))
            ));
        }
        body.push_str("<p class=\"stages\">");
        for s in b["stages"].as_array().into_iter().flatten() {
            body.push_str(&format!(
                "<span class=\"stage\">{} · {:.1} s</span>",
                esc(&text(&s["stage"])),
                s["spent_ms"].as_u64().unwrap_or(0) as f64 / 1000.0
            ));
        }
        body.push_str("</p><table class=\"timeline\"><tr><th>Time (UTC)</th><th>Stage</th><th>Event</th><th>Failure</th><th>Replica</th></tr>");
        for e in b["events"].as_array().into_iter().flatten() {
            body.push_str(&format!(
                "<tr class=\"event\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                clock(e["at"].as_u64().unwrap_or(0)),
                esc(&text(&e["stage"])),
                esc(&text(&e["summary"])),
                esc(&text(&e["failure"])),
                esc(&text(&e["replica"]))
            ));
        }
        body.push_str("</table>");
        if b["truncated"].as_u64().unwrap_or(0) > 0 {
            body.push_str(&format!(
                "<p class=\"muted\">{} older events of this boot were left out.</p>",
                b["truncated"]
            ));
        }
    }
    body.push_str(&live_script(Some(&mac)));
    Ok(page_html(&format!("Machine {mac}"), &body))
}

async fn groups(app: &App) -> Response<Body> {
    let snap = app.store.snapshot();
    let mut selected: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    if let Ok(data) = json_of(crate::api::machines(app, "").await).await {
        for m in data["machines"].as_array().into_iter().flatten() {
            if let Some(g) = m["group"].as_str() {
                selected.entry(g.to_owned()).or_default().push(text(&m["mac"]));
            }
        }
    }
    let mut body = String::from(
        "<h1>Groups</h1><p class=\"muted\">In the order selection tries them.</p><table><tr><th>Group</th><th>Selector</th><th>Profile</th><th>Machines it selected</th></tr>",
    );
    for g in snap.groups.ranked() {
        let machines = selected.get(&g.file_name).cloned().unwrap_or_default();
        let links: Vec<String> = machines
            .iter()
            .map(|m| format!("<a href=\"/ui/machine/{m}\"><code>{m}</code></a>", m = esc(m)))
            .collect();
        let profile = match snap.group_profile(&g.group) {
            Ok(_) => esc(&g.group.profile),
            Err(e) => format!(
                "{} <span class=\"state failed\">{}</span>",
                esc(&g.group.profile),
                esc(&e.to_string())
            ),
        };
        body.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&g.file_name),
            esc(&g.group.selector_string()),
            profile,
            links.join(" ")
        ));
    }
    body.push_str("</table><h1>Profiles</h1><table><tr><th>Profile</th><th>Kernel</th><th>Templates</th></tr>");
    for id in snap.names(store::Kind::Profile) {
        let Ok(p) = snap.profile(id) else {
            body.push_str(&format!("<tr><td><code>{}</code></td><td colspan=\"2\"><span class=\"state failed\">does not load</span></td></tr>", esc(id)));
            continue;
        };
        let p = &p.profile;
        let kernel = p.boot.as_ref().map(|b| b.kernel.clone()).unwrap_or_default();
        let templates: Vec<String> = [
            ("ignition", &p.ignition_id),
            ("cloud", &p.cloud_id),
            ("generic", &p.generic_id),
        ]
        .iter()
        .filter(|(_, n)| !n.is_empty())
        .map(|(k, n)| format!("{k}: {n}"))
        .collect();
        body.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            esc(id),
            esc(&kernel),
            esc(&templates.join(", "))
        ));
    }
    body.push_str("</table>");
    page_html("Groups", &body)
}

fn leases(app: &App) -> Response<Body> {
    let Some(render) = &app.leases else {
        return page_html(
            "Leases",
            "<h1>Leases</h1><p class=\"muted\">The DHCP server does not run in this process (--dhcp off).</p>",
        );
    };
    let rows: Value = serde_json::from_str(&render(true)).unwrap_or(Value::Null);
    let mut body = String::from(
        "<h1>DHCP leases</h1><table><tr><th>Address</th><th>MAC</th><th>Host name</th><th>State</th><th>Expires</th></tr>",
    );
    let now = recorder_server::now_millis() / 1000;
    for l in rows.as_array().into_iter().flatten() {
        let expires = l["expires"].as_u64().unwrap_or(0);
        let left = if expires > now {
            format!("in {} s", expires - now)
        } else {
            "-".into()
        };
        let mac = text(&l["mac"]);
        body.push_str(&format!(
            "<tr><td>{}</td><td><a href=\"/ui/machine/{mac}\"><code>{mac}</code></a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&text(&l["ip"])),
            esc(&text(&l["hostname"])),
            esc(&text(&l["state"])),
            left,
            mac = esc(&mac)
        ));
    }
    body.push_str("</table>");
    page_html("Leases", &body)
}
