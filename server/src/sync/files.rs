//! Syncing raw Parquet sources (S3 prefix, local folder): list, diff against the ledger,
//! load new and re-written files in batches.

use std::sync::Arc;

use anyhow::anyhow;
use futures::StreamExt;

use super::build::FileOutcome;
use super::commit::{Advance, commit};
use super::context::{RunContext, RunOutcome};
use crate::catalogs::{self, Catalog, SourceFile, SourceSpec, reader};
use crate::store::runs::RunProgress;
use crate::store::{self};

pub async fn execute(
    ctx: &RunContext<'_>,
    spec: &SourceSpec,
    progress: &mut RunProgress,
) -> anyhow::Result<RunOutcome> {
    let env = ctx.env;
    let catalog = catalogs::open(spec, &env.config)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let listed = catalog
        .list_files()
        .await
        .map_err(|e| anyhow!("listing {}: {e}", catalog.root_uri()))?;
    progress.files_listed = listed.len() as i32;

    let ledger = store::files::by_key(&env.pool, &ctx.table.name).await?;
    let to_load: Vec<SourceFile> = listed
        .into_iter()
        .filter(|file| !ledger.get(&file.key).is_some_and(|e| e.is_loaded(file)))
        .collect();
    progress.files_discovered = to_load.len() as i32;
    store::runs::record_progress(&env.pool, ctx.run_id, progress).await?;

    let mut failures = Vec::new();
    let batch_size = env.config.sync.commit_batch_files.max(1);
    for chunk in to_load.chunks(batch_size) {
        ctx.ensure_lease()?;
        let outcomes: Vec<FileOutcome> = futures::stream::iter(
            chunk
                .iter()
                .cloned()
                .map(|file| load_file(ctx, catalog.clone(), file)),
        )
        .buffer_unordered(env.config.sync.file_concurrency.max(1))
        .collect()
        .await;
        commit(ctx, &outcomes, &[], Advance::Watermark, progress).await?;
        failures.extend(
            outcomes
                .into_iter()
                .filter_map(Result::err)
                .map(|(file, error)| (file.key, error)),
        );
    }
    Ok(RunOutcome {
        failures,
        notes: vec![],
    })
}

async fn load_file(
    ctx: &RunContext<'_>,
    catalog: Arc<dyn Catalog>,
    file: SourceFile,
) -> FileOutcome {
    let bytes = match catalog.read_all(&file).await {
        Ok(bytes) => bytes,
        Err(err) => return Err((file, err.to_string())),
    };
    let decoded = file.clone();
    ctx.target
        .build(file, move || {
            reader::decode_all(&decoded, bytes)
                .map(|(_, batches)| batches)
                .map_err(|e| e.to_string())
        })
        .await
}
