import { completeSchema, PackageSchema } from "../../provider/completeSchema";

// What the plugin adds to the schema Pulumi's analyzer makes of the TypeScript types, on a small
// analyzed schema of the same shape (the provider test holds the real one to provider/schema.json).
const analyzed: PackageSchema = {
    name: "etcd",
    resources: {
        "etcd:index:EtcdCluster": {
            isComponent: true,
            inputProperties: {
                memberCount: { type: "number" },
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
        "etcd:index:SizingOutput": { type: "object", properties: { vcpu: { type: "number" }, volume: { $ref: "#/types/etcd:index:DataVolumeOutput" } } },
        "etcd:index:DataVolumeOutput": { type: "object", properties: { throughputMbps: { type: "number" }, throughputMBps: { type: "number" }, type: { type: "string" } } },
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

    it("types numbers as integers and drops the Output suffix from type names, references included", () => {
        expect(cluster.inputProperties!.memberCount.type).toBe("integer");
        expect(Object.keys(schema.types).sort()).toEqual(["etcd:index:DataVolume", "etcd:index:Sizing"]);
        expect(cluster.properties!.sizing.$ref).toBe("#/types/etcd:index:Sizing");
        expect(schema.types["etcd:index:Sizing"].properties!.volume.$ref).toBe("#/types/etcd:index:DataVolume");
        expect(schema.types["etcd:index:Sizing"].properties!.vcpu.type).toBe("integer");
    });

    it("deprecates the former names of a setting and of an output field, pointing at the new ones", () => {
        expect(cluster.inputProperties!.dataVolumeThroughputMBps.deprecationMessage).toBe("Use dataVolumeThroughputMbps: this is its former name.");
        expect(cluster.inputProperties!.dataVolumeThroughputMbps.deprecationMessage).toBeUndefined();
        const volume = schema.types["etcd:index:DataVolume"].properties!;
        expect(volume.throughputMBps.deprecationMessage).toBe("Use throughputMbps: this is its former name.");
        expect(volume.throughputMbps.deprecationMessage).toBeUndefined();
        expect(volume.type.deprecationMessage).toBeUndefined();
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
