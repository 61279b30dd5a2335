/**
 * The dev stack's cluster on the sandbox (`npm run sandbox -- up`), its members real machines: it
 * forms from the rendered initial cluster and token, enforces mutual TLS, and survives a killed
 * member, a killed leader, a stopped and started instance and a member cut off from the network.
 * The etcd release is ETCD_TEST_VERSION (default 3.6.14). Traffic stays inside the sandbox's network
 * namespaces; `down` in afterAll removes every machine, namespace, mount and loop device, also when
 * a test fails.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { certRequest, generatePrivateKey, locallySignedCert, selfSignedCert } from "../../sandbox/realTls";
import { inNamespace } from "../../sandbox/namespaces";
import { testEtcdVersion } from "../helpers/etcdBinaries";
import { waitFor } from "../helpers/processes";
import { TestSandbox } from "../helpers/sandbox";
import { REPO_ROOT } from "../helpers/repo";

const STACK = "it-cluster";
const version = testEtcdVersion();
let sandbox: TestSandbox;
let tmp: string;

beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cluster-test-"));
    sandbox = await TestSandbox.up(STACK, path.join(REPO_ROOT, "Pulumi.dev.yaml"));
    console.log(`etcd ${version}: sandbox up in ${(sandbox.upMs / 1000).toFixed(1)}s`);
}, 20 * 60_000);

afterAll(async () => {
    await sandbox?.down();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 180_000);

/** Ids in `member list` are hex, in `endpoint status` decimal. */
const hex = (decimal: string) => BigInt(decimal).toString(16);

async function leaderOf(endpoints?: string[]): Promise<string> {
    const status = await sandbox.endpointStatus(endpoints);
    const leaders = new Set(status.map((s) => s.leader));
    if (leaders.size !== 1 || leaders.has("0")) throw new Error(`no single leader: ${[...leaders].join(",")}`);
    return [...leaders][0];
}

/** The member with this id: from its own endpoint status (a dead member's endpoint is skipped), else from `member list`. */
async function memberNameOf(id: string): Promise<string> {
    const status = await sandbox.endpointStatus().catch(() => []);
    const own = status.find((s) => s.memberId === id);
    if (own) return sandbox.report.members.find((m) => m.clientUrl === own.endpoint)!.name;
    const list = await sandbox.memberList();
    const listed = list.find((m) => m.id === hex(id));
    if (!listed) throw new Error(`member id ${id} (${hex(id)}) is neither in endpoint status ${JSON.stringify(status)} nor in member list ${JSON.stringify(list)}`);
    return listed.name;
}

/** Waits for every member's own health check to pass (`sandbox status`). */
async function waitAllHealthy(timeoutMs = 60_000): Promise<void> {
    await waitFor(
        "every member healthy",
        async () => {
            const result = await sandbox.cli(["status"]);
            return result.code === 0 ? true : undefined;
        },
        timeoutMs,
        1000,
    );
}

