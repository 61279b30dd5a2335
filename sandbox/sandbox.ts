import * as fs from "fs";
import * as path from "path";
import { NodeHealth, nodeHealth, waitHealthy } from "./health";
import { writeClientCertificates, writeParameterStore } from "./planFiles";
import { createNetwork, deleteNetwork, hubNamespace, requireNamespaces, setMemberLink } from "./namespaces";
import { report, SandboxReport } from "./report";
import { S3_ADDRESS, SandboxS3, seedObjects, startS3, stopS3 } from "./s3";
import type { SandboxPlan } from "./sandboxPlan";
import { ensureTool, installPackages } from "../tools/toolchain";
import { MemberState, memberStateOf, readState, SandboxState, stackDir, tlsStateFile, writeState } from "./state";
import { isAlive } from "./pids";
import { bootstrapRestarts, cloudInitErrors, destroyMachine, execInMachine, inMachine, instanceOf, launchMachine, machinePid, MachineSpec, writeSpec } from "./machines";
import { lifecycle } from "./lifecycle";
import { prepareMirror, startMirror } from "./mirror";
import { HUB_ADDRESS } from "./addresses";
import { BOOTSTRAP_SERVICE } from "../components/render/systemd";

const REPO = path.resolve(__dirname, "..");
/** The aws CLI every machine gets (sandbox/node/aws.sh): the sandbox's SSM, S3 and CloudWatch. */
const AWS_STAND_IN = path.join(__dirname, "node", "aws.sh");

export interface UpOptions {
    stack: string;
    /** Settings file instead of Pulumi.<stack>.yaml (like `pulumi up --config-file`). */
    configFile?: string;
    /** How long to wait for the health check to pass. */
    timeoutMs?: number;
    /** The stack's restoreFrom setting for this run (`sandbox restore`): every member bootstraps from the snapshot. */
    restoreFrom?: string;
    /** An S3 store (s3data of an earlier sandbox of the stack) to keep instead of starting with an empty bucket. */
    s3Data?: string;
    log?: (line: string) => void;
}

/** `up` gives up on a member whose bootstrap systemd has restarted this often (about 30 s apart). */
const BOOTSTRAP_GIVE_UP_RESTARTS = 3;

function bootstrapJournalTail(member: MemberState): string {
    const pid = machinePid(member);
    return pid ? execInMachine(pid, ["journalctl", "--no-pager", "-o", "cat", "-n", "25", "-u", BOOTSTRAP_SERVICE]).stdout : "(the machine is not running)";
}

/** True when every member's machine of a recorded sandbox is up. */
export function isRunning(state: SandboxState | undefined): state is SandboxState {
    return !!state && state.members.every((m) => isAlive(machinePid(m)));
}

/**
 * Brings the stack's cluster up: plan with real addresses and TLS, one machine per member running
 * the rendered user data, then the node health check. A running sandbox is left as it is.
 */
