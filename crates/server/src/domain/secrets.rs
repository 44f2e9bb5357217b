//! Secrets at rest: authenticator seeds sealed with the deployment's key
//! (XChaCha20-Poly1305), and the key that makes verification-code hashes
//! useless to someone holding only the database.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "sealed:v1:";

/// The deployment's keys, newest first. Older keys only open what they
/// sealed, so a rotation interrupted at any point leaves everything readable.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<[u8; 32]>,
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
        Self { keys: vec![key] }
    }

    /// One hex key per line, newest first; blank lines and `#` comments ignored.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
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
        Ok(Self { keys })
    }

    pub fn to_text(&self) -> String {
        let mut out =
            String::from("# tapin secret keys, newest first. Keep this file private (0600).\n");
        for k in &self.keys {
            out.push_str(&hex::encode(k));
            out.push('\n');
        }
        out
    }

    /// A ring whose newest key is fresh, still holding the old ones.
    pub fn with_new_key(&self) -> Self {
        let mut next = Self::generate();
        next.keys.extend(self.keys.iter().copied());
        next
    }

    /// Only the newest key.
    pub fn newest_only(&self) -> Self {
        Self {
            keys: vec![self.keys[0]],
        }
    }

    pub fn seal(&self, plain: &str) -> Result<String, String> {
        let key = &self.keys[0];
        let cipher = XChaCha20Poly1305::new(key.into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| "sealing failed".to_string())?;
        Ok(format!(
            "{PREFIX}{}:{}{}",
            key_id(key),
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let rest = sealed
            .strip_prefix(PREFIX)
            .ok_or("the stored secret is not sealed")?;
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
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| "the sealed secret does not open with its key".to_string())?;
        String::from_utf8(plain).map_err(|_| "the sealed secret is not text".into())
    }

    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }

    /// Opens with any key, seals with the newest.
    pub fn reseal(&self, sealed: &str) -> Result<String, String> {
        self.seal(&self.open(sealed)?)
    }

    /// The key verification-code hashes are made with (derived, so the
    /// sealing key itself never keys a MAC).
    pub fn code_mac_key(&self) -> Vec<u8> {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.keys[0]) else {
            return Vec::new();
        };
        mac.update(b"tapin verification codes v1");
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_its_key_and_hides_the_plain_text() {
        let ring = Keyring::generate();
        let sealed = ring.seal("JBSWY3DPEHPK3PXP").unwrap();
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(ring.open(&sealed).unwrap(), "JBSWY3DPEHPK3PXP");
        assert!(Keyring::generate().open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert!(ring.open(&tampered).is_err());
    }

    #[test]
    fn a_rotated_ring_opens_old_secrets_and_seals_with_the_new_key() {
        let old = Keyring::generate();
        let sealed = old.seal("seed").unwrap();
        let rotating = old.with_new_key();
        let resealed = rotating.reseal(&sealed).unwrap();
        let new = rotating.newest_only();
        assert_eq!(new.open(&resealed).unwrap(), "seed");
        assert!(new.open(&sealed).is_err());
        assert_eq!(
            Keyring::parse(&rotating.to_text()).unwrap().keys,
            rotating.keys
        );
    }
}
