//! Secret resolution and stored sources: a source's parameters with the real secrets of its
//! saved connection filled in (for preview, sync and the connection handlers), and the
//! masking that keeps those secrets out of every answer and stored config.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::catalogs::{SourceSpec, parse_source};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::model::table_config::{SECRET_MASK, TableConfig, TaskParams, is_secret_param};
use crate::store;
use crate::store::secrets::SecretBox;

/// What reaching a source takes: the metadata database (saved connections), the key
/// that opens their secrets, and the config (local roots, outbound policy, endpoints).
/// Lower layers get this rather than the whole application state.
#[derive(Clone, Copy)]
pub struct SourceContext<'a> {
    pub pool: &'a PgPool,
    pub secrets: &'a SecretBox,
    pub config: &'a Config,
}

/// A source with its secrets filled in, and the saved connection they came from.
#[derive(Clone)]
pub struct ResolvedSource {
    pub spec: SourceSpec,
    /// The parameters with real secrets: never stored or returned as they are.
    pub params: TaskParams,
    pub connection_id: Option<Uuid>,
}

/// Masks the secrets of `params`: a resolved source holds real ones.
impl std::fmt::Debug for ResolvedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut params = self.params.clone();
        mask_params(&mut params);
        f.debug_struct("ResolvedSource")
            .field("spec", &self.spec)
            .field("params", &params)
            .field("connection_id", &self.connection_id)
            .finish()
    }
}

/// The secrets stored for a connection; a value that does not open (copied from
/// another row, or a changed key) is an error naming the connection, never a
/// wrong secret.
pub fn open_secrets(
    secrets: &SecretBox,
    id: Uuid,
    sealed: &[u8],
) -> ApiResult<BTreeMap<String, String>> {
    secrets.open(id, sealed).map_err(|e| {
        ApiError::Conflict(format!(
            "the stored secrets of connection {id} cannot be used: {e}; save the connection again with the real secrets"
        ))
    })
}

/// Parses a source, replacing each masked secret (`*****`) by the secret stored for
/// the connection with the same identity. A masked secret with no stored value is a
/// 400 that names it: the mask itself is never used or stored as a secret.
pub async fn resolve(
    cx: &SourceContext<'_>,
    params: &TaskParams,
    at: &str,
) -> ApiResult<ResolvedSource> {
    let spec = parse_source(params, at)?;
    let masked: Vec<&String> = params
        .iter()
        .filter(|(k, v)| is_secret_param(k) && *v == SECRET_MASK)
        .map(|(k, _)| k)
        .collect();
    let stored = store::connections::by_identity(cx.pool, &spec.identity()).await?;
    if masked.is_empty() {
        return Ok(ResolvedSource {
            spec,
            params: params.clone(),
            connection_id: stored.map(|c| c.id),
        });
    }
    let Some(connection) = stored else {
        return Err(ApiError::invalid(
            format!("{at}.{}", masked[0]),
            format!(
                "is masked ('{SECRET_MASK}') and no secret is stored for this connection ({}); send the real secret",
                describe(&spec)
            ),
        ));
    };
    let secrets = open_secrets(cx.secrets, connection.id, &connection.secrets)?;
    let mut filled = params.clone();
    for key in masked {
        let value = secrets.get(key).ok_or_else(|| {
            ApiError::invalid(
                format!("{at}.{key}"),
                "is masked and the stored connection has no value for it; send the real secret",
            )
        })?;
        filled.insert(key.clone(), value.clone());
    }
    let spec = parse_source(&filled, at)?;
    Ok(ResolvedSource {
        spec,
        params: filled,
        connection_id: Some(connection.id),
    })
}

