//! kindling: the one binary and the only composition root. It parses the
//! command line, builds the store and the servers, and wires them together;
//! everything it calls lives in the library crates.

mod certs;
mod cli;
mod client;
mod cluster;
mod dhcp;
mod dns;
mod import;
mod leases;
mod logging;
mod machines;
mod recorder;
mod render;
mod rpc;
mod runtime;
mod serve;
mod tftp;
mod validate;

use std::process::ExitCode;

fn main() -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let cli = match cli::parse(std::env::args_os().collect(), &env) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, errors with exit 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(*args),
        cli::Command::Validate(args) => validate::run(args),
        cli::Command::Import(cli::ImportCommand::Dnsmasq(args)) => import::dnsmasq(args),
        cli::Command::Render(args) => render::run(args),
        cli::Command::Leases(args) => leases::run(args),
        cli::Command::Certs(cli::CertsCommand::Init(args)) => certs::init(args).map(|()| ExitCode::SUCCESS),
        cli::Command::Group(args) => client::run(client::Kind::Group, args),
        cli::Command::Profile(args) => client::run(client::Kind::Profile, args),
        cli::Command::Ignition(args) => client::run(client::Kind::Ignition, args),
        cli::Command::Generic(args) => client::run(client::Kind::Generic, args),
        cli::Command::Machines(args) => machines::list(args),
        cli::Command::Explain(args) => machines::explain(args),
        cli::Command::Store(cmd) => cluster::store_command(cmd),
        cli::Command::Cluster(cli::ClusterCommand::Status(args)) => cluster::status_command(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kindling: {e:#}");
            ExitCode::FAILURE
        }
    }
}
