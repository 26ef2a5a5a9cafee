//! The OFFLINE table config of seed 000: `tableName`, `segmentsConfig`, and the task block that describes the source.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The task types whose block describes where a table's data comes from.
pub const SYNC_TASK_TYPES: [&str; 2] = ["ExternalTableSyncTask", "IcebergIngestionTask"];
pub const DEFAULT_SYNC_TASK: &str = "ExternalTableSyncTask";
/// Every five minutes, in the Quartz form the seeds use.
pub const DEFAULT_SCHEDULE: &str = "0 */5 * * * ?";
pub const OFFLINE_SUFFIX: &str = "_OFFLINE";

/// A task block: string keys to string values, as Pinot keeps them. Numbers and
/// booleans are accepted and kept as their text, so `"enabled": false` works too.
pub type TaskParams = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskConfig {
    #[serde(default, deserialize_with = "task_map")]
    pub task_type_configs_map: BTreeMap<String, TaskParams>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentsConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_column_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableConfig {
    pub table_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_type: Option<String>,
    #[serde(default)]
    pub segments_config: SegmentsConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskConfig>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TableConfig {
    /// The table name without its type suffix: the name SQL uses.
    pub fn raw_name(&self) -> &str {
        self.table_name
            .strip_suffix(OFFLINE_SUFFIX)
            .unwrap_or(&self.table_name)
    }

    pub fn name_with_type(&self) -> String {
        format!("{}{OFFLINE_SUFFIX}", self.raw_name())
    }

    /// The sync task block and its type, or a 400 that says what is missing.
    pub fn sync_task(&self) -> Result<(&str, &TaskParams), ApiError> {
        let map = self.task.as_ref().map(|t| &t.task_type_configs_map);
        map.and_then(|m| {
            SYNC_TASK_TYPES
                .iter()
                .find_map(|t| m.get_key_value(*t).map(|(k, v)| (k.as_str(), v)))
        })
        .ok_or_else(|| {
            ApiError::invalid(
                "tableConfig.task.taskTypeConfigsMap",
                "needs an ExternalTableSyncTask (or IcebergIngestionTask) block describing the source",
            )
        })
    }

    pub fn sync_task_mut(&mut self) -> Option<&mut TaskParams> {
        let map = &mut self.task.as_mut()?.task_type_configs_map;
        let key = SYNC_TASK_TYPES.iter().find(|t| map.contains_key(**t))?;
        map.get_mut(*key)
    }

    /// Whether nulls are kept as nulls (`tableIndexConfig.nullHandlingEnabled`,
    /// on unless turned off) or replaced by each field's default value.
    pub fn null_handling_enabled(&self) -> bool {
        self.extra
            .get("tableIndexConfig")
            .and_then(|c| c.get("nullHandlingEnabled"))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// Checks what every table needs, naming the field that is wrong.
    pub fn validate_common(&self) -> Result<(), ApiError> {
        let null_handling = self
            .extra
            .get("tableIndexConfig")
            .and_then(|c| c.get("nullHandlingEnabled"));
        if let Some(value) = null_handling
            && !value.is_boolean()
        {
            return Err(ApiError::invalid(
                "tableIndexConfig.nullHandlingEnabled",
                format!("must be true or false, not {value}"),
            ));
        }
        let push_type = self
            .extra
            .get("ingestionConfig")
            .and_then(|c| c.get("batchIngestionConfig"))
            .and_then(|c| c.get("segmentIngestionType"));
        if let Some(value) = push_type
            && value.as_str().map(str::to_ascii_uppercase).as_deref() != Some("APPEND")
        {
            return Err(ApiError::invalid(
                "ingestionConfig.batchIngestionConfig.segmentIngestionType",
                format!(
                    "{value} is not supported: external tables append a segment per new source file; use \"APPEND\""
                ),
            ));
        }
        let raw = self.raw_name();
        if raw.is_empty() {
            return Err(ApiError::invalid("tableName", "must not be empty"));
        }
        if !crate::model::schema::valid_identifier(raw) {
            return Err(ApiError::invalid(
                "tableName",
                format!(
                    "'{raw}' may contain only letters, digits and '_', and must not start with a digit"
                ),
            ));
        }
        match self.table_type.as_deref() {
            None | Some("OFFLINE") => {}
            Some(other) => {
                return Err(ApiError::invalid(
                    "tableType",
                    format!("'{other}' is not supported for external tables; use OFFLINE"),
                ));
            }
        }
        if self.table_name.ends_with("_REALTIME") {
            return Err(ApiError::invalid(
                "tableName",
                "external tables are OFFLINE tables; drop the _REALTIME suffix",
            ));
        }
        Ok(())
    }
}

/// Whether a task parameter holds a secret that must be encrypted and masked.
pub fn is_secret_param(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    matches!(
        last.as_str(),
        "secretkey"
            | "secret-access-key"
            | "secretaccesskey"
            | "session-token"
            | "sessiontoken"
            | "token"
            | "credential"
            | "password"
    )
}

pub const SECRET_MASK: &str = "*****";

/// A parameter value as the text Pinot keeps: strings as they are, numbers and
/// booleans as written, null as empty; objects and arrays are refused.
pub fn param_text(key: &str, value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(format!(
            "parameter '{key}' must be a string, number or boolean, not {other}"
        )),
    }
}

fn task_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, TaskParams>, D::Error> {
    let raw: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::deserialize(deserializer)?;
    raw.into_iter()
        .map(|(task, params)| {
            let params = params
                .into_iter()
                .map(|(k, v)| {
                    param_text(&k, v)
                        .map(|text| (k, text))
                        .map_err(serde::de::Error::custom)
                })
                .collect::<Result<TaskParams, D::Error>>()?;
            Ok((task, params))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_params_accept_booleans_as_text() {
        let config: TableConfig = serde_json::from_value(serde_json::json!({
            "tableName": "t_OFFLINE",
            "task": {"taskTypeConfigsMap": {"ExternalTableSyncTask": {"enabled": false, "catalogType": "s3"}}}
        }))
        .unwrap();
        let (kind, params) = config.sync_task().unwrap();
        assert_eq!(kind, "ExternalTableSyncTask");
        assert_eq!(params["enabled"], "false");
        assert_eq!(config.raw_name(), "t");
    }

    #[test]
    fn secret_params_are_recognised_by_their_last_segment() {
        assert!(is_secret_param("catalog.s3.secretKey"));
        assert!(is_secret_param(
            "catalog.iceberg-rest.rest.secret-access-key"
        ));
        assert!(!is_secret_param("catalog.s3.accessKey"));
    }
}
