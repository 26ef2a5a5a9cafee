//! Snapshot by snapshot: which snapshots a sync walks, each one's live data files with the
//! delete files that apply to them, how many rows it should hold, and reading one file.

use std::collections::HashSet;

use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use iceberg::scan::FileScanTask;
use iceberg::spec::{Snapshot, SnapshotRef, TableMetadataRef};
use iceberg::table::Table;
use iceberg::util::snapshot::ancestors_between;
use sha2::{Digest, Sha256};

use super::table::read_error;
use crate::catalogs::{CatalogError, CatalogResult, SourceFile};

/// The snapshots to load, oldest first.
#[derive(Debug, Default)]
pub struct Walk {
    pub snapshots: Vec<SnapshotRef>,
    pub note: Option<String>,
}

/// From the checkpoint to the current snapshot. Without a checkpoint only the current
/// snapshot is loaded. A checkpoint that is no longer an ancestor (expired, or the table
/// was rolled back) is reconciled against the current snapshot in one step; the
/// per-file ledger makes that exact.
pub fn walk(metadata: &TableMetadataRef, checkpoint: Option<i64>) -> Walk {
    let Some(current) = metadata.current_snapshot() else {
        return Walk {
            snapshots: vec![],
            note: Some("the Iceberg table has no snapshot yet".into()),
        };
    };
    let current_id = current.snapshot_id();
    match checkpoint {
        None => Walk {
            snapshots: vec![current.clone()],
            note: None,
        },
        Some(done) if done == current_id => Walk::default(),
        Some(done) => {
            let mut chain: Vec<SnapshotRef> =
                ancestors_between(metadata, current_id, Some(done)).collect();
            if chain.last().and_then(|s| s.parent_snapshot_id()) == Some(done) {
                chain.reverse();
                Walk {
                    snapshots: chain,
                    note: None,
                }
            } else {
                Walk {
                    snapshots: vec![current.clone()],
                    note: Some(format!(
                        "the checkpoint snapshot {done} is no longer an ancestor of the current snapshot {current_id} (expired or rolled back); the table was reconciled with the current snapshot"
                    )),
                }
            }
        }
    }
}

/// How many live rows a snapshot holds, as far as its summary can tell.
#[derive(Debug, PartialEq, Eq)]
pub enum ExpectedRows {
    Exactly(i64),
    /// Why no exact number can be had.
    Unknown(String),
}

/// `total-records` counts the rows of data files, deleted or not, so position deletes are
/// taken off; equality deletes can match any number of rows, so then there is no number.
pub fn expected_rows(snapshot: &Snapshot) -> ExpectedRows {
    let summary = &snapshot.summary().additional_properties;
    let total = |key: &str| summary.get(key).and_then(|v| v.parse::<i64>().ok());
    let id = snapshot.snapshot_id();
    let Some(records) = total("total-records") else {
        return ExpectedRows::Unknown(format!(
            "row count not checked for snapshot {id}: its summary has no total-records"
        ));
    };
    let equality = total("total-equality-deletes").unwrap_or(0);
    if equality > 0 {
        return ExpectedRows::Unknown(format!(
            "row count not checked for snapshot {id}: it has {equality} equality deletes, which its summary cannot net out"
        ));
    }
    ExpectedRows::Exactly(records - total("total-position-deletes").unwrap_or(0))
}

/// A live data file of a snapshot, ready to read.
pub struct PlannedFile {
    /// `key` is the data file's path; `etag` fingerprints the delete files that apply
    /// to it, so new deletes make the file's segment be rebuilt.
    pub file: SourceFile,
    pub task: FileScanTask,
}

