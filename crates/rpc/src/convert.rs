//! Between the protobuf messages and the data directory's JSON files.

use serde_json::{Map, Value, json};
use tonic::Status;

use crate::pb::storagepb;

/// A group as written to `groups/<id>.json`, after checking what matchbox
/// checks (id, profile, metadata a JSON object) and what it does not (a
/// `mac` selector must be a MAC).
pub fn group_file(g: &storagepb::Group) -> Result<Vec<u8>, Status> {
    if g.id.is_empty() {
        return Err(Status::invalid_argument("Id is required: set the group's id"));
    }
    if g.profile.is_empty() {
        return Err(Status::invalid_argument(
            "Group requires a Profile: set the group's profile",
        ));
    }
    for (k, v) in &g.selector {
        if k.eq_ignore_ascii_case("mac") && model::Mac::parse(v).is_err() {
            return Err(Status::invalid_argument(format!(
                "selector {k}={v:?} is not a MAC address (such as 52:54:00:89:d8:10); the group could never match"
            )));
        }
    }
    let mut out = Map::new();
    out.insert("id".into(), json!(g.id));
    if !g.name.is_empty() {
        out.insert("name".into(), json!(g.name));
    }
    out.insert("profile".into(), json!(g.profile));
    if !g.selector.is_empty() {
        let sel: Map<String, Value> = g.selector.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        out.insert("selector".into(), Value::Object(sel));
    }
    if !g.metadata.is_empty() {
        match serde_json::from_slice::<Value>(&g.metadata) {
            Ok(Value::Object(m)) => {
                out.insert("metadata".into(), Value::Object(m));
            }
            Ok(_) => return Err(Status::invalid_argument("metadata must be a JSON object")),
            Err(e) => return Err(Status::invalid_argument(format!("metadata is not valid JSON: {e}"))),
        }
    }
    Ok(pretty(Value::Object(out)))
}

/// A profile as written to `profiles/<id>.json`.
pub fn profile_file(p: &storagepb::Profile) -> Result<Vec<u8>, Status> {
    if p.id.is_empty() {
        return Err(Status::invalid_argument("Id is required: set the profile's id"));
    }
    let mut out = Map::new();
    out.insert("id".into(), json!(p.id));
    for (k, v) in [
        ("name", &p.name),
        ("ignition_id", &p.ignition_id),
        ("cloud_id", &p.cloud_id),
        ("generic_id", &p.generic_id),
    ] {
        if !v.is_empty() {
            out.insert(k.into(), json!(v));
        }
    }
    if let Some(b) = &p.boot {
        out.insert(
            "boot".into(),
            json!({"kernel": b.kernel, "initrd": b.initrd, "args": b.args}),
        );
    }
    Ok(pretty(Value::Object(out)))
}

fn pretty(v: Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(&v).unwrap_or_default();
    out.push(b'\n');
    out
}

pub fn group_message(g: &model::Group) -> storagepb::Group {
    storagepb::Group {
        id: g.id.clone(),
        name: g.name.clone(),
        profile: g.profile.clone(),
        selector: g.selector.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        metadata: g
            .metadata
            .as_ref()
            .map(|m| serde_json::to_vec(m).unwrap_or_default())
            .unwrap_or_default(),
    }
}

/// A profile message; `boot` is always set (empty when the file has none),
/// so clients that read it (the Terraform provider, bootcmd) never crash.
pub fn profile_message(p: &model::Profile) -> storagepb::Profile {
    let boot = p.boot.clone().unwrap_or_default();
    storagepb::Profile {
        id: p.id.clone(),
        name: p.name.clone(),
        ignition_id: p.ignition_id.clone(),
        cloud_id: p.cloud_id.clone(),
        generic_id: p.generic_id.clone(),
        boot: Some(storagepb::NetBoot {
            kernel: boot.kernel,
            initrd: boot.initrd,
            args: boot.args,
        }),
    }
}
