import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as os from "os";
import * as path from "path";
import { RENAMED_OUTPUT_FIELDS, WHOLE_NUMBER_OUTPUT_FIELDS } from "../../components/etcdCluster";
import { RENAMED_SETTINGS, STACK_SETTINGS } from "../../config/clusterArgs";
import { WIDE_WHOLE_NUMBER_SETTINGS } from "../../provider/completeSchema";
import { declaredNames, declaredTypes } from "../helpers/declaredNames";
import { REPO_ROOT } from "../helpers/repo";

// provider/ is a source-based Pulumi plugin package: `pulumi package add <repo>/provider` makes the
// EtcdCluster component usable from Python, Go, C#, Java and YAML. Without the Pulumi CLI, this
// tests what the CLI relies on: the plugin starts the way the Node.js language host starts it and
// answers GetSchema over gRPC with the component's inputs and outputs; the provider constructs the
// component from plain inputs; and a fresh copy installs everything it needs with `npm install` in
// provider/ (what Pulumi runs after fetching a plugin).
const PROVIDER = path.join(REPO_ROOT, "provider");
const TOKEN = "etcd:index:EtcdCluster";

interface Schema {
    name: string;
    version: string;
    resources: Record<string, { isComponent: boolean; inputProperties: Record<string, any>; requiredInputs?: string[]; properties: Record<string, any> }>;
    types: Record<string, any>;
    [key: string]: unknown;
}

/**
 * Starts the plugin like pulumi-language-nodejs: `node @pulumi/pulumi/cmd/run-plugin <dir>`; resolves
 * with its port. `cwd` is where the language host runs: a consumer program's directory, which has
 * no tsconfig of ours (run-plugin then compiles with its own defaults).
 */
function startPlugin(root: string, cwd: string): Promise<{ child: ChildProcess; port: number }> {
    const runPlugin = path.join(root, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin", "index.js");
    const child = spawn(process.execPath, [runPlugin, path.join(root, "provider")], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PULUMI_NODEJS_TYPESCRIPT: "true" } });
    let stdout = "";
    let stderr = "";
    return new Promise((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => {
            stdout += chunk.toString("utf8");
            const port = /^(\d+)\n/.exec(stdout)?.[1];
            if (port) resolve({ child, port: Number(port) });
        });
        child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        child.on("exit", (code) => reject(new Error(`the plugin exited (${code}) before it served:\n${stderr}${stdout}`)));
    });
}

function getSchema(port: number): Promise<Schema> {
    // The gRPC client and messages of the SDK the plugin itself uses.
    const load = createRequire(path.join(REPO_ROOT, "package.json"));
    const grpc = load("@grpc/grpc-js");
    const provrpc = load("@pulumi/pulumi/proto/provider_grpc_pb");
    const provproto = load("@pulumi/pulumi/proto/provider_pb");
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new Promise((resolve, reject) => {
        client.getSchema(new provproto.GetSchemaRequest(), (err: Error | null, response: any) => {
            client.close();
            if (err) reject(err);
            else resolve(JSON.parse(response.getSchema()));
        });
    });
}

async function schemaOf(root: string, cwd = path.join(root, "provider")): Promise<Schema> {
    const { child, port } = await startPlugin(root, cwd);
    try {
        return await getSchema(port);
    } finally {
        child.kill();
    }
}


/**
 * Constructs the component through the provider under Pulumi's mocks, as a call from another
 * language does, with `inputs` (a TypeScript expression; `output` is Pulumi's) and reports the
 * URN, the state's keys and what `report` (object members; `value(o, f?)` awaits an output) adds.
 */