/// Saves the connection's secrets, sealed, once they have been shown to work, so a
/// later config that carries the mask can use them. Sources with no secrets are not saved.
/// `name` is the person's name for it (the wizard's "Catalog Connection Name");
/// without one, a first save is named after the source.
pub async fn remember(
    cx: &SourceContext<'_>,
    source: &ResolvedSource,
    name: Option<&str>,
) -> ApiResult<Option<Uuid>> {
    let secrets: BTreeMap<String, String> = source
        .params
        .iter()
        .filter(|(k, _)| is_secret_param(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if secrets.is_empty() {
        return Ok(None);
    }
    let public: serde_json::Map<String, serde_json::Value> = source
        .params
        .iter()
        .filter(|(k, _)| k.starts_with("catalog") && !is_secret_param(k))
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    // Sealed for the row it will land in: the one with this identity if there is
    // one, else a new id.
    let id = source.connection_id.unwrap_or_else(Uuid::new_v4);
    let sealed = cx.secrets.seal(id, &secrets).map_err(ApiError::internal)?;
    let identity = source.spec.identity();
    let digest = hex::encode(Sha256::digest(identity.as_bytes()));
    let chosen = name.map(str::trim).filter(|n| !n.is_empty());
    let name = chosen.map_or_else(
        || format!("{} ({})", source.spec.display_uri(), &digest[..8]),
        str::to_owned,
    );
    let params = serde_json::Value::Object(public);
    let saved = store::connections::upsert(
        cx.pool,
        &store::connections::NewConnection {
            id,
            name: &name,
            rename: chosen.is_some(),
            catalog_type: source.spec.catalog_type(),
            identity: &identity,
            params: &params,
            secrets: &sealed,
        },
    )
    .await?;
    if saved != id {
        // Another request saved this connection first: seal for its row.
        let sealed = cx
            .secrets
            .seal(saved, &secrets)
            .map_err(ApiError::internal)?;
        store::connections::set_secrets(cx.pool, saved, &sealed).await?;
    }
    Ok(Some(saved))
}

/// Replaces every secret of a table config's task blocks by the mask.
pub fn mask(config: &mut TableConfig) {
    if let Some(task) = config.task.as_mut() {
        for params in task.task_type_configs_map.values_mut() {
            mask_params(params);
        }
    }
}

pub fn mask_params(params: &mut TaskParams) {
    for (key, value) in params.iter_mut() {
        if is_secret_param(key) && !value.is_empty() {
            *value = SECRET_MASK.to_owned();
        }
    }
}

/// The connection in words for an error message, without any secret.
fn describe(spec: &SourceSpec) -> String {
    match spec {
        SourceSpec::S3(s3) => format!(
            "bucket '{}', prefix '{}', region '{}', access key '{}'",
            s3.bucket, s3.prefix, s3.region, s3.access_key
        ),
        SourceSpec::Local(local) => format!("path '{}'", local.path.display()),
        SourceSpec::IcebergRest(rest) => format!("catalog {}", rest.display_uri()),
    }
}

/// The source of an existing table: its stored (masked) parameters with the secrets
/// of the connection it was created with.
pub async fn resolve_stored(
    cx: &SourceContext<'_>,
    params: &TaskParams,
    connection_id: Option<Uuid>,
) -> ApiResult<SourceSpec> {
    let mut filled = params.clone();
    if let Some(id) = connection_id
        && let Some(connection) = store::connections::by_id(cx.pool, id).await?
    {
        let secrets = open_secrets(cx.secrets, connection.id, &connection.secrets)?;
        for (key, value) in filled.iter_mut() {
            if *value == SECRET_MASK
                && let Some(secret) = secrets.get(key)
            {
                *value = secret.clone();
            }
        }
    }
    if let Some((key, _)) = filled
        .iter()
        .find(|(k, v)| is_secret_param(k) && *v == SECRET_MASK)
    {
        return Err(ApiError::invalid(
            key.clone(),
            "the stored secret for this table's connection is missing; update the table with the real secret",
        ));
    }
    parse_source(&filled, "task")
}

/// The source of an existing table, with the secrets of its saved connection.
pub async fn stored_source(
    cx: &SourceContext<'_>,
    table: &store::tables::TableRow,
) -> ApiResult<SourceSpec> {
    let config: TableConfig =
        serde_json::from_value(table.config.clone()).map_err(ApiError::internal)?;
    let (_, params) = config.sync_task()?;
    resolve_stored(cx, params, table.connection_id).await
}
