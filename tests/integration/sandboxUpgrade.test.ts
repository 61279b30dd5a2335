/**
 * etcd upgrades rehearsed with `npm run sandbox -- apply --load` on the dev stack's machines: a
 * patch (3.6.14 -> 3.6.15) and a minor line (3.5.33 -> 3.6.14). Each cluster starts on the older
 * release and is rolled to the newer, one member at a time behind the gates, with a writer running
 * (every release is built from the Go module proxy; the sandbox's own build's checksum is used).
 * Then the way back is refused before anything is touched. The pairs are fixed: this is about the
 * roll, not the release under test (3.6.13's etcdctl is not served by the module proxy here). `down` in afterAll removes every process, namespace, mount, loop device and file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BOOTSTRAP_SERVICE } from "../../components/render/systemd";
import type { ApplyReport } from "../../sandbox/apply";
import { REPO_ROOT } from "../helpers/repo";
import { testStackFile, TestSandbox } from "../helpers/sandbox";

describe.each([
    ["it-upgrade-patch", "3.6.14", "3.6.15"],
    ["it-upgrade-minor", "3.5.33", "3.6.14"],
])("%s: etcd %s -> %s with sandbox apply", (STACK, from, target) => {
    let sandbox: TestSandbox;
    let tmp: string;

    beforeAll(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-upgrade-test-"));
        sandbox = await TestSandbox.up(STACK, path.join(REPO_ROOT, "Pulumi.dev.yaml"), {}, from);
    }, 25 * 60_000);

    afterAll(async () => {
        await sandbox?.down();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }, 180_000);

    async function apply(version: string, extra: string[] = []): Promise<{ code: number; report: ApplyReport }> {
        const file = testStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml"), tmp, version);
        const result = await sandbox.cli(["apply", "--config-file", file, ...extra], 25 * 60_000);
        return { code: result.code, report: JSON.parse(result.stdout) as ApplyReport };
    }

    /** The release each member's etcd reports (its own status, read through the member). */
    async function versions(): Promise<Record<string, string>> {
        const out: Record<string, string> = {};
        for (const m of sandbox.report.members) {
            const status = await sandbox.etcdctl(["endpoint", "status", "-w", "json"], { endpoints: [m.clientUrl] });
            out[m.name] = /"version":"([^"]+)"/.exec(status.stdout)![1];
        }
        return out;
    }

    it("the upgrade rolls one member at a time behind the gates under load: no acknowledged write lost, quorum held", async () => {
        expect(Object.values(await versions())).toEqual([from, from, from]);
        const ids = Object.fromEntries((await sandbox.memberList()).map((m) => [m.name, m.id]));
        const { code, report } = await apply(target, ["--load"]);
        console.log(`etcd ${from} -> ${target}: ${JSON.stringify({ steps: report.steps, load: report.load && { ...report.load, lost: report.load.lost.length } })}`);
        expect(report.failed).toBeUndefined();
        expect(code).toBe(0);
        expect(report.etcdVersion).toEqual({ before: from, after: target });
        expect(report.changes.replace).toEqual(["etcd1", "etcd2", "etcd3"]);
        expect(report.steps.filter((s) => s.step !== "plan" && s.step !== "parameters").map((s) => `${s.step} ${s.member}`)).toEqual([
            "replace etcd1",
            "gate etcd1",
            "replace etcd2",
            "gate etcd2",
            "replace etcd3",
            "gate etcd3",
        ]);
        expect(report.load!.lost).toEqual([]);
        expect(report.load!.acked).toBeGreaterThan(100);
        expect(report.load!.quorumLostSamples).toBe(0);
        expect(await versions()).toEqual({ etcd1: target, etcd2: target, etcd3: target });
        // Upgraded in place: the same members with their data.
        expect(Object.fromEntries((await sandbox.memberList()).map((m) => [m.name, m.id]))).toEqual(ids);

        // A snapshot went to S3 before the first member started the new release; the others saw a
        // peer on it already and took none.
        const journal = async (name: string) => (await sandbox.exec(name, ["journalctl", "--no-pager", "-o", "cat", "-u", BOOTSTRAP_SERVICE])).stdout;
        const first = await journal("etcd1");
        expect(first).toMatch(new RegExp(`this volume last ran ${from.replace(/\./g, "\\.")}; a snapshot before ${target.replace(/\./g, "\\.")}, taken by the leader at https://`));
        const uploaded = /etcd-backup: etcd1: backup (s3:\/\/\S+\.db): revision/.exec(first);
        expect(uploaded).not.toBeNull();
        expect(first.indexOf("snapshot before the upgrade")).toBeLessThan(first.indexOf("etcd-bootstrap: etcd1: etcd-start"));
        const listed = JSON.parse((await sandbox.cli(["backups"])).stdout) as Array<{ uri: string }>;
        expect(listed.map((b) => b.uri)).toContain(uploaded![1]);
        for (const name of ["etcd2", "etcd3"]) expect(await journal(name)).toContain(`already runs ${target}: the roll's first member took the snapshot before it`);
    }, 25 * 60_000);

    it(`the way back (${target} -> ${from}) is refused at the plan: nothing is built, replaced or written`, async () => {
        const before = JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ bootId: string }> };
        const { code, report } = await apply(from);
        expect(code).toBe(1);
        expect(report.failed?.step).toBe("plan");
        expect(report.failed?.message).toContain(`Invalid setting etcdVersion: got "${from}". etcd1 runs ${target}; a downgrade is not rolled`);
        expect(report.steps.map((s) => s.step)).toEqual(["plan"]);
        const after = JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ bootId: string }> };
        expect(after.members.map((m) => m.bootId)).toEqual(before.members.map((m) => m.bootId));
        expect(await versions()).toEqual({ etcd1: target, etcd2: target, etcd3: target });
    }, 10 * 60_000);
});
