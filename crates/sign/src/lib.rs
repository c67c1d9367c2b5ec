//! Signed responses, as matchbox's `-key-ring-path` makes them: a detached
//! OpenPGP signature of a response body, binary (`.sig`) or ASCII-armored
//! (`.asc`), so that a client holding the public key (`gpg --verify`, or a
//! provisioning script using any OpenPGP tool) can check that a script or
//! config came from this server. (iPXE's own `imgverify` checks CMS
//! signatures, not OpenPGP.)
//!
//! The rules, from matchbox's behaviour:
//! - the key is the first one in the keyring, and it must hold its secret
//!   part; a key protected by a passphrase is unlocked once, when the
//!   server starts (never per request);
//! - signatures are text-mode (signature type 0x01: line endings are
//!   canonicalized to CRLF before hashing) with SHA-256.
//!
//! A signature is kept for the body it signs (by SHA-256 digest) for up to
//! [`CACHE_AGE`] seconds, so the many machines of one profile that fetch
//! the same `/ipxe.sig` cost one private-key operation, not one each (an
//! RSA-3072 signature costs about 5 ms here; see bench/README.md).
//!
//! No clock here: the caller passes the signature's creation time.

use std::collections::{HashMap, VecDeque};
use std::io::Cursor;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use pgp::composed::{ArmorOptions, DetachedSignature, PublicOrSecret, SignedSecretKey, SubpacketConfig};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{Subpacket, SubpacketData};
use pgp::ser::Serialize;
use pgp::types::{KeyDetails, KeyVersion, Password, Timestamp};

/// Why the keyring cannot sign. The first three messages are matchbox's
/// own, so scripts that watch for them keep working.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyringError {
    #[error("sign: provided key ring file contained no keys")]
    NoKeys,
    #[error("sign: missing passphrase for encrypted private key")]
    MissingPassphrase,
    #[error("private key checksum failure (the passphrase in MATCHBOX_PASSPHRASE does not unlock the key)")]
    WrongPassphrase,
    #[error(
        "sign: the first key in the key ring has no secret part (a public keyring?); export it with gpg --export-secret-keys KEYID > FILE"
    )]
    PublicOnly,
    #[error("sign: the key ring cannot be read as OpenPGP data: {0}")]
    Malformed(String),
    #[error("sign: the key ring's first key cannot make signatures: {0}")]
    Unsupported(String),
}

/// A signing failure for one body (answered as a 500, as matchbox does).
#[derive(Debug, thiserror::Error)]
#[error("sign: {0}")]
pub struct SignError(String);

/// Which form a signature is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// The OpenPGP packet itself (`.sig`).
    Binary,
    /// ASCII armor, `-----BEGIN PGP SIGNATURE-----` (`.asc`).
    Armored,
}

impl Form {
    /// The form a request path's suffix asks for, and the path without it.
    pub fn of_path(path: &str) -> Option<(&str, Form)> {
        if let Some(stem) = path.strip_suffix(".sig") {
            Some((stem, Form::Binary))
        } else {
            path.strip_suffix(".asc").map(|stem| (stem, Form::Armored))
        }
    }
}

/// How long a signature is reused for the same body, in seconds.
pub const CACHE_AGE: u32 = 3600;

/// How many signatures are kept (about 300 bytes to 1 KiB each).
pub const CACHE_ENTRIES: usize = 4096;

/// Signatures by (form, body digest), oldest first in `order`.
#[derive(Default)]
struct Cache {
    entries: HashMap<(Form, [u8; 32]), (u32, Vec<u8>)>,
    order: VecDeque<(Form, [u8; 32])>,
}

impl Cache {
    fn get(&self, key: &(Form, [u8; 32]), now: u32) -> Option<Vec<u8>> {
        let (made, sig) = self.entries.get(key)?;
        (now.saturating_sub(*made) < CACHE_AGE && *made <= now).then(|| sig.clone())
    }

    fn put(&mut self, key: (Form, [u8; 32]), now: u32, sig: Vec<u8>) {
        if self.entries.insert(key, (now, sig)).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > CACHE_ENTRIES {
            if let Some(old) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
    }
}

/// The unlocked key that signs responses.
pub struct Signer {
    key: SignedSecretKey,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("key_id", &self.key_id()).finish()
    }
}