describe(`etcd ${version}: the dev stack's three members`, () => {
    it("form one cluster from the rendered initial cluster: all healthy, one leader, the plan's members and addresses", async () => {
        const report = sandbox.report;
        expect(report.etcdVersion).toBe(version);
        expect(report.members.map((m) => m.name)).toEqual(["etcd1", "etcd2", "etcd3"]);
        const planned = report.initialCluster.split(",").map((pair) => pair.split("="));
        expect(planned.map(([name]) => name)).toEqual(["etcd1", "etcd2", "etcd3"]);

        const list = await sandbox.memberList();
        expect(list.map((m) => [m.name, m.peerUrl]).sort()).toEqual(planned.sort());
        expect(list.map((m) => m.clientUrl).sort()).toEqual(report.members.map((m) => m.clientUrl).sort());
        expect(list.every((m) => m.status === "started" && m.learner === "false")).toBe(true);
        for (const m of report.members) {
            expect(m.clientUrl).toBe(`https://${m.ip}:2379`);
            expect(m.pid).toBeGreaterThan(0);
            expect(fs.existsSync(sandbox.dataFile(m.name, "member"))).toBe(true);
            // `up` prints each member's own health check, as `status` does.
            expect(m.health).toMatchObject({ healthy: true, reason: "" });
        }
        expect(new Set(report.members.map((m) => m.health?.leader)).size).toBe(1);

        const status = await sandbox.endpointStatus();
        expect(status).toHaveLength(3);
        expect(new Set(status.map((s) => s.leader)).size).toBe(1);
        expect(status.filter((s) => s.memberId === s.leader)).toHaveLength(1);

        const health = JSON.parse((await sandbox.cli(["status"])).stdout);
        expect(health.members.map((m: { health: { healthy: boolean } }) => m.health.healthy)).toEqual([true, true, true]);
    });

    it("bootstrapped with the rendered token and the 'new' config, and the admin key file is private", async () => {
        const config = fs.readFileSync(sandbox.nodeFile("etcd1", "/etc/etcd/etcd.new.yaml"), "utf8");
        expect(config).toContain(`initial-cluster-token: ${sandbox.report.clusterToken}`);
        // The member list is not in user data: etcd-choose-state wrote the running config from the roster.
        expect(config).not.toContain("initial-cluster:");
        expect(fs.readFileSync(sandbox.nodeFile("etcd1", "/etc/etcd/etcd.yaml"), "utf8")).toBe(`${config}initial-cluster: '${sandbox.report.initialCluster}'\n`);
        expect(fs.statSync(sandbox.report.keyFile).mode & 0o777).toBe(0o600);
    });

    it("`up` on the running sandbox changes nothing and prints the same JSON", async () => {
        const again = await sandbox.cli(["up"]);
        expect(again.code).toBe(0);
        expect(JSON.parse(again.stdout)).toEqual(sandbox.report);
    });

    it("the printed etcdctl command works", async () => {
        const argv = sandbox.report.etcdctl.split(" ");
        const result = await sandbox.inHub(argv.slice(inNamespace(sandbox.report.namespace).length));
        expect(result.stderr).not.toMatch(/error/i);
        expect(result.code).toBe(0);
        for (const m of sandbox.report.members) expect(result.stdout).toContain(m.clientUrl);
    });
});

describe(`etcd ${version}: the stack's health gate (direct mode) on the sandbox`, () => {
    const gate = (required: string[], timeoutSeconds: number) =>
        sandbox.inHub(["bash", path.join(REPO_ROOT, "scripts/health-gate.sh"), "update"], 120_000, {
            PATH: `${path.dirname(sandbox.etcdctlPath)}:${process.env.PATH}`,
            GATE_MODE: "direct",
            GATE_MEMBER: "etcd3",
            GATE_TIMEOUT_SECONDS: String(timeoutSeconds),
            GATE_POLL_SECONDS: "2",
            GATE_HEALTH_SCRIPT: fs.readFileSync(path.join(REPO_ROOT, "node/etcd-health.sh"), "utf8"),
            GATE_NODE_LIBRARY: fs.readFileSync(path.join(REPO_ROOT, "node/etcd-node-common.sh"), "utf8"),
            ETCDCTL_ENDPOINTS: sandbox.report.members.map((m) => m.clientUrl).join(","),
            GATE_CA_PEM: fs.readFileSync(sandbox.report.caFile, "utf8"),
            GATE_CERT_PEM: fs.readFileSync(sandbox.report.certFile, "utf8"),
            GATE_KEY_PEM: fs.readFileSync(sandbox.report.keyFile, "utf8"),
            GATE_REQUIRED_MEMBERS: required.join(","),
        });

    it("passes on the healthy cluster, naming the leader", async () => {
        const result = await gate(["etcd1", "etcd2", "etcd3"], 60);
        expect(result.stdout).toMatch(/health gate for etcd3 passed \(attempt 1\).*"healthy":true/);
        expect(result.code).toBe(0);
    });

    it("fails with the reason when the cluster does not have the members the stack expects", async () => {
        const result = await gate(["etcd1", "etcd2", "etcd3", "etcd4"], 5);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("etcd4 is not in the member list (3 members)");
    });
});

