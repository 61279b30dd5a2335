/**
 * backupKmsKeyArn: the backups under a key of their own. The bucket's default encryption, the
 * node scripts, the members' uploads and their KMS rights use it; the volumes and the certificate
 * keys stay under the cluster's key.
 */
import { resolveSettings } from "../../config/settings";
import { decodeUserData } from "../../tools/memberFiles";
import { buildCluster, mockRuntime, RecordedResource, theResource as one } from "../helpers/mockCluster";

const BACKUP_KEY = "arn:aws:kms:eu-west-1:123456789012:key/backup-0001";
const CLUSTER_KEY = "arn:aws:kms:eu-west-1:123456789012:key/cluster-0001";
const NAME = "keyed";
const SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"];
let resources: RecordedResource[];

beforeAll(async () => {
    await mockRuntime();
    ({ resources } = await buildCluster(NAME, { vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: SUBNETS, kmsKeyArn: CLUSTER_KEY, backupKmsKeyArn: BACKUP_KEY, allowNoAlarmTopic: true }));
});

test("the bucket encrypts with the backup key by default", () => {
    const sse = one(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `${NAME}-backups`).inputs as any;
    expect(sse.rules[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "aws:kms", kmsMasterKeyId: BACKUP_KEY });
});

test("members upload under the backup key and may use it only through S3; volumes and certificate keys keep the cluster key", () => {
    const instance = one(resources, "aws:ec2/instance:Instance", `${NAME}-etcd1`);
    expect(decodeUserData(instance.inputs)).toContain(`BACKUP_KMS_KEY_ID='${BACKUP_KEY}'`);
    const policy = JSON.parse(String(one(resources, "aws:iam/rolePolicy:RolePolicy", `${NAME}-etcd1-policy`).inputs.policy));
    const snapshots = policy.Statement.find((s: any) => s.Sid === "EncryptSnapshots");
    // The cluster's key too, through S3 only: snapshots written before the switch, and uploads of members not yet rolled.
    expect(snapshots).toMatchObject({ Resource: [BACKUP_KEY, CLUSTER_KEY], Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } });
    expect(one(resources, "aws:ebs/volume:Volume", `${NAME}-etcd1-data`).inputs.kmsKeyId).toBe(CLUSTER_KEY);
});

test("refused: an alias, and a backup key with backups off", () => {
    const base = { vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: SUBNETS, allowNoAlarmTopic: true };
    expect(() => resolveSettings({ ...base, backupKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:alias/backups" })).toThrow(/^Invalid setting backupKmsKeyArn: got "arn:aws:kms:eu-west-1:123456789012:alias\/backups"\. .*not an alias/);
    expect(() => resolveSettings({ ...base, backupEnabled: false, backupKmsKeyArn: BACKUP_KEY })).toThrow(/^Invalid setting backupKmsKeyArn: .*backups, which are off/);
});
