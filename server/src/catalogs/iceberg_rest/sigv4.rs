//! AWS SigV4 for Iceberg REST calls: the one place every Glue and S3 Tables catalog request is signed.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::catalogs::CatalogError;

pub struct SigV4 {
    pub signing_name: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

impl SigV4 {
    /// Adds the `Authorization`, `x-amz-date` and `x-amz-content-sha256` headers to a built request.
    pub fn sign(&self, request: &mut reqwest::Request) -> Result<(), CatalogError> {
        let identity: Identity = Credentials::new(
            &self.access_key,
            &self.secret_key,
            None,
            None,
            "lakeport-catalog",
        )
        .into();
        let mut settings = SigningSettings::default();
        // Glue and S3 Tables expect the body hash header, as the AWS SDKs send it.
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&self.signing_name)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| CatalogError::InvalidConfig(format!("cannot sign catalog requests: {e}")))?
            .into();
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default()
            .to_vec();
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        let signable = SignableRequest::new(
            request.method().as_str(),
            request.url().as_str(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| CatalogError::InvalidConfig(format!("cannot sign catalog request: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| CatalogError::InvalidConfig(format!("cannot sign catalog request: {e}")))?
            .into_parts();
        for (name, value) in instructions.headers() {
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|e| CatalogError::InvalidConfig(format!("signature header: {e}")))?;
            request.headers_mut().insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|e| CatalogError::InvalidConfig(format!("signature header: {e}")))?,
                value,
            );
        }
        Ok(())
    }
}
