/**
 * A five-member stack (tests/fixtures/Pulumi.sandbox5.yaml) on the sandbox, its machines booted
 * 8 s apart as EC2 boots instances created one after another: the members form one cluster from
 * the rendered initial cluster (the last ones join the cluster the first three formed, as members of
 * the initial cluster), every member's own health check passes, and a write survives the loss of
 * two members. ETCD_TEST_VERSION picks the etcd release.
 */
import * as path from "path";
import { testEtcdVersion } from "../helpers/etcdBinaries";
import { TestSandbox } from "../helpers/sandbox";
import { REPO_ROOT } from "../helpers/repo";

const version = testEtcdVersion();
let sandbox: TestSandbox;

beforeAll(async () => {
    sandbox = await TestSandbox.up("it-five", path.join(REPO_ROOT, "tests/fixtures/Pulumi.sandbox5.yaml"), { SANDBOX_STAGGER_SECONDS: "8" });
    console.log(`etcd ${version}: five-member sandbox up in ${(sandbox.upMs / 1000).toFixed(1)}s`);
}, 20 * 60_000);

afterAll(async () => {
    await sandbox?.down();
}, 180_000);

describe(`etcd ${version}: a five-member stack`, () => {
    it("forms one cluster of the plan's five members, all healthy with one leader, though they booted one after another", async () => {
        const planned = sandbox.report.initialCluster.split(",").map((pair) => pair.split("="));
        expect(planned.map(([name]) => name)).toEqual(["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"]);
        const list = await sandbox.memberList();
        expect(list.map((m) => [m.name, m.peerUrl]).sort()).toEqual(planned.sort());
        expect(list.every((m) => m.status === "started")).toBe(true);
        // Every member kept the id of the initial cluster: none was removed and added again.
        for (const m of sandbox.report.members) expect(await sandbox.machineLog(m.name)).not.toMatch(/removing stale member entry|adding this member/);
        expect(await sandbox.machineLog("etcd5")).toMatch(/a cluster exists/);
        const status = await sandbox.endpointStatus();
        expect(status).toHaveLength(5);
        expect(new Set(status.map((s) => s.leader)).size).toBe(1);
        const health = await sandbox.cli(["status"]);
        expect(health.code).toBe(0);
        for (const m of JSON.parse(health.stdout).members) expect(m.health).toMatchObject({ healthy: true, reason: "" });
    });

    it("keeps serving with two of five members stopped", async () => {
        for (const name of ["etcd4", "etcd5"]) expect((await sandbox.cli(["stop", name])).code).toBe(0);
        try {
            const up = sandbox.report.members.slice(0, 3).map((m) => m.clientUrl);
            const put = await sandbox.etcdctl(["put", "/five/quorum", "3-of-5"], { endpoints: up });
            expect(put.code).toBe(0);
            const get = await sandbox.etcdctl(["get", "/five/quorum", "--print-value-only"], { endpoints: up });
            expect(get.stdout.trim()).toBe("3-of-5");
        } finally {
            for (const name of ["etcd4", "etcd5"]) await sandbox.cli(["start", name]);
        }
    });
});
