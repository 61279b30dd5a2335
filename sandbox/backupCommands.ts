import * as fs from "fs";
import * as path from "path";
import { BACKUP_SERVICE, BACKUP_TIMER, BOOTSTRAP_SERVICE } from "../components/render/systemd";
import { JobResult, runUnitOnce } from "./memberJob";
import { execInMachineAsync, machinePid } from "./machines";
import { SandboxReport } from "./report";
import { findBackup, hostAws, ListedBackup, listBackups, SandboxS3, startS3, stopS3 } from "./s3";
import { down, isRunning, up } from "./sandbox";
import { SANDBOX_ROOT } from "./root";
import { readState, SandboxState, stackDir } from "./state";
import { destroyMachine, METRICS_FILE, unitJournal, volumeFile } from "./machines";

/**
 * `sandbox backup`, `backups` and `restore`: the backup job and disaster recovery of the stack, run
 * on the sandbox's members exactly as on AWS, against the sandbox's S3 (sandbox/s3.ts).
 */

export interface BackupReport {
    stack: string;
    ok: boolean;
    /** The finished backup (the leader's etcd-backup result), absent when none was taken. */
    snapshot?: { uri: string; bucket: string; key: string; manifest: string; revision: number; size: number; sha256: string; member: string; clusterId: string; time: string };
    /** What each member's etcd-backup.service did at this tick. */
    members: Array<{ name: string; outcome: "backed up" | "not the leader" | "failed"; exitCode: number; log: string }>;
    /** Metrics the members published to the sandbox's CloudWatch during this tick. */
    metrics: unknown[];
}

function backupState(stack: string): SandboxState & { s3: SandboxS3 } {
    const state = readState(stack);
    if (!state) throw new Error(`no sandbox for stack ${stack}; run \`npm run sandbox -- up --stack ${stack}\``);
    if (!state.s3) throw new Error(`backups are off in stack ${stack} (backupEnabled: false): there is no backup bucket in its sandbox`);
    return state as SandboxState & { s3: SandboxS3 };
}

/** One tick of the backup timer: every member's etcd-backup.service at once; only the leader takes the snapshot. */
export async function backupNow(stack: string): Promise<BackupReport> {
    const state = backupState(stack);
    if (!isRunning(state)) throw new Error(`the sandbox of ${stack} is not running; run \`npm run sandbox -- up --stack ${stack}\``);
    await clearOfTimerTick(state);
    const metricsFile = path.join(state.machineSetup.metricsDir, METRICS_FILE);
    const before = readLines(metricsFile).length;
    const results: JobResult[] = await Promise.all(state.members.map((m) => runUnitOnce(m, BACKUP_SERVICE)));
    const uploads = results.filter((r) => r.code === 0 && lastJsonLine(r.stdout));
    const members = results.map((r) => ({
        name: r.member,
        outcome: r.code !== 0 ? ("failed" as const) : uploads.includes(r) ? ("backed up" as const) : ("not the leader" as const),
        exitCode: r.code,
        log: r.stderr.trim().split("\n").pop() ?? "",
    }));
    const metrics = readLines(metricsFile)
        .slice(before)
        .map((l) => JSON.parse(l) as unknown);
    const result = uploads.length === 1 ? (JSON.parse(lastJsonLine(uploads[0].stdout)!) as Omit<NonNullable<BackupReport["snapshot"]>, "uri">) : undefined;
    return {
        stack,
        ok: uploads.length === 1 && members.every((m) => m.outcome !== "failed"),
        ...(result ? { snapshot: { uri: `s3://${result.bucket}/${result.key}`, ...result } } : {}),
        members,
        metrics,
    };
}

/** How close to the timer's own tick a tick of `sandbox backup` may start. */
const TICK_MARGIN_MS = 20_000;

/**
 * The members' backup timers fire on their own on these machines. A tick of `sandbox backup` that
 * met one (the same second, the same key) would be two ticks at once, so it waits until the timer's
 * tick is at least TICK_MARGIN_MS away and no member's etcd-backup.service is running.
 */
async function clearOfTimerTick(state: SandboxState): Promise<void> {
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
        const busy = await Promise.all(
            state.members.map(async (m) => {
                const pid = machinePid(m);
                if (!pid) return false;
                const shown = (await execInMachineAsync(pid, ["systemctl", "show", BACKUP_TIMER, BACKUP_SERVICE, "-p", "NextElapseUSecRealtime", "-p", "LastTriggerUSec", "-p", "ActiveState"])).stdout;
                // e.g. "NextElapseUSecRealtime=Tue 2026-12-01 20:45:00 UTC" (the machines run in UTC).
                const stamps = [...shown.matchAll(/^(?:NextElapseUSecRealtime|LastTriggerUSec)=\w+ (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/gm)].map((match) => Date.parse(`${match[1]}T${match[2]}Z`));
                const near = stamps.some((at) => Math.abs(at - Date.now()) < TICK_MARGIN_MS);
                return near || /^ActiveState=(activating|deactivating)$/m.test(shown);
            }),
        );
        if (!busy.some(Boolean) || Date.now() > deadline) return;
        await new Promise((r) => setTimeout(r, 2000));
    }
}

