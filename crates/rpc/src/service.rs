//! The five services over one store (a data directory, or etcd). Store
//! calls block, so they run on tokio's blocking pool; a write answers once
//! this server's snapshot serves it, so a client that reads `/ipxe` right
//! after `ProfilePut` sees its profile.

use std::sync::Arc;

use store::Kind;
use store::write::{self, WriteError};
use tonic::{Request, Response, Status};

use crate::convert;
use crate::pb::rpcpb;
use crate::pb::serverpb::*;

#[derive(Clone, Debug)]
pub struct Api {
    store: Arc<store::Store>,
}

impl Api {
    pub fn new(store: Arc<store::Store>) -> Api {
        Api { store }
    }

    /// Runs `f` on the blocking pool with the data directory's root.
    async fn disk<T: Send + 'static>(
        &self,
        f: impl FnOnce(&store::Store) -> Result<T, Status> + Send + 'static,
    ) -> Result<T, Status> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| Status::internal(format!("the disk task failed: {e}")))?
    }

    async fn put(&self, kind: Kind, name: String, bytes: Vec<u8>) -> Result<(), Status> {
        self.disk(move |s| {
            s.put(kind, &name, &bytes).map_err(status)?;
            tracing::info!(kind = kind.noun(), %name, bytes = bytes.len(), "rpc: written");
            Ok(())
        })
        .await
    }

    async fn get(&self, kind: Kind, name: String) -> Result<Vec<u8>, Status> {
        self.disk(move |s| s.get(kind, &name).map_err(status)).await
    }

    async fn delete(&self, kind: Kind, name: String) -> Result<(), Status> {
        self.disk(move |s| {
            s.delete(kind, &name).map_err(status)?;
            tracing::info!(kind = kind.noun(), %name, "rpc: deleted");
            Ok(())
        })
        .await
    }

    async fn names(&self, kind: Kind) -> Result<Vec<String>, Status> {
        self.disk(move |s| s.list(kind).map_err(status)).await
    }
}

fn status(e: WriteError) -> Status {
    match e {
        WriteError::InvalidName { .. } => Status::invalid_argument(e.to_string()),
        WriteError::NotFound { .. } => Status::not_found(e.to_string()),
        WriteError::Io { .. } => Status::internal(e.to_string()),
        WriteError::Unavailable { .. } | WriteError::NotVisible { .. } => Status::unavailable(e.to_string()),
    }
}

fn parse_group(bytes: &[u8], id: &str) -> Result<model::Group, Status> {
    model::Group::from_json(bytes).map_err(|e| Status::data_loss(format!("groups/{id}.json: {e}")))
}

fn parse_profile(bytes: &[u8], id: &str) -> Result<model::Profile, Status> {
    model::Profile::from_json(bytes).map_err(|e| Status::data_loss(format!("profiles/{id}.json: {e}")))
}

#[tonic::async_trait]
impl rpcpb::groups_server::Groups for Api {
    async fn group_put(&self, r: Request<GroupPutRequest>) -> Result<Response<GroupPutResponse>, Status> {
        let g = r
            .into_inner()
            .group
            .ok_or_else(|| Status::invalid_argument("group is required"))?;
        write::check_name(&g.id).map_err(status)?;
        let bytes = convert::group_file(&g)?;
        self.put(Kind::Group, g.id, bytes).await?;
        Ok(Response::new(GroupPutResponse {}))
    }

    async fn group_get(&self, r: Request<GroupGetRequest>) -> Result<Response<GroupGetResponse>, Status> {
        let id = r.into_inner().id;
        let bytes = self.get(Kind::Group, id.clone()).await?;
        let g = parse_group(&bytes, &id)?;
        Ok(Response::new(GroupGetResponse {
            group: Some(convert::group_message(&g)),
        }))
    }

    async fn group_delete(&self, r: Request<GroupDeleteRequest>) -> Result<Response<GroupDeleteResponse>, Status> {
        self.delete(Kind::Group, r.into_inner().id).await?;
        Ok(Response::new(GroupDeleteResponse {}))
    }

    async fn group_list(&self, _: Request<GroupListRequest>) -> Result<Response<GroupListResponse>, Status> {
        let groups = self
            .disk(|s| {
                let mut out = Vec::new();
                for (id, bytes) in s.get_all(Kind::Group).map_err(status)? {
                    // As matchbox: unreadable or unparseable groups are skipped.
                    match model::Group::from_json(&bytes) {
                        Ok(g) => out.push(convert::group_message(&g)),
                        _ => tracing::warn!(%id, "rpc: GroupList skips a group that does not parse"),
                    }
                }
                Ok(out)
            })
            .await?;
        Ok(Response::new(GroupListResponse { groups }))
    }
}

#[tonic::async_trait]
impl rpcpb::profiles_server::Profiles for Api {
    async fn profile_put(&self, r: Request<ProfilePutRequest>) -> Result<Response<ProfilePutResponse>, Status> {
        let p = r
            .into_inner()
            .profile
            .ok_or_else(|| Status::invalid_argument("profile is required"))?;
        write::check_name(&p.id).map_err(status)?;
        let bytes = convert::profile_file(&p)?;
        self.put(Kind::Profile, p.id, bytes).await?;
        Ok(Response::new(ProfilePutResponse {}))
    }

