/**
 * `npm run sandbox -- apply`: day-2 changes rehearsed on the dev stack's machines, as `pulumi up`
 * would make them, with a writer and a health sampler running (--load). The etcd release is
 * ETCD_TEST_VERSION (default 3.6.14). `down` in afterAll removes every process, namespace, mount,
 * loop device and file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import type { ApplyReport } from "../../sandbox/apply";
import { testEtcdVersion } from "../helpers/etcdBinaries";
import { REPO_ROOT } from "../helpers/repo";
import { testStackFile, TestSandbox } from "../helpers/sandbox";

const STACK = "it-apply";
const version = testEtcdVersion();
let sandbox: TestSandbox;
let tmp: string;
let stackFile: string;

beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-apply-test-"));
    stackFile = testStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml"), tmp);
    sandbox = await TestSandbox.up(STACK, path.join(REPO_ROOT, "Pulumi.dev.yaml"));
}, 20 * 60_000);

afterAll(async () => {
    await sandbox?.down();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 180_000);

/** The test's stack file with some settings changed. */
function changed(name: string, settings: Record<string, unknown>): string {
    const document = YAML.parse(fs.readFileSync(stackFile, "utf8"));
    for (const [key, value] of Object.entries(settings)) document.config[`etcd-cluster:${key}`] = value;
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify(document));
    return file;
}

async function applyWith(file: string, extra: string[] = []): Promise<{ code: number; report: ApplyReport; stderr: string }> {
    const result = await sandbox.cli(["apply", "--config-file", file, ...extra], 20 * 60_000);
    return { code: result.code, report: JSON.parse(result.stdout) as ApplyReport, stderr: result.stderr };
}

const bootIds = async () => Object.fromEntries(((JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ name: string; bootId: string }> }).members).map((m) => [m.name, m.bootId]));
const memberIds = async () => Object.fromEntries((await sandbox.memberList()).map((m) => [m.name, m.id]));

describe(`etcd ${version}: sandbox apply`, () => {
    it("the settings it runs: nothing is replaced and no parameter changes (keys and certificates are kept between plans)", async () => {
        const before = await bootIds();
        const { code, report } = await applyWith(stackFile);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.changes).toEqual({ replace: [], parameters: [] });
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);

    it("a change the day-2 checks refuse stops at the plan, before any member is touched", async () => {
        const before = await bootIds();
        const { code, report, stderr } = await applyWith(changed("five", { memberCount: 5 }));
        expect(code).toBe(1);
        expect(report.failed?.step).toBe("plan");
        expect(report.failed?.message).toContain("Invalid setting memberCount");
        expect(stderr).toContain("apply failed at plan");
        expect(report.steps.map((s) => s.step)).toEqual(["plan"]);
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);

    it("an etcd setting (logLevel) rolls every member, one at a time behind its gate, under load: no acknowledged write lost, quorum held", async () => {
        const ids = await memberIds();
        const before = await bootIds();
        const { code, report } = await applyWith(changed("warn", { logLevel: "warn" }), ["--load"]);
        console.log(`etcd ${version}: apply logLevel ${JSON.stringify({ steps: report.steps, load: report.load && { ...report.load, lost: report.load.lost.length } })}`);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.ok).toBe(true);
        // The program's own order: each instance waits for the previous member's gate.
        expect(report.changes.replace).toEqual(["etcd1", "etcd2", "etcd3"]);
        expect(report.changes.parameters).toEqual([]);
        expect(report.steps.map((s) => `${s.step}${s.member ? ` ${s.member}` : ""}`)).toEqual([
            "plan",
            "parameters",
            "replace etcd1",
            "gate etcd1",
            "replace etcd2",
            "gate etcd2",
            "replace etcd3",
            "gate etcd3",
        ]);

        const load = report.load!;
        expect(load.lost).toEqual([]);
        expect(load.acked).toBeGreaterThan(100);
        expect(load.quorumHeld).toBe(true);
        expect(load.quorumLostSamples).toBe(0);
        expect(load.samples).toBeGreaterThan(10);
        // Every member was down once, while it was replaced, and never two at a time (quorum held).
        for (const m of sandbox.report.members) expect(load.downtimeMs[m.clientUrl]).toBeGreaterThan(0);

        // New instances from the new user data, with their volumes: the same member ids and data.
        const after = await bootIds();
        for (const name of Object.keys(before)) expect(after[name]).not.toBe(before[name]);
        expect(await memberIds()).toEqual(ids);
        for (const m of sandbox.report.members) expect(fs.readFileSync(sandbox.nodeFile(m.name, "/etc/etcd/etcd.new.yaml"), "utf8")).toMatch(/^log-level: warn$/m);
        const health = JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ health?: { healthy: boolean } }> };
        expect(health.members.every((m) => m.health?.healthy)).toBe(true);
    }, 20 * 60_000);

    it("a leader that stops hands its leadership over first (etcd.service ExecStop: etcd-handover)", async () => {
        const status = await sandbox.endpointStatus();
        const leaderUrl = status.find((s) => s.memberId === s.leader)!.endpoint;
        const leader = sandbox.report.members.find((m) => m.clientUrl === leaderUrl)!.name;
        // An instance stop: the machine shuts down through systemd and keeps its root (and journal).
        expect((await sandbox.cli(["stop", leader])).code).toBe(0);
        const others = sandbox.report.members.filter((m) => m.name !== leader).map((m) => m.clientUrl);
        const after = await sandbox.endpointStatus(others);
        expect(after.every((s) => s.leader !== status[0].leader && s.leader !== "0")).toBe(true);
        expect((await sandbox.cli(["start", leader], 5 * 60_000)).code).toBe(0);
        const journal = await sandbox.exec(leader, ["journalctl", "--no-pager", "-o", "cat", "-u", "etcd.service"]);
        expect(journal.stdout).toMatch(new RegExp(`etcd-handover: ${leader}: handed leadership to [0-9a-f]+ \\(https://`));
    }, 10 * 60_000);
});
