//! The dispatcher and the matchbox endpoints.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use bytes::Bytes;
use model::Labels;
use store::{IgnitionFile, LoadedProfile, LookupError, Selected, Snapshot, TemplateFile};

use crate::compat::{Compat, Quirk};
use crate::content::{Content, serve_content};
use crate::failure::Failure;
use crate::{App, gourl, vars};

/// Which route served a request: the `route` label of the request metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Home = 0,
    BootIpxe,
    Ipxe,
    Grub,
    Ignition,
    Cloud,
    Generic,
    Metadata,
    Assets,
    Healthz,
    Metrics,
    Leases,
    BootFile,
    /// `/api/…`: the flight recorder's JSON views.
    Api,
    /// `/ui/…`: the web UI.
    Ui,
    Unmatched,
}

impl Route {
    pub const COUNT: usize = 16;

    pub fn label(self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::BootIpxe => "/boot.ipxe",
            Route::Ipxe => "/ipxe",
            Route::Grub => "/grub",
            Route::Ignition => "/ignition",
            Route::Cloud => "/cloud",
            Route::Generic => "/generic",
            Route::Metadata => "/metadata",
            Route::Assets => "/assets/",
            Route::Healthz => "/healthz",
            Route::Metrics => "/metrics",
            Route::Leases => "/leases",
            Route::BootFile => "bootfile",
            Route::Api => "/api/",
            Route::Ui => "/ui/",
            Route::Unmatched => "other",
        }
    }

    fn of(path: &str, assets_on: bool) -> Route {
        match path {
            "/" => Route::Home,
            "/boot.ipxe" | "/boot.ipxe.0" => Route::BootIpxe,
            "/ipxe" => Route::Ipxe,
            "/grub" => Route::Grub,
            "/ignition" => Route::Ignition,
            "/cloud" => Route::Cloud,
            "/generic" => Route::Generic,
            "/metadata" => Route::Metadata,
            "/healthz" => Route::Healthz,
            "/metrics" => Route::Metrics,
            "/leases" => Route::Leases,
            p if assets_on && (p == "/assets" || p.starts_with("/assets/")) => Route::Assets,
            p if p.starts_with("/api/") => Route::Api,
            "/ui" => Route::Ui,
            p if p.starts_with("/ui/") => Route::Ui,
            _ => Route::Unmatched,
        }
    }
}

/// One request's result, for the response, the log line and the metrics.
struct Outcome {
    route: Route,
    response: Response<Body>,
    failure: Option<Failure>,
}

pub async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    let raw_path = req.uri().path().to_owned();
    let raw_query = req.uri().query().map(str::to_owned);
    let peer = req.extensions().get::<crate::server::Peer>().map(|p| p.0);
    if let Some(signer) = &app.signer
        && let Some((stem, form)) = signed_target(&raw_path)
    {
        let outcome = signed(&app, signer, &method, req.headers(), stem, form, raw_query.as_deref()).await;
        record(&app, &outcome, &method, &raw_path, raw_query.as_deref(), peer, started);
        return outcome.response;
    }
    let outcome = route(&app, &method, req.headers(), &raw_path, raw_query.as_deref()).await;
    record(&app, &outcome, &method, &raw_path, raw_query.as_deref(), peer, started);
    outcome.response
}

/// The endpoints matchbox signs, each with `.sig` and `.asc`.
const SIGNED: [&str; 8] = [
    "/boot.ipxe",
    "/boot.ipxe.0",
    "/ipxe",
    "/grub",
    "/ignition",
    "/cloud",
    "/generic",
    "/metadata",
];

/// `/ipxe.sig` → (`/ipxe`, binary); other paths are not signature requests.
fn signed_target(path: &str) -> Option<(&str, sign::Form)> {
    sign::Form::of_path(path).filter(|(stem, _)| SIGNED.contains(stem))
}

