//! `kindling render`: answer one request in-process, through the same
//! router the server uses, and print the body a machine would receive. The
//! explanation (labels, selected group and profile, or the failure reason)
//! goes to stderr so stdout is exactly the body.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::body::Body;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::cli::RenderArgs;

pub fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    if !args.data_path.is_dir() {
        bail!(
            "{} is not a directory: pass the data directory with --data-path",
            args.data_path.display()
        );
    }
    let mut compat = web::Compat::parse_list(&args.compat)?;
    if args.matchbox_exact {
        compat = web::Compat::all();
    }
    if args.ignition_compat_empty {
        compat.enable(web::Quirk::IgnitionEmpty);
    }
    let store = Arc::new(store::Store::open(&args.data_path, None));
    let snap = store.snapshot();
    let mut err = std::io::stderr().lock();
    for issue in &snap.issues() {
        writeln!(err, "data: {issue}")?;
    }
    explain(&mut err, &snap, &args)?;

    let app = offline_app(store, compat)?;
    let uri = if args.query.is_empty() {
        format!("/{}", args.endpoint)
    } else {
        format!("/{}?{}", args.endpoint, args.query)
    };
    let request = axum::http::Request::get(&uri)
        .body(Body::empty())
        .context("building the request")?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let response = runtime.block_on(app.router().oneshot(request))?;
    let status = response.status();
    let reason = header(&response, web::REASON_HEADER);
    let detail = header(&response, web::DETAIL_HEADER);
    let ctype = header(&response, "content-type");
    let body = runtime.block_on(response.into_body().collect())?.to_bytes();
    writeln!(err, "status: {status}, content-type: {ctype}")?;
    if status.is_success() {
        std::io::stdout().lock().write_all(&body)?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(err, "reason: {reason}: {detail}")?;
        writeln!(err, "body: {}", String::from_utf8_lossy(&body).trim_end())?;
        Ok(ExitCode::FAILURE)
    }
}

fn header(r: &axum::http::Response<Body>, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn explain(err: &mut impl Write, snap: &store::Snapshot, args: &RenderArgs) -> anyhow::Result<()> {
    let (labels, warnings) = model::Labels::from_query(&args.query);
    for w in warnings {
        writeln!(err, "labels: {w}")?;
    }
    writeln!(err, "labels: {labels}")?;
    if args.endpoint == "boot.ipxe" {
        return Ok(());
    }
    match snap.groups.select(&labels) {
        None => writeln!(err, "group: none of {} groups matches", snap.groups.len())?,
        Some(g) => {
            let sel = g.group.selector_string();
            writeln!(
                err,
                "group: groups/{} (id {:?}, selector {})",
                g.file_name,
                g.group.id,
                if sel.is_empty() { "{} (default)".to_owned() } else { sel }
            )?;
            match snap.profile(&g.group.profile) {
                Ok(p) => writeln!(
                    err,
                    "profile: profiles/{}.json (id {:?})",
                    g.group.profile, p.profile.id
                )?,
                Err(e) => writeln!(err, "profile: {e}")?,
            }
        }
    }
    Ok(())
}

/// The server's HTTP answers without listeners, assets, leases or boot
/// files: what `render` and `validate` ask through the router.
pub fn offline_app(store: Arc<store::Store>, compat: web::Compat) -> anyhow::Result<Arc<web::App>> {
    Ok(Arc::new(web::App::new(
        store,
        web::Config {
            compat,
            assets_path: None,
            redact_queries: false,
            leases: None,
            boot_files: None,
            health: None,
            recorder: None,
            peers: None,
            ui: false,
            signer: None,
        },
        None,
    )?))
}
