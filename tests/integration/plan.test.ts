import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planCli } from "../helpers/planCli";

// The offline plan as a user runs it: a separate process per stack, no credentials, no Pulumi CLI.
const plan = (...args: string[]) => planCli(args);

let tmp: string;
beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function stackFile(name: string, config: string): string {
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, `config:\n  aws:region: eu-west-1\n${config}`);
    return file;
}

describe("npm run plan", () => {
    test("--json for prod lists every resource with type, name and inputs, and the sizing decision", () => {
        const { code, stdout, stderr } = plan("--stack", "prod", "--json");
        expect(stderr).toBe("");
        expect(code).toBe(0);
        const doc = JSON.parse(stdout);
        expect(doc.sizing).toMatchObject({ tier: "large", instanceType: "m7g.2xlarge", kubernetesNodeCount: 800 });
        const instances = doc.resources.filter((r: any) => r.type === "aws:ec2/instance:Instance");
        expect(instances.map((r: any) => r.name)).toEqual(["etcd-etcd1", "etcd-etcd2", "etcd-etcd3", "etcd-etcd4", "etcd-etcd5"]);
        for (const r of doc.resources) {
            expect(Object.keys(r)).toEqual(expect.arrayContaining(["type", "name", "inputs", "parent"]));
        }
        expect(doc.resources.filter((r: any) => r.type === "aws:ec2/vpc:Vpc")).toHaveLength(0);
        expect(stdout).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
        const keyParam = doc.resources.find((r: any) => r.inputs.name === "/etcd/etcd-cluster/prod/etcd/members/etcd1/member-key.pem");
        expect(keyParam.inputs.value).toBe("[secret]");
        expect(doc.outputs.adminKeyPem).toBe("[secret]");
    });

    test("the text plan shows the sizing decision and the resource tree", () => {
        const { code, stdout } = plan("--stack", "dev");
        expect(code).toBe(0);
        expect(stdout).toMatch(/^Offline plan for stack dev \(project etcd-cluster, region eu-west-1\)\./);
        expect(stdout).toContain("Sizing: tier small, instance m7g.large (arm64)");
        expect(stdout).toMatch(/aws:ec2\/instance:Instance {2}etcd-etcd1 {2}\[parent=etcd-etcd1; delete-before-replace; ignoreChanges=ami/);
        expect(stdout).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    });

    test("--out writes each member's etcd config, environment, unit and user data", () => {
        const out = path.join(tmp, "out");
        const { code } = plan("--stack", "staging", "--out", out);
        expect(code).toBe(0);
        expect(fs.readdirSync(out).sort()).toEqual(["etcd1", "etcd2", "etcd3"]);
        const config = fs.readFileSync(path.join(out, "etcd2", "etc", "etcd", "etcd.new.yaml"), "utf8");
        expect(config).toMatch(/name: etcd2/);
        expect(config).toMatch(/initial-cluster-token: staging-etcd-[0-9a-f]{12}/);
        expect(fs.readFileSync(path.join(out, "etcd2", "user-data.yaml"), "utf8")).toMatch(/^#cloud-config/);
        expect(fs.existsSync(path.join(out, "etcd2", "etc", "etcd", "member.env"))).toBe(true);
    });

    test("a bad setting exits 1 with the message and no stack trace", () => {
        const file = stackFile("bad", "  etcd-cluster:memberCount: 4\n");
        const { code, stdout, stderr } = plan("--stack", "bad", "--config-file", file);
        expect(code).toBe(1);
        expect(stdout).toBe("");
        expect(stderr.trim()).toBe("error: Invalid setting memberCount: got 4. An even count adds no fault tolerance over the odd count below it and risks split votes. Use 3, 5 or 7.");
    });

    test("a mistyped setting is refused rather than ignored", () => {
        const file = stackFile("typo", "  etcd-cluster:memberCout: 5\n");
        const { code, stderr } = plan("--stack", "typo", "--config-file", file);
        expect(code).toBe(1);
        expect(stderr).toMatch(/^error: Invalid setting etcd-cluster:memberCout: got "memberCout"\. This setting does not exist\./);
    });

    test("a value of the wrong type names the setting", () => {
        const file = stackFile("type", "  etcd-cluster:kubernetesNodeCount: lots\n");
        const { code, stderr } = plan("--stack", "type", "--config-file", file);
        expect(code).toBe(1);
        expect(stderr.trim()).toBe('error: Invalid setting kubernetesNodeCount: got "lots". Use a number.');
    });

    test("a CA private key in plaintext in the stack file is refused, naming the fix", () => {
        const file = stackFile("plainkey", "  etcd-cluster:allowNoAlarmTopic: true\n  etcd-cluster:caCertPem: CERT\n  etcd-cluster:caPrivateKeyPem: KEY\n");
        const { code, stderr } = plan("--stack", "plainkey", "--config-file", file);
        expect(code).toBe(1);
        expect(stderr.trim()).toBe('error: Invalid setting caPrivateKeyPem: got "[secret]". It is in plaintext in the stack\'s settings. Set it encrypted: `pulumi config set --secret caPrivateKeyPem < ca-key.pem` (its file then holds a secure: value).');
        expect(stderr).not.toContain("KEY");
    });

    test("encrypted secure: values show as [secret]", () => {
        const file = stackFile(
            "secure",
            "  etcd-cluster:allowNoAlarmTopic: true\n  etcd-cluster:caCertPem:\n    secure: v1:AAAAbm90LXJlYWxseS1lbmNyeXB0ZWQ=\n  etcd-cluster:caPrivateKeyPem:\n    secure: v1:AAAAbm90LXJlYWxseS1lbmNyeXB0ZWQ=\n",
        );
        const { code, stdout } = plan("--stack", "secure", "--config-file", file, "--json");
        expect(code).toBe(0);
        const doc = JSON.parse(stdout);
        expect(doc.resources.filter((r: any) => r.type === "tls:index/selfSignedCert:SelfSignedCert")).toHaveLength(0);
        const signed = doc.resources.find((r: any) => r.name === "etcd-pki-member-etcd1" && r.type === "tls:index/locallySignedCert:LocallySignedCert");
        expect(signed.inputs.caPrivateKeyPem).toBe("[secret]");
        expect(stdout).not.toContain("v1:AAAA");
    });

    test("an unknown stack names the stacks that exist", () => {
        const { code, stderr } = plan("--stack", "qa");
        expect(code).toBe(1);
        expect(stderr.trim()).toBe("error: No stack \"qa\": Pulumi.qa.yaml does not exist. Stacks here: dev, prod, staging.");
    });
});