export async function up(options: UpOptions): Promise<SandboxReport> {
    const log = options.log ?? ((line: string) => process.stderr.write(`sandbox: ${line}\n`));
    const existing = readState(options.stack);
    if (isRunning(existing)) return withHealth(existing);
    if (existing) {
        log(`removing the stopped sandbox of ${options.stack}`);
        await down(options.stack);
    }

    const started = Date.now();
    // Machines need root and network namespaces: refused first, before anything is installed or made.
    requireNamespaces();
    // Everything the machines run comes from the host: packages first (one line with the fix when
    // something is missing and cannot be installed), builds after the plan names the etcd release.
    installPackages("sandbox", log);
    // Loaded here only: Pulumi's runtime is heavy, and the other commands never need it.
    const { readStackSettings } = await import("../tools/stackFile");
    const { planSandbox, stackRelease } = await import("./sandboxPlan");
    const { NODE_HEALTH_COMMAND } = await import("../components/healthGate");
    const settings = readStackSettings(REPO, options.stack, options.configFile && path.resolve(options.configFile));
    if (options.restoreFrom) settings.config[`${settings.project}:restoreFrom`] = options.restoreFrom;
    const dir = stackDir(options.stack);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The members download the locally built release from the sandbox's own mirror and check its
    // sha256, so the stack is planned with that mirror and that checksum.
    const release = stackRelease(settings);
    const image = await ensureTool("image", undefined, log);
    const binDir = await ensureTool("etcd", release.version, log);
    const mirror = prepareMirror(path.join(dir, "mirror"), binDir, release.version, release.arch, HUB_ADDRESS);
    settings.config[`${settings.project}:etcdMirrorUrl`] = mirror.url;
    settings.config[`${settings.project}:etcdSha256`] = mirror.sha256;
    log(`planning stack ${options.stack}`);
    const plan = await planSandbox(settings, { tlsStateFile: tlsStateFile(options.stack) });
    log(`etcd ${plan.etcdVersion}: ${plan.members.map((m) => `${m.name}=${m.ip}`).join(" ")}`);
    const store = writeParameterStore(plan, dir);
    const s3 = sandboxS3(plan, options.stack, dir);
    if (s3) await ensureTool("s3", undefined, log);
    const metricsDir = path.join(dir, "metrics");
    fs.mkdirSync(metricsDir, { recursive: true });
    const recordsDir = path.join(dir, "ssm-records");
    fs.mkdirSync(recordsDir, { recursive: true });
    const clients = writeClientCertificates(plan, dir);
    const members: MemberState[] = plan.members.map((m) => memberStateOf(options.stack, m, NODE_HEALTH_COMMAND));
    for (const m of members) fs.mkdirSync(m.dir, { recursive: true });
    const state: SandboxState = {
        stack: options.stack,
        hubNamespace: hubNamespace(options.stack),
        etcdVersion: plan.etcdVersion,
        binDir,
        initialCluster: plan.initialCluster,
        clusterToken: plan.clusterToken,
        heartbeatIntervalMs: plan.heartbeatIntervalMs,
        electionTimeoutMs: plan.electionTimeoutMs,
        members,
        planned: plan.running.members,
        ...clients,
        ...(s3 ? { s3 } : {}),
        machineSetup: {
            image,
            trustPem: mirror.caPem,
            ssmDir: store.ssmDir,
            recordsDir,
            // As each member's instance role allows: the formed record, and new cluster ids (a
            // trailing / allows new names under it, never an overwrite), nothing else.
            // The formed record first: sandbox apply reads it as writableParameters[0].
            writableParameters: [plan.members[0].env.CLUSTER_FORMED_PARAMETER, `${plan.members[0].env.CLUSTER_IDS_PATH}/`],
            metricsDir,
            awsStandIn: AWS_STAND_IN,
            s3Endpoint: s3?.endpoint,
        },
        mirrorUrl: mirror.url,
        ...(options.restoreFrom ? { restoredFrom: options.restoreFrom } : {}),
        startedAt: new Date().toISOString(),
    };
    // Recorded before anything starts, so `down` can always clean up.
    writeState(state);
    try {
        createNetwork(state.hubNamespace, members);
        if (s3) {
            log(`S3 with bucket ${s3.bucket} at ${s3.endpoint}`);
            if (options.s3Data) fs.renameSync(options.s3Data, s3.dataDir);
            startS3(s3);
            seedObjects(s3, store.s3Dir);
        }
        // Machines boot together; SANDBOX_STAGGER_SECONDS=N boots them N seconds apart, as EC2 does
        // when the instances are created one after another.
        const stagger = Number(process.env.SANDBOX_STAGGER_SECONDS ?? 0);
        state.mirrorPid = startMirror(mirror, state.hubNamespace, path.join(dir, "mirror.log"));
        writeState(state);
        for (const [i, m] of members.entries()) {
            if (i > 0 && stagger > 0) await new Promise((r) => setTimeout(r, stagger * 1000));
            const planned = plan.members[i];
            const spec: MachineSpec = { name: m.name, ip: m.ip, instanceId: planned.instanceId, userDataBase64: planned.userDataBase64, dataDevice: planned.env.DATA_DEVICE, namespace: m.namespace, ...instanceOf(planned) };
            writeSpec(m.dir, spec);
            await launchMachine(m.dir, spec, state.machineSetup, { freshRoot: true });
        }
        log(`started ${members.length} machines; waiting for the node health check`);
        const last = members[members.length - 1];
        const health = await waitHealthy(last, members.map((m) => m.name), options.timeoutMs ?? 180_000, () => {
            // cloud-init's own failure shows in its result at once, a machine that is gone too. A
            // failed bootstrap is retried by systemd (an empty member may wait for its peers), so only
            // one that keeps failing ends the wait.
            const dead = members.find((m) => (cloudInitErrors(m.dir)?.length ?? 0) > 0 || !isAlive(machinePid(m)));
            if (dead) return `member ${dead.name} failed to boot; see ${consoleLog(dead)}:\n${tail(consoleLog(dead))}`;
            const failing = members.find((m) => bootstrapRestarts(m.dir) >= BOOTSTRAP_GIVE_UP_RESTARTS);
            return failing && `the bootstrap of ${failing.name} failed ${BOOTSTRAP_GIVE_UP_RESTARTS + 1} times:\n${bootstrapJournalTail(failing)}`;
        });
        log(`healthy in ${((Date.now() - started) / 1000).toFixed(1)}s: leader ${health.leader}`);
        return withHealth(state);
    } catch (error) {
        for (const m of members) log(`--- ${m.name} console.log (last lines)\n${tail(consoleLog(m))}`);
        // A bucket handed in (restore) goes back where it came from: `down` must never take backups with it.
        if (s3 && options.s3Data) {
            stopS3(s3);
            if (fs.existsSync(s3.dataDir)) fs.renameSync(s3.dataDir, options.s3Data);
        }
        await down(options.stack);
        throw error;
    }
}

