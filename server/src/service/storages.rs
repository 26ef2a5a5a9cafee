//! AI Lake object storages: registered from the config file or by the admin call, checked
//! against the storage itself, keys sealed in a saved connection, listed without them.

use std::collections::BTreeMap;

use lakeport_wire::ailake::{ObjectStorageInfo, RegisterObjectStorage};
use lakeport_wire::connections::Removed;
use lakeport_wire::table_config::TaskParams;
use serde_json::Value;
use uuid::Uuid;

use crate::catalogs;
use crate::config::ObjectStorageConfig;
use crate::error::{ApiError, ApiResult};
use crate::sources;
use crate::state::AppState;
use crate::store;
use crate::store::ailake::{NewStorage, StorageRow};

const DEFAULT_REGION: &str = "us-east-1";
/// The storage types a pipe can read: AWS S3 and S3-compatible servers (MinIO and the like).
const STORAGE_TYPES: [&str; 2] = ["S3", "MINIO"];

/// Where the registration came from, which the list reports.
#[derive(Clone, Copy)]
pub enum Origin {
    ConfigFile,
    Api,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Self::ConfigFile => "config",
            Self::Api => "api",
        }
    }
}

/// A storage name: 1 to 128 letters, digits, `_`, `-` or `.`, starting with a letter or digit.
fn name_problem(name: &str) -> Option<String> {
    let ok = (1..=128).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (!ok).then(|| {
        format!("'{name}' is not a storage name: use 1 to 128 letters, digits, '_', '-' or '.', starting with a letter or digit")
    })
}

/// Registers a storage after listing it with its keys: a storage that cannot be read is
/// refused (the catalog's 4xx says why). The config file replaces a storage of the same
/// name; the admin call refuses it with a 409.
pub async fn register(
    state: &AppState,
    request: RegisterObjectStorage,
    origin: Origin,
) -> ApiResult<ObjectStorageInfo> {
    if let Some(problem) = name_problem(&request.name) {
        return Err(ApiError::invalid("name", problem));
    }
    let storage_type = request
        .storage_type
        .as_deref()
        .unwrap_or("S3")
        .trim()
        .to_ascii_uppercase();
    if !STORAGE_TYPES.contains(&storage_type.as_str()) {
        return Err(ApiError::invalid(
            "storageType",
            format!(
                "'{storage_type}' is not supported; use one of {}",
                STORAGE_TYPES.join(", ")
            ),
        ));
    }
    let region = request
        .region
        .clone()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let mut params: TaskParams = BTreeMap::from([
        ("catalogType".into(), "s3".into()),
        ("catalog.s3.bucketName".into(), request.bucket.clone()),
        ("catalog.s3.region".into(), region.clone()),
    ]);
    let optional = [
        ("catalog.s3.endpoint", &request.endpoint),
        ("catalog.s3.accessKey", &request.access_key_id),
        ("catalog.s3.secretKey", &request.secret_access_key),
    ];
    for (key, value) in optional {
        if let Some(value) = value.as_ref().filter(|v| !v.trim().is_empty()) {
            params.insert(key.into(), value.clone());
        }
    }
    let source = sources::resolve(&state.sources(), &params, "objectStorage")
        .await
        .map_err(|err| match err {
            ApiError::Invalid { field, message } => ApiError::Invalid {
                field: wire_field(&field),
                message,
            },
            other => other,
        })?;
    catalogs::open(&source.spec, &state.config)
        .await?
        .browse("")
        .await?;
    let connection_id = sources::remember(&state.sources(), &source, None)
        .await?
        .or(source.connection_id);
    let mut stored = source.params.clone();
    sources::mask_params(&mut stored);
    let stored = serde_json::to_value(&stored).map_err(ApiError::internal)?;
    let id = store::ailake::find_storage(&state.pool, &request.name)
        .await?
        .filter(|s| s.name == request.name)
        .map_or_else(Uuid::new_v4, |s| s.id);
    let endpoint = request.endpoint.as_deref().filter(|e| !e.trim().is_empty());
    let saved = store::ailake::put_storage(
        &state.pool,
        &NewStorage {
            id,
            name: &request.name,
            storage_type: &storage_type,
            bucket: &request.bucket,
            region: &region,
            endpoint,
            params: &stored,
            connection_id,
            origin: origin.as_str(),
        },
        matches!(origin, Origin::ConfigFile),
    )
    .await?;
    if !saved {
        return Err(ApiError::Conflict(format!(
            "an object storage named '{}' exists already; remove it first to register it again",
            request.name
        )));
    }
    let row = store::ailake::find_storage(&state.pool, &request.name)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("storage vanished after saving")))?;
    Ok(info(&row))
}

/// The request field a source parameter came from.
fn wire_field(param_path: &str) -> String {
    let key = param_path.trim_start_matches("objectStorage.");
    let field = match key {
        "catalog.s3.bucketName" => "bucket",
        "catalog.s3.region" => "region",
        "catalog.s3.endpoint" => "endpoint",
        "catalog.s3.accessKey" => "accessKeyId",
        "catalog.s3.secretKey" => "secretAccessKey",
        other => other,
    };
    field.to_owned()
}

/// Registers the config file's storages; one that fails is logged and skipped, so a
/// storage that is down does not keep the server from starting.
pub async fn register_configured(state: &AppState, storages: &[ObjectStorageConfig]) {
    for storage in storages {
        let request = RegisterObjectStorage {
            name: storage.name.clone(),
            storage_type: storage.storage_type.clone(),
            bucket: storage.bucket.clone(),
            region: storage.region.clone(),
            endpoint: storage.endpoint.clone(),
            access_key_id: storage.access_key_id.clone(),
            secret_access_key: storage
                .secret_access_key
                .as_ref()
                .map(|s| s.expose().to_owned()),
        };
        match register(state, request, Origin::ConfigFile).await {
            Ok(_) => {
                tracing::info!(storage = %storage.name, "object storage registered from the config file")
            }
            Err(err) => {
                tracing::warn!(storage = %storage.name, error = %err, "object storage of the config file not registered")
            }
        }
    }
}

pub fn info(row: &StorageRow) -> ObjectStorageInfo {
    let mut config = BTreeMap::from([
        ("bucket".to_owned(), Value::from(row.bucket.clone())),
        ("region".to_owned(), Value::from(row.region.clone())),
    ]);
    if let Some(endpoint) = &row.endpoint {
        config.insert("endpoint".into(), Value::from(endpoint.clone()));
    }
    config.insert("origin".into(), Value::from(row.origin.clone()));
    ObjectStorageInfo {
        storage_id: row.id.to_string(),
        name: row.name.clone(),
        storage_type: row.storage_type.clone(),
        storage_config: config,
    }
}

/// Removes a storage nothing reads any more; its saved connection stays with the others.
pub async fn remove(state: &AppState, key: &str) -> ApiResult<Removed> {
    let storage = find(state, key).await?;
    let users = store::ailake::storage_users(&state.pool, storage.id).await?;
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!(
            "object storage '{}' is still used by {}; delete those first",
            storage.name,
            users.join(", ")
        )));
    }
    store::ailake::delete_storage(&state.pool, storage.id).await?;
    Ok(Removed {
        status: "deleted".into(),
        id: storage.id.to_string(),
    })
}

pub async fn find(state: &AppState, key: &str) -> ApiResult<StorageRow> {
    store::ailake::find_storage(&state.pool, key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("object storage '{key}' does not exist")))
}
