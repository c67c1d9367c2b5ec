//! `kindling validate`: load a data directory exactly as the server would,
//! and/or read a configuration file exactly as `serve --config` would, and
//! report every problem; exit 1 when there are errors.

use std::process::ExitCode;

use anyhow::{Context, bail};
use store::Severity;

use crate::cli::ValidateArgs;

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    if let Some(path) = &args.config {
        failed |= !check_config(path, &args.output)?;
        if args.data_path.is_none() {
            return Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS });
        }
    }
    let data_path = args.data_path.clone().unwrap_or_else(|| "/var/lib/matchbox".into());
    let code = check_data(&data_path, &args.output)?;
    Ok(if failed { ExitCode::FAILURE } else { code })
}

/// Checks a configuration file; true when it is valid.
fn check_config(path: &std::path::Path, output: &str) -> anyhow::Result<bool> {
    let result = config::load(path);
    if output == "json" {
        let errors: Vec<serde_json::Value> = match &result {
            Ok(_) => Vec::new(),
            Err(e) => {
                e.0.iter()
                    .map(|e| {
                        serde_json::json!({
                            "line": e.line, "column": e.column, "key": e.key, "message": e.message,
                        })
                    })
                    .collect()
            }
        };
        let report = serde_json::json!({ "config": path.display().to_string(), "errors": errors });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("encoding the report")?
        );
    } else {
        match &result {
            Ok(c) => println!(
                "{}: valid ({} subnets, {} hosts, {} classes, {} DNS records)",
                path.display(),
                c.dhcp.subnets.len(),
                c.dhcp.reservations.len(),
                c.dhcp.classes.len(),
                c.dns.records.len()
            ),
            Err(e) => {
                println!("{e}");
                println!("{}: {} errors", path.display(), e.0.len());
            }
        }
    }
    Ok(result.is_ok())
}

fn check_data(data_path: &std::path::Path, output: &str) -> anyhow::Result<ExitCode> {
    if !data_path.is_dir() {
        bail!(
            "{} is not a directory: pass the data directory with --data-path",
            data_path.display()
        );
    }
    let snap = store::load(data_path);
    let mut issues = snap.issues();
    issues.extend(check_butane(data_path, &snap)?);
    let errors = issues.iter().filter(|i| i.severity == Severity::Error).count();
    let warnings = issues.len() - errors;
    if output == "json" {
        let issues: Vec<serde_json::Value> = issues
            .iter()
            .map(|i| {
                serde_json::json!({
                    "severity": match i.severity { Severity::Error => "error", Severity::Warning => "warning" },
                    "path": i.path,
                    "message": i.message,
                })
            })
            .collect();
        let report = serde_json::json!({
            "data_path": data_path.display().to_string(),
            "groups": snap.groups.len(),
            "profiles": snap.profile_count(),
            "errors": errors,
            "warnings": warnings,
            "issues": issues,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("encoding the report")?
        );
    } else {
        for issue in &issues {
            println!("{issue}");
        }
        println!(
            "{}: {} groups, {} profiles, {} templates; {errors} errors, {warnings} warnings",
            data_path.display(),
            snap.groups.len(),
            snap.profile_count(),
            snap.names(store::Kind::Ignition).len()
                + snap.names(store::Kind::Cloud).len()
                + snap.names(store::Kind::Generic).len(),
        );
    }
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Butane templates are translated per request, so each group whose profile
/// names one is asked for its `/ignition` through the server's own router,
/// with the group's selector as the query (what a matching machine sends at
/// least): a translation failure is an error; a template that needs more of
/// the request than the selector gives is a warning.
fn check_butane(data_path: &std::path::Path, snap: &store::Snapshot) -> anyhow::Result<Vec<store::Issue>> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let mut targets = Vec::new();
    for g in snap.groups.ranked() {
        let Ok(profile) = snap.profile(&g.group.profile) else {
            continue;
        };
        let name = &profile.profile.ignition_id;
        if name.is_empty() || store::is_raw_ignition(name) || snap.ignition(name).is_err() {
            continue;
        }
        let query: String = g
            .group
            .selector
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        targets.push((g.file_name.clone(), name.clone(), query));
    }
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let store = std::sync::Arc::new(store::Store::open(data_path, None));
    let app = crate::render::offline_app(store, web::Compat::none())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut issues = Vec::new();
    for (group, name, query) in targets {
        let request = axum::http::Request::get(format!("/ignition?{query}")).body(axum::body::Body::empty())?;
        let response = runtime.block_on(app.clone().router().oneshot(request))?;
        if response.status().is_success() {
            continue;
        }
        let get = |h: &str| {
            response
                .headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (reason, detail) = (get(web::REASON_HEADER), get(web::DETAIL_HEADER));
        let _ = runtime.block_on(response.into_body().collect());
        let severity = match reason.as_str() {
            "butane-invalid" | "ignition-invalid" | "template-parse-error" => Severity::Error,
            _ => Severity::Warning,
        };
        issues.push(store::Issue {
            severity,
            path: format!("ignition/{name}"),
            message: format!("as rendered for groups/{group} (query {query:?}): {reason}: {detail}"),
        });
    }
    Ok(issues)
}

/// Percent-encoding for a query component.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
