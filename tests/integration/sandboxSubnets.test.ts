/**
 * `sandbox apply` with subnetIds changed around the running members (tests/fixtures/
 * Pulumi.sandboxSubnets.yaml: three members in subnets the user brings): reordered or extended,
 * nobody moves, under load; a subnet that still holds a member may not leave the list, and the
 * refusal touches nothing; memberSubnets moves one member per update, under load: within its zone
 * with its volume (its peer URL updated), and to another zone with a new, empty volume (it rejoins
 * as a learner). The mock's zones (tools/mockRuntime.ts: the id's last hex digit): the members run
 * in ...0001 (zone b), ...0002 (c) and ...0003 (a); ...0009 is in zone a too.
 * `down` in afterAll removes every process, namespace, mount and file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
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

function withSubnets(name: string, subnetIds: string[], memberSubnets?: Record<string, string>): string {
    const document = YAML.parse(fs.readFileSync(stackFile, "utf8"));
    document.config["etcd-cluster:subnetIds"] = subnetIds;
    if (memberSubnets) document.config["etcd-cluster:memberSubnets"] = memberSubnets;
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify(document));
    return file;
}

const applyWith = (file: string, extra: string[] = []) => sandbox.apply(file, extra);

const bootIds = async () => Object.fromEntries(((JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ name: string; bootId: string }> }).members).map((m) => [m.name, m.bootId]));
const nothing = { replace: [], update: [], create: [], remove: [], move: [], parameters: [] };
/** In zone a, as etcd3's subnet ...0003 is. */
const ALSO_ZONE_A = "subnet-0a1b2c3d4e5f60009";
/** etcd3 moved out of ...0003 (which then leaves the list). */
const RETIRED = [SUBNETS[0], SUBNETS[1], ALSO_ZONE_A];

/** Each member as `status` sees it: its address, its machine's boot, its own health check. */
async function status(): Promise<Array<{ name: string; ip: string; bootId: string; health: { healthy: boolean } }>> {
    return (JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ name: string; ip: string; bootId: string; health: { healthy: boolean } }> }).members;
}

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
        expect(report.failed?.message).toContain("with memberSubnets");
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);

    it("two members moved at once: refused at the plan, nothing touched", async () => {
        const before = await bootIds();
        const { code, report } = await applyWith(withSubnets("two-moves", [...SUBNETS, ALSO_ZONE_A], { etcd1: ALSO_ZONE_A, etcd2: ALSO_ZONE_A }));
        expect(code).toBe(1);
        expect(report.failed?.message).toContain("Invalid setting memberSubnets");
        expect(report.failed?.message).toContain("moves 2 running members at once");
        expect(report.steps.map((s) => s.step)).toEqual(["plan"]);
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);

    it("memberSubnets moves etcd3 within its zone, out of a subnet that leaves the list, under load: a new address, its data kept, its peer URL updated; nobody else moves", async () => {
        const listBefore = await sandbox.memberList();
        const statusBefore = await status();
        const { code, report } = await applyWith(withSubnets("move-same-zone", RETIRED, { etcd3: ALSO_ZONE_A }), ["--load"]);
        console.log(`etcd ${version}: apply move within a zone ${JSON.stringify({ steps: report.steps, load: report.load && { ...report.load, lost: report.load.lost.length } })}`);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.changes.move).toEqual(["etcd3"]);
        expect(report.changes.replace).toEqual([]);
        expect(report.changes.create).toEqual([]);
        expect(report.load!.lost).toEqual([]);
        expect(report.load!.quorumHeld).toBe(true);
        expect(report.steps.filter((s) => s.step === "move" || s.step === "gate").map((s) => `${s.step} ${s.member}`)).toEqual(["move etcd3", "gate etcd3"]);

        const statusAfter = await status();
        const ipOf = (list: typeof statusAfter, name: string) => list.find((m) => m.name === name)!.ip;
        expect(ipOf(statusAfter, "etcd3")).not.toBe(ipOf(statusBefore, "etcd3"));
        for (const other of ["etcd1", "etcd2"]) expect(ipOf(statusAfter, other)).toBe(ipOf(statusBefore, other));
        expect(statusAfter.filter((m) => m.name !== "etcd3").map((m) => m.bootId)).toEqual(statusBefore.filter((m) => m.name !== "etcd3").map((m) => m.bootId));
        expect(statusAfter.every((m) => m.health.healthy)).toBe(true);

        // The same member id (it kept its data), at its new address, a voter.
        const etcd3 = (await sandbox.memberList()).find((m) => m.name === "etcd3")!;
        expect(etcd3.id).toBe(listBefore.find((m) => m.name === "etcd3")!.id);
        expect(etcd3.peerUrl).toBe(`https://${ipOf(statusAfter, "etcd3")}:2380`);
        expect(etcd3.learner).toBe("false");
        expect(await sandbox.machineLog("etcd3")).toContain(`updating it to https://${ipOf(statusAfter, "etcd3")}:2380 (this member moved)`);
    }, 10 * 60_000);

    it("memberSubnets moves etcd1 into etcd2's subnet in another zone, under load: a new, empty volume, it rejoins as a learner and is promoted, etcd2 keeps its address; the pins kept afterwards move nobody", async () => {
        const listBefore = await sandbox.memberList();
        const statusBefore = await status();
        const file = withSubnets("move-zone", RETIRED, { etcd3: ALSO_ZONE_A, etcd1: SUBNETS[1] });
        const { code, report } = await applyWith(file, ["--load"]);
        console.log(`etcd ${version}: apply move to another zone ${JSON.stringify({ steps: report.steps, load: report.load && { ...report.load, lost: report.load.lost.length } })}`);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.changes.move).toEqual(["etcd1"]);
        expect(report.load!.lost).toEqual([]);
        expect(report.load!.quorumHeld).toBe(true);

        const statusAfter = await status();
        const ipOf = (list: typeof statusAfter, name: string) => list.find((m) => m.name === name)!.ip;
        // A free address of etcd2's subnet: etcd2's own stays.
        expect(ipOf(statusAfter, "etcd1").split(".").slice(0, 3)).toEqual(ipOf(statusBefore, "etcd2").split(".").slice(0, 3));
        expect(ipOf(statusAfter, "etcd2")).toBe(ipOf(statusBefore, "etcd2"));
        expect(statusAfter.every((m) => m.health.healthy)).toBe(true);

        const listAfter = await sandbox.memberList();
        const etcd1 = listAfter.find((m) => m.name === "etcd1")!;
        // A new member id: the old entry was removed as stale and the member added again.
        expect(etcd1.id).not.toBe(listBefore.find((m) => m.name === "etcd1")!.id);
        expect(etcd1.peerUrl).toBe(`https://${ipOf(statusAfter, "etcd1")}:2380`);
        expect(etcd1.learner).toBe("false");
        expect(listAfter.map((m) => m.name).sort()).toEqual(["etcd1", "etcd2", "etcd3"]);
        const journal = await sandbox.machineLog("etcd1");
        expect(journal).toContain("removing stale member entry");
        expect(journal).toContain("adding this member as a learner");

        const before = await bootIds();
        const again = await applyWith(file);
        expect(again.code).toBe(0);
        expect(again.report.changes).toEqual(nothing);
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);
});
