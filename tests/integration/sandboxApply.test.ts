/**
 * `npm run sandbox -- apply`: day-2 changes rehearsed on the dev stack's machines, as `pulumi up`
 * would make them, with a writer and a health sampler running (--load). The etcd release is
 * ETCD_TEST_VERSION (default 3.6.14). `down` in afterAll removes every process, namespace, mount,
 * loop device and file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ApplyReport } from "../../sandbox/apply";
import { testEtcdVersion } from "../helpers/etcdBinaries";
import { REPO_ROOT } from "../helpers/repo";
import { changedStackFile, testStackFile, TestSandbox } from "../helpers/sandbox";

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
const changed = (name: string, settings: Record<string, unknown>) => changedStackFile(stackFile, tmp, name, settings);

const applyWith = (file: string, extra: string[] = []) => sandbox.apply(file, extra);

const bootIds = async () => Object.fromEntries(((JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ name: string; bootId: string }> }).members).map((m) => [m.name, m.bootId]));
const memberIds = async () => Object.fromEntries((await sandbox.memberList()).map((m) => [m.name, m.id]));

describe(`etcd ${version}: sandbox apply`, () => {
    it("the settings it runs: nothing is replaced and no parameter changes (keys and certificates are kept between plans)", async () => {
        const before = await bootIds();
        const { code, report } = await applyWith(stackFile);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.changes).toEqual({ replace: [], update: [], create: [], remove: [], move: [], parameters: [] });
        expect(await bootIds()).toEqual(before);
    }, 10 * 60_000);

    it("a change the day-2 checks refuse stops at the plan, before any member is touched", async () => {
        const before = await bootIds();
        // Scaling without gates: nothing would wait for a new member's promotion.
        const { code, report, stderr } = await applyWith(changed("five-ungated", { memberCount: 5, healthGate: "off" }));
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

    it("memberCount 3 -> 5 -> 7 -> 3 under load: members join one at a time as learners and leave one at a time, the last first, through member remove; the members that stay are not touched", async () => {
        const three = ["etcd1", "etcd2", "etcd3"];
        const before = await bootIds();
        const ids = await memberIds();
        const stepsOf = (report: ApplyReport) => report.steps.map((s) => `${s.step}${s.member ? ` ${s.member}` : ""}`);
        // What runs now has logLevel warn (the roll above): only the count changes.
        const scaleTo = async (count: number) => {
            const result = await applyWith(changed(`count-${count}`, { logLevel: "warn", memberCount: count }), ["--load"]);
            const load = result.report.load;
            console.log(`etcd ${version}: apply memberCount -> ${count} ${JSON.stringify({ steps: result.report.steps, load: load && { ...load, lost: load.lost.length } })}`);
            expect(result.report.failed).toBeUndefined();
            expect(result.code).toBe(0);
            expect(result.report.ok).toBe(true);
            expect(result.report.changes.replace).toEqual([]);
            expect(load!.lost).toEqual([]);
            expect(load!.quorumHeld).toBe(true);
            return result.report;
        };
        const voters = async () => {
            const list = await sandbox.memberList();
            expect(list.every((m) => m.status === "started" && m.learner === "false")).toBe(true);
            return list.map((m) => m.name).sort();
        };

        const five = await scaleTo(5);
        expect(five.changes.create).toEqual(["etcd4", "etcd5"]);
        // The roster is the one parameter that changes besides the new members' own certificates.
        const others = five.changes.parameters.filter((p) => !/\/members\/etcd[45]\//.test(p));
        expect(others).toHaveLength(1);
        expect(others[0]).toMatch(/\/cluster\/members$/);
        expect(stepsOf(five)).toEqual(["plan", "parameters", "create etcd4", "gate etcd4", "create etcd5", "gate etcd5"]);
        expect(await voters()).toEqual([...three, "etcd4", "etcd5"]);
        // Each joined as a learner and was promoted by its own bootstrap.
        for (const name of ["etcd4", "etcd5"]) {
            const log = (await sandbox.exec(name, ["journalctl", "--no-pager", "-o", "cat", "-u", "etcd-bootstrap.service"])).stdout;
            expect(log).toContain("adding this member as a learner");
            expect(log).toContain("promoted from learner to voting member");
        }

        const seven = await scaleTo(7);
        expect(seven.changes.create).toEqual(["etcd6", "etcd7"]);
        expect(stepsOf(seven)).toEqual(["plan", "parameters", "create etcd6", "gate etcd6", "create etcd7", "gate etcd7"]);
        expect(await voters()).toEqual([...three, "etcd4", "etcd5", "etcd6", "etcd7"]);
        const grown = await bootIds();
        for (const name of three) expect(grown[name]).toBe(before[name]);

        const back = await scaleTo(3);
        expect(back.changes).toMatchObject({ create: [], remove: ["etcd7", "etcd6", "etcd5", "etcd4"] });
        expect(stepsOf(back)).toEqual(["plan", "parameters", ...["etcd7", "etcd6", "etcd5", "etcd4"].flatMap((m) => [`leave ${m}`, `delete ${m}`])]);
        expect(await voters()).toEqual(three);
        expect(await memberIds()).toEqual(ids);
        const after = await bootIds();
        expect(Object.keys(after).sort()).toEqual(three);
        for (const name of three) expect(after[name]).toBe(before[name]);
        const health = JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ health?: { healthy: boolean } }> };
        expect(health.members.every((m) => m.health?.healthy)).toBe(true);
    }, 25 * 60_000);

    it("an instance type (m7g.large -> m7g.xlarge) is changed in place, one member at a time: stopped, changed and started behind its gate, under load", async () => {
        const ids = await memberIds();
        const before = await bootIds();
        const { code, report } = await applyWith(changed("xlarge", { logLevel: "warn", instanceType: "m7g.xlarge" }), ["--load"]);
        console.log(`etcd ${version}: apply instanceType ${JSON.stringify({ steps: report.steps, load: report.load && { ...report.load, lost: report.load.lost.length } })}`);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.ok).toBe(true);
        expect(report.changes).toMatchObject({ replace: [], update: ["etcd1", "etcd2", "etcd3"], create: [], remove: [] });
        expect(report.steps.map((s) => `${s.step}${s.member ? ` ${s.member}` : ""}`)).toEqual(["plan", "parameters", ...["etcd1", "etcd2", "etcd3"].flatMap((m) => [`update ${m}`, `gate ${m}`])]);
        expect(report.load!.lost).toEqual([]);
        expect(report.load!.quorumHeld).toBe(true);
        // The same instances, booted again (a stop and start): same member ids and data.
        const after = await bootIds();
        for (const name of Object.keys(before)) expect(after[name]).not.toBe(before[name]);
        expect(await memberIds()).toEqual(ids);
    }, 20 * 60_000);

    it("an AMI (amiId set, so the program follows it) replaces every member, one at a time behind its gate, under load", async () => {
        const ids = await memberIds();
        const { code, report } = await applyWith(changed("ami", { logLevel: "warn", instanceType: "m7g.xlarge", amiId: "ami-0123456789abcdef0" }), ["--load"]);
        console.log(`etcd ${version}: apply amiId ${JSON.stringify({ steps: report.steps, load: report.load && { ...report.load, lost: report.load.lost.length } })}`);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.ok).toBe(true);
        expect(report.changes).toMatchObject({ replace: ["etcd1", "etcd2", "etcd3"], update: [], create: [], remove: [] });
        expect(report.load!.lost).toEqual([]);
        expect(report.load!.quorumHeld).toBe(true);
        expect(await memberIds()).toEqual(ids);
        // Applied again: nothing left to change.
        const again = await applyWith(changed("ami-again", { logLevel: "warn", instanceType: "m7g.xlarge", amiId: "ami-0123456789abcdef0" }));
        expect(again.report.changes).toMatchObject({ replace: [], update: [], create: [], remove: [] });
    }, 20 * 60_000);
});