/// A signature request: the unsigned endpoint runs as usual (a HEAD as a
/// GET, so that the signature covers the body a GET would get), its
/// headers are dropped and its body signed. Its status is kept, so a
/// machine no group matches gets a 404 whose body is the signature of the
/// 404 text. The response type is sniffed from the signature, as matchbox's is.
async fn signed(
    app: &App,
    signer: &sign::Signer,
    method: &Method,
    headers: &HeaderMap,
    stem: &str,
    form: sign::Form,
    raw_query: Option<&str>,
) -> Outcome {
    let inner_method = if method == Method::HEAD { &Method::GET } else { method };
    let inner = route(app, inner_method, headers, stem, raw_query).await;
    let status = inner.response.status();
    let body = match http_body_util::BodyExt::collect(inner.response.into_body()).await {
        Ok(b) => b.to_bytes(),
        Err(e) => Bytes::from(format!("reading the response to sign: {e}")),
    };
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        .unwrap_or(0);
    let (status, signature) = match signer.sign_cached(&body, created, form) {
        Ok(sig) => (status, Bytes::from(sig)),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, Bytes::from(format!("{e}\n"))),
    };
    let content_type = HeaderValue::from_static(crate::sniff::detect_content_type(&signature));
    let mut response = Response::new(Body::from(signature));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, content_type);
    Outcome {
        route: inner.route,
        response,
        failure: inner.failure,
    }
}

fn record(
    app: &App,
    o: &Outcome,
    method: &Method,
    path: &str,
    query: Option<&str>,
    peer: Option<std::net::SocketAddr>,
    started: Instant,
) {
    let client = Client(peer.map(|p| p.ip()));
    let route = o.route.label();
    let status = o.response.status();
    app.counters.request(o.route, status);
    // A signature is not a boot step of its own: its endpoint's is recorded
    // when the machine fetches the endpoint.
    if crate::api::is_boot_route(o.route) && signed_target(path).is_none() {
        crate::api::record_event(app, o.route, path, query, client.0, status, o.failure.as_ref());
    }
    let micros = started.elapsed().as_micros() as u64;
    let redacted;
    let query = match query {
        None => "",
        Some(q) if app.redact_queries => {
            redacted = redact(q);
            redacted.as_str()
        }
        Some(q) => q,
    };
    match &o.failure {
        None => {
            tracing::info!(%client, %method, path = %path, query = %query, status = status.as_u16(), route, micros, "http request")
        }
        Some(f) => {
            if f.code == "no-matching-group" {
                app.counters.selection_miss(o.route);
            }
            tracing::info!(%client, %method, path = %path, query = %query, status = status.as_u16(), route, micros, reason = f.code, detail = %f.detail, "http request failed");
        }
    }
}

/// The client's address for the request log, written without allocating
/// (empty when unknown, as for `kindling render`).
struct Client(Option<std::net::IpAddr>);

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => Ok(()),
        }
    }
}

