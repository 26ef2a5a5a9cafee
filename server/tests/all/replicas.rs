//! Two Lakeport processes on one database share the work and never sync the same table at once.

use crate::common;

use common::data::events_file;
use common::{onboard_local, start, test_config};
use serde_json::json;
use sqlx::Connection;

#[tokio::test]
async fn replicas_never_run_the_same_table_concurrently() {
    let database_url = common::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let first = start(test_config(&database_url, dir.path())).await;
    let second = start(test_config(&database_url, dir.path())).await;

    let tables = ["alpha", "beta", "gamma"];
    for (t, table) in tables.iter().enumerate() {
        let folder = first.lake.join(table);
        for i in 0..6i64 {
            let base = (t as i64 * 100 + i) * 100;
            events_file(&folder.join(format!("part-{i}.parquet")), base..base + 100);
        }
        onboard_local(&first, table, &folder, &[]).await;
    }
    // Hammer both replicas with triggers while the first syncs run.
    for _ in 0..5 {
        for table in tables {
            for app in [&first, &second] {
                let path = format!(
                    "/tasks/schedule?taskType=ExternalTableSyncTask&tableName={table}_OFFLINE"
                );
                let (code, body) = app.post(&path, &json!({})).await;
                assert_eq!(code, 200, "{body}");
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for table in tables {
        second
            .wait_for_status(table, std::time::Duration::from_secs(60), |s| {
                s["status"] == "COMPLETED" && !s["runRequested"].as_bool().unwrap_or(true)
            })
            .await;
        assert_eq!(
            first.scalar(&format!("SELECT count(*) FROM {table}")).await,
            json!(600)
        );
        assert_eq!(
            second
                .scalar(&format!("SELECT count(DISTINCT id) FROM {table}"))
                .await,
            json!(600)
        );
    }

    let mut connection = sqlx::PgConnection::connect(&database_url).await.unwrap();
    let overlaps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sync_runs a JOIN sync_runs b ON a.table_name = b.table_name AND a.id < b.id
         WHERE b.started_at < a.ended_at",
    )
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert_eq!(overlaps, 0, "two runs of one table overlapped in time");
    let workers: i64 = sqlx::query_scalar("SELECT count(DISTINCT worker) FROM sync_runs")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert!(workers >= 1);
    first.stop().await;
    second.stop().await;
}
