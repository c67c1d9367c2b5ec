//! `kindling machines` and `kindling explain`: the flight recorder's views
//! of a running server (any replica: it merges the others), as a table or
//! JSON, and one machine's boots told stage by stage with what to do.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

use crate::cli::{ExplainArgs, MachinesArgs};
use recorder_server::views::{age, clock, text};

fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ask(address: &str, path: &str) -> anyhow::Result<Value> {
    let body = crate::leases::get(address, path).with_context(|| {
        format!(
            "asking the kindling at {address} (is it running, with the flight recorder on? pass its HTTP --address)"
        )
    })?;
    serde_json::from_str(&body).context("the server's answer is not JSON")
}

pub fn list(args: MachinesArgs) -> anyhow::Result<ExitCode> {
    let mut path = "/api/machines".to_owned();
    let mut params = Vec::new();
    if let Some(s) = &args.state {
        params.push(format!("state={}", query_escape(s)));
    }
    if let Some(q) = &args.search {
        params.push(format!("q={}", query_escape(q)));
    }
    if !params.is_empty() {
        path = format!("{path}?{}", params.join("&"));
    }
    let data = ask(&args.address, &path)?;
    if args.output == "json" {
        println!("{}", serde_json::to_string_pretty(&data)?);
        return Ok(ExitCode::SUCCESS);
    }
    let now = data["now"].as_u64().unwrap_or(0);
    println!(
        "{:<18} {:<16} {:<14} {:<10} {:<26} {:<12} {:<11} {:<5} REASON",
        "MAC", "IP", "FIRMWARE", "ARCH", "GROUP/PROFILE", "STAGE", "STATE", "SEEN"
    );
    let machines = data["machines"].as_array().cloned().unwrap_or_default();
    for m in &machines {
        let ip = m["ips"]
            .as_array()
            .and_then(|a| a.first())
            .map(text)
            .unwrap_or_default();
        let arch = m["firmware"]["arch"]
            .as_array()
            .and_then(|a| a.first())
            .map(text)
            .unwrap_or_default();
        let sel = if m["group"].is_null() {
            "-".to_owned()
        } else {
            format!("{}/{}", text(&m["group"]), text(&m["profile"]))
        };
        println!(
            "{:<18} {:<16} {:<14} {:<10} {:<26} {:<12} {:<11} {:<5} {}",
            text(&m["mac"]),
            ip,
            text(&m["firmware"]["kind"]),
            arch,
            sel,
            text(&m["stage"]),
            text(&m["state"]),
            age(now, m["last_seen"].as_u64().unwrap_or(0)),
            text(&m["reason"])
        );
    }
    eprintln!(
        "{} machines; {} unknown machines evicted to stay within bounds",
        machines.len(),
        data["evicted_unknown"].as_u64().unwrap_or(0)
    );
    for m in data["missing_replicas"].as_array().into_iter().flatten() {
        eprintln!("not merged: replica {} ({})", text(&m["replica"]), text(&m["error"]));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn explain(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let m = ask(&args.address, &format!("/api/machines/{}", query_escape(&args.machine)))?;
    if args.output == "json" {
        println!("{}", serde_json::to_string_pretty(&m)?);
        return Ok(ExitCode::SUCCESS);
    }
    let fw = &m["firmware"];
    println!("machine {}", text(&m["mac"]));
    for (label, v) in [
        ("uuid", text(&m["uuid"])),
        ("hostname", text(&m["hostname"])),
        (
            "addresses",
            m["ips"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("firmware", text(&fw["kind"])),
        ("arch (93)", text(&fw["arch"])),
        ("vendor class (60)", text(&fw["vendor_class"])),
        ("user class (77)", text(&fw["user_class"])),
    ] {
        if !v.is_empty() && v != "[]" {
            println!("  {label:<18} {v}");
        }
    }
    let labels: Vec<String> = m["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| format!("{}={}", text(&p[0]), text(&p[1])))
        .collect();
    if !labels.is_empty() {
        println!("  {:<18} {}", "labels sent", labels.join("&"));
    }
    match m["group"].as_str() {
        Some(g) => println!("  {:<18} group {g}, profile {}", "selected by", text(&m["profile"])),
        None => println!("  {:<18} no group", "selected by"),
    }
    let boots = m["boots_detail"].as_array().cloned().unwrap_or_default();
    let failed = text(&m["state"]) == "failed" || text(&m["state"]) == "stuck";
    for (i, b) in boots.iter().enumerate() {
        println!();
        println!(
            "boot {} of {}: {}{}",
            i + 1,
            boots.len(),
            text(&b["state"]),
            if b["reason"].is_null() {
                String::new()
            } else {
                format!(" ({}: {})", text(&b["reason"]), text(&b["detail"]))
            }
        );
        let stages: Vec<String> = b["stages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                format!(
                    "{} {:.1}s",
                    text(&s["stage"]),
                    s["spent_ms"].as_u64().unwrap_or(0) as f64 / 1000.0
                )
            })
            .collect();
        println!(
            "  stages: {}",
            if stages.is_empty() {
                "none".to_owned()
            } else {
                stages.join(" → ")
            }
        );
        for e in b["events"].as_array().into_iter().flatten() {
            let stage = text(&e["stage"]);
            let failure = text(&e["failure"]);
            println!(
                "  {} {:<13} {}{}",
                clock(e["at"].as_u64().unwrap_or(0)),
                if stage.is_empty() { "-".to_owned() } else { stage },
                text(&e["summary"]),
                if failure.is_empty() {
                    String::new()
                } else {
                    format!("  [{failure}]")
                }
            );
        }
    }
    if let Some(advice) = m["advice"].as_str() {
        println!();
        println!("what to do: {advice}");
    }
    Ok(if failed { ExitCode::from(3) } else { ExitCode::SUCCESS })
}
