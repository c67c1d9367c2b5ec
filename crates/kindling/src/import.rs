//! `kindling import dnsmasq`: a dnsmasq file or flag list in, kindling's
//! TOML out (standard output or `-o`), every loss on standard error. The
//! translation is `dnsmasq-import`'s; this reads, writes, and checks that
//! kindling accepts what it wrote.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::ImportDnsmasqArgs;

/// Exit 0 when nothing was lost, 1 when something was, 2 on errors.
pub fn dnsmasq(args: ImportDnsmasqArgs) -> anyhow::Result<ExitCode> {
    match translate(args) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("kindling: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn translate(args: ImportDnsmasqArgs) -> anyhow::Result<ExitCode> {
    let (conversion, origin) = match (&args.file, args.flags.is_empty()) {
        (Some(path), true) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}: check the path and its permissions", path.display()))?;
            let name = path.display().to_string();
            (dnsmasq_import::from_file(&text, &name), name)
        }
        (None, false) => (dnsmasq_import::from_flags(&args.flags), "dnsmasq flags".to_owned()),
        (Some(_), false) => bail!("give a dnsmasq file or flags after --, not both"),
        (None, true) => bail!(
            "nothing to import: give a dnsmasq file (kindling import dnsmasq /etc/dnsmasq.conf) \
             or its flags after -- (kindling import dnsmasq -- --dhcp-range=...)"
        ),
    };
    // What kindling itself would say of the result: a translation kindling
    // rejects is a bug here, not the operator's.
    if let Err(e) = config::parse(&conversion.toml, "the imported configuration") {
        bail!("the translation is not a valid kindling configuration (please report this):\n{e}");
    }
    match &args.output {
        Some(path) => std::fs::write(path, &conversion.toml).with_context(|| format!("writing {}", path.display()))?,
        None => std::io::stdout()
            .write_all(conversion.toml.as_bytes())
            .context("writing the TOML")?,
    }
    let mut err = std::io::stderr().lock();
    for loss in &conversion.losses {
        writeln!(err, "{origin}: {loss}")?;
    }
    if conversion.losses.is_empty() {
        writeln!(err, "{origin}: every option carried over")?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(
            err,
            "{origin}: {} options could not be carried over (listed above); the TOML has everything else",
            conversion.losses.len()
        )?;
        Ok(ExitCode::from(1))
    }
}
