import * as fs from "fs";
import * as path from "path";
import { waitHealthy } from "./health";
import { lifecycle } from "./lifecycle";
import { readSpec } from "./machines";
import { addRelease } from "./mirror";
import { writeParameterStore } from "./planFiles";
import { LoadReport, RunningLoad, startLoad } from "./loadRun";
import { seedObjects } from "./s3";
import type { SandboxPlan } from "./sandboxPlan";
import { readState, SandboxState, stackDir, tlsStateFile, writeState } from "./state";
import { checkVersions } from "../config/runningCluster";
import { ensureTool } from "../tools/toolchain";

/**
 * `sandbox apply --config-file NEW [--load]`: takes a running sandbox from the settings it runs to
 * NEW the way `pulumi up` would, on its machines:
 *   1. plans NEW against what runs (the plan's own day-2 checks: a refusal stops here, untouched);
 *   2. the certificate and other SSM parameters whose resources changed are written at once (they
 *      depend on no gate, so Pulumi updates them first too);
 *   3. each member whose instance is replaced (its user data changed) is terminated and booted again
 *      from its new user data with its address and volume, in the order the program's dependencies
 *      force (each instance waits for the previous member's gate, or its volume attachment when
 *      there is no gate), and its gate runs where the program has one.
 * With --load a bounded writer and a health sampler run throughout (sandbox/load.ts).
 */
export interface ApplyOptions {
    stack: string;
    configFile: string;
    load?: boolean;
    log?: (line: string) => void;
}

export interface ApplyStep {
    step: "plan" | "parameters" | "replace" | "gate";
    member?: string;
    ok: boolean;
    tookMs: number;
    message?: string;
}

export interface ApplyReport {
    ok: boolean;
    stack: string;
    etcdVersion: { before: string; after: string };
    /** What the plan changes: replaced members in roll order, changed SSM parameters. */
    changes: { replace: string[]; parameters: string[] };
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
        changes: { replace: [], parameters: [] },
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
    const moved = plan.members.filter((m) => state.members.find((s) => s.name === m.name)?.ip !== m.ip).map((m) => m.name);
    if (moved.length > 0 || plan.members.length !== state.members.length) {
        const message = `the plan changes the members or their addresses (${moved.join(", ") || "count"}), which the day-2 checks should have refused; nothing was changed`;
        return report({ failed: { step: "plan", message } });
    }

    const parameters = changedParameters(state, plan);
    const replace = plan.rollOrder.filter((name) => readSpec(memberDir(state, name)).userDataBase64 !== plan.members.find((m) => m.name === name)!.userDataBase64);
    const changes = { replace, parameters };
    const etcdVersion = { before: state.etcdVersion, after: plan.etcdVersion };
    log(`apply: ${replace.length} members replaced (${replace.join(", ") || "none"}), ${parameters.length} parameters changed`);

    const load: RunningLoad | undefined = options.load ? startLoad(state, { prefix: `/sandbox-apply/${Date.now()}/`, ...LOAD }) : undefined;
    let failed: ApplyReport["failed"];
    try {
        // Parameters and the node-script objects depend on no gate: Pulumi updates them first.
        await step(steps, "parameters", undefined, async () => {
            const store = writeParameterStore(plan, stackDir(state.stack));
            if (state.s3) seedObjects(state.s3, store.s3Dir);
        });
        for (const name of replace) {
            const member = state.members.find((m) => m.name === name)!;
            const userDataBase64 = plan.members.find((m) => m.name === name)!.userDataBase64;
            log(`apply: replacing ${name}`);
            await step(steps, "replace", name, () => lifecycle(state, member, "replace", { userDataBase64, waitHealthy: false }));
            const gate = plan.gates[name];
            if (gate) {
                log(`apply: gate after ${name}`);
                await step(steps, "gate", name, () => waitHealthy(member, gate.requiredMembers, gate.timeoutSeconds * 1000));
            }
        }
    } catch (error) {
        const last = steps[steps.length - 1];
        failed = { step: last?.step ?? "apply", member: last?.member, message: (error as Error).message };
    }
    state.etcdVersion = failed ? state.etcdVersion : plan.etcdVersion;
    state.planned = plan.running.members;
    writeState(state);
    const loadReport = load ? await load.finish() : undefined;
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
