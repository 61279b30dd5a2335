import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster } from "../../components/etcdCluster";
import { EtcdClusterArgs } from "../../config/clusterArgs";
import { RunningCluster } from "../../config/runningCluster";
import { MockRuntime, RecordedResource, startMockRuntime } from "../../tools/mockRuntime";

export type { RecordedResource };

let runtime: MockRuntime | undefined;

/**
 * One mock runtime per test file (Pulumi's runtime is process-global). A file that plans a change to
 * a running cluster says what runs in its first call; by default nothing does.
 */
export async function mockRuntime(running?: RunningCluster): Promise<MockRuntime> {
    runtime ??= await startMockRuntime({ project: "proj", stack: "test", region: "eu-west-1", running });
    return runtime;
}

export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((r) => output.apply((v) => r(v)));
}

/**
 * Waits until every apply has run and no further resource is being registered. The mock runtime
 * works in promises and no timers, so a timer that fires twice with no new resource means it is idle.
 */
export async function settled(): Promise<void> {
    const rt = await mockRuntime();
    let seen = -1;
    let quietRounds = 0;
    while (quietRounds < 2) {
        quietRounds = seen === rt.resources.length ? quietRounds + 1 : 0;
        seen = rt.resources.length;
        await new Promise((r) => setTimeout(r, 5));
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

/** Builds one cluster on the file's mock runtime and returns it with the resources it made. */
export async function buildCluster(name: string, args: EtcdClusterArgs): Promise<{ cluster: EtcdCluster; resources: RecordedResource[] }> {
    const rt = await mockRuntime();
    const cluster = new EtcdCluster(name, args);
    await resolve(cluster.members);
    await settled();
    return { cluster, resources: ofCluster(rt.resources, name) };
}

/** The one resource of that type and name; fails the test unless there is exactly one. */
export function theResource(resources: RecordedResource[], type: string, name: string): RecordedResource {
    const found = resources.filter((r) => r.type === type && r.name === name);
    expect(found).toHaveLength(1);
    return found[0];
}
