import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RENAMED_OUTPUT_FIELDS, SECRET_OUTPUTS, WHOLE_NUMBER_OUTPUT_FIELDS } from "../../components/etcdCluster";
import { EtcdClusterArgs, RENAMED_SETTINGS, SettingKind, STACK_SETTINGS } from "../../config/clusterArgs";
import { TYPE_NAMES, WIDE_WHOLE_NUMBER_SETTINGS } from "../../provider/completeSchema";
import { toolPath } from "../../tools/toolchain";
import { declaredNames, declaredOutputTypes, declaredTypes } from "../helpers/declaredNames";
import { pythonName } from "../helpers/pythonNames";
import { REPO_ROOT } from "../helpers/repo";

// The Go and Python SDKs of the plugin's reviewed schema (provider/schema.json, which the provider
// test holds to what the plugin serves), made by Pulumi's own code generators (pkg/v3 3.248.0, in
// provider/sdkgen; no Pulumi CLI or language host). The Go SDK is compiled and vetted against
// sdk/v3 with a small program that builds an EtcdCluster, ids given as outputs (provider/sdk-check);
// the Python SDK is byte-compiled. Both are checked against the TypeScript component: every
// argument's name and type (from its STACK_SETTINGS kind, and whether EtcdClusterArgs takes a
// pulumi.Input for it), the outputs' and the object types' names and types, and the secrets.

