//! Reads a source description out of the flat `catalog.*` parameters the seeds use.

use std::path::PathBuf;

use crate::error::ApiError;
use crate::model::secret::Secret;
use crate::model::table_config::{SECRET_MASK, TaskParams};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Local(LocalSpec),
    S3(S3Spec),
    IcebergRest(Box<IcebergRestSpec>),
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
    pub secret_key: Secret,
    pub session_token: Option<Secret>,
    /// Per-connection override of the server-wide S3 endpoint.
    pub endpoint: Option<String>,
    /// An IAM role to assume through STS (`catalog.s3.roleArn`, `.externalId`).
    pub role: Option<AssumedRole>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    pub role_arn: String,
    pub external_id: Option<String>,
}

impl S3Spec {
    /// Whether the connection brings its own keys; without them it would sign with the
    /// server's identity, which only the operator can allow.
    pub fn has_static_keys(&self) -> bool {
        !self.access_key.is_empty() && !self.secret_key.expose().is_empty()
    }
}

/// How catalog requests prove who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestAuth {
    None,
    Bearer(Secret),
    /// OAuth2 client credentials: `credential` is "client_id:client_secret".
    OAuth2 {
        client_id: String,
        client_secret: Secret,
        token_uri: Option<String>,
        scope: Option<String>,
    },
    /// AWS SigV4 on every request, as Glue (`glue`) and S3 Tables (`s3tables`) require.
    SigV4 {
        signing_name: String,
        region: String,
        access_key: String,
        secret_key: Secret,
    },
}

/// An Iceberg REST catalog and the storage its data files live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcebergRestSpec {
    pub uri: String,
    pub warehouse: Option<String>,
    pub prefix: Option<String>,
    pub auth: RestAuth,
    /// Storage credentials for data files; vended credentials take precedence when the catalog sends them.
    pub storage: Option<S3Spec>,
    /// The table to onboard (`table.namespace`, dotted for nested namespaces, and `table.tableName`).
    pub table: Option<(Vec<String>, String)>,
}

impl IcebergRestSpec {
    /// Where OAuth2 client credentials are sent: `oauth2-server-uri`, else the catalog's own endpoint.
    pub fn token_endpoint(&self) -> String {
        match &self.auth {
            RestAuth::OAuth2 {
                token_uri: Some(uri),
                ..
            } => uri.clone(),
            _ => format!("{}/v1/oauth/tokens", self.uri),
        }
    }

    /// The catalog and its warehouse, as a person would name them.
    pub fn display_uri(&self) -> String {
        match &self.warehouse {
            Some(warehouse) => format!("{} ({warehouse})", self.uri),
            None => self.uri.clone(),
        }
    }
}

impl SourceSpec {
    pub fn catalog_type(&self) -> &'static str {
        match self {
            Self::Local(_) => "local",
            Self::S3(_) => "s3",
            Self::IcebergRest(_) => "iceberg-rest",
        }
    }

    /// The non-secret parameters that name one connection: two requests with the
    /// same identity may share a stored secret.
    pub fn identity(&self) -> String {
        match self {
            Self::Local(local) => format!("local|{}", local.path.display()),
            // The prefix is left out: tables under different folders of one
            // bucket, read with the same key, share one saved connection.
            Self::S3(s3) => format!(
                "s3|{}|{}|{}|{}",
                s3.endpoint.as_deref().unwrap_or(""),
                s3.bucket,
                s3.region,
                s3.access_key
            ),
            // Every host a secret is sent to is part of the identity, so a masked secret
            // is only ever filled in for a request to the host it was first sent to.
            Self::IcebergRest(rest) => {
                let who = match &rest.auth {
                    RestAuth::None => String::new(),
                    RestAuth::Bearer(_) => "bearer".into(),
                    // The client id sits inside the secret `credential`, so it cannot be
                    // part of the identity (a masked credential hides it); the token
                    // endpoint the credential is sent to is.
                    RestAuth::OAuth2 { .. } => format!("oauth2:{}", rest.token_endpoint()),
                    RestAuth::SigV4 {
                        signing_name,
                        access_key,
                        region,
                        ..
                    } => format!("sigv4:{signing_name}:{region}:{access_key}"),
                };
                let storage = rest
                    .storage
                    .as_ref()
                    .map(|s| {
                        format!(
                            "{}|{}|{}",
                            s.access_key,
                            s.endpoint.as_deref().unwrap_or(""),
                            s.region
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "iceberg-rest|{}|{}|{}|{who}|{storage}",
                    rest.uri,
                    rest.warehouse.as_deref().unwrap_or(""),
                    rest.prefix.as_deref().unwrap_or(""),
                )
            }
        }
    }

    /// A URI for people: where the data is read from.
    pub fn display_uri(&self) -> String {
        match self {
            Self::Local(local) => format!("file://{}", local.path.display()),
            Self::S3(s3) => format!("s3://{}/{}", s3.bucket, s3.prefix),
            Self::IcebergRest(rest) => rest.display_uri(),
        }
    }
}

const SUPPORTED: &str = "'s3' (Parquet under an S3 prefix), 'iceberg-rest' (an Iceberg REST catalog) or 'local' (a folder of Parquet files)";

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
        "iceberg-rest" => parse_iceberg_rest(params, at),
        other => Err(ApiError::invalid(
            field("catalogType"),
            format!("unknown catalog type '{other}'; supported: {SUPPORTED}"),
        )),
    }
}

