//! What an S3 connection signs with, in seed 000's three ways: its own static keys, an IAM
//! role assumed through STS (with the connection's keys, or the server's own identity as
//! the base), or the server's own identity (the cluster node role). The server's identity
//! is used only when the operator turns `aws.allow_node_role` on, so by default no user can
//! borrow it.

use std::time::Duration;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use super::params::S3Spec;
use super::{CatalogError, CatalogResult};
use crate::config::AwsConfig;

/// Where an STS call for an assumed role goes and through which client (the outbound
/// policy's), so it passes the same checks as the S3 requests it serves.
pub struct StsRoute<'a> {
    pub endpoint: Option<&'a str>,
    pub http: SharedHttpClient,
}

const NODE_ROLE_OFF: &str = "this connection has no catalog.s3.accessKey / catalog.s3.secretKey, so it would use the server's own AWS identity (the cluster node role), which is off: give the connection its own keys (with catalog.s3.roleArn to assume a role), or have the operator set aws.allow_node_role (LAKEPORT_AWS__ALLOW_NODE_ROLE=true)";

/// The provider the S3 client signs with. Assumed-role credentials are renewed by the
/// client's identity cache `aws.credential_refresh_secs` before they expire.
pub async fn provider_for(
    spec: &S3Spec,
    aws: &AwsConfig,
    sts: StsRoute<'_>,
) -> CatalogResult<SharedCredentialsProvider> {
    let base = match spec.has_static_keys() {
        true => SharedCredentialsProvider::new(Credentials::new(
            &spec.access_key,
            spec.secret_key.expose(),
            spec.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "lakeport-connection",
        )),
        false if aws.allow_node_role => node_role(&spec.region).await,
        false => return Err(CatalogError::InvalidConfig(NODE_ROLE_OFF.into())),
    };
    let Some(role) = &spec.role else {
        return Ok(base);
    };
    let mut sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(spec.region.clone()))
        .http_client(sts.http)
        .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
        .time_source(SharedTimeSource::default());
    // S3-compatible servers that speak STS (MinIO, moto) serve it at the same endpoint.
    if let Some(endpoint) = sts.endpoint {
        sdk = sdk.endpoint_url(endpoint);
    }
    let mut builder = AssumeRoleProvider::builder(&role.role_arn)
        .session_name("lakeport")
        .session_length(Duration::from_secs(aws.assume_role_duration_secs))
        .configure(&sdk.build());
    if let Some(external_id) = &role.external_id {
        builder = builder.external_id(external_id);
    }
    Ok(SharedCredentialsProvider::new(
        builder.build_from_provider(base).await,
    ))
}

/// The server's own credential chain (environment, profile, web identity, container,
/// instance metadata), with the SDK's own HTTP client: this is the operator's identity,
/// reached the way the operator's AWS tools reach it, not a user's outbound request.
async fn node_role(region: &str) -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(
        DefaultCredentialsChain::builder()
            .region(Region::new(region.to_owned()))
            .build()
            .await,
    )
}

/// Says which credential failed when S3 refuses a connection that assumed a role.
pub fn describe(spec: &S3Spec) -> String {
    match (&spec.role, spec.has_static_keys()) {
        (Some(role), true) => format!(
            "role '{}' assumed with access key '{}'",
            role.role_arn, spec.access_key
        ),
        (Some(role), false) => format!(
            "role '{}' assumed with the server's own identity",
            role.role_arn
        ),
        (None, true) => format!("access key '{}'", spec.access_key),
        (None, false) => "the server's own identity".into(),
    }
}

/// `AWS` bounds for a role session: 15 minutes to 12 hours.
pub const SESSION_SECS: std::ops::RangeInclusive<u64> = 900..=43_200;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogs::params::AssumedRole;

    fn spec(keys: bool, role: bool) -> S3Spec {
        S3Spec {
            bucket: "b".into(),
            prefix: String::new(),
            region: "us-east-1".into(),
            access_key: if keys { "AKIA1".into() } else { String::new() },
            secret_key: if keys { "s".into() } else { "".into() },
            session_token: None,
            endpoint: None,
            role: role.then(|| AssumedRole {
                role_arn: "arn:aws:iam::123456789012:role/r".into(),
                external_id: None,
            }),
        }
    }

    #[tokio::test]
    async fn the_servers_identity_is_refused_unless_the_operator_allows_it() {
        let aws = AwsConfig::default();
        // The default policy refuses every non-public address; nothing here connects.
        let policy = crate::catalogs::outbound::OutboundPolicy::from_config(&Default::default())
            .expect("the default policy");
        let route = || StsRoute {
            endpoint: None,
            http: policy.s3_http_client(),
        };
        for role in [false, true] {
            let err = provider_for(&spec(false, role), &aws, route())
                .await
                .expect_err("refused")
                .to_string();
            assert!(err.contains("aws.allow_node_role"), "{err}");
        }
        assert!(
            provider_for(&spec(true, false), &aws, route())
                .await
                .is_ok()
        );
        assert!(describe(&spec(true, true)).contains("assumed with access key 'AKIA1'"));
    }
}
