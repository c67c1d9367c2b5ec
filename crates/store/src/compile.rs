//! Turning a raw Ignition file into the two bodies the server may answer
//! with: matchbox's (spec 3.4.0 or the empty zero config) and kindling's
//! (3.4.0, the config's own newer spec, or an error), computed once at load.

use bytes::Bytes;

use crate::snapshot::RawIgnition;

pub fn compile_raw_ignition(bytes: &[u8]) -> RawIgnition {
    match ignition::parse_compatible_v3_4(bytes) {
        Ok(parsed) => {
            let body = Bytes::from(ignition::to_go_json(&parsed.config));
            RawIgnition {
                compat_body: body.clone(),
                body: Ok(body),
                newer: None,
            }
        }
        Err(err_3_4) => {
            let compat_body = Bytes::from(ignition::zero_config_v3_4_json());
            // A valid config of a newer spec is served at its own version (D1).
            let (body, newer) = match ignition::parse_native(bytes) {
                Ok(native) => {
                    let down = native.config.to_go_json_v3_4_lossless().map(Bytes::from);
                    (
                        Ok(Bytes::from(native.config.to_go_json())),
                        Some((native.config.spec(), down)),
                    )
                }
                Err(_) => (Err(err_3_4.to_string()), None),
            };
            RawIgnition {
                compat_body,
                body,
                newer,
            }
        }
    }
}
