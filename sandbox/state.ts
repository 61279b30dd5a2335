import type { MachineSetup } from "./machines";
import * as fs from "fs";
import * as path from "path";
import { NetworkMode } from "./addresses";
import type { SandboxS3 } from "./s3";
import { SANDBOX_ROOT } from "./root";

/** What every member's machine needs from the host: the etcd build, the stand-ins and the S3 endpoint. */
export interface MachineEnv {
    /** Local etcd build of the stack's version. */
    etcdBinDir: string;
    /** Where the plan's SSM parameter values are (the aws stand-in reads them). */
    ssmDir: string;
    /** Directory holding the `aws` stand-in, put first on the node's PATH. */
    standInDir: string;
    /** The sandbox's S3 server and the real AWS CLI the stand-in hands S3 calls to (backups on). */
    s3Endpoint?: string;
    awsCli?: string;
    /** Where the stand-in appends the CloudWatch metrics members publish. */
    metricsFile: string;
}

export interface MemberState {
    name: string;
    ip: string;
    clientUrl: string;
    peerUrl: string;
    /** .sandbox/<stack>/<member>: the member's machine (root/, run/, machine.log, mounts). */
    dir: string;
    /** Host path of the data dir (the node's /var/lib/etcd/data). */
    dataDir: string;
    /** The member's network namespace (netns mode). */
    namespace?: string;
    /** The health check the stack's gate runs on the node (components/healthGate NODE_HEALTH_COMMAND). */
    healthCommand: string;
    /** The rendered etcd.service, on the node. */
    unitFile: string;
    runcmd: string[][];
}

/** What `up` recorded; `status`, `down` and the member commands work from it alone. */
export interface SandboxState {
    stack: string;
    network: NetworkMode;
    /** Clients' namespace (netns mode): etcdctl and the tests run there. */
    hubNamespace?: string;
    etcdVersion: string;
    /** Host directory of etcd, etcdctl, etcdutl of that version. */
    binDir: string;
    initialCluster: string;
    clusterToken: string;
    heartbeatIntervalMs: number;
    electionTimeoutMs: number;
    members: MemberState[];
    caFile: string;
    certFile: string;
    keyFile: string;
    clientCertificates: Record<string, { certFile: string; keyFile: string }>;
    /** What every process on a member gets (the aws stand-in's settings). */
    machineEnv: MachineEnv;
    /** The sandbox's S3 with the backup bucket; absent when the stack has backups off. */
    s3?: SandboxS3;
    /**
     * How members run: "nspawn" machines (sandbox/machines.ts: real systemd and cloud-init on a real
     * block device), or absent: the emulated node of sandbox/node/machine.sh.
     */
    machines?: "nspawn";
    /** What every nspawn machine boots with (the image, the stand-ins' settings, the mirror's CA). */
    machineSetup?: MachineSetup;
    /** The etcd release mirror's server (nspawn machines). */
    mirrorPid?: number;
    /** The snapshot this cluster was restored from (`sandbox restore`). */
    restoredFrom?: string;
    startedAt: string;
}

/** Stack names become directory and namespace names. */
export function checkStackName(stack: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/.test(stack)) {
        throw new Error(`stack name ${JSON.stringify(stack)} is not usable for the sandbox: letters, digits, '.', '_', '-', at most 40.`);
    }
    return stack;
}

export function stackDir(stack: string): string {
    return path.join(SANDBOX_ROOT, checkStackName(stack));
}

const stateFile = (stack: string) => path.join(stackDir(stack), "state.json");

export function readState(stack: string): SandboxState | undefined {
    const file = stateFile(stack);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as SandboxState) : undefined;
}

export function writeState(state: SandboxState): void {
    fs.mkdirSync(stackDir(state.stack), { recursive: true });
    const file = stateFile(state.stack);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + "\n");
    fs.renameSync(`${file}.tmp`, file);
}

/** Stacks with a recorded sandbox, running or not. */
export function recordedStacks(): string[] {
    if (!fs.existsSync(SANDBOX_ROOT)) return [];
    return fs.readdirSync(SANDBOX_ROOT).filter((d) => fs.existsSync(path.join(SANDBOX_ROOT, d, "state.json")));
}

/** Writes a file and its directory; keys get 0600. */
export function writeFile(file: string, content: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
}

const mountPointsFile = () => path.join(SANDBOX_ROOT, "mount-points.json");

/**
 * Node directories the sandboxes made on this host as bind-mount targets (e.g. /etc/etcd). Shared by
 * all stacks: the last `down` removes them.
 */
export function recordMountPoints(created: string[]): void {
    const all = new Set([...readMountPoints(), ...created]);
    fs.mkdirSync(SANDBOX_ROOT, { recursive: true });
    fs.writeFileSync(mountPointsFile(), JSON.stringify([...all], null, 2) + "\n");
}

export function readMountPoints(): string[] {
    return fs.existsSync(mountPointsFile()) ? (JSON.parse(fs.readFileSync(mountPointsFile(), "utf8")) as string[]) : [];
}

export function forgetMountPoints(): void {
    fs.rmSync(mountPointsFile(), { force: true });
}