/** The finished backups in the sandbox's bucket, newest first. */
export function backups(stack: string): ListedBackup[] {
    return listBackups(backupState(stack).s3);
}

export interface RestoreOptions {
    stack: string;
    /** `latest` or a finished backup's s3:// URI in the sandbox's bucket. */
    from: string;
    configFile?: string;
    log?: (line: string) => void;
}

export interface RestoreReport extends SandboxReport {
    restoredFrom: { uri: string; key: string; manifest: string; revision: number | null; size: number; sha256: string; time: string };
    /** Each member's etcd-restore --bootstrap result, from its boot log. */
    restore: Array<Record<string, unknown>>;
    /** The old cluster's data, moved aside, never deleted: each member's volume image. */
    previousData: string[];
}

/**
 * Disaster recovery in the sandbox: the stack's cluster is replaced by a NEW cluster bootstrapped
 * from the snapshot by the path the restoreFrom setting takes (the plan is made with restoreFrom, so
 * every member's user data carries RESTORE_FROM and a new cluster token, and etcd-bootstrap runs
 * etcd-restore --bootstrap before etcd starts). The snapshot is checked before anything stops; the
 * old members' volumes are moved to .sandbox/<stack>/previous/, and the bucket is kept.
 */
export async function restore(options: RestoreOptions): Promise<RestoreReport> {
    const log = options.log ?? ((line: string) => process.stderr.write(`sandbox: ${line}\n`));
    const state = backupState(options.stack);
    ensureS3(state.s3);
    const snapshot = findBackup(state.s3, options.from);
    const manifest = readManifest(state.s3, snapshot);
    log(`restoring ${options.stack} from ${snapshot.uri} (revision ${snapshot.revision}, ${snapshot.size} bytes)`);

    // Everything the old sandbox holds that a restore must not lose goes outside its directory first.
    const keep = path.join(SANDBOX_ROOT, `.restore-${options.stack}-${Date.now()}`);
    fs.mkdirSync(path.join(keep, "previous"), { recursive: true });
    await Promise.all(state.members.map((m) => destroyMachine(m.dir)));
    stopS3(state.s3);
    fs.renameSync(state.s3.dataDir, path.join(keep, "s3data"));
    // A member's data is its whole volume (detached above).
    for (const m of state.members.filter((m) => fs.existsSync(volumeFile(m.dir)))) fs.renameSync(volumeFile(m.dir), path.join(keep, "previous", `${m.name}-volume.img`));
    await down(options.stack);

    let report: SandboxReport;
    try {
        report = await up({ stack: options.stack, configFile: options.configFile, restoreFrom: options.from, s3Data: path.join(keep, "s3data"), log });
    } catch (error) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\nThe bucket and the old members' data are kept in ${keep}`);
    }
    const previous = path.join(stackDir(options.stack), "previous");
    fs.renameSync(path.join(keep, "previous"), previous);
    fs.rmSync(keep, { recursive: true, force: true });
    const restored = readState(options.stack)!;
    return {
        ...report,
        restoredFrom: { uri: snapshot.uri, key: snapshot.key, manifest: snapshot.manifest, revision: snapshot.revision, size: snapshot.size, sha256: String(manifest.sha256), time: snapshot.time },
        restore: restored.members.map((m) => restoreResult(m.name, unitJournal(m.dir, BOOTSTRAP_SERVICE))),
        previousData: fs.readdirSync(previous).map((d) => path.join(previous, d)),
    };
}

/** The S3 server of a stopped sandbox is started again, so its backups can be read. */
function ensureS3(s3: SandboxS3): void {
    if (hostAws(s3, ["s3api", "head-bucket", "--bucket", s3.bucket], 30_000).code === 0) return;
    stopS3(s3);
    startS3(s3);
}

function readManifest(s3: SandboxS3, backup: ListedBackup): Record<string, unknown> {
    const r = hostAws(s3, ["s3", "cp", `s3://${s3.bucket}/${backup.manifest}`, "-"]);
    if (r.code !== 0) throw new Error(`cannot read the manifest ${backup.manifest}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The JSON line etcd-restore printed at boot (restored, or why not), from the bootstrap unit's journal. */
function restoreResult(member: string, bootstrapJournal: string): Record<string, unknown> {
    const line = bootstrapJournal
        .split("\n")
        .filter((l) => l.startsWith('{"restored":'))
        .pop();
    return line ? (JSON.parse(line) as Record<string, unknown>) : { member, restored: false, reason: `etcd-restore printed no result (see journalctl -u ${BOOTSTRAP_SERVICE} on ${member})` };
}

function readLines(file: string): string[] {
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

function lastJsonLine(text: string): string | undefined {
    return text
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
}
