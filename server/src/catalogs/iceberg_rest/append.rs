//! Appending Parquet files to an Iceberg table through its REST catalog: the checks a target
//! must pass before anything is written, uploads that describe themselves as Iceberg data
//! files, and one snapshot per batch whose outcome is always known or said to be unknown.

mod catalog;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use iceberg::io::FileIO;
use iceberg::spec::{
    DataContentType, DataFile, DataFileBuilder, DataFileFormat, FormatVersion, StructType,
    TableMetadata, TableProperties, deserialize_data_file_from_json, serialize_data_file_to_json,
};
use iceberg::transaction::{ApplyTransactionAction, Transaction};
use iceberg::{Error, ErrorKind};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::client::{CommitFailure, RestClient};
use super::metrics;
use super::table::{Access, LoadedTable, load_with};
use crate::catalogs::outbound::OutboundPolicy;
use crate::catalogs::params::S3Spec;
use crate::catalogs::{CatalogError, CatalogResult};
use catalog::CommitCatalog;

/// The snapshot summary property that names the batch a snapshot appended.
pub const COMMIT_ID_PROPERTY: &str = "lakeport.commit-id";

/// Attempts per commit when the catalog answers 409 (the table moved on since it was loaded).
const COMMIT_ATTEMPTS: u32 = 5;

/// Uploads go out in parts of this size (S3 multipart parts must be at least 5 MiB).
const UPLOAD_CHUNK: usize = 8 * 1024 * 1024;

/// A data file uploaded below the table's location, not yet part of any snapshot.
/// Serialisable as is, so a batch can wait in a database until it is committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StagedDataFile {
    /// Where the file is: `<table location>/data/<file name>`.
    pub path: String,
    pub record_count: u64,
    pub file_size_in_bytes: u64,
    /// The table the file was written for; a table dropped and re-created is another table.
    pub table_uuid: String,
    /// The schema the file was written with (its column metrics are keyed by its field ids).
    pub schema_id: i32,
    /// The Iceberg `DataFile` (path, format, counts, column sizes and bounds), as iceberg-rust serialises it.
    pub data_file: Value,
}

/// How a commit ended, when it did not plainly fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The files are in the table, in snapshot `snapshot_id`; `already` when an earlier
    /// attempt with the same commit id had put them there and nothing new was appended.
    Committed { snapshot_id: i64, already: bool },
    /// The commit was sent and no definite answer came back: it may or may not be in the
    /// table. Settle it with `find_commit`, never by appending the files again blindly.
    Unknown { reason: String },
}

/// An unpartitioned Parquet Iceberg table that files can be appended to.
pub struct AppendTarget {
    client: Arc<RestClient>,
    namespace: Vec<String>,
    name: String,
    storage: Option<S3Spec>,
    policy: OutboundPolicy,
    table_uuid: String,
    location: String,
    format_version: FormatVersion,
    schema: iceberg::spec::SchemaRef,
    arrow_schema: SchemaRef,
    /// The table as last loaded: its FileIO carries the credentials uploads use.
    loaded: tokio::sync::Mutex<LoadedTable>,
}

impl AppendTarget {
    /// Loads the table and checks, before anything is written, that it can take appends.
    pub(super) async fn open(
        client: Arc<RestClient>,
        namespace: Vec<String>,
        name: String,
        storage: Option<S3Spec>,
        policy: OutboundPolicy,
    ) -> CatalogResult<Self> {
        let loaded = load_target(&client, &namespace, &name, storage.as_ref(), &policy).await?;
        let table_name = qualified(&namespace, &name);
        let metadata = loaded.table.metadata();
        check_appendable(&table_name, metadata)?;
        let schema = metadata.current_schema().clone();
        let arrow_schema = iceberg::arrow::schema_to_arrow_schema(&schema).map_err(|e| {
            CatalogError::InvalidConfig(format!(
                "the schema of table {table_name} has no Arrow form Lakeport can write: {e}"
            ))
        })?;
        Ok(Self {
            table_uuid: metadata.uuid().to_string(),
            location: metadata.location().trim_end_matches('/').to_owned(),
            format_version: metadata.format_version(),
            schema,
            arrow_schema: Arc::new(arrow_schema),
            loaded: tokio::sync::Mutex::new(loaded),
            client,
            namespace,
            name,
            storage,
            policy,
        })
    }

