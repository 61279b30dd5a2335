/**
 * Backup and restore benchmark on this machine, with the real node scripts, real etcd and the
 * loopback S3 server the tests use (127.1.9.x addresses):
 *
 *   - backup: node/etcd-backup.sh on the leader (snapshot save, verify, upload, manifest), wall time;
 *   - restore RTO: from the restore command on every member of a new cluster (download, verify,
 *     etcdutl snapshot restore) to a healthy, serving cluster (all members healthy, one leader);
 *   - write latency p50/p99 (etcd's own `benchmark put`, 256-byte values) without and with a
 *     snapshot in progress (snapshots of the leader taken back to back during the whole run).
 *
 * For databases of about 10 MB, 100 MB and 1 GB by default. Bounded: every command has a time limit,
 * the run stops starting new sizes past its deadline, and every process is killed at the end.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { etcdBinDir } from "../tests/helpers/etcdBinaries";
import { toolPath } from "../tools/toolchain";
import { nodeScript, TestCluster } from "../tests/helpers/etcdCluster";
import { ProcessGroup, run, RunResult } from "../tests/helpers/processes";
import { awsEnv, S3TestServer } from "../tests/helpers/s3Server";

export interface BackupBenchOptions {
    sizesMb: number[];
    version: string;
    /** Stop starting new sizes after this many ms. */
    deadlineMs: number;
    log: (line: string) => void;
}

export interface Latency {
    p50Ms: number;
    p99Ms: number;
    requestsPerSecond: number;
}

export interface BackupBenchResult {
    targetMb: number;
    dbSizeBytes: number;
    keys: number;
    snapshotBytes: number;
    backupMs: number;
    backupSnapshotMs: number;
    backupUploadMs: number;
    restoreCommandMs: number;
    restoreRtoMs: number;
    writeLatency: Latency;
    writeLatencyDuringSnapshot: Latency & { snapshots: number };
}

const GiB = 1024 ** 3;
const VALUE_BYTES = 64 * 1024;

