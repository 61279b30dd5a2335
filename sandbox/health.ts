import { execInMachineAsync, machinePid } from "./machines";
import { isAlive } from "./pids";
import { MemberState } from "./state";

/** The one-line JSON summary node/etcd-health prints. */
export interface NodeHealth {
    healthy: boolean;
    member: string;
    /** How many members REQUIRED_MEMBERS named. */
    required: number;
    expected: number;
    members: number;
    started: number;
    healthyEndpoints: number;
    statusEndpoints: number;
    leader: string;
    reason: string;
}

/**
 * Runs the member's own installed health check (NODE_HEALTH_COMMAND, /usr/local/sbin/etcd-health)
 * inside the member's machine with REQUIRED_MEMBERS, as the stack's health gate runs it on the
 * instance through SSM (gateHealthCommand): `required` names the members that must be started
 * voters, so a member that was removed and not yet added again never passes for a smaller cluster.
 */
export function nodeHealth(member: MemberState, required: string[], timeoutMs = 30_000): Promise<NodeHealth> {
    const pid = machinePid(member);
    if (!isAlive(pid)) {
        return Promise.resolve(unhealthy(member, `the machine of ${member.name} is not running`));
    }
    return execInMachineAsync(pid!, ["env", `REQUIRED_MEMBERS=${required.join(",")}`, member.healthCommand], timeoutMs).then(({ stdout, stderr }) => {
        try {
            return JSON.parse(stdout.trim().split("\n").pop() ?? "") as NodeHealth;
        } catch {
            return unhealthy(member, `etcd-health printed no summary: ${(stderr || stdout).trim().slice(0, 300)}`);
        }
    });
}

function unhealthy(member: MemberState, reason: string): NodeHealth {
    return { healthy: false, member: member.name, required: 0, expected: 0, members: 0, started: 0, healthyEndpoints: 0, statusEndpoints: 0, leader: "", reason };
}

/**
 * Polls the health check on `member` until it passes, like the gate: returns the passing summary,
 * or throws with the last reason after timeoutMs. `abort` ends the wait early (a machine died).
 */
export async function waitHealthy(member: MemberState, required: string[], timeoutMs: number, abort: () => string | undefined = () => undefined): Promise<NodeHealth> {
    const deadline = Date.now() + timeoutMs;
    let last: NodeHealth | undefined;
    for (;;) {
        const why = abort();
        if (why) throw new Error(why);
        last = await nodeHealth(member, required);
        if (last.healthy) return last;
        if (Date.now() > deadline) throw new Error(`the cluster was not healthy within ${timeoutMs / 1000}s; last check on ${member.name}: ${last.reason}`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}
