import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRET_OUTPUTS } from "../../components/etcdCluster";
import { STACK_SETTINGS } from "../../config/clusterArgs";
import { toolPath } from "../../tools/toolchain";
import { declaredNames } from "../helpers/declaredNames";
import { REPO_ROOT } from "../helpers/repo";

// The Go and Python SDKs of the plugin's reviewed schema (provider/schema.json, which the provider
// test holds to what the plugin serves), made by Pulumi's own code generators (pkg/v3 3.248.0, in
// provider/sdkgen; no Pulumi CLI or language host). The Go SDK is compiled and vetted against
// sdk/v3 with a small program that builds an EtcdCluster (provider/sdk-check); the Python SDK is
// byte-compiled. Both are checked against the TypeScript component: the same argument and output
// names, whole numbers as integers, and the same secrets.

const SCHEMA = path.join(REPO_ROOT, "provider", "schema.json");
const GO_ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin`, GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" };

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { code: number | null; output: string } {
    const r = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

/** What the go command said beyond fetching modules (a fresh module cache prints "go: downloading ..."). */
const goComplaints = (output: string) => output.split("\n").filter((line) => line.trim() !== "" && !/^go: downloading \S+ v\S+$/.test(line));


/** `Field *type \`pulumi:"name"\`` lines of one Go struct: name -> Go type. */
function goStruct(code: string, name: string): Map<string, string> {
    const body = new RegExp(`^type ${name} struct \\{\\n([\\s\\S]*?)^\\}`, "m").exec(code)?.[1];
    if (!body) throw new Error(`no struct ${name} in the generated Go`);
    return new Map([...body.matchAll(/^\s*\w+\s+(\S+)\s+`pulumi:"(\w+)"`/gm)].map((m) => [m[2], m[1]]));
}

const integerSettings = Object.entries(STACK_SETTINGS).filter(([, kind]) => kind === "integer").map(([name]) => name).sort();
const secretSettings = Object.entries(STACK_SETTINGS).filter(([, kind]) => kind === "secret").map(([name]) => name).sort();

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

