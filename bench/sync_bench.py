#!/usr/bin/env python3
"""Benchmark: how fast Lakeport syncs a folder of Parquet files and answers TPC-H Q1,
next to DuckDB doing the same work (read, sort by time, write ZSTD Parquet; run Q1)
on the same files and the same cores; and how fast a REALTIME table takes pushed rows
(NDJSON and Arrow IPC) and exports them as Parquet (DataExportTask), next to pyarrow
writing the same rows with the same codec.

Usage: python3 bench/sync_bench.py [--scale-factor 1] [--files 8]
Needs a release build of lakeport (bench/run.sh builds it) and Postgres on 127.0.0.1:5432.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

Q1 = """SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
 avg(l_discount) AS avg_disc, count(*) AS count_order FROM {table}
 WHERE l_shipdate <= DATE '1998-09-02' GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus"""


TOKEN = {}


def http(method, url, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    headers = {"Content-Type": content_type}
    if "value" in TOKEN:
        headers["Authorization"] = f"Bearer {TOKEN['value']}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def event_table(rows):
    import pyarrow as pa
    ids = pa.array(range(rows), pa.int64())
    return pa.table({
        "id": ids,
        "ts": pa.array([1_700_000_000_000 + i * 37 for i in range(rows)], pa.timestamp("ms")),
        "amount": pa.array([i * 1.5 for i in range(rows)], pa.float64()),
        "city": pa.array([("Oslo", "Lima", "Pune", "Kyiv")[i % 4] for i in range(rows)], pa.string()),
    })


def lakeport_realtime(base, lake, rows):
    """Pushes `rows` rows as NDJSON, then as Arrow IPC, into a REALTIME table that seals every
    `rows` rows, then exports its segments to a folder as SNAPPY Parquet."""
    import pyarrow as pa
    http("POST", base + "/schemas", {
        "schemaName": "events",
        "dimensionFieldSpecs": [{"name": "id", "dataType": "LONG"}, {"name": "city", "dataType": "STRING"}],
        "metricFieldSpecs": [{"name": "amount", "dataType": "DOUBLE"}],
        "dateTimeFieldSpecs": [{"name": "ts", "dataType": "TIMESTAMP", "format": "1:MILLISECONDS:TIMESTAMP",
                                "granularity": "1:MILLISECONDS"}]})
    out = lake / "exports"
    shutil.rmtree(out, ignore_errors=True)
    http("POST", base + "/tables", {
        "tableName": "events_REALTIME", "tableType": "REALTIME",
        "segmentsConfig": {"schemaName": "events", "timeColumnName": "ts"},
        "tableIndexConfig": {"streamConfigs": {"streamType": "http",
                                               "realtime.segment.flush.threshold.rows": str(rows)}},
        "task": {"taskTypeConfigsMap": {"DataExportTask": {
            "sourceTableName": "events_REALTIME", "externalTable.target": "filesystem",
            "outputDirURI": f"file://{out}/", "bufferTimePeriod": "0s",
            "fileFormat.parquet.compressionCodec": "SNAPPY"}}}})
    table = event_table(rows)
    per_request = max(1, min(20_000, rows // 10))
    ndjson = [
        "".join(json.dumps({"id": r["id"], "ts": 1_700_000_000_000 + r["id"] * 37, "amount": r["amount"],
                            "city": r["city"]}) + "\n"
                for r in table.slice(start, per_request).to_pylist()).encode()
        for start in range(0, rows, per_request)]
    started = time.perf_counter()
    for body in ndjson:
        http("POST", base + "/ingest/events_REALTIME", raw=body, content_type="application/x-ndjson")
    ndjson_seconds = time.perf_counter() - started
    arrow_bodies = []
    for start in range(0, rows, per_request):
        sink = pa.BufferOutputStream()
        part = table.slice(start, per_request)
        with pa.ipc.new_stream(sink, part.schema) as writer:
            writer.write_table(part)
        arrow_bodies.append(sink.getvalue().to_pybytes())
    started = time.perf_counter()
    for body in arrow_bodies:
        http("POST", base + "/ingest/events_REALTIME", raw=body, content_type="application/vnd.apache.arrow.stream")
    arrow_seconds = time.perf_counter() - started
    while True:
        status = http("GET", base + "/tables/events_REALTIME/ingestion")
        if status["consumingRows"] == 0 and status["completedRows"] == 2 * rows:
            break
        time.sleep(0.1)
    task = http("POST", base + "/tasks/schedule?taskType=DataExportTask&tableName=events_REALTIME", {})
    name = task["DataExportTask"]
    while True:
        states = http("GET", base + "/tasks/DataExportTask/events_REALTIME/taskstates")
        if states.get(name) in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.1)
    if states[name] != "COMPLETED":
        sys.exit(f"export failed: {http('GET', base + '/tables/events_REALTIME/exports')['runs'][0]}")
    run = http("GET", base + "/tables/events_REALTIME/exports")["runs"][0]
    export_seconds = max((run["endTimeMs"] - run["startTimeMs"]) / 1000, 1e-3)
    return {
        "rows": rows,
        "ndjson_seconds": ndjson_seconds, "ndjson_rows_per_s": rows / ndjson_seconds,
        "arrow_seconds": arrow_seconds, "arrow_rows_per_s": rows / arrow_seconds,
        "export_seconds": export_seconds, "export_rows": run["rowsExported"],
        "export_mb": run["bytesWritten"] / 1e6, "export_mb_per_s": run["bytesWritten"] / 1e6 / export_seconds,
    }


def pyarrow_write_same_rows(rows, work):
    import pyarrow.parquet as pq
    table = event_table(2 * rows)
    target = work / "pyarrow-events.parquet"
    started = time.perf_counter()
    pq.write_table(table, target, compression="snappy")
    seconds = max(time.perf_counter() - started, 1e-3)
    mb = target.stat().st_size / 1e6
    return {"seconds": seconds, "mb": mb, "mb_per_s": mb / seconds, "rows_per_s": 2 * rows / seconds}


def lakeport_sync(binary, lake, files_dir, work, realtime_rows):
    database = f"lakeport_bench_{int(time.time())}"
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {database}"], check=True)
    port = free_port()
    env = dict(os.environ,
               LAKEPORT_DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
               LAKEPORT_LISTEN_ADDR=f"127.0.0.1:{port}",
               LAKEPORT_DATA_DIR=str(work),
               LAKEPORT_LOCAL_ROOTS=str(lake),
               RUST_LOG="warn")
    server = subprocess.Popen([binary, "serve"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                http("GET", base + "/ready")
                break
            except Exception:
                time.sleep(0.1)
        # Scripts authenticate with an API token, as the README tells users to.
        TOKEN["value"] = subprocess.run([binary, "create-token", "--username", "admin", "--name", "bench"],
                                        env=env, check=True, capture_output=True, text=True).stdout.strip()
        task = {"catalogType": "local", "catalog.local.path": str(files_dir)}
        preview = http("POST", base + "/tables/preview", {
            "tableConfig": {"tableName": "lineitem_OFFLINE", "task": {"taskTypeConfigsMap": {"ExternalTableSyncTask": task}}},
            "config": {"inference": {"embeddedSchemaEnabled": True}}})
        http("POST", base + "/schemas", preview["schema"])
        http("POST", base + "/tables", preview["tableConfigs"]["offline"])
        while True:
            status = http("GET", base + "/tables/lineitem_OFFLINE/externalTable/status")
            if status["status"] in ("COMPLETED", "FAILED"):
                break
            time.sleep(0.2)
        if status["status"] != "COMPLETED":
            sys.exit(f"sync failed: {status['errorMessage']}")
        seconds = (status["endTimeMs"] - status["startTimeMs"]) / 1000
        query_times = []
        for _ in range(3):
            started = time.perf_counter()
            answer = http("POST", base + "/query/sql", {"sql": Q1.format(table="lineitem")})
            query_times.append(time.perf_counter() - started)
        return {
            "seconds": seconds,
            "rows": status["rowsLoaded"],
            "bytes": status["runs"][0]["bytesRead"],
            "segments": status["totalSegments"],
            "q1_seconds": min(query_times),
            "q1_rows": answer["numRowsResultSet"],
        }, lakeport_realtime(base, lake, realtime_rows)
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", f"DROP DATABASE IF EXISTS {database}"])


def duckdb_same_work(files_dir, work, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    source = f"read_parquet('{files_dir}/*.parquet')"
    target = work / "duckdb-sorted.parquet"
    started = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM {source} ORDER BY l_shipdate) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    copy_seconds = time.perf_counter() - started
    rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    q1_times = []
    for _ in range(3):
        started = time.perf_counter()
        con.execute(Q1.format(table=f"read_parquet('{target}')")).fetchall()
        q1_times.append(time.perf_counter() - started)
    return {"seconds": copy_seconds, "rows": rows, "q1_seconds": min(q1_times)}


def pyarrow_read(files_dir):
    import pyarrow.dataset as ds
    started = time.perf_counter()
    table = ds.dataset(str(files_dir), format="parquet").to_table()
    return {"seconds": time.perf_counter() - started, "rows": table.num_rows}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale-factor", type=float, default=1.0)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--binary", default=None)
    args = parser.parse_args()
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = args.binary or str(target_dir / "release" / "lakeport")

    lake = OUT / "lake"
    files_dir = lake / f"lineitem-sf{args.scale_factor:g}"
    if not files_dir.exists():
        subprocess.run([binary, "demo-data", "--out", str(files_dir), "--scale-factor", str(args.scale_factor),
                        "--files", str(args.files)], check=True)
    source_bytes = sum(p.stat().st_size for p in files_dir.glob("*.parquet"))
    work = OUT / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    threads = os.cpu_count() or 1
    realtime_rows = max(2_000, int(500_000 * args.scale_factor))
    lakeport, realtime = lakeport_sync(binary, lake, files_dir, work / "lakeport", realtime_rows)
    duck = duckdb_same_work(files_dir, work, threads)
    arrow = pyarrow_read(files_dir)
    arrow_write = pyarrow_write_same_rows(realtime_rows, work)
    mb = source_bytes / 1e6
    results = {
        "scale_factor": args.scale_factor, "files": args.files, "source_mb": round(mb, 1), "cores": threads,
        "lakeport": lakeport, "duckdb": duck, "pyarrow_read": arrow,
        "realtime": realtime, "pyarrow_write": arrow_write,
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nTPC-H lineitem SF{args.scale_factor:g}: {lakeport['rows']:,} rows in {args.files} files, {mb:.0f} MB, {threads} cores\n")
    print(f"{'':38}{'seconds':>9}{'rows/s':>14}{'MB/s':>9}")
    for name, seconds, rows in [
        ("Lakeport sync (read+sort+ZSTD segs)", lakeport["seconds"], lakeport["rows"]),
        ("DuckDB COPY ... ORDER BY ... zstd", duck["seconds"], duck["rows"]),
        ("pyarrow read only", arrow["seconds"], arrow["rows"]),
    ]:
        print(f"{name:38}{seconds:9.2f}{rows / seconds:14,.0f}{mb / seconds:9.1f}")
    print(f"\nTPC-H Q1 (best of 3): Lakeport {lakeport['q1_seconds'] * 1000:.0f} ms over {lakeport['segments']} segments, "
          f"DuckDB {duck['q1_seconds'] * 1000:.0f} ms over its sorted file")
    print(f"\nREALTIME, {realtime_rows:,} rows per format ({2 * realtime_rows:,} exported):")
    print(f"{'':38}{'seconds':>9}{'rows/s':>14}{'MB/s':>9}")
    print(f"{'Lakeport ingest, NDJSON':38}{realtime['ndjson_seconds']:9.2f}{realtime['ndjson_rows_per_s']:14,.0f}")
    print(f"{'Lakeport ingest, Arrow IPC':38}{realtime['arrow_seconds']:9.2f}{realtime['arrow_rows_per_s']:14,.0f}")
    print(f"{'Lakeport export (SNAPPY Parquet)':38}{realtime['export_seconds']:9.2f}"
          f"{realtime['export_rows'] / realtime['export_seconds']:14,.0f}{realtime['export_mb_per_s']:9.1f}")
    print(f"{'pyarrow write_table, same rows':38}{arrow_write['seconds']:9.2f}"
          f"{arrow_write['rows_per_s']:14,.0f}{arrow_write['mb_per_s']:9.1f}")


if __name__ == "__main__":
    main()