    async fn profile_get(&self, r: Request<ProfileGetRequest>) -> Result<Response<ProfileGetResponse>, Status> {
        let id = r.into_inner().id;
        let bytes = self.get(Kind::Profile, id.clone()).await?;
        let p = parse_profile(&bytes, &id)?;
        Ok(Response::new(ProfileGetResponse {
            profile: Some(convert::profile_message(&p)),
        }))
    }

    async fn profile_delete(
        &self,
        r: Request<ProfileDeleteRequest>,
    ) -> Result<Response<ProfileDeleteResponse>, Status> {
        self.delete(Kind::Profile, r.into_inner().id).await?;
        Ok(Response::new(ProfileDeleteResponse {}))
    }

    async fn profile_list(&self, _: Request<ProfileListRequest>) -> Result<Response<ProfileListResponse>, Status> {
        let profiles = self
            .disk(|s| {
                let mut out = Vec::new();
                for (id, bytes) in s.get_all(Kind::Profile).map_err(status)? {
                    match model::Profile::from_json(&bytes) {
                        Ok(p) => out.push(convert::profile_message(&p)),
                        _ => tracing::warn!(%id, "rpc: ProfileList skips a profile that does not parse"),
                    }
                }
                Ok(out)
            })
            .await?;
        Ok(Response::new(ProfileListResponse { profiles }))
    }
}

#[tonic::async_trait]
impl rpcpb::ignition_server::Ignition for Api {
    async fn ignition_put(&self, r: Request<IgnitionPutRequest>) -> Result<Response<IgnitionPutResponse>, Status> {
        let r = r.into_inner();
        self.put(Kind::Ignition, r.name, r.config).await?;
        Ok(Response::new(IgnitionPutResponse {}))
    }

    async fn ignition_get(&self, r: Request<IgnitionGetRequest>) -> Result<Response<IgnitionGetResponse>, Status> {
        let config = self.get(Kind::Ignition, r.into_inner().name).await?;
        Ok(Response::new(IgnitionGetResponse { config }))
    }

    async fn ignition_delete(
        &self,
        r: Request<IgnitionDeleteRequest>,
    ) -> Result<Response<IgnitionDeleteResponse>, Status> {
        self.delete(Kind::Ignition, r.into_inner().name).await?;
        Ok(Response::new(IgnitionDeleteResponse {}))
    }

    async fn ignition_list(&self, _: Request<IgnitionListRequest>) -> Result<Response<IgnitionListResponse>, Status> {
        let names = self.names(Kind::Ignition).await?;
        Ok(Response::new(IgnitionListResponse { names }))
    }
}

#[tonic::async_trait]
impl rpcpb::generic_server::Generic for Api {
    async fn generic_put(&self, r: Request<GenericPutRequest>) -> Result<Response<GenericPutResponse>, Status> {
        let r = r.into_inner();
        self.put(Kind::Generic, r.name, r.config).await?;
        Ok(Response::new(GenericPutResponse {}))
    }

    async fn generic_get(&self, r: Request<GenericGetRequest>) -> Result<Response<GenericGetResponse>, Status> {
        let config = self.get(Kind::Generic, r.into_inner().name).await?;
        Ok(Response::new(GenericGetResponse { config }))
    }

    async fn generic_delete(
        &self,
        r: Request<GenericDeleteRequest>,
    ) -> Result<Response<GenericDeleteResponse>, Status> {
        self.delete(Kind::Generic, r.into_inner().name).await?;
        Ok(Response::new(GenericDeleteResponse {}))
    }

    async fn generic_list(&self, _: Request<GenericListRequest>) -> Result<Response<GenericListResponse>, Status> {
        let names = self.names(Kind::Generic).await?;
        Ok(Response::new(GenericListResponse { names }))
    }
}

/// Labels as the HTTP side reads them (`mac` normalized).
fn labels(map: std::collections::HashMap<String, String>) -> model::Labels {
    model::Labels::from_map_as_query(&map)
}

#[tonic::async_trait]
impl rpcpb::select_server::Select for Api {
    async fn select_group(&self, r: Request<SelectGroupRequest>) -> Result<Response<SelectGroupResponse>, Status> {
        let snap = self.store.snapshot();
        let labels = labels(r.into_inner().labels);
        let selected = snap
            .select(&labels)
            .ok_or_else(|| Status::not_found("matchbox: No matching Group"))?;
        Ok(Response::new(SelectGroupResponse {
            group: Some(convert::group_message(&selected.group.group)),
        }))
    }

    async fn select_profile(
        &self,
        r: Request<SelectProfileRequest>,
    ) -> Result<Response<SelectProfileResponse>, Status> {
        let snap = self.store.snapshot();
        let labels = labels(r.into_inner().labels);
        let selected = snap
            .select(&labels)
            .ok_or_else(|| Status::not_found("matchbox: No matching Group"))?;
        let profile = selected
            .profile
            .as_ref()
            .map_err(|e| Status::not_found(format!("matchbox: No matching Profile ({e})")))?;
        Ok(Response::new(SelectProfileResponse {
            profile: Some(convert::profile_message(&profile.profile)),
        }))
    }
}