function constructThroughProvider(inputs: string, report: string): Record<string, any> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-construct-"));
    try {
        const script = path.join(dir, "construct.ts");
        fs.writeFileSync(
            script,
            `import { ComponentProvider } from ${JSON.stringify(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "provider", "experimental"))};
import { output } from ${JSON.stringify(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"))};
import { startMockRuntime } from ${JSON.stringify(path.join(REPO_ROOT, "tools", "mockRuntime"))};
const value = (o: any, f: (v: any) => unknown = (v) => v) => new Promise((resolve) => o.apply((v: any) => resolve(f(v))));
(async () => {
    const runtime = await startMockRuntime({ project: "consumer", stack: "python" });
    const { EtcdCluster } = require(${JSON.stringify(PROVIDER)});
    const provider = new ComponentProvider({ name: "etcd", dirname: ${JSON.stringify(PROVIDER)}, components: [EtcdCluster] });
    const result = await provider.construct("fromPython", ${JSON.stringify(TOKEN)}, ${inputs}, {});
    const urn = await value(result.urn);
    // Every member's interface and instance is registered once the members output is known.
    await value(result.state.members);
    await new Promise((r) => setTimeout(r, 500));
    const reported = { ${report} };
    process.stdout.write(JSON.stringify({ urn, stateKeys: Object.keys(result.state).sort(), ...reported }));
})().catch((err) => { process.stderr.write(String(err?.stack ?? err)); process.exit(1); });
`,
        );
        const run = spawnSync(path.join(REPO_ROOT, "node_modules", ".bin", "tsx"), [script], { cwd: REPO_ROOT, encoding: "utf8", timeout: 150000 });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        return JSON.parse(run.stdout);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

let schema: Schema;
let consumerDir: string;
beforeAll(async () => {
    // From an empty directory, as for `pulumi package add` in a consumer program elsewhere.
    consumerDir = fs.mkdtempSync(path.join(os.tmpdir(), "consumer-program-"));
    schema = await schemaOf(REPO_ROOT, consumerDir);
}, 150000);
afterAll(() => fs.rmSync(consumerDir, { recursive: true, force: true }));

describe("provider/ (source-based plugin package)", () => {
    test("PulumiPlugin.yaml declares the Node.js runtime; the package is named for the component's type token, versioned with the library, and serves the library's component", () => {
        expect(fs.readFileSync(path.join(PROVIDER, "PulumiPlugin.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
        const provider = JSON.parse(fs.readFileSync(path.join(PROVIDER, "package.json"), "utf8"));
        expect(provider.main).toBe("index.ts");
        expect(fs.readFileSync(path.join(PROVIDER, "index.ts"), "utf8")).toContain('export { EtcdCluster } from "../lib";');
        const library = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
        expect(provider.name).toBe(TOKEN.split(":")[0]);
        expect(provider.version).toBe(library.version);
        expect(fs.readFileSync(path.join(REPO_ROOT, "components", "etcdCluster.ts"), "utf8")).toContain(`super("${TOKEN}"`);
    });

    test("serves the same schema from provider/ as from a consumer's empty directory", async () => {
        expect(fs.readdirSync(consumerDir)).toEqual([]);
        expect(await schemaOf(REPO_ROOT)).toEqual(schema);
    }, 150000);

    test("serves the same schema from a TypeScript consumer's directory: run-plugin then compiles the plugin with that program's own tsconfig.json", async () => {
        const tsConsumer = fs.mkdtempSync(path.join(os.tmpdir(), "consumer-typescript-"));
        try {
            // A strict program's settings; "files" names the program's own entry point, which the plugin never loads.
            const compilerOptions = {
                strict: true,
                target: "es2020",
                module: "commonjs",
                moduleResolution: "node",
                noUnusedLocals: true,
                noUnusedParameters: true,
                noImplicitReturns: true,
                noFallthroughCasesInSwitch: true,
                forceConsistentCasingInFileNames: true,
            };
            fs.writeFileSync(path.join(tsConsumer, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["index.ts"] }, null, 4));
            fs.writeFileSync(path.join(tsConsumer, "index.ts"), "export {};\n");
            expect(await schemaOf(REPO_ROOT, tsConsumer)).toEqual(schema);
        } finally {
            fs.rmSync(tsConsumer, { recursive: true, force: true });
        }
    }, 150000);

    test("the plugin serves a schema with the EtcdCluster component", () => {
        expect(schema.name).toBe("etcd");
        expect(schema.version).toBe(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version);
        expect(Object.keys(schema.resources)).toEqual([TOKEN]);
        expect(schema.resources[TOKEN].isComponent).toBe(true);
    });

    test("every EtcdClusterArgs property but the former names is an input, optional, with its documentation", () => {
        const resource = schema.resources[TOKEN];
        const args = declaredNames(path.join(REPO_ROOT, "config", "clusterArgs.ts"), "EtcdClusterArgs", "interface");
        const formerNames = Object.keys(RENAMED_SETTINGS);
        expect(formerNames).toEqual(["dataVolumeThroughputMBps"]);
        expect(args).toEqual(expect.arrayContaining(formerNames));
        expect(Object.keys(resource.inputProperties).sort()).toEqual(args.filter((name) => !formerNames.includes(name)));
        expect(resource.requiredInputs ?? []).toEqual([]);
        expect(resource.inputProperties.memberCount).toMatchObject({ type: "integer", optional: true, plain: true });
        expect(resource.inputProperties.memberCount.description).toMatch(/3, 5 or 7/);
        expect(resource.inputProperties.maxRequestBytes).toMatchObject({ type: "integer" });
    });

    test("exactly the EtcdClusterArgs properties typed pulumi.Input take outputs: the ids, each id of a list or map, and the brought CA", () => {
        const inputs = schema.resources[TOKEN].inputProperties;
        const declared = declaredTypes(path.join(REPO_ROOT, "config", "clusterArgs.ts"), "EtcdClusterArgs");
        // What in the schema takes another resource's output: the property itself, or each item of a plain list or map.
        const takesOutputs = (p: any) => (p.plain ? !!(p.items ?? p.additionalProperties) && !(p.items ?? p.additionalProperties).plain : true);
        const schemaInputs = Object.keys(inputs).filter((name) => takesOutputs(inputs[name])).sort();
        const typedInput = [...declared].filter(([name, type]) => name in inputs && type.includes("pulumi.Input<")).map(([name]) => name).sort();
        expect(schemaInputs).toEqual(typedInput);
        expect(schemaInputs).toEqual(
            [
                "alarmTopicArn", "backupBucketName", "backupKmsKeyArn", "caCertPem", "caPrivateKeyPem", "clientSecurityGroupIds", "dnsZoneId", "kmsKeyArn",
                "memberSubnets", "monitoringSecurityGroupIds", "nextCaCertPem", "nextCaPrivateKeyPem", "restoreKmsKeyArn", "subnetIds", "vpcId",
            ].sort(),
        );
        expect(inputs.vpcId).toEqual(expect.objectContaining({ type: "string" }));
        expect(inputs.vpcId.plain).toBeUndefined();
        // The subnet list takes one output (awsx's vpc.privateSubnetIds), or a list of ids that are each one.
        expect(inputs.subnetIds).toMatchObject({ type: "array", items: { type: "string" } });
        expect(inputs.subnetIds.plain).toBeUndefined();
        expect(inputs.subnetIds.items.plain).toBeUndefined();
        // The other lists and maps of ids are plain (their keys name members), each id an output.
        expect(inputs.memberSubnets).toMatchObject({ type: "object", plain: true, additionalProperties: { type: "string" } });
        expect(inputs.memberSubnets.additionalProperties.plain).toBeUndefined();
        expect(inputs.clientCidrs).toMatchObject({ type: "array", plain: true, items: { type: "string", plain: true } });
    });

    test("inputs are flat: strings, numbers, booleans, and lists or maps of them", () => {
        const primitive = (t: any) => ["string", "number", "integer", "boolean"].includes(t?.type) && !t.$ref;
        for (const [name, property] of Object.entries(schema.resources[TOKEN].inputProperties)) {
            const flat = primitive(property) || (property.type === "array" && primitive(property.items)) || (property.type === "object" && primitive(property.additionalProperties));
            expect(`${name}: ${flat ? "flat" : JSON.stringify(property)}`).toBe(`${name}: flat`);
        }
    });

    test("every Output field of the class is an output of the schema, with named object types", () => {
        const resource = schema.resources[TOKEN];
        const outputs = declaredNames(path.join(REPO_ROOT, "components", "etcdCluster.ts"), "EtcdCluster", "outputs");
        expect(Object.keys(resource.properties).sort()).toEqual(outputs);
        expect(resource.properties.members).toEqual({ type: "array", items: { $ref: "#/types/etcd:index:MemberInfo" } });
        expect(Object.keys(schema.types)).toEqual(expect.arrayContaining(["etcd:index:MemberInfo"]));
    });

    test("is the reviewed provider/schema.json (UPDATE_SCHEMA=1 rewrites it), so a schema change shows in a pull request", () => {
        const reviewed = path.join(PROVIDER, "schema.json");
        const served = `${JSON.stringify(schema, null, 2)}\n`;
        if (process.env.UPDATE_SCHEMA === "1") fs.writeFileSync(reviewed, served);
        expect(fs.readFileSync(reviewed, "utf8")).toBe(served);
    });

    test("marks secrets: the private-key outputs, and the inputs that are secret settings", () => {
        const resource = schema.resources[TOKEN];
        const secretOutputs = Object.entries(resource.properties).filter(([, p]) => p.secret).map(([n]) => n).sort();
        expect(secretOutputs).toEqual(["adminKeyPem", "clientCertificates"]);
        const secretInputs = Object.entries(resource.inputProperties).filter(([, p]) => p.secret).map(([n]) => n).sort();
        expect(secretInputs).toEqual(expect.arrayContaining(["caPrivateKeyPem", "nextCaPrivateKeyPem"]));
        expect(resource.inputProperties.memberCount.secret).toBeUndefined();
    });

    test("whole numbers are integers (quotaBackendBytes a number: 8 GiB is past a 32-bit int), and no type name ends in Output (Go would say SizingOutputOutput)", () => {
        const typed: Record<string, string[]> = { number: [], integer: [] };
        const walk = (node: unknown, at: string) => {
            if (node && typeof node === "object") {
                const o = node as Record<string, unknown>;
                if (o.type === "number" || o.type === "integer") typed[o.type as string].push(at);
                for (const [k, v] of Object.entries(o)) walk(v, `${at}/${k}`);
            }
        };
        walk(schema, "");
        const input = (name: string) => `/resources/${TOKEN}/inputProperties/${name}`;
        expect(typed.number).toEqual(WIDE_WHOLE_NUMBER_SETTINGS.map(input));
        expect(WIDE_WHOLE_NUMBER_SETTINGS).toEqual(["quotaBackendBytes"]);
        const integerSettings = Object.entries(STACK_SETTINGS)
            .filter(([name, kind]) => kind === "integer" && !(name in RENAMED_SETTINGS) && !WIDE_WHOLE_NUMBER_SETTINGS.includes(name as never))
            .map(([name]) => input(name));
        const typeNames: Record<keyof typeof WHOLE_NUMBER_OUTPUT_FIELDS, string> = { SizingOutput: "Sizing", DataVolumeOutput: "DataVolume" };
        const wholeFields = Object.entries(WHOLE_NUMBER_OUTPUT_FIELDS).flatMap(([type, fields]) => fields.map((f) => `/types/etcd:index:${typeNames[type as keyof typeof typeNames]}/properties/${f}`));
        expect(typed.integer.sort()).toEqual([...integerSettings, ...wholeFields].sort());
        expect(Object.keys(schema.types).sort()).toEqual(["etcd:index:ClientCertificate", "etcd:index:DataVolume", "etcd:index:MemberInfo", "etcd:index:Sizing"]);
        expect(schema.resources[TOKEN].properties.sizing).toEqual({ $ref: "#/types/etcd:index:Sizing" });
        expect(schema.types["etcd:index:Sizing"].properties.volume.$ref).toBe("#/types/etcd:index:DataVolume");
    });

    test("the object types have the fields of the TypeScript interfaces, all required, the former names left out", () => {
        const interfaces = { ClientCertificate: "ClientCertificate", MemberInfo: "MemberInfo", Sizing: "SizingOutput", DataVolume: "DataVolumeOutput" };
        const formerNames: Record<string, Record<string, string> | undefined> = RENAMED_OUTPUT_FIELDS;
        expect(Object.keys(formerNames.DataVolumeOutput!)).toEqual(["throughputMBps"]);
        for (const [type, tsName] of Object.entries(interfaces)) {
            const declared = declaredNames(path.join(REPO_ROOT, "components", "etcdCluster.ts"), tsName, "interface");
            const current = declared.filter((field) => !(field in (formerNames[tsName] ?? {})));
            const spec = schema.types[`etcd:index:${type}`];
            expect(`${type}: ${Object.keys(spec.properties).sort().join(", ")}`).toBe(`${type}: ${current.join(", ")}`);
            expect(`${type}: ${[...spec.required].sort().join(", ")}`).toBe(`${type}: ${current.join(", ")}`);
        }
    });

    test("names each language's package, and Go's import path, from the library's package.json", () => {
        const library = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
        const s = schema as unknown as Record<string, any>;
        expect(s.license).toBe(library.license);
        expect(s.repository).toBe("https://github.com/etcd-pulumi/aws-etcd-cluster");
        expect(s.language.go.importBasePath).toBe("github.com/etcd-pulumi/aws-etcd-cluster/sdk/go/etcd");
        expect(s.language.nodejs.packageName).toBe(library.name);
        expect(s.language.python.packageName).toBe("pulumi_etcd_cluster");
        expect(s.language.csharp.rootNamespace).toBe("EtcdPulumi");
    });

    test("the provider constructs the component from plain inputs, as for a call from another language", () => {
        const result = constructThroughProvider(
            "{ kubernetesNodeCount: 100, memberCount: 5, healthGate: \"off\", allowNoAlarmTopic: true }",
            "instanceType: await value(result.state.sizing, (s) => s.instanceType), instances: runtime.byType(\"aws:ec2/instance:Instance\").map((r) => r.name)",
        );
        expect(result.urn).toBe(`urn:pulumi:python::consumer::${TOKEN}::fromPython`);
        expect(result.stateKeys).toEqual(Object.keys(schema.resources[TOKEN].properties).sort());
        expect(result.instanceType).toBe("m7g.xlarge");
        expect(result.instances).toEqual(["fromPython-etcd1", "fromPython-etcd2", "fromPython-etcd3", "fromPython-etcd4", "fromPython-etcd5"]);
    }, 160000);

    test("the provider constructs the component with ids given as outputs: the VPC, each subnet id, the KMS key", () => {
        const vpc = "vpc-0123456789abcdef0";
        const subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-0123456789abcdef2"];
        const key = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
        // An output per id, as the provider hands the component an id that is another resource's output; one subnet id plain.
        const inputs = `{ kubernetesNodeCount: 100, healthGate: "off", allowNoAlarmTopic: true, vpcId: output(${JSON.stringify(vpc)}),
            subnetIds: [output(${JSON.stringify(subnets[0])}), output(${JSON.stringify(subnets[1])}), ${JSON.stringify(subnets[2])}], kmsKeyArn: output(${JSON.stringify(key)}) }`;
        const result = constructThroughProvider(
            inputs,
            `vpcId: await value(result.state.vpcId), kmsKeyArn: await value(result.state.kmsKeyArn),
            made: ["aws:ec2/vpc:Vpc", "aws:kms/key:Key"].flatMap((t) => runtime.byType(t).map((r) => r.name)),
            interfaceSubnets: runtime.byType("aws:ec2/networkInterface:NetworkInterface").map((r) => r.inputs.subnetId)`,
        );
        expect(result.urn).toBe(`urn:pulumi:python::consumer::${TOKEN}::fromPython`);
        expect(result.vpcId).toBe(vpc);
        expect(result.kmsKeyArn).toBe(key);
        expect(result.made).toEqual([]);
        expect(result.interfaceSubnets).toEqual(subnets);
    }, 160000);

    test("a fresh copy: `npm install` in provider/ installs the library's dependencies, then the plugin serves the same schema", async () => {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "provider-fresh-"));
        try {
            // The working tree as a fresh clone has it: tracked and new files, nothing ignored (no node_modules, no dist).
            const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
            for (const file of files) {
                const stat = fs.lstatSync(path.join(REPO_ROOT, file), { throwIfNoEntry: false });
                if (stat?.isFile()) {
                    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
                    fs.copyFileSync(path.join(REPO_ROOT, file), path.join(copy, file));
                }
            }
            expect(fs.existsSync(path.join(copy, "node_modules"))).toBe(false);
            const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: path.join(copy, "provider"), encoding: "utf8", timeout: 240000 });
            expect(`${install.status} ${install.stderr.split("\n").filter((l) => /ERR/.test(l)).join("\n")}`).toBe("0 ");
            expect(fs.existsSync(path.join(copy, "node_modules", "@pulumi", "pulumi", "package.json"))).toBe(true);
            const fresh = await schemaOf(copy);
            expect(fresh).toEqual(schema);
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    }, 400000);
});