/** The report with each member's own health check. */
export async function status(stack: string): Promise<SandboxReport | undefined> {
    const state = readState(stack);
    return state && withHealth(state);
}

/** The sandbox's JSON with each member's own health check, run now. */
async function withHealth(state: SandboxState): Promise<SandboxReport> {
    const results = await Promise.all(state.members.map((m) => nodeHealth(m, state.members.map((s) => s.name))));
    return report(state, new Map<string, NodeHealth>(results.map((h, i) => [state.members[i].name, h])));
}

/** Stops every machine, deletes the namespaces, mounts, loop devices and the stack's directory. Idempotent. */
export async function down(stack: string): Promise<void> {
    const state = readState(stack);
    if (state) {
        await Promise.all(state.members.map((m) => destroyMachine(m.dir)));
        if (state.mirrorPid && isAlive(state.mirrorPid)) process.kill(state.mirrorPid, "SIGKILL");
        if (state.s3) stopS3(state.s3);
        deleteNetwork([...state.members.map((m) => m.namespace), state.hubNamespace]);
    } else {
        // No record: still remove namespaces a crashed `up` may have left.
        deleteNetwork([hubNamespace(stack)]);
    }
    fs.rmSync(stackDir(stack), { recursive: true, force: true });
}

/** Member operations for trying failures by hand and for the tests. */
export async function memberCommand(
    stack: string,
    command: "stop" | "start" | "kill" | "isolate" | "heal" | "reboot" | "replace",
    name: string,
    options: { newVolume?: boolean } = {},
): Promise<Record<string, unknown>> {
    const state = readState(stack);
    // A sandbox with a stopped member is still there: its instance can be started.
    if (!state) throw new Error(`no sandbox for stack ${stack}; run \`npm run sandbox -- up --stack ${stack}\``);
    const member = state.members.find((m) => m.name === name);
    if (!member) throw new Error(`no member ${name}; members are ${state.members.map((m) => m.name).join(", ")}`);
    switch (command) {
        case "reboot":
        case "stop":
        case "start":
        case "replace":
            return { ...(await lifecycle(state, member, command, options)) };
        case "kill": {
            const pid = machinePid(member);
            const killed = pid ? execInMachine(pid, ["systemctl", "kill", "--kill-whom=main", "--signal=SIGKILL", "etcd.service"]) : undefined;
            if (!killed || killed.code !== 0) throw new Error(`etcd of ${name} is not running`);
            return { member: name, killed: "etcd.service (SIGKILL)" };
        }
        case "isolate":
        case "heal":
            setMemberLink(state.hubNamespace, name, command === "heal");
            return { member: name, link: command === "heal" ? "up" : "down" };
    }
}

/** The argv that runs a command inside a member's machine, as `docker exec` does. */
export function execArgv(stack: string, name: string, command: string[]): string[] {
    const state = readState(stack);
    if (!isRunning(state)) throw new Error(`no running sandbox for stack ${stack}; run \`npm run sandbox -- up --stack ${stack}\``);
    const member = state.members.find((m) => m.name === name);
    if (!member) throw new Error(`no member ${name}; members are ${state.members.map((m) => m.name).join(", ")}`);
    return inMachine(machinePid(member)!, command);
}

/** The stack's backup bucket in the sandbox's S3, when its members back up (member.env BACKUP_ENABLED). */
function sandboxS3(plan: SandboxPlan, stack: string, dir: string): SandboxS3 | undefined {
    const env = plan.members[0].env;
    if (env.BACKUP_ENABLED !== "true") return undefined;
    return {
        endpoint: `http://${S3_ADDRESS}`,
        bucket: env.BACKUP_BUCKET,
        prefix: env.BACKUP_PREFIX,
        dataDir: path.join(dir, "s3data"),
        namespace: hubNamespace(stack),
    };
}

const consoleLog = (m: MemberState) => path.join(m.dir, "console.log");

function tail(file: string, lines = Number(process.env.SANDBOX_LOG_LINES ?? 25)): string {
    try {
        return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}
