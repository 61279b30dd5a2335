import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { inNamespace } from "./namespaces";
import { currentInit, isMachine } from "./machines";
import { isAlive, readPid, writePid } from "./pids";
import { MachineEnv, MemberState } from "./state";

/**
 * Starts and stops members' machines (sandbox/node/machine.sh, the stand-in for the instance and its
 * systemd) and controls their etcd.service. Machines run detached, so `up` can return and leave the
 * cluster running; their pids are in <member>/run/.
 */

const MACHINE = path.join(__dirname, "node", "machine.sh");
const PATH_ON_NODE = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The environment of a process on the member: the node's PATH behind the aws stand-in, and the stand-in's settings. */
export function nodeEnv(env: MachineEnv): Record<string, string> {
    return {
        PATH: `${env.standInDir}:${PATH_ON_NODE}`,
        HOME: "/root",
        LANG: "C.UTF-8",
        SANDBOX_ETCD_BIN_DIR: env.etcdBinDir,
        SANDBOX_SSM_DIR: env.ssmDir,
        SANDBOX_METRICS_FILE: env.metricsFile,
        ...(env.s3Endpoint ? { SANDBOX_S3_ENDPOINT: env.s3Endpoint, SANDBOX_AWS_CLI: env.awsCli ?? "aws" } : {}),
    };
}

/** Boots the member's machine: mount namespace (+ its network namespace), node paths, runcmd, etcd.service. */
export function startMachine(member: MemberState, env: MachineEnv): number {
    const log = fs.openSync(path.join(member.dir, "machine.log"), "a");
    const argv = [
        ...inNamespace(member.namespace),
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "bash",
        MACHINE,
        member.dir,
        member.unitFile,
    ];
    const child = spawn(argv[0], argv.slice(1), {
        detached: true,
        stdio: ["ignore", log, log],
        cwd: "/",
        env: nodeEnv(env),
    });
    fs.closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start the machine of ${member.name}`);
    // `ip netns exec` and `unshare` exec in place: this pid is machine.sh's, which writes it again.
    fs.mkdirSync(path.join(member.dir, "run"), { recursive: true });
    writePid(path.join(member.dir, "run", "machine.pid"), child.pid);
    return child.pid;
}

export { isAlive } from "./pids";

/** The member's machine: machine.sh's pid, or an nspawn machine's systemd (found again after a reboot). */
export const machinePid = (m: MemberState) =>
    isMachine(m.dir) ? currentInit(m.dir) : readPid(path.join(m.dir, "run", "machine.pid"));
export const etcdPid = (m: MemberState) => {
    const pid = readPid(path.join(m.dir, "run", "etcd.pid"));
    return isAlive(pid) ? pid : undefined;
};
export const bootstrapFailed = (m: MemberState) => fs.existsSync(path.join(m.dir, "run", "bootstrap.failed"));

/** Sends a signal to the member's etcd (the machine restarts it as Restart=always says). Returns the pid signalled. */
export function signalEtcd(m: MemberState, signal: NodeJS.Signals): number {
    const pid = etcdPid(m);
    if (!pid) throw new Error(`etcd of ${m.name} is not running`);
    process.kill(pid, signal);
    return pid;
}

/** `systemctl stop etcd`: stops etcd and keeps it stopped. Resolves when it is gone. */
export async function stopEtcd(m: MemberState, timeoutMs = 20_000): Promise<void> {
    fs.writeFileSync(path.join(m.dir, "run", "etcd.stopped"), "");
    const pid = etcdPid(m);
    if (pid) process.kill(pid, "SIGTERM");
    await waitGone(pid, timeoutMs);
}

/** `systemctl start etcd`. */
export function startEtcd(m: MemberState): void {
    fs.rmSync(path.join(m.dir, "run", "etcd.stopped"), { force: true });
}

/** Shuts the machine down: etcd gets SIGTERM, then everything left SIGKILL. Idempotent. */
export async function stopMachine(m: MemberState, timeoutMs = 15_000): Promise<void> {
    const machine = machinePid(m);
    const etcd = etcdPid(m);
    if (isAlive(machine)) process.kill(machine!, "SIGTERM");
    await waitGone(machine, timeoutMs);
    for (const pid of [machine, etcd]) {
        if (isAlive(pid)) {
            try {
                process.kill(pid!, "SIGKILL");
            } catch {
                // gone meanwhile
            }
        }
    }
    await waitGone(etcd, 5_000);
}

async function waitGone(pid: number | undefined, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) process.kill(pid!, "SIGKILL");
}
