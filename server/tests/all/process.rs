//! The real binary as a user runs it: kill -9 mid-sync loses and duplicates nothing; the
//! embedded Postgres and demo dataset work with no configuration at all.

use crate::common;

use std::time::{Duration, Instant};

use common::data::events_file;
use common::process::{bin, free_port, launch};
use serde_json::Value;
use tokio::process::Command;

#[tokio::test]
async fn kill_9_mid_sync_loses_and_duplicates_nothing() {
    let database_url = common::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("lake/events");
    let (files, rows_per_file) = (48i64, 4000i64);
    for i in 0..files {
        events_file(
            &folder.join(format!("part-{i:03}.parquet")),
            i * rows_per_file..(i + 1) * rows_per_file,
        );
    }
    let envs = [
        ("LAKEPORT_DATABASE_URL", database_url),
        (
            "LAKEPORT_DATA_DIR",
            dir.path().to_string_lossy().into_owned(),
        ),
        ("LAKEPORT_SYNC__COMMIT_BATCH_FILES", "1".into()),
        ("LAKEPORT_SYNC__FILE_CONCURRENCY", "1".into()),
        ("LAKEPORT_SYNC__LEASE_TTL_SECS", "2".into()),
        ("LAKEPORT_SYNC__HEARTBEAT_INTERVAL_MS", "300".into()),
        ("LAKEPORT_SYNC__POLL_INTERVAL_MS", "100".into()),
        ("LAKEPORT_SYNC__DEFAULT_SCHEDULE", "0 0 0 1 1 ?".into()),
    ];
    let port = free_port();
    let mut process = launch(&envs, port).await;
    process.onboard("events", &folder).await;

    // Kill it twice at different points of the run, each time while it is mid-run.
    let mut kills = 0;
    for threshold in [3, 12] {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = process.status("events").await;
            let segments = status["totalSegments"].as_i64().unwrap_or(0);
            if status["status"] == "RUNNING" && segments >= threshold && segments < files {
                process.child.start_kill().unwrap();
                process.child.wait().await.unwrap();
                kills += 1;
                break;
            }
            assert!(
                status["status"] != "COMPLETED",
                "the run finished before it could be killed: {status:#}"
            );
            assert!(
                Instant::now() < deadline,
                "never saw the run in progress: {status:#}"
            );
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        process = launch(&envs, port).await;
    }
    assert_eq!(kills, 2);

    let status = process.wait_completed("events").await;
    let runs = status["runs"].as_array().unwrap();
    assert!(
        runs.iter().filter(|r| r["status"] == "FAILED").count() >= 2,
        "killed runs are marked failed: {status:#}"
    );
    assert!(runs.iter().any(|r| {
        r["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("lease expired"))
    }));

    let total = files * rows_per_file;
    assert_eq!(process.count("events", "count(*)").await, total);
    assert_eq!(process.count("events", "count(DISTINCT id)").await, total);
    assert_eq!(status["totalSegments"], files);
    let on_disk = std::fs::read_dir(dir.path().join("segments/events_OFFLINE"))
        .unwrap()
        .count() as i64;
    assert_eq!(
        on_disk, files,
        "no orphan or temporary segment files are left"
    );
}

#[tokio::test]
async fn runs_on_embedded_postgres_with_the_demo_dataset() {
    let dir = tempfile::tempdir().unwrap();
    // As root the embedded cluster runs as `postgres`, which must pass through the temp dir.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let data_dir = dir.path().join("data");
    let output = Command::new(bin())
        .args(["demo-data", "--scale-factor", "0.002", "--files", "2"])
        .env("LAKEPORT_DATA_DIR", &data_dir)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let folder = data_dir.join("lake/tpch/lineitem");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);

    let envs = [("LAKEPORT_DATA_DIR", data_dir.to_string_lossy().into_owned())];
    let mut process = launch(&envs, free_port()).await;
    process.onboard("lineitem", &folder).await;
    process.wait_completed("lineitem").await;
    let rows = process.count("lineitem", "count(*)").await;
    assert!(
        rows > 10_000,
        "TPC-H lineitem at SF 0.002 has about 12k rows, got {rows}"
    );

    // The README's `lakeport create-token`, run beside the server on the same
    // data dir, shares its database and leaves it running.
    let output = Command::new(bin())
        .args([
            "create-token",
            "--username",
            "admin",
            "--name",
            "beside-the-server",
        ])
        .env("LAKEPORT_DATA_DIR", &data_dir)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let ready = reqwest::get(format!("{}/ready", process.address))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "the server's database is still up");
    let me: Value = common::client_with_token(&token)
        .get(format!("{}/auth/me", process.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "admin");

    // A clean stop also stops the private Postgres.
    let pid = process.child.id().unwrap();
    Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .await
        .unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(30), process.child.wait())
        .await
        .expect("stops on SIGTERM")
        .unwrap();
    assert!(exit.success());
    assert!(
        !data_dir.join("postgres/postmaster.pid").exists(),
        "embedded Postgres was stopped"
    );
}
