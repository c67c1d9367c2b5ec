//! `kindling group|profile|ignition|generic create|get|list|delete`: the
//! gRPC client (bootcmd's role) with a client certificate, printing a
//! readable table by default and JSON with `--output json`.

use std::process::ExitCode;

use anyhow::{Context, bail};
use rpc::pb::rpcpb::{
    generic_client::GenericClient, groups_client::GroupsClient, ignition_client::IgnitionClient,
    profiles_client::ProfilesClient,
};
use rpc::pb::serverpb::*;
use rpc::pb::storagepb;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::cli::{ObjectAction, ObjectArgs};

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Group,
    Profile,
    Ignition,
    Generic,
}

pub fn run(kind: Kind, args: ObjectArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(run_async(kind, args))
}

async fn connect(args: &ObjectArgs) -> anyhow::Result<Channel> {
    let endpoint = &args.endpoint;
    if endpoint.contains("://") {
        bail!("--endpoint {endpoint:?}: give host:port, without a scheme");
    }
    let host = endpoint
        .rsplit_once(':')
        .map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']'))
        .filter(|h| !h.is_empty())
        .with_context(|| format!("--endpoint {endpoint:?}: expected host:port such as 127.0.0.1:8081"))?;
    let tls = rpc::client_tls(&args.ca_file, &args.cert_file, &args.key_file, host)?;
    Channel::from_shared(format!("https://{endpoint}"))
        .with_context(|| format!("--endpoint {endpoint:?}"))?
        .tls_config(tls)?
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("cannot reach the gRPC API at {endpoint} (is kindling serve running with --rpc-address, and are the certificates right?)"))
}

fn rpc_error(e: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", code_name(e.code()), e.message())
}

fn code_name(c: tonic::Code) -> &'static str {
    match c {
        tonic::Code::NotFound => "not found",
        tonic::Code::InvalidArgument => "invalid argument",
        tonic::Code::Unavailable => "unavailable",
        tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => "refused",
        _ => "error",
    }
}

fn group_json(g: &storagepb::Group) -> Value {
    let metadata: Value = serde_json::from_slice(&g.metadata).unwrap_or(Value::Null);
    json!({"id": g.id, "name": g.name, "profile": g.profile, "selector": g.selector, "metadata": metadata})
}

fn profile_json(p: &storagepb::Profile) -> Value {
    let boot = p.boot.clone().unwrap_or_default();
    json!({"id": p.id, "name": p.name, "ignition_id": p.ignition_id, "cloud_id": p.cloud_id, "generic_id": p.generic_id,
           "boot": {"kernel": boot.kernel, "initrd": boot.initrd, "args": boot.args}})
}

/// Columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

fn selector_text(g: &storagepb::Group) -> String {
    let mut pairs: Vec<String> = g.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    if pairs.is_empty() {
        "(default)".into()
    } else {
        pairs.join(",")
    }
}