/// The live data files of `snapshot_id`, each to be read in the table's current schema
/// projected to `field_ids` (files written before a field existed read it as null).
pub async fn plan(
    table: &Table,
    snapshot_id: i64,
    field_ids: &[i32],
) -> CatalogResult<Vec<PlannedFile>> {
    let schema = table.metadata().current_schema().clone();
    let tasks: Vec<FileScanTask> = table
        .scan()
        .snapshot_id(snapshot_id)
        .select_all()
        .build()
        .map_err(read_error)?
        .plan_files()
        .await
        .map_err(read_error)?
        .try_collect()
        .await
        .map_err(read_error)?;
    let mut seen = HashSet::new();
    let mut planned = Vec::with_capacity(tasks.len());
    for mut task in tasks {
        if !seen.insert(task.data_file_path.clone()) {
            return Err(CatalogError::BadData(format!(
                "snapshot {snapshot_id} lists data file {} twice",
                task.data_file_path
            )));
        }
        task.schema = schema.clone();
        task.project_field_ids = field_ids.to_vec();
        let file = SourceFile {
            key: task.data_file_path.clone(),
            size: task.file_size_in_bytes,
            etag: deletes_fingerprint(task.deletes.iter().map(|d| d.file_path.as_str())),
            last_modified: None,
        };
        planned.push(PlannedFile { file, task });
    }
    planned.sort_by(|a, b| a.file.key.cmp(&b.file.key));
    Ok(planned)
}

fn deletes_fingerprint<'a>(paths: impl Iterator<Item = &'a str>) -> String {
    let mut paths: Vec<&str> = paths.collect();
    if paths.is_empty() {
        return "no-deletes".into();
    }
    paths.sort_unstable();
    let mut digest = Sha256::new();
    for path in &paths {
        digest.update(path.as_bytes());
        digest.update([0u8]);
    }
    format!(
        "deletes-{}-{}",
        paths.len(),
        &hex::encode(digest.finalize())[..16]
    )
}

/// Reads one planned data file with its deletes applied.
pub async fn read(table: &Table, task: FileScanTask) -> CatalogResult<Vec<RecordBatch>> {
    let tasks = Box::pin(futures::stream::iter([Ok(task)]));
    table
        .reader_builder()
        .with_batch_size(8192)
        .with_data_file_concurrency_limit(1)
        .build()
        .read(tasks)
        .map_err(read_error)?
        .stream()
        .try_collect()
        .await
        .map_err(read_error)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use iceberg::spec::{Operation, Summary};

    use super::*;

    fn snapshot(summary: &[(&str, &str)]) -> Snapshot {
        Snapshot::builder()
            .with_snapshot_id(7)
            .with_sequence_number(1)
            .with_timestamp_ms(0)
            .with_manifest_list("s3://b/m.avro")
            .with_summary(Summary {
                operation: Operation::Delete,
                additional_properties: summary
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<HashMap<_, _>>(),
            })
            .build()
    }

    #[test]
    fn position_deletes_are_netted_out_and_equality_deletes_leave_no_number() {
        assert_eq!(
            expected_rows(&snapshot(&[("total-records", "100")])),
            ExpectedRows::Exactly(100)
        );
        assert_eq!(
            expected_rows(&snapshot(&[
                ("total-records", "100"),
                ("total-position-deletes", "7"),
                ("total-equality-deletes", "0"),
            ])),
            ExpectedRows::Exactly(93)
        );
        assert!(matches!(
            expected_rows(&snapshot(&[("total-records", "100"), ("total-equality-deletes", "3")])),
            ExpectedRows::Unknown(why) if why.contains("equality deletes")
        ));
        assert!(matches!(
            expected_rows(&snapshot(&[])),
            ExpectedRows::Unknown(_)
        ));
    }

    #[test]
    fn the_fingerprint_depends_on_the_set_of_delete_files() {
        assert_eq!(deletes_fingerprint([].into_iter()), "no-deletes");
        assert_eq!(
            deletes_fingerprint(["b", "a"].into_iter()),
            deletes_fingerprint(["a", "b"].into_iter())
        );
        assert_ne!(
            deletes_fingerprint(["a"].into_iter()),
            deletes_fingerprint(["a", "b"].into_iter())
        );
    }
}
