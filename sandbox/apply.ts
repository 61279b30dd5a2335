import * as fs from "fs";
import * as path from "path";
import { waitHealthy } from "./health";
import { lifecycle } from "./lifecycle";
import { destroyMachine, execInMachineAsync, instanceOf, launchMachine, machinePid, MachineSpec, newInstanceId, readSpec, replaceVolume, volumeFile, writeSpec } from "./machines";
import { addMemberNetwork, removeMemberNetwork } from "./namespaces";
import { addRelease } from "./mirror";
import { writeClientCertificates, writeParameterStore } from "./planFiles";
import { LoadReport, RunningLoad, startLoad } from "./loadRun";
import { seedObjects } from "./s3";
import type { SandboxPlan } from "./sandboxPlan";
import { MemberState, memberStateOf, readState, SandboxState, stackDir, tlsStateFile, writeState } from "./state";
import { checkVersions } from "../config/runningCluster";
import { ensureTool } from "../tools/toolchain";

/**
 * `sandbox apply --config-file NEW [--load]`: takes a running sandbox from the settings it runs to
 * NEW the way `pulumi up` would, on its machines:
 *   1. plans NEW against what runs (the plan's own day-2 checks: a refusal stops here, untouched);
 *   2. the certificate and other SSM parameters whose resources changed are written at once (they
 *      depend on no gate, so Pulumi updates them first too);
 *   3. each member whose instance is replaced (its user data changed, or its AMI where the program
 *      does not ignore AMI changes) is terminated and booted again from its new user data with its
 *      address and volume; each whose instance type alone changed is stopped and started again, as
 *      EC2 changes a type (the same instance, root and volume); and each member the plan adds boots on
 *      a new address and a new volume, in the order the program's dependencies force (each
 *      instance waits for the previous member's gate, or its volume attachment when there is no
 *      gate), and its gate runs where the program has one; the member memberSubnets moves (one at
 *      most) boots on its new address, with its volume in the same zone and a new one in another;
 *   4. each member the plan no longer has leaves, the last first, as Pulumi deletes it: its leave
 *      command (`etcd-handover --leave`, run in its machine as SSM would) before its machine,
 *      volume and address go.
 * With --load a bounded writer and a health sampler run throughout (sandbox/load.ts).
 */
export interface ApplyOptions {
    stack: string;
    configFile: string;
    load?: boolean;
    log?: (line: string) => void;
}

export interface ApplyStep {
    step: "plan" | "parameters" | "move" | "replace" | "update" | "create" | "gate" | "leave" | "delete";
    member?: string;
    ok: boolean;
    tookMs: number;
    message?: string;
}

export interface ApplyReport {
    ok: boolean;
    stack: string;
    etcdVersion: { before: string; after: string };
    /**
     * What the plan changes: replaced, updated in place (instance type: stop and start), added and
     * moved (memberSubnets) members in roll order, removed members in leaving order, changed SSM
     * parameters.
     */
    changes: { replace: string[]; update: string[]; create: string[]; remove: string[]; move: string[]; parameters: string[] };
    steps: ApplyStep[];
    /** With --load: every acknowledged write checked, quorum sampled, each member's downtime. */
    load?: LoadReport & { quorumHeld: boolean };
    /** The step that failed and why (a refusal of the plan included). */
    failed?: { step: string; member?: string; message: string };
}

/** Writes every 20 ms; the bound is generous for a roll of seven members. */
const LOAD = { count: 50_000, deadlineMs: 30 * 60_000, intervalMs: 20, sampleMs: 250 };

