//! `kindling validate`: load a data directory exactly as the server would
//! and report every problem; exit 1 when there are errors.

use std::process::ExitCode;

use anyhow::{Context, bail};
use store::Severity;

use crate::cli::ValidateArgs;

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    if !args.data_path.is_dir() {
        bail!(
            "{} is not a directory: pass the data directory with --data-path",
            args.data_path.display()
        );
    }
    let snap = store::load(&args.data_path, 1);
    let errors = snap.error_count();
    let warnings = snap.issues.len() - errors;
    if args.output == "json" {
        let issues: Vec<serde_json::Value> = snap
            .issues
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
            "data_path": args.data_path.display().to_string(),
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
        for issue in &snap.issues {
            println!("{issue}");
        }
        println!(
            "{}: {} groups, {} profiles, {} templates; {errors} errors, {warnings} warnings",
            args.data_path.display(),
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