/// `mac=…&uuid=…` → `mac&uuid`.
fn redact(q: &str) -> String {
    q.split('&')
        .map(|pair| pair.split('=').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("&")
}

async fn route(app: &App, method: &Method, headers: &HeaderMap, raw_path: &str, raw_query: Option<&str>) -> Outcome {
    let compat = app.compat;
    if raw_path == "*" {
        return asterisk(method);
    }
    let Some(path) = gourl::unescape_path(raw_path) else {
        // Go's server rejects the request line before any handler runs.
        let failure = Failure::with_status(
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!("invalid percent-escape in path {raw_path:?}"),
            None,
        );
        let mut response = Response::new(Body::from("400 Bad Request"));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return Outcome {
            route: Route::Unmatched,
            response,
            failure: Some(failure),
        };
    };
    let clean = gourl::clean_request_path(&path);
    let assets_on = app.assets.is_some();

    // ServeMux: /assets (a registered subtree without its slash) → /assets/.
    if assets_on && clean == "/assets" {
        return ok(Route::Assets, mux_redirect(method, "/assets/", raw_query));
    }
    if clean != path && compat.has(Quirk::RedirectUncleanPaths) {
        return ok(Route::of(&clean, assets_on), mux_redirect(method, &clean, raw_query));
    }
    let mut route = Route::of(&clean, assets_on);
    if route == Route::Unmatched && app.boot_files.is_some() && clean.len() > 1 && !clean.ends_with('/') {
        route = Route::BootFile;
    }
    if route != Route::Unmatched && !compat.has(Quirk::AnyMethod) && method != Method::GET && method != Method::HEAD {
        return fail(
            compat,
            route,
            Failure::with_status(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                format!("{method} is not allowed on {}; use GET or HEAD", route.label()),
                None,
            ),
        );
    }
    let query = raw_query.unwrap_or("");
    let result = match route {
        Route::Home => Ok(text(Bytes::from_static(b"matchbox\n"))),
        Route::BootIpxe => Ok(text(Bytes::from_static(model::bootscript::BOOT_IPXE.as_bytes()))),
        Route::Ipxe | Route::Grub => boot_script(app, route, query),
        Route::Ignition => ignition(app, headers, query),
        Route::Cloud => cloud(app, method, headers, query).await,
        Route::Generic => generic(app, method, headers, query).await,
        Route::Metadata => metadata(app, query),
        Route::Assets => {
            let assets = app.assets.as_ref().expect("route exists only with assets");
            let below = &clean["/assets".len()..];
            assets.serve(compat, method, headers, below, raw_query).await
        }
        Route::Healthz => Ok(healthz(app)),
        Route::Metrics => match &app.metrics {
            Some(render) => {
                let mut r = Response::new(Body::from(render()));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                Ok(r)
            }
            None => Err(Failure::not_found(
                "metrics-disabled",
                "metrics are not enabled in this process",
            )),
        },
        Route::Leases => match &app.leases {
            Some(render) => {
                let json = query.split('&').any(|p| p == "format=json");
                let mut r = Response::new(Body::from(render(json)));
                let ctype = if json {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                };
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
                Ok(r)
            }
            None => Err(Failure::not_found(
                "dhcp-disabled",
                "the DHCP server is not running in this process (--dhcp off)",
            )),
        },
        Route::BootFile => boot_file(app, method, headers, &clean).await,
        Route::Api => match clean.strip_prefix("/api/") {
            Some("machines") => crate::api::machines(app, query).await,
            Some("live") => crate::api::live(app),
            Some(rest) if rest.starts_with("machines/") => {
                crate::api::machine(app, &rest["machines/".len()..], query).await
            }
            _ => Err(Failure::not_found(
                "no-such-route",
                format!("no route {clean}; the API has /api/machines, /api/machines/ID and /api/live"),
            )),
        },
        Route::Ui => crate::ui::page(app, &clean, query).await,
        Route::Unmatched => Err(Failure::not_found(
            "no-such-route",
            format!(
                "no route {clean}; matchbox routes are /, /boot.ipxe, /ipxe, /grub, /ignition, /cloud, /generic, /metadata, /assets/"
            ),
        )),
    };
    match result {
        Ok(response) => ok(route, response),
        Err(f) => fail(compat, route, f),
    }
}

/// The `*` request target: Go's server answers `OPTIONS *` itself (200) and
/// its mux refuses every other method with 400.
fn asterisk(method: &Method) -> Outcome {
    let mut response = Response::new(Body::empty());
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    if method == Method::OPTIONS {
        return ok(Route::Unmatched, response);
    }
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    let failure = Failure::with_status(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "the * request target is only for OPTIONS",
        None,
    );
    Outcome {
        route: Route::Unmatched,
        response,
        failure: Some(failure),
    }
}

fn ok(route: Route, response: Response<Body>) -> Outcome {
    Outcome {
        route,
        response,
        failure: None,
    }
}

/// The failure is answered at once (status, headers, body in one place) and
/// kept for the log line.
fn fail(compat: Compat, route: Route, failure: Failure) -> Outcome {
    Outcome {
        route,
        response: failure.clone().into_response(compat),
        failure: Some(failure),
    }
}

/// A text body whose Content-Type Go would sniff (`text/plain; charset=utf-8`
/// for every script matchbox renders), with its length.
fn text(body: Bytes) -> Response<Body> {
    let ctype = crate::sniff::detect_content_type(&body);
    let len = body.len();
    let mut r = Response::new(Body::from(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

/// `http.Redirect` as ServeMux uses it: 301, absolute path, HTML body on GET.
fn mux_redirect(method: &Method, path: &str, raw_query: Option<&str>) -> Response<Body> {
    let mut url = gourl::escape_path(path);
    if let Some(q) = raw_query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(q);
    }
    let body = if method == Method::GET {
        format!("<a href=\"{}\">Moved Permanently</a>.\n\n", gourl::html_escape(&url))
    } else {
        String::new()
    };
    let mut r = Response::new(if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body.clone())
    });
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&gourl::hex_escape_non_ascii(&url)) {
        h.insert(header::LOCATION, v);
    }
    // Go's Redirect writes a Content-Type (and body) only for GET and HEAD.
    if method == Method::GET || method == Method::HEAD {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    r
}

fn healthz(app: &App) -> Response<Body> {
    let snap = app.store.snapshot();
    let mut body = format!(
        "ok\ngeneration {}\ngroups {}\nprofiles {}\nload_errors {}\n",
        snap.generation,
        snap.groups.len(),
        snap.profile_count(),
        snap.error_count()
    );
    if let Some(more) = &app.health {
        body.push_str(&more(&snap));
    }
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The labels of a request, with unparseable MACs logged as matchbox does.
fn labels(query: &str) -> Labels {
    let (labels, warnings) = Labels::from_query(query);
    for w in warnings {
        tracing::warn!(warning = %w, "ignoring unparseable MAC address");
    }
    labels
}

/// The group these labels select (with its profile, resolved at load), or
/// why there is none.
fn select_group<'s>(snap: &'s Snapshot, labels: &Labels) -> Result<Selected<'s>, Failure> {
    if let Some(err) = &snap.groups_dir_error {
        return Err(Failure::not_found("groups-unavailable", err.clone()));
    }
    snap.select(labels).ok_or_else(|| {
        Failure::not_found(
            "no-matching-group",
            format!("no group matches labels {labels} ({} groups loaded)", snap.groups.len()),
        )
    })
}