const SCHEMA = path.join(REPO_ROOT, "provider", "schema.json");
const CLUSTER_SOURCE = path.join(REPO_ROOT, "components", "etcdCluster.ts");
const GO_ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin`, GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" };

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { code: number | null; output: string } {
    const r = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

/** What the go command said beyond fetching modules (a fresh module cache prints "go: downloading ..."). */
const goComplaints = (output: string) => output.split("\n").filter((line) => line.trim() !== "" && !/^go: downloading \S+ v\S+$/.test(line));

// ---- What the TypeScript component says each SDK should have ---------------------------------

/** The settings other languages get: every stack setting but the former names (TypeScript and stack files only). */
const SETTINGS = (Object.entries(STACK_SETTINGS) as Array<[keyof EtcdClusterArgs, SettingKind]>).filter(([name]) => !(name in RENAMED_SETTINGS));
const DECLARED_ARGS = declaredTypes(path.join(REPO_ROOT, "config", "clusterArgs.ts"), "EtcdClusterArgs");

/** A setting's kind in the schema: its stack-file kind, except the whole numbers too wide for a 32-bit int. */
type SchemaKind = SettingKind | "number";
const schemaKind = (name: keyof EtcdClusterArgs, kind: SettingKind): SchemaKind => (WIDE_WHOLE_NUMBER_SETTINGS.includes(name) ? "number" : kind);

/** Whether EtcdClusterArgs takes another resource's output for a setting: itself, or each id of a plain list or map. */
type Shape = "plain" | "input" | "list of inputs" | "map of inputs" | "input list of inputs";
function shapeOf(name: string): Shape {
    const declared = DECLARED_ARGS.get(name);
    if (declared === undefined) throw new Error(`${name} is not a property of EtcdClusterArgs`);
    if (declared === "pulumi.Input<string>") return "input";
    if (declared === "pulumi.Input<string>[]") return "list of inputs";
    if (declared === "pulumi.Input<pulumi.Input<string>[]>") return "input list of inputs";
    if (declared === "Record<string, pulumi.Input<string>>") return "map of inputs";
    if (declared.includes("pulumi.Input")) throw new Error(`${name}: ${declared}: say here what each SDK should make of it`);
    return "plain";
}

/** A setting's type in the Go EtcdClusterArgs and in Python's keyword arguments. */
function settingTypes(kind: SchemaKind, shape: Shape): { go: string; python: string } {
    const plain: Record<Exclude<SchemaKind, "secret">, { go: string; python: string }> = {
        integer: { go: "*int", python: "Optional[_builtins.int]" },
        number: { go: "*float64", python: "Optional[_builtins.float]" },
        string: { go: "*string", python: "Optional[_builtins.str]" },
        boolean: { go: "*bool", python: "Optional[_builtins.bool]" },
        list: { go: "[]string", python: "Optional[Sequence[_builtins.str]]" },
        map: { go: "map[string]string", python: "Optional[Mapping[str, _builtins.str]]" },
    };
    const combination = `${kind} ${shape}`;
    switch (combination) {
        case "string input":
        case "secret input":
            return { go: "pulumi.StringPtrInput", python: "pulumi.Input[Optional[_builtins.str]]" };
        case "list list of inputs":
            return { go: "[]pulumi.StringInput", python: "Optional[Sequence[pulumi.Input[_builtins.str]]]" };
        case "list input list of inputs":
            return { go: "pulumi.StringArrayInput", python: "pulumi.Input[Optional[Sequence[pulumi.Input[_builtins.str]]]]" };
        case "map map of inputs":
            return { go: "map[string]pulumi.StringInput", python: "Optional[Mapping[str, pulumi.Input[_builtins.str]]]" };
    }
    if (shape !== "plain" || kind === "secret") throw new Error(`a ${combination}: say here what each SDK should make of it`);
    return plain[kind];
}

/** A TypeScript output type (string, number, T[], Record<string, T>, an interface) as the SDKs spell it. */
type OutputType = { is: "string" | "int" | "float" | "bool" } | { is: "list" | "map"; of: OutputType } | { is: "object"; name: string };
function outputType(declared: string, whole: boolean): OutputType {
    if (declared.endsWith("[]")) return { is: "list", of: outputType(declared.slice(0, -2), whole) };
    const map = /^Record<string, (.+)>$/.exec(declared);
    if (map) return { is: "map", of: outputType(map[1], whole) };
    if (declared === "string") return { is: "string" };
    if (declared === "boolean") return { is: "bool" };
    if (declared === "number") return { is: whole ? "int" : "float" };
    if (/^[A-Z]\w*$/.test(declared)) return { is: "object", name: TYPE_NAMES[declared] ?? declared };
    throw new Error(`an output typed ${declared}: say here how the SDKs spell it`);
}
const GO_SCALARS = { string: "string", int: "int", float: "float64", bool: "bool" };
const GO_OUTPUT_SCALARS = { string: "pulumi.String", int: "pulumi.Int", float: "pulumi.Float64", bool: "pulumi.Bool" };
const PYTHON_SCALARS = { string: "_builtins.str", int: "_builtins.int", float: "_builtins.float", bool: "_builtins.bool" };
/** As a field of a Go struct. */
function goField(t: OutputType): string {
    if (t.is === "list") return `[]${goField(t.of)}`;
    if (t.is === "map") return `map[string]${goField(t.of)}`;
    return t.is === "object" ? t.name : GO_SCALARS[t.is];
}
/** As a field of the Go resource: an Output type. */
function goOutput(t: OutputType): string {
    const element = (e: OutputType) => {
        if (e.is === "list" || e.is === "map") throw new Error("an output of nested lists or maps: say here how Go spells it");
        return e.is === "object" ? e.name : GO_OUTPUT_SCALARS[e.is];
    };
    if (t.is === "list") return `${element(t.of)}ArrayOutput`;
    if (t.is === "map") return `${element(t.of)}MapOutput`;
    return `${element(t)}Output`;
}
/** As Python spells it in outputs.py (wrapped in pulumi.Output[...] on the resource). */
function pythonType(t: OutputType): string {
    if (t.is === "list") return `Sequence[${pythonType(t.of)}]`;
    if (t.is === "map") return `Mapping[str, ${pythonType(t.of)}]`;
    return t.is === "object" ? `'outputs.${t.name}'` : PYTHON_SCALARS[t.is];
}

/** The object types: schema name -> each current field's type, from the TypeScript interface. */
function objectTypes(): Map<string, Map<string, OutputType>> {
    const interfaces = ["ClientCertificate", "MemberInfo", "SizingOutput", "DataVolumeOutput"];
    const formerNames: Record<string, Record<string, string> | undefined> = RENAMED_OUTPUT_FIELDS;
    const wholeFields: Record<string, ReadonlyArray<string> | undefined> = WHOLE_NUMBER_OUTPUT_FIELDS;
    return new Map(
        interfaces.map((name) => {
            const fields = [...declaredTypes(CLUSTER_SOURCE, name)].filter(([field]) => !(field in (formerNames[name] ?? {})));
            return [TYPE_NAMES[name] ?? name, new Map(fields.map(([field, declared]) => [field, outputType(declared, (wholeFields[name] ?? []).includes(field))]))];
        }),
    );
}
const OUTPUTS = new Map([...declaredOutputTypes(CLUSTER_SOURCE, "EtcdCluster")].map(([name, declared]) => [name, outputType(declared, false)]));

const secretSettings = SETTINGS.filter(([, kind]) => kind === "secret").map(([name]) => name).sort();
const sorted = <T>(entries: Iterable<[string, T]>): Array<[string, T]> => [...entries].sort(([a], [b]) => a.localeCompare(b));

// ---- Reading the generated code ----------------------------------------------------------------

/** The body of a top-level Go struct. */
function goStructBody(code: string, name: string): string {
    const body = new RegExp(`^type ${name} struct \\{\\n([\\s\\S]*?)^\\}`, "m").exec(code)?.[1];
    if (!body) throw new Error(`no struct ${name} in the generated Go`);
    return body;
}
/** `Field type \`pulumi:"name"\`` lines of a Go struct: name -> { field, type }. */
function goTaggedStruct(code: string, name: string): Map<string, { field: string; type: string }> {
    return new Map([...goStructBody(code, name).matchAll(/^\s*(\w+)\s+(\S+)\s+`pulumi:"(\w+)"`/gm)].map((m) => [m[3], { field: m[1], type: m[2] }]));
}
/** `Field type` lines of a Go struct without tags: field -> type. */
function goUntaggedStruct(code: string, name: string): Map<string, string> {
    return new Map([...goStructBody(code, name).matchAll(/^\s*(\w+)\s+(\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** The body of a top-level Python class. */
function pythonClass(code: string, name: string): string {
    const body = new RegExp(`^class ${name}\\b.*:\\n([\\s\\S]*?)(?=^class |^@pulumi|(?![\\s\\S]))`, "m").exec(code)?.[1];
    if (!body) throw new Error(`no class ${name} in the generated Python`);
    return body;
}
/** The keyword arguments of the first `def __init__` of a Python class body: name -> annotation. */
function pythonKeywords(classBody: string): Map<string, string> {
    const signature = /def __init__\(__self__,([\s\S]*?)\):\n/.exec(classBody)![1];
    return new Map([...signature.matchAll(/^\s+(\w+): (.+?) = None,?$/gm)].map((m) => [m[1], m[2]]));
}
/** The property getters of a Python class body, other decorators (a deprecation) allowed: Pulumi name -> { python, type }. */
function pythonGetters(classBody: string): Map<string, { python: string; type: string }> {
    const getters = classBody.matchAll(/@pulumi\.getter(?:\(name="(\w+)"\))?\n(?:\s*@.*\n)*\s+def (\w+)\(self\) -> (.+):$/gm);
    return new Map([...getters].map((m) => [m[1] ?? m[2], { python: m[2], type: m[3] }]));
}

let dir: string;
let generated: string;
beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sdks-"));
    generated = path.join(dir, "generated");
    const sdkgen = toolPath("sdkgen");
    const r = run(sdkgen, [SCHEMA, generated], dir);
    if (r.code !== 0) throw new Error(`sdkgen failed: ${r.output}`);
}, 20 * 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("the settings to check are the stack settings but the former names, and a few take outputs", () => {
    expect(SETTINGS.length).toBe(Object.keys(STACK_SETTINGS).length - Object.keys(RENAMED_SETTINGS).length);
    expect(SETTINGS.map(([name]) => name)).not.toContain("dataVolumeThroughputMBps");
    expect(SETTINGS.filter(([name]) => shapeOf(name) !== "plain").length).toBeGreaterThan(10);
});

describe("the Go SDK", () => {
    let code: string;
    let types: string;
    beforeAll(() => {
        code = fs.readFileSync(path.join(generated, "go", "etcd", "etcdCluster.go"), "utf8");
        types = fs.readFileSync(path.join(generated, "go", "etcd", "pulumiTypes.go"), "utf8");
    });

    test("compiles and passes go vet against sdk/v3 at the pinned version, with a program that builds an EtcdCluster with ids given as outputs", () => {
        const module = path.join(dir, "go-module");
        fs.cpSync(path.join(REPO_ROOT, "provider", "sdk-check"), module, { recursive: true });
        fs.cpSync(path.join(generated, "go", "etcd"), path.join(module, "go", "etcd"), { recursive: true });
        // The import path the schema names is the module's path plus go/etcd.
        const schema = JSON.parse(fs.readFileSync(SCHEMA, "utf8"));
        expect(schema.language.go.importBasePath).toBe(`${/^module (\S+)$/m.exec(fs.readFileSync(path.join(module, "go.mod"), "utf8"))![1]}/go/etcd`);
        expect(/pulumi\/pulumi\/sdk\/v3 (v\S+)/.exec(fs.readFileSync(path.join(module, "go.mod"), "utf8"))![1]).toBe(`v${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"]}`);
        // The example gives the VPC and a subnet id as other resources' outputs: the id inputs take them.
        const example = fs.readFileSync(path.join(module, "example", "main.go"), "utf8");
        expect(example).toMatch(/VpcId:\s+network\.GetStringOutput\(/);
        expect(example).toMatch(/SubnetIds:\s+pulumi\.StringArray\{[^}]*network\.GetStringOutput\(/);
        const build = run("go", ["build", "./..."], module, GO_ENV);
        expect(goComplaints(build.output)).toEqual([]);
        expect(build.code).toBe(0);
        const vet = run("go", ["vet", "./..."], module, GO_ENV);
        expect(goComplaints(vet.output)).toEqual([]);
        expect(vet.code).toBe(0);
    }, 20 * 60_000);

    test("EtcdClusterArgs takes every setting, each typed from its kind; the ids as Inputs", () => {
        const wire = goTaggedStruct(code, "etcdClusterArgs");
        expect([...wire.keys()].sort()).toEqual(SETTINGS.map(([name]) => name).sort());
        const args = goUntaggedStruct(code, "EtcdClusterArgs");
        expect([...args.keys()].sort()).toEqual([...wire.values()].map((w) => w.field).sort());
        const actual = SETTINGS.map(([name]) => `${name}: ${args.get(wire.get(name)!.field)}`);
        const expected = SETTINGS.map(([name, kind]) => `${name}: ${settingTypes(schemaKind(name, kind), shapeOf(name)).go}`);
        expect(actual).toEqual(expected);
        expect(args.get("VpcId")).toBe("pulumi.StringPtrInput");
        expect(args.get("SubnetIds")).toBe("pulumi.StringArrayInput");
        expect(args.get("QuotaBackendBytes")).toBe("*float64");
    });

    test("EtcdCluster has every output of the component, typed from its TypeScript type", () => {
        const outputs = goTaggedStruct(code, "EtcdCluster");
        expect([...outputs.keys()].sort()).toEqual(declaredNames(CLUSTER_SOURCE, "EtcdCluster", "outputs"));
        expect(sorted([...outputs].map(([name, o]) => [name, o.type]))).toEqual(sorted([...OUTPUTS].map(([name, t]) => [name, goOutput(t)])));
        expect(outputs.get("members")!.type).toBe("MemberInfoArrayOutput");
        expect(outputs.get("sizing")!.type).toBe("SizingOutput");
    });

    test("the object types have the TypeScript interfaces' fields, typed from them (whole numbers as int)", () => {
        for (const [type, fields] of objectTypes()) {
            const struct = goTaggedStruct(types, type);
            expect(`${type}: ${JSON.stringify(sorted([...struct].map(([name, f]) => [name, f.type])))}`).toBe(
                `${type}: ${JSON.stringify(sorted([...fields].map(([name, t]) => [name, goField(t)])))}`,
            );
        }
        expect(goTaggedStruct(types, "Sizing").get("vcpu")!.type).toBe("int");
    });

    test("keeps the secret outputs and the secret settings secret", () => {
        const secretOutputs = /AdditionalSecretOutputs\(\[\]string\{([^}]*)\}/.exec(code)![1].match(/"(\w+)"/g)!.map((s) => s.slice(1, -1));
        expect(secretOutputs.sort()).toEqual([...SECRET_OUTPUTS].sort());
        const secretInputs = [...code.matchAll(/args\.(\w+) = pulumi\.ToSecret\(/g)].map((m) => m[1].charAt(0).toLowerCase() + m[1].slice(1));
        expect(secretInputs.sort()).toEqual(secretSettings);
    });
});

describe("the Python SDK", () => {
    let code: string;
    let outputs: string;
    beforeAll(() => {
        code = fs.readFileSync(path.join(generated, "python", "pulumi_etcd_cluster", "etcd_cluster.py"), "utf8");
        outputs = fs.readFileSync(path.join(generated, "python", "pulumi_etcd_cluster", "outputs.py"), "utf8");
    });

    test("byte-compiles", () => {
        const compiled = run("python3", ["-m", "compileall", "-q", path.join(generated, "python")], dir);
        expect(compiled.output).toBe("");
        expect(compiled.code).toBe(0);
    });

    test("names every argument as Pulumi's Python generator names its setting, with no one-letter word (the data_volume_throughput_m_bps wart)", () => {
        const args = pythonGetters(pythonClass(code, "EtcdClusterArgs"));
        expect(sorted([...args].map(([name, g]) => [name, g.python]))).toEqual(sorted(SETTINGS.map(([name]) => [name, pythonName(name)])));
        const keywords = [...pythonKeywords(pythonClass(code, "EtcdClusterArgs")).keys()];
        const oneLetterWords = [...args.values()].map((g) => g.python).concat(keywords).filter((python) => python.split("_").some((word) => word.length === 1));
        expect(oneLetterWords).toEqual([]);
    });

    test("EtcdClusterArgs and EtcdCluster take every setting as a keyword argument, each typed from its kind; the ids as pulumi.Input", () => {
        const expected = SETTINGS.map(([name, kind]) => `${pythonName(name)}: ${settingTypes(schemaKind(name, kind), shapeOf(name)).python}`).sort();
        const args = pythonKeywords(pythonClass(code, "EtcdClusterArgs"));
        expect([...args].map(([python, type]) => `${python}: ${type}`).sort()).toEqual(expected);
        // The resource's own keyword arguments (after resource_name and opts) are the same.
        const resource = pythonKeywords(pythonClass(code, "EtcdCluster"));
        expect(resource.get("opts")).toBe("Optional[pulumi.ResourceOptions]");
        resource.delete("opts");
        expect([...resource].map(([python, type]) => `${python}: ${type}`).sort()).toEqual(expected);
        expect(args.get("vpc_id")).toBe("pulumi.Input[Optional[_builtins.str]]");
        expect(args.get("subnet_ids")).toBe("pulumi.Input[Optional[Sequence[pulumi.Input[_builtins.str]]]]");
        expect(args.get("quota_backend_bytes")).toBe("Optional[_builtins.float]");
    });

    test("EtcdCluster has every output of the component, under the generator's Python names, typed from its TypeScript type", () => {
        const getters = pythonGetters(pythonClass(code, "EtcdCluster"));
        expect(sorted([...getters].map(([name, g]) => [name, `${g.python}: ${g.type}`]))).toEqual(
            sorted([...OUTPUTS].map(([name, t]) => [name, `${pythonName(name)}: pulumi.Output[${pythonType(t)}]`])),
        );
        expect([...getters.keys()].sort()).toEqual(declaredNames(CLUSTER_SOURCE, "EtcdCluster", "outputs"));
    });

    test("the object types have the TypeScript interfaces' fields, under clean Python names, typed from them (whole numbers as int)", () => {
        for (const [type, fields] of objectTypes()) {
            const getters = pythonGetters(pythonClass(outputs, type));
            expect(`${type}: ${JSON.stringify(sorted([...getters].map(([name, g]) => [name, `${g.python}: ${g.type}`])))}`).toBe(
                `${type}: ${JSON.stringify(sorted([...fields].map(([name, t]) => [name, `${pythonName(name)}: ${pythonType(t)}`])))}`,
            );
        }
        expect(pythonGetters(pythonClass(outputs, "DataVolume")).get("throughputMbps")!.python).toBe("throughput_mbps");
        expect(outputs).not.toMatch(/throughput_m_bps/);
    });

    test("keeps the secret outputs and the secret settings secret", () => {
        const secretOutputs = /additional_secret_outputs=\[([^\]]*)\]/.exec(code)![1].match(/"(\w+)"/g)!.map((s) => s.slice(1, -1));
        expect(secretOutputs.sort()).toEqual([...SECRET_OUTPUTS].sort());
        const secretInputs = [...code.matchAll(/__props__\.__dict__\["(\w+)"\] = None if (\w+) is None else pulumi\.Output\.secret\(\2\)/g)].map((m) => m[1]);
        expect(secretInputs.sort()).toEqual(secretSettings.map(pythonName).sort());
    });
});
