//! `kindling leases`: list DHCP leases from a running server (its
//! `/leases` endpoint) or, when no server runs, from the lease file.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::LeasesArgs;

pub fn run(args: LeasesArgs) -> anyhow::Result<ExitCode> {
    let json = args.output == "json";
    let text = match &args.lease_file {
        Some(path) => {
            let db = dhcp_server::LeaseDb::open(path)?;
            let mut leases = db.load_all()?;
            leases.sort_by_key(|l| l.ip);
            crate::dhcp::render_leases(&leases, json, dhcp_server::unix_now())
        }
        None => fetch(&args.address, json).with_context(|| {
            format!(
                "asking the kindling at {} (is it running with --dhcp? pass its HTTP --address, or --lease-file when it is stopped)",
                args.address
            )
        })?,
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn fetch(address: &str, json: bool) -> anyhow::Result<String> {
    get(address, if json { "/leases?format=json" } else { "/leases" })
}

/// One plain HTTP/1.0 GET to a running server; the body of a 200, else an
/// error with the status line and the body (kindling's reason).
pub fn get(address: &str, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").context("a malformed HTTP answer")?;
    let status = head.lines().next().unwrap_or("");
    if !status.contains(" 200 ") {
        bail!("{status}: {}", body.trim());
    }
    Ok(body.to_owned())
}
