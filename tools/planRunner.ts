import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { SECRET_MASK } from "../config/contract";
import { MockRuntime, RecordedResource, startMockRuntime, StateHook } from "./mockRuntime";
import { StackSettings } from "./stackFile";
import { RunningCluster } from "../config/runningCluster";

export interface PlanResult {
    project: string;
    stack: string;
    region: string;
    resources: RecordedResource[];
    /** Stack outputs with secrets masked. */
    outputs: Record<string, unknown>;
    /** Stack outputs with secrets in the clear (the sandbox needs the admin key it generated). */
    rawOutputs: Record<string, unknown>;
}

/** A user mistake the program refused (ConfigError), as `pulumi up` would show it. */
export class PlanRefused extends Error {}

const PROGRAM = path.join(__dirname, "..", "index");

/**
 * Runs the Pulumi program (index.ts) for one stack under the mock runtime, with no credentials and
 * no Pulumi CLI, and returns every resource it registered and its outputs. One run per process:
 * Pulumi's runtime is process-global.
 */
export async function runPlan(settings: StackSettings, stateHook?: StateHook, running?: RunningCluster): Promise<PlanResult> {
    const region = settings.region ?? "eu-west-1";
    const runtime: MockRuntime = await startMockRuntime({
        project: settings.project,
        stack: settings.stack,
        config: settings.config,
        secretKeys: settings.secretKeys,
        region,
        stateHook,
        running,
    });

    const asyncFailures: unknown[] = [];
    // An exception inside an apply leaves its outputs unresolved forever; surface it instead of waiting.
    let failed: (reason: unknown) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => (failed = reject));
    failure.catch(() => undefined);
    const onRejection = (reason: unknown) => {
        asyncFailures.push(reason);
        failed(reason);
    };
    process.on("unhandledRejection", onRejection);
    let program: Record<string, unknown>;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program = require(PROGRAM);
    } catch (err) {
        throw refusalOrError(err);
    }
    const outputs: Record<string, unknown> = {};
    const rawOutputs: Record<string, unknown> = {};
    try {
        for (const [key, value] of Object.entries(program)) {
            if (pulumi.Output.isInstance(value)) {
                const [resolved, secret] = await Promise.race([Promise.all([settle(value), pulumi.isSecret(value)]), failure]);
                rawOutputs[key] = resolved;
                outputs[key] = secret ? SECRET_MASK : resolved;
            }
        }
        await waitForQuiet(runtime);
    } catch (err) {
        throw refusalOrError(err);
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    if (asyncFailures.length > 0) {
        throw refusalOrError(asyncFailures[0]);
    }
    return { project: settings.project, stack: settings.stack, region, resources: runtime.resources, outputs, rawOutputs };
}

function settle<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits until no new resource has been registered for a moment (every apply has run). */
async function waitForQuiet(runtime: MockRuntime): Promise<void> {
    let seen = -1;
    while (seen !== runtime.resources.length) {
        seen = runtime.resources.length;
        await new Promise((r) => setTimeout(r, 50));
    }
}

function refusalOrError(err: unknown): Error {
    // As Pulumi itself tells a run error (ConfigError carries its mark without extending its class).
    if (pulumi.RunError.isInstance(err)) {
        return new PlanRefused(err.message);
    }
    return err instanceof Error ? err : new Error(String(err));
}
