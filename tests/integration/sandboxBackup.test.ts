/**
 * `npm run sandbox -- backup | backups | restore` on the dev stack's cluster: the members' own
 * etcd-backup.service (as its timer runs it) into the sandbox's real S3 API, and disaster recovery
 * into a new cluster by the restoreFrom path. The etcd release is ETCD_TEST_VERSION (default 3.6.14).
 * Traffic stays in the sandbox's own namespaces; `down` in afterAll removes every process (the S3
 * server too), namespace, mount, loop device and file.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BackupReport, RestoreReport } from "../../sandbox/backupCommands";
import { BACKUP_SERVICE } from "../../components/render/systemd";
import { readState, stackDir } from "../../sandbox/state";
import { awsCli, hostAws } from "../../sandbox/s3";
import { testEtcdVersion } from "../helpers/etcdBinaries";
import { testStackFile, TestSandbox } from "../helpers/sandbox";
import { run } from "../helpers/processes";
import { REPO_ROOT } from "../helpers/repo";

const STACK = "it-backup";
const version = testEtcdVersion();
let sandbox: TestSandbox;
let tmp: string;

beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-backup-test-"));
    awsCli();
    sandbox = await TestSandbox.up(STACK, path.join(REPO_ROOT, "Pulumi.dev.yaml"));
    for (let i = 0; i < 30; i++) expect((await sandbox.etcdctl(["put", `/app/key-${i}`, `value-${i}`])).code).toBe(0);
}, 20 * 60_000);

afterAll(async () => {
    const s3Pid = readS3Pid();
    await sandbox?.down();
    if (s3Pid) expect(fs.existsSync(`/proc/${s3Pid}`)).toBe(false);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 180_000);

function readS3Pid(): number | undefined {
    const file = path.join(stackDir(STACK), "s3data", "s3-server.pid");
    return fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8").trim()) : undefined;
}

async function backup(): Promise<BackupReport> {
    const result = await sandbox.cli(["backup"], 5 * 60_000);
    expect({ code: result.code, stderr: result.code === 0 ? "" : `${result.stderr}${result.stdout}` }).toEqual({ code: 0, stderr: "" });
    return JSON.parse(result.stdout) as BackupReport;
}

async function leaderName(): Promise<string> {
    const status = await sandbox.endpointStatus();
    const leader = status.find((s) => s.memberId === s.leader)!;
    return sandbox.report.members.find((m) => m.clientUrl === leader.endpoint)!.name;
}

async function values(prefix: string): Promise<Record<string, string>> {
    const result = await sandbox.etcdctl(["get", prefix, "--prefix"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n").filter(Boolean);
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]] = lines[i + 1];
    return out;
}

/** The files of that name on a volume image, mounted read-only for the look (and always unmounted). */
async function filesOnVolume(image: string, name: string): Promise<string[]> {
    const mountPoint = fs.mkdtempSync(path.join(tmp, "volume-"));
    // norecovery: read-only XFS without replaying a log (a volume is left as its machine left it).
    const mounted = await run("mount", ["-o", "loop,ro,norecovery", image, mountPoint]);
    if (mounted.code !== 0) throw new Error(`cannot mount ${image}: ${mounted.stderr}`);
    try {
        const found = await run("find", [mountPoint, "-name", name, "-type", "f"]);
        return found.stdout.trim().split("\n").filter(Boolean);
    } finally {
        await run("umount", [mountPoint]);
        fs.rmdirSync(mountPoint);
    }
}

/**
 * Every snapshot the running members' etcd-backup.service uploaded, newest first: the test's own
 * and the timer's, which fires on its own every backupIntervalMinutes on these real machines.
 */
async function backupsInJournals(): Promise<string[]> {
    const uris = new Set<string>();
    for (const member of sandbox.report.members) {
        const journal = await sandbox.exec(member.name, ["journalctl", "--no-pager", "-o", "cat", "-u", BACKUP_SERVICE], 60_000);
        expect(journal.code).toBe(0);
        for (const match of journal.stdout.matchAll(/: backup (s3:\/\/\S+\.db): revision /g)) uris.add(match[1]);
    }
    return newestFirst([...uris]);
}

/** A snapshot's key carries its UTC date and time, so the reverse of the key order is newest first. */
function newestFirst(uris: string[]): string[] {
    return [...uris].sort().reverse();
}

let first: BackupReport;
let second: BackupReport;
let keysAtFirst: Record<string, string>;
let listedBeforeRestore: string[];

