import * as fs from "fs";
import * as path from "path";
import { NodeHealth, nodeHealth, waitHealthy } from "./health";
import { layOutMember, writeClientCertificates, writeParameterStore } from "./machineFiles";
import { NetworkMode } from "./addresses";
import { createNetwork, deleteNetwork, hubNamespace, memberNamespace, networkMode, setMemberLink } from "./namespaces";
import { report, SandboxReport } from "./report";
import { awsCli, s3Address, SandboxS3, seedObjects, startS3, stopS3 } from "./s3";
import type { SandboxPlan } from "./sandboxPlan";
import { ensureTool, installPackages } from "../tools/toolchain";
import { forgetMountPoints, MachineEnv, MemberState, readMountPoints, readState, recordedStacks, recordMountPoints, SandboxState, stackDir, writeState } from "./state";
import { bootstrapFailed, isAlive, machinePid, signalEtcd, startEtcd, startMachine, stopEtcd, stopMachine } from "./supervisor";
import { cloudInitErrors, destroyMachine, execInMachine, inMachine, launchMachine, MachineSetup, MachineSpec, writeSpec } from "./machines";
import { lifecycle } from "./lifecycle";
import { prepareMirror, startMirror } from "./mirror";
import { HUB_ADDRESS } from "./addresses";
import { decideSizing } from "../config/sizingDecision";
import { DEFAULT_ETCD_VERSION } from "../config/etcdReleases";

