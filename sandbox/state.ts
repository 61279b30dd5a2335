import type { RunningMember } from "../config/runningCluster";
import type { MachineSetup } from "./machines";
import * as fs from "fs";
import * as path from "path";
import type { SandboxS3 } from "./s3";
import { SANDBOX_ROOT } from "./root";
import { memberNamespace } from "./namespaces";

export interface MemberState {
    name: string;
    ip: string;
    clientUrl: string;
    peerUrl: string;
    /** .sandbox/<stack>/<member>: the member's machine (sandbox/machines.ts lays it out). */
    dir: string;
    /** The etcd data dir on the machine (member.env DATA_DIR, on its volume). */
    dataDir: string;
    /** The member's network namespace, which its machine boots in. */
    namespace: string;
    /** The health check the stack's gate runs on the node (components/healthGate NODE_HEALTH_COMMAND). */
    healthCommand: string;
}

/** What `up` recorded; `status`, `down` and the member commands work from it alone. */
export interface SandboxState {
    stack: string;
    /** Clients' namespace: etcdctl, the tests and the sandbox's services run there. */
    hubNamespace: string;
    etcdVersion: string;
    /** Host directory of etcd, etcdctl, etcdutl of that version (for clients on the host). */
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
    /** The sandbox's S3 with the backup bucket; absent when the stack has backups off. */
    s3?: SandboxS3;
    /** What every machine boots with (the image, the stand-ins' settings, the mirror's CA). */
    machineSetup: MachineSetup;
    /** The etcd release mirror's server, and its URL (the stack's etcdMirrorUrl in the sandbox). */
    mirrorPid?: number;
    mirrorUrl: string;
    /**
     * What AWS would say runs (each member's interface subnet and instance tags), as last planned:
     * `apply` plans its change against it, with the formed record the members wrote.
     */
    planned: RunningMember[];
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

/** The sandbox's TLS state: keys and certificates kept between plans (sandbox/planHooks.ts TlsState). */
export const tlsStateFile = (stack: string) => path.join(stackDir(stack), "tls-state.json");

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

/** A planned member's state on the sandbox: its namespace, its directory, what its member.env says. */
export function memberStateOf(stack: string, planned: { name: string; ip: string; env: Record<string, string> }, healthCommand: string): MemberState {
    return {
        name: planned.name,
        ip: planned.ip,
        clientUrl: planned.env.MEMBER_CLIENT_URL,
        peerUrl: planned.env.MEMBER_PEER_URL,
        dir: path.join(stackDir(stack), planned.name),
        dataDir: planned.env.DATA_DIR,
        namespace: memberNamespace(stack, planned.name),
        healthCommand,
    };
}