/// The selected group's profile. A missing profile is an error; there is no
/// fall-through to the next group, as in matchbox.
fn select_profile<'s>(selected: Selected<'s>) -> Result<&'s Arc<LoadedProfile>, Failure> {
    let g = selected.group;
    selected.profile.map_err(|e| {
        let code = match e {
            LookupError::Unset { .. } => "group-has-no-profile",
            LookupError::NotFound { .. } => "profile-not-found",
            LookupError::InvalidName { .. } => "profile-name-invalid",
            LookupError::Invalid { .. } => "profile-invalid",
        };
        let detail = match e {
            LookupError::Unset { .. } => {
                format!(
                    "group groups/{} (id {:?}) matched but names no profile",
                    g.file_name, g.group.id
                )
            }
            ref e => format!("group groups/{} matched: {e}", g.file_name),
        };
        Failure::not_found(code, detail)
    })
}

fn lookup_failure(what: &'static str, e: LookupError, profile: &LoadedProfile) -> Failure {
    let code = match (&e, what) {
        (LookupError::Unset { .. }, "ignition") => "no-ignition-config",
        (LookupError::Unset { .. }, "cloud") => "no-cloud-config",
        (LookupError::Unset { .. }, _) => "no-generic-config",
        (LookupError::NotFound { .. }, _) => "template-not-found",
        (LookupError::InvalidName { .. }, _) => "template-name-invalid",
        (LookupError::Invalid { .. }, _) => "template-invalid",
    };
    Failure::not_found(code, format!("profile {:?}: {e}", profile.profile.id))
}

fn boot_script(app: &App, route: Route, query: &str) -> Result<Response<Body>, Failure> {
    let snap = app.store.snapshot();
    let labels = labels(query);
    let selected = select_group(&snap, &labels)?;
    let (group, profile) = (selected.group, select_profile(selected)?);
    let body = if route == Route::Ipxe {
        &profile.ipxe
    } else {
        &profile.grub
    };
    match body {
        Some(b) => Ok(text(b.clone())),
        None => Err(Failure::not_found(
            "profile-has-no-boot",
            format!(
                "profile {:?} (selected by group groups/{}) has no \"boot\" section",
                profile.profile.id, group.file_name
            ),
        )),
    }
}

fn render(file: &TemplateFile, dir: &str, name: &str, vars: &template::Value) -> Result<String, Failure> {
    match &file.template {
        Err(e) => Err(Failure::internal("template-parse-error", format!("{dir}/{name}: {e}"))),
        Ok(t) => t
            .execute(vars)
            .map_err(|e| Failure::internal("template-error", format!("{dir}/{name}: {e}"))),
    }
}