impl Signer {
    /// Reads a keyring (binary, as `gpg --export-secret-keys` writes it, or
    /// armored) and unlocks its first key with `passphrase` (empty when the
    /// key is not protected).
    pub fn from_keyring(keyring: &[u8], passphrase: &str) -> Result<Signer, KeyringError> {
        if keyring.iter().all(u8::is_ascii_whitespace) {
            return Err(KeyringError::NoKeys);
        }
        let (mut keys, _headers) = PublicOrSecret::from_reader_many(Cursor::new(keyring))
            .map_err(|e| KeyringError::Malformed(e.to_string()))?;
        let first = match keys.next() {
            None => return Err(KeyringError::NoKeys),
            Some(Err(e)) => return Err(KeyringError::Malformed(e.to_string())),
            Some(Ok(k)) => k,
        };
        let mut key = match first {
            PublicOrSecret::Secret(k) => k,
            PublicOrSecret::Public(_) => return Err(KeyringError::PublicOnly),
        };
        if key.primary_key.secret_params().is_encrypted() {
            if passphrase.is_empty() {
                return Err(KeyringError::MissingPassphrase);
            }
            key.primary_key
                .remove_password(&Password::from(passphrase))
                .map_err(|_| KeyringError::WrongPassphrase)?;
        }
        let signer = Signer {
            key,
            cache: Mutex::default(),
        };
        if signer.key.primary_key.version() != KeyVersion::V4 && signer.key.primary_key.version() != KeyVersion::V6 {
            return Err(KeyringError::Unsupported(format!(
                "key version {:?}",
                signer.key.primary_key.version()
            )));
        }
        // A trial signature: a key of an algorithm that cannot sign fails
        // here, at start, rather than on every request.
        signer
            .sign(b"kindling", 0, Form::Binary)
            .map_err(|e| KeyringError::Unsupported(e.to_string()))?;
        Ok(signer)
    }

    /// The signing key's ID, as gpg prints it (16 hex digits).
    pub fn key_id(&self) -> String {
        let id = self.key.primary_key.legacy_key_id();
        id.as_ref().iter().map(|b| format!("{b:02X}")).collect()
    }

    /// A signature of `body` at `now` (seconds since the Unix epoch): one
    /// made for the same body less than [`CACHE_AGE`] ago, or a new one.
    pub fn sign_cached(&self, body: &[u8], now: u32, form: Form) -> Result<Vec<u8>, SignError> {
        let key = (form, <[u8; 32]>::from(Sha256::digest(body)));
        if let Some(sig) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key, now) {
            return Ok(sig);
        }
        let sig = self.sign(body, now, form)?;
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(key, now, sig.clone());
        Ok(sig)
    }

    /// A new detached text-mode SHA-256 signature of `body`, made at
    /// `created` (seconds since the Unix epoch).
    pub fn sign(&self, body: &[u8], created: u32, form: Form) -> Result<Vec<u8>, SignError> {
        let err = |e: pgp::errors::Error| SignError(e.to_string());
        let primary = &self.key.primary_key;
        let hashed = vec![
            Subpacket::regular(SubpacketData::IssuerFingerprint(primary.fingerprint())).map_err(err)?,
            Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::from_secs(created))).map_err(err)?,
        ];
        let unhashed = if primary.version() == KeyVersion::V4 {
            vec![Subpacket::regular(SubpacketData::IssuerKeyId(primary.legacy_key_id())).map_err(err)?]
        } else {
            Vec::new()
        };
        let signature = DetachedSignature::sign_text_data_with_subpackets(
            rand::rngs::OsRng,
            primary,
            &Password::empty(),
            HashAlgorithm::Sha256,
            body,
            SubpacketConfig::UserDefined { hashed, unhashed },
        )
        .map_err(err)?;
        match form {
            Form::Binary => signature.to_bytes().map_err(err),
            Form::Armored => signature.to_armored_bytes(ArmorOptions::default()).map_err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_and_ages() {
        let mut c = Cache::default();
        let key = |i: usize| {
            (
                Form::Binary,
                [
                    (i % 256) as u8,
                    (i / 256) as u8,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                ],
            )
        };
        for i in 0..CACHE_ENTRIES + 10 {
            c.put(key(i), 100, vec![i as u8]);
        }
        assert_eq!(c.entries.len(), CACHE_ENTRIES);
        assert!(c.get(&key(0), 100).is_none(), "the oldest went first");
        assert_eq!(
            c.get(&key(CACHE_ENTRIES + 9), 100),
            Some(vec![(CACHE_ENTRIES + 9) as u8])
        );
        assert!(c.get(&key(CACHE_ENTRIES + 9), 100 + CACHE_AGE).is_none(), "too old");
        assert!(
            c.get(&key(CACHE_ENTRIES + 9), 99).is_none(),
            "from the future (a clock set back)"
        );
        assert!(
            c.get(&(Form::Armored, key(CACHE_ENTRIES + 9).1), 100).is_none(),
            "per form"
        );
    }
}
