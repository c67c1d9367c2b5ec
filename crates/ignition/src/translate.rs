//! Up-translation of older specs to 3.4, as Ignition's `config/v3_N/translate` packages chain it.
//!
//! Ignition's translators copy every field forward unchanged except for three kinds of change,
//! which are all that remain here because decoding already produced the superset structs:
//! fields that were plain Go strings become pointers (`Link.target` and `Raid.level` before 3.3,
//! a 3.0 CA's `source`), so an absent value becomes `""`; the 3.2 `*Custom` pointer strings were
//! handled while decoding (see [`crate::codec::dec::clevis_custom`]); and the version string
//! becomes `3.4.0`. Since Ignition 2.2x the special mode bits are no longer masked when
//! translating to 3.4 (that moved to the 3.6 translator), so modes pass through unchanged.

use crate::spec::Spec;
use crate::types::Config;

/// Translates a config decoded and validated at `from` (3.0 to 3.3) to spec 3.4.
pub(crate) fn to_v3_4(mut cfg: Config, from: Spec) -> Config {
    if from == Spec::V3_0 {
        for ca in &mut cfg.ignition.security.tls.certificate_authorities {
            ca.source.get_or_insert_with(String::new);
        }
    }
    if from <= Spec::V3_2 {
        for link in &mut cfg.storage.links {
            link.target.get_or_insert_with(String::new);
        }
        for raid in &mut cfg.storage.raid {
            raid.level.get_or_insert_with(String::new);
        }
    }
    cfg.ignition.version = Spec::V3_4.version().to_owned();
    cfg
}