/// The newest Ignition spec an `Accept` header names, as Ignition sends it
/// (`application/vnd.coreos.ignition+json;version=3.4.0, */*;q=0.1`), as
/// (major, minor, patch); `None` when it names none.
fn accepted_ignition_version(headers: &HeaderMap) -> Option<(u64, u64, u64)> {
    let mut best = None;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(text) = value.to_str() else { continue };
        for range in text.split(',') {
            let mut parts = range.split(';').map(str::trim);
            if !parts
                .next()
                .is_some_and(|m| m.eq_ignore_ascii_case("application/vnd.coreos.ignition+json"))
            {
                continue;
            }
            let mut version = None;
            let mut q_zero = false;
            for p in parts {
                let Some((k, v)) = p.split_once('=') else { continue };
                match k.trim().to_ascii_lowercase().as_str() {
                    "version" => {
                        let n: Vec<u64> = v
                            .trim()
                            .trim_matches('"')
                            .split('.')
                            .map_while(|x| x.parse().ok())
                            .collect();
                        version = match n.as_slice() {
                            [a, b, c] => Some((*a, *b, *c)),
                            [a, b] => Some((*a, *b, 0)),
                            [a] => Some((*a, 0, 0)),
                            _ => None,
                        };
                    }
                    "q" => q_zero = v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0),
                    _ => {}
                }
            }
            if let Some(v) = version
                && !q_zero
            {
                best = best.max(Some(v));
            }
        }
    }
    best
}

/// A config newer than the client accepts: its 3.4.0 form when 3.4 can
/// express it and the client takes 3.4, else 406 with the reason.
fn downgrade_for_client(
    headers: &HeaderMap,
    name: &str,
    spec: ignition::Spec,
    v3_4: impl FnOnce() -> Option<Bytes>,
) -> Result<Option<Bytes>, Failure> {
    let Some(max) = accepted_ignition_version(headers) else {
        return Ok(None);
    };
    let own = spec.version();
    let parsed: Vec<u64> = own.split('.').filter_map(|x| x.parse().ok()).collect();
    if parsed.len() == 3 && (parsed[0], parsed[1], parsed[2]) <= max {
        return Ok(None);
    }
    let client = format!("{}.{}.{}", max.0, max.1, max.2);
    if max >= (3, 4, 0)
        && let Some(body) = v3_4()
    {
        return Ok(Some(body));
    }
    Err(Failure::with_status(
        StatusCode::NOT_ACCEPTABLE,
        "ignition-version-not-acceptable",
        format!(
            "ignition/{name} is spec {own} and uses fields that older specs lack; the client accepts Ignition specs up to {client} (Accept header): update the machine's Ignition, or write the config without the newer fields"
        ),
        None,
    ))
}