describe(`etcd ${version}: mutual TLS`, () => {
    it("refuses a plaintext client", async () => {
        const ip = sandbox.report.members[0].ip;
        const curl = await sandbox.inHub(["curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", `http://${ip}:2379/version`]);
        expect(curl.code).not.toBe(0);
        expect(curl.stdout).not.toBe("200");
        const plain = await sandbox.etcdctl(["get", "/x"], { endpoints: [`http://${ip}:2379`], cacert: "", cert: "", key: "" });
        expect(plain.code).not.toBe(0);
    });

    it("refuses a TLS client without a certificate", async () => {
        const result = await sandbox.etcdctl(["get", "/x"], { cert: "", key: "" });
        expect(result.code).not.toBe(0);
    });

    it("refuses a client certificate from another CA", async () => {
        const caKey = generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const ca = await selfSignedCert({
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: "another CA" },
            isCaCertificate: true,
            validityPeriodHours: 1,
            allowedUses: ["cert_signing", "digital_signature"],
        });
        const key = generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const csr = await certRequest({ privateKeyPem: key.privateKeyPem, subject: { commonName: "admin", organization: "etcd" } });
        const cert = await locallySignedCert({
            certRequestPem: csr.certRequestPem,
            caCertPem: ca.certPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            validityPeriodHours: 1,
            allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
        });
        fs.writeFileSync(path.join(tmp, "other.pem"), cert.certPem);
        fs.writeFileSync(path.join(tmp, "other-key.pem"), key.privateKeyPem, { mode: 0o600 });
        const result = await sandbox.etcdctl(["put", "/tls/other-ca", "x"], { cert: path.join(tmp, "other.pem"), key: path.join(tmp, "other-key.pem") });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/certificate|tls|deadline/i);
    });

    it("refuses a peer whose certificate lacks its IP: etcd2's member certificate works only from etcd2's address", async () => {
        const [etcd1] = sandbox.report.members;
        const certDir = sandbox.nodeFile("etcd2", "/etc/ssl/etcd/ssl");
        const curl = ["curl", "-sS", "-m", "5", "--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", path.join(certDir, "ca.pem"), "--cert", path.join(certDir, "member-etcd2.pem"), "--key", path.join(certDir, "member-etcd2-key.pem"), `${etcd1.peerUrl}/version`];
        const fromItsAddress = await sandbox.inMember("etcd2", curl);
        expect(fromItsAddress.stdout).toBe("200");
        const fromElsewhere = await sandbox.inHub(curl);
        expect(fromElsewhere.stdout).not.toBe("200");
        expect(await sandbox.machineLog("etcd1")).toMatch(/rejected connection on peer endpoint.*does not match/);
    });

    it("accepts the admin certificate and each consumer certificate (clientNames)", async () => {
        const clients = Object.entries(sandbox.report.clientCertificates);
        expect(clients.map(([name]) => name).sort()).toEqual(["etcdkeeper", "kube-apiserver"]);
        for (const [name, files] of [["admin", { certFile: sandbox.report.certFile, keyFile: sandbox.report.keyFile }] as const, ...clients]) {
            const put = await sandbox.etcdctl(["put", `/tls/${name}`, name], { cert: files.certFile, key: files.keyFile });
            expect(put.stderr).toBe("");
            expect(put.code).toBe(0);
            const get = await sandbox.etcdctl(["get", `/tls/${name}`, "--print-value-only"], { cert: files.certFile, key: files.keyFile });
            expect(get.stdout.trim()).toBe(name);
        }
    });
});

