//! The table config of seeds 000 and 003: `tableName`, `tableType` (OFFLINE, or REALTIME with a
//! stream block), `segmentsConfig`, and the task blocks (the source's sync, DataExportTask).
//! Keys Lakeport does not read are kept as they came (`extra`), so a config round-trips unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::Invalid;
use crate::rules::{
    DEFAULT_FLUSH_ROWS, DEFAULT_FLUSH_TIME, HTTP_STREAM_TYPE, OFFLINE_SUFFIX, REALTIME_SUFFIX,
    SYNC_TASK_TYPES, identifier_problem, parse_period,
};

/// OFFLINE tables are synced from a lake source; REALTIME tables take rows pushed over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableType {
    Offline,
    Realtime,
}

impl TableType {
    pub fn as_str(self) -> &'static str {
        match self {
            TableType::Offline => "OFFLINE",
            TableType::Realtime => "REALTIME",
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            TableType::Offline => OFFLINE_SUFFIX,
            TableType::Realtime => REALTIME_SUFFIX,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "OFFLINE" => Some(TableType::Offline),
            "REALTIME" => Some(TableType::Realtime),
            _ => None,
        }
    }

    /// The type a name's suffix says, if it has one.
    pub fn of_name(name: &str) -> Option<Self> {
        if name.ends_with(OFFLINE_SUFFIX) {
            Some(TableType::Offline)
        } else if name.ends_with(REALTIME_SUFFIX) {
            Some(TableType::Realtime)
        } else {
            None
        }
    }
}

/// `name`, `name_OFFLINE` or `name_REALTIME` → `name`: the name SQL uses.
pub fn strip_type_suffix(name: &str) -> &str {
    name.strip_suffix(OFFLINE_SUFFIX)
        .or_else(|| name.strip_suffix(REALTIME_SUFFIX))
        .unwrap_or(name)
}

