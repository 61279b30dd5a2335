import { NodeHealth, waitHealthy } from "./health";
import { currentInit, destroyMachine, execInMachine, launchMachine, machineBootId, newInstanceId, readSpec, replaceVolume, shutdownMachine, writeSpec } from "./machines";
import { MemberState, SandboxState } from "./state";

/**
 * The EC2 lifecycle verbs on a member's machine, each as AWS does it. Each prints what happened and
 * fails unless the member comes back healthy (a stop only has to stop).
 *
 *   reboot                a reboot from inside (systemctl reboot); the instance boots it again
 *   stop / start          instance stop (the machine powers off; root and volume are kept) and start
 *                         (the same root: cloud-init sees the same instance and runs nothing again)
 *   replace               the instance is terminated and a new one (new instance id, fresh root) boots
 *                         from the same user data with the same address and the same volume
 *   replace --new-volume  the same, with the volume lost and an empty one attached
 */
export type LifecycleVerb = "reboot" | "stop" | "start" | "replace";

export interface LifecycleResult {
    member: string;
    verb: string;
    bootIdBefore?: string;
    bootId?: string;
    instanceId: string;
    health?: NodeHealth;
    tookMs: number;
}

export interface LifecycleOptions {
    newVolume?: boolean;
    timeoutMs?: number;
    /** replace: the new instance's user data (`sandbox apply`); by default the instance's own. */
    userDataBase64?: string;
    /** false: return once the machine runs, as an attachment completes before etcd is healthy (no gate). */
    waitHealthy?: boolean;
}

export async function lifecycle(state: SandboxState, member: MemberState, verb: LifecycleVerb, options: LifecycleOptions = {}): Promise<LifecycleResult> {
    const setup = state.machineSetup;
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? 180_000;
    const spec = readSpec(member.dir);
    const bootIdBefore = machineBootId(member.dir);
    switch (verb) {
        case "reboot": {
            if (!bootIdBefore) throw new Error(`the machine of ${member.name} is not running; start it`);
            // `systemctl reboot` returns at once; the machine goes down and its instance boots it again.
            execInMachine(currentInit(member.dir)!, ["systemctl", "reboot"]);
            await until(() => {
                const now = machineBootId(member.dir);
                return now !== undefined && now !== bootIdBefore;
            }, timeoutMs, `${member.name} did not come back from its reboot`);
            break;
        }
        case "stop":
            await shutdownMachine(member.dir);
            return { member: member.name, verb, bootIdBefore, instanceId: spec.instanceId, tookMs: Date.now() - started };
        case "start":
            if (bootIdBefore) throw new Error(`the machine of ${member.name} is already running`);
            await launchMachine(member.dir, spec, setup, { freshRoot: false });
            break;
        case "replace": {
            await destroyMachine(member.dir);
            if (options.newVolume) replaceVolume(member.dir);
            const replaced = { ...spec, instanceId: newInstanceId(), userDataBase64: options.userDataBase64 ?? spec.userDataBase64 };
            writeSpec(member.dir, replaced);
            await launchMachine(member.dir, replaced, setup, { freshRoot: true });
            break;
        }
    }
    const health = options.waitHealthy === false ? undefined : await waitHealthy(member, state.members.map((m) => m.name), timeoutMs);
    return {
        member: member.name,
        verb: options.newVolume ? `${verb} --new-volume` : verb,
        bootIdBefore,
        bootId: machineBootId(member.dir),
        instanceId: readSpec(member.dir).instanceId,
        health,
        tookMs: Date.now() - started,
    };
}

async function until(done: () => boolean, timeoutMs: number, failure: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
        if (Date.now() > deadline) throw new Error(failure);
        await new Promise((r) => setTimeout(r, 250));
    }
}
