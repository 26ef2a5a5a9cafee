//! Reads a source description out of the flat `catalog.*` parameters the seeds use.

use std::path::PathBuf;

use crate::error::ApiError;
use crate::model::table_config::{SECRET_MASK, TaskParams};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Local(LocalSpec),
    S3(S3Spec),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSpec {
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Spec {
    pub bucket: String,
    /// Empty, or ending in '/': keys under it are relative to it.
    pub prefix: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
    /// Per-connection override of the server-wide S3 endpoint.
    pub endpoint: Option<String>,
}

impl SourceSpec {
    pub fn catalog_type(&self) -> &'static str {
        match self {
            Self::Local(_) => "local",
            Self::S3(_) => "s3",
        }
    }

    /// The non-secret parameters that name one connection: two requests with the
    /// same identity may share a stored secret.
    pub fn identity(&self) -> String {
        match self {
            Self::Local(local) => format!("local|{}", local.path.display()),
            Self::S3(s3) => format!(
                "s3|{}|{}|{}|{}|{}",
                s3.endpoint.as_deref().unwrap_or(""),
                s3.bucket,
                s3.prefix,
                s3.region,
                s3.access_key
            ),
        }
    }

    /// A URI for people: where the data is read from.
    pub fn display_uri(&self) -> String {
        match self {
            Self::Local(local) => format!("file://{}", local.path.display()),
            Self::S3(s3) => format!("s3://{}/{}", s3.bucket, s3.prefix),
        }
    }
}

const SUPPORTED: &str = "'s3' (Parquet under an S3 prefix) or 'local' (a folder of Parquet files)";

/// Parses the catalog parameters; `at` names where they came from, for error messages.
pub fn parse_source(params: &TaskParams, at: &str) -> Result<SourceSpec, ApiError> {
    let field = |key: &str| format!("{at}.{key}");
    let catalog_type = params
        .get("catalogType")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(field("catalogType"), format!("is required: {SUPPORTED}"))
        })?;
    if let Some(format) = params.get("inputFormat")
        && !format.eq_ignore_ascii_case("parquet")
    {
        return Err(ApiError::invalid(
            field("inputFormat"),
            format!("'{format}' is not supported; only 'parquet' is"),
        ));
    }
    match catalog_type {
        "local" => {
            let path = required(params, "catalog.local.path", at)?;
            Ok(SourceSpec::Local(LocalSpec {
                path: PathBuf::from(path),
            }))
        }
        "s3" => parse_s3(params, at),
        "iceberg-rest" | "glue" | "s3tables" => Err(ApiError::invalid(
            field("catalogType"),
            format!(
                "'{catalog_type}' (Iceberg REST) is not available in this build yet; supported: {SUPPORTED}"
            ),
        )),
        other => Err(ApiError::invalid(
            field("catalogType"),
            format!("unknown catalog type '{other}'; supported: {SUPPORTED}"),
        )),
    }
}

