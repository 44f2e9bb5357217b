//! Secrets at rest: authenticator seeds sealed with the deployment's key
//! (XChaCha20-Poly1305), and the key that makes verification-code hashes
//! useless to someone holding only the database.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Sealed before values were bound to their row: opened, never written.
const PREFIX_UNBOUND: &str = "sealed:v1:";
/// Sealed with the row it lives in (`table:id`) as associated data, so a
/// value copied into another row does not open there.
const PREFIX: &str = "sealed:v2:";

/// The associated data of a sealed value: the table and id of its row.
pub fn row(table: &str, id: &str) -> String {
    format!("{table}:{id}")
}

/// The deployment's keys, newest first. Older keys only open what they
/// sealed, so a rotation interrupted at any point leaves everything readable.
/// A key rotated out leaves only its derived code-MAC key behind (which
/// opens nothing), so recovery codes and unknown accounts' stand-ins made
/// under it keep verifying.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<[u8; 32]>,
    /// MAC keys of keys rotated out, newest first (older than every key).
    retired_macs: Vec<Vec<u8>>,
}

const RETIRED: &str = "mac:";

fn mac_key_of(key: &[u8; 32]) -> Vec<u8> {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(b"tapin verification codes v1");
    mac.finalize().into_bytes().to_vec()
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring({} keys)", self.keys.len())
    }
}

fn key_id(key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(key)[..4])
}