fn ignition(app: &App, headers: &HeaderMap, query: &str) -> Result<Response<Body>, Failure> {
    let snap = app.store.snapshot();
    let labels = labels(query);
    let selected = select_group(&snap, &labels)?;
    let (group, profile) = (selected.group, select_profile(selected)?);
    let name = &profile.profile.ignition_id;
    let file = snap
        .ignition(name)
        .map_err(|e| lookup_failure("ignition", e, profile))?;
    let body = match file.as_ref() {
        IgnitionFile::Raw(raw) => {
            if app.compat.has(Quirk::IgnitionEmpty) {
                if let Err(reason) = &raw.body {
                    tracing::warn!(file = %name, %reason, "serving the empty Ignition config in place of an invalid one (ignition-empty compatibility)");
                }
                raw.compat_body.clone()
            } else if let Some((spec, down)) = &raw.newer
                && let Some(body) = downgrade_for_client(headers, name, *spec, || down.clone())?
            {
                body
            } else {
                raw.body
                    .clone()
                    .map_err(|reason| Failure::internal("ignition-invalid", format!("ignition/{name}: {reason}")))?
            }
        }
        IgnitionFile::Template(t) => {
            let vars = vars::collect(&group.group, &labels, query);
            let rendered = render(t, "ignition", name, &vars)?;
            let translated = butane::translate(&rendered)
                .map_err(|e| Failure::internal("butane-invalid", format!("ignition/{name} (rendered): {e}")))?;
            // Then as for raw Ignition: matchbox parses butane's output with
            // the spec-3.4 parser, so configs up to 3.4 are served at 3.4.0
            // and newer ones (fcos 1.6 → 3.5) emptied under ignition-empty.
            let spec = translated.config.spec();
            let newer = spec > ignition::Spec::V3_4;
            if newer && app.compat.has(Quirk::IgnitionEmpty) {
                tracing::warn!(file = %name, %spec, "serving the empty Ignition config in place of a newer spec (ignition-empty compatibility)");
                Bytes::from(ignition::zero_config_v3_4_json())
            } else if newer
                && let Some(body) = downgrade_for_client(headers, name, spec, || {
                    translated.config.to_go_json_v3_4_lossless().map(Bytes::from)
                })?
            {
                body
            } else {
                Bytes::from(translated.config.to_go_json())
            }
        }
    };
    let len = body.len();
    let mut r = Response::new(Body::from(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(r)
}

async fn cloud(app: &App, method: &Method, headers: &HeaderMap, query: &str) -> Result<Response<Body>, Failure> {
    let snap = app.store.snapshot();
    let labels = labels(query);
    let selected = select_group(&snap, &labels)?;
    let (group, profile) = (selected.group, select_profile(selected)?);
    let name = &profile.profile.cloud_id;
    let file = snap.cloud(name).map_err(|e| lookup_failure("cloud", e, profile))?;
    let vars = vars::collect(&group.group, &labels, query);
    let rendered = render(file, "cloud", name, &vars)?;
    tracing::warn!("Cloud-Config support will be removed in the future");
    check_cloud_config(&rendered).map_err(|reason| {
        Failure::internal(
            "cloud-config-invalid",
            format!("cloud/{name} rendered to invalid user-data: {reason}"),
        )
    })?;
    Ok(serve_content(method, headers, "", None, Content::Memory(Bytes::from(rendered))).await)
}

/// coreos-cloudinit's acceptance: a `#cloud-config` first line (one trailing
/// CR allowed) with valid YAML after it, or a script starting with `#!`.
fn check_cloud_config(text: &str) -> Result<(), String> {
    let first = text.split('\n').next().unwrap_or("");
    let first = first.strip_suffix('\r').unwrap_or(first);
    if first == "#cloud-config" {
        return serde_saphyr::from_str::<serde::de::IgnoredAny>(text)
            .map(|_| ())
            .map_err(|e| format!("YAML error: {e}"));
    }
    if text.starts_with("#!") {
        return Ok(());
    }
    Err("the first line must be #cloud-config or a #! script line".to_owned())
}

async fn generic(app: &App, method: &Method, headers: &HeaderMap, query: &str) -> Result<Response<Body>, Failure> {
    let snap = app.store.snapshot();
    let labels = labels(query);
    let selected = select_group(&snap, &labels)?;
    let (group, profile) = (selected.group, select_profile(selected)?);
    let name = &profile.profile.generic_id;
    let file = snap.generic(name).map_err(|e| lookup_failure("generic", e, profile))?;
    let vars = vars::collect(&group.group, &labels, query);
    let rendered = render(file, "generic", name, &vars)?;
    Ok(serve_content(method, headers, "", None, Content::Memory(Bytes::from(rendered))).await)
}

/// `/ipxe.efi`, `/undionly.kpxe`, files of the TFTP root: the same names
/// TFTP serves, for UEFI HTTP Boot and iPXE (with Content-Length, HEAD and
/// ranges, and no redirects).
async fn boot_file(app: &App, method: &Method, headers: &HeaderMap, path: &str) -> Result<Response<Body>, Failure> {
    let files = app.boot_files.clone().expect("route exists only with boot files");
    let name = path.trim_start_matches('/').to_owned();
    let not_found = |detail: String| {
        Failure::not_found(
            "no-such-route",
            format!(
                "no route {path} and no boot file by that name ({detail}); matchbox routes are /, /boot.ipxe, /ipxe, /grub, /ignition, /cloud, /generic, /metadata, /assets/"
            ),
        )
    };
    let found = tokio::task::spawn_blocking(move || files.open(&name))
        .await
        .map_err(|e| not_found(e.to_string()))?;
    match found {
        Ok(file) => Ok(serve_content(method, headers, &file.name, file.modified, Content::Memory(file.data)).await),
        Err(bootfiles::LookupError::NotFound) => Err(not_found("not found".into())),
        Err(e) => Err(Failure::not_found("boot-file-denied", format!("{path}: {e}"))),
    }
}

fn metadata(app: &App, query: &str) -> Result<Response<Body>, Failure> {
    let snap = app.store.snapshot();
    let labels = labels(query);
    let group = select_group(&snap, &labels)?.group;
    let body = vars::render_env(&vars::collect(&group.group, &labels, query));
    let ctype = if app.compat.has(Quirk::MetadataContentType) {
        "plain/text"
    } else {
        "text/plain; charset=utf-8"
    };
    let len = body.len();
    let mut r = Response::new(Body::from(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(r)
}