fn parse_s3(params: &TaskParams, at: &str) -> Result<SourceSpec, ApiError> {
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
    // Both keys or neither: neither means the server's own identity (the cluster node
    // role), which opening the catalog refuses unless the operator allows it.
    if access_key.trim().is_empty() != secret_key.is_empty() {
        let missing = if secret_key.is_empty() {
            "secretKey"
        } else {
            "accessKey"
        };
        return Err(ApiError::invalid(
            format!("{at}.catalog.s3.{missing}"),
            "catalog.s3.accessKey and catalog.s3.secretKey go together: give both, or neither to use the cluster node role (when the operator allows it)",
        ));
    }
    let role = assumed_role(params, at)?;
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
        secret_key: secret_key.into(),
        session_token: params
            .get("catalog.s3.sessionToken")
            .filter(|t| !t.is_empty())
            .map(|t| Secret::new(t.as_str())),
        endpoint,
        role,
    }))
}

/// `catalog.s3.roleArn` (+ `catalog.s3.externalId`), seed 000's assumed IAM role.
fn assumed_role(params: &TaskParams, at: &str) -> Result<Option<AssumedRole>, ApiError> {
    let get = |key: &str| {
        params
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let external_id = get("catalog.s3.externalId");
    let Some(role_arn) = get("catalog.s3.roleArn") else {
        if external_id.is_some() {
            return Err(ApiError::invalid(
                format!("{at}.catalog.s3.externalId"),
                "an external id is only used with catalog.s3.roleArn",
            ));
        }
        return Ok(None);
    };
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|r| !r.is_empty());
    if !well_formed {
        return Err(ApiError::invalid(
            format!("{at}.catalog.s3.roleArn"),
            format!(
                "'{role_arn}' is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)"
            ),
        ));
    }
    if let Some(id) = &external_id
        && !(2..=1224).contains(&id.len())
    {
        return Err(ApiError::invalid(
            format!("{at}.catalog.s3.externalId"),
            "an external id is 2 to 1224 characters",
        ));
    }
    Ok(Some(AssumedRole {
        role_arn,
        external_id,
    }))
}

const REST: &str = "catalog.iceberg-rest";

