//! `s3`: Parquet objects under a bucket prefix, read with aws-sdk-s3 and the connection's own keys.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::identity::IdentityCache;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::aws_credentials::{self, StsRoute};
use super::outbound::{OutboundPolicy, refusal_in, remote_text};
use super::params::S3Spec;
use super::{
    BrowseItem, BrowseKind, Catalog, CatalogError, CatalogResult, SourceFile,
    checked_relative_path, is_data_file,
};
use crate::config::AwsConfig;

pub struct S3Catalog {
    client: Client,
    bucket: String,
    prefix: String,
    /// The credential requests are signed with, as error messages name it.
    credential: String,
}

impl S3Catalog {
    /// The endpoint (the connection's, else the server's `s3_endpoint`) is checked
    /// against the outbound policy here, and the client resolves every host name through
    /// it; with no endpoint the SDK talks to AWS's public S3 hosts.
    pub async fn open(
        spec: &S3Spec,
        default_endpoint: Option<&str>,
        policy: &OutboundPolicy,
        aws: &AwsConfig,
    ) -> CatalogResult<Self> {
        if super::params::is_mask(spec.secret_key.expose()) {
            return Err(CatalogError::InvalidConfig(
                "catalog.s3.secretKey is masked ('*****') and no stored secret matches this connection".into(),
            ));
        }
        let endpoint = match (&spec.endpoint, default_endpoint) {
            (Some(own), _) => Some((own.as_str(), "catalog.s3.endpoint")),
            (None, Some(server)) => {
                Some((server, "the server's S3 endpoint (LAKEPORT_S3_ENDPOINT)"))
            }
            (None, None) => None,
        };
        if let Some((url, what)) = endpoint {
            policy.check_url(what, url).await?;
        }
        let http = policy.s3_http_client();
        let sts = StsRoute {
            endpoint: endpoint.map(|(url, _)| url),
            http: http.clone(),
        };
        let credentials = aws_credentials::provider_for(spec, aws, sts).await?;
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .region(Region::new(spec.region.clone()))
            .credentials_provider(credentials)
            .identity_cache(
                IdentityCache::lazy()
                    .buffer_time(Duration::from_secs(aws.credential_refresh_secs))
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(120))
                    .build(),
            );
        if let Some((endpoint, _)) = endpoint {
            // S3-compatible servers rarely resolve virtual-host bucket names.
            builder = builder.endpoint_url(endpoint).force_path_style(true);
        }
        Ok(Self {
            client: Client::from_conf(builder.build()),
            bucket: spec.bucket.clone(),
            prefix: spec.prefix.clone(),
            credential: aws_credentials::describe(spec),
        })
    }

    /// Turns an SDK failure into a message that names the bucket, key or credential at fault.
    fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        err: SdkError<E, HttpResponse>,
        what: &str,
    ) -> CatalogError {
        if let Some(refused) = refusal_in(&err, &format!("S3 while {what}")) {
            return refused;
        }
        if let Some(failure) = credentials_failure(&err) {
            return CatalogError::AccessDenied(format!(
                "could not get credentials for {} while {what}: {}",
                self.credential,
                remote_text(&failure)
            ));
        }
        match &err {
            SdkError::DispatchFailure(failure) => {
                let why = failure
                    .as_connector_error()
                    .map(|e| remote_text(&format!("{e}: {:?}", std::error::Error::source(e))))
                    .unwrap_or_default();
                return CatalogError::Unreachable(format!(
                    "S3 endpoint unreachable while {what}: {why}"
                ));
            }
            SdkError::TimeoutError(_) => {
                return CatalogError::Unreachable(format!(
                    "S3 did not answer in time while {what}"
                ));
            }
            _ => {}
        }
        let code = err.code().unwrap_or_default().to_owned();
        // The server's own words, kept short and printable: never its whole body.
        let code = remote_text(&code);
        let message = remote_text(err.message().unwrap_or_default());
        let http_status = err.raw_response().map(|r| r.status().as_u16());
        let bucket = &self.bucket;
        match (code.as_str(), http_status) {
            ("NoSuchBucket", _) => {
                CatalogError::NotFound(format!("S3 bucket '{bucket}' does not exist"))
            }
            ("NoSuchKey", _) | (_, Some(404)) => {
                CatalogError::NotFound(format!("S3 object not found while {what}"))
            }
            ("SignatureDoesNotMatch", _) => CatalogError::AccessDenied(format!(
                "S3 rejected the secret key of {} (SignatureDoesNotMatch) while {what}",
                self.credential
            )),
            ("InvalidAccessKeyId", _) => CatalogError::AccessDenied(format!(
                "S3 does not know {} (InvalidAccessKeyId)",
                self.credential
            )),
            ("AccessDenied", _) | (_, Some(401 | 403)) => CatalogError::AccessDenied(format!(
                "S3 denied access to bucket '{bucket}' with {} while {what}{}",
                self.credential,
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                }
            )),
            (_, Some(s)) if s >= 500 => {
                CatalogError::Transient(format!("S3 error {s} while {what}: {code} {message}"))
            }
            _ => CatalogError::InvalidConfig(format!(
                "S3 refused the request while {what}: {code} {message}"
            )),
        }
    }

    /// Reads an object, or a byte range of it, into memory.
    async fn get(&self, key: &str, range: Option<Range<u64>>) -> CatalogResult<Bytes> {
        let what = match &range {
            Some(r) => format!("reading bytes {}..{} of '{key}'", r.start, r.end),
            None => format!("reading '{key}'"),
        };
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .set_range(range.map(|r| format!("bytes={}-{}", r.start, r.end - 1)))
            .send()
            .await
            .map_err(|e| self.classify(e, &what))?;
        let body = object.body.collect().await.map_err(|e| {
            CatalogError::Transient(format!("S3 connection dropped while {what}: {e}"))
        })?;
        Ok(body.into_bytes())
    }

    /// Uploads a local file as `<prefix><name>` in one PutObject, its body streamed from
    /// disk (the SDK re-reads it on a retry); returns the object's URI.
    pub async fn put_file(&self, name: &str, local_file: &Path) -> CatalogResult<String> {
        let key = self.full_key(name);
        let body = ByteStream::from_path(local_file).await.map_err(|e| {
            CatalogError::Transient(format!(
                "reading {} to upload it: {e}",
                local_file.display()
            ))
        })?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(body)
            .send()
            .await
            .map_err(|e| self.classify(e, &format!("writing '{key}'")))?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait]
