/**
 * Restore and disaster recovery against real tools: a source cluster backs up into a real S3 API on
 * loopback, and node/etcd-restore.sh brings up new three-member clusters from that backup. One block
 * of loopback addresses per etcd version (127.1.2.x for the first, 127.1.3.x, ...: the sandbox uses 127.0.x.x): source members
 * .1-.3, restored members .11-.13, S3 on .100:9000. ETCD_TEST_VERSIONS="3.5.33 3.6.14 3.7.3" runs
 * every line. Every process is killed in afterAll.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { etcdBinDir, testEtcdVersions } from "../helpers/etcdBinaries";
import { requireTool, TestCluster, treeFingerprint } from "../helpers/etcdCluster";
import { SsmStandIn } from "../helpers/ssmStandIn";
import { ProcessGroup, RunResult } from "../helpers/processes";
import { awsCliPath, awsEnv, S3TestServer } from "../helpers/s3Server";

const prefix = "it/restore/main";

interface BackupResult {
    key: string;
    manifest: string;
    revision: number;
    sha256: string;
    size: number;
}

interface RestoreResult {
    restored: boolean;
    member: string;
    revision?: number;
    movedAside?: string | null;
    newToken?: boolean;
    reason?: string;
}

function lastJson<T>(r: RunResult): T {
    const line = r.stdout
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
    if (!line) throw new Error(`no JSON output (exit ${r.code}): ${r.stderr}`);
    return JSON.parse(line) as T;
}

describe.each(testEtcdVersions().map((v, i) => [v, i] as const))("restore with etcd %s", (version, index) => {
    const block = 2 + index;
    const group = new ProcessGroup();
    let dir: string;
    let s3: S3TestServer;
    let source: TestCluster;
    let target: TestCluster;
    let backup: BackupResult;
    let expectedKeys: string;
    let sourceClusterId: string;
    let keysBeforeCopy: string;

    beforeAll(async () => {
        requireTool("openssl", "apt-get install -y openssl");
        awsCliPath();
        const binDir = etcdBinDir(version);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `restore-${version}-`));
        s3 = new S3TestServer(group, { host: `127.1.${block}.100:9000`, dir: path.join(dir, "s3") });
        await s3.start();
        const common = { version, binDir, memberEnv: s3.memberEnv(prefix), scriptEnv: awsEnv() };
        source = new TestCluster(group, { ...common, dir: path.join(dir, "source"), members: [1, 2, 3].map((i) => ({ name: `etcd${i}`, ip: `127.1.${block}.${i}` })) });
        // The restored cluster: other addresses, its own PKI and a new token, bootstrapped from the latest backup.
        target = new TestCluster(group, {
            ...common,
            dir: path.join(dir, "target"),
            members: [1, 2, 3].map((i) => ({ name: `etcd${i}`, ip: `127.1.${block}.${10 + i}` })),
            memberEnv: { ...common.memberEnv, RESTORE_FROM: "latest" },
        });
        source.start();
        sourceClusterId = (await source.waitHealthy()).clusterId;
        for (let i = 0; i < 40; i++) expect((await source.etcdctl(["put", `/app/key-${i}`, `value-${i}`])).code).toBe(0);
        expect((await source.etcdctl(["put", "/app/big", "b".repeat(100_000)])).code).toBe(0);
        expect((await source.etcdctl(["del", "/app/key-7"])).code).toBe(0);
        expectedKeys = (await source.etcdctl(["get", "/app/", "--prefix"])).stdout;

        const results = await Promise.all(source.names().map((n) => source.runScript(n, "etcd-backup")));
        const made = results.filter((r) => r.code === 0 && r.stdout.trim() !== "");
        if (made.length !== 1) throw new Error(`expected one backup from the leader, got ${made.length}: ${results.map((r) => `exit ${r.code} ${r.stderr}`).join(" | ")}`);
        backup = lastJson<BackupResult>(made[0]);
        // Written after the backup: must not be in any restored cluster.
        expect((await source.etcdctl(["put", "/app/after-backup", "x"])).code).toBe(0);
    }, 20 * 60_000);

    afterAll(async () => {
        await group.stopAll();
        if (dir && !process.env.KEEP_ETCD_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
    });

    const keysOf = async (c: TestCluster) => (await c.etcdctl(["get", "/app/", "--prefix"])).stdout;

    /** The data dir and what lies beside it on the volume, to prove a refused restore changed nothing. */
    const volumeState = (c: TestCluster, name: string) => {
        const p = c.memberPaths(name);
        const beside = fs.readdirSync(p.mountPoint).filter((f) => f.startsWith("data") || f.startsWith(".restore"));
        return { data: treeFingerprint(p.dataDir), beside: beside.sort() };
    };

    it("bootstraps a new cluster from the latest backup (restoreFrom): same keys, values and revision, new cluster id", async () => {
        const restored = await Promise.all(target.names().map((n) => target.runScript(n, "etcd-restore", ["--bootstrap"])));
        for (const r of restored) {
            expect(r.stderr).not.toContain("FAILED");
            expect(r.code).toBe(0);
            expect(lastJson<RestoreResult>(r)).toMatchObject({ restored: true, revision: backup.revision, movedAside: null });
        }
        // The bootstrap goes on as always: a member with data starts with the "new" config.
        const chosen = await Promise.all(target.names().map((n) => target.runScript(n, "etcd-choose-state")));
        for (const c of chosen) expect(c.stdout.trim()).toBe("new");
        target.start();
        const status = await target.waitHealthy();
        expect(status.clusterId).not.toBe(sourceClusterId);
        expect(status.revision).toBe(backup.revision);
        expect(await keysOf(target)).toBe(expectedKeys);
        expect((await target.etcdctl(["get", "/app/after-backup"])).stdout).toBe("");
    });

    it("--bootstrap never writes over data, and joins a cluster that already runs instead of restoring", async () => {
        await target.stop("etcd1");
        const before = volumeState(target, "etcd1");
        const withData = await target.runScript("etcd1", "etcd-restore", ["--bootstrap"]);
        expect(withData.code).toBe(0);
        expect(lastJson<RestoreResult>(withData)).toMatchObject({ restored: false, reason: "data dir not empty" });
        expect(volumeState(target, "etcd1")).toEqual(before);

        // An empty data dir while the other two serve with a quorum: no restore (etcd-choose-state re-adds it).
        const p = target.memberPaths("etcd1");
        fs.renameSync(p.dataDir, `${p.dataDir}.held`);
        fs.mkdirSync(p.dataDir, { mode: 0o700 });
        try {
            const joining = await target.runScript("etcd1", "etcd-restore", ["--bootstrap"]);
            expect(joining.code).toBe(0);
            expect(lastJson<RestoreResult>(joining)).toMatchObject({ restored: false, reason: "cluster already running" });
            expect(fs.readdirSync(p.dataDir)).toEqual([]);
        } finally {
            fs.rmSync(p.dataDir, { recursive: true });
            fs.renameSync(`${p.dataDir}.held`, p.dataDir);
        }
        target.start(["etcd1"]);
        await target.waitHealthy();
    });

    /**
     * The same for a member whose etcd runs: it writes its WAL and database at any moment, so the
     * contents may change; a restore that touched the data would move or replace the directories.
     */
    const runningVolumeState = (c: TestCluster, name: string) => {
        const p = c.memberPaths(name);
        const dirs: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                if (!e.isDirectory()) continue;
                const full = path.join(d, e.name);
                dirs.push(`${path.relative(p.dataDir, full)} ${fs.statSync(full).ino}`);
                walk(full);
            }
        };
        walk(p.dataDir);
        const beside = fs.readdirSync(p.mountPoint).filter((f) => f.startsWith("data") || f.startsWith(".restore"));
        return { dataInode: fs.statSync(p.dataDir).ino, dirs: dirs.sort(), beside: beside.sort() };
    };

    it("refuses to restore while etcd runs on the member", async () => {
        const before = runningVolumeState(target, "etcd2");
        expect(before.dirs.some((d) => d.startsWith("member/wal "))).toBe(true);
        const r = await target.runScript("etcd2", "etcd-restore", ["--from", "latest", "--yes"]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/FAILED: etcd is running on this member \(.*\): stop it first/);
        expect(runningVolumeState(target, "etcd2")).toEqual(before);
    });

    it("operator restore with --bump-revision and --mark-compacted: old data moved aside, revision raised, older revisions compacted", async () => {
        await target.stopAll();
        const bump = 1_000_000;
        const uri = `s3://${s3.bucket}/${backup.key}`;
        const results = await Promise.all(
            target.names().map((n) => target.runScript(n, "etcd-restore", ["--from", uri, "--yes", "--bump-revision", String(bump), "--mark-compacted", "--token", "restored-bumped"])),
        );
        for (const r of results) {
            expect(r.stderr).not.toContain("FAILED");
            expect(r.code).toBe(0);
            const out = lastJson<RestoreResult>(r);
            expect(out).toMatchObject({ restored: true, newToken: true, revision: backup.revision });
            expect(out.movedAside).toMatch(/\/data\.before-restore-\d{8}T\d{6}Z$/);
            expect(fs.existsSync(path.join(out.movedAside!, "member", "snap", "db"))).toBe(true);
        }
        target.start();
        const status = await target.waitHealthy();
        expect(status.revision).toBeGreaterThanOrEqual(backup.revision + bump);
        expect(status.revision).toBeLessThan(backup.revision + bump + 10);
        expect(await keysOf(target)).toBe(expectedKeys);
        const old = await target.etcdctl(["get", "/app/key-1", "--rev", String(backup.revision)]);
        expect(old.code).not.toBe(0);
        expect(old.stderr).toContain("compacted");
        const put = await target.etcdctl(["put", "/app/after-restore", "y", "-w", "json"]);
        expect(Number(/"revision":(\d+)/.exec(put.stdout)?.[1])).toBeGreaterThan(backup.revision + bump);
        keysBeforeCopy = await keysOf(target);
    });

    it("refuses --bump-revision without --mark-compacted, and the reverse", async () => {
        const a = await target.runScript("etcd1", "etcd-restore", ["--from", "latest", "--yes", "--bump-revision", "5"]);
        expect(a.code).toBe(1);
        expect(a.stderr).toContain("--bump-revision needs --mark-compacted");
        const b = await target.runScript("etcd1", "etcd-restore", ["--from", "latest", "--yes", "--mark-compacted"]);
        expect(b.code).toBe(1);
        expect(b.stderr).toContain("--mark-compacted goes with --bump-revision");
    });

    it("refuses a truncated or corrupted snapshot, or anything that is not a finished backup, before touching the data dir", async () => {
        await target.stopAll();
        const good = path.join(dir, "good.db");
        await s3.download(backup.key, good);
        const bytes = fs.readFileSync(good);
        const truncated = path.join(dir, "truncated.db");
        fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2) + 100));
        const corrupted = path.join(dir, "corrupted.db");
        const flipped = Buffer.from(bytes);
        for (let i = 0; i < 64; i++) flipped[8192 + i] ^= 0xff;
        fs.writeFileSync(corrupted, flipped);
        // The same damage in the bucket, each under a good manifest of its own name.
        const base = backup.key.replace(/\.db$/, "");
        const manifest = path.join(dir, "good.json");
        await s3.download(backup.manifest, manifest);
        for (const [name, file] of [["corrupted", corrupted], ["truncated", truncated]] as const) {
            await s3.upload(file, `${base}-${name}.db`);
            await s3.upload(manifest, `${base}-${name}.json`);
        }
        await s3.upload(good, `${base}-unfinished.db`);

        const cases: Array<[string[], RegExp]> = [
            [["--from", truncated], /is truncated/],
            [["--from", corrupted], /fails its integrity hash .*: the snapshot is corrupted/],
            [["--from", `s3://${s3.bucket}/${base}-corrupted.db`], /sha256 of .* is [0-9a-f]{64}, expected [0-9a-f]{64}/],
            [["--from", `s3://${s3.bucket}/${base}-truncated.db`], /has \d+ bytes, the manifest says \d+: truncated/],
            [["--from", `s3://${s3.bucket}/${base}-unfinished.db`], /is not a finished backup: its manifest .* cannot be read/],
            [["--from", good, "--skip-hash-check"], /carries the integrity hash of `snapshot save`/],
            [["--from", `s3://${s3.bucket}/${backup.key}`, "--skip-hash-check"], /--skip-hash-check is refused for s3:\/\//],
            [["--from", path.join(dir, "missing.db")], /no such file/],
        ];
        for (const name of ["etcd1"]) {
            const before = volumeState(target, name);
            for (const [args, message] of cases) {
                const r = await target.runScript(name, "etcd-restore", [...args, "--yes"]);
                expect({ args, code: r.code, message: r.stderr }).toEqual({ args, code: 1, message: expect.stringMatching(message) });
                expect(r.stdout).toBe("");
                expect(volumeState(target, name)).toEqual(before);
            }
        }
        // The verifier on its own says the same.
        const v = await target.runScript("etcd1", "etcd-snapshot-verify", [truncated]);
        expect(v.code).toBe(1);
        expect(v.stderr).toContain("truncated");
    });

    it("restores a db file copied from a data dir only with --skip-hash-check", async () => {
        const copied = path.join(dir, "copied.db");
        fs.copyFileSync(path.join(target.memberPaths("etcd1").dataDir, "member", "snap", "db"), copied);
        const before = volumeState(target, "etcd1");
        const refused = await target.runScript("etcd1", "etcd-restore", ["--from", copied, "--yes"]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/has no integrity hash: it is not a `snapshot save` product \(a db file copied from a data dir needs --skip-hash-check/);
        expect(volumeState(target, "etcd1")).toEqual(before);

        const results = await Promise.all(target.names().map((n) => target.runScript(n, "etcd-restore", ["--from", copied, "--skip-hash-check", "--yes", "--token", "from-copied-db"])));
        for (const r of results) {
            expect(r.stderr).not.toContain("FAILED");
            expect(r.code).toBe(0);
            expect(lastJson<RestoreResult>(r)).toMatchObject({ restored: true });
        }
        target.start();
        await target.waitHealthy();
        expect(await keysOf(target)).toBe(keysBeforeCopy);
        expect(keysBeforeCopy).toContain("/app/after-restore");
    });

    it("latest is the newest snapshot of this cluster: one of another cluster under the prefix is left out, and none of this cluster is refused", async () => {
        await target.stopAll();
        // A finished backup of another cluster, newer than the real one (a copy of it, with another
        // cluster id in its manifest): a prefix shared by mistake, or an object planted there.
        const real = JSON.parse(await (async () => {
            const file = path.join(dir, "real.json");
            await s3.download(backup.manifest, file);
            return fs.readFileSync(file, "utf8");
        })()) as { clusterId: string };
        const stamp = new Date(Date.now() + 60_000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
        const foreign = `${backup.key.slice(0, backup.key.indexOf("/snapshots/"))}/snapshots/${stamp.slice(0, 4)}/${stamp.slice(4, 6)}/${stamp.slice(6, 8)}/${stamp}-r${backup.revision}`;
        const copy = path.join(dir, "foreign.db");
        await s3.download(backup.key, copy);
        await s3.upload(copy, `${foreign}.db`);
        fs.writeFileSync(copy, JSON.stringify({ ...real, clusterId: "f0f0f0f0f0f0f0f0", key: `${foreign}.db` }));
        await s3.upload(copy, `${foreign}.json`);

        const ssm = new SsmStandIn(path.join(dir, "ssm"));
        const idsPath = "/etcd/it/restore/cluster/ids";
        for (const n of target.names()) target.appendEnv(n, { CLUSTER_IDS_PATH: idsPath });
        const restoreLatest = (n: string) => target.runScript(n, "etcd-restore", ["--from", "latest", "--yes", "--token", `latest-of-${real.clusterId}`], { PATH: ssm.path });

        // No snapshot of the recorded cluster: refused, naming the newest, with nothing touched.
        ssm.put(`${idsPath}/1234abcd`, "another-token");
        const before = volumeState(target, "etcd1");
        const refused = await restoreLatest("etcd1");
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`ignoring s3://${s3.bucket}/${foreign}.db: a snapshot of cluster f0f0f0f0f0f0f0f0, not of this cluster (1234abcd)`);
        expect(refused.stderr).toContain(`FAILED: no finished backup of this cluster (1234abcd)`);
        expect(refused.stderr).toContain(`the newest is s3://${s3.bucket}/${foreign}.db`);
        expect(volumeState(target, "etcd1")).toEqual(before);

        // The source cluster recorded too (it was restored into the one before): its own backup is
        // restored, the newer foreign one left out.
        ssm.put(`${idsPath}/${real.clusterId}`, "the-source-token");
        const results = await Promise.all(target.names().map(restoreLatest));
        for (const r of results) {
            expect(r.stderr).toContain(`ignoring s3://${s3.bucket}/${foreign}.db: a snapshot of cluster f0f0f0f0f0f0f0f0`);
            expect(r.code).toBe(0);
            expect(lastJson<RestoreResult & { from: string }>(r)).toMatchObject({ restored: true, from: `s3://${s3.bucket}/${backup.key}` });
        }
        target.start();
        await target.waitHealthy();
        expect(await keysOf(target)).toBe(expectedKeys);
    });
});
