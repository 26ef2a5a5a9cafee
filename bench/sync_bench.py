#!/usr/bin/env python3
"""Benchmark: how fast Lakeport syncs a folder of Parquet files and answers TPC-H Q1,
next to DuckDB doing the same work (read, sort by time, write ZSTD Parquet; run Q1)
on the same files and the same cores.

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


def http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if "value" in TOKEN:
        headers["Authorization"] = f"Bearer {TOKEN['value']}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lakeport_sync(binary, lake, files_dir, work):
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
        }
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
    lakeport = lakeport_sync(binary, lake, files_dir, work / "lakeport")
    duck = duckdb_same_work(files_dir, work, threads)
    arrow = pyarrow_read(files_dir)
    mb = source_bytes / 1e6
    results = {
        "scale_factor": args.scale_factor, "files": args.files, "source_mb": round(mb, 1), "cores": threads,
        "lakeport": lakeport, "duckdb": duck, "pyarrow_read": arrow,
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


if __name__ == "__main__":
    main()
