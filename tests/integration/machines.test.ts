import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { cloudInitErrors, METRICS_FILE } from "../../sandbox/machines";
import { up } from "../../sandbox/sandbox";
import { BOOTSTRAP_SERVICE, CERT_SYNC_SERVICE } from "../../components/render/systemd";
import { readState, stackDir as sandboxDir } from "../../sandbox/state";
import { sandboxCli, TestSandbox } from "../helpers/sandbox";
import { REPO_ROOT } from "../helpers/repo";
import { waitFor } from "../helpers/processes";

// The sandbox's members are real machines: each boots the machine image
// with systemd-nspawn, from its instance's real user data through cloud-init, on a loop-device
// volume, and installs etcd from the sandbox's mirror. Nothing of the node is emulated, so what
// is checked here is what an EC2 instance would show.

const onMachines = process.getuid?.() === 0 ? describe : describe.skip;

interface PublishedMetric {
    metric: string;
    dimensions: string;
    value: number;
}

/** What the machines published to the sandbox's CloudWatch, one entry a put-metric-data call, in order. */
function publishedMetrics(): PublishedMetric[] {
    const file = path.join(readState("machines")!.machineSetup.metricsDir, METRICS_FILE);
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as PublishedMetric);
}

describe("without root the sandbox is refused in one line, before anything is made", () => {
    const refusal = "the sandbox's machines need root and network namespaces (systemd-nspawn, loop devices and ip netns); run the sandbox as root";
    test("up, as a user other than root", async () => {
        // In this process, as the CLI runs it: only the uid is another user's (the checkout may not be readable by one).
        const getuid = jest.spyOn(process, "getuid").mockReturnValue(1000);
        try {
            await expect(up({ stack: "refusal", configFile: path.join(REPO_ROOT, "Pulumi.dev.yaml"), log: () => undefined })).rejects.toThrow(refusal);
        } finally {
            getuid.mockRestore();
        }
        expect(fs.existsSync(sandboxDir("refusal"))).toBe(false);
    }, 60_000);

    // Run by a user other than root (a developer's checkout); as root the test above covers the refusal.
    (process.getuid?.() === 0 ? test.skip : test)("the CLI prints it as its one line and exits 1", async () => {
        const result = await sandboxCli(["up", "--stack", "refusal", "--config-file", path.join(REPO_ROOT, "Pulumi.dev.yaml")]);
        expect(result.code).toBe(1);
        expect(result.stderr.trim().split("\n")).toEqual([`sandbox: ${refusal}`]);
    }, 60_000);
});

