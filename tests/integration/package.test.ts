import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../helpers/repo";

// The package as a consumer gets it: `npm pack` (which builds dist/), `npm install <tgz>` into a
// separate temporary program, a type check of `import { EtcdCluster } from "<package>"` under both
// module resolutions consumers use, and a run of that program under Pulumi's mocks.
const ROOT_PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
const NAME: string = ROOT_PACKAGE.name;
const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

let tmp: string;
let consumer: string;
let tarball: string;
let packedFiles: string[];

function lockedVersion(pkg: string): string {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
    return lock.packages[`node_modules/${pkg}`].version;
}

function run(command: string, args: string[], cwd: string, timeout = 120000) {
    const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout, env: { ...process.env, npm_config_update_notifier: "false" } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "package-test-"));
    // `npm pack` runs prepack (npm run build) first, so dist/ is fresh.
    const packed = run("npm", ["pack", "--json", "--pack-destination", tmp], REPO_ROOT, 170000);
    if (packed.code !== 0) {
        throw new Error(`npm pack failed:\n${packed.output}`);
    }
    const [report] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")));
    tarball = path.join(tmp, report.filename);
    packedFiles = report.files.map((f: { path: string }) => f.path).sort();

    consumer = path.join(tmp, "consumer");
    fs.mkdirSync(consumer);
    fs.writeFileSync(
        path.join(consumer, "package.json"),
        JSON.stringify(
            {
                name: "etcd-consumer",
                version: "0.0.0",
                private: true,
                dependencies: { [NAME]: `file:${tarball}`, "@pulumi/pulumi": lockedVersion("@pulumi/pulumi") },
                devDependencies: { "@types/node": lockedVersion("@types/node") },
            },
            null,
            2,
        ),
    );
    // The @pulumi/* packages come from npm's cache, filled when this repository was installed.
    const installed = run("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"], consumer, 170000);
    if (installed.code !== 0) {
        throw new Error(`npm install of the packed package failed:\n${installed.output}`);
    }
    fs.writeFileSync(path.join(consumer, "index.ts"), CONSUMER_PROGRAM);
    fs.writeFileSync(path.join(consumer, "run-with-mocks.js"), RUN_WITH_MOCKS);
}, 360000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CONSUMER_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster, EtcdClusterArgs, SIZING_TIERS, decideSizing, ConfigError } from "${"@etcd-pulumi/aws-etcd-cluster"}";

const args: EtcdClusterArgs = {
    kubernetesNodeCount: 300,
    clientNames: ["kube-apiserver"],
    healthGate: "off",
    allowNoAlarmTopic: true,
    tags: { team: "platform" },
};
// The declarations are real types, not any: a wrong type is an error.
// @ts-expect-error memberCount is a number
const wrong: EtcdClusterArgs = { memberCount: "three" };
void wrong;

const tiers: number = SIZING_TIERS.length;
const isConfigError = (e: unknown): boolean => e instanceof ConfigError;
void decideSizing;
void isConfigError;

