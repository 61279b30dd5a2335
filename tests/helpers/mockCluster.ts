import * as pulumi from "@pulumi/pulumi";
import { MockRuntime, RecordedResource, startMockRuntime } from "../../tools/mockRuntime";

export type { RecordedResource };

let runtime: MockRuntime | undefined;

/** One mock runtime per test file (Pulumi's runtime is process-global). */
export async function mockRuntime(): Promise<MockRuntime> {
    runtime ??= await startMockRuntime({ project: "proj", stack: "test", region: "eu-west-1" });
    return runtime;
}

export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((r) => output.apply((v) => r(v)));
}

/** Waits until every apply has run and no further resource is being registered. */
export async function settled(): Promise<void> {
    const rt = await mockRuntime();
    let seen = -1;
    while (seen !== rt.resources.length) {
        seen = rt.resources.length;
        await new Promise((r) => setTimeout(r, 30));
    }
}

/** Resources that belong to one cluster: their names start with the cluster's name. */
export function ofCluster(resources: RecordedResource[], name: string): RecordedResource[] {
    return resources.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
}

export function countByType(resources: RecordedResource[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) {
        counts[r.type] = (counts[r.type] ?? 0) + 1;
    }
    return counts;
}