function must(r: RunResult, what: string): RunResult {
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).slice(-2000)}`);
    return r;
}

function benchmarkBinary(): string {
    return toolPath("benchmark");
}

function parseLatency(out: string): Latency {
    const pct = (p: string) => {
        const m = new RegExp(`\\b${p.replace(".", "\\.")}% in ([\\d.]+) secs`).exec(out);
        if (!m) throw new Error(`no ${p}% latency in benchmark output: ${out.slice(-1500)}`);
        return Number(m[1]) * 1000;
    };
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
    return { p50Ms: pct("50"), p99Ms: pct("99"), requestsPerSecond: rps ? Number(rps[1]) : 0 };
}

async function benchOne(targetMb: number, version: string, binDir: string, benchmark: string, log: (l: string) => void): Promise<BackupBenchResult> {
    const group = new ProcessGroup();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-backup-${targetMb}mb-`));
    try {
        const s3 = new S3TestServer(group, { host: "127.1.9.100:9000", dir: path.join(dir, "s3") });
        await s3.start();
        const common = { version, binDir, memberEnv: s3.memberEnv("bench/backup/main"), scriptEnv: awsEnv(), input: { quotaBackendBytes: 8 * GiB } };
        const source = new TestCluster(group, { ...common, dir: path.join(dir, "source"), members: [1, 2, 3].map((i) => ({ name: `etcd${i}`, ip: `127.1.9.${i}` })) });
        const target = new TestCluster(group, { ...common, dir: path.join(dir, "target"), members: [1, 2, 3].map((i) => ({ name: `etcd${i}`, ip: `127.1.9.${10 + i}` })) });
        source.start();
        await source.waitHealthy();

        const p = source.memberPaths("etcd1");
        const tls = ["--cacert", `${p.certDir}/ca.pem`, "--cert", `${p.certDir}/node-etcd1.pem`, "--key", `${p.certDir}/node-etcd1-key.pem`];
        const endpoints = ["--endpoints", source.names().map((n) => source.clientUrl(n)).join(",")];
        const bench = (args: string[], timeoutMs: number) => run(benchmark, [...endpoints, ...tls, "--conns", "4", ...args], { timeoutMs });

        // Fill to the target size with distinct 64 KiB values.
        const keys = Math.max(1, Math.round((targetMb * 1024 * 1024) / VALUE_BYTES));
        log(`  ${targetMb} MB: writing ${keys} keys of ${VALUE_BYTES} bytes`);
        must(await bench(["--clients", "16", "put", "--total", String(keys), "--key-space-size", String(keys), "--sequential-keys", "--key-size", "16", "--val-size", String(VALUE_BYTES)], 30 * 60_000), "filling the database");
        const status = await source.waitHealthy();
        const st = must(await source.etcdctl(["endpoint", "status", "-w", "json"], { endpoints: [source.clientUrl(status.leaderName)] }), "endpoint status");
        const dbSizeBytes = Number(/"dbSize":(\d+)/.exec(st.stdout)?.[1] ?? 0);

        const latencyRun = () => bench(["--clients", "8", "put", "--total", "4000", "--key-space-size", "100000", "--key-size", "16", "--val-size", "256"], 10 * 60_000);
        log(`  ${targetMb} MB: write latency, no snapshot`);
        const writeLatency = parseLatency(must(await latencyRun(), "latency benchmark").stdout);

        log(`  ${targetMb} MB: write latency with snapshots of the leader taken back to back`);
        let snapshotting = true;
        let snapshots = 0;
        const lp = source.memberPaths(status.leaderName);
        const snapFile = path.join(lp.mountPoint, "bench-snapshot.db");
        const loop = (async () => {
            while (snapshotting) {
                const r = await source.etcdctl(["snapshot", "save", snapFile], { as: status.leaderName, endpoints: [source.clientUrl(status.leaderName)], timeoutMs: 10 * 60_000, commandTimeout: "600s" });
                if (r.code === 0) snapshots++;
                fs.rmSync(snapFile, { force: true });
            }
        })();
        // Let the first snapshot start before the writes do.
        await new Promise((r) => setTimeout(r, 300));
        const during = await latencyRun();
        snapshotting = false;
        await loop;
        const writeLatencyDuringSnapshot = { ...parseLatency(must(during, "latency benchmark during snapshots").stdout), snapshots };

        log(`  ${targetMb} MB: backup (etcd-backup on the leader ${status.leaderName})`);
        const t0 = Date.now();
        const backupRun = must(await run(nodeScript("etcd-backup"), [], { env: source.env(status.leaderName), timeoutMs: 30 * 60_000 }), "etcd-backup");
        const backupMs = Date.now() - t0;
        const backup = JSON.parse(backupRun.stdout.trim().split("\n").pop()!) as { key: string; size: number; snapshotMs: number; uploadMs: number };

        log(`  ${targetMb} MB: restore into a new cluster and wait until it serves`);
        const r0 = Date.now();
        const restores = await Promise.all(
            target.names().map((n) => run(nodeScript("etcd-restore"), ["--from", `s3://${s3.bucket}/${backup.key}`, "--yes", "--token", "bench-restored"], { env: target.env(n), timeoutMs: 30 * 60_000 })),
        );
        for (const r of restores) must(r, "etcd-restore");
        const restoreCommandMs = Date.now() - r0;
        target.start();
        await target.waitHealthy(target.names(), 10 * 60_000);
        must(await target.etcdctl(["put", "/bench/after-restore", "x"]), "a write to the restored cluster");
        const restoreRtoMs = Date.now() - r0;

        return {
            targetMb,
            dbSizeBytes,
            keys,
            snapshotBytes: backup.size,
            backupMs,
            backupSnapshotMs: backup.snapshotMs,
            backupUploadMs: backup.uploadMs,
            restoreCommandMs,
            restoreRtoMs,
            writeLatency,
            writeLatencyDuringSnapshot,
        };
    } finally {
        await group.stopAll();
        if (!process.env.KEEP_BENCH_DIR) fs.rmSync(dir, { recursive: true, force: true });
    }
}

export async function benchBackup(options: BackupBenchOptions): Promise<BackupBenchResult[]> {
    const binDir = etcdBinDir(options.version);
    const benchmark = benchmarkBinary();
    S3TestServer.binary();
    const started = Date.now();
    const results: BackupBenchResult[] = [];
    for (const mb of options.sizesMb) {
        if (Date.now() - started > options.deadlineMs) {
            options.log(`  deadline of ${Math.round(options.deadlineMs / 1000)} s passed; skipping ${mb} MB and larger`);
            break;
        }
        results.push(await benchOne(mb, options.version, binDir, benchmark, options.log));
    }
    return results;
}

export function formatBackupResults(version: string, results: BackupBenchResult[]): string {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    const lines = [
        `etcd ${version}, 3 members on loopback, ${os.cpus().length} cores; S3: local server on loopback`,
        "| db size | backup (snapshot + verify + upload) | restore command (3 members) | restore RTO to healthy | write p50 / p99 | p50 / p99 during snapshot |",
        "|---|---|---|---|---|---|",
    ];
    for (const r of results) {
        lines.push(
            `| ${mb(r.dbSizeBytes)} | ${s(r.backupMs)} (snapshot ${s(r.backupSnapshotMs)}, upload ${s(r.backupUploadMs)}) | ${s(r.restoreCommandMs)} | ${s(r.restoreRtoMs)} | ${ms(r.writeLatency.p50Ms)} / ${ms(r.writeLatency.p99Ms)} | ${ms(r.writeLatencyDuringSnapshot.p50Ms)} / ${ms(r.writeLatencyDuringSnapshot.p99Ms)} (${r.writeLatencyDuringSnapshot.snapshots} snapshots) |`,
        );
    }
    return lines.join("\n");
}
