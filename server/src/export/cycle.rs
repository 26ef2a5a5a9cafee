//! One DataExportTask cycle (seed 003's generator and executor in one leased task): find the
//! eligible segments, write each as Parquet to the destination, checkpoint it; for Iceberg,
//! stage the data files and decide EMIT / WAIT / COMMIT, committing many files in one snapshot.
//!
//! Exactly once: a segment is checkpointed only after its file is written, and a retried
//! write reuses the file's name, so it overwrites rather than adds. An Iceberg commit is
//! recorded (with its id and files) before the catalog is asked, and its id goes into the
//! snapshot summary, so an answer that never came is settled by finding that id.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, anyhow, bail};
use arrow::datatypes::SchemaRef;
use chrono::Utc;
use uuid::Uuid;

use super::config::{self, ExportConfig, TargetKind};
use super::parquet::{segment_schema, write_export};
use crate::catalogs::SourceSpec;
use crate::catalogs::iceberg_rest::IcebergRestCatalog;
use crate::catalogs::iceberg_rest::append::{AppendTarget, CommitOutcome, StagedDataFile};
use crate::catalogs::sink;
use crate::model::table_config::{EXPORT_TASK_TYPE, TableConfig};
use crate::sources;
use crate::store::exports::{COMPLETED, Candidate, RunSummary, STAGED, WrittenFile};
use crate::store::tables::TableRow;
use crate::store::tasks::Claim;
use crate::store::{self};
use crate::sync::context::WorkerEnv;

pub const STATUS_COMPLETED: &str = "COMPLETED";
pub const STATUS_FAILED: &str = "FAILED";

/// Seed 003's decision for a cycle of an Iceberg export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Eligible segments exist and in-flight plus staged is below the threshold: export them.
    Emit,
    /// In flight plus staged reach the threshold: let them drain first.
    Wait,
    /// Nothing left to export, or enough staged: one append for all staged files.
    Commit,
    /// Nothing to export and nothing staged.
    Idle,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Emit => "EMIT",
            Decision::Wait => "WAIT",
            Decision::Commit => "COMMIT",
            Decision::Idle => "IDLE",
        }
    }
}

/// The table of seed 003: COMMIT once staged files reach the threshold or nothing eligible
/// remains to join them; WAIT while in-flight and staged files together reach it; else EMIT.
pub fn decide(eligible: usize, in_flight: usize, staged: usize, threshold: usize) -> Decision {
    if staged > 0 && (staged >= threshold || eligible == 0) {
        Decision::Commit
    } else if in_flight + staged >= threshold {
        Decision::Wait
    } else if eligible > 0 {
        Decision::Emit
    } else {
        Decision::Idle
    }
}

/// Runs one cycle of the table's export and records it. Errors are returned only when even
/// the outcome could not be written.
pub async fn run(
    env: &WorkerEnv,
    claim: &Claim,
    lost: &AtomicBool,
) -> anyhow::Result<&'static str> {
    let Some(table) = store::tables::get(&env.pool, &claim.table_name).await? else {
        return Ok("table deleted");
    };
    store::exports::fail_abandoned_runs(&env.pool, &table.name).await?;
    let mut tx = env.pool.begin().await?;
    let request_id = match claim.request_id {
        Some(id) if store::tasks::take_request(&mut *tx, &table.name, claim.kind, id).await? => {
            Some(id)
        }
        _ => None,
    };
    let run_id = store::exports::start_run(
        &mut *tx,
        &table.name,
        &claim.trigger,
        &env.worker_id,
        request_id,
    )
    .await?;
    tx.commit().await?;
    let mut summary = RunSummary::default();
    let cycle = Cycle {
        env,
        claim,
        lost,
        table: &table,
        run_id,
    };
    let outcome = cycle.execute(&mut summary).await;
    let (status, error) = match &outcome {
        Ok(()) => (STATUS_COMPLETED, None),
        Err(err) => (STATUS_FAILED, Some(format!("{err:#}"))),
    };
    store::exports::finish_run(&env.pool, run_id, status, &summary, error.as_deref()).await?;
    Ok(status)
}

