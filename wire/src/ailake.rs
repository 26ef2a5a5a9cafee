//! The AI Lake API (`/api/v1/ailake`, seed 004 and AILAKE-API.md): object storages,
//! database instances, pipe tables, long operations, in JSON:API envelopes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where every AI Lake path sits.
pub const AILAKE_PREFIX: &str = "/api/v1/ailake";
/// The caller's name for an operation, and the answer's.
pub const OPERATION_ID_HEADER: &str = "operation-id";
/// Where the answer says the operation can be polled.
pub const OPERATION_LOCATION_HEADER: &str = "operation-location";
pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 500;
/// `pollingIntervalSeconds` 0 or null means this many.
pub const DEFAULT_POLLING_INTERVAL_SECS: u32 = 300;

/// One JSON:API resource: `{"id", "type", "attributes"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resource<T> {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub attributes: T,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Links {
    #[serde(rename = "self")]
    pub self_link: String,
}

/// `meta.page`: the page asked for, and the totals when `metaInclude=page`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    pub number: u32,
    pub size: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_elements: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListMeta {
    pub page: PageMeta,
}

/// A list answer: `{"data": [...], "links": {"self"}, "meta": {"page": ...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceList<T> {
    pub data: Vec<Resource<T>>,
    pub links: Links,
    pub meta: ListMeta,
}

/// A single-resource answer: `{"data": {...}, "links": {"self"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceOne<T> {
    pub data: Resource<T>,
    pub links: Links,
}

/// `page`, `size` and `metaInclude` of a list call, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    /// Zero-based page number (default 0).
    pub page: Option<String>,
    /// Items per page, 1–500 (default 50).
    pub size: Option<String>,
    /// `page` adds `totalElements` and `totalPages`.
    pub meta_include: Option<String>,
}

/// A page request that passed the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub size: u32,
    pub with_totals: bool,
}

impl PageQuery {
    /// Checks the numbers: the error names the parameter and its range.
    pub fn page(&self) -> Result<Page, crate::Invalid> {
        let number = match self.page.as_deref() {
            None | Some("") => 0,
            Some(text) => text.parse::<u32>().map_err(|_| {
                crate::Invalid::new("page", format!("'{text}' is not a page number (0 or more)"))
            })?,
        };
        let size = match self.size.as_deref() {
            None | Some("") => DEFAULT_PAGE_SIZE,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
                _ => {
                    return Err(crate::Invalid::new(
                        "size",
                        format!("'{text}' is not a page size: use 1 to {MAX_PAGE_SIZE}"),
                    ));
                }
            },
        };
        let with_totals = self
            .meta_include
            .as_deref()
            .unwrap_or("")
            .split(',')
            .any(|part| part.trim() == "page");
        Ok(Page {
            number,
            size,
            with_totals,
        })
    }
}

/// `GET /objectStorages`: a named S3 (or S3-compatible) storage. Credentials are never returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ObjectStorageInfo {
    pub storage_id: String,
    pub name: String,
    pub storage_type: String,
    /// `bucket`, `region`, `endpoint`, `pathStyle`.
    pub storage_config: BTreeMap<String, Value>,
}

