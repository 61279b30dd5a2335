import * as pulumi from "@pulumi/pulumi";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import { ConfigError } from "../../config/errors";
import { resolveSettings } from "../../config/settings";
import { decideSizing, sizingWithWarnings } from "../../config/sizingDecision";
import { REPO_ROOT } from "../helpers/repo";

// The model (config/) is pure: what it needs at run time is itself and plain libraries, never
// Pulumi's runtime, the AWS wiring or the file system.

const CONFIG_DIR = join(REPO_ROOT, "config");
const modelFiles = readdirSync(CONFIG_DIR).filter((f) => f.endsWith(".ts"));

/** The modules a file requires once compiled: type-only imports are gone by then. */
function runtimeImports(file: string): string[] {
    const js = ts.transpileModule(readFileSync(join(CONFIG_DIR, file), "utf8"), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    return [...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
}

describe("the model", () => {
    test("has files to check", () => {
        expect(modelFiles).toEqual(expect.arrayContaining(["settings.ts", "clusterArgs.ts", "errors.ts", "contract.ts", "sizingDecision.ts"]));
    });

    test.each(modelFiles)("%s needs neither Pulumi nor anything outside config/ at run time", (file) => {
        const imports = runtimeImports(file);
        expect(imports.filter((m) => m.startsWith("@pulumi/") || m.startsWith("node:") || m === "fs" || m === "child_process")).toEqual([]);
        expect(imports.filter((m) => m.startsWith(".") && !m.startsWith("./"))).toEqual([]);
    });

    test("the check sees a runtime import when there is one (the test can fail)", () => {
        const js = ts.transpileModule('import * as pulumi from "@pulumi/pulumi";\nexport const x = pulumi.output(1);\n', { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
        expect(js).toContain('require("@pulumi/pulumi")');
    });
});

describe("ConfigError", () => {
    const error = new ConfigError("memberCount", 4, "Use 3, 5 or 7.");

    test("is recognised by Pulumi as a run error, so `pulumi up` prints its message without a stack", () => {
        expect(pulumi.RunError.isInstance(error)).toBe(true);
        expect(error).toBeInstanceOf(Error);
        expect(error.message).toBe("Invalid setting memberCount: got 4. Use 3, 5 or 7.");
    });

    test("names an output or a promise as such, and never dumps it", () => {
        expect(new ConfigError("vpcId", pulumi.output("vpc-1"), "Fix.").message).toBe("Invalid setting vpcId: got another resource's output. Fix.");
        expect(new ConfigError("vpcId", Promise.resolve("vpc-1"), "Fix.").message).toBe("Invalid setting vpcId: got another resource's output. Fix.");
        expect(new ConfigError("x", { a: 1 }, "Fix.").message).toBe('Invalid setting x: got {"a":1}. Fix.');
    });
});

describe("the model is made once and only read", () => {
    test("the resolved settings are frozen, and the caller's own args are not", () => {
        const args = { tags: { team: "platform" }, clientNames: ["kube-apiserver"], clientCidrs: ["10.0.0.0/16"], keeperEnabled: true, instanceFamily: "m7i", allowNoAlarmTopic: true };
        const settings = resolveSettings(args);
        expect(Object.isFrozen(settings)).toBe(true);
        expect(Object.isFrozen(settings.pki)).toBe(true);
        expect(Object.isFrozen(settings.pki.clientNames)).toBe(true);
        expect(Object.isFrozen(settings.tags)).toBe(true);
        expect(() => (settings.pki.clientNames as string[]).push("intruder")).toThrow(TypeError);
        expect(() => ((settings.etcd as { logLevel: string }).logLevel = "debug")).toThrow(TypeError);
        // The UI's certificate is added to the model's list, not to the caller's.
        expect(settings.pki.clientNames).toEqual(["kube-apiserver", "etcdkeeper"]);
        expect(args.clientNames).toEqual(["kube-apiserver"]);
        for (const own of [args, args.tags, args.clientNames, args.clientCidrs]) expect(Object.isFrozen(own)).toBe(false);
    });
});

describe("warnings are the model's words, logged by the component", () => {
    test("an explicit instance type below etcd's guidance is allowed, and said", () => {
        const { decision, warnings } = sizingWithWarnings({ kubernetesNodeCount: 800, instanceType: "m7g.xlarge", dataVolumeIops: 3000, dataVolumeThroughputMBps: 125 });
        expect(decision.instanceType).toBe("m7g.xlarge");
        expect(warnings).toEqual(["instanceType m7g.xlarge (4 vCPU, 16 GiB) is below etcd's guidance of 8 vCPU / 32 GiB for this cluster size."]);
        expect(decideSizing({ kubernetesNodeCount: 800, instanceType: "m7g.xlarge", dataVolumeIops: 3000, dataVolumeThroughputMBps: 125 })).toEqual(decision);
    });

    test("the table's own choice warns of nothing", () => {
        expect(resolveSettings({ kubernetesNodeCount: 800, allowNoAlarmTopic: true }).warnings).toEqual([]);
        expect(resolveSettings({ kubernetesNodeCount: 800, instanceType: "m7g.xlarge", dataVolumeIops: 3000, dataVolumeThroughputMBps: 125, allowNoAlarmTopic: true }).warnings).toHaveLength(1);
    });

    test("dataVolumeThroughputMbps, or its former name dataVolumeThroughputMBps, sets the volume's throughput; both together are refused", () => {
        const now = decideSizing({ kubernetesNodeCount: 100, dataVolumeThroughputMbps: 400 });
        expect(now.volume.throughputMBps).toBe(400);
        expect(decideSizing({ kubernetesNodeCount: 100, dataVolumeThroughputMBps: 400 })).toEqual(now);
        expect(() => decideSizing({ kubernetesNodeCount: 100, dataVolumeThroughputMbps: 400, dataVolumeThroughputMBps: 400 })).toThrow(
            "Invalid setting dataVolumeThroughputMBps: got 400. It is the former name of dataVolumeThroughputMbps, which is set too: keep only dataVolumeThroughputMbps.",
        );
    });

    test("a renewal window shorter than two weekly deploys is allowed, and said", () => {
        expect(resolveSettings({ certEarlyRenewalHours: 168, allowNoAlarmTopic: true }).warnings).toEqual([
            "certEarlyRenewalHours is 168: certificates renew only at a pulumi up inside that window, and the scheduled deploy (.github/workflows/deploy.yml) runs weekly, so a window under two weeks (336) can close before the next run. Raise it, or deploy more often.",
        ]);
        expect(resolveSettings({ certEarlyRenewalHours: 336, allowNoAlarmTopic: true }).warnings).toEqual([]);
    });

    test("an own build from an own mirror is allowed and said; from the default mirror it is refused", () => {
        const sha = "a".repeat(64);
        expect(resolveSettings({ etcdMirrorUrl: "https://artifacts.example.com/etcd", etcdSha256: sha, allowNoAlarmTopic: true }).warnings).toEqual([
            "etcdSha256 is not the published checksum of etcd-v3.6.14-linux-arm64.tar.gz: members install your own build from https://artifacts.example.com/etcd, checked against that sha256.",
        ]);
        expect(() => resolveSettings({ etcdMirrorUrl: "https://github.com/etcd-io/etcd/releases/download", etcdSha256: sha })).toThrow(/tampered mirror/);
        expect(() => resolveSettings({ etcdSha256: sha })).toThrow(/tampered mirror/);
    });
});
