import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster, SECRET_OUTPUTS } from "../../components/etcdCluster";
import { decodeUserData } from "../../tools/memberFiles";
import { countByType, mockRuntime, ofCluster, RecordedResource, resolve, settled } from "../helpers/mockCluster";

// One cluster on a created VPC at the medium tier, the shape most tests read.
let cluster: EtcdCluster;
let resources: RecordedResource[];

beforeAll(async () => {
    const rt = await mockRuntime();
    cluster = new EtcdCluster("alpha", {
        kubernetesNodeCount: 100,
        alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:etcd-alarms",
        clientCidrs: ["10.8.0.0/16"],
        monitoringCidrs: ["10.9.1.0/24"],
        clientSecurityGroupIds: ["sg-0123456789abcdef0"],
        clientNames: ["kube-apiserver"],
    });
    await resolve(cluster.members);
    await settled();
    resources = ofCluster(rt.resources, "alpha");
});

const byType = (type: string) => resources.filter((r) => r.type === type);
const named = (type: string, name: string) => {
    const found = byType(type).filter((r) => r.name === name);
    expect(found).toHaveLength(1);
    return found[0];
};

describe("outputs", () => {
    test("exactly the outputs SECRET_OUTPUTS names are secrets (the schema of other languages marks those)", async () => {
        const outputs = Object.entries(cluster).filter(([name, value]) => name !== "urn" && pulumi.Output.isInstance(value));
        expect(outputs.length).toBeGreaterThan(10);
        const secret = [];
        for (const [name, value] of outputs) if (await pulumi.isSecret(value as pulumi.Output<unknown>)) secret.push(name);
        expect(secret.sort()).toEqual([...SECRET_OUTPUTS].sort());
    });
});

describe("resources of a three-member cluster on a created VPC", () => {
    test("exact count of every resource type", () => {
        expect(countByType(resources)).toEqual({
            "etcd:index:EtcdCluster": 1,
            "aws:kms/key:Key": 1,
            "etcd:index:Vpc": 1,
            "aws:ec2/vpc:Vpc": 1,
            "aws:ec2/routeTable:RouteTable": 2,
            "aws:ec2/subnet:Subnet": 4,
            "aws:ec2/routeTableAssociation:RouteTableAssociation": 4,
            "aws:ec2/vpcEndpoint:VpcEndpoint": 1,
            "aws:ec2/internetGateway:InternetGateway": 1,
            "aws:ec2/eip:Eip": 1,
            "aws:ec2/natGateway:NatGateway": 1,
            "aws:ec2/route:Route": 1,
            "etcd:index:SecurityGroup": 1,
            "aws:ec2/securityGroup:SecurityGroup": 1,
            // peer + client from members, one client CIDR, one client group, one metrics CIDR
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 5,
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2,
            "aws:ec2/networkInterface:NetworkInterface": 3,
            "etcd:index:Pki": 1,
            // CA, 3 member, 3 node, admin, kube-apiserver
            "tls:index/privateKey:PrivateKey": 9,
            "tls:index/selfSignedCert:SelfSignedCert": 1,
            "tls:index/certRequest:CertRequest": 8,
            "tls:index/locallySignedCert:LocallySignedCert": 8,
            // CA, the roster + 4 per member
            "aws:ssm/parameter:Parameter": 14,
            "etcd:index:Member": 3,
            "etcd:index:MemberAlarms": 1,
            "aws:ebs/volume:Volume": 3,
            "aws:iam/role:Role": 3,
            "aws:iam/rolePolicy:RolePolicy": 3,
            "aws:iam/instanceProfile:InstanceProfile": 3,
            "aws:ec2/instance:Instance": 3,
            "aws:ec2/volumeAttachment:VolumeAttachment": 3,
            // a health gate and a leave per member
            "command:local:Command": 6,
            // backups: bucket with versioning, encryption, public access block, TLS-only policy, lifecycle
            "etcd:index:BackupBucket": 1,
            "aws:s3/bucket:Bucket": 1,
            "aws:s3/bucketVersioning:BucketVersioning": 1,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
            "aws:s3/bucketPolicy:BucketPolicy": 1,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": 1,
            "etcd:index:ClusterAlarms": 1,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 20,
            // backup, restore and defrag scripts, fetched by the members (too big for user data)
            "aws:s3/bucketObjectv2:BucketObjectv2": 7,
        });
    });

    test("every child is parented inside the component, named from the cluster name", () => {
        for (const r of resources.filter((x) => x.type !== "etcd:index:EtcdCluster")) {
            expect(r.parent).toBeDefined();
            expect(r.name.startsWith("alpha")).toBe(true);
        }
    });
});