const REPO = path.resolve(__dirname, "..");

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
    // Everything the machines run comes from the host: packages first (one line with the fix when
    // something is missing and cannot be installed), builds after the plan names the etcd release.
    installPackages("sandbox", log);
    // Loaded here only: Pulumi's runtime is heavy, and the other commands never need it.
    const { readStackSettings } = await import("../tools/stackFile");
    const { planSandbox } = await import("./sandboxPlan");
    const { NODE_HEALTH_COMMAND } = await import("../components/healthGate");
    const settings = readStackSettings(REPO, options.stack, options.configFile && path.resolve(options.configFile));
    if (options.restoreFrom) settings.config[`${settings.project}:restoreFrom`] = options.restoreFrom;
    const mode = networkMode();
    const machines = machinesMode(mode);
    const dir = stackDir(options.stack);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    let machineSetup: Omit<MachineSetup, "ssmDir" | "metricsDir" | "awsStandIn" | "s3Endpoint"> | undefined;
    let mirror: ReturnType<typeof prepareMirror> | undefined;
    if (machines) {
        // The members download the locally built release from the sandbox's own mirror and check
        // its sha256, so the stack is planned with that mirror and that checksum.
        const release = stackRelease(settings);
        const image = await ensureTool("image", undefined, log);
        const etcdBinDir = await ensureTool("etcd", release.version, log);
        mirror = prepareMirror(path.join(dir, "mirror"), etcdBinDir, release.version, release.arch, HUB_ADDRESS);
        settings.config[`${settings.project}:etcdMirrorUrl`] = mirror.url;
        settings.config[`${settings.project}:etcdSha256`] = mirror.sha256;
        machineSetup = { image, trustPem: mirror.caPem };
    }
    log(`planning stack ${options.stack} (${mode} network${machines ? ", nspawn machines" : ""})`);
    const plan = await planSandbox(settings, mode);
    log(`etcd ${plan.etcdVersion}: ${plan.members.map((m) => `${m.name}=${m.ip}`).join(" ")}`);
    const binDir = await ensureTool("etcd", plan.etcdVersion, log);
    const store = writeParameterStore(plan, dir);
    const s3 = sandboxS3(plan, mode, options.stack, dir);
    if (s3) await ensureTool("s3", undefined, log);
    const metricsDir = path.join(dir, "metrics");
    fs.mkdirSync(metricsDir, { recursive: true });
    const machineEnv: MachineEnv = {
        etcdBinDir: binDir,
        ssmDir: store.ssmDir,
        standInDir: store.standInDir,
        metricsFile: path.join(metricsDir, "cloudwatch-metrics.jsonl"),
        ...(s3 ? { s3Endpoint: s3.endpoint, awsCli: awsCli() } : {}),
    };
    const clients = writeClientCertificates(plan, dir);
    const members: MemberState[] = [];
    const mountTargets = new Set<string>();
    for (const m of plan.members) {
        const laid = machines ? { dir: path.join(dir, m.name), dataDir: m.env.DATA_DIR, unitFile: "/etc/systemd/system/etcd.service" } : layOutMember(m, path.join(dir, m.name));
        if ("mountTargets" in laid) laid.mountTargets.forEach((t) => mountTargets.add(t));
        fs.mkdirSync(laid.dir, { recursive: true });
        members.push({
            name: m.name,
            ip: m.ip,
            clientUrl: m.env.MEMBER_CLIENT_URL,
            peerUrl: m.env.MEMBER_PEER_URL,
            dir: laid.dir,
            dataDir: laid.dataDir,
            namespace: mode === "netns" ? memberNamespace(options.stack, m.name) : undefined,
            healthCommand: NODE_HEALTH_COMMAND,
            unitFile: laid.unitFile,
            runcmd: m.runcmd,
        });
    }
    const state: SandboxState = {
        stack: options.stack,
        network: mode,
        hubNamespace: mode === "netns" ? hubNamespace(options.stack) : undefined,
        etcdVersion: plan.etcdVersion,
        binDir,
        initialCluster: plan.initialCluster,
        clusterToken: plan.clusterToken,
        heartbeatIntervalMs: plan.heartbeatIntervalMs,
        electionTimeoutMs: plan.electionTimeoutMs,
        members,
        ...clients,
        machineEnv,
        ...(s3 ? { s3 } : {}),
        ...(options.restoreFrom ? { restoredFrom: options.restoreFrom } : {}),
        ...(machines ? { machines } : {}),
        startedAt: new Date().toISOString(),
    };
    // Recorded before anything starts, so `down` can always clean up.
    writeState(state);
    recordMountPoints(makeMountPoints([...mountTargets]));
    try {
        if (state.hubNamespace) createNetwork(state.hubNamespace, members.map((m) => ({ name: m.name, ip: m.ip, namespace: m.namespace! })));
        if (s3) {
            log(`S3 with bucket ${s3.bucket} at ${s3.endpoint}`);
            if (options.s3Data) fs.renameSync(options.s3Data, s3.dataDir);
            startS3(s3);
            seedObjects(s3, store.s3Dir);
        }
        // Machines boot together; SANDBOX_STAGGER_SECONDS=N boots them N seconds apart, as EC2 does
        // when the instances are created one after another.
        const stagger = Number(process.env.SANDBOX_STAGGER_SECONDS ?? 0);
        if (mirror && machineSetup) {
            state.mirrorPid = startMirror(mirror, state.hubNamespace!, path.join(dir, "mirror.log"));
            state.machineSetup = { ...machineSetup, ssmDir: store.ssmDir, metricsDir, awsStandIn: path.join(store.standInDir, "aws"), s3Endpoint: s3?.endpoint };
            writeState(state);
        }
        for (const [i, m] of members.entries()) {
            if (i > 0 && stagger > 0) await new Promise((r) => setTimeout(r, stagger * 1000));
            if (state.machineSetup) {
                const planned = plan.members[i];
                const spec: MachineSpec = { name: m.name, ip: m.ip, instanceId: planned.instanceId, userDataBase64: planned.userDataBase64, dataDevice: planned.env.DATA_DEVICE, namespace: m.namespace! };
                writeSpec(m.dir, spec);
                await launchMachine(m.dir, spec, state.machineSetup, { freshRoot: true });
            } else {
                startMachine(m, machineEnv);
            }
        }
        log(`started ${members.length} machines; waiting for the node health check`);
        const last = members[members.length - 1];
        const health = await waitHealthy(last, options.timeoutMs ?? 180_000, () => {
            const dead = members.find((m) => (machines ? (cloudInitErrors(m.dir)?.length ?? 0) > 0 : bootstrapFailed(m)) || !isAlive(machinePid(m)));
            const log = path.join(dead?.dir ?? "", machines ? "console.log" : "machine.log");
            return dead && `member ${dead.name} failed to boot; see ${log}:\n${tail(log)}`;
        });
        log(`healthy in ${((Date.now() - started) / 1000).toFixed(1)}s: leader ${health.leader}`);
        return withHealth(state);
    } catch (error) {
        for (const m of members) log(`--- ${m.name} ${machines ? "console.log" : "machine.log"} (last lines)\n${tail(path.join(m.dir, machines ? "console.log" : "machine.log"))}`);
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
    const results = await Promise.all(state.members.map((m) => nodeHealth(m)));
    return report(state, new Map<string, NodeHealth>(results.map((h, i) => [state.members[i].name, h])));
}