describe("the Go SDK", () => {
    let code: string;
    beforeAll(() => {
        code = fs.readFileSync(path.join(generated, "go", "etcd", "etcdCluster.go"), "utf8");
    });

    test("compiles and passes go vet against sdk/v3 at the pinned version, with a program that builds an EtcdCluster", () => {
        const module = path.join(dir, "go-module");
        fs.cpSync(path.join(REPO_ROOT, "provider", "sdk-check"), module, { recursive: true });
        fs.cpSync(path.join(generated, "go", "etcd"), path.join(module, "go", "etcd"), { recursive: true });
        // The import path the schema names is the module's path plus go/etcd.
        const schema = JSON.parse(fs.readFileSync(SCHEMA, "utf8"));
        expect(schema.language.go.importBasePath).toBe(`${/^module (\S+)$/m.exec(fs.readFileSync(path.join(module, "go.mod"), "utf8"))![1]}/go/etcd`);
        expect(/pulumi\/pulumi\/sdk\/v3 (v\S+)/.exec(fs.readFileSync(path.join(module, "go.mod"), "utf8"))![1]).toBe(`v${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"]}`);
        const build = run("go", ["build", "./..."], module, GO_ENV);
        expect(goComplaints(build.output)).toEqual([]);
        expect(build.code).toBe(0);
        const vet = run("go", ["vet", "./..."], module, GO_ENV);
        expect(goComplaints(vet.output)).toEqual([]);
        expect(vet.code).toBe(0);
    }, 20 * 60_000);

    test("takes every setting of EtcdClusterArgs, whole numbers as int", () => {
        const args = goStruct(code, "etcdClusterArgs");
        expect([...args.keys()].sort()).toEqual(Object.keys(STACK_SETTINGS).sort());
        expect(integerSettings.length).toBeGreaterThan(10);
        expect(integerSettings.filter((name) => args.get(name) !== "*int")).toEqual([]);
        expect([...args].filter(([, type]) => /float/.test(type))).toEqual([]);
    });

    test("has every output of the component, and keeps the secret ones and the secret settings secret", () => {
        const outputs = goStruct(code, "EtcdCluster");
        expect([...outputs.keys()].sort()).toEqual(declaredNames(path.join(REPO_ROOT, "components", "etcdCluster.ts"), "EtcdCluster", "outputs"));
        expect(outputs.get("members")).toBe("MemberInfoArrayOutput");
        expect(outputs.get("sizing")).toBe("SizingOutput");
        const secretOutputs = /AdditionalSecretOutputs\(\[\]string\{([^}]*)\}/.exec(code)![1].match(/"(\w+)"/g)!.map((s) => s.slice(1, -1));
        expect(secretOutputs.sort()).toEqual([...SECRET_OUTPUTS].sort());
        const secretInputs = [...code.matchAll(/args\.(\w+) = pulumi\.ToSecret\(/g)].map((m) => m[1].charAt(0).toLowerCase() + m[1].slice(1));
        expect(secretInputs.sort()).toEqual(secretSettings);
    });
});

describe("the Python SDK", () => {
    let code: string;
    beforeAll(() => {
        code = fs.readFileSync(path.join(generated, "python", "pulumi_etcd_cluster", "etcd_cluster.py"), "utf8");
    });

    test("byte-compiles", () => {
        const compiled = run("python3", ["-m", "compileall", "-q", path.join(generated, "python")], dir);
        expect(compiled.output).toBe("");
        expect(compiled.code).toBe(0);
    });

    test("takes every setting as a keyword argument, whole numbers as int, and keeps the secret outputs secret", () => {
        const init = /class EtcdClusterArgs:\n\s+def __init__\(__self__, \*,\n([\s\S]*?)\):/.exec(code)![1];
        // name: Optional[type] = None, or pulumi.Input[Optional[type]] = None for the ids (they take outputs).
        const params = new Map([...init.matchAll(/^\s+(\w+): (.+?) = None,?$/gm)].map((m) => [m[1], m[2].replace(/^pulumi\.Input\[(.*)\]$/, "$1").replace(/^Optional\[(.*)\]$/, "$1")]));
        expect(params.size).toBe(Object.keys(STACK_SETTINGS).length);
        expect(params.get("kubernetes_node_count")).toBe("_builtins.int");
        expect(params.get("member_count")).toBe("_builtins.int");
        expect(params.get("vpc_id")).toBe("_builtins.str");
        // The setting renamed so that Python's name is clean; the former name stays, deprecated.
        expect(params.get("data_volume_throughput_mbps")).toBe("_builtins.int");
        expect(code).toMatch(/data_volume_throughput_m_bps is deprecated: Use dataVolumeThroughputMbps: this is its former name\./);
        expect([...params].filter(([, type]) => /float/.test(type))).toEqual([]);
        const secretOutputs = /additional_secret_outputs=\[([^\]]*)\]/.exec(code)![1].match(/"(\w+)"/g)!.map((s) => s.slice(1, -1));
        expect(secretOutputs.sort()).toEqual([...SECRET_OUTPUTS].sort());
    });

    test("reads the sizing output's volume under clean names; the former one is deprecated", () => {
        const outputs = fs.readFileSync(path.join(generated, "python", "pulumi_etcd_cluster", "outputs.py"), "utf8");
        const dataVolume = /^class DataVolume\(dict\):\n([\s\S]*?)(?=^class |(?![\s\S]))/m.exec(outputs)![1];
        const properties = [...dataVolume.matchAll(/^    def (\w+)\(self\) -> (\S+):$/gm)].map((m) => `${m[1]}: ${m[2]}`);
        expect(properties.sort()).toEqual(["iops: _builtins.int", "size_gb: _builtins.int", "throughput_m_bps: _builtins.int", "throughput_mbps: _builtins.int", "type: _builtins.str"]);
        expect(dataVolume).toMatch(/@_utilities\.deprecated\("""Use throughputMbps: this is its former name\."""\)\n\s+def throughput_m_bps\(/);
    });
});