describe("instances", () => {
    test("medium tier instance with IMDSv2, encrypted root, the member's own interface", () => {
        const instance = named("aws:ec2/instance:Instance", "alpha-etcd1");
        const eni = named("aws:ec2/networkInterface:NetworkInterface", "alpha-etcd1");
        expect(instance.inputs).toMatchObject({
            instanceType: "m7g.xlarge",
            ami: expect.stringMatching(/^ami-/),
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { volumeType: "gp3", encrypted: true, kmsKeyId: expect.stringMatching(/^arn:aws:kms:/) },
            primaryNetworkInterface: { networkInterfaceId: eni.id },
            ebsOptimized: true,
            userDataReplaceOnChange: true,
        });
        expect(instance.inputs.keyName).toBeUndefined();
    });

    test("replacement deletes first (interface and volume move) and a newer AMI is ignored", () => {
        for (const instance of byType("aws:ec2/instance:Instance")) {
            expect(instance.deleteBeforeReplace).toBe(true);
            expect(instance.ignoreChanges).toEqual(["ami"]);
        }
    });

    test("members roll one at a time: each instance waits for the previous member's health gate", () => {
        const deps = (n: number) => named("aws:ec2/instance:Instance", `alpha-etcd${n}`).dependsOn;
        expect(deps(1).filter((d) => d.endsWith("-health"))).toEqual([]);
        expect(deps(2)).toContain("alpha-etcd1-health");
        expect(deps(3)).toContain("alpha-etcd2-health");
        expect(deps(3)).not.toContain("alpha-etcd1-health");
        for (let n = 1; n <= 3; n++) {
            expect(named("command:local:Command", `alpha-etcd${n}-health`).dependsOn).toContain(`alpha-etcd${n}-data`);
        }
    });

    test("only the last gate waits when the cluster is first created; every gate waits on update", () => {
        const env = (n: number) => named("command:local:Command", `alpha-etcd${n}-health`).inputs.environment as Record<string, string>;
        expect([env(1).GATE_ON_CREATE, env(2).GATE_ON_CREATE, env(3).GATE_ON_CREATE]).toEqual(["skip", "skip", "wait"]);
        const gate = named("command:local:Command", "alpha-etcd2-health").inputs;
        expect(gate).toMatchObject({ create: "create", update: "update" });
        expect(env(2)).toMatchObject({ GATE_MODE: "ssm", GATE_MEMBER: "etcd2", GATE_REGION: "eu-west-1", GATE_TIMEOUT_SECONDS: "900" });
        expect(env(2).GATE_INSTANCE_ID).toBe(named("aws:ec2/instance:Instance", "alpha-etcd2").id);
        expect(env(2).GATE_FINGERPRINT).toMatch(/^[0-9a-f]{64}$/);
    });

    test("a gate ignores GATE_ON_CREATE on update: the first update after the cluster formed changes no gate", () => {
        for (let n = 1; n <= 3; n++) {
            expect(named("command:local:Command", `alpha-etcd${n}-health`).ignoreChanges).toEqual(["environment.GATE_ON_CREATE"]);
        }
    });
});