export async function apply(options: ApplyOptions): Promise<ApplyReport> {
    const log = options.log ?? ((line: string) => process.stderr.write(`sandbox: ${line}\n`));
    const state = readState(options.stack);
    if (!state) throw new Error(`no sandbox for stack ${options.stack}; run \`npm run sandbox -- up --stack ${options.stack}\` first`);
    if (!fs.existsSync(options.configFile)) throw new Error(`--config-file ${options.configFile} does not exist`);
    const steps: ApplyStep[] = [];
    const report = (extra: Partial<ApplyReport>): ApplyReport => ({
        ok: false,
        stack: options.stack,
        etcdVersion: { before: state.etcdVersion, after: state.etcdVersion },
        changes: { replace: [], update: [], create: [], remove: [], move: [], parameters: [] },
        steps,
        ...extra,
    });

    const planned = Date.now();
    let plan: SandboxPlan;
    try {
        plan = await planChange(state, options.configFile, log);
    } catch (error) {
        const message = (error as Error).message;
        steps.push({ step: "plan", ok: false, tookMs: Date.now() - planned, message });
        return report({ failed: { step: "plan", message } });
    }
    steps.push({ step: "plan", ok: true, tookMs: Date.now() - planned });
    const isRunning = (name: string) => state.members.some((s) => s.name === name);
    // Only memberSubnets moves a member, one per update (the plan's day-2 checks refuse the rest).
    const move = plan.members.filter((m) => isRunning(m.name) && state.members.find((s) => s.name === m.name)!.ip !== m.ip).map((m) => m.name);
    if (move.length > 1) {
        const message = `the plan moves ${move.join(", ")} to other addresses at once, which the day-2 checks should have refused; nothing was changed`;
        return report({ failed: { step: "plan", message } });
    }

    const parameters = changedParameters(state, plan);
    const replace = plan.rollOrder.filter((name) => isRunning(name) && !move.includes(name) && replaces(readSpec(memberDir(state, name)), plannedMember(plan, name)));
    const update = plan.rollOrder.filter((name) => isRunning(name) && !replace.includes(name) && !move.includes(name) && changesType(readSpec(memberDir(state, name)), plannedMember(plan, name)));
    const create = plan.rollOrder.filter((name) => !isRunning(name));
    // Pulumi deletes the leaving members last, each leave command before its instance and the
    // higher member's before the lower's (memberLeave's dependencies).
    const remove = state.members.filter((m) => !plan.members.some((p) => p.name === m.name)).map((m) => m.name).reverse();
    const changes = { replace, update, create, remove, move, parameters };
    const etcdVersion = { before: state.etcdVersion, after: plan.etcdVersion };
    log(`apply: ${move.length} moved (${move.join(", ") || "none"}), ${replace.length} replaced (${replace.join(", ") || "none"}), ${update.length} stopped and started (${update.join(", ") || "none"}), ${create.length} added (${create.join(", ") || "none"}), ${remove.length} removed (${remove.join(", ") || "none"}), ${parameters.length} parameters changed`);

    const load: RunningLoad | undefined = options.load ? startLoad(state, { prefix: `/sandbox-apply/${Date.now()}/`, ...LOAD }) : undefined;
    let failed: ApplyReport["failed"];
    try {
        // Parameters and the node-script objects depend on no gate: Pulumi updates them first.
        await step(steps, "parameters", undefined, async () => {
            const store = writeParameterStore(plan, stackDir(state.stack));
            if (state.s3) seedObjects(state.s3, store.s3Dir);
        });
        for (const name of plan.rollOrder.filter((n) => replace.includes(n) || update.includes(n) || create.includes(n) || move.includes(n))) {
            let member: MemberState;
            if (move.includes(name)) {
                member = state.members.find((m) => m.name === name)!;
                log(`apply: moving ${name} from ${member.ip} to ${plannedMember(plan, name).ip}`);
                await step(steps, "move", name, () => moveMember(state, member, plan));
            } else if (create.includes(name)) {
                log(`apply: adding ${name}`);
                member = newMember(state, plan, name);
                await step(steps, "create", name, () => bootNewMember(state, member, plan));
            } else if (update.includes(name)) {
                member = state.members.find((m) => m.name === name)!;
                log(`apply: ${name}: stop, change the instance type, start`);
                await step(steps, "update", name, async () => {
                    await lifecycle(state, member, "stop", { waitHealthy: false });
                    keepInstance(member, plannedMember(plan, name));
                    await lifecycle(state, member, "start", { waitHealthy: false });
                });
            } else {
                member = state.members.find((m) => m.name === name)!;
                log(`apply: replacing ${name}`);
                await step(steps, "replace", name, async () => {
                    await lifecycle(state, member, "replace", { userDataBase64: plannedMember(plan, name).userDataBase64, waitHealthy: false });
                    keepInstance(member, plannedMember(plan, name));
                });
            }
            const gate = plan.gates[name];
            if (gate) {
                log(`apply: gate after ${name}`);
                await step(steps, "gate", name, () => waitHealthy(member, gate.requiredMembers, gate.timeoutSeconds * 1000));
            }
        }
        for (const name of remove) {
            const member = state.members.find((m) => m.name === name)!;
            log(`apply: ${name} leaves`);
            await step(steps, "leave", name, () => leave(member));
            await step(steps, "delete", name, () => deleteMember(state, member));
        }
    } catch (error) {
        const last = steps[steps.length - 1];
        failed = { step: last?.step ?? "apply", member: last?.member, message: (error as Error).message };
    }
    state.etcdVersion = failed ? state.etcdVersion : plan.etcdVersion;
    state.planned = plan.running.members;
    writeState(state);
    const loadReport = load ? await load.finish() : undefined;
    // What a user's clients take from the outputs once the update is done: the CA bundle and the
    // client certificates (a CA rotation changes them between its steps), at the paths they had.
    if (!failed) writeClientCertificates(plan, stackDir(state.stack));
    const quorumHeld = loadReport ? loadReport.quorumLostSamples === 0 : true;
    const lost = loadReport?.lost.length ?? 0;
    return report({
        ok: !failed && quorumHeld && lost === 0,
        etcdVersion,
        changes,
        ...(loadReport ? { load: { ...loadReport, quorumHeld } } : {}),
        ...(failed ? { failed } : {}),
    });
}