impl Keyring {
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self {
            keys: vec![key],
            retired_macs: Vec::new(),
        }
    }

    /// One hex key per line, newest first; blank lines and `#` comments ignored.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        let mut retired_macs = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(mac) = line.strip_prefix(RETIRED) {
                let bytes = hex::decode(mac).map_err(|_| "a mac: line is not hex".to_string())?;
                if bytes.len() != 32 {
                    return Err("a mac: line is not 32 bytes (64 hex digits)".into());
                }
                retired_macs.push(bytes);
                continue;
            }
            let bytes = hex::decode(line).map_err(|_| "a key line is not hex".to_string())?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| "a key is not 32 bytes (64 hex digits)".to_string())?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err("the secret key file holds no key".into());
        }
        Ok(Self { keys, retired_macs })
    }

    pub fn to_text(&self) -> String {
        let mut out =
            String::from("# tapin secret keys, newest first. Keep this file private (0600).\n");
        for k in &self.keys {
            out.push_str(&hex::encode(k));
            out.push('\n');
        }
        for m in &self.retired_macs {
            out.push_str(RETIRED);
            out.push_str(&hex::encode(m));
            out.push('\n');
        }
        out
    }

    /// A ring whose newest key is fresh, still holding the old ones.
    pub fn with_new_key(&self) -> Self {
        let mut next = Self::generate();
        next.keys.extend(self.keys.iter().copied());
        next.retired_macs = self.retired_macs.clone();
        next
    }

    /// Only the newest key; the older ones leave their MAC keys behind.
    pub fn newest_only(&self) -> Self {
        let mut retired_macs: Vec<Vec<u8>> = self.keys[1..].iter().map(mac_key_of).collect();
        retired_macs.extend(self.retired_macs.iter().cloned());
        Self {
            keys: vec![self.keys[0]],
            retired_macs,
        }
    }

    /// Seals `plain` for the row `row` (see [`row`]) with the newest key.
    pub fn seal(&self, row: &str, plain: &str) -> Result<String, String> {
        let key = &self.keys[0];
        let cipher = XChaCha20Poly1305::new(key.into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: row.as_bytes(),
                },
            )
            .map_err(|_| "sealing failed".to_string())?;
        Ok(format!(
            "{PREFIX}{}:{}{}",
            key_id(key),
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// Opens a value sealed for `row`; one sealed before values were bound
    /// to rows opens anywhere, until `seal_plain_secrets` binds it.
    pub fn open(&self, row: &str, sealed: &str) -> Result<String, String> {
        let (rest, aad) = match sealed.strip_prefix(PREFIX) {
            Some(rest) => (rest, row.as_bytes()),
            None => (
                sealed
                    .strip_prefix(PREFIX_UNBOUND)
                    .ok_or("the stored secret is not sealed")?,
                &[][..],
            ),
        };
        let (id, body) = rest
            .split_once(':')
            .ok_or("the sealed secret is malformed")?;
        let key = self
            .keys
            .iter()
            .find(|k| key_id(k) == id)
            .ok_or("the secret was sealed with a key this server does not hold")?;
        let bytes = hex::decode(body).map_err(|_| "the sealed secret is malformed")?;
        if bytes.len() < 24 {
            return Err("the sealed secret is malformed".into());
        }
        let (nonce, ct) = bytes.split_at(24);
        let plain = XChaCha20Poly1305::new(key.into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
            .map_err(|_| "the sealed secret does not open with its key".to_string())?;
        String::from_utf8(plain).map_err(|_| "the sealed secret is not text".into())
    }

    /// Sealed and bound to its row: nothing left to migrate.
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }

    /// Opens with any key, seals with the newest, bound to `row`.
    pub fn reseal(&self, row: &str, sealed: &str) -> Result<String, String> {
        self.seal(row, &self.open(row, sealed)?)
    }

    /// A value as it should be stored in `row`: plain text (from before
    /// sealing) and values sealed unbound are sealed for it; `None` when it
    /// already is.
    pub fn bind(&self, row: &str, value: &str) -> Result<Option<String>, String> {
        if Self::is_sealed(value) {
            Ok(None)
        } else if value.starts_with(PREFIX_UNBOUND) {
            self.reseal(row, value).map(Some)
        } else {
            self.seal(row, value).map(Some)
        }
    }

    /// The key verification-code hashes are made with (derived, so the
    /// sealing key itself never keys a MAC).
    pub fn code_mac_key(&self) -> Vec<u8> {
        mac_key_of(&self.keys[0])
    }

    /// Every code-MAC key this ring has held, newest first: what a stored
    /// hash is verified with, whichever key made it.
    pub fn code_mac_keys(&self) -> Vec<Vec<u8>> {
        let mut all: Vec<Vec<u8>> = self.keys.iter().map(mac_key_of).collect();
        all.extend(self.retired_macs.iter().cloned());
        all
    }

    /// The oldest code-MAC key: what stand-ins for unknown accounts are
    /// drawn from, so they stay the same across rotations.
    pub fn decoy_mac_key(&self) -> Vec<u8> {
        self.code_mac_keys().pop().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_its_key_and_hides_the_plain_text() {
        let ring = Keyring::generate();
        let sealed = ring.seal("methods:m1", "JBSWY3DPEHPK3PXP").unwrap();
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            ring.open("methods:m1", &sealed).unwrap(),
            "JBSWY3DPEHPK3PXP"
        );
        assert!(Keyring::generate().open("methods:m1", &sealed).is_err());
        assert!(
            ring.open("methods:m2", &sealed).is_err(),
            "a value copied into another row does not open there"
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert!(ring.open("methods:m1", &tampered).is_err());
    }

    #[test]
    fn a_rotated_ring_opens_old_secrets_and_seals_with_the_new_key() {
        let old = Keyring::generate();
        let sealed = old.seal("methods:m1", "seed").unwrap();
        let rotating = old.with_new_key();
        let resealed = rotating.reseal("methods:m1", &sealed).unwrap();
        let new = rotating.newest_only();
        assert_eq!(new.open("methods:m1", &resealed).unwrap(), "seed");
        assert!(new.open("methods:m1", &sealed).is_err());
        assert_eq!(
            Keyring::parse(&rotating.to_text()).unwrap().keys,
            rotating.keys
        );
    }

    #[test]
    fn a_rotated_ring_keeps_the_old_mac_keys_but_not_the_old_sealing_key() {
        let old = Keyring::generate();
        let sealed = old.seal("methods:m1", "seed").unwrap();
        let new = Keyring::parse(&old.with_new_key().newest_only().to_text()).unwrap();
        assert!(
            new.open("methods:m1", &sealed).is_err(),
            "the old key opens nothing any more"
        );
        assert_ne!(new.code_mac_key(), old.code_mac_key());
        assert!(new.code_mac_keys().contains(&old.code_mac_key()));
        assert_eq!(new.decoy_mac_key(), old.decoy_mac_key());
        let twice = new.with_new_key().newest_only();
        assert_eq!(twice.decoy_mac_key(), old.decoy_mac_key());
        assert_eq!(twice.code_mac_keys().len(), 3);
    }
}
