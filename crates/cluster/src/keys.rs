//! Where everything lives under the prefix (default `/kindling/`):
//!
//! | key | value |
//! |---|---|
//! | `config/groups/node1.json`, `config/profiles/p.json`, `config/ignition/x.yaml`, … | the object's bytes, exactly as the data directory holds them |
//! | `leases/ip/10.0.0.5` | the address's lease record (JSON) |
//! | `leases/client/01525400123456` | the address a client holds (its client identifier in hex) |
//! | `members/kindling-a` | a live replica (JSON), under an etcd lease that dies with it |
//! | `health` | never written: read to check that a quorum answers |

use std::net::Ipv4Addr;

use dhcp::ClientKey;
use dhcp::lease::{hex, unhex};
use store::ObjectKey;

/// The key layout under one prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

/// A key under `leases/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseKey {
    Address(Ipv4Addr),
    Client(ClientKey),
}

impl Keys {
    /// `prefix` starts and ends with `/` (checked by the configuration).
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.to_owned(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, rest: &str) -> Vec<u8> {
        format!("{}{rest}", self.prefix).into_bytes()
    }

    pub fn config_prefix(&self) -> Vec<u8> {
        self.key("config/")
    }

    pub fn config_kind_prefix(&self, kind: store::Kind) -> Vec<u8> {
        self.key(&format!("config/{}/", kind.dir()))
    }

    pub fn config(&self, object: &ObjectKey) -> Vec<u8> {
        self.key(&format!("config/{}", object.relative()))
    }

    /// The object a `config/` key holds, or why it is not one.
    pub fn object(&self, key: &[u8]) -> Result<ObjectKey, String> {
        let text = std::str::from_utf8(key).map_err(|_| "the key is not UTF-8".to_owned())?;
        let rel = text
            .strip_prefix(&self.prefix)
            .and_then(|r| r.strip_prefix("config/"))
            .ok_or_else(|| format!("{text} is not under {}config/", self.prefix))?;
        ObjectKey::from_relative(rel).ok_or_else(|| {
            "not an object: keys are config/groups/NAME.json, config/profiles/ID.json, or a template under config/ignition/, config/cloud/ or config/generic/ (skipped)".to_owned()
        })
    }

    /// The path of a key relative to the prefix (for messages).
    pub fn relative<'k>(&self, key: &'k [u8]) -> std::borrow::Cow<'k, str> {
        let text = String::from_utf8_lossy(key);
        match text {
            std::borrow::Cow::Borrowed(t) => std::borrow::Cow::Borrowed(t.strip_prefix(&self.prefix).unwrap_or(t)),
            std::borrow::Cow::Owned(t) => {
                std::borrow::Cow::Owned(t.strip_prefix(&self.prefix).unwrap_or(&t).to_owned())
            }
        }
    }

    pub fn leases_prefix(&self) -> Vec<u8> {
        self.key("leases/")
    }

    pub fn lease_address(&self, ip: Ipv4Addr) -> Vec<u8> {
        self.key(&format!("leases/ip/{ip}"))
    }

    pub fn lease_client(&self, client: &ClientKey) -> Vec<u8> {
        self.key(&format!("leases/client/{}", hex(&client.0)))
    }

    /// Which lease key this is, if it is one.
    pub fn lease(&self, key: &[u8]) -> Option<LeaseKey> {
        let text = std::str::from_utf8(key).ok()?;
        let rest = text.strip_prefix(&self.prefix)?.strip_prefix("leases/")?;
        if let Some(ip) = rest.strip_prefix("ip/") {
            return ip.parse().ok().map(LeaseKey::Address);
        }
        let client = rest.strip_prefix("client/")?;
        unhex(client)
            .filter(|c| !c.is_empty())
            .map(|c| LeaseKey::Client(ClientKey(c)))
    }

    pub fn members_prefix(&self) -> Vec<u8> {
        self.key("members/")
    }

    pub fn member(&self, name: &str) -> Vec<u8> {
        self.key(&format!("members/{name}"))
    }

    /// A key that is never written, read to check that a quorum answers.
    pub fn health(&self) -> Vec<u8> {
        self.key("health")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::Kind;

    #[test]
    fn keys_round_trip() {
        let k = Keys::new("/kindling/");
        let g = ObjectKey::new(Kind::Group, "node1.json");
        assert_eq!(k.config(&g), b"/kindling/config/groups/node1.json");
        assert_eq!(k.object(&k.config(&g)).unwrap(), g);
        let p = ObjectKey::new(Kind::Profile, "sub/p");
        assert_eq!(k.object(&k.config(&p)).unwrap(), p);
        assert!(k.object(b"/kindling/config/groups/README").is_err());
        assert!(k.object(b"/kindling/config/assets/x").is_err());
        assert!(k.object(b"/other/config/groups/a.json").is_err());
        let ip = Ipv4Addr::new(10, 0, 0, 5);
        assert_eq!(k.lease(&k.lease_address(ip)), Some(LeaseKey::Address(ip)));
        let c = ClientKey(vec![1, 0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        assert_eq!(k.lease_client(&c), b"/kindling/leases/client/01525400123456");
        assert_eq!(k.lease(&k.lease_client(&c)), Some(LeaseKey::Client(c)));
        assert_eq!(k.lease(b"/kindling/leases/ip/nope"), None);
        assert_eq!(k.lease(b"/kindling/leases/client/zz"), None);
        assert_eq!(k.relative(b"/kindling/members/a"), "members/a");
    }
}