/** Stops every machine, deletes the namespaces, the mount points it made and the stack's directory. Idempotent. */
export async function down(stack: string): Promise<void> {
    const state = readState(stack);
    if (state) {
        await Promise.all(state.members.map((m) => (state.machines ? destroyMachine(m.dir) : stopMachine(m))));
        if (state.mirrorPid && isAlive(state.mirrorPid)) process.kill(state.mirrorPid, "SIGKILL");
        if (state.s3) stopS3(state.s3);
        deleteNetwork([...state.members.map((m) => m.namespace).filter((n): n is string => !!n), ...(state.hubNamespace ? [state.hubNamespace] : [])]);
    } else {
        // No record: still remove namespaces a crashed `up` may have left.
        deleteNetwork([hubNamespace(stack)]);
    }
    fs.rmSync(stackDir(stack), { recursive: true, force: true });
    if (recordedStacks().length === 0) {
        removeMountPoints(readMountPoints());
        forgetMountPoints();
    }
}

/** Member operations for trying failures by hand and for the tests. */
export async function memberCommand(
    stack: string,
    command: "stop" | "start" | "kill" | "isolate" | "heal" | "reboot" | "replace",
    name: string,
    options: { newVolume?: boolean } = {},
): Promise<Record<string, unknown>> {
    const state = readState(stack);
    // A machine sandbox with a stopped member is still there: its instance can be started.
    if (!state || (!state.machines && !isRunning(state))) throw new Error(`no running sandbox for stack ${stack}; run \`npm run sandbox -- up --stack ${stack}\``);
    const member = state.members.find((m) => m.name === name);
    if (!member) throw new Error(`no member ${name}; members are ${state.members.map((m) => m.name).join(", ")}`);
    if (state.machines) {
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
        }
    } else if (command === "reboot" || command === "replace") {
        throw new Error(`${command} needs nspawn machines (SANDBOX_MACHINES=nspawn)`);
    }
    switch (command) {
        case "stop":
            await stopEtcd(member);
            return { member: name, etcd: "stopped" };
        case "start":
            startEtcd(member);
            return { member: name, etcd: "started" };
        case "kill":
            return { member: name, killed: signalEtcd(member, "SIGKILL") };
        case "isolate":
        case "heal":
            if (!state.hubNamespace) throw new Error("cutting a member off needs network namespaces (the sandbox runs in loopback mode here)");
            setMemberLink(state.hubNamespace, name, command === "heal");
            return { member: name, link: command === "heal" ? "up" : "down" };
    }
}

/**
 * nspawn machines wherever network namespaces can be made (root), the default; they need root and
 * network namespaces. SANDBOX_MACHINES=emulated, or a host without namespaces, gets the emulated node.
 */
function machinesMode(mode: NetworkMode): "nspawn" | undefined {
    const wanted = process.env.SANDBOX_MACHINES ?? (mode === "netns" ? "nspawn" : "emulated");
    if (wanted === "emulated") return undefined;
    if (wanted !== "nspawn") throw new Error(`SANDBOX_MACHINES must be nspawn or emulated, got ${wanted}`);
    if (mode !== "netns") throw new Error("nspawn machines need root and network namespaces (systemd-nspawn, loop devices and ip netns); run the sandbox as root");
    return "nspawn";
}

