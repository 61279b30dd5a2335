import { completeSchema, PackageSchema, WIDE_WHOLE_NUMBER_SETTINGS } from "../../provider/completeSchema";

// What the plugin adds to the schema Pulumi's analyzer makes of the TypeScript types, on a small
// analyzed schema of the same shape (the provider test holds the real one to provider/schema.json).
const analyzed: PackageSchema = {
    name: "etcd",
    resources: {
        "etcd:index:EtcdCluster": {
            isComponent: true,
            inputProperties: {
                memberCount: { type: "number" },
                quotaBackendBytes: { type: "number", description: "`--quota-backend-bytes`." },
                dataVolumeThroughputMBps: { type: "number" },
                dataVolumeThroughputMbps: { type: "number" },
                caPrivateKeyPem: { type: "string" },
                subnetIds: { type: "array", items: { type: "string" } },
            },
            properties: {
                adminKeyPem: { type: "string" },
                caCertPem: { type: "string" },
                sizing: { $ref: "#/types/etcd:index:SizingOutput" },
            },
        },
    },
    types: {
        // loadAverage: a fractional number the component does not have; it stands for one added later.
        "etcd:index:SizingOutput": { type: "object", properties: { vcpu: { type: "number" }, loadAverage: { type: "number" }, volume: { $ref: "#/types/etcd:index:DataVolumeOutput" } } },
        "etcd:index:DataVolumeOutput": {
            type: "object",
            properties: { throughputMbps: { type: "number" }, throughputMBps: { type: "number" }, type: { type: "string" } },
            required: ["throughputMBps", "throughputMbps", "type"],
        },
    },
    language: { nodejs: { respectSchemaVersion: true } },
};

describe("the schema served to other languages", () => {
    const schema = completeSchema(analyzed);
    const cluster = schema.resources["etcd:index:EtcdCluster"];

    it("marks secret settings and secret outputs, and nothing else", () => {
        expect(cluster.inputProperties!.caPrivateKeyPem.secret).toBe(true);
        expect(cluster.properties!.adminKeyPem.secret).toBe(true);
        expect(cluster.properties!.caCertPem.secret).toBeUndefined();
        expect(cluster.inputProperties!.memberCount.secret).toBeUndefined();
    });

    it("types the integer settings and the listed whole-number output fields as integers, and drops the Output suffix from type names, references included", () => {
        expect(cluster.inputProperties!.memberCount.type).toBe("integer");
        expect(cluster.inputProperties!.dataVolumeThroughputMbps.type).toBe("integer");
        expect(Object.keys(schema.types).sort()).toEqual(["etcd:index:DataVolume", "etcd:index:Sizing"]);
        expect(cluster.properties!.sizing.$ref).toBe("#/types/etcd:index:Sizing");
        expect(schema.types["etcd:index:Sizing"].properties!.volume.$ref).toBe("#/types/etcd:index:DataVolume");
        expect(schema.types["etcd:index:Sizing"].properties!.vcpu.type).toBe("integer");
        expect(schema.types["etcd:index:DataVolume"].properties!.throughputMbps.type).toBe("integer");
    });

    it("leaves a number the owners do not call whole a number: a fractional output field added later is not cut to an int", () => {
        expect(schema.types["etcd:index:Sizing"].properties!.loadAverage.type).toBe("number");
    });

    it("keeps quotaBackendBytes a number, saying why: its 8 GiB default is past a 32-bit int", () => {
        expect(WIDE_WHOLE_NUMBER_SETTINGS).toEqual(["quotaBackendBytes"]);
        expect(cluster.inputProperties!.quotaBackendBytes.type).toBe("number");
        expect(cluster.inputProperties!.quotaBackendBytes.description).toBe(
            "`--quota-backend-bytes`.\n\nA number in this schema, not an integer: its default, 8 GiB (8589934592 bytes), does not fit the 32-bit integer of C# and Java. Give a whole number of bytes.",
        );
    });

    it("leaves out the former names of a setting and of an output field (required lists included): no SDK of another language has them", () => {
        expect(Object.keys(cluster.inputProperties!)).not.toContain("dataVolumeThroughputMBps");
        expect(Object.keys(cluster.inputProperties!)).toContain("dataVolumeThroughputMbps");
        const volume = schema.types["etcd:index:DataVolume"];
        expect(Object.keys(volume.properties!).sort()).toEqual(["throughputMbps", "type"]);
        expect(volume.required).toEqual(["throughputMbps", "type"]);
        expect(JSON.stringify(schema)).not.toMatch(/deprecat/i);
    });

    it("names each language's package and the Go import path from package.json", () => {
        expect(schema.language).toMatchObject({
            nodejs: { respectSchemaVersion: true, packageName: "@etcd-pulumi/aws-etcd-cluster" },
            python: { packageName: "pulumi_etcd_cluster" },
            go: { importBasePath: "github.com/etcd-pulumi/aws-etcd-cluster/sdk/go/etcd" },
        });
        expect(schema.repository).toBe("https://github.com/etcd-pulumi/aws-etcd-cluster");
    });
});
