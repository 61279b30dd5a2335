import { EtcdCluster } from "../../components/etcdCluster";
import { EtcdClusterArgs } from "../../config/clusterArgs";
import { ConfigError } from "../../config/errors";
import { decodeUserData } from "../../tools/memberFiles";
import { buildCluster as build, countByType, mockRuntime, RecordedResource, resolve, settled, theResource as one } from "../helpers/mockCluster";

describe("an existing VPC, five members, pinned AMI, DNS names", () => {
    let resources: RecordedResource[];
    let cluster: EtcdCluster;
    beforeAll(async () => {
        ({ cluster, resources } = await build("prodlike", {
            kubernetesNodeCount: 800,
            memberCount: 5,
            alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:etcd-alarms",
            vpcId: "vpc-0a1b2c3d4e5f60718",
            subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"],
            amiId: "ami-0c1d2e3f4a5b6c7d8",
            dnsZoneId: "Z0123456789ABCDEFGHIJ",
            dnsDomain: "etcd.example.com",
        }));
    });

    test("creates no VPC and places members round-robin over the given subnets", () => {
        expect(countByType(resources)["aws:ec2/vpc:Vpc"]).toBeUndefined();
        const subnets = [1, 2, 3, 4, 5].map((n) => one(resources, "aws:ec2/networkInterface:NetworkInterface", `prodlike-etcd${n}`).inputs.subnetId);
        expect(subnets).toEqual(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003", "subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]);
        expect(resources.filter((r) => r.type === "aws:ec2/instance:Instance")).toHaveLength(5);
    });

    test("large tier: m7g.2xlarge with a 250 GB, 8000 IOPS volume", () => {
        expect(one(resources, "aws:ec2/instance:Instance", "prodlike-etcd1").inputs.instanceType).toBe("m7g.2xlarge");
        expect(one(resources, "aws:ebs/volume:Volume", "prodlike-etcd1-data").inputs).toMatchObject({ size: 250, iops: 8000, throughput: 125 });
    });

    test("a pinned AMI is used as given and changing it rolls members (no ignoreChanges)", () => {
        const instance = one(resources, "aws:ec2/instance:Instance", "prodlike-etcd3");
        expect(instance.inputs.ami).toBe("ami-0c1d2e3f4a5b6c7d8");
        expect(instance.ignoreChanges).toEqual([]);
    });

    test("member DNS records exist and certificates carry the names", async () => {
        const record = one(resources, "aws:route53/record:Record", "prodlike-etcd4");
        const members = await resolve(cluster.members);
        expect(record.inputs).toMatchObject({ zoneId: "Z0123456789ABCDEFGHIJ", name: "etcd4.etcd.example.com", type: "A", records: [members[3].ip] });
        expect(one(resources, "tls:index/certRequest:CertRequest", "prodlike-pki-member-etcd4").inputs.dnsNames).toContain("etcd4.etcd.example.com");
    });

    test("the last of five gates waits on creation", () => {
        const waits = [1, 2, 3, 4, 5].map((n) => (one(resources, "command:local:Command", `prodlike-etcd${n}-health`).inputs.environment as Record<string, string>).GATE_ON_CREATE);
        expect(waits).toEqual(["skip", "skip", "skip", "skip", "wait"]);
    });
});

// Options that do not touch the same resources share a build: a whole cluster is the costly part
// of the unit tests.
/** The devlike build: read by its own tests and, as the unchanged default, by the node setting's. */
let devlike: RecordedResource[];

