import { EtcdCluster } from "../../components/etcdCluster";
import { keeperDockerArgs } from "../../components/render/keeper";
import { EtcdClusterArgs } from "../../config/clusterArgs";
import { resolveSettings } from "../../config/settings";
import { decodeUserData, decodeWriteFiles } from "../../tools/memberFiles";
import { buildCluster as build, RecordedResource, resolve } from "../helpers/mockCluster";
import { refusal } from "../helpers/refusal";

const X86 = { instanceFamily: "m7i" };

const ofType = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const userDataFiles = (resources: RecordedResource[]) => ofType(resources, "aws:ec2/instance:Instance").map((i) => decodeWriteFiles(decodeUserData(i.inputs)));
const policyOf = (resources: RecordedResource[], name: string) =>
    JSON.parse(String(resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === name)!.inputs.policy));

describe("etcdkeeper settings", () => {
    test.each<[string, EtcdClusterArgs, string, RegExp]>([
        ["an image without keeperEnabled", { keeperImage: "evildecay/etcdkeeper:v0.7.6" }, "keeperImage", /the etcdkeeper UI, which is off: set keeperEnabled: true/],
        ["an allow-list without keeperEnabled", { keeperAllowedCidrs: ["10.0.0.0/8"] }, "keeperAllowedCidrs", /which is off/],
        ["the latest tag", { ...X86, keeperEnabled: true, keeperImage: "evildecay/etcdkeeper:latest" }, "keeperImage", /Pin the image: a version tag that is not latest/],
        ["an untagged image", { ...X86, keeperEnabled: true, keeperImage: "evildecay/etcdkeeper" }, "keeperImage", /Pin the image/],
        ["the amd64-only image on Graviton members", { keeperEnabled: true }, "keeperImage", /built for amd64 only and the members are arm64 \(instanceFamily m7g\)\. Use an x86 instanceFamily such as m7i/],
        ["the UI open to the internet", { ...X86, keeperEnabled: true, keeperAllowedCidrs: ["0.0.0.0/0"] }, "keeperAllowedCidrs", /Ingress from the whole internet is never allowed/],
    ])("refuses %s, naming the setting", (_label, args, setting, fix) => {
        const error = refusal(() => resolveSettings(args));
        expect(error.message).toContain(`Invalid setting ${setting}`);
        expect(error.message).toMatch(fix);
    });

    test("an arm64 build of the user's own is accepted on Graviton, pinned by digest", () => {
        const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/etcdkeeper@sha256:${"ab".repeat(32)}`;
        expect(resolveSettings({ keeperEnabled: true, keeperImage: image, allowNoAlarmTopic: true }).keeper).toEqual({ image, allowedCidrs: [] });
    });

    test("its consumer certificate is issued once, also when clientNames lists it", () => {
        expect(resolveSettings({ ...X86, keeperEnabled: true, allowNoAlarmTopic: true }).pki.clientNames).toEqual(["etcdkeeper"]);
        expect(resolveSettings({ ...X86, keeperEnabled: true, clientNames: ["etcdkeeper", "kube-apiserver"], allowNoAlarmTopic: true }).pki.clientNames).toEqual(["etcdkeeper", "kube-apiserver"]);
        expect(resolveSettings({ clientNames: ["kube-apiserver"], allowNoAlarmTopic: true }).pki.clientNames).toEqual(["kube-apiserver"]);
    });
});

describe("etcdkeeper off (the default)", () => {
    let resources: RecordedResource[];
    let cluster: EtcdCluster;
    beforeAll(async () => ({ cluster, resources } = await build("plain", { allowNoAlarmTopic: true })));

    test("no unit, script, variable, parameter, rule or policy entry for it", async () => {
        for (const files of userDataFiles(resources)) {
            expect(Object.keys(files).filter((f) => /keeper/.test(f))).toEqual([]);
            expect(files["/etc/etcd/member.env"]).not.toMatch(/KEEPER_/);
        }
        expect(ofType(resources, "aws:ssm/parameter:Parameter").filter((p) => /keeper/.test(String(p.inputs.name)))).toEqual([]);
        expect(ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs.fromPort)).not.toContain(8888);
        expect(JSON.stringify(policyOf(resources, "plain-etcd1-policy"))).not.toMatch(/keeper/);
        expect(await resolve(cluster.keeperUrls)).toEqual([]);
        expect(await resolve(cluster.keeperPortForwardCommand)).toBe("");
    });
});

describe("etcdkeeper on: loopback only, through SSM port forwarding", () => {
    let resources: RecordedResource[];
    let cluster: EtcdCluster;
    beforeAll(async () => ({ cluster, resources } = await build("ui", { ...X86, keeperEnabled: true, allowNoAlarmTopic: true })));

    test("every member runs the pinned image on its loopback with the UI's certificate directory read-only", () => {
        for (const files of userDataFiles(resources)) {
            const unit = files["/etc/systemd/system/etcdkeeper.service"];
            expect(unit).toContain("ExecStart=/usr/bin/docker run --rm --name etcdkeeper --pull missing --read-only --cap-drop ALL --security-opt no-new-privileges");
            expect(unit).toContain("--publish 127.0.0.1:8888:8080 --volume /etc/ssl/etcd/ssl/keeper:/certs:ro");
            expect(unit).toContain("--env CACERT=/certs/ca.pem --env CERT=/certs/etcdkeeper.pem --env KEY=/certs/etcdkeeper-key.pem");
            expect(unit).toMatch(/evildecay\/etcdkeeper:v0\.7\.6 -h 0\.0\.0\.0 -p 8080 -usetls -cacert \/certs\/ca\.pem -cert \/certs\/etcdkeeper\.pem -key \/certs\/etcdkeeper-key\.pem\n/);
            expect(files["/usr/local/sbin/etcd-keeper-start"]).toContain('systemctl enable "$KEEPER_UNIT"');
            expect(files["/etc/etcd/member.env"]).toContain("KEEPER_UNIT='etcdkeeper.service'");
            expect(Object.keys(files)).toContain("/etc/systemd/system/etcdkeeper.service");
            expect(files["/etc/etcd/member.env"]).toContain("KEEPER_URL='http://127.0.0.1:8888/etcdkeeper/'");
        }
    });

    test("stays under EC2's 16 KB user data limit", () => {
        for (const instance of ofType(resources, "aws:ec2/instance:Instance")) {
            expect(Buffer.from(String(instance.inputs.userDataBase64), "base64").length).toBeLessThanOrEqual(16384);
        }
    });

    test("its client certificate goes to SSM (the key encrypted, never in user data) and members may read exactly that", () => {
        const params = ofType(resources, "aws:ssm/parameter:Parameter")
            .filter((p) => /\/keeper\//.test(String(p.inputs.name)))
            .sort((a, b) => String(b.inputs.name).localeCompare(String(a.inputs.name)));
        expect(params.map((p) => [p.inputs.name, p.inputs.type])).toEqual([
            ["/etcd/proj/test/ui/keeper/etcdkeeper.pem", "String"],
            ["/etcd/proj/test/ui/keeper/etcdkeeper-key.pem", "SecureString"],
        ]);
        expect(params[1].inputs.keyId).toMatch(/^arn:aws:kms:/);
        expect(params[1].maskedInputs.value).toBe("[secret]");
        const read = policyOf(resources, "ui-etcd1-policy").Statement[0];
        expect(read.Resource).toContain("arn:aws:ssm:eu-west-1:123456789012:parameter/etcd/proj/test/ui/keeper/*");
        for (const instance of ofType(resources, "aws:ec2/instance:Instance")) expect(decodeUserData(instance.inputs)).not.toMatch(/-----BEGIN [A-Z ]+-----|\(mock /);
    });

    test("no security group rule opens the UI port", () => {
        expect(ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs.fromPort)).not.toContain(8888);
    });

    test("outputs the local URL and the one port-forwarding command", async () => {
        expect(await resolve(cluster.keeperUrls)).toEqual(["http://localhost:8888/etcdkeeper/"]);
        const [first] = await resolve(cluster.members);
        expect(await resolve(cluster.keeperPortForwardCommand)).toBe(
            `aws ssm start-session --region eu-west-1 --target ${first.instanceId} --document-name AWS-StartPortForwardingSession --parameters '{"portNumber":["8888"],"localPortNumber":["8888"]}'`,
        );
    });
});

describe("etcdkeeper with an allow-list (opt-in)", () => {
    test("publishes on each member's own address and opens port 8888 to the listed CIDRs only", async () => {
        const { cluster, resources } = await build("open", { ...X86, keeperEnabled: true, keeperAllowedCidrs: ["10.20.0.0/16"], allowNoAlarmTopic: true });
        const rules = ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.fromPort === 8888);
        expect(rules.map((r) => [r.inputs.cidrIpv4, r.inputs.toPort])).toEqual([["10.20.0.0/16", 8888]]);
        const ips = (await resolve(cluster.members)).map((m) => m.ip);
        userDataFiles(resources).forEach((files, i) => expect(files["/etc/systemd/system/etcdkeeper.service"]).toContain(`--publish ${ips[i]}:8888:8080 `));
        expect(await resolve(cluster.keeperUrls)).toEqual(ips.map((ip) => `http://${ip}:8888/etcdkeeper/`));
        expect(await resolve(cluster.keeperPortForwardCommand)).toBe("");
    });
});

test("the docker argv refuses a bind address that is not an IPv4 address", () => {
    expect(() => keeperDockerArgs({ image: "x:1", bindAddress: "0.0.0.0; rm -rf /" })).toThrow(/bindAddress must be an IPv4 address/);
});