async fn run_async(kind: Kind, args: ObjectArgs) -> anyhow::Result<ExitCode> {
    let json_out = args.output == "json";
    // Files are read (and groups and profiles checked) before connecting.
    let create = match &args.action {
        ObjectAction::Create { file, name } => {
            let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            Some((file.clone(), name.clone(), bytes))
        }
        _ => None,
    };
    let channel = connect(&args).await?;
    let out: String;
    match (kind, &args.action) {
        (Kind::Group, ObjectAction::Create { .. }) => {
            let (file, _, bytes) = create.context("no file")?;
            let g = model::Group::from_json(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let msg = rpc::convert::group_message(&g);
            let id = msg.id.clone();
            GroupsClient::new(channel)
                .group_put(GroupPutRequest { group: Some(msg) })
                .await
                .map_err(rpc_error)?;
            out = format!("group {id} written\n");
        }
        (Kind::Profile, ObjectAction::Create { .. }) => {
            let (file, _, bytes) = create.context("no file")?;
            let p = model::Profile::from_json(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let mut msg = rpc::convert::profile_message(&p);
            if p.boot.is_none() {
                msg.boot = None;
            }
            let id = msg.id.clone();
            ProfilesClient::new(channel)
                .profile_put(ProfilePutRequest { profile: Some(msg) })
                .await
                .map_err(rpc_error)?;
            out = format!("profile {id} written\n");
        }
        (Kind::Ignition | Kind::Generic, ObjectAction::Create { .. }) => {
            let (file, name, config) = create.context("no file")?;
            let name = match name {
                Some(n) => n,
                None => file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .context("the file has no name; pass --name")?
                    .to_owned(),
            };
            if let Kind::Ignition = kind {
                IgnitionClient::new(channel)
                    .ignition_put(IgnitionPutRequest {
                        name: name.clone(),
                        config,
                    })
                    .await
                    .map_err(rpc_error)?;
                out = format!("ignition {name} written\n");
            } else {
                GenericClient::new(channel)
                    .generic_put(GenericPutRequest {
                        name: name.clone(),
                        config,
                    })
                    .await
                    .map_err(rpc_error)?;
                out = format!("generic {name} written\n");
            }
        }
        (Kind::Group, ObjectAction::Get { id }) => {
            let g = GroupsClient::new(channel)
                .group_get(GroupGetRequest { id: id.clone() })
                .await
                .map_err(rpc_error)?
                .into_inner()
                .group
                .unwrap_or_default();
            out = if json_out {
                serde_json::to_string_pretty(&group_json(&g))? + "\n"
            } else {
                let meta = String::from_utf8_lossy(&g.metadata).into_owned();
                table(
                    &["ID", "NAME", "PROFILE", "SELECTOR", "METADATA"],
                    &[vec![
                        g.id.clone(),
                        g.name.clone(),
                        g.profile.clone(),
                        selector_text(&g),
                        meta,
                    ]],
                )
            };
        }
        (Kind::Profile, ObjectAction::Get { id }) => {
            let p = ProfilesClient::new(channel)
                .profile_get(ProfileGetRequest { id: id.clone() })
                .await
                .map_err(rpc_error)?
                .into_inner()
                .profile
                .unwrap_or_default();
            out = if json_out {
                serde_json::to_string_pretty(&profile_json(&p))? + "\n"
            } else {
                let boot = p.boot.clone().unwrap_or_default();
                table(
                    &["ID", "NAME", "IGNITION", "GENERIC", "KERNEL", "INITRD", "ARGS"],
                    &[vec![
                        p.id.clone(),
                        p.name.clone(),
                        p.ignition_id.clone(),
                        p.generic_id.clone(),
                        boot.kernel,
                        boot.initrd.join(","),
                        boot.args.join(" "),
                    ]],
                )
            };
        }
        (Kind::Ignition | Kind::Generic, ObjectAction::Get { id }) => {
            let config = if let Kind::Ignition = kind {
                IgnitionClient::new(channel)
                    .ignition_get(IgnitionGetRequest { name: id.clone() })
                    .await
                    .map_err(rpc_error)?
                    .into_inner()
                    .config
            } else {
                GenericClient::new(channel)
                    .generic_get(GenericGetRequest { name: id.clone() })
                    .await
                    .map_err(rpc_error)?
                    .into_inner()
                    .config
            };
            out = if json_out {
                serde_json::to_string_pretty(&json!({"name": id, "content": String::from_utf8_lossy(&config)}))? + "\n"
            } else {
                String::from_utf8_lossy(&config).into_owned()
            };
        }
        (Kind::Group, ObjectAction::List) => {
            let groups = GroupsClient::new(channel)
                .group_list(GroupListRequest {})
                .await
                .map_err(rpc_error)?
                .into_inner()
                .groups;
            out = if json_out {
                serde_json::to_string_pretty(&groups.iter().map(group_json).collect::<Vec<_>>())? + "\n"
            } else {
                let rows: Vec<Vec<String>> = groups
                    .iter()
                    .map(|g| vec![g.id.clone(), g.name.clone(), g.profile.clone(), selector_text(g)])
                    .collect();
                table(&["ID", "NAME", "PROFILE", "SELECTOR"], &rows)
            };
        }
        (Kind::Profile, ObjectAction::List) => {
            let profiles = ProfilesClient::new(channel)
                .profile_list(ProfileListRequest {})
                .await
                .map_err(rpc_error)?
                .into_inner()
                .profiles;
            out = if json_out {
                serde_json::to_string_pretty(&profiles.iter().map(profile_json).collect::<Vec<_>>())? + "\n"
            } else {
                let rows: Vec<Vec<String>> = profiles
                    .iter()
                    .map(|p| {
                        vec![
                            p.id.clone(),
                            p.name.clone(),
                            p.ignition_id.clone(),
                            p.generic_id.clone(),
                            p.boot.as_ref().map(|b| b.kernel.clone()).unwrap_or_default(),
                        ]
                    })
                    .collect();
                table(&["ID", "NAME", "IGNITION", "GENERIC", "KERNEL"], &rows)
            };
        }
        (Kind::Ignition | Kind::Generic, ObjectAction::List) => {
            let names = if let Kind::Ignition = kind {
                IgnitionClient::new(channel)
                    .ignition_list(IgnitionListRequest {})
                    .await
                    .map_err(rpc_error)?
                    .into_inner()
                    .names
            } else {
                GenericClient::new(channel)
                    .generic_list(GenericListRequest {})
                    .await
                    .map_err(rpc_error)?
                    .into_inner()
                    .names
            };
            out = if json_out {
                serde_json::to_string_pretty(&names)? + "\n"
            } else {
                table(&["NAME"], &names.into_iter().map(|n| vec![n]).collect::<Vec<_>>())
            };
        }
        (_, ObjectAction::Delete { id }) => {
            let id = id.clone();
            match kind {
                Kind::Group => GroupsClient::new(channel)
                    .group_delete(GroupDeleteRequest { id: id.clone() })
                    .await
                    .map(|_| ()),
                Kind::Profile => ProfilesClient::new(channel)
                    .profile_delete(ProfileDeleteRequest { id: id.clone() })
                    .await
                    .map(|_| ()),
                Kind::Ignition => IgnitionClient::new(channel)
                    .ignition_delete(IgnitionDeleteRequest { name: id.clone() })
                    .await
                    .map(|_| ()),
                Kind::Generic => GenericClient::new(channel)
                    .generic_delete(GenericDeleteRequest { name: id.clone() })
                    .await
                    .map(|_| ()),
            }
            .map_err(rpc_error)?;
            out = format!("{id} deleted\n");
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