onMachines("nspawn machines: the dev stack", () => {
    let sandbox: TestSandbox;
    let stackDir: string;
    beforeAll(async () => {
        // The dev stack with the shortest backup interval the model allows (5 minutes), so the last
        // test can wait for the timer itself, at most one interval, instead of starting the service.
        stackDir = fs.mkdtempSync(path.join(os.tmpdir(), "machines-stack-"));
        const stack = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"));
        stack.config["etcd-cluster:backupIntervalMinutes"] = 5;
        const file = path.join(stackDir, "Pulumi.machines.yaml");
        fs.writeFileSync(file, YAML.stringify(stack));
        sandbox = await TestSandbox.up("machines", file);
    }, 20 * 60_000);
    afterAll(async () => {
        await sandbox?.down();
        fs.rmSync(stackDir, { recursive: true, force: true });
    }, 120_000);

    const members = () => sandbox.report.members.map((m) => m.name);
    /** What etcd-bootstrap.service logged, every boot of the machine's root (the journal is persistent). */
    const bootstrapLog = (name: string) => sandbox.exec(name, ["journalctl", "--no-pager", "-o", "cat", "-u", BOOTSTRAP_SERVICE]);

    test("every member is healthy and is a machine with a boot id", () => {
        expect(sandbox.report.members).toHaveLength(3);
        for (const m of sandbox.report.members) {
            expect(m.health?.healthy).toBe(true);
            // Unique on the host: the checkout's tag, the stack and the member.
            expect(m.machine).toBe(m.namespace);
            expect(m.machine).toMatch(new RegExp(`^etcdsbx-[0-9a-f]{6}-machines-${m.name}$`));
            expect(m.bootId).toMatch(/^[0-9a-f-]{36}$/);
        }
        expect(new Set(sandbox.report.members.map((m) => m.bootId)).size).toBe(3);
        // What `up` watches to stop early when a bootstrap fails: cloud-init's result, read on the host.
        for (const m of sandbox.report.members) expect(cloudInitErrors(path.join(sandboxDir("machines"), m.name))).toEqual([]);
    });

    test("real systemd is PID 1, cloud-init finished from the NoCloud seed, and nothing failed", async () => {
        for (const name of members()) {
            expect((await sandbox.exec(name, ["cat", "/proc/1/comm"])).stdout.trim()).toBe("systemd");
            const cloudInit = await sandbox.exec(name, ["cloud-init", "status", "--long"]);
            expect(cloudInit.stdout).toMatch(/status: done/);
            expect(cloudInit.stdout).toMatch(/DataSourceNoCloud/);
            const failed = await sandbox.exec(name, ["systemctl", "list-units", "--state=failed", "--no-legend", "--plain"]);
            const why = failed.stdout.trim() ? (await sandbox.exec(name, ["journalctl", "-b", "--no-pager", "-n", "30", "-u", failed.stdout.trim().split(" ")[0]])).stdout : "";
            expect(`${failed.stdout.trim()}${why}`).toBe("");
        }
    });

    test("once etcd ran, a member recorded that the cluster formed: the token in the formed parameter", async () => {
        const parameter = (await sandbox.exec("etcd1", ["sh", "-c", ". /etc/etcd/member.env && echo \"$CLUSTER_FORMED_PARAMETER\""])).stdout.trim();
        expect(parameter).toMatch(/^\/etcd\/.+\/cluster\/formed$/);
        // The members' writable SSM records, shared by all machines, on the host.
        expect(fs.readFileSync(path.join(sandboxDir("machines"), "ssm-records", parameter), "utf8").trim()).toBe(sandbox.report.clusterToken);
        // `up` returns once etcd answers; each member records (or finds the record) after that, as
        // the last step of its bootstrap: read the journals once every bootstrap has finished.
        for (const name of members()) {
            await waitFor(`${name}'s bootstrap to finish`, async () =>
                (await sandbox.exec(name, ["systemctl", "is-active", BOOTSTRAP_SERVICE])).stdout.trim() === "active" ? true : undefined, 120_000, 1000);
        }
        const logs = await Promise.all(members().map(async (name) => (await bootstrapLog(name)).stdout));
        // Each member wrote the formed record, or found it written by another.
        const formedRecord = (log: string) => log.includes(`recorded ${sandbox.report.clusterToken} in ${parameter}`) || log.includes(`${parameter} already records ${sandbox.report.clusterToken}`);
        // (A member's whole journal is shown when it says neither.)
        expect(logs.filter((log) => !formedRecord(log))).toEqual([]);
        expect(logs.filter((log) => log.includes(`recorded ${sandbox.report.clusterToken} in ${parameter}`)).length).toBeGreaterThanOrEqual(1);
        // And each added the cluster's id to the ids, or found it there.
        expect(logs.filter((log) => !/cluster id [0-9a-f]+ is recorded under \/etcd\/.+\/cluster\/ids/.test(log))).toEqual([]);
        // As the instance role: nothing but the records may be put, and a cluster id never overwritten.
        const prefix = parameter.replace(/\/cluster\/formed$/, "");
        const denied = await sandbox.exec("etcd1", ["aws", "ssm", "put-parameter", "--name", `${prefix}/ca.pem`, "--value", "x", "--type", "String"]);
        expect(denied.code).not.toBe(0);
        expect(denied.stderr).toContain("AccessDeniedException");
        const ids = await sandbox.exec("etcd1", ["aws", "ssm", "get-parameters-by-path", "--path", `${prefix}/cluster/ids`, "--query", "Parameters[].Name", "--output", "text"]);
        const recorded = ids.stdout.trim().split("\t");
        expect(recorded).toHaveLength(1);
        const overwrite = await sandbox.exec("etcd1", ["aws", "ssm", "put-parameter", "--name", recorded[0], "--value", "x", "--type", "String", "--overwrite"]);
        expect(overwrite.code).not.toBe(0);
        expect(overwrite.stderr).toContain("AccessDeniedException");
    });

    test("the instance id is the plan's, and the user data cloud-init ran is the gzip EC2 receives", async () => {
        const id = await sandbox.exec("etcd1", ["cloud-init", "query", "instance_id"]);
        expect(id.stdout.trim()).toMatch(/^i-[0-9a-f]{17}$/);
        const raw = await sandbox.exec("etcd1", ["sh", "-c", "head -c 2 /var/lib/cloud/instance/user-data.txt | od -An -tx1"]);
        expect(raw.stdout.trim()).toBe("1f 8b");
    });

    test("etcd.service runs as rendered under systemd: Type=notify, active, as the etcd user, restarts on failure", async () => {
        const show = await sandbox.exec("etcd2", ["systemctl", "show", "etcd.service", "-p", "Type", "-p", "ActiveState", "-p", "User", "-p", "Restart", "-p", "NoNewPrivileges", "-p", "ProtectSystem"]);
        expect(show.stdout).toContain("Type=notify");
        expect(show.stdout).toContain("ActiveState=active");
        expect(show.stdout).toContain("User=etcd");
        expect(show.stdout).toContain("Restart=always");
        expect(show.stdout).toContain("NoNewPrivileges=yes");
        expect(show.stdout).toContain("ProtectSystem=full");
        const owner = await sandbox.exec("etcd2", ["ps", "-o", "user=", "-C", "etcd"]);
        expect(owner.stdout.trim()).toBe("etcd");
    });

    test("the data volume is a real block device: XFS made by etcd-prepare-volume, mounted through fstab", async () => {
        for (const name of members()) {
            const mount = await sandbox.exec(name, ["findmnt", "-n", "-o", "SOURCE,FSTYPE", "/var/lib/etcd"]);
            expect(mount.stdout.trim()).toMatch(/^\/dev\/loop\d+ xfs$/);
            const fstab = await sandbox.exec(name, ["cat", "/etc/fstab"]);
            expect(fstab.stdout).toMatch(/^UUID=[0-9a-f-]+ \/var\/lib\/etcd xfs defaults,nofail/m);
            const device = await sandbox.exec(name, ["sh", "-c", ". /etc/etcd/member.env && test -b \"$DATA_DEVICE\" && echo \"$DATA_DEVICE\""]);
            expect(device.stdout.trim()).toMatch(/^\/dev\/disk\/by-id\/nvme-Amazon_Elastic_Block_Store_vol[0-9a-f]+$/);
        }
    });

    test("etcd-install downloaded the release from the mirror over HTTPS and checked its sha256", async () => {
        const log = await bootstrapLog("etcd3");
        expect(log.stdout).toMatch(/etcd-install: etcd3: downloading https:\/\/169\.254\.77\.1:8443\/v[\d.]+\/etcd-v[\d.]+-linux-(arm64|amd64)\.tar\.gz/);
        expect(log.stdout).toMatch(/etcd-install: etcd3: installed etcd [\d.]+ into \/usr\/local\/bin/);
        const version = await sandbox.exec("etcd3", ["/usr/local/bin/etcd", "--version"]);
        expect(version.stdout).toContain(`etcd Version: ${sandbox.report.etcdVersion}`);
    });

    test("the timers are scheduled by systemd itself", async () => {
        const timers = await sandbox.exec("etcd1", ["systemctl", "list-timers", "--all", "--no-legend", "--plain"]);
        for (const timer of ["etcd-backup.timer", "etcd-backup-metrics.timer", "etcd-defrag.timer", "etcd-cert-sync.timer", "etcd-member-metric.timer"]) expect(timers.stdout).toContain(timer);
    });

    test("a certificate sync through systemd checks the real certificates, then publishes the days they have left, per member", async () => {
        const before = publishedMetrics().length;
        const sync = await sandbox.exec("etcd2", ["systemctl", "start", CERT_SYNC_SERVICE], 120_000);
        expect(sync.code).toBe(0);
        const journal = (await sandbox.exec("etcd2", ["journalctl", "--no-pager", "-o", "cat", "-u", CERT_SYNC_SERVICE])).stdout;
        expect(journal).toMatch(/etcd-fetch-certs: etcd2: 0 of 5 files changed/);
        expect(journal).not.toContain("REFUSED");
        const printed = JSON.parse(journal.split("\n").filter((l) => l.startsWith('{"member":"etcd2"')).pop()!) as { certificateDaysLeft: number; caDaysLeft: number };
        const published = publishedMetrics()
            .slice(before)
            .filter((m) => m.dimensions.endsWith(",Member=etcd2"));
        // The last run's two metrics (the timer may have run too; the journal's last line is the last run's).
        expect(published.slice(-2).map((m) => [m.metric, m.value])).toEqual([
            ["CertificateDaysLeft", printed.certificateDaysLeft],
            ["CaDaysLeft", printed.caDaysLeft],
        ]);
        expect(printed.certificateDaysLeft).toBeGreaterThan(1);
        expect(printed.caDaysLeft).toBeGreaterThanOrEqual(printed.certificateDaysLeft);
    });

    test("a write through one member is read through another, with the admin certificate", async () => {
        const [a, b] = sandbox.report.members;
        expect((await sandbox.etcdctl(["put", "/machines/probe", "booted"], { endpoints: [a.clientUrl] })).code).toBe(0);
        const read = await sandbox.etcdctl(["get", "/machines/probe", "--print-value-only", "--consistency=l"], { endpoints: [b.clientUrl] });
        expect(read.stdout.trim()).toBe("booted");
    });

    test("exec exits with the command's status", async () => {
        expect((await sandbox.exec("etcd1", ["sh", "-c", "exit 7"])).code).toBe(7);
        expect((await sandbox.exec("etcd1", ["true"])).code).toBe(0);
    });

    // ---- the EC2 lifecycle verbs, in order on the same cluster ------------------------------------

    const lifecycle = async (args: string[]) => {
        const result = await sandbox.cli(args, 5 * 60_000);
        if (result.code !== 0) throw new Error(`sandbox ${args.join(" ")} failed (${result.code}): ${result.stderr.slice(-3000)}`);
        return JSON.parse(result.stdout) as { member: string; verb: string; bootIdBefore?: string; bootId?: string; instanceId: string; health?: { healthy: boolean }; tookMs: number };
    };
    const memberIdOf = async (name: string) => (await sandbox.memberList()).find((m) => m.name === name)?.id;
    /**
     * How often etcd-bootstrap finished on the machine's root. It first waits for this boot's run: etcd
     * (enabled) is healthy at boot before its bootstrap unit has finished re-checking everything.
     */
    const bootstrapRuns = async (name: string) => {
        const state = async () => (await sandbox.exec(name, ["systemctl", "show", BOOTSTRAP_SERVICE, "-p", "ActiveState", "-p", "SubState", "--value"])).stdout.trim().split("\n").join(" ");
        const deadline = Date.now() + 120_000;
        while ((await state()) !== "active exited" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
        expect(await state()).toBe("active exited");
        return ((await bootstrapLog(name)).stdout.match(new RegExp(`etcd-bootstrap: ${name}: done`, "g")) ?? []).length;
    };
    /** The boots of the machine's root (the journal keeps every one). */
    const boots = async (name: string) => (await sandbox.exec(name, ["journalctl", "--list-boots", "--no-pager", "-q"])).stdout.trim().split("\n").filter(Boolean).length;
    const readKey = async (endpoint: string) => (await sandbox.etcdctl(["get", "/machines/life", "--print-value-only", "--consistency=l"], { endpoints: [endpoint] })).stdout.trim();

    test("kill: systemd restarts etcd as Restart=always says", async () => {
        const restarts = async () => Number(/NRestarts=(\d+)/.exec((await sandbox.exec("etcd1", ["systemctl", "show", "etcd.service", "-p", "NRestarts"])).stdout)?.[1]);
        const before = await restarts();
        expect((await sandbox.cli(["kill", "etcd1"])).code).toBe(0);
        const deadline = Date.now() + 60_000;
        while ((await restarts()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
        expect(await restarts()).toBe(before + 1);
        const status = await sandbox.cli(["status"], 60_000);
        expect(status.code).toBe(0);
    }, 120_000);

    test("reboot: the machine comes back by itself with a new boot id, its volume mounted and its data and member id kept", async () => {
        expect((await sandbox.etcdctl(["put", "/machines/life", "before-reboot"])).code).toBe(0);
        const id = await memberIdOf("etcd2");
        const runsBefore = await bootstrapRuns("etcd2");
        const result = await lifecycle(["reboot", "etcd2"]);
        expect(result.bootId).toMatch(/^[0-9a-f-]{36}$/);
        expect(result.bootId).not.toBe(result.bootIdBefore);
        expect(result.health?.healthy).toBe(true);
        expect((await sandbox.exec("etcd2", ["findmnt", "-n", "-o", "FSTYPE", "/var/lib/etcd"])).stdout.trim()).toBe("xfs");
        expect(await memberIdOf("etcd2")).toBe(id);
        expect(await readKey(sandbox.member("etcd2").clientUrl)).toBe("before-reboot");
        // The bootstrap unit runs at every boot; with data on its volume the member restarts from it.
        expect(await bootstrapRuns("etcd2")).toBe(runsBefore + 1);
        expect((await bootstrapLog("etcd2")).stdout).toMatch(/holds etcd data; restarting from it/);
        // One bootstrap per boot of this root.
        expect(await bootstrapRuns("etcd2")).toBe(await boots("etcd2"));
    }, 6 * 60_000);

    test("stop and start: the cluster serves with the member stopped; the same instance starts again from its data", async () => {
        const runsBefore = await bootstrapRuns("etcd3");
        const stopped = await lifecycle(["stop", "etcd3"]);
        expect(stopped.health).toBeUndefined();
        expect((await sandbox.etcdctl(["put", "/machines/life", "while-stopped"], { endpoints: [sandbox.member("etcd1").clientUrl] })).code).toBe(0);
        const started = await lifecycle(["start", "etcd3"]);
        expect(started.instanceId).toBe(stopped.instanceId);
        expect(started.health?.healthy).toBe(true);
        expect(await readKey(sandbox.member("etcd3").clientUrl)).toBe("while-stopped");
        expect(await bootstrapRuns("etcd3")).toBe(runsBefore + 1);
        expect(await bootstrapRuns("etcd3")).toBe(await boots("etcd3"));
    }, 6 * 60_000);

    test("replace: a new instance on a fresh root keeps the address, the volume, the data and the member id", async () => {
        const id = await memberIdOf("etcd1");
        const before = (await sandbox.exec("etcd1", ["cloud-init", "query", "instance_id"])).stdout.trim();
        const result = await lifecycle(["replace", "etcd1"]);
        expect(result.instanceId).not.toBe(before);
        expect((await sandbox.exec("etcd1", ["cloud-init", "query", "instance_id"])).stdout.trim()).toBe(result.instanceId);
        expect(result.health?.healthy).toBe(true);
        expect(await memberIdOf("etcd1")).toBe(id);
        const log = (await bootstrapLog("etcd1")).stdout;
        expect(log).toMatch(/already holds a xfs filesystem; keeping it/);
        expect(await bootstrapRuns("etcd1")).toBe(1); // a fresh root: its one bootstrap is the new instance's
        expect(await boots("etcd1")).toBe(1);
        expect(await readKey(sandbox.member("etcd1").clientUrl)).toBe("while-stopped");
    }, 6 * 60_000);

    test("replace --new-volume: the volume is lost, and the member rejoins through member add with a new id and the data", async () => {
        const id = await memberIdOf("etcd2");
        const result = await lifecycle(["replace", "etcd2", "--new-volume"]);
        expect(result.verb).toBe("replace --new-volume");
        expect(result.health?.healthy).toBe(true);
        const log = (await bootstrapLog("etcd2")).stdout;
        expect(log).toMatch(/is blank; creating an XFS filesystem/);
        expect(log).toMatch(/adding this member as a learner with peer URL/);
        expect(log).toMatch(/promoted from learner to voting member/);
        const members = await sandbox.memberList();
        expect(members).toHaveLength(3);
        expect(members.every((m) => m.status === "started")).toBe(true);
        expect(await memberIdOf("etcd2")).not.toBe(id);
        expect(await readKey(sandbox.member("etcd2").clientUrl)).toBe("while-stopped");
    }, 6 * 60_000);

    test("a bootstrap that fails (an SSM parameter not readable yet) is published at once for its alarm, and retried by systemd until etcd runs", async () => {
        const metricsBefore = publishedMetrics().length;
        const parameter = (await sandbox.exec("etcd3", ["sh", "-c", ". /etc/etcd/member.env && echo \"$MEMBER_CERT_PARAMETER\""])).stdout.trim();
        expect(parameter).toMatch(/^\/etcd\//);
        // The machines read the plan's parameters from the stack's ssm/ directory, bound read-only.
        const file = path.join(sandboxDir("machines"), "ssm", parameter);
        fs.renameSync(file, `${file}.held`);
        let restored = false;
        const restore = () => {
            if (!restored) fs.renameSync(`${file}.held`, file);
            restored = true;
        };
        try {
            const replacing = sandbox.cli(["replace", "etcd3"], 5 * 60_000);
            // Wait until the new instance's first bootstrap has failed for that parameter, then let SSM answer.
            const deadline = Date.now() + 150_000;
            let failed = false;
            while (!failed && Date.now() < deadline) {
                await new Promise((r) => setTimeout(r, 3000));
                const log = await bootstrapLog("etcd3").catch(() => undefined);
                failed = /etcd-fetch-certs failed; etcd was not started/.test(log?.stdout ?? "");
            }
            expect(failed).toBe(true);
            restore();
            const result = await replacing;
            expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr.slice(-2000) }).toEqual({ code: 0, stderr: "" });
            // The replace returns once etcd answers; the bootstrap still records the formed cluster
            // after that. Oneshot with RemainAfterExit: "active" means its last run has finished.
            await waitFor("etcd3's bootstrap to finish", async () =>
                (await sandbox.exec("etcd3", ["systemctl", "is-active", BOOTSTRAP_SERVICE])).stdout.trim() === "active" ? true : undefined, 120_000, 1000);
            const log = (await bootstrapLog("etcd3")).stdout;
            expect(log).toContain(`cannot read SSM parameter ${parameter}`);
            expect(log.match(/etcd-bootstrap: etcd3: done/g)).toHaveLength(1);
            const restarts = Number((await sandbox.exec("etcd3", ["systemctl", "show", BOOTSTRAP_SERVICE, "-p", "NRestarts", "--value"])).stdout.trim());
            expect(restarts).toBeGreaterThan(0);
            expect(await readKey(sandbox.member("etcd3").clientUrl)).toBe("while-stopped");
            // Each failed attempt, through the unit's ExecStopPost: UnitFailed = 1 for this member's
            // bootstrap (what its bootstrap-failed alarm watches); the attempt that succeeded published none.
            const failures = publishedMetrics()
                .slice(metricsBefore)
                .filter((m) => m.metric === "UnitFailed");
            expect(failures.length).toBe(restarts);
            for (const failure of failures) expect(failure).toMatchObject({ value: 1, dimensions: expect.stringMatching(/,Member=etcd3,Unit=etcd-bootstrap\.service$/) });
            expect(log).toMatch(/etcd-member-metric: etcd3: etcd-bootstrap\.service failed \(exit-code, status 1\)/);
        } finally {
            restore();
        }
    }, 6 * 60_000);

    test("sandbox backup starts each member's etcd-backup.service through its own systemd: the leader uploads, the others decline", async () => {
        const result = await sandbox.cli(["backup"], 5 * 60_000);
        expect({ code: result.code, output: result.code === 0 ? "" : `${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}` }).toEqual({ code: 0, output: "" });
        const tick = JSON.parse(result.stdout) as { ok: boolean; snapshot: { key: string; member: string }; members: Array<{ name: string; outcome: string }> };
        expect(tick.ok).toBe(true);
        expect(tick.members.filter((m) => m.outcome === "backed up").map((m) => m.name)).toEqual([tick.snapshot.member]);
        expect(tick.members.filter((m) => m.outcome === "not the leader")).toHaveLength(2);
        const listed = JSON.parse((await sandbox.cli(["backups"])).stdout) as Array<{ key: string }>;
        expect(listed[0].key).toBe(tick.snapshot.key);
    }, 6 * 60_000);

    test("a backup taken by the timer on its own schedule (every 5 minutes), by the leader only", async () => {
        const timer = await sandbox.exec("etcd1", ["systemctl", "show", "etcd-backup.timer", "-p", "TimersCalendar"]);
        expect(timer.stdout).toMatch(/OnCalendar=\*-\*-\* \*:00\/5:00/);
        // Only the timers start etcd-backup.service from here on: a key that was not there before is theirs.
        const list = async () => {
            const result = await sandbox.cli(["backups"], 60_000);
            return result.code === 0 ? (JSON.parse(result.stdout) as Array<{ key: string }>) : [];
        };
        const before = new Set((await list()).map((b) => b.key));
        const deadline = Date.now() + 7 * 60_000;
        let listed: Array<{ key: string }> = [];
        while (Date.now() < deadline) {
            listed = (await list()).filter((b) => !before.has(b.key));
            if (listed.length > 0) break;
            await new Promise((r) => setTimeout(r, 10_000));
        }
        expect(listed.length).toBeGreaterThan(0);
        // Each member's etcd-backup.service ran from its timer; exactly one (the leader) uploaded each tick's snapshot.
        const journals = await Promise.all(sandbox.report.members.map(async (m) => (await sandbox.exec(m.name, ["journalctl", "-u", "etcd-backup.service", "--no-pager", "-o", "cat"])).stdout));
        const uploads = journals.flatMap((log) => log.split("\n").filter((line) => line.startsWith('{"bucket":')).map((line) => JSON.parse(line) as { key: string; member: string }));
        expect(uploads.map((u) => u.key)).toEqual(expect.arrayContaining([listed[0].key]));
        expect(new Set(uploads.map((u) => u.key)).size).toBe(uploads.length);
        expect(journals.filter((log) => /not the leader/.test(log)).length).toBeGreaterThanOrEqual(1);
    }, 10 * 60_000);

});