async function step(steps: ApplyStep[], kind: ApplyStep["step"], member: string | undefined, work: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    const entry: ApplyStep = { step: kind, ...(member ? { member } : {}), ok: false, tookMs: 0 };
    steps.push(entry);
    try {
        await work();
        entry.ok = true;
    } catch (error) {
        entry.message = (error as Error).message;
        throw error;
    } finally {
        entry.tookMs = Date.now() - started;
    }
}

const memberDir = (state: SandboxState, name: string) => state.members.find((m) => m.name === name)!.dir;
const plannedMember = (plan: SandboxPlan, name: string) => plan.members.find((m) => m.name === name)!;
type Planned = ReturnType<typeof plannedMember>;

/**
 * A new instance, as Pulumi replaces one (userDataReplaceOnChange, and an AMI the program does not
 * ignore). A spec from before the AMI was kept is taken as unchanged.
 */
function replaces(spec: MachineSpec, planned: Planned): boolean {
    if (spec.userDataBase64 !== planned.userDataBase64) return true;
    return !planned.instance.ignoreAmi && spec.ami !== undefined && spec.ami !== planned.instance.ami;
}

/** The instance type alone: EC2 changes it on the same instance, stopped. */
function changesType(spec: MachineSpec, planned: Planned): boolean {
    return spec.instanceType !== undefined && spec.instanceType !== planned.instance.instanceType;
}

/** Records the AMI and type the member's instance now has. */
function keepInstance(member: MemberState, planned: Planned): void {
    writeSpec(member.dir, { ...readSpec(member.dir), ...instanceOf(planned) });
}

/** A member the plan adds: its own namespace and directory, as `up` makes them. */
function newMember(state: SandboxState, plan: SandboxPlan, name: string): MemberState {
    return memberStateOf(state.stack, plannedMember(plan, name), state.members[0].healthCommand);
}

/** A new network interface, volume and instance: recorded in the state first, so `down` cleans it up. */
async function bootNewMember(state: SandboxState, member: MemberState, plan: SandboxPlan): Promise<void> {
    const peers = [...state.members];
    state.members.push(member);
    writeState(state);
    fs.mkdirSync(member.dir, { recursive: true });
    addMemberNetwork(state.hubNamespace, member, peers);
    const p = plannedMember(plan, member.name);
    const spec: MachineSpec = { name: member.name, ip: member.ip, instanceId: p.instanceId, userDataBase64: p.userDataBase64, dataDevice: p.env.DATA_DEVICE, namespace: member.namespace, ...instanceOf(p) };
    writeSpec(member.dir, spec);
    await launchMachine(member.dir, spec, state.machineSetup, { freshRoot: true });
}

/**
 * A member memberSubnets moves, as Pulumi replaces it: the instance goes (deleteBeforeReplace), and
 * a new one boots from its new user data on its new interface (a new address; the old interface
 * has nothing left to serve and goes at the end of the update), with the volume it had when the
 * zone stays and a new, empty one when the zone changes (an EBS volume lives in one zone).
 */
