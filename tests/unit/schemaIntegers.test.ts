import * as fs from "fs";
import * as path from "path";
import { EtcdClusterArgs } from "../../config/clusterArgs";
import { GP3_LIMITS } from "../../config/dataVolume";
import { INSTANCE_FACTS } from "../../config/instanceTypes";
import { resolveSettings } from "../../config/settings";
import { SIZING_TIERS } from "../../config/sizing";
import { MAX_KUBERNETES_NODE_COUNT } from "../../config/sizingDecision";
import { WIDE_WHOLE_NUMBER_SETTINGS } from "../../provider/completeSchema";
import { refusal } from "../helpers/refusal";
import { REPO_ROOT } from "../helpers/repo";

// The C# and Java SDKs make a schema "integer" a 32-bit int (Go's int and Python's int are wider):
// every "integer" of the reviewed schema (provider/schema.json, which the provider test holds to
// what the plugin serves) must be a value that can never pass 2^31-1. The settings' ranges come
// from their validation itself, the output fields' from the tables and limits they are made of.

const INT32_MAX = 2 ** 31 - 1;
const ABOVE_INT32 = [2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER];
const TOKEN = "etcd:index:EtcdCluster";

interface Property {
    type?: string;
}
const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "provider", "schema.json"), "utf8")) as {
    resources: Record<string, { inputProperties: Record<string, Property> }>;
    types: Record<string, { properties: Record<string, Property> }>;
};
const inputsOfType = (type: string) =>
    Object.entries(schema.resources[TOKEN].inputProperties)
        .filter(([, p]) => p.type === type)
        .map(([name]) => name as keyof EtcdClusterArgs);
const integerFields = Object.entries(schema.types).flatMap(([token, t]) =>
    Object.entries(t.properties)
        .filter(([, p]) => p.type === "integer")
        .map(([field]) => `${token.split(":").pop()}.${field}`),
);

/**
 * Settings under which every whole-number setting may take its largest values: the largest gp3
 * volume (quotaBackendBytes may be half of it), with an explicit instance that sustains it, which
 * also lets kubernetesNodeCount pass etcd's table (above 3000 every sizing setting must be given).
 */
const ROOMIEST: EtcdClusterArgs = {
    kubernetesNodeCount: 5000,
    instanceType: "m7g.8xlarge",
    dataVolumeSizeGb: GP3_LIMITS.maxSizeGb,
    dataVolumeIops: 40000,
    // What the instance sustains at baseline (1250 MB/s).
    dataVolumeThroughputMbps: 1000,
    allowNoAlarmTopic: true,
};

/**
 * The largest value of each whole-number output field. kubernetesNodeCount is the setting, echoed;
 * the instance's figures come only from the instance types the package knows (any other
 * instanceType is refused); the volume's are the settings, held to gp3's limits, or a tier's.
 */
const OUTPUT_FIELD_MAXIMUMS: Readonly<Record<string, number>> = {
    "Sizing.kubernetesNodeCount": MAX_KUBERNETES_NODE_COUNT,
    "Sizing.vcpu": Math.max(...INSTANCE_FACTS.map((f) => f.vcpu)),
    "Sizing.memoryGib": Math.max(...INSTANCE_FACTS.map((f) => f.memoryGib)),
    "DataVolume.sizeGb": GP3_LIMITS.maxSizeGb,
    "DataVolume.iops": GP3_LIMITS.maxIops,
    "DataVolume.throughputMbps": GP3_LIMITS.maxThroughputMBps,
};

describe("every schema integer fits the 32-bit int of C# and Java", () => {
    test("the roomiest settings are accepted, so each refusal below is the probed setting's own", () => {
        expect(resolveSettings(ROOMIEST).sizing.tier).toBe("custom");
    });

    test.each(inputsOfType("integer"))("the integer setting %s is refused above 2^31-1, even among the roomiest settings", (setting) => {
        for (const value of ABOVE_INT32) {
            expect(`${value}: ${refusal(() => resolveSettings({ ...ROOMIEST, [setting]: value })).setting}`).toBe(`${value}: ${setting}`);
        }
    });

    test("the schema has integer settings to check (the list above is not empty by mistake)", () => {
        expect(inputsOfType("integer").length).toBeGreaterThan(15);
    });

    test("a whole-number setting typed number is one that passes 2^31-1: quotaBackendBytes, whose default is 8 GiB", () => {
        expect(inputsOfType("number")).toEqual([...WIDE_WHOLE_NUMBER_SETTINGS]);
        for (const setting of inputsOfType("number")) {
            expect(() => resolveSettings({ ...ROOMIEST, [setting]: 2 ** 31 })).not.toThrow();
        }
        expect(resolveSettings(ROOMIEST).etcd.quotaBackendBytes).toBe(8 * 1024 ** 3);
        expect(8 * 1024 ** 3).toBeGreaterThan(INT32_MAX);
    });

    test("every integer output field has a known largest value, within 2^31-1", () => {
        expect(integerFields.sort()).toEqual(Object.keys(OUTPUT_FIELD_MAXIMUMS).sort());
        for (const [field, maximum] of Object.entries(OUTPUT_FIELD_MAXIMUMS)) {
            expect(`${field} <= ${maximum}: ${maximum <= INT32_MAX}`).toBe(`${field} <= ${maximum}: true`);
        }
    });

    test("the output fields' largest values hold: the settings behind them are refused above them, and every tier is below them", () => {
        const above: Array<[keyof EtcdClusterArgs, number]> = [
            ["kubernetesNodeCount", MAX_KUBERNETES_NODE_COUNT + 1],
            ["dataVolumeSizeGb", GP3_LIMITS.maxSizeGb + 1],
            ["dataVolumeIops", GP3_LIMITS.maxIops + 1],
            ["dataVolumeThroughputMbps", GP3_LIMITS.maxThroughputMBps + 1],
        ];
        for (const [setting, value] of above) {
            expect(refusal(() => resolveSettings({ ...ROOMIEST, [setting]: value })).setting).toBe(setting);
        }
        expect(resolveSettings({ ...ROOMIEST, kubernetesNodeCount: MAX_KUBERNETES_NODE_COUNT }).sizing.kubernetesNodeCount).toBe(MAX_KUBERNETES_NODE_COUNT);
        for (const tier of SIZING_TIERS) {
            expect(tier.dataVolumeGb).toBeLessThanOrEqual(GP3_LIMITS.maxSizeGb);
            expect(tier.iops).toBeLessThanOrEqual(GP3_LIMITS.maxIops);
            expect(tier.throughputMBps).toBeLessThanOrEqual(GP3_LIMITS.maxThroughputMBps);
        }
        expect(refusal(() => resolveSettings({ ...ROOMIEST, instanceType: "x9z.metal" })).setting).toBe("instanceType");
    });
});
