//! Profiles: what a matched machine boots (`boot`) and which Ignition, cloud
//! and generic templates it is given. Parsed from `profiles/<id>.json` with
//! matchbox's JSON tolerance.

use crate::gojson::{self, DecodeError, Json};

/// Network boot settings: the kernel, its initrds and arguments, inserted
/// verbatim into the iPXE and GRUB scripts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetBoot {
    pub kernel: String,
    pub initrd: Vec<String>,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub ignition_id: String,
    pub cloud_id: String,
    pub generic_id: String,
    /// Absent when the file has no `boot`; `/ipxe` and `/grub` then have nothing to serve.
    pub boot: Option<NetBoot>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("the profile has no \"id\": every profile needs a non-empty id")]
    MissingId,
}

impl Profile {
    /// Parses and validates a profile document (`id` must be non-empty, as
    /// matchbox's `ProfileGet` requires).
    pub fn from_json(bytes: &[u8]) -> Result<Profile, ProfileError> {
        let profile = Profile::decode(gojson::parse(bytes)?)?;
        if profile.id.is_empty() {
            return Err(ProfileError::MissingId);
        }
        Ok(profile)
    }

    fn decode(json: Json) -> Result<Profile, DecodeError> {
        let mut p = Profile::default();
        let entries = match json {
            Json::Null => return Ok(p),
            Json::Object(entries) => entries,
            other => return Err(gojson::type_error("$", "an object", &other)),
        };
        for (key, value) in entries {
            let set = |slot: &mut String, name: &str| -> Result<(), DecodeError> {
                if let Some(s) = gojson::string_field(value.clone(), name)? {
                    *slot = s;
                }
                Ok(())
            };
            if gojson::key_matches(&key, "id") {
                set(&mut p.id, "$.id")?;
            } else if gojson::key_matches(&key, "name") {
                set(&mut p.name, "$.name")?;
            } else if gojson::key_matches(&key, "ignition_id") {
                set(&mut p.ignition_id, "$.ignition_id")?;
            } else if gojson::key_matches(&key, "cloud_id") {
                set(&mut p.cloud_id, "$.cloud_id")?;
            } else if gojson::key_matches(&key, "generic_id") {
                set(&mut p.generic_id, "$.generic_id")?;
            } else if gojson::key_matches(&key, "boot") {
                p.boot = decode_boot(value, p.boot.take())?;
            }
        }
        Ok(p)
    }
}

/// Go decodes into the existing `*NetBoot` when a repeated `boot` key
/// follows, and `null` resets the pointer to nil.
fn decode_boot(json: Json, existing: Option<NetBoot>) -> Result<Option<NetBoot>, DecodeError> {
    let entries = match json {
        Json::Null => return Ok(None),
        Json::Object(entries) => entries,
        other => return Err(gojson::type_error("$.boot", "an object", &other)),
    };
    let mut boot = existing.unwrap_or_default();
    for (key, value) in entries {
        if gojson::key_matches(&key, "kernel") {
            if let Some(s) = gojson::string_field(value, "$.boot.kernel")? {
                boot.kernel = s;
            }
        } else if gojson::key_matches(&key, "initrd") {
            boot.initrd = gojson::string_list(value, "$.boot.initrd")?;
        } else if gojson::key_matches(&key, "args") {
            boot.args = gojson::string_list(value, "$.boot.args")?;
        }
    }
    Ok(Some(boot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_matchbox_profile() {
        let p = Profile::from_json(
            br#"{"id":"g1h2i3j4","name":"n","boot":{"kernel":"/image/kernel","initrd":["/a","/b"],"args":["a=b","c"],"cmdline":{"x":"y"}},"cloud_id":"c.tmpl","ignition_id":"i.tmpl","generic_id":"g.tmpl","cmd":1}"#,
        )
        .unwrap();
        assert_eq!(p.id, "g1h2i3j4");
        let boot = p.boot.unwrap();
        assert_eq!(boot.kernel, "/image/kernel");
        assert_eq!(boot.initrd, ["/a", "/b"]);
        assert_eq!(boot.args, ["a=b", "c"]);
        assert_eq!(p.ignition_id, "i.tmpl");
    }

    #[test]
    fn case_insensitive_keys_last_wins() {
        let p = Profile::from_json(br#"{"ID":"x","IGNITION_ID":"a.ign","ignition_id":"b.ign"}"#).unwrap();
        assert_eq!(p.id, "x");
        assert_eq!(p.ignition_id, "b.ign");
        assert!(p.boot.is_none());
        // camelCase is not snake_case: ignored like any unknown key.
        let p = Profile::from_json(br#"{"id":"x","ignitionId":"a.ign"}"#).unwrap();
        assert_eq!(p.ignition_id, "");
    }

    #[test]
    fn errors() {
        assert_eq!(Profile::from_json(br#"{"name":"x"}"#), Err(ProfileError::MissingId));
        assert_eq!(Profile::from_json(b"null"), Err(ProfileError::MissingId));
        assert!(matches!(
            Profile::from_json(br#"{"id":5}"#),
            Err(ProfileError::Decode(_))
        ));
        assert!(matches!(
            Profile::from_json(br#"{"id":"x","boot":{"initrd":"a"}}"#),
            Err(ProfileError::Decode(_))
        ));
        assert!(matches!(
            Profile::from_json(br#"{"id":"x",}"#),
            Err(ProfileError::Decode(_))
        ));
        assert!(matches!(Profile::from_json(b""), Err(ProfileError::Decode(_))));
    }

    #[test]
    fn null_fields_keep_zero_values() {
        let p = Profile::from_json(br#"{"id":"x","name":null,"boot":{"initrd":null,"args":[null,"a"]}}"#).unwrap();
        let boot = p.boot.unwrap();
        assert!(boot.initrd.is_empty());
        assert_eq!(boot.args, ["", "a"]);
    }
}