async function moveMember(state: SandboxState, member: MemberState, plan: SandboxPlan): Promise<void> {
    const p = plannedMember(plan, member.name);
    const before = readSpec(member.dir);
    await destroyMachine(member.dir);
    const peers = state.members.filter((m) => m !== member);
    removeMemberNetwork(state.hubNamespace, member, peers);
    Object.assign(member, memberStateOf(state.stack, p, member.healthCommand));
    writeState(state);
    addMemberNetwork(state.hubNamespace, member, peers);
    if (before.availabilityZone !== undefined && before.availabilityZone !== p.instance.availabilityZone) replaceVolume(member.dir);
    const spec: MachineSpec = { ...before, ip: member.ip, instanceId: newInstanceId(), userDataBase64: p.userDataBase64, dataDevice: p.env.DATA_DEVICE, namespace: member.namespace, ...instanceOf(p) };
    writeSpec(member.dir, spec);
    await launchMachine(member.dir, spec, state.machineSetup, { freshRoot: true });
}

/** The member's leave command, as the program's runs it through SSM on the instance: `etcd-handover --leave`. */
async function leave(member: MemberState): Promise<void> {
    const pid = machinePid(member);
    if (!pid) throw new Error(`the machine of ${member.name} is not running, so it cannot leave`);
    const { NODE_LEAVE_COMMAND } = await import("../components/healthGate");
    const result = await execInMachineAsync(pid, NODE_LEAVE_COMMAND.split(" "), 180_000);
    if (result.code !== 0) throw new Error(`${member.name} could not leave: ${(result.stderr || result.stdout).trim().slice(-600)}`);
}

/** What Pulumi deletes after the leave: the instance, the volume, the network interface. */
async function deleteMember(state: SandboxState, member: MemberState): Promise<void> {
    await destroyMachine(member.dir);
    fs.rmSync(volumeFile(member.dir), { force: true });
    state.members = state.members.filter((m) => m.name !== member.name);
    removeMemberNetwork(state.hubNamespace, member, state.members);
    writeState(state);
    fs.rmSync(member.dir, { recursive: true, force: true });
}

/** The plan of NEW against what runs: the same mirror (with NEW's release added) and the sandbox's TLS state. */
async function planChange(state: SandboxState, configFile: string, log: (line: string) => void): Promise<SandboxPlan> {
    const { readStackSettings } = await import("../tools/stackFile");
    const { planSandbox, stackRelease } = await import("./sandboxPlan");
    const settings = readStackSettings(path.resolve(__dirname, ".."), state.stack, path.resolve(configFile));
    const release = stackRelease(settings);
    // The plan checks the version again; checked here first so a refused one is not built.
    checkVersions(release.version, state.planned);
    const binDir = await ensureTool("etcd", release.version, log);
    const mirrorDir = path.join(stackDir(state.stack), "mirror");
    const mirror = addRelease(mirrorDir, binDir, release.version, release.arch, state.mirrorUrl);
    settings.config[`${settings.project}:etcdMirrorUrl`] = state.mirrorUrl;
    settings.config[`${settings.project}:etcdSha256`] = mirror.sha256;
    return planSandbox(settings, { running: runningNow(state), tlsStateFile: tlsStateFile(state.stack) });
}

/** What AWS would answer now: the interfaces and instance tags as last planned, and the record the members wrote. */
function runningNow(state: SandboxState) {
    const formedParameter = state.machineSetup.writableParameters[0];
    const record = path.join(state.machineSetup.recordsDir, formedParameter);
    const formedToken = fs.existsSync(record) ? fs.readFileSync(record, "utf8").trim() : undefined;
    return { members: state.planned, ...(formedToken ? { formedToken } : {}) };
}

/** SSM parameters whose value the plan changes, or adds. */
function changedParameters(state: SandboxState, plan: SandboxPlan): string[] {
    return Object.entries(plan.parameters)
        .filter(([name, { value }]) => {
            const file = path.join(state.machineSetup.ssmDir, name);
            return !fs.existsSync(file) || fs.readFileSync(file, "utf8") !== value;
        })
        .map(([name]) => name)
        .sort();
}
