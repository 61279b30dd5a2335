import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { MachineEnv, MemberState } from "./state";
import { execInMachine, isMachine } from "./machines";
import { isAlive, machinePid, nodeEnv } from "./supervisor";

/**
 * Runs a member's oneshot systemd service once, as its timer would: the unit's own ExecStart with its
 * Environment= lines, as root, inside the member's mount (and network) namespace, so the node
 * scripts see the node's paths and addresses. The unit is read from the member's rendered files.
 */

export interface JobResult {
    member: string;
    code: number;
    stdout: string;
    stderr: string;
}

/** ExecStart argv and Environment= of a rendered unit. */
export function readOneshotUnit(member: MemberState, unitName: string): { argv: string[]; env: Record<string, string> } {
    const file = path.join(member.dir, "root", path.dirname(member.unitFile), unitName);
    if (!fs.existsSync(file)) throw new Error(`member ${member.name} has no ${unitName} (the stack renders none: are backups off?)`);
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const execStart = lines.filter((l) => l.startsWith("ExecStart=")).pop();
    if (!execStart) throw new Error(`${unitName} of ${member.name} has no ExecStart`);
    const env: Record<string, string> = {};
    for (const line of lines.filter((l) => l.startsWith("Environment="))) {
        for (const pair of line.slice("Environment=".length).split(/\s+/).filter(Boolean)) {
            const eq = pair.indexOf("=");
            if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
    }
    return { argv: execStart.slice("ExecStart=".length).trim().split(/\s+/), env };
}

export function runUnitOnce(member: MemberState, unitName: string, machineEnv: MachineEnv, timeoutMs = 10 * 60_000): Promise<JobResult> {
    if (isMachine(member.dir)) return Promise.resolve(startUnitOnMachine(member, unitName, timeoutMs));
    const pid = machinePid(member);
    if (!isAlive(pid)) return Promise.resolve({ member: member.name, code: 1, stdout: "", stderr: `the machine of ${member.name} is not running` });
    const unit = readOneshotUnit(member, unitName);
    const argv = ["nsenter", "-t", String(pid), "-m", ...(member.namespace ? ["-n"] : []), "--", ...unit.argv];
    return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), { env: { ...nodeEnv(machineEnv), ...unit.env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ member: member.name, code: code ?? 1, stdout, stderr: signal ? `${stderr}killed by ${signal} after ${timeoutMs / 1000}s\n` : stderr });
        });
    });
}

/**
 * On an nspawn machine the unit is started by the machine's own systemd, as its timer would (a
 * oneshot: `systemctl start` returns when it has finished); its output is that run's journal.
 */
function startUnitOnMachine(member: MemberState, unitName: string, timeoutMs: number): JobResult {
    const pid = machinePid(member);
    if (!isAlive(pid)) return { member: member.name, code: 1, stdout: "", stderr: `the machine of ${member.name} is not running` };
    execInMachine(pid!, ["systemctl", "start", unitName], timeoutMs);
    const show = execInMachine(pid!, ["systemctl", "show", unitName, "--property=InvocationID", "--property=ExecMainStatus"]).stdout;
    const invocation = /InvocationID=(\S+)/.exec(show)?.[1] ?? "";
    const code = Number(/ExecMainStatus=(\d+)/.exec(show)?.[1] ?? 1);
    // The script's stdout is its JSON lines; everything else it logs goes to stderr. The journal
    // holds both, in order: JSON lines are the stdout.
    const journal = execInMachine(pid!, ["journalctl", "--no-pager", "-o", "cat", `_SYSTEMD_INVOCATION_ID=${invocation}`]).stdout.split("\n");
    const isJson = (line: string) => line.startsWith("{");
    return { member: member.name, code, stdout: journal.filter(isJson).join("\n") + "\n", stderr: journal.filter((l) => l && !isJson(l)).join("\n") + "\n" };
}
