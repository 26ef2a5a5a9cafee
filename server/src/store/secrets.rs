//! Seals connection secrets at rest with AES-256-GCM under a key from config or the data dir.

use std::collections::BTreeMap;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

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

    pub fn seal(&self, secrets: &BTreeMap<String, String>) -> anyhow::Result<Vec<u8>> {
        let plain = serde_json::to_vec(secrets)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
            .map_err(|_| anyhow::anyhow!("encrypting a secret failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open(&self, sealed: &[u8]) -> anyhow::Result<BTreeMap<String, String>> {
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

    #[test]
    fn sealed_secrets_round_trip_and_do_not_contain_the_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let secret_box = SecretBox::load(None, dir.path()).unwrap();
        let secrets = BTreeMap::from([(
            "catalog.s3.secretKey".to_string(),
            "hunter2-very-secret".to_string(),
        )]);
        let sealed = secret_box.seal(&secrets).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("hunter2"));
        assert_eq!(secret_box.open(&sealed).unwrap(), secrets);
        let again = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(
            again.open(&sealed).unwrap(),
            secrets,
            "the generated key file is reused"
        );
    }
}