/**
 * The etcd release and architecture the stack's members install, read from its settings before
 * the plan (Pulumi's mock runtime runs once per process, and the plan must carry the mirror).
 */
function stackRelease(settings: { project: string; config: Record<string, string> }): { version: string; arch: "amd64" | "arm64" } {
    const get = (key: string) => settings.config[`${settings.project}:${key}`];
    const num = (key: string) => (get(key) === undefined ? undefined : Number(get(key)));
    const sizing = decideSizing({
        kubernetesNodeCount: num("kubernetesNodeCount"),
        instanceType: get("instanceType"),
        instanceFamily: get("instanceFamily"),
        dataVolumeSizeGb: num("dataVolumeSizeGb"),
        dataVolumeIops: num("dataVolumeIops"),
        dataVolumeThroughputMBps: num("dataVolumeThroughputMBps"),
    });
    return { version: (get("etcdVersion") ?? DEFAULT_ETCD_VERSION).replace(/^v/, ""), arch: sizing.arch };
}

/** The argv that runs a command inside a member's machine (nspawn machines), as `docker exec` does. */
export function execArgv(stack: string, name: string, command: string[]): string[] {
    const state = readState(stack);
    if (!isRunning(state)) throw new Error(`no running sandbox for stack ${stack}; run \`npm run sandbox -- up --stack ${stack}\``);
    if (!state.machines) throw new Error("sandbox exec needs nspawn machines (SANDBOX_MACHINES=nspawn)");
    const member = state.members.find((m) => m.name === name);
    if (!member) throw new Error(`no member ${name}; members are ${state.members.map((m) => m.name).join(", ")}`);
    return inMachine(machinePid(member)!, command);
}

/** The stack's backup bucket in the sandbox's S3, when its members back up (member.env BACKUP_ENABLED). */
function sandboxS3(plan: SandboxPlan, mode: NetworkMode, stack: string, dir: string): SandboxS3 | undefined {
    const env = plan.members[0].env;
    if (env.BACKUP_ENABLED !== "true") return undefined;
    return {
        endpoint: `http://${s3Address(mode, stack)}`,
        bucket: env.BACKUP_BUCKET,
        prefix: env.BACKUP_PREFIX,
        dataDir: path.join(dir, "s3data"),
        namespace: mode === "netns" ? hubNamespace(stack) : undefined,
    };
}

/** Node directories missing on this host are made (empty) so they can be bind-mount targets. */
function makeMountPoints(targets: string[]): string[] {
    const created: string[] = [];
    for (const target of targets) {
        let missing = target;
        while (!fs.existsSync(path.dirname(missing))) missing = path.dirname(missing);
        if (!fs.existsSync(target)) {
            fs.mkdirSync(target, { recursive: true });
            for (let d = target; d.length >= missing.length; d = path.dirname(d)) created.push(d);
        }
    }
    return created;
}

function removeMountPoints(created: string[]): void {
    const inUse = mountPointsInUse();
    for (const d of [...created].sort((a, b) => b.length - a.length)) {
        // Removing a directory that is a mount point in another namespace would detach that mount
        // there: leave it while any process (another clone's sandbox) has something mounted on it.
        if (inUse.has(d)) continue;
        try {
            fs.rmdirSync(d);
        } catch {
            // not empty or already gone: leave it
        }
    }
}

/** Every mount point any process on this host sees (the fifth field of /proc/<pid>/mountinfo). */
function mountPointsInUse(): Set<string> {
    const used = new Set<string>();
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
            for (const line of fs.readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n")) {
                const mountPoint = line.split(" ")[4];
                if (mountPoint) used.add(mountPoint);
            }
        } catch {
            // the process is gone
        }
    }
    return used;
}

function tail(file: string, lines = Number(process.env.SANDBOX_LOG_LINES ?? 25)): string {
    try {
        return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}
