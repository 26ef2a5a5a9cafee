//! A secret value (password, key, token) whose `Debug` and `Display` never show it; `.expose()` is the one way in.

use serde::{Deserialize, Serialize};

/// Holds a secret so that logging, `{:?}` of a config or spec, or an error
/// message built from a struct cannot leak it. Serialises as the plain string
/// (the config loader round-trips its defaults through serde), so only code that
/// writes it out on purpose ever sees the value.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send or use it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(*****)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("*****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value_and_serde_is_transparent() {
        let secret: Secret = serde_json::from_str("\"hunter2-very-secret\"").unwrap();
        assert_eq!(secret.expose(), "hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), "Secret(*****)");
        assert_eq!(format!("{secret}"), "*****");
        assert_eq!(
            serde_json::to_string(&secret).unwrap(),
            "\"hunter2-very-secret\""
        );
    }
}