/// A REALTIME table's stream block, `tableIndexConfig.streamConfigs`, as Lakeport reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSettings {
    /// `realtime.segment.flush.threshold.rows`: the consuming segment seals at this many rows.
    pub flush_rows: u64,
    /// `realtime.segment.flush.threshold.time`: or when its oldest row is this old.
    pub flush_time_ms: u64,
}

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
        strip_type_suffix(&self.table_name)
    }

    /// `tableType` when given, else what the name's suffix says, else OFFLINE. Call
    /// [`Self::validate_common`] first: it refuses a type and a suffix that disagree.
    pub fn table_type(&self) -> TableType {
        self.table_type
            .as_deref()
            .and_then(TableType::parse)
            .or_else(|| TableType::of_name(&self.table_name))
            .unwrap_or(TableType::Offline)
    }

    pub fn name_with_type(&self) -> String {
        format!("{}{}", self.raw_name(), self.table_type().suffix())
    }

    /// A REALTIME table's stream settings, or what is wrong with them. Only rows pushed over
    /// HTTP are a stream Lakeport takes, so `streamType` must be `http`.
    pub fn stream_settings(&self) -> Result<StreamSettings, Invalid> {
        const AT: &str = "tableIndexConfig.streamConfigs";
        let block = self
            .extra
            .get("tableIndexConfig")
            .and_then(|c| c.get("streamConfigs"))
            .ok_or_else(|| {
                Invalid::new(
                    AT,
                    format!("a REALTIME table needs a stream block with \"streamType\": \"{HTTP_STREAM_TYPE}\" (rows pushed to POST /ingest/{{table}})"),
                )
            })?;
        let block = block
            .as_object()
            .ok_or_else(|| Invalid::new(AT, "must be an object of string settings"))?;
        let text = |key: &str| -> Result<Option<String>, Invalid> {
            match block.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => param_text(key, value.clone())
                    .map(Some)
                    .map_err(|m| Invalid::new(format!("{AT}.{key}"), m)),
            }
        };
        match text("streamType")?.as_deref() {
            Some(HTTP_STREAM_TYPE) => {}
            other => {
                return Err(Invalid::new(
                    format!("{AT}.streamType"),
                    format!(
                        "{} is not supported; the supported stream type is \"{HTTP_STREAM_TYPE}\" (rows pushed to POST /ingest/{{table}})",
                        other.map_or_else(
                            || "a missing stream type".to_owned(),
                            |t| format!("'{t}'")
                        )
                    ),
                ));
            }
        }
        let rows_key = "realtime.segment.flush.threshold.rows";
        let flush_rows = match text(rows_key)? {
            None => DEFAULT_FLUSH_ROWS,
            Some(rows) => rows
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|r| *r > 0)
                .ok_or_else(|| {
                    Invalid::new(
                        format!("{AT}.{rows_key}"),
                        format!("'{rows}' is not a positive number of rows"),
                    )
                })?,
        };
        let time_key = "realtime.segment.flush.threshold.time";
        let time = text(time_key)?.unwrap_or_else(|| DEFAULT_FLUSH_TIME.to_owned());
        let flush_time_ms = parse_period(&time)
            .ok()
            .filter(|ms| *ms > 0)
            .ok_or_else(|| {
                Invalid::new(
                    format!("{AT}.{time_key}"),
                    format!("'{time}' is not a period above zero: use e.g. '6h', '30m', '10s'"),
                )
            })?;
        Ok(StreamSettings {
            flush_rows,
            flush_time_ms,
        })
    }

    /// A task block by type, if the config has one.
    pub fn task_params(&self, task_type: &str) -> Option<&TaskParams> {
        self.task.as_ref()?.task_type_configs_map.get(task_type)
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
        let declared = match self.table_type.as_deref() {
            None => None,
            Some(text) => Some(TableType::parse(text).ok_or_else(|| {
                Invalid::new(
                    "tableType",
                    format!("'{text}' is not a table type; use OFFLINE or REALTIME"),
                )
            })?),
        };
        if let (Some(declared), Some(suffix)) = (declared, TableType::of_name(&self.table_name))
            && declared != suffix
        {
            return Err(Invalid::new(
                "tableName",
                format!(
                    "'{}' ends in {} but tableType is {}; name it {}{}",
                    self.table_name,
                    suffix.suffix(),
                    declared.as_str(),
                    self.raw_name(),
                    declared.suffix()
                ),
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

    fn config(value: Value) -> TableConfig {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn table_types_come_from_the_type_or_the_suffix_and_must_agree() {
        let realtime = config(serde_json::json!({"tableName": "ev", "tableType": "REALTIME"}));
        assert_eq!(realtime.table_type(), TableType::Realtime);
        assert_eq!(realtime.name_with_type(), "ev_REALTIME");
        let by_suffix = config(serde_json::json!({"tableName": "ev_REALTIME"}));
        assert_eq!(by_suffix.name_with_type(), "ev_REALTIME");
        assert_eq!(by_suffix.raw_name(), "ev");
        assert_eq!(
            config(serde_json::json!({"tableName": "ev"})).name_with_type(),
            "ev_OFFLINE"
        );
        let clash = config(serde_json::json!({"tableName": "ev_REALTIME", "tableType": "OFFLINE"}));
        assert!(
            clash
                .validate_common()
                .unwrap_err()
                .message
                .contains("ends in _REALTIME but tableType is OFFLINE")
        );
        let unknown = config(serde_json::json!({"tableName": "ev", "tableType": "HYBRID"}));
        assert_eq!(unknown.validate_common().unwrap_err().field, "tableType");
    }

    #[test]
    fn stream_settings_take_pinot_keys_and_defaults() {
        let with = |streams: Value| {
            config(serde_json::json!({"tableName": "ev_REALTIME", "tableIndexConfig": {"streamConfigs": streams}}))
                .stream_settings()
        };
        assert_eq!(
            with(serde_json::json!({"streamType": "http"})).unwrap(),
            StreamSettings {
                flush_rows: DEFAULT_FLUSH_ROWS,
                flush_time_ms: 6 * 3_600_000
            }
        );
        assert_eq!(
            with(serde_json::json!({"streamType": "http", "realtime.segment.flush.threshold.rows": 1000, "realtime.segment.flush.threshold.time": "10s"})).unwrap(),
            StreamSettings { flush_rows: 1000, flush_time_ms: 10_000 }
        );
        let kafka = with(serde_json::json!({"streamType": "kafka"})).unwrap_err();
        assert_eq!(kafka.field, "tableIndexConfig.streamConfigs.streamType");
        assert!(
            kafka
                .message
                .contains("'kafka' is not supported; the supported stream type is \"http\""),
            "{}",
            kafka.message
        );
        let rows = with(
            serde_json::json!({"streamType": "http", "realtime.segment.flush.threshold.rows": "0"}),
        )
        .unwrap_err();
        assert!(rows.message.contains("not a positive number"));
        let time = with(serde_json::json!({"streamType": "http", "realtime.segment.flush.threshold.time": "soon"})).unwrap_err();
        assert!(time.message.contains("not a period"));
        let missing = config(serde_json::json!({"tableName": "ev_REALTIME"}))
            .stream_settings()
            .unwrap_err();
        assert_eq!(missing.field, "tableIndexConfig.streamConfigs");
    }

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
