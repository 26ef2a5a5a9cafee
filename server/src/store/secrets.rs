//! Seals connection secrets at rest with AES-256-GCM under a key from config or the data dir, each bound to its connection and field.

use std::collections::BTreeMap;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use uuid::Uuid;

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// Uses the configured key, or the key file in the data dir, creating it (mode 0600) on first start.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        let encoded = match configured {
            Some(key) => key.trim().to_owned(),
            None => {
                let path = data_dir.join("secret.key");
                if path.exists() {
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?
                        .trim()
                        .to_owned()
                } else {
                    let mut key = [0u8; 32];
                    rand::rng().fill_bytes(&mut key);
                    let encoded = STANDARD.encode(key);
                    write_private(&path, &encoded)?;
                    tracing::info!(path = %path.display(), "generated a new key for stored secrets");
                    encoded
                }
            }
        };
        let bytes = STANDARD
            .decode(&encoded)
            .context("the secret key is not valid base64")?;
        if bytes.len() != 32 {
            bail!(
                "the secret key must be 32 bytes (base64 of 32 random bytes), got {}",
                bytes.len()
            );
        }
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    /// Seals each secret on its own, bound (as AES-GCM associated data) to the
    /// connection `id` and its field name: a sealed value copied to another
    /// connection's row, or another field, does not open.
    pub fn seal(&self, id: Uuid, secrets: &BTreeMap<String, String>) -> anyhow::Result<Vec<u8>> {
        let mut fields = BTreeMap::new();
        for (field, value) in secrets {
            let mut nonce = [0u8; NONCE_LEN];
            rand::rng().fill_bytes(&mut nonce);
            let aad = associated_data(id, field);
            let sealed = self
                .cipher
                .encrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: value.as_bytes(),
                        aad: &aad,
                    },
                )
                .map_err(|_| anyhow::anyhow!("encrypting a secret failed"))?;
            fields.insert(
                field.clone(),
                STANDARD.encode([nonce.as_slice(), &sealed].concat()),
            );
        }
        Ok([V2, &serde_json::to_vec(&fields)?].concat())
    }

    /// Opens what [`SecretBox::seal`] sealed for connection `id`, or a value sealed
    /// before secrets were bound to their connection (one blob, no associated data).
    pub fn open(&self, id: Uuid, sealed: &[u8]) -> anyhow::Result<BTreeMap<String, String>> {
        let v2 = sealed
            .strip_prefix(V2)
            .and_then(|body| serde_json::from_slice::<BTreeMap<String, String>>(body).ok());
        match v2 {
            Some(fields) => fields
                .into_iter()
                .map(|(field, text)| {
                    let value = self.open_field(id, &field, &text)?;
                    Ok((field, value))
                })
                .collect(),
            None => self.open_v1(sealed),
        }
    }

    fn open_field(&self, id: Uuid, field: &str, text: &str) -> anyhow::Result<String> {
        let bytes = STANDARD
            .decode(text)
            .ok()
            .filter(|b| b.len() >= NONCE_LEN)
            .ok_or_else(|| anyhow::anyhow!("the stored secret '{field}' is damaged"))?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let aad = associated_data(id, field);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "the stored secret '{field}' does not open for connection {id}: it was sealed \
                     for another connection or field, or the secret key changed"
                )
            })?;
        String::from_utf8(plain).context("stored secret is not text")
    }

    /// The format before v2: nonce, then one sealed JSON map, no associated data.
    fn open_v1(&self, sealed: &[u8]) -> anyhow::Result<BTreeMap<String, String>> {
        if sealed.len() < NONCE_LEN {
            bail!("stored secret is truncated");
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| {
                anyhow::anyhow!("stored secret cannot be decrypted: was the secret key changed?")
            })?;
        Ok(serde_json::from_slice(&plain)?)
    }

    #[cfg(test)]
    fn seal_v1(&self, secrets: &BTreeMap<String, String>) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let plain = serde_json::to_vec(secrets).unwrap();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
            .unwrap();
        [nonce.as_slice(), &sealed].concat()
    }
}

/// Marks the per-field format; a v1 blob starts with a random nonce instead (and
/// one that happens to start with these bytes still opens: v2 must also parse).
const V2: &[u8] = b"v2:";

fn associated_data(id: Uuid, field: &str) -> Vec<u8> {
    format!("lakeport/connection/{id}/{field}").into_bytes()
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "catalog.s3.secretKey".to_string(),
                "hunter2-very-secret".to_string(),
            ),
            (
                "catalog.s3.sessionToken".to_string(),
                "token-very-secret".to_string(),
            ),
        ])
    }

    #[test]
    fn sealed_secrets_round_trip_and_do_not_contain_the_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let secret_box = SecretBox::load(None, dir.path()).unwrap();
        let id = Uuid::new_v4();
        let sealed = secret_box.seal(id, &secrets()).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("hunter2"));
        assert_eq!(secret_box.open(id, &sealed).unwrap(), secrets());
        let again = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(
            again.open(id, &sealed).unwrap(),
            secrets(),
            "the generated key file is reused"
        );
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_connection_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let secret_box = SecretBox::load(None, dir.path()).unwrap();
        let id = Uuid::new_v4();
        let sealed = secret_box.seal(id, &secrets()).unwrap();
        let err = secret_box.open(Uuid::new_v4(), &sealed).unwrap_err();
        assert!(err.to_string().contains("another connection"), "{err}");
        // Swapping two fields' sealed values within the row does not open either.
        let mut fields: BTreeMap<String, String> =
            serde_json::from_slice(sealed.strip_prefix(V2).unwrap()).unwrap();
        let a = fields["catalog.s3.secretKey"].clone();
        let b = fields["catalog.s3.sessionToken"].clone();
        fields.insert("catalog.s3.secretKey".into(), b);
        fields.insert("catalog.s3.sessionToken".into(), a);
        let swapped = [V2, &serde_json::to_vec(&fields).unwrap()].concat();
        assert!(secret_box.open(id, &swapped).is_err());
    }

    #[test]
    fn secrets_sealed_before_binding_still_open() {
        let dir = tempfile::tempdir().unwrap();
        let secret_box = SecretBox::load(None, dir.path()).unwrap();
        let old = secret_box.seal_v1(&secrets());
        assert_eq!(secret_box.open(Uuid::new_v4(), &old).unwrap(), secrets());
    }
}