    /// `namespace.table`.
    pub fn table_name(&self) -> String {
        qualified(&self.namespace, &self.name)
    }

    /// The table's location (`s3://bucket/...`, no trailing slash).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The Arrow schema of the table's current Iceberg schema, each field carrying its
    /// `PARQUET:field_id`. Files given to `upload_data_file` must be written with it.
    pub fn arrow_schema(&self) -> SchemaRef {
        self.arrow_schema.clone()
    }

    /// Where `upload_data_file` puts a file of this name.
    pub fn data_file_path(&self, file_name: &str) -> String {
        format!("{}/data/{file_name}", self.location)
    }

    /// Uploads a local Parquet file (written with `arrow_schema`) to
    /// `<location>/data/<file_name>` and describes it as an Iceberg data file. The same name
    /// always lands at the same path, so uploading again replaces the file rather than
    /// adding a copy. Nothing is visible in the table until `commit`.
    pub async fn upload_data_file(
        &self,
        file_name: &str,
        local_parquet: &Path,
    ) -> CatalogResult<StagedDataFile> {
        check_file_name(file_name)?;
        let local = local_parquet.to_owned();
        let (footer, size) = tokio::task::spawn_blocking(move || read_footer(&local))
            .await
            .map_err(|e| CatalogError::Transient(format!("reading the Parquet footer: {e}")))??;
        let shown = local_parquet.display().to_string();
        metrics::check_columns(&self.schema, &self.arrow_schema, &footer, &shown)?;
        let path = self.data_file_path(file_name);
        let file_io = self.file_io().await?;
        upload(&file_io, local_parquet, &path, size).await?;

        let data_file = self.data_file(&footer, &path, size)?;
        let json =
            serialize_data_file_to_json(data_file, &StructType::new(vec![]), self.format_version)
                .map_err(|e| CatalogError::BadData(format!("describing {path}: {e}")))?;
        Ok(StagedDataFile {
            path,
            record_count: footer.file_metadata().num_rows().max(0) as u64,
            file_size_in_bytes: size,
            table_uuid: self.table_uuid.clone(),
            schema_id: self.schema.schema_id(),
            data_file: serde_json::from_str(&json)
                .map_err(|e| CatalogError::BadData(format!("describing the data file: {e}")))?,
        })
    }

    fn data_file(
        &self,
        footer: &ParquetMetaData,
        path: &str,
        size: u64,
    ) -> CatalogResult<DataFile> {
        let metrics = metrics::from_footer(&self.schema, footer);
        let mut builder = DataFileBuilder::default();
        builder
            .content(DataContentType::Data)
            .file_path(path.to_owned())
            .file_format(DataFileFormat::Parquet)
            .record_count(footer.file_metadata().num_rows().max(0) as u64)
            .file_size_in_bytes(size)
            .column_sizes(metrics.column_sizes)
            .value_counts(metrics.value_counts)
            .null_value_counts(metrics.null_value_counts)
            .lower_bounds(metrics.lower_bounds)
            .upper_bounds(metrics.upper_bounds)
            .split_offsets(metrics.split_offsets);
        builder
            .build()
            .map_err(|e| CatalogError::BadData(format!("describing {path}: {e}")))
    }