fn parse_iceberg_rest(params: &TaskParams, at: &str) -> Result<SourceSpec, ApiError> {
    let get = |key: &str| {
        params
            .get(&format!("{REST}.{key}"))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let field = |key: &str| format!("{at}.{REST}.{key}");
    let uri = get("restUri").ok_or_else(|| ApiError::invalid(field("restUri"), "is required"))?;
    if !(uri.starts_with("http://") || uri.starts_with("https://")) {
        return Err(ApiError::invalid(
            field("restUri"),
            format!("'{uri}' must start with http:// or https://"),
        ));
    }
    let uri = uri.trim_end_matches('/').to_owned();
    let auth = match (get("rest.signing-name"), get("token"), get("credential")) {
        (Some(signing_name), _, _) => {
            if !matches!(signing_name.as_str(), "glue" | "s3tables" | "execute-api") {
                return Err(ApiError::invalid(
                    field("rest.signing-name"),
                    format!(
                        "'{signing_name}' is not a signing name Lakeport knows; use glue or s3tables"
                    ),
                ));
            }
            let region = get("rest.signing-region")
                .or_else(|| get("s3.region"))
                .ok_or_else(|| {
                    ApiError::invalid(
                        field("rest.signing-region"),
                        "is required to sign requests with SigV4",
                    )
                })?;
            let access_key = get("rest.access-key-id").ok_or_else(|| {
                ApiError::invalid(
                    field("rest.access-key-id"),
                    "is required to sign requests with SigV4",
                )
            })?;
            let secret_key = get("rest.secret-access-key").ok_or_else(|| {
                ApiError::invalid(
                    field("rest.secret-access-key"),
                    "is required to sign requests with SigV4",
                )
            })?;
            RestAuth::SigV4 {
                signing_name,
                region,
                access_key,
                secret_key: secret_key.into(),
            }
        }
        (None, Some(token), _) => RestAuth::Bearer(token.into()),
        (None, None, Some(credential)) => {
            // A masked credential hides the client id too; it is filled in from the
            // stored connection before any request is made.
            let (client_id, client_secret) = if is_mask(&credential) {
                ("", credential.as_str())
            } else {
                credential.split_once(':').ok_or_else(|| {
                    ApiError::invalid(field("credential"), "must be \"client_id:client_secret\"")
                })?
            };
            RestAuth::OAuth2 {
                client_id: client_id.to_owned(),
                client_secret: client_secret.into(),
                token_uri: http_url(get("oauth2-server-uri"), &field("oauth2-server-uri"))?,
                scope: get("scope"),
            }
        }
        (None, None, None) => RestAuth::None,
    };
    let storage = match (get("s3.access-key-id"), get("s3.secret-access-key")) {
        (Some(access_key), Some(secret_key)) => Some(S3Spec {
            bucket: String::new(),
            prefix: String::new(),
            region: get("s3.region").unwrap_or_else(|| "us-east-1".into()),
            access_key,
            secret_key: secret_key.into(),
            session_token: get("s3.session-token").map(Secret::from),
            endpoint: http_url(get("s3.endpoint"), &field("s3.endpoint"))?
                .map(|e| e.trim_end_matches('/').to_owned()),
            role: None,
        }),
        (None, None) => None,
        _ => {
            return Err(ApiError::invalid(
                field("s3.secret-access-key"),
                "storage credentials need both s3.access-key-id and s3.secret-access-key",
            ));
        }
    };
    let table = match (get("table.namespace"), get("table.tableName")) {
        (Some(namespace), Some(name)) => {
            Some((namespace.split('.').map(str::to_owned).collect(), name))
        }
        (None, None) => None,
        (None, Some(_)) => {
            return Err(ApiError::invalid(
                field("table.namespace"),
                "is required with table.tableName",
            ));
        }
        (Some(_), None) => {
            return Err(ApiError::invalid(
                field("table.tableName"),
                "is required with table.namespace",
            ));
        }
    };
    Ok(SourceSpec::IcebergRest(Box::new(IcebergRestSpec {
        table,
        uri,
        warehouse: get("warehouse"),
        prefix: get("prefix"),
        auth,
        storage,
    })))
}

/// An endpoint setting: absent, or an http(s) URL.
fn http_url(value: Option<String>, field: &str) -> Result<Option<String>, ApiError> {
    match value {
        Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
            Err(ApiError::invalid(
                field,
                format!("'{url}' must start with http:// or https://"),
            ))
        }
        other => Ok(other),
    }
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
    fn iceberg_rest_auth_is_chosen_by_the_keys_given() {
        let sigv4 = parse_source(
            &params(&[
                ("catalogType", "iceberg-rest"),
                (
                    "catalog.iceberg-rest.restUri",
                    "https://glue.us-east-1.amazonaws.com/iceberg/",
                ),
                ("catalog.iceberg-rest.warehouse", "123456789012"),
                ("catalog.iceberg-rest.rest.signing-name", "glue"),
                ("catalog.iceberg-rest.rest.signing-region", "us-east-1"),
                ("catalog.iceberg-rest.rest.access-key-id", "AKIA"),
                ("catalog.iceberg-rest.rest.secret-access-key", "s"),
            ]),
            "p",
        )
        .unwrap();
        let SourceSpec::IcebergRest(rest) = sigv4 else {
            panic!("iceberg expected")
        };
        assert_eq!(rest.uri, "https://glue.us-east-1.amazonaws.com/iceberg");
        assert!(
            matches!(rest.auth, RestAuth::SigV4 { ref signing_name, .. } if signing_name == "glue")
        );

        let err = parse_source(
            &params(&[
                ("catalogType", "iceberg-rest"),
                ("catalog.iceberg-rest.restUri", "http://localhost:8181"),
                ("catalog.iceberg-rest.credential", "no-colon"),
            ]),
            "p",
        )
        .unwrap_err();
        assert!(err.to_string().contains("client_id:client_secret"), "{err}");
    }

    #[test]
    fn the_identity_names_every_host_a_secret_goes_to() {
        let rest = |extra: &[(&str, &str)]| {
            let base = [
                ("catalogType", "iceberg-rest"),
                ("catalog.iceberg-rest.restUri", "https://catalog.example"),
                ("catalog.iceberg-rest.credential", "client:secret"),
                ("catalog.iceberg-rest.s3.access-key-id", "AKIA"),
                ("catalog.iceberg-rest.s3.secret-access-key", "s"),
            ];
            let mut all = params(&base);
            all.extend(params(extra));
            parse_source(&all, "p").unwrap().identity()
        };
        let plain = rest(&[]);
        assert_eq!(
            plain,
            rest(&[("catalog.iceberg-rest.credential", "*****")]),
            "a masked credential has the same identity, so it resolves"
        );
        assert_eq!(
            plain,
            rest(&[(
                "catalog.iceberg-rest.oauth2-server-uri",
                "https://catalog.example/v1/oauth/tokens"
            )]),
            "naming the default token endpoint changes nothing"
        );
        for other in [
            (
                "catalog.iceberg-rest.oauth2-server-uri",
                "https://evil.example/t",
            ),
            ("catalog.iceberg-rest.s3.endpoint", "https://evil.example"),
            ("catalog.iceberg-rest.s3.region", "eu-west-1"),
        ] {
            assert_ne!(plain, rest(&[other]), "{other:?}");
        }
        let masked = parse_source(
            &params(&[
                ("catalogType", "iceberg-rest"),
                ("catalog.iceberg-rest.restUri", "https://catalog.example"),
                ("catalog.iceberg-rest.credential", "*****"),
            ]),
            "p",
        );
        assert!(masked.is_ok(), "{masked:?}");
        let bad = parse_source(
            &params(&[
                ("catalogType", "iceberg-rest"),
                ("catalog.iceberg-rest.restUri", "https://catalog.example"),
                ("catalog.iceberg-rest.s3.access-key-id", "AKIA"),
                ("catalog.iceberg-rest.s3.secret-access-key", "s"),
                ("catalog.iceberg-rest.s3.endpoint", "file:///etc"),
            ]),
            "p",
        );
        assert!(bad.is_err());
    }

    #[test]
    fn keys_come_in_pairs_and_roles_are_well_formed() {
        let base = [
            ("catalogType", "s3"),
            ("catalog.s3.bucketName", "lake"),
            ("catalog.s3.region", "us-east-1"),
        ];
        let with =
            |extra: &[(&str, &str)]| parse_source(&params(&[&base[..], extra].concat()), "p");
        // No keys at all asks for the node role, which opening the catalog decides on.
        let Ok(SourceSpec::S3(spec)) = with(&[]) else {
            panic!("no keys parses")
        };
        assert!(!spec.has_static_keys() && spec.role.is_none());
        let err = with(&[("catalog.s3.accessKey", "AKIA")]).unwrap_err();
        assert!(err.to_string().contains("secretKey"), "{err}");
        let role = "arn:aws:iam::123456789012:role/lake-reader";
        let Ok(SourceSpec::S3(spec)) = with(&[
            ("catalog.s3.roleArn", role),
            ("catalog.s3.externalId", "ext-42"),
        ]) else {
            panic!("a role parses")
        };
        assert_eq!(
            spec.role,
            Some(AssumedRole {
                role_arn: role.into(),
                external_id: Some("ext-42".into())
            })
        );
        for bad in [
            "arn:aws:iam::1234:role/x",
            "arn:aws:s3:::bucket",
            "lake-reader",
        ] {
            let err = with(&[("catalog.s3.roleArn", bad)]).unwrap_err();
            assert!(err.to_string().contains("roleArn"), "{bad}: {err}");
        }
        let err = with(&[("catalog.s3.externalId", "ext-42")]).unwrap_err();
        assert!(err.to_string().contains("only used with"), "{err}");
    }
}