const etcd = new EtcdCluster("consumer", args);
export const endpoints: pulumi.Output<string[]> = etcd.clientEndpoints;
export const tierCount = tiers;
`;

// Plain JavaScript, as Pulumi's Node runtime would run the compiled program: mocks first, then the program.
const RUN_WITH_MOCKS = `const pulumi = require("@pulumi/pulumi");
const { createHash } = require("crypto");
const registered = [];
// AWS-shaped ids: the component checks them (a volume id must look like vol-0123...).
const PREFIXES = { "aws:ec2/instance:Instance": "i-", "aws:ebs/volume:Volume": "vol-", "aws:ec2/networkInterface:NetworkInterface": "eni-", "aws:ec2/subnet:Subnet": "subnet-", "aws:ec2/vpc:Vpc": "vpc-", "aws:ec2/securityGroup:SecurityGroup": "sg-" };
function idFor(type, name) {
    const prefix = PREFIXES[type];
    return prefix ? prefix + createHash("sha256").update(type + "/" + name).digest("hex").slice(0, 17) : name + "-id";
}
let ip = 10;
const invokes = {
    "aws:index/getRegion:getRegion": () => ({ region: "eu-west-1", name: "eu-west-1", id: "eu-west-1" }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/t", userId: "T", id: "123456789012" }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"], id: "eu-west-1" }),
    "aws:ssm/getParameter:getParameter": (inputs) => ({ name: inputs.name, value: "ami-0123456789abcdef0", type: "String", id: inputs.name }),
    // The reads of the running cluster (README, "Day-2 checks"): nothing runs yet.
    "aws:ec2/getNetworkInterfaces:getNetworkInterfaces": () => ({ ids: [], id: "enis" }),
    "aws:ec2/getInstances:getInstances": () => ({ ids: [], id: "instances" }),
    "aws:ssm/getParametersByPath:getParametersByPath": (inputs) => ({ path: inputs.path, names: [], values: [], types: [], id: inputs.path }),
};
function state(type, name) {
    switch (type) {
        case "aws:ec2/networkInterface:NetworkInterface": return { privateIp: "10.42.0." + ip++ };
        case "aws:s3/bucket:Bucket": return { bucket: name + "-bucket", arn: "arn:aws:s3:::" + name + "-bucket" };
        case "aws:kms/key:Key": return { arn: "arn:aws:kms:eu-west-1:123456789012:key/" + name, keyId: name };
        case "aws:iam/role:Role": return { arn: "arn:aws:iam::123456789012:role/" + name, name };
        case "aws:iam/instanceProfile:InstanceProfile": return { arn: "arn:aws:iam::123456789012:instance-profile/" + name, name };
        case "tls:index/privateKey:PrivateKey": return { privateKeyPem: "(key " + name + ")", publicKeyPem: "(public " + name + ")" };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert": return { certPem: "(cert " + name + ")" };
        case "tls:index/certRequest:CertRequest": return { certRequestPem: "(csr " + name + ")" };
        default: return {};
    }
}
(async () => {
    await pulumi.runtime.setMocks({
        newResource(args) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            return { id: idFor(args.type, args.name), state: { ...args.inputs, ...state(args.type, args.name) } };
        },
        call(args) {
            const answer = invokes[args.token];
            if (!answer) throw new Error("unexpected invoke " + args.token);
            return answer(args.inputs);
        },
    }, "consumer", "test", false);
    const program = require("./bin/index.js");
    const endpoints = await new Promise((resolve) => program.endpoints.apply(resolve));
    let seen = -1;
    while (seen !== registered.length) {
        seen = registered.length;
        await new Promise((r) => setTimeout(r, 100));
    }
    process.stdout.write(JSON.stringify({ endpoints, tierCount: program.tierCount, registered }));
})().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + "\\n");
    process.exit(1);
});
`;

function typecheck(moduleResolution: "node10" | "node16") {
    const tsconfig = path.join(consumer, `tsconfig.${moduleResolution}.json`);
    const module = moduleResolution === "node16" ? "node16" : "commonjs";
    fs.writeFileSync(
        tsconfig,
        JSON.stringify({
            compilerOptions: { target: "ES2022", module, moduleResolution, strict: true, outDir: "bin", types: ["node"], skipLibCheck: true },
            files: ["index.ts"],
        }),
    );
    return run(process.execPath, [TSC, "-p", tsconfig], consumer, 120000);
}

describe("the packed package", () => {
    test("holds the compiled library with declarations, the node scripts, the health gate script, README, LICENSE and CHANGELOG, and nothing else", () => {
        const topLevel = [...new Set(packedFiles.map((f) => (f.includes("/") ? `${f.split("/")[0]}/` : f)))].sort();
        expect(topLevel).toEqual(["CHANGELOG.md", "LICENSE", "README.md", "dist/", "node/", "package.json", "scripts/"]);
        expect(packedFiles).toEqual(expect.arrayContaining(["dist/lib.js", "dist/lib.d.ts", "dist/components/etcdCluster.js", "dist/components/etcdCluster.d.ts", "dist/config/clusterArgs.d.ts"]));
        expect(packedFiles.filter((f) => f.startsWith("scripts/"))).toEqual(["scripts/health-gate.sh"]);
        const nodeScripts = fs.readdirSync(path.join(REPO_ROOT, "node")).filter((f) => f.endsWith(".sh")).map((f) => `node/${f}`).sort();
        expect(packedFiles.filter((f) => f.startsWith("node/"))).toEqual(nodeScripts);
        // no sources, tests, tools or the repository's own program
        expect(packedFiles.filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
        expect(packedFiles.filter((f) => /^dist\/(tests|tools|sandbox|bench|index)/.test(f))).toEqual([]);
    });

    test(`type-checks a consumer that imports { EtcdCluster } from "${NAME}" (classic and node16 module resolution)`, () => {
        for (const resolution of ["node16", "node10"] as const) {
            const { code, output } = typecheck(resolution);
            expect(`${resolution}: ${output}`).toBe(`${resolution}: `);
            expect(code).toBe(0);
        }
        expect(fs.existsSync(path.join(consumer, "bin", "index.js"))).toBe(true);
    });

    test("runs the consumer under Pulumi mocks: one cluster component, three members, three instances of the large tier", () => {
        if (!fs.existsSync(path.join(consumer, "bin", "index.js"))) {
            expect(typecheck("node10").code).toBe(0);
        }
        const { code, stdout, stderr } = run(process.execPath, ["run-with-mocks.js"], consumer, 120000);
        expect(stderr).toBe("");
        expect(code).toBe(0);
        const result = JSON.parse(stdout);
        const count = (type: string) => result.registered.filter((r: any) => r.type === type).length;
        expect(count("etcd:index:EtcdCluster")).toBe(1);
        expect(count("etcd:index:Member")).toBe(3);
        expect(count("aws:ec2/instance:Instance")).toBe(3);
        expect(count("aws:ebs/volume:Volume")).toBe(3);
        const instances = result.registered.filter((r: any) => r.type === "aws:ec2/instance:Instance");
        expect(instances.map((r: any) => r.name)).toEqual(["consumer-etcd1", "consumer-etcd2", "consumer-etcd3"]);
        expect(new Set(instances.map((r: any) => r.inputs.instanceType))).toEqual(new Set(["m7g.2xlarge"]));
        expect(result.endpoints).toHaveLength(3);
        result.endpoints.forEach((e: string) => expect(e).toMatch(/^https:\/\/10\.42\.0\.\d+:2379$/));
        expect(result.tierCount).toBeGreaterThan(0);
    });

    test("the consumer got its own copy of the package (not a link to this repository)", () => {
        const installed = path.join(consumer, "node_modules", ...NAME.split("/"));
        expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
        expect(JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")).version).toBe(ROOT_PACKAGE.version);
        // one @pulumi/pulumi for the consumer and the package: resources register with one runtime
        expect(fs.existsSync(path.join(installed, "node_modules", "@pulumi", "pulumi"))).toBe(false);
        expect(execFileSync("git", ["-C", REPO_ROOT, "check-ignore", "dist/lib.js"], { encoding: "utf8" }).trim()).toBe("dist/lib.js");
    });
});
