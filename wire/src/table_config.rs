//! The OFFLINE table config of seed 000: `tableName`, `segmentsConfig`, and the task block that describes the source.
//! Keys Lakeport does not read are kept as they came (`extra`), so a config round-trips unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::Invalid;
use crate::rules::{OFFLINE_SUFFIX, SYNC_TASK_TYPES, identifier_problem};

/// A task block: string keys to string values, as Pinot keeps them. Numbers and
/// booleans are accepted and kept as their text, so `"enabled": false` works too.
pub type TaskParams = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TaskConfig {
    #[serde(default, deserialize_with = "task_map")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, BTreeMap<String, String>>))]
    pub task_type_configs_map: BTreeMap<String, TaskParams>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SegmentsConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_column_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_name: Option<String>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TableConfig {
    pub table_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_type: Option<String>,
    #[serde(default)]
    pub segments_config: SegmentsConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskConfig>,
    /// `tableIndexConfig`, `ingestionConfig`, `tenants`, `metadata` and any other key, as sent.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
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

    /// The sync task block and its type, or what is missing.
    pub fn sync_task(&self) -> Result<(&str, &TaskParams), Invalid> {
        let map = self.task.as_ref().map(|t| &t.task_type_configs_map);
        map.and_then(|m| {
            SYNC_TASK_TYPES
                .iter()
                .find_map(|t| m.get_key_value(*t).map(|(k, v)| (k.as_str(), v)))
        })
        .ok_or_else(|| {
            Invalid::new(
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
    pub fn validate_common(&self) -> Result<(), Invalid> {
        let null_handling = self
            .extra
            .get("tableIndexConfig")
            .and_then(|c| c.get("nullHandlingEnabled"));
        if let Some(value) = null_handling
            && !value.is_boolean()
        {
            return Err(Invalid::new(
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
            return Err(Invalid::new(
                "ingestionConfig.batchIngestionConfig.segmentIngestionType",
                format!(
                    "{value} is not supported: external tables append a segment per new source file; use \"APPEND\""
                ),
            ));
        }
        if let Some(problem) = identifier_problem(self.raw_name()) {
            return Err(Invalid::new("tableName", problem));
        }
        match self.table_type.as_deref() {
            None | Some("OFFLINE") => {}
            Some(other) => {
                return Err(Invalid::new(
                    "tableType",
                    format!("'{other}' is not supported for external tables; use OFFLINE"),
                ));
            }
        }
        if self.table_name.ends_with("_REALTIME") {
            return Err(Invalid::new(
                "tableName",
                "external tables are OFFLINE tables; drop the _REALTIME suffix",
            ));
        }
        Ok(())
    }
}

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

/// Deserialises a parameter map with [`param_text`]'s leniency.
pub fn string_params<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TaskParams, D::Error> {
    let raw: BTreeMap<String, Value> = BTreeMap::deserialize(deserializer)?;
    raw.into_iter()
        .map(|(k, v)| {
            param_text(&k, v)
                .map(|text| (k, text))
                .map_err(serde::de::Error::custom)
        })
        .collect()
}

fn task_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, TaskParams>, D::Error> {
    #[derive(Deserialize)]
    struct Params(#[serde(deserialize_with = "string_params")] TaskParams);
    let raw: BTreeMap<String, Params> = BTreeMap::deserialize(deserializer)?;
    Ok(raw.into_iter().map(|(task, p)| (task, p.0)).collect())
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
        let nested = serde_json::from_value::<TableConfig>(serde_json::json!({
            "tableName": "t",
            "task": {"taskTypeConfigsMap": {"ExternalTableSyncTask": {"x": {"a": 1}}}}
        }));
        assert!(nested.unwrap_err().to_string().contains("parameter 'x'"));
    }
}