    /// Appends every file in ONE snapshot whose summary carries `lakeport.commit-id =
    /// commit_id`. Idempotent per commit id: if a snapshot with it is already in the table,
    /// nothing is appended and that snapshot is returned. A 409 (the table moved on)
    /// reloads and tries again, a few times; an answer that leaves the outcome open is
    /// returned as `Unknown` and never retried here.
    pub async fn commit(
        &self,
        files: &[StagedDataFile],
        commit_id: &str,
    ) -> CatalogResult<CommitOutcome> {
        let table_name = self.table_name();
        check_commit(files, commit_id, &table_name)?;
        let catalog = CommitCatalog::new(self);
        for attempt in 1..=COMMIT_ATTEMPTS {
            let loaded = self.reload().await?;
            let table = loaded.table.clone();
            *self.loaded.lock().await = loaded;
            let metadata = table.metadata();
            if let Some(snapshot_id) = snapshot_with(metadata, commit_id) {
                return Ok(CommitOutcome::Committed {
                    snapshot_id,
                    already: true,
                });
            }
            check_appendable(&table_name, metadata)?;
            let data_files = files
                .iter()
                .map(|file| self.to_data_file(file, metadata))
                .collect::<CatalogResult<Vec<_>>>()?;
            let tx = Transaction::new(&table);
            let tx = tx
                .fast_append()
                .add_data_files(data_files)
                .set_snapshot_properties(HashMap::from([(
                    COMMIT_ID_PROPERTY.to_owned(),
                    commit_id.to_owned(),
                )]))
                .apply(tx)
                .map_err(|e| iceberg_error(&format!("preparing the commit to {table_name}"), e))?;
            catalog.begin(table);
            match tx.commit(&catalog).await {
                Ok(committed) => {
                    let snapshot_id = snapshot_with(committed.metadata(), commit_id)
                        .or_else(|| committed.metadata().current_snapshot_id())
                        .ok_or_else(|| {
                            CatalogError::BadData(format!(
                                "the catalog accepted the commit to {table_name} but its answer has no snapshot"
                            ))
                        })?;
                    return Ok(CommitOutcome::Committed {
                        snapshot_id,
                        already: false,
                    });
                }
                Err(err) => match catalog.failure() {
                    Some(CommitFailure::Conflict(why)) if attempt < COMMIT_ATTEMPTS => {
                        tracing::info!(table = %table_name, attempt, "commit conflict, retrying: {why}");
                        tokio::time::sleep(backoff(attempt)).await;
                    }
                    Some(CommitFailure::Conflict(why)) => {
                        return Err(CatalogError::Transient(format!(
                            "the commit to {table_name} conflicted with other changes {COMMIT_ATTEMPTS} times; nothing was appended: {why}"
                        )));
                    }
                    Some(CommitFailure::Unknown(reason)) => {
                        return Ok(CommitOutcome::Unknown { reason });
                    }
                    Some(CommitFailure::Refused(refused)) => return Err(refused),
                    None => {
                        return Err(iceberg_error(&format!("committing to {table_name}"), err));
                    }
                },
            }
        }
        unreachable!("the last attempt returns")
    }

    /// The snapshot whose summary carries `commit_id`, in the table as the catalog has it
    /// now (among the snapshots it still keeps), or `None` if no snapshot does.
    pub async fn find_commit(&self, commit_id: &str) -> CatalogResult<Option<i64>> {
        let loaded = self.reload().await?;
        let found = snapshot_with(loaded.table.metadata(), commit_id);
        *self.loaded.lock().await = loaded;
        Ok(found)
    }

    fn to_data_file(
        &self,
        file: &StagedDataFile,
        metadata: &TableMetadata,
    ) -> CatalogResult<DataFile> {
        if file.table_uuid != metadata.uuid().to_string() {
            return Err(CatalogError::InvalidConfig(format!(
                "table {} was dropped and created again since {} was written for it (table UUID {} then, {} now); the file is not appended",
                self.table_name(),
                file.path,
                file.table_uuid,
                metadata.uuid()
            )));
        }
        if !file
            .path
            .strip_prefix(&self.location)
            .is_some_and(|rest| rest.starts_with("/data/"))
        {
            return Err(CatalogError::BadData(format!(
                "staged file {} is not below {}/data/",
                file.path, self.location
            )));
        }
        let schema = metadata
            .schema_by_id(file.schema_id)
            .unwrap_or_else(|| metadata.current_schema());
        deserialize_data_file_from_json(
            &file.data_file.to_string(),
            metadata.default_partition_spec_id(),
            &StructType::new(vec![]),
            schema,
        )
        .map_err(|e| CatalogError::BadData(format!("staged file {}: {e}", file.path)))
    }

    /// A FileIO whose credentials are not about to expire (vended ones are short-lived).
    async fn file_io(&self) -> CatalogResult<FileIO> {
        let mut loaded = self.loaded.lock().await;
        if loaded.credentials_expire_soon(chrono::Utc::now().timestamp_millis()) {
            *loaded = self.reload().await?;
        }
        Ok(loaded.table.file_io().clone())
    }

