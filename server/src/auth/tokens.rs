//! API bearer tokens: long random strings shown once; only their SHA-256 is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Marks Lakeport tokens so secret scanners and people can recognise them.
pub const TOKEN_PREFIX: &str = "lp_";
/// Characters of a token kept in clear to tell tokens apart.
const SHOWN_CHARS: usize = 10;

pub struct NewToken {
    /// The whole token: given to the user once, never stored.
    pub secret: String,
    pub hash: Vec<u8>,
    pub prefix: String,
}

pub fn generate() -> NewToken {
    let secret = format!("{TOKEN_PREFIX}{}", random_string(32));
    NewToken {
        hash: digest(&secret),
        prefix: secret[..SHOWN_CHARS].to_owned(),
        secret,
    }
}

pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// `bytes` random bytes as URL-safe text: tokens, CSRF tokens, first-run passwords.
pub fn random_string(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_to_what_is_stored() {
        let a = generate();
        let b = generate();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX) && a.secret.len() == 46);
        assert_eq!(digest(&a.secret), a.hash);
        assert!(a.secret.starts_with(&a.prefix));
    }
}