describe("data volumes", () => {
    test("gp3 with the medium tier's figures, encrypted with the cluster key, protected", () => {
        const kmsArn = byType("aws:kms/key:Key")[0];
        for (const volume of byType("aws:ebs/volume:Volume")) {
            expect(volume.inputs).toMatchObject({ type: "gp3", size: 150, iops: 6000, throughput: 125, encrypted: true });
            expect(volume.inputs.kmsKeyId).toMatch(/^arn:aws:kms:eu-west-1:123456789012:key\//);
            expect(volume.protect).toBe(true);
            expect(kmsArn).toBeDefined();
        }
    });

    test("members are spread over three availability zones, each volume in its instance's zone", async () => {
        const members = await resolve(cluster.members);
        expect(new Set(members.map((m) => m.availabilityZone)).size).toBe(3);
        const subnets = byType("aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private"));
        expect(subnets.map((s) => s.inputs.availabilityZone)).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        const enis = [1, 2, 3].map((n) => named("aws:ec2/networkInterface:NetworkInterface", `alpha-etcd${n}`));
        expect(enis.map((e) => e.inputs.subnetId)).toEqual(subnets.map((s) => s.id));
    });

    test("attachments stop the instance before detaching", () => {
        for (const attachment of byType("aws:ec2/volumeAttachment:VolumeAttachment")) {
            expect(attachment.inputs).toMatchObject({ deviceName: "/dev/sdf", stopInstanceBeforeDetaching: true });
        }
    });
});

describe("member alarms", () => {
    const alarm = (name: string) => named("aws:cloudwatch/metricAlarm:MetricAlarm", name).inputs;

    test("six per member, notifying the alarm topic", () => {
        const names = byType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.name).filter((n) => /^alpha-etcd\d-/.test(n));
        expect(names.sort()).toEqual([1, 2, 3].flatMap((n) => ["bootstrap-failed", "ca-expiry", "cert-expiry", "cert-sync-failed", "down", "instance"].map((what) => `alpha-etcd${n}-${what}`)).sort());
        for (const name of names) expect(alarm(name)).toMatchObject({ alarmActions: ["arn:aws:sns:eu-west-1:123456789012:etcd-alarms"], okActions: ["arn:aws:sns:eu-west-1:123456789012:etcd-alarms"] });
    });

    test("down: no quorum read through the member for 5 minutes, or nothing reported (a member that never bootstrapped)", () => {
        expect(alarm("alpha-etcd2-down")).toMatchObject({
            namespace: "EtcdCluster",
            metricName: "MemberHealthy",
            dimensions: { Cluster: "proj/test/alpha", Member: "etcd2" },
            statistic: "Minimum",
            period: 60,
            evaluationPeriods: 5,
            datapointsToAlarm: 5,
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            treatMissingData: "breaching",
        });
    });

    test("bootstrap-failed and cert-sync-failed: the unit's first failure, as the member publishes it; silence is no failure", () => {
        for (const [what, unitName, period] of [["bootstrap-failed", "etcd-bootstrap.service", 300], ["cert-sync-failed", "etcd-cert-sync.service", 3600]] as const) {
            expect(alarm(`alpha-etcd2-${what}`)).toMatchObject({
                namespace: "EtcdCluster",
                metricName: "UnitFailed",
                dimensions: { Cluster: "proj/test/alpha", Member: "etcd2", Unit: unitName },
                statistic: "Sum",
                period,
                evaluationPeriods: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                treatMissingData: "notBreaching",
            });
        }
    });

    test("instance: EC2's status checks of the member's own instance", () => {
        expect(alarm("alpha-etcd2-instance")).toMatchObject({
            namespace: "AWS/EC2",
            metricName: "StatusCheckFailed",
            dimensions: { InstanceId: named("aws:ec2/instance:Instance", "alpha-etcd2").id },
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
        });
    });

    test("expiry: its soonest certificate inside half the renewal window, its CA inside one certificate validity; silence breaches", () => {
        const cert = alarm("alpha-etcd2-cert-expiry");
        // The defaults: certEarlyRenewalHours 720 (30 days) -> 15 days; certValidityHours 8760 -> 365 days.
        expect(cert).toMatchObject({ namespace: "EtcdCluster", metricName: "CertificateDaysLeft", dimensions: { Cluster: "proj/test/alpha", Member: "etcd2" }, statistic: "Minimum" });
        expect(cert).toMatchObject({ comparisonOperator: "LessThanThreshold", threshold: 15, treatMissingData: "breaching", evaluationPeriods: 2, datapointsToAlarm: 2 });
        // The sync runs every 10 minutes (plus up to 5 of random delay): hourly periods.
        expect(cert.period).toBe(3600);
        expect(alarm("alpha-etcd2-ca-expiry")).toMatchObject({ metricName: "CaDaysLeft", threshold: 365, dimensions: { Cluster: "proj/test/alpha", Member: "etcd2" } });
    });
});