    async fn reload(&self) -> CatalogResult<LoadedTable> {
        load_target(
            &self.client,
            &self.namespace,
            &self.name,
            self.storage.as_ref(),
            &self.policy,
        )
        .await
    }
}

async fn load_target(
    client: &RestClient,
    namespace: &[String],
    name: &str,
    storage: Option<&S3Spec>,
    policy: &OutboundPolicy,
) -> CatalogResult<LoadedTable> {
    load_with(client, namespace, name, storage, policy, Access::Append)
        .await
        .map_err(|e| match e {
            CatalogError::NotFound(why) => CatalogError::InvalidConfig(format!(
                "the export target table {} does not exist in the catalog; create it first (unpartitioned, Parquet): {why}",
                qualified(namespace, name)
            )),
            other => other,
        })
}

fn qualified(namespace: &[String], name: &str) -> String {
    format!("{}.{name}", namespace.join("."))
}

/// What the export target table must be: unpartitioned, Parquet, not encrypted.
fn check_appendable(table_name: &str, metadata: &TableMetadata) -> CatalogResult<()> {
    let spec = metadata.default_partition_spec();
    if !spec.fields().is_empty() {
        let columns: Vec<String> = spec
            .fields()
            .iter()
            .map(|f| format!("{} ({})", f.name, f.transform))
            .collect();
        return Err(CatalogError::InvalidConfig(format!(
            "the export target table {table_name} is partitioned by {}; Lakeport exports only to unpartitioned tables",
            columns.join(", ")
        )));
    }
    let properties = metadata.properties();
    if let Some(format) = properties.get(TableProperties::PROPERTY_DEFAULT_FILE_FORMAT)
        && !format.eq_ignore_ascii_case("parquet")
    {
        return Err(CatalogError::InvalidConfig(format!(
            "the export target table {table_name} writes {format} files ({} = {format}); Lakeport exports only Parquet",
            TableProperties::PROPERTY_DEFAULT_FILE_FORMAT
        )));
    }
    if properties.contains_key("encryption.key-id") {
        return Err(CatalogError::InvalidConfig(format!(
            "the export target table {table_name} is encrypted (encryption.key-id); Lakeport cannot write encrypted tables"
        )));
    }
    Ok(())
}

/// File names become object keys below `<location>/data/`: one plain segment.
fn check_file_name(file_name: &str) -> CatalogResult<()> {
    let plain = !file_name.is_empty()
        && file_name.len() <= 200
        && !file_name.starts_with('.')
        && file_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain {
        Ok(())
    } else {
        Err(CatalogError::InvalidConfig(format!(
            "data file name '{file_name}' must be 1-200 letters, digits, '.', '_' or '-', not starting with '.'"
        )))
    }
}

fn check_commit(files: &[StagedDataFile], commit_id: &str, table_name: &str) -> CatalogResult<()> {
    if commit_id.trim().is_empty() || commit_id.len() > 256 {
        return Err(CatalogError::InvalidConfig(
            "a commit id is 1-256 characters".into(),
        ));
    }
    if files.is_empty() {
        return Err(CatalogError::InvalidConfig(format!(
            "commit {commit_id} to {table_name} has no files"
        )));
    }
    let mut seen = HashSet::new();
    if let Some(twice) = files.iter().find(|f| !seen.insert(f.path.as_str())) {
        return Err(CatalogError::BadData(format!(
            "commit {commit_id} names {} twice",
            twice.path
        )));
    }
    Ok(())
}

/// The newest snapshot whose summary carries `commit_id`.
fn snapshot_with(metadata: &TableMetadata, commit_id: &str) -> Option<i64> {
    metadata
        .snapshots()
        .filter(|s| {
            s.summary()
                .additional_properties
                .get(COMMIT_ID_PROPERTY)
                .is_some_and(|id| id == commit_id)
        })
        .max_by_key(|s| (s.sequence_number(), s.timestamp_ms()))
        .map(|s| s.snapshot_id())
}

