/**
 * etcd-choose-state against a leader that has just lost its quorum, on real etcd: its own status
 * still names a leader (it steps down only after an election timeout) while its member list can no
 * longer be answered. The script must ask again rather than call the cluster leaderless, and must
 * refuse rather than guess when the list never comes. The cluster's election timeout is long (30 s)
 * so that window is wide enough to observe. Members on 127.1.(20+n).1-3 (n: index of the version).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { etcdBinDir, testEtcdVersions } from "../helpers/etcdBinaries";
import { TestCluster } from "../helpers/etcdCluster";
import { ProcessGroup } from "../helpers/processes";

describe.each(testEtcdVersions().map((v, i) => [v, i] as const))("etcd-choose-state with etcd %s", (version, index) => {
    const group = new ProcessGroup();
    let dir: string;
    let cluster: TestCluster;

    beforeAll(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `choose-state-${version}-`));
        cluster = new TestCluster(group, {
            version,
            binDir: etcdBinDir(version),
            dir,
            members: [1, 2, 3].map((i) => ({ name: `etcd${i}`, ip: `127.1.${20 + index}.${i}` })),
            input: { heartbeatIntervalMs: 100, electionTimeoutMs: 30_000 },
        });
        cluster.start();
        await cluster.waitHealthy(cluster.names(), 90_000);
    }, 150_000);

    afterAll(async () => {
        await group.stopAll();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a leader without its quorum is asked again, then refused rather than guessed", async () => {
        const { leaderName } = (await cluster.status())!;
        const followers = cluster.names().filter((n) => n !== leaderName);
        for (const f of followers) await cluster.stop(f);
        // One follower comes back with an empty volume: it has to decide how to start.
        const empty = followers[0];
        const p = cluster.memberPaths(empty);
        fs.rmSync(p.dataDir, { recursive: true, force: true });
        fs.mkdirSync(p.dataDir, { mode: 0o700 });

        const started = Date.now();
        const chosen = await cluster.runScript(empty, "etcd-choose-state", [], { CHOOSE_STATE_ATTEMPTS: "1", CHOOSE_STATE_RETRY_SECONDS: "1", ETCDCTL_COMMAND_TIMEOUT_S: "2s" }, 60_000);
        const elapsedMs = Date.now() - started;
        // Still within the leader's election timeout: its status names a leader throughout.
        expect(elapsedMs).toBeLessThan(30_000);
        expect(chosen.stderr).toContain(`${cluster.clientUrl(leaderName)} has a leader but did not list the members in 4 tries; refusing to guess`);
        expect(chosen.stderr).not.toContain("bootstrapping a new cluster");
        expect(chosen.stdout).toBe("");
        expect(chosen.code).not.toBe(0);
        expect(fs.readdirSync(p.dataDir)).toEqual([]);
    }, 90_000);
});
