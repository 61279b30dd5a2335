import { execInMachineAsync, machinePid } from "./machines";
import { isAlive } from "./pids";
import { MemberState } from "./state";

/**
 * Runs a member's oneshot systemd service once, as its timer would: the machine's own systemd starts
 * the unit (a oneshot: `systemctl start` returns when it has finished), and the result is that run's
 * exit status and journal.
 */

export interface JobResult {
    member: string;
    code: number;
    stdout: string;
    stderr: string;
}

/**
 * systemd's exit status when it could not set up the unit's cgroup. On this host's cgroup v1 a
 * machine's systemd cannot empty a finished run's cgroup ("Failed to kill control group"), and a
 * run started soon after one (the timer's own tick, say) can fail so before the script runs at all:
 * a sandbox artifact, so that run is started again.
 */
const CGROUP_SETUP_FAILED = 219;

export async function runUnitOnce(member: MemberState, unitName: string, timeoutMs = 10 * 60_000): Promise<JobResult> {
    for (let attempt = 1; ; attempt++) {
        const result = await runUnitOnceAttempt(member, unitName, timeoutMs);
        if (result.code !== CGROUP_SETUP_FAILED || attempt >= 3) return result;
        await new Promise((r) => setTimeout(r, 2000));
    }
}

async function runUnitOnceAttempt(member: MemberState, unitName: string, timeoutMs: number): Promise<JobResult> {
    const pid = machinePid(member);
    if (!isAlive(pid)) return { member: member.name, code: 1, stdout: "", stderr: `the machine of ${member.name} is not running` };
    // The members' units start together, as one timer tick does on every member.
    const started = await execInMachineAsync(pid!, ["systemctl", "start", unitName], timeoutMs);
    if (/not (found|loaded)/.test(started.stderr)) return { member: member.name, code: 1, stdout: "", stderr: `member ${member.name} has no ${unitName} (the stack renders none: are backups off?)\n` };
    const show = (await execInMachineAsync(pid!, ["systemctl", "show", unitName, "--property=InvocationID", "--property=ExecMainStatus"])).stdout;
    const invocation = /InvocationID=(\S+)/.exec(show)?.[1] ?? "";
    const code = Number(/ExecMainStatus=(\d+)/.exec(show)?.[1] ?? 1);
    // The script's stdout is its JSON lines; everything else it logs goes to stderr. The journal
    // holds both, in order: JSON lines are the stdout.
    const journal = (await execInMachineAsync(pid!, ["journalctl", "--no-pager", "-o", "cat", `_SYSTEMD_INVOCATION_ID=${invocation}`])).stdout.split("\n");
    const isJson = (line: string) => line.startsWith("{");
    return { member: member.name, code, stdout: journal.filter(isJson).join("\n") + "\n", stderr: journal.filter((l) => l && !isJson(l)).join("\n") + "\n" };
}