describe(`etcd ${version}: sandbox backup`, () => {
    it("runs every member's backup job: only the leader uploads, and the printed snapshot is the stored object", async () => {
        const leader = await leaderName();
        keysAtFirst = await values("/app/");
        first = await backup();
        expect(first.ok).toBe(true);
        expect(first.members.map((m) => [m.name, m.outcome]).sort()).toEqual(
            sandbox.report.members.map((m) => [m.name, m.name === leader ? "backed up" : "not the leader"]).sort(),
        );
        const snapshot = first.snapshot!;
        expect(snapshot.member).toBe(leader);
        expect(snapshot.key).toMatch(/\/snapshots\/\d{4}\/\d{2}\/\d{2}\/\d{8}T\d{6}Z-r\d+\.db$/);
        expect(snapshot.uri).toBe(`s3://${snapshot.bucket}/${snapshot.key}`);

        // The object in the sandbox's S3, read with the real AWS CLI: same bytes as printed.
        const s3 = readState(STACK)!.s3!;
        const file = path.join(tmp, "first.db");
        const download = hostAws(s3, ["s3", "cp", snapshot.uri, file, "--only-show-errors"]);
        expect(download.stderr).toBe("");
        const bytes = fs.readFileSync(file);
        expect(bytes.length).toBe(snapshot.size);
        expect(crypto.createHash("sha256").update(bytes).digest("hex")).toBe(snapshot.sha256);

        // What the leader published to the sandbox's CloudWatch at this tick.
        expect(first.metrics).toEqual(
            expect.arrayContaining([expect.objectContaining({ metric: "SecondsSinceLastGoodBackup", value: 0, namespace: "EtcdCluster" })]),
        );
    }, 10 * 60_000);

    it("lists finished backups newest first", async () => {
        expect((await sandbox.etcdctl(["put", "/app/after-first", "later"])).code).toBe(0);
        expect((await sandbox.etcdctl(["del", "/app/key-3"])).code).toBe(0);
        second = await backup();
        expect(second.snapshot!.revision).toBeGreaterThan(first.snapshot!.revision);
        const listed = await sandbox.cli(["backups"]);
        expect(listed.code).toBe(0);
        listedBeforeRestore = (JSON.parse(listed.stdout) as Array<{ uri: string }>).map((b) => b.uri);
        // Exactly what the members uploaded (a timer tick may have added one), newest first.
        expect(listedBeforeRestore).toEqual(await backupsInJournals());
        const ours = listedBeforeRestore.filter((uri) => uri === first.snapshot!.uri || uri === second.snapshot!.uri);
        expect(ours).toEqual([second.snapshot!.uri, first.snapshot!.uri]);
    }, 10 * 60_000);
});

describe(`etcd ${version}: sandbox restore`, () => {
    it("refuses a snapshot that is not a finished backup, before stopping anything", async () => {
        const pids = sandbox.report.members.map((m) => m.pid);
        const missing = await sandbox.cli(["restore", "--from", first.snapshot!.uri.replace(/\.db$/, "-missing.db")]);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toContain("is not a finished backup");
        const foreign = await sandbox.cli(["restore", "--from", "s3://another-bucket/x.db"]);
        expect(foreign.code).toBe(1);
        expect(foreign.stderr).toContain(`not in the sandbox's bucket`);
        const noFrom = await sandbox.cli(["restore"]);
        expect(noFrom.code).toBe(2);
        expect(noFrom.stderr).toContain("restore needs --from");
        const status = JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ pid: number }> };
        expect(status.members.map((m) => m.pid)).toEqual(pids);
    }, 5 * 60_000);

    it("brings up a new cluster from an older snapshot: its keys and revision, a new token and ids, old data kept aside", async () => {
        const before = { token: sandbox.report.clusterToken, ids: (await sandbox.memberList()).map((m) => m.id) };
        const stackFile = testStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml"), tmp);
        const result = await sandbox.cli(["restore", "--from", first.snapshot!.uri, "--config-file", stackFile], 20 * 60_000);
        expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr.slice(-3000) }).toEqual({ code: 0, stderr: "" });
        const restored = JSON.parse(result.stdout) as RestoreReport;
        sandbox.report = restored;

        expect(restored.restoredFrom).toMatchObject({ uri: first.snapshot!.uri, revision: first.snapshot!.revision, sha256: first.snapshot!.sha256 });
        expect(restored.restore.map((r) => [r.member, r.restored, r.sha256])).toEqual(restored.members.map((m) => [m.name, true, first.snapshot!.sha256]));
        expect(restored.clusterToken).not.toBe(before.token);
        const ids = (await sandbox.memberList()).map((m) => m.id);
        expect(ids.filter((id) => before.ids.includes(id))).toEqual([]);

        // Exactly the keys of the first snapshot: the later put and delete are not there.
        expect(await values("/app/")).toEqual(keysAtFirst);
        const header = await sandbox.etcdctl(["get", "/app/key-0", "-w", "json"]);
        expect(Number(JSON.parse(header.stdout).header.revision)).toBeGreaterThanOrEqual(first.snapshot!.revision);

        // The old members' volumes are moved aside, not deleted, with etcd's data on them; the bucket kept both backups.
        expect(restored.previousData.map((d) => path.basename(d)).sort()).toEqual(restored.members.map((m) => `${m.name}-volume.img`).sort());
        for (const image of restored.previousData) expect(await filesOnVolume(image, "db")).toEqual([expect.stringMatching(/member\/snap\/db$/)]);
        const listed = JSON.parse((await sandbox.cli(["backups"])).stdout) as Array<{ uri: string }>;
        // Newest first, and nothing lost: every earlier backup and every one the new members made
        // (an old member's timer may also have ticked during the restore, before it was stopped).
        const uris = listed.map((b) => b.uri);
        expect(uris).toEqual(newestFirst(uris));
        expect(uris).toEqual(expect.arrayContaining([...listedBeforeRestore, ...(await backupsInJournals())]));

        // The restored cluster takes backups like any other.
        const next = await backup();
        expect(next.ok).toBe(true);
        expect(next.snapshot!.clusterId).not.toBe(first.snapshot!.clusterId);
    }, 20 * 60_000);
});