describe("options that change the shape: no gate and unprotected volumes", () => {
    let resources: RecordedResource[];
    beforeAll(async () => {
        ({ resources } = await build("devlike", { healthGate: "off", protectData: false }));
        devlike = resources;
    });

    test("healthGate off: no gates, only the members' leave commands (through SSM), and each instance still waits for the previous member", () => {
        const commands = resources.filter((r) => r.type === "command:local:Command");
        expect(commands.map((c) => c.name)).toEqual(["devlike-etcd1-leave", "devlike-etcd2-leave", "devlike-etcd3-leave"]);
        for (const c of commands) expect((c.maskedInputs.environment as Record<string, string>).GATE_MODE).toBe("ssm");
        expect(one(resources, "aws:ec2/instance:Instance", "devlike-etcd2").dependsOn).toContain("devlike-etcd1-data");
    });

    test("protectData false leaves volumes unprotected", () => {
        expect(resources.filter((r) => r.type === "aws:ebs/volume:Volume").map((v) => v.protect)).toEqual([false, false, false]);
    });

    test("protectData false: no object lock now; the node scripts still delete with the bypass (an earlier lock may have retained versions: S3 cannot turn it off)", () => {
        const bucket = one(resources, "aws:s3/bucket:Bucket", "devlike-backups");
        expect(bucket.inputs.objectLockEnabled).toBe(false);
        expect(bucket.ignoreChanges).toEqual(["objectLockEnabled"]);
        expect(countByType(resources)["aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"]).toBeUndefined();
        const scripts = resources.filter((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2");
        expect(scripts.length).toBeGreaterThan(0);
        for (const script of scripts) expect(script.inputs.forceDestroy).toBe(true);
    });
});

describe("options that change the shape: a direct gate and RSA keys", () => {
    let resources: RecordedResource[];
    beforeAll(async () => {
        ({ resources } = await build("direct", { healthGate: "direct", keyAlgorithm: "RSA", learnerPromoteWaitSeconds: 3600, allowNoAlarmTopic: true }));
    });

    test("a node setting (learnerPromoteWaitSeconds) reaches every member's member.env; unset, member.env leaves it to the script", () => {
        const memberEnvOf = (name: string) => decodeUserData(one(resources, "aws:ec2/instance:Instance", name).inputs);
        for (const n of [1, 2, 3]) expect(memberEnvOf(`direct-etcd${n}`)).toMatch(/^\s*PROMOTE_WAIT_SECONDS='3600'$/m);
        expect(decodeUserData(one(devlike, "aws:ec2/instance:Instance", "devlike-etcd1").inputs)).not.toMatch(/^\s*PROMOTE_WAIT_SECONDS=/m);
    });

    test("healthGate direct: the gate gets endpoints and the admin key as a secret", () => {
        const gate = one(resources, "command:local:Command", "direct-etcd1-health");
        const env = gate.maskedInputs.environment as Record<string, string>;
        expect(env.GATE_MODE).toBe("direct");
        expect(env.ETCDCTL_ENDPOINTS).toMatch(/^https:\/\/10\.42\.\d+\.\d+:2379,https:\/\/.*,https:\/\/.*:2379$/);
        expect(env.GATE_KEY_PEM).toBe("[secret]");
        expect(env.GATE_HEALTH_SCRIPT).toContain("etcdctl");
        expect(env.GATE_NODE_LIBRARY).toContain("etcdctl_at()");
        // The gate of etcd1 needs etcd1 only; the last one needs all three.
        expect(env.GATE_REQUIRED_MEMBERS).toBe("etcd1");
        expect((one(resources, "command:local:Command", "direct-etcd3-health").maskedInputs.environment as Record<string, string>).GATE_REQUIRED_MEMBERS).toBe("etcd1,etcd2,etcd3");
    });

    test("healthGate direct: a member leaves with the node's handover script run here, and only on delete", () => {
        const leave = one(resources, "command:local:Command", "direct-etcd3-leave");
        const env = leave.maskedInputs.environment as Record<string, string>;
        expect(leave.inputs).toMatchObject({ create: "joined", update: "joined", delete: "leave" });
        expect(env).toMatchObject({ GATE_MODE: "direct", GATE_MEMBER: "etcd3", GATE_KEY_PEM: "[secret]" });
        expect(env.GATE_LEAVE_SCRIPT).toContain("member remove");
        // Deleted before the instance (it depends on the attachment) and after the next member's leave.
        expect(leave.dependsOn).toEqual(expect.arrayContaining(["direct-etcd3-data", "direct-etcd2-leave"]));
    });

    test("RSA keys when asked", () => {
        const keys = resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey");
        expect(keys.length).toBeGreaterThan(3);
        for (const key of keys) {
            expect(key.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
        }
    });
});

describe("options that change the shape: a brought CA", () => {
    test("a brought CA signs every certificate and no CA is created", async () => {
        const { resources } = await build("byoca", { caCertPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", caPrivateKeyPem: "KEY", allowNoAlarmTopic: true });
        expect(resources.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert")).toHaveLength(0);
        const signed = one(resources, "tls:index/locallySignedCert:LocallySignedCert", "byoca-pki-member-etcd1");
        expect(signed.inputs.caCertPem).toContain("MIIB");
        expect(signed.maskedInputs.caPrivateKeyPem).toBe("[secret]");
    });
});

describe("refused inputs create nothing", () => {
    const refusals: [string, EtcdClusterArgs, RegExp][] = [
        ["an even member count", { memberCount: 4 }, /Invalid setting memberCount: got 4\. An even count .* Use 3, 5 or 7\./],
        ["a single member", { memberCount: 1 }, /memberCount: got 1\. Use 3, 5 or 7\./],
        ["more than 3000 nodes without explicit sizing", { kubernetesNodeCount: 5000 }, /kubernetesNodeCount: got 5000/],
        ["client ingress from the whole internet", { clientCidrs: ["0.0.0.0/0"] }, /clientCidrs: got "0\.0\.0\.0\/0"\. Ingress from the whole internet is never allowed/],
        ["metrics ingress from the whole internet", { monitoringCidrs: ["0.0.0.0/0"] }, /monitoringCidrs: got "0\.0\.0\.0\/0"/],
        ["a malformed CIDR", { clientCidrs: ["10.0.0.0/33"] }, /clientCidrs: got "10\.0\.0\.0\/33"\. Use CIDR notation/],
        ["subnets without a VPC", { subnetIds: ["subnet-0a1b2c3d4e5f60001"] }, /subnetIds: .*Give vpcId and subnetIds together/],
        ["memberSubnets in a created VPC", { memberSubnets: { etcd1: "subnet-0a1b2c3d4e5f60001" } }, /memberSubnets: got \{"etcd1":"subnet-0a1b2c3d4e5f60001"\}\. It places members in the subnets you bring: give vpcId and subnetIds too/],
        [
            "memberSubnets naming no member",
            { vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: ["subnet-0a1b2c3d4e5f60001"], memberSubnets: { etcd4: "subnet-0a1b2c3d4e5f60001" } },
            /memberSubnets: got "etcd4"\. Name a member of this cluster: etcd1, etcd2, etcd3 \(memberCount 3\)\./,
        ],
        [
            "memberSubnets with a malformed id",
            { vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: ["subnet-0a1b2c3d4e5f60001"], memberSubnets: { etcd2: "private-b" } },
            /memberSubnets: got "private-b"\. Use subnet ids like subnet-0123456789abcdef0, each one of subnetIds\./,
        ],
        ["an election timeout under 5x the heartbeat", { heartbeatIntervalMs: 300, electionTimeoutMs: 1000 }, /electionTimeoutMs: got 1000\. etcd requires at least 5x heartbeatIntervalMs \(300\); use 1500 or more/],
        ["an unknown health gate mode", { healthGate: "ping" }, /healthGate: got "ping"\. Use one of: ssm, direct, off\./],
        ["a CA certificate without its key", { caCertPem: "PEM" }, /caCertPem: got "\[secret\]"\. Give caCertPem and caPrivateKeyPem together/],
        ["an unknown key algorithm", { keyAlgorithm: "DSA" }, /keyAlgorithm: got "DSA"\. Use one of: ECDSA, RSA\./],
        ["admin listed as a consumer", { clientNames: ["admin"] }, /clientNames: got "admin"\. admin is always issued/],
        ["a plain-http mirror", { etcdMirrorUrl: "http://mirror.local/etcd" }, /etcdMirrorUrl: got "http:\/\/mirror\.local\/etcd"\. Use an https:\/\/ URL/],
        ["a quota larger than half the volume", { quotaBackendBytes: 40e9 }, /quotaBackendBytes: got 40000000000\. .*half the 50 GB data volume/],
        ["a request limit above etcd's recommended 10 MiB", { maxRequestBytes: 16 * 1024 ** 2 }, /maxRequestBytes: got 16777216\. Use a whole number from 1048576 to 10485760\./],
        ["a request limit under 1 MiB", { maxRequestBytes: 4096 }, /maxRequestBytes: got 4096\./],
        ["a learner given under a minute to be promoted", { learnerPromoteWaitSeconds: 30 }, /learnerPromoteWaitSeconds: got 30\. Use a whole number from 60 to 86400\./],
        ["early renewal not shorter than validity", { certValidityHours: 100, certEarlyRenewalHours: 100 }, /certEarlyRenewalHours: got 100\. Must be less than certValidityHours/],
        ["a malformed AMI id", { amiId: "latest" }, /amiId: got "latest"\. Use an AMI id like ami-/],
        ["a restore key without an s3:// restoreFrom", { restoreFrom: "latest", restoreKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/abc" }, /restoreKmsKeyArn: got "arn:aws:kms:eu-west-1:123456789012:key\/abc"\. .*give it only with restoreFrom: s3:\/\//],
        [
            "a protected cluster whose alarms notify nobody",
            {},
            /alarmTopicArn: got nothing\. protectData is on \(the default, for production\): its alarms .* must notify someone\. Give alarmTopicArn \(an SNS topic ARN\), or set allowNoAlarmTopic: true/,
        ],
        ["a KMS key given as an alias", { kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:alias/etcd" }, /kmsKeyArn: got "arn:aws:kms:eu-west-1:123456789012:alias\/etcd"\. Use the key ARN \(not an alias: IAM cannot authorize through one\)/],
        ["restoreFrom pointing at a snapshot's manifest", { restoreFrom: "s3://old-bucket/etcd/snapshots/2026/x.json" }, /restoreFrom: got "s3:\/\/old-bucket\/etcd\/snapshots\/2026\/x\.json"\. Use latest or a snapshot's s3:\/\/bucket\/key\.db URI \(the \.db object, not its \.json manifest or a prefix/],
        ["restoreFrom pointing at a prefix", { restoreFrom: "s3://old-bucket/etcd/snapshots/" }, /restoreFrom: got "s3:\/\/old-bucket\/etcd\/snapshots\/"\. Use latest or a snapshot's/],
        ["client CIDRs that together cover the internet", { clientCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }, /clientCidrs: got \["0\.0\.0\.0\/1","128\.0\.0\.0\/1"\]\. Together these cover the whole internet/],
        ["UI CIDRs that together cover the internet", { keeperEnabled: true, instanceFamily: "m7i", keeperAllowedCidrs: ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"] }, /keeperAllowedCidrs: got .*Together these cover the whole internet/],
        ["a hosted zone given as its path", { dnsZoneId: "/hostedzone/Z0123456789ABCDEFGHIJ", dnsDomain: "etcd.example.com" }, /dnsZoneId: got "\/hostedzone\/Z0123456789ABCDEFGHIJ"\. Use a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ \(without \/hostedzone\/\)\./],
        ["a restore key given as an alias", { restoreFrom: "s3://old-bucket/x.db", restoreKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:alias/old" }, /restoreKmsKeyArn: got .*Use the key ARN \(not an alias\)/],
    ];

    test.each(refusals)("refuses %s", async (_label, args, message) => {
        const rt = await mockRuntime();
        const before = rt.resources.length;
        expect(() => new EtcdCluster("refused", args)).toThrow(ConfigError);
        expect(() => new EtcdCluster("refused", args)).toThrow(message);
        await settled();
        expect(rt.resources.length).toBe(before);
    });
});
