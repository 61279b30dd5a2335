import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { checkIdWhenKnown, EtcdCluster } from "../../components/etcdCluster";
import { ConfigError } from "../../config/errors";
import { resolveSettings } from "../../config/settings";
import { mockRuntime, ofCluster, RecordedResource, resolve, settled } from "../helpers/mockCluster";
import { refusal } from "../helpers/refusal";

// The component composes with the resources that make its ids: a consumer program creates the VPC,
// subnets, a client security group, a KMS key, an SNS topic, a hosted zone and a bucket with
// @pulumi/aws and passes their outputs in, the way `new awsx.ec2.Vpc(...)` users do.

/** A checked Output's value; every internal promise of the Output is observed, as Pulumi's runtime does. */
function settleOutput(value: unknown): Promise<unknown> {
    const o = value as any;
    for (const p of [o.isKnown, o.isSecret, o.allResources?.()]) p?.catch?.(() => undefined);
    return o.promise();
}

async function resolvedAll(values: pulumi.Input<string>[]): Promise<string[]> {
    return resolve(pulumi.all(values));
}

describe("ids from other resources' outputs", () => {
    let resources: RecordedResource[];
    let made: { vpcId: string; subnetIds: string[]; clientSg: string; keyArn: string; topicArn: string; zoneId: string; bucket: string };
    const byTypeName = (type: string, name: string) => {
        const found = resources.filter((r) => r.type === type && r.name === name);
        expect(found).toHaveLength(1);
        return found[0];
    };

    beforeAll(async () => {
        const rt = await mockRuntime();
        const vpc = new aws.ec2.Vpc("net", { cidrBlock: "10.60.0.0/16" });
        const subnets = ["a", "b", "c"].map(
            (zone, i) => new aws.ec2.Subnet(`net-private-${zone}`, { vpcId: vpc.id, cidrBlock: `10.60.${i}.0/24`, availabilityZone: `eu-west-1${zone}` }),
        );
        const apiServers = new aws.ec2.SecurityGroup("apiservers", { vpcId: vpc.id, description: "kube-apiserver nodes" });
        const key = new aws.kms.Key("platform", { description: "platform key" });
        const topic = new aws.sns.Topic("oncall");
        const zone = new aws.route53.Zone("internal", { name: "etcd.internal.example.com", vpcs: [{ vpcId: vpc.id }] });
        const bucket = new aws.s3.Bucket("platform-backups", {});
        new EtcdCluster("composed", {
            vpcId: vpc.id,
            subnetIds: subnets.map((s) => s.id),
            clientSecurityGroupIds: [apiServers.id],
            monitoringSecurityGroupIds: [apiServers.id],
            kmsKeyArn: key.arn,
            alarmTopicArn: topic.arn,
            dnsZoneId: zone.zoneId,
            dnsDomain: "etcd.internal.example.com",
            backupBucketName: bucket.bucket,
        });
        await settled();
        made = {
            vpcId: await resolve(vpc.id),
            subnetIds: await resolvedAll(subnets.map((s) => s.id)),
            clientSg: await resolve(apiServers.id),
            keyArn: await resolve(key.arn),
            topicArn: await resolve(topic.arn),
            zoneId: await resolve(zone.zoneId),
            bucket: await resolve(bucket.bucket),
        };
        resources = ofCluster(rt.resources, "composed");
        // Each value is a real, distinct id of its resource, so a match below cannot be a coincidence.
        expect(made).toMatchObject({ vpcId: expect.stringMatching(/^vpc-/), clientSg: expect.stringMatching(/^sg-/), keyArn: expect.stringMatching(/^arn:aws:kms:/), topicArn: expect.stringMatching(/^arn:aws:sns:/), zoneId: expect.stringMatching(/^Z/), bucket: expect.stringMatching(/./) });
        expect(new Set(made.subnetIds).size).toBe(3);
    });

    test("the members are in the consumer's subnets, in order, and their group in its VPC", () => {
        const subnetOf = [1, 2, 3].map((n) => byTypeName("aws:ec2/networkInterface:NetworkInterface", `composed-etcd${n}`).inputs.subnetId);
        expect(subnetOf).toEqual(made.subnetIds);
        expect(made.subnetIds.every((id) => /^subnet-/.test(id))).toBe(true);
        expect(byTypeName("aws:ec2/securityGroup:SecurityGroup", "composed-members").inputs.vpcId).toBe(made.vpcId);
        expect(resources.filter((r) => r.type === "aws:ec2/vpc:Vpc")).toHaveLength(0);
    });

    test("the client and monitoring groups are referenced by their ids, and named in the rule", () => {
        const client = byTypeName("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "composed-members-client-sg-1");
        expect(client.inputs).toMatchObject({ referencedSecurityGroupId: made.clientSg, fromPort: 2379, description: `etcd clients from ${made.clientSg}` });
        const metrics = byTypeName("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "composed-members-metrics-sg-1");
        expect(metrics.inputs).toMatchObject({ referencedSecurityGroupId: made.clientSg, fromPort: 2381 });
    });

    test("the consumer's key encrypts the volumes and secret parameters; no key of the cluster's own", () => {
        expect(resources.filter((r) => r.type === "aws:kms/key:Key")).toHaveLength(0);
        expect(byTypeName("aws:ebs/volume:Volume", "composed-etcd2-data").inputs).toMatchObject({ encrypted: true, kmsKeyId: made.keyArn });
        const policy = JSON.parse(String(byTypeName("aws:iam/rolePolicy:RolePolicy", "composed-etcd1-policy").inputs.policy));
        expect(JSON.stringify(policy)).toContain(made.keyArn);
    });

    test("the alarms notify the consumer's topic, the records go to its zone, the snapshots to its bucket", () => {
        const alarms = resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
        expect(alarms.length).toBeGreaterThan(0);
        for (const alarm of alarms) expect(alarm.inputs.alarmActions).toEqual([made.topicArn]);
        expect(byTypeName("aws:route53/record:Record", "composed-etcd3").inputs).toMatchObject({ zoneId: made.zoneId, name: "etcd3.etcd.internal.example.com" });
        expect(resources.filter((r) => r.type === "aws:s3/bucket:Bucket")).toHaveLength(0);
        const env = resources.filter((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2" || r.type === "aws:s3/bucketObject:BucketObject");
        expect(env.length).toBeGreaterThan(0);
        for (const object of env) expect(object.inputs.bucket).toBe(made.bucket);
        // The consumer's bucket is theirs to lock: no governance bypass is sent to it on a delete.
        for (const object of env) expect(object.inputs.forceDestroy).toBe(false);
    });
});

describe("subnetIds as one output of the whole list, as awsx's vpc.privateSubnetIds is", () => {
    test("the members are placed in those subnets, in order, once the list is known", async () => {
        const rt = await mockRuntime();
        const vpc = new aws.ec2.Vpc("whole", { cidrBlock: "10.61.0.0/16" });
        const subnets = ["a", "b", "c"].map((zone, i) => new aws.ec2.Subnet(`whole-private-${zone}`, { vpcId: vpc.id, cidrBlock: `10.61.${i}.0/24`, availabilityZone: `eu-west-1${zone}` }));
        const privateSubnetIds: pulumi.Output<string[]> = pulumi.all(subnets.map((s) => s.id));
        new EtcdCluster("wholelist", { vpcId: vpc.id, subnetIds: privateSubnetIds, allowNoAlarmTopic: true });
        await settled();
        const ids = await resolve(privateSubnetIds);
        expect(new Set(ids).size).toBe(3);
        const resources = ofCluster(rt.resources, "wholelist");
        const subnetOf = [1, 2, 3].map((n) => resources.find((r) => r.type === "aws:ec2/networkInterface:NetworkInterface" && r.name === `wholelist-etcd${n}`)!.inputs.subnetId);
        expect(subnetOf).toEqual(ids);
        // Each data volume in its member's subnet's zone, as AWS answers it (the mock: the id's last hex digit, mod 3).
        const zones = [1, 2, 3].map((n) => resources.find((r) => r.type === "aws:ebs/volume:Volume" && r.name === `wholelist-etcd${n}-data`)!.inputs.availabilityZone);
        expect(zones).toEqual(ids.map((id) => `eu-west-1${"abc"[parseInt(id.slice(-1), 16) % 3]}`));
    });

    test("a list output is checked when it arrives: an empty list or a malformed id fails the deployment", async () => {
        await mockRuntime();
        const empty = resolveSettings({ vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: pulumi.output([] as string[]), allowNoAlarmTopic: true }, checkIdWhenKnown);
        await expect(settleOutput(empty.network.subnetIds)).rejects.toThrow("Invalid setting subnetIds: got []. List at least one subnet id, ideally one per availability zone.");
        const bad = resolveSettings({ vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: pulumi.output(["subnet-0a1b2c3d4e5f60001", "subnet-XYZ"]), allowNoAlarmTopic: true }, checkIdWhenKnown);
        await expect(settleOutput(bad.network.subnetIds)).rejects.toThrow('Invalid setting subnetIds: got "subnet-XYZ". Use subnet ids like subnet-0123456789abcdef0.');
        const good = resolveSettings({ vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: pulumi.output(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]), allowNoAlarmTopic: true }, checkIdWhenKnown);
        await expect(settleOutput(good.network.subnetIds)).resolves.toEqual(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]);
    });
});

describe("a plain id is checked before anything is created; an output when its value arrives", () => {
    test("a malformed plain subnet id is refused, next to an output vpc id", async () => {
        await mockRuntime();
        const error = refusal(() => new EtcdCluster("badsubnet", { vpcId: pulumi.output("vpc-0a1b2c3d4e5f60718"), subnetIds: ["subnet-XYZ"] }));
        expect(error).toBeInstanceOf(ConfigError);
        expect(error.message).toBe('Invalid setting subnetIds: got "subnet-XYZ". Use subnet ids like subnet-0123456789abcdef0.');
    });

    test("an output given without its partner is named as an output, not dumped", async () => {
        await mockRuntime();
        const error = refusal(() => new EtcdCluster("halfvpc", { vpcId: pulumi.output("vpc-0a1b2c3d4e5f60718") }));
        expect(error.message).toBe("Invalid setting vpcId: got another resource's output. Give vpcId and subnetIds together to use an existing VPC, or neither to create one.");
    });

    test("every id given as an output is the checked one: a malformed subnet output fails when it arrives, a good one passes", async () => {
        await mockRuntime();
        const settings = resolveSettings(
            { vpcId: pulumi.output("vpc-0a1b2c3d4e5f60718"), subnetIds: [pulumi.output("subnet-0a1b2c3d4e5f60001"), pulumi.output("subnet-XYZ")], clientSecurityGroupIds: [pulumi.output("sg-nope")], allowNoAlarmTopic: true },
            checkIdWhenKnown,
        );
        const [good, bad] = settings.network.subnetIds as pulumi.Input<string>[];
        await expect(settleOutput(good)).resolves.toBe("subnet-0a1b2c3d4e5f60001");
        await expect(settleOutput(bad)).rejects.toThrow('Invalid setting subnetIds: got "subnet-XYZ". Use subnet ids like subnet-0123456789abcdef0.');
        await expect(settleOutput(settings.network.clientSecurityGroupIds[0])).rejects.toThrow(/Invalid setting clientSecurityGroupIds: got "sg-nope"/);
        await expect(settleOutput(settings.network.vpcId)).resolves.toBe("vpc-0a1b2c3d4e5f60718");
    });

    test("an output is checked when its value arrives: an alias ARN as restoreKmsKeyArn fails the deployment, not the restore", async () => {
        await mockRuntime();
        const bad = resolveSettings({ restoreFrom: "s3://old-bucket/old/snapshots/x.db", restoreKmsKeyArn: pulumi.output("arn:aws:kms:eu-west-1:123456789012:alias/old"), allowNoAlarmTopic: true }, checkIdWhenKnown);
        await expect(settleOutput(bad.backup.restoreKmsKeyArn)).rejects.toThrow(
            /Invalid setting restoreKmsKeyArn: got "arn:aws:kms:eu-west-1:123456789012:alias\/old"\. Use the key ARN \(not an alias\)/,
        );
        const good = resolveSettings({ restoreFrom: "s3://old-bucket/old/snapshots/x.db", restoreKmsKeyArn: pulumi.output("arn:aws:kms:eu-west-1:123456789012:key/abc"), allowNoAlarmTopic: true }, checkIdWhenKnown);
        await expect(settleOutput(good.backup.restoreKmsKeyArn)).resolves.toBe("arn:aws:kms:eu-west-1:123456789012:key/abc");
    });
});