fn parse_s3(params: &TaskParams, at: &str) -> Result<SourceSpec, ApiError> {
    for unsupported in ["catalog.s3.roleArn", "catalog.s3.externalId"] {
        if params.get(unsupported).is_some_and(|v| !v.is_empty()) {
            return Err(ApiError::invalid(
                format!("{at}.{unsupported}"),
                "assumed IAM roles are not supported yet; use catalog.s3.accessKey and catalog.s3.secretKey",
            ));
        }
    }
    let bucket = required(params, "catalog.s3.bucketName", at)?;
    validate_bucket(&bucket)
        .map_err(|m| ApiError::invalid(format!("{at}.catalog.s3.bucketName"), m))?;
    let prefix = normalise_prefix(
        params
            .get("catalog.s3.prefix")
            .map(String::as_str)
            .unwrap_or(""),
    )
    .map_err(|m| ApiError::invalid(format!("{at}.catalog.s3.prefix"), m))?;
    let region = required(params, "catalog.s3.region", at)?;
    let access_key = params
        .get("catalog.s3.accessKey")
        .cloned()
        .unwrap_or_default();
    let secret_key = params
        .get("catalog.s3.secretKey")
        .cloned()
        .unwrap_or_default();
    if access_key.trim().is_empty() || secret_key.is_empty() {
        // Falling back to the server's own AWS identity would hand users its permissions.
        return Err(ApiError::invalid(
            format!("{at}.catalog.s3.accessKey"),
            "catalog.s3.accessKey and catalog.s3.secretKey are required: Lakeport never uses credentials found on the server for a user's connection",
        ));
    }
    let endpoint = params
        .get("catalog.s3.endpoint")
        .map(|e| e.trim().trim_end_matches('/').to_owned())
        .filter(|e| !e.is_empty());
    if let Some(endpoint) = &endpoint
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        return Err(ApiError::invalid(
            format!("{at}.catalog.s3.endpoint"),
            format!("'{endpoint}' must start with http:// or https://"),
        ));
    }
    Ok(SourceSpec::S3(S3Spec {
        bucket,
        prefix,
        region,
        access_key: access_key.trim().to_owned(),
        secret_key,
        session_token: params
            .get("catalog.s3.sessionToken")
            .filter(|t| !t.is_empty())
            .cloned(),
        endpoint,
    }))
}

fn required(params: &TaskParams, key: &str, at: &str) -> Result<String, ApiError> {
    params
        .get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid(format!("{at}.{key}"), "is required"))
}

fn validate_bucket(bucket: &str) -> Result<(), String> {
    let ok_len = (3..=63).contains(&bucket.len());
    let ok_chars = bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ok_ends = bucket
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && bucket
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok_len && ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "'{bucket}' is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' or '-')"
        ))
    }
}

/// `a/b`, `/a/b/` and `a//b` all mean the folder `a/b/`.
fn normalise_prefix(prefix: &str) -> Result<String, String> {
    if prefix.starts_with("s3://") {
        return Err("give the key prefix only, without s3:// and the bucket".into());
    }
    super::checked_relative_path(prefix).map_err(|e| e.to_string())
}

/// Whether a secret value is the mask sent back from a read, not a real secret.
pub fn is_mask(value: &str) -> bool {
    value == SECRET_MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> TaskParams {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn s3_prefix_is_normalised_and_identity_ignores_the_secret() {
        let base = [
            ("catalogType", "s3"),
            ("catalog.s3.bucketName", "lake"),
            ("catalog.s3.prefix", "/trips/2024"),
            ("catalog.s3.region", "us-east-1"),
            ("catalog.s3.accessKey", "AKIA"),
        ];
        let a = parse_source(
            &params(&[base.as_slice(), &[("catalog.s3.secretKey", "x")]].concat()),
            "p",
        )
        .unwrap();
        let b = parse_source(
            &params(&[base.as_slice(), &[("catalog.s3.secretKey", "*****")]].concat()),
            "p",
        )
        .unwrap();
        assert_eq!(a.identity(), b.identity());
        let SourceSpec::S3(s3) = a else {
            panic!("s3 expected")
        };
        assert_eq!(s3.prefix, "trips/2024/");
    }

    #[test]
    fn unknown_catalog_type_names_the_supported_ones() {
        let err =
            parse_source(&params(&[("catalogType", "ftp")]), "connection.params").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("connection.params.catalogType") && text.contains("'s3'"),
            "{text}"
        );
    }

    #[test]
    fn missing_keys_never_fall_back_to_ambient_credentials() {
        let err = parse_source(
            &params(&[
                ("catalogType", "s3"),
                ("catalog.s3.bucketName", "lake"),
                ("catalog.s3.region", "us-east-1"),
            ]),
            "p",
        )
        .unwrap_err();
        assert!(err.to_string().contains("accessKey"), "{err}");
    }
}