fn backoff(attempt: u32) -> Duration {
    let base = 100u64 << (attempt - 1).min(4);
    Duration::from_millis(base + rand::random::<u64>() % base)
}

fn read_footer(path: &Path) -> CatalogResult<(ParquetMetaData, u64)> {
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| CatalogError::BadData(format!("cannot open {shown}: {e}")))?;
    let size = file
        .metadata()
        .map_err(|e| CatalogError::BadData(format!("cannot stat {shown}: {e}")))?
        .len();
    let footer = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|e| {
            CatalogError::BadData(format!("{shown} is not a readable Parquet file: {e}"))
        })?;
    Ok((footer, size))
}

/// Streams the file up in parts, then checks the object has the local file's size.
async fn upload(file_io: &FileIO, local: &Path, path: &str, size: u64) -> CatalogResult<()> {
    let failed = |e: &dyn std::fmt::Display| {
        CatalogError::Transient(format!(
            "uploading {} to {path} failed: {e}",
            local.display()
        ))
    };
    let output = file_io
        .new_output(path)
        .map_err(|e| storage_error(path, e))?;
    let mut writer = output.writer().await.map_err(|e| storage_error(path, e))?;
    let mut file = tokio::fs::File::open(local).await.map_err(|e| failed(&e))?;
    let mut sent = 0u64;
    loop {
        let mut chunk = Vec::with_capacity(UPLOAD_CHUNK);
        (&mut file)
            .take(UPLOAD_CHUNK as u64)
            .read_to_end(&mut chunk)
            .await
            .map_err(|e| failed(&e))?;
        if chunk.is_empty() {
            break;
        }
        sent += chunk.len() as u64;
        writer
            .write(Bytes::from(chunk))
            .await
            .map_err(|e| storage_error(path, e))?;
    }
    writer.close().await.map_err(|e| storage_error(path, e))?;
    let stored = file_io
        .new_input(path)
        .map_err(|e| storage_error(path, e))?
        .metadata()
        .await
        .map_err(|e| storage_error(path, e))?
        .size;
    if sent != size || stored != size {
        return Err(failed(&format!(
            "{size} bytes locally, {sent} sent, {stored} stored"
        )));
    }
    Ok(())
}

fn storage_error(path: &str, err: Error) -> CatalogError {
    match err.kind() {
        // The confinement checks (outside the table's location) answer DataInvalid.
        ErrorKind::DataInvalid | ErrorKind::FeatureUnsupported => {
            CatalogError::InvalidConfig(format!("cannot write {path}: {err}"))
        }
        _ => CatalogError::Transient(format!("writing {path} failed: {err}")),
    }
}

fn iceberg_error(what: &str, err: Error) -> CatalogError {
    let text = format!("{what}: {err}");
    match err.kind() {
        ErrorKind::DataInvalid | ErrorKind::PreconditionFailed => CatalogError::BadData(text),
        ErrorKind::FeatureUnsupported => CatalogError::InvalidConfig(text),
        _ => CatalogError::Transient(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(path: &str) -> StagedDataFile {
        StagedDataFile {
            path: path.into(),
            record_count: 1,
            file_size_in_bytes: 1,
            table_uuid: String::new(),
            schema_id: 0,
            data_file: Value::Null,
        }
    }

    #[test]
    fn file_names_are_one_plain_segment() {
        for ok in ["seg_1.parquet", "a-b.c", "X9"] {
            assert!(check_file_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "a/b.parquet",
            "../x",
            "a b",
            "ü.parquet",
            &"x".repeat(201),
        ] {
            assert!(check_file_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_commit_needs_an_id_and_distinct_files() {
        let a = staged("s3://b/t/data/a");
        assert!(check_commit(std::slice::from_ref(&a), "c1", "t").is_ok());
        assert!(check_commit(std::slice::from_ref(&a), " ", "t").is_err());
        assert!(check_commit(&[], "c1", "t").is_err());
        let err = check_commit(&[a.clone(), a], "c1", "t").unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(1) < Duration::from_millis(200));
        assert!(backoff(2) >= Duration::from_millis(200));
        assert!(backoff(30) < Duration::from_millis(3200));
    }
}
