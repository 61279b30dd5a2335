import { EtcdCluster } from "../../components/etcdCluster";
import { buildCluster, RecordedResource, resolve, theResource } from "../helpers/mockCluster";

// Two clusters restored from another cluster's snapshot, side by side in one stack: what each may
// read and decrypt, and that the two share nothing. Each build is a whole cluster, the costly part
// of the unit tests, so one pair serves both.

const from = "s3://old-cluster-backups/proj/prod/main/snapshots/2026/11/01/20261101T000000Z-r42.db";
const oldKey = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001";

let withKey: { cluster: EtcdCluster; resources: RecordedResource[] };
let withoutKey: { cluster: EtcdCluster; resources: RecordedResource[] };

beforeAll(async () => {
    withKey = await buildCluster("dr", { restoreFrom: from, restoreKmsKeyArn: oldKey, allowNoAlarmTopic: true });
    withoutKey = await buildCluster("drnokey", { restoreFrom: from, allowNoAlarmTopic: true });
});

function restoreStatements(name: string, resources: RecordedResource[]) {
    const policy = JSON.parse(String(theResource(resources, "aws:iam/rolePolicy:RolePolicy", `${name}-etcd1-policy`).inputs.policy));
    return policy.Statement.filter((s: { Sid: string }) => /Restore/.test(s.Sid));
}

describe("disaster recovery from another cluster's snapshot", () => {
    test("members may read exactly that snapshot and its manifest, and decrypt with its key only through S3", () => {
        expect(restoreStatements("dr", withKey.resources)).toEqual([
            {
                Sid: "ReadRestoreSnapshot",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: [`arn:aws:s3:::${from.slice(5)}`, `arn:aws:s3:::${from.slice(5).replace(/\.db$/, ".json")}`],
            },
            { Sid: "DecryptRestoreSnapshot", Effect: "Allow", Action: "kms:Decrypt", Resource: oldKey, Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } },
        ]);
    });

    test("without restoreKmsKeyArn no other key is granted", () => {
        expect(restoreStatements("drnokey", withoutKey.resources).map((s: { Sid: string }) => s.Sid)).toEqual(["ReadRestoreSnapshot"]);
    });
});

describe("two clusters in one stack", () => {
    test("share no resource name, parameter path or token", async () => {
        const both = [...withKey.resources, ...withoutKey.resources];
        expect(withKey.resources.length).toBeGreaterThan(50);
        const names = both.map((r) => `${r.type}/${r.name}`);
        expect(new Set(names).size).toBe(names.length);
        const paramNames = both.filter((r) => r.type === "aws:ssm/parameter:Parameter").map((r) => r.inputs.name);
        expect(paramNames.length).toBeGreaterThan(6);
        expect(new Set(paramNames).size).toBe(paramNames.length);
        expect(await resolve(withKey.cluster.clusterToken)).not.toBe(await resolve(withoutKey.cluster.clusterToken));
    });
});