describe("the backup bucket's policy", () => {
    test("TLS only; members (by their roles' cluster tag) write nothing but new snapshots and never delete or reconfigure", () => {
        const policy = JSON.parse(byType("aws:s3/bucketPolicy:BucketPolicy")[0].inputs.policy as string);
        const arn = "arn:aws:s3:::alpha-backups-mock";
        const members = { StringEquals: { "aws:PrincipalTag/etcd:cluster": "proj/test/alpha" } };
        expect(policy.Statement).toHaveLength(4);
        const [tls, writes, createOnly, only] = policy.Statement;
        expect(tls).toMatchObject({ Sid: "DenyInsecureTransport", Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
        expect(writes).toEqual({ Sid: "MembersWriteOnlySnapshots", Effect: "Deny", Principal: "*", Action: "s3:PutObject", NotResource: `${arn}/proj/test/alpha/snapshots/*`, Condition: members });
        // A request that creates the object (PutObject, CompleteMultipartUpload) without If-None-Match
        // could replace a snapshot; the parts of a multipart upload carry no header and stay allowed.
        expect(createOnly).toEqual({
            Sid: "MembersCreateOnlyNewSnapshots",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: `${arn}/proj/test/alpha/snapshots/*`,
            Condition: { ...members, Null: { "s3:if-none-match": "true" }, Bool: { "s3:ObjectCreationOperation": "true" } },
        });
        // Anything but read, list and write is denied to members: deletes, policy, lifecycle, versioning, lock, ACLs, replication.
        expect(only).toEqual({
            Sid: "MembersOnlyReadListAndWrite",
            Effect: "Deny",
            Principal: "*",
            NotAction: ["s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            Resource: [arn, `${arn}/*`],
            Condition: members,
        });
        // The node scripts live outside what members may write.
        const script = byType("aws:s3/bucketObjectv2:BucketObjectv2")[0].inputs.key as string;
        expect(script.startsWith("proj/test/alpha/node-scripts/")).toBe(true);
    });
});

describe("the backup bucket's object lock (protectData, so on by default)", () => {
    test("a new bucket is created with Object Lock; on an existing one it is turned on in place, never by replacing the bucket", () => {
        const bucket = named("aws:s3/bucket:Bucket", "alpha-backups");
        expect(bucket.inputs.objectLockEnabled).toBe(true);
        expect(bucket.protect).toBe(true);
        // The provider replaces a bucket whose objectLockEnabled changes: after creation it is ignored.
        expect(bucket.ignoreChanges).toEqual(["objectLockEnabled"]);
        const lock = named("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "alpha-backups");
        expect(lock.inputs).toEqual({ bucket: bucket.id, rule: { defaultRetention: { mode: "GOVERNANCE", days: 30 } } });
        // S3 turns Object Lock on for an existing bucket only once versioning is on.
        const versioning = named("aws:s3/bucketVersioning:BucketVersioning", "alpha-backups");
        expect(lock.dependsOnUrns).toContain(versioning.urn);
    });

    test("the node scripts' retained versions can still be deleted (forceDestroy bypasses the governance retention)", () => {
        const scripts = byType("aws:s3/bucketObjectv2:BucketObjectv2");
        expect(scripts.length).toBeGreaterThan(0);
        for (const script of scripts) expect(script.inputs.forceDestroy).toBe(true);
    });
});

describe("the cluster's KMS key", () => {
    test("rotates, is protected with the data, and has its own key policy: the account administers, members use it only through SSM and S3", () => {
        const [key] = byType("aws:kms/key:Key");
        expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
        expect(key.protect).toBe(true);
        const policy = JSON.parse(key.inputs.policy as string);
        expect(policy.Statement).toEqual([
            { Sid: "AccountAdministersAndGrantsThroughIam", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
            {
                Sid: "MembersOnlyThroughTheirServices",
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: "kms:*",
                Resource: "*",
                Condition: {
                    StringEquals: { "aws:PrincipalTag/etcd:cluster": "proj/test/alpha" },
                    StringNotEquals: { "kms:ViaService": ["ssm.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"] },
                },
            },
        ]);
        // The Deny names the members by the tag their roles carry.
        for (const role of byType("aws:iam/role:Role")) expect((role.inputs.tags as Record<string, string>)["etcd:cluster"]).toBe("proj/test/alpha");
    });
});

describe("security group rules", () => {
    const ingress = () => byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs);
    const sgId = () => byType("aws:ec2/securityGroup:SecurityGroup")[0].id;

    test("the group is in the VPC the component made (else AWS puts it in the default VPC, where no member is)", () => {
        const vpcs = byType("aws:ec2/vpc:Vpc");
        expect(vpcs).toHaveLength(1);
        expect(vpcs[0].id).toMatch(/^vpc-/);
        expect(byType("aws:ec2/securityGroup:SecurityGroup")[0].inputs.vpcId).toBe(vpcs[0].id);
    });

    test("no ingress from 0.0.0.0/0 and no SSH", () => {
        for (const rule of ingress()) {
            expect(rule.cidrIpv4).not.toBe("0.0.0.0/0");
            expect(rule.fromPort).not.toBe(22);
        }
    });

    test("exact ingress: peer only from members, client from members and configured sources, metrics from monitoring", () => {
        const summary = ingress()
            .map((r) => [r.fromPort, r.toPort, r.cidrIpv4 ?? r.referencedSecurityGroupId])
            .sort((a, b) => String(a).localeCompare(String(b)));
        expect(summary).toEqual([
            [2379, 2379, "10.8.0.0/16"],
            [2379, 2379, "sg-0123456789abcdef0"],
            [2379, 2379, sgId()],
            [2380, 2380, sgId()],
            [2381, 2381, "10.9.1.0/24"],
        ]);
    });

    test("egress: HTTPS out and etcd ports to the members only", () => {
        const egress = byType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
            .map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId])
            .sort((a, b) => Number(a[0]) - Number(b[0]));
        expect(egress).toEqual([
            [443, 443, "0.0.0.0/0"],
            [2379, 2380, sgId()],
        ]);
    });
});

describe("certificates", () => {
    test("member certificates carry the member's IP, loopback and host names", async () => {
        const members = await resolve(cluster.members);
        const request = named("tls:index/certRequest:CertRequest", "alpha-pki-member-etcd2");
        const ip = members[1].ip;
        expect(request.inputs.ipAddresses).toEqual([ip, "127.0.0.1", "::1"]);
        expect(request.inputs.dnsNames).toEqual(["etcd2", "localhost", `ip-${ip.replace(/\./g, "-")}.eu-west-1.compute.internal`]);
        expect(request.inputs.subject).toEqual({ commonName: "etcd2", organization: "etcd" });
    });

    test("member certificates serve and authenticate peers; client certificates only authenticate", () => {
        const signed = named("tls:index/locallySignedCert:LocallySignedCert", "alpha-pki-member-etcd1").inputs;
        expect(signed.allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth", "client_auth"]);
        expect(signed).toMatchObject({ validityPeriodHours: 8760, earlyRenewalHours: 720 });
        for (const client of ["alpha-pki-node-etcd1", "alpha-pki-client-admin", "alpha-pki-client-kube-apiserver"]) {
            expect(named("tls:index/locallySignedCert:LocallySignedCert", client).inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "client_auth"]);
        }
    });

    test("the CA is ECDSA P-256 by default and signs certificates only", () => {
        expect(named("tls:index/privateKey:PrivateKey", "alpha-pki-ca").inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const ca = named("tls:index/selfSignedCert:SelfSignedCert", "alpha-pki-ca").inputs;
        expect(ca).toMatchObject({ isCaCertificate: true, validityPeriodHours: 87600, allowedUses: ["cert_signing", "crl_signing", "digital_signature"] });
    });

    test("private keys travel only as KMS-encrypted SecureString parameters", () => {
        const params = byType("aws:ssm/parameter:Parameter");
        const keys = params.filter((p) => String(p.inputs.name).endsWith("-key.pem"));
        expect(keys.map((p) => p.inputs.name).sort()).toEqual(
            ["etcd1", "etcd2", "etcd3"].flatMap((m) => [`/etcd/proj/test/alpha/members/${m}/member-key.pem`, `/etcd/proj/test/alpha/members/${m}/node-key.pem`]).sort(),
        );
        for (const key of keys) {
            expect(key.inputs.type).toBe("SecureString");
            expect(key.inputs.keyId).toMatch(/^arn:aws:kms:/);
            expect(key.maskedInputs.value).toBe("[secret]");
        }
    });

    test("no key or certificate material in user data", () => {
        for (const instance of byType("aws:ec2/instance:Instance")) {
            const userData = decodeUserData(instance.inputs);
            expect(Buffer.from(String(instance.inputs.userDataBase64), "base64").length).toBeLessThanOrEqual(16384);
            expect(userData.startsWith("#cloud-config")).toBe(true);
            // No PEM header of any kind, and none of the mock runtime's key or certificate bodies.
            expect(userData).not.toMatch(/-----BEGIN [A-Z ]+-----|\(mock /);
        }
    });

    test("the admin key output is a secret", async () => {
        expect(await pulumi.isSecret(cluster.adminKeyPem)).toBe(true);
        expect(await pulumi.isSecret(cluster.clientCertificates)).toBe(true);
        expect(Object.keys(await resolve(cluster.clientCertificates))).toEqual(["kube-apiserver"]);
    });
});

describe("IAM", () => {
    test("each member may read and decrypt only its own parameters and the CA", () => {
        for (const n of [1, 2, 3]) {
            const policy = JSON.parse(String(named("aws:iam/rolePolicy:RolePolicy", `alpha-etcd${n}-policy`).inputs.policy));
            const base = "arn:aws:ssm:eu-west-1:123456789012:parameter/etcd/proj/test/alpha";
            const own = [`${base}/ca.pem`, `${base}/members/etcd${n}/*`];
            const [read, decrypt, record, ids, listIds, writeOnce, roster, agent] = policy.Statement;
            expect(read).toEqual({ Sid: "ReadOwnCertificates", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: own });
            expect(decrypt.Action).toBe("kms:Decrypt");
            expect(decrypt.Resource).toMatch(/^arn:aws:kms:eu-west-1:123456789012:key\//);
            expect(decrypt.Condition.StringLike["kms:EncryptionContext:PARAMETER_ARN"]).toEqual(own);
            // The only parameters a member writes: the cluster's formed record and new cluster ids, nothing of another member.
            expect(record).toEqual({ Sid: "RecordClusterFormed", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:PutParameter"], Resource: `${base}/cluster/formed` });
            expect(ids).toEqual({ Sid: "RecordClusterIds", Effect: "Allow", Action: "ssm:PutParameter", Resource: `${base}/cluster/ids/*` });
            expect(listIds).toEqual({ Sid: "ListClusterIds", Effect: "Allow", Action: "ssm:GetParametersByPath", Resource: `${base}/cluster/ids` });
            expect(writeOnce).toEqual({
                Sid: "ClusterIdsAreWriteOnce",
                Effect: "Deny",
                Action: "ssm:PutParameter",
                Resource: `${base}/cluster/ids/*`,
                Condition: { StringEquals: { "ssm:Overwrite": "true" } },
            });
            const writers = ["RecordClusterFormed", "RecordClusterIds", "ClusterIdsAreWriteOnce"];
            expect(JSON.stringify(policy.Statement.filter((st: { Sid: string }) => !writers.includes(st.Sid)))).not.toContain("ssm:PutParameter");
            // Who the members are: read-only, written by the program alone.
            expect(roster).toEqual({ Sid: "ReadRoster", Effect: "Allow", Action: "ssm:GetParameter", Resource: `${base}/cluster/members` });
            expect(agent.Action.every((a: string) => /^(ssm:UpdateInstanceInformation|ssmmessages:|ec2messages:)/.test(a))).toBe(true);
            // Certificate expiry, backup age and quota: only into the package's namespace.
            expect(policy.Statement[8]).toEqual({ Sid: "PublishMetrics", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": "EtcdCluster" } } });
            const backup = policy.Statement.slice(9);
            const bucketArn = "arn:aws:s3:::alpha-backups-mock"; // the mock's name for the bucketPrefix "alpha-backups-"
            expect(backup).toEqual([
                { Sid: "ReadOwnObjects", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/proj/test/alpha/*` },
                // New snapshots only, never the node scripts beside them: an object is created only with
                // If-None-Match (no existing key replaced); a multipart upload's parts create none.
                {
                    Sid: "WriteOwnSnapshots",
                    Effect: "Allow",
                    Action: "s3:PutObject",
                    Resource: `${bucketArn}/proj/test/alpha/snapshots/*`,
                    Condition: { Null: { "s3:if-none-match": "false" } },
                },
                {
                    Sid: "UploadSnapshotParts",
                    Effect: "Allow",
                    Action: "s3:PutObject",
                    Resource: `${bucketArn}/proj/test/alpha/snapshots/*`,
                    Condition: { Bool: { "s3:ObjectCreationOperation": "false" } },
                },
                { Sid: "AbortSnapshotUploads", Effect: "Allow", Action: "s3:AbortMultipartUpload", Resource: `${bucketArn}/proj/test/alpha/snapshots/*` },
                { Sid: "ListOwnSnapshots", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn, Condition: { StringLike: { "s3:prefix": ["proj/test/alpha/*"] } } },
                {
                    Sid: "EncryptSnapshots",
                    Effect: "Allow",
                    Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                    Resource: decrypt.Resource,
                    Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
                },
            ]);
            // Nothing may delete a snapshot: retention is the bucket's lifecycle rule.
            expect(JSON.stringify(policy)).not.toMatch(/s3:Delete|s3:\*/);
        }
    });
});

describe("outputs", () => {
    test("initial cluster string, client endpoints and token", async () => {
        const members = await resolve(cluster.members);
        const ips = members.map((m) => m.ip);
        expect(await resolve(cluster.initialCluster)).toBe(ips.map((ip, i) => `etcd${i + 1}=https://${ip}:2380`).join(","));
        expect(await resolve(cluster.clientEndpoints)).toEqual(ips.map((ip) => `https://${ip}:2379`));
        expect(await resolve(cluster.clusterToken)).toMatch(/^test-alpha-[0-9a-f]{12}$/);
    });

    test("members list their instance, interface, volume and SSM shell command", async () => {
        const [first] = await resolve(cluster.members);
        expect(first).toEqual({
            name: "etcd1",
            ip: expect.stringMatching(/^10\.42\.\d+\.\d+$/),
            availabilityZone: "eu-west-1a",
            instanceId: named("aws:ec2/instance:Instance", "alpha-etcd1").id,
            networkInterfaceId: named("aws:ec2/networkInterface:NetworkInterface", "alpha-etcd1").id,
            dataVolumeId: named("aws:ebs/volume:Volume", "alpha-etcd1-data").id,
            shellCommand: `aws ssm start-session --region eu-west-1 --target ${named("aws:ec2/instance:Instance", "alpha-etcd1").id}`,
        });
    });

    test("the sizing decision is an output", async () => {
        expect(await resolve(cluster.sizing)).toMatchObject({
            kubernetesNodeCount: 100,
            tier: "medium",
            instanceType: "m7g.xlarge",
            arch: "arm64",
            // throughputMbps is the volume's throughput under its clean name; throughputMBps is its former name.
            volume: { type: "gp3", sizeGb: 150, iops: 6000, throughputMbps: 125, throughputMBps: 125 },
        });
    });
});
