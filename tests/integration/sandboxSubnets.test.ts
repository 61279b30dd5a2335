/**
 * `sandbox apply` with subnetIds changed around the running members (tests/fixtures/
 * Pulumi.sandboxSubnets.yaml: three members in subnets the user brings): reordered or extended,
 * nobody moves, under load; a subnet that still holds a member may not leave the list, and the
 * refusal touches nothing. `down` in afterAll removes every process, namespace, mount and file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import type { ApplyReport } from "../../sandbox/apply";
import { testEtcdVersion } from "../helpers/etcdBinaries";
import { REPO_ROOT } from "../helpers/repo";
import { testStackFile, TestSandbox } from "../helpers/sandbox";

const STACK = "it-subnets";
const BASE = path.join(REPO_ROOT, "tests/fixtures/Pulumi.sandboxSubnets.yaml");
const SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"];
const version = testEtcdVersion();
let sandbox: TestSandbox;
let tmp: string;
let stackFile: string;

beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-subnets-test-"));
    stackFile = testStackFile(BASE, tmp);
    sandbox = await TestSandbox.up(STACK, BASE);
}, 20 * 60_000);

afterAll(async () => {
    await sandbox?.down();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 180_000);

function withSubnets(name: string, subnetIds: string[]): string {
    const document = YAML.parse(fs.readFileSync(stackFile, "utf8"));
    document.config["etcd-cluster:subnetIds"] = subnetIds;
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify(document));
    return file;
}

async function applyWith(file: string, extra: string[] = []): Promise<{ code: number; report: ApplyReport }> {
    const result = await sandbox.cli(["apply", "--config-file", file, ...extra], 20 * 60_000);
    return { code: result.code, report: JSON.parse(result.stdout) as ApplyReport };
}

const bootIds = async () => Object.fromEntries(((JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ name: string; bootId: string }> }).members).map((m) => [m.name, m.bootId]));
const nothing = { replace: [], update: [], create: [], remove: [], parameters: [] };

describe(`etcd ${version}: subnetIds around a running cluster`, () => {
    it("reordered, under load: no member moves, no parameter changes, no instance is touched", async () => {
        const before = await bootIds();
        const { code, report } = await applyWith(withSubnets("reordered", [SUBNETS[2], SUBNETS[0], SUBNETS[1]]), ["--load"]);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.ok).toBe(true);
        expect(report.changes).toEqual(nothing);
        expect(report.load!.lost).toEqual([]);
        expect(report.load!.quorumHeld).toBe(true);
        expect(Object.values(report.load!.downtimeMs).every((ms) => ms === 0)).toBe(true);
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);

    it("extended with a subnet in front: nobody moves", async () => {
        const before = await bootIds();
        const { code, report } = await applyWith(withSubnets("extended", ["subnet-0a1b2c3d4e5f60009", ...SUBNETS]));
        expect(code).toBe(0);
        expect(report.changes).toEqual(nothing);
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);

    it("a subnet that still holds a member leaves the list: refused at the plan, nothing touched", async () => {
        const before = await bootIds();
        const { code, report } = await applyWith(withSubnets("shrunk", SUBNETS.slice(0, 2)));
        expect(code).toBe(1);
        expect(report.failed?.step).toBe("plan");
        expect(report.failed?.message).toContain("Invalid setting subnetIds");
        expect(report.failed?.message).toContain(`etcd3 runs in ${SUBNETS[2]}, which subnetIds no longer lists`);
        expect(report.steps.map((s) => s.step)).toEqual(["plan"]);
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);
});