/// Lakeport's own call to register a storage (the public API only lists them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterObjectStorage {
    pub name: String,
    /// `S3` (the default) for AWS S3 or any S3-compatible server.
    #[serde(default)]
    pub storage_type: Option<String>,
    pub bucket: String,
    #[serde(default)]
    pub region: Option<String>,
    /// An S3-compatible endpoint (`https://minio.example:9000`); none means AWS.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Sealed at rest, never returned.
    #[serde(default)]
    pub secret_access_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProvisionDatabaseInstanceRequest {
    pub name: String,
    pub storage_ids: Vec<String>,
    #[serde(default)]
    pub data_source_id: Option<String>,
    #[serde(default)]
    pub data_source_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataSourceRef {
    pub id: String,
    pub data_source_id: String,
    pub data_source_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DatabaseInstance {
    pub id: String,
    pub name: String,
    pub storage_ids: Vec<String>,
    pub data_sources: Vec<DataSourceRef>,
}

/// How rows with equal keys are kept (StarRocks' table models).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    /// Every row.
    Duplicate,
    /// Rows with equal keys merged with each column's function.
    Aggregate,
    /// The most recently loaded row per key.
    Unique,
    /// One row per key, the most recently loaded.
    Primary,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KeyConfig {
    #[serde(rename = "type")]
    pub key_type: KeyType,
    /// Default: the first inferred column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum DistributionConfig {
    Hash {
        columns: Vec<String>,
        #[serde(default = "one")]
        buckets: u32,
    },
    Random {
        #[serde(default = "one")]
        buckets: u32,
    },
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum PartitionConfig {
    Column {
        columns: Vec<String>,
    },
    DateTrunc {
        column: String,
        unit: String,
    },
    TimeSlice {
        column: String,
        unit: String,
        slices: u32,
    },
}

/// The units `dateTrunc` and `timeSlice` take.
pub const TIME_UNITS: [&str; 10] = [
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
];

/// Builds a sketch column from a source column (`<function>(<column>) AS <key>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnExpression {
    pub column: String,
    pub function: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatePipeTableRequest {
    pub path_prefix: String,
    pub source_storage_name: String,
    pub table_name: String,
    #[serde(default)]
    pub key_config: Option<KeyConfig>,
    #[serde(default)]
    pub aggregation_overrides: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub column_expressions: Option<BTreeMap<String, ColumnExpression>>,
    #[serde(default)]
    pub column_overrides: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub distribution_config: Option<DistributionConfig>,
    #[serde(default)]
    pub partition_config: Option<PartitionConfig>,
    #[serde(default)]
    pub max_varchar_length: Option<i32>,
    #[serde(default)]
    pub polling_interval_seconds: Option<i32>,
    #[serde(default)]
    pub table_properties: Option<BTreeMap<String, String>>,
}

/// A column of a pipe table, with its SQL type (`VARCHAR(200)`, `BIGINT`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipeColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub sql_type: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PipeTableSummary {
    pub pipe_table_id: String,
    pub table_name: String,
    pub path_prefix: String,
    pub columns: Vec<PipeColumn>,
}

/// `GET …/pipeTables/{tableName}`: the summary's fields, then the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PipeTable {
    #[serde(flatten)]
    pub summary: PipeTableSummary,
    pub database_name: String,
    pub key_config: KeyConfig,
    pub distribution_config: DistributionConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_config: Option<PartitionConfig>,
    /// The Hive folders of the path (`year=2024/`), which became columns.
    pub partition_columns: Vec<String>,
    pub polling_interval_seconds: u32,
    pub source_storage_name: String,
    pub table_properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aggregation_overrides: BTreeMap<String, String>,
    /// Lakeport's table behind the pipe (its syncs, files and segments).
    pub table_name_with_type: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RefreshPartitionRequest {
    pub partition_spec: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeStatisticsRequest {
    #[serde(default)]
    pub table_names: Option<Vec<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OperationStatus {
    Pending,
    Succeeded,
    Failed,
}

impl OperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What went wrong, as an HTTP problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationError {
    pub status: u16,
    pub title: String,
    pub detail: String,
}

/// `GET /operations/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Operation {
    pub id: String,
    pub kind: String,
    pub status: OperationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<OperationError>,
}

/// The operation kinds of the contract.
pub mod kinds {
    pub const PROVISION_DATABASE: &str = "provision-database";
    pub const DEPROVISION_DATABASE: &str = "deprovision-database";
    pub const RUN_SERVICE_COMMAND: &str = "run-service-command";
    pub const CREATE_PIPE_TABLE: &str = "create-pipe-table";
    pub const DELETE_PIPE_TABLE: &str = "delete-pipe-table";
    pub const ANALYZE_STATISTICS: &str = "analyze-statistics";
    pub const REFRESH_PARTITION: &str = "refresh-partition";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_rules() {
        let page = |p: Option<&str>, s: Option<&str>| {
            PageQuery {
                page: p.map(str::to_owned),
                size: s.map(str::to_owned),
                meta_include: Some("page".into()),
            }
            .page()
        };
        assert_eq!(
            page(None, None).unwrap(),
            Page {
                number: 0,
                size: 50,
                with_totals: true
            }
        );
        assert_eq!(page(Some("3"), Some("500")).unwrap().size, 500);
        assert_eq!(page(None, Some("501")).unwrap_err().field, "size");
        assert_eq!(page(None, Some("0")).unwrap_err().field, "size");
        assert_eq!(page(Some("-1"), None).unwrap_err().field, "page");
    }

    #[test]
    fn key_and_partition_configs_read_the_contract_spelling() {
        let key: KeyConfig =
            serde_json::from_str(r#"{"type":"aggregate","columns":["id"]}"#).unwrap();
        assert_eq!(key.key_type, KeyType::Aggregate);
        let partition: PartitionConfig =
            serde_json::from_str(r#"{"type":"dateTrunc","column":"ts","unit":"day"}"#).unwrap();
        assert!(matches!(partition, PartitionConfig::DateTrunc { .. }));
        let distribution: DistributionConfig =
            serde_json::from_str(r#"{"type":"random"}"#).unwrap();
        assert_eq!(distribution, DistributionConfig::Random { buckets: 1 });
    }

    #[test]
    fn a_pipe_table_carries_the_summary_fields_at_the_top() {
        let table = PipeTable {
            summary: PipeTableSummary {
                pipe_table_id: "p1".into(),
                table_name: "orders".into(),
                path_prefix: "orders/".into(),
                columns: vec![PipeColumn {
                    name: "id".into(),
                    sql_type: "BIGINT".into(),
                }],
            },
            database_name: "sales".into(),
            key_config: KeyConfig {
                key_type: KeyType::Duplicate,
                columns: None,
            },
            distribution_config: DistributionConfig::Random { buckets: 1 },
            partition_config: None,
            partition_columns: vec![],
            polling_interval_seconds: DEFAULT_POLLING_INTERVAL_SECS,
            source_storage_name: "lake".into(),
            table_properties: BTreeMap::new(),
            aggregation_overrides: BTreeMap::new(),
            table_name_with_type: "sales.orders_OFFLINE".into(),
        };
        let json = serde_json::to_value(&table).unwrap();
        assert_eq!(json["pipeTableId"], "p1");
        assert_eq!(json["columns"][0]["type"], "BIGINT");
        assert_eq!(json["databaseName"], "sales");
        assert!(json.get("summary").is_none(), "{json}");
        assert_eq!(serde_json::from_value::<PipeTable>(json).unwrap(), table);
    }
}