impl Catalog for S3Catalog {
    fn root_uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    async fn browse(&self, path: &str) -> CatalogResult<Vec<BrowseItem>> {
        let relative = checked_relative_path(path)?;
        let listed_prefix = self.full_key(&relative);
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&listed_prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.classify(e, "listing the prefix"))?;
            for common in page.common_prefixes() {
                if let Some(name) = common.prefix().and_then(|p| p.strip_prefix(&listed_prefix)) {
                    dirs.push(BrowseItem {
                        name: name.to_owned(),
                        kind: BrowseKind::Dir,
                    });
                }
            }
            for object in page.contents() {
                if let Some(name) = object.key().and_then(|k| k.strip_prefix(&listed_prefix))
                    && is_data_file(name)
                {
                    files.push(BrowseItem {
                        name: name.to_owned(),
                        kind: BrowseKind::File,
                    });
                }
            }
        }
        dirs.extend(files);
        Ok(dirs)
    }

    async fn list_files(&self) -> CatalogResult<Vec<SourceFile>> {
        let mut files = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&self.prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.classify(e, "listing the prefix"))?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| k.strip_prefix(&self.prefix)) else {
                    continue;
                };
                if !is_data_file(key) {
                    continue;
                }
                files.push(SourceFile {
                    key: key.to_owned(),
                    size: object.size().unwrap_or_default().max(0) as u64,
                    etag: object
                        .e_tag()
                        .unwrap_or_default()
                        .trim_matches('"')
                        .to_owned(),
                    last_modified: object
                        .last_modified()
                        .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos())),
                });
            }
        }
        files.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(files)
    }

    async fn read_all(&self, file: &SourceFile) -> CatalogResult<Bytes> {
        self.get(&file.key, None).await
    }

    async fn read_range(&self, file: &SourceFile, range: Range<u64>) -> CatalogResult<Bytes> {
        if range.start >= range.end {
            return Ok(Bytes::new());
        }
        self.get(&file.key, Some(range)).await
    }
}

/// The credentials provider's own failure (an STS refusal of the role, the node role's
/// chain finding nothing), wherever the SDK wrapped it.
fn credentials_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let failure = std::iter::successors(Some(err), |e| e.source()).find_map(|e| {
        e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
    })?;
    let causes = std::iter::successors(std::error::Error::source(failure), |e| e.source());
    Some(causes.fold(failure.to_string(), |text, cause| {
        format!("{text}: {cause}")
    }))
}