struct Cycle<'a> {
    env: &'a WorkerEnv,
    claim: &'a Claim,
    lost: &'a AtomicBool,
    table: &'a TableRow,
    run_id: i64,
}

impl Cycle<'_> {
    fn ensure_lease(&self) -> anyhow::Result<()> {
        if self.lost.load(Ordering::SeqCst) {
            bail!("this worker lost the export's lease; another worker carries on");
        }
        Ok(())
    }

    async fn execute(&self, summary: &mut RunSummary) -> anyhow::Result<()> {
        let table_config: TableConfig = serde_json::from_value(self.table.config.clone())
            .context("stored table config is unreadable")?;
        let config = config::of_config(&table_config)
            .map_err(|e| anyhow!("{e}"))?
            .ok_or_else(|| anyhow!("the table's config has no {EXPORT_TASK_TYPE} block"))?;
        let destination = sources::resolve(
            &self.env.sources(),
            &config.target_params,
            &config::block_path(),
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
        match (&config.target, &destination.spec) {
            (TargetKind::IcebergRest, SourceSpec::IcebergRest(rest)) => {
                let catalog = IcebergRestCatalog::open(rest, &self.env.config).await?;
                let target = catalog.open_append_target().await?;
                self.iceberg(&config, &target, summary).await?;
            }
            (TargetKind::Filesystem, spec) => self.filesystem(&config, spec, summary).await?,
            (kind, spec) => bail!(
                "the {} target resolved to a {} destination",
                kind.as_str(),
                spec.catalog_type()
            ),
        }
        store::exports::advance_watermark(
            &self.env.pool,
            &self.table.name,
            &config.source_table,
            config.initial_watermark_ms,
        )
        .await?;
        Ok(())
    }

    /// Completed segments past the buffer, after the initial watermark, not yet exported.
    async fn eligible(
        &self,
        config: &ExportConfig,
        limit: usize,
    ) -> anyhow::Result<Vec<Candidate>> {
        let cutoff = Utc::now().timestamp_millis() - config.buffer_ms as i64;
        let limit = config.max_tasks.map_or(limit, |max| max.min(limit));
        Ok(store::exports::eligible(
            &self.env.pool,
            &self.table.name,
            &config.source_table,
            cutoff,
            config.initial_watermark_ms,
            i64::try_from(limit).unwrap_or(i64::MAX),
        )
        .await?)
    }

    /// Writes `candidate` as the export's Parquet file in a temporary folder, conformed to
    /// `target` (the segment's own schema for a filesystem, the Iceberg table's for Iceberg).
    async fn write_file(
        &self,
        config: &ExportConfig,
        candidate: &Candidate,
        target: Option<SchemaRef>,
        folder: &std::path::Path,
    ) -> anyhow::Result<(std::path::PathBuf, super::parquet::ExportedFile)> {
        let source = self.env.deep_store.path(&candidate.location);
        let dest = folder.join(format!("{}.parquet", candidate.segment_name));
        let options = config.options.clone();
        let written = {
            let dest = dest.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let schema = match target {
                    Some(schema) => schema,
                    None => segment_schema(&source).map_err(|e| anyhow!(e))?,
                };
                write_export(&source, &schema, &options, &dest).map_err(|e| anyhow!(e))
            })
            .await??
        };
        Ok((dest, written))
    }

    async fn begin(&self, config: &ExportConfig, candidate: &Candidate) -> anyhow::Result<()> {
        store::exports::begin_segment(
            &self.env.pool,
            &self.table.name,
            candidate,
            &config.source_table,
            self.run_id,
        )
        .await?;
        Ok(())
    }

    async fn failed(&self, candidate: &Candidate, error: &anyhow::Error) -> anyhow::Result<()> {
        tracing::warn!(table = %self.table.name, segment = %candidate.segment_name, error = %format!("{error:#}"), "exporting a segment failed; it is retried next cycle");
        store::exports::segment_failed(
            &self.env.pool,
            &self.table.name,
            &candidate.segment_name,
            &format!("{error:#}"),
        )
        .await?;
        Ok(())
    }

    /// Records a written file under the lease: a worker that lost it must not checkpoint.
    async fn checkpoint(
        &self,
        candidate: &Candidate,
        state: &str,
        uri: &str,
        data_file: Option<&serde_json::Value>,
        written: &super::parquet::ExportedFile,
    ) -> anyhow::Result<()> {
        let mut tx = self.env.pool.begin().await?;
        if !store::tasks::fence(&mut tx, self.claim).await? {
            bail!(
                "this worker lost the export's lease before checkpointing; another worker carries on"
            );
        }
        store::exports::file_written(
            &mut *tx,
            &self.table.name,
            &candidate.segment_name,
            &WrittenFile {
                state,
                file_uri: uri,
                data_file,
                rows: written.rows as i64,
                bytes: written.size_bytes as i64,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `<outputDirURI>/<segmentName>.parquet`, one file per segment, checkpointed COMPLETED.
    async fn filesystem(
        &self,
        config: &ExportConfig,
        spec: &SourceSpec,
        summary: &mut RunSummary,
    ) -> anyhow::Result<()> {
        let eligible = self.eligible(config, usize::MAX).await?;
        summary.decisions.push(if eligible.is_empty() {
            Decision::Idle.as_str()
        } else {
            Decision::Emit.as_str()
        });
        let scratch = tempfile::tempdir().context("creating a scratch folder")?;
        let mut first_error = None;
        for candidate in &eligible {
            self.ensure_lease()?;
            self.begin(config, candidate).await?;
            let exported = async {
                let (file, written) = self
                    .write_file(config, candidate, None, scratch.path())
                    .await?;
                let name = format!("{}.parquet", candidate.segment_name);
                let uri = sink::put_file(spec, &self.env.config, &name, &file).await?;
                let _ = std::fs::remove_file(&file);
                anyhow::Ok((uri, written))
            }
            .await;
            match exported {
                Ok((uri, written)) => {
                    self.checkpoint(candidate, COMPLETED, &uri, None, &written)
                        .await?;
                    summary.exported(written.rows, written.size_bytes);
                }
                Err(err) => {
                    self.failed(candidate, &err).await?;
                    first_error.get_or_insert(err);
                }
            }
        }
        match first_error {
            Some(err) => {
                Err(err.context("some segments could not be exported; they are retried next cycle"))
            }
            None => Ok(()),
        }
    }

    async fn iceberg(
        &self,
        config: &ExportConfig,
        target: &AppendTarget,
        summary: &mut RunSummary,
    ) -> anyhow::Result<()> {
        // An earlier commit whose outcome is unknown is settled before anything else: its
        // files are either in the table already or committed now, under the same id.
        for commit_id in store::exports::pending_commits(&self.env.pool, &self.table.name).await? {
            self.ensure_lease()?;
            let snapshot = self.settle(target, commit_id).await?;
            summary.decisions.push(Decision::Commit.as_str());
            summary.snapshot_id = Some(snapshot);
        }
        let threshold = config.commit_threshold;
        let staged = store::exports::staged_count(&self.env.pool, &self.table.name).await? as usize;
        let room = threshold.saturating_sub(staged).max(1);
        let eligible = self.eligible(config, room).await?;
        let mut decision = decide(eligible.len(), 0, staged, threshold);
        summary.decisions.push(decision.as_str());
        if decision == Decision::Emit {
            let schema = target.arrow_schema();
            let scratch = tempfile::tempdir().context("creating a scratch folder")?;
            let mut first_error = None;
            for candidate in &eligible {
                self.ensure_lease()?;
                self.begin(config, candidate).await?;
                let staged_file = async {
                    let (file, written) = self
                        .write_file(config, candidate, Some(schema.clone()), scratch.path())
                        .await?;
                    let name = format!("{}.parquet", candidate.segment_name);
                    let data_file = target.upload_data_file(&name, &file).await?;
                    let _ = std::fs::remove_file(&file);
                    anyhow::Ok((data_file, written))
                }
                .await;
                match staged_file {
                    Ok((data_file, written)) => {
                        let json = serde_json::to_value(&data_file)?;
                        self.checkpoint(candidate, STAGED, &data_file.path, Some(&json), &written)
                            .await?;
                        summary.exported(written.rows, written.size_bytes);
                    }
                    Err(err) => {
                        self.failed(candidate, &err).await?;
                        first_error.get_or_insert(err);
                    }
                }
            }
            if let Some(err) = first_error {
                return Err(
                    err.context("some segments could not be staged; they are retried next cycle")
                );
            }
            // Decided again with what is staged now: a batch that is ready is committed in
            // this cycle rather than the next.
            let staged =
                store::exports::staged_count(&self.env.pool, &self.table.name).await? as usize;
            let remaining = self.eligible(config, 1).await?.len();
            decision = decide(remaining, 0, staged, threshold);
            if decision == Decision::Commit {
                summary.decisions.push(decision.as_str());
            }
        }
        if decision == Decision::Commit {
            self.ensure_lease()?;
            let commit_id = Uuid::new_v4();
            let mut tx = self.env.pool.begin().await?;
            if !store::tasks::fence(&mut tx, self.claim).await? {
                bail!(
                    "this worker lost the export's lease before committing; another worker carries on"
                );
            }
            store::exports::open_commit(&mut tx, &self.table.name, commit_id, threshold as i64)
                .await?;
            tx.commit().await?;
            summary.snapshot_id = Some(self.settle(target, commit_id).await?);
        }
        Ok(())
    }

    /// Brings a recorded commit to a known end: found in the table's snapshots (it landed), or
    /// committed now with the same id. Checkpoints its segments COMPLETED with the snapshot.
    async fn settle(&self, target: &AppendTarget, commit_id: Uuid) -> anyhow::Result<i64> {
        let id = commit_id.to_string();
        let snapshot = match target.find_commit(&id).await? {
            Some(snapshot) => snapshot,
            None => {
                let rows = store::exports::commit_files(&self.env.pool, commit_id).await?;
                let files = rows
                    .iter()
                    .map(|(_, json, _, _)| serde_json::from_value::<StagedDataFile>(json.clone()))
                    .collect::<Result<Vec<_>, _>>()?;
                match target.commit(&files, &id).await? {
                    CommitOutcome::Committed { snapshot_id, .. } => snapshot_id,
                    CommitOutcome::Unknown { reason } => match target.find_commit(&id).await? {
                        Some(snapshot) => snapshot,
                        None => bail!(
                            "the outcome of Iceberg commit {id} is unknown ({reason}) and its snapshot is not in the table yet; the next cycle settles it"
                        ),
                    },
                }
            }
        };
        let mut tx = self.env.pool.begin().await?;
        store::exports::commit_landed(&mut tx, commit_id, snapshot).await?;
        tx.commit().await?;
        tracing::info!(table = %self.table.name, commit = %id, snapshot, "Iceberg export commit landed");
        Ok(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_follow_the_seed_table() {
        // Eligible segments and room below the threshold: emit.
        assert_eq!(decide(5, 0, 0, 250), Decision::Emit);
        assert_eq!(decide(5, 0, 10, 250), Decision::Emit);
        // In flight plus staged reach the threshold: wait for them.
        assert_eq!(decide(5, 2, 1, 3), Decision::Wait);
        // Enough staged, or nothing left to join them: one commit.
        assert_eq!(decide(5, 0, 3, 3), Decision::Commit);
        assert_eq!(decide(0, 0, 1, 250), Decision::Commit);
        // Nothing to do.
        assert_eq!(decide(0, 0, 0, 250), Decision::Idle);
    }
}