describe(`etcd ${version}: failures`, () => {
    /** Starts the writer where clients run; resolves its summary and acknowledged indexes. */
    function startWriter(prefix: string, count: number, deadlineMs: number) {
        const options = {
            endpoints: sandbox.report.members.map((m) => m.clientUrl),
            caFile: sandbox.report.caFile,
            certFile: sandbox.report.certFile,
            keyFile: sandbox.report.keyFile,
            prefix,
            count,
            deadlineMs,
        };
        const argv = [...inNamespace(sandbox.report.namespace), process.execPath, "--require", require.resolve("tsx/cjs"), path.join(REPO_ROOT, "sandbox/load.ts"), JSON.stringify(options)];
        const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        const killer = setTimeout(() => child.kill("SIGKILL"), deadlineMs + 30_000);
        const acked: number[] = [];
        let summary: { acked: number; failures: number; maxStallMs: number; elapsedMs: number } | undefined;
        let buffer = "";
        child.stdout!.on("data", (d) => {
            buffer += d;
            const lines = buffer.split("\n");
            buffer = lines.pop()!;
            for (const line of lines) {
                if (line.startsWith("ACK ")) acked.push(Number(line.slice(4)));
                else if (line.startsWith("{")) summary = JSON.parse(line);
            }
        });
        const done = new Promise<typeof summary>((resolve) => child.on("close", () => (clearTimeout(killer), resolve(summary))));
        return { acked, done };
    }

    async function keysUnder(prefix: string): Promise<Map<string, string>> {
        const result = await sandbox.etcdctl(["get", prefix, "--prefix"], { timeoutMs: 60_000 });
        expect(result.code).toBe(0);
        const lines = result.stdout.split("\n");
        const values = new Map<string, string>();
        for (let i = 0; i + 1 < lines.length; i += 2) values.set(lines[i], lines[i + 1]);
        return values;
    }

    it("SIGKILL of a member under a write load of 2000 puts: no acknowledged write is lost, writes go on", async () => {
        const leader = await memberNameOf(await leaderOf());
        const victim = sandbox.report.members.find((m) => m.name !== leader)!.name;
        const writer = startWriter("/load/", 2000, 90_000);
        await waitFor("300 writes acknowledged", async () => (writer.acked.length >= 300 ? true : undefined), 60_000, 50);
        const kill = await sandbox.cli(["kill", victim]);
        expect(kill.code).toBe(0);
        const ackedAtKill = writer.acked.length;
        const summary = await writer.done;
        console.log(`etcd ${version}: load ${JSON.stringify(summary)}; ${victim} killed after ${ackedAtKill} writes`);
        expect(summary).toBeDefined();
        expect(summary!.acked).toBe(2000);
        expect(writer.acked.length - ackedAtKill).toBeGreaterThan(0);

        const stored = await keysUnder("/load/");
        const lost = writer.acked.filter((i) => stored.get(`/load/${i}`) !== `v${i}`);
        expect(lost).toEqual([]);
        // The machine restarts etcd (Restart=always); the member comes back healthy.
        await waitAllHealthy(60_000);
    });

    it("killing the leader: a new leader within the election bound, and writes resume", async () => {
        const electionTimeoutMs = sandbox.report.electionTimeoutMs;
        const oldLeader = await leaderOf();
        const oldName = await memberNameOf(oldLeader);
        const others = sandbox.report.members.filter((m) => m.name !== oldName).map((m) => m.clientUrl);
        // Signalled from here, not through the CLI, so the clock starts at the kill itself.
        const current = JSON.parse((await sandbox.cli(["status"])).stdout).members.find((m: { name: string }) => m.name === oldName);
        expect(current.pid).toBeGreaterThan(0);
        const killedAt = Date.now();
        process.kill(current.pid, "SIGKILL");
        const newLeader = await waitFor(
            "a new leader",
            async () => {
                const status = await sandbox.endpointStatus(others, 3000).catch(() => []);
                const leaders = new Set(status.map((s) => s.leader));
                const [only] = [...leaders];
                return status.length === 2 && leaders.size === 1 && only !== "0" && only !== oldLeader ? only : undefined;
            },
            10 * electionTimeoutMs,
            50,
        );
        const electionMs = Date.now() - killedAt;
        console.log(`etcd ${version}: new leader ${await memberNameOf(newLeader)} ${electionMs} ms after the leader was killed (election timeout ${electionTimeoutMs} ms)`);
        expect(electionMs).toBeLessThanOrEqual(3 * electionTimeoutMs);
        const put = await sandbox.etcdctl(["put", "/after-leader-loss", "ok"], { endpoints: others });
        expect(put.code).toBe(0);
        await waitAllHealthy(60_000);
    });

    it("a restarted member rejoins with its data (same member id, writes made while it was down)", async () => {
        const name = "etcd3";
        const before = (await sandbox.memberList()).find((m) => m.name === name)!;
        // The same file on the volume after the start: its inode, not only its name.
        const dbInode = () => fs.statSync(sandbox.dataFile(name, "member", "snap", "db")).ino;
        const inodeBefore = dbInode();
        await sandbox.etcdctl(["put", "/restart/before", "1"]);

        expect((await sandbox.cli(["stop", name])).code).toBe(0);
        try {
            const up = sandbox.report.members.filter((m) => m.name !== name).map((m) => m.clientUrl);
            expect((await sandbox.etcdctl(["put", "/restart/while-down", "2"], { endpoints: up })).code).toBe(0);
        } finally {
            expect((await sandbox.cli(["start", name])).code).toBe(0);
        }
        expect(dbInode()).toBe(inodeBefore);

        const own = [sandbox.member(name).clientUrl];
        const value = await waitFor(
            `${name} to serve the write it missed from its own copy`,
            async () => {
                const get = await sandbox.etcdctl(["get", "/restart/while-down", "--print-value-only", "--consistency=s"], { endpoints: own, timeoutMs: 10_000 });
                return get.code === 0 && get.stdout.trim() !== "" ? get.stdout.trim() : undefined;
            },
            60_000,
        );
        expect(value).toBe("2");
        const after = (await sandbox.memberList()).find((m) => m.name === name)!;
        expect(after.id).toBe(before.id);
        expect(await sandbox.machineLog(name)).not.toMatch(/removing stale member entry/);
        await waitAllHealthy(60_000);
    });

    it("a member cut off from the network falls behind, and catches up when healed", async () => {
        const leader = await memberNameOf(await leaderOf());
        const name = sandbox.report.members.find((m) => m.name !== leader)!.name;
        const own = [sandbox.member(name).clientUrl];
        const reachable = sandbox.report.members.filter((m) => m.name !== name).map((m) => m.clientUrl);

        expect((await sandbox.cli(["isolate", name])).code).toBe(0);
        try {
            for (let i = 0; i < 50; i++) {
                const put = await sandbox.etcdctl(["put", `/partition/${i}`, `p${i}`], { endpoints: reachable });
                expect(put.code).toBe(0);
            }
            const unreachable = await sandbox.etcdctl(["get", "/partition/49"], { endpoints: own, timeoutMs: 15_000 });
            expect(unreachable.code).not.toBe(0);
            const status = await sandbox.cli(["status"]);
            expect(status.code).not.toBe(0);
        } finally {
            expect((await sandbox.cli(["heal", name])).code).toBe(0);
        }
        const healedAt = Date.now();
        await waitFor(
            `${name} to catch up`,
            async () => {
                const get = await sandbox.etcdctl(["get", "/partition/49", "--print-value-only", "--consistency=s"], { endpoints: own, timeoutMs: 5000 });
                return get.stdout.trim() === "p49" ? true : undefined;
            },
            60_000,
            200,
        );
        console.log(`etcd ${version}: ${name} caught up ${Date.now() - healedAt} ms after the link came back`);
        const revisions = new Set((await sandbox.endpointStatus()).map((s) => s.revision));
        expect(revisions.size).toBe(1);
        await waitAllHealthy(60_000);
    });
});
