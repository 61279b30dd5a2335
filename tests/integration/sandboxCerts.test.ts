/**
 * Certificates over a running cluster's life, on the dev stack's machines: a leaf renewal (new
 * member and node certificates, the same keys and CA, as a `pulumi up` inside certEarlyRenewalHours
 * makes them) reaches every member through its certificate sync without a restart, with a writer
 * running; and a certificate set the member could not use is refused on the machine, the files in
 * place kept. The renewal is made by changing certValidityHours, which re-issues every leaf
 * certificate as a renewal does. Then a CA rotation in its three updates, with a key algorithm
 * change, each under load (`apply --load`), and a skipped phase refused. `down` in afterAll removes every process, namespace, mount and file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import type { ApplyReport } from "../../sandbox/apply";
import { CERT_SYNC_SERVICE, ETCD_SERVICE } from "../../components/render/systemd";
import { startLoad } from "../../sandbox/loadRun";
import { readState } from "../../sandbox/state";
import { testEtcdVersion } from "../helpers/etcdBinaries";
import { REPO_ROOT } from "../helpers/repo";
import { changedStackFile, testStackFile, TestSandbox } from "../helpers/sandbox";

const STACK = "it-certs";
const version = testEtcdVersion();
let sandbox: TestSandbox;
let tmp: string;
let stackFile: string;

beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-certs-test-"));
    stackFile = testStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml"), tmp);
    sandbox = await TestSandbox.up(STACK, path.join(REPO_ROOT, "Pulumi.dev.yaml"));
}, 20 * 60_000);

afterAll(async () => {
    await sandbox?.down();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 180_000);

const names = () => sandbox.report.members.map((m) => m.name);

/** The serial of the certificate a member's client port serves, as a client sees it from the hub. */
async function servedSerial(name: string): Promise<string> {
    const member = sandbox.report.members.find((m) => m.name === name)!;
    const { caFile, certFile, keyFile } = sandbox.report;
    const script = `openssl s_client -connect ${member.ip}:2379 -CAfile ${caFile} -cert ${certFile} -key ${keyFile} </dev/null 2>/dev/null | openssl x509 -noout -serial`;
    const result = await sandbox.inHub(["bash", "-c", script]);
    if (result.code !== 0) throw new Error(`reading the certificate ${name} serves failed: ${result.stderr}`);
    return result.stdout.trim();
}

/** The serial of a certificate file on the member's machine. */
async function fileSerial(name: string, file: string): Promise<string> {
    return (await sandbox.exec(name, ["openssl", "x509", "-noout", "-serial", "-in", file])).stdout.trim();
}

/** The test's stack file with some settings changed. */
const changed = (name: string, settings: Record<string, unknown>) => changedStackFile(stackFile, tmp, name, settings);

const applyWith = (file: string, extra: string[] = []) => sandbox.apply(file, extra);

/** The issuer and the public key algorithm of the certificate a member's client port serves. */
async function served(name: string, caFile = sandbox.report.caFile): Promise<{ issuer: string; keyType: string }> {
    const member = sandbox.report.members.find((m) => m.name === name)!;
    const script =
        `openssl s_client -verify_return_error -connect ${member.ip}:2379 -CAfile ${caFile} -cert ${sandbox.report.certFile} -key ${sandbox.report.keyFile} </dev/null 2>/dev/null ` +
        `| openssl x509 -noout -issuer -text | grep -E '^issuer|Public Key Algorithm'`;
    const result = await sandbox.inHub(["bash", "-c", script]);
    if (result.code !== 0) throw new Error(`reading the certificate ${name} serves failed: ${result.stderr}`);
    const issuer = /^issuer=.*CN ?= ?([^,\n]+)/m.exec(result.stdout)?.[1]?.trim() ?? "";
    const keyType = /Public Key Algorithm: (\S+)/.exec(result.stdout)?.[1] ?? "";
    return { issuer, keyType };
}

/** How many CA certificates a member's ca.pem holds. */
const bundleSize = async (name: string) => Number((await sandbox.exec(name, ["grep", "-c", "BEGIN CERTIFICATE", "/etc/ssl/etcd/ssl/ca.pem"])).stdout.trim());

/** A client's /health request from the hub: the HTTP status, or 0 when TLS refused it. */
async function clientHealth(name: string, files: { caFile: string; certFile: string; keyFile: string }): Promise<number> {
    const member = sandbox.report.members.find((m) => m.name === name)!;
    const result = await sandbox.inHub(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", files.caFile, "--cert", files.certFile, "--key", files.keyFile, `https://${member.ip}:2379/health`]);
    return Number(result.stdout.trim() || "0");
}

const etcdPid = async (name: string) => (await sandbox.exec(name, ["systemctl", "show", ETCD_SERVICE, "-p", "MainPID", "--value"])).stdout.trim();
const syncLog = async (name: string) => (await sandbox.exec(name, ["journalctl", "--no-pager", "-o", "cat", "-u", CERT_SYNC_SERVICE])).stdout;
const memberCertFile = (name: string) => `/etc/ssl/etcd/ssl/member-${name}.pem`;

describe(`etcd ${version}: certificates on a running cluster`, () => {
    it("a leaf renewal reaches every member through its certificate sync, one after another, without a restart, under load", async () => {
        const pids = Object.fromEntries(await Promise.all(names().map(async (n) => [n, await etcdPid(n)] as const)));
        const before = Object.fromEntries(await Promise.all(names().map(async (n) => [n, await servedSerial(n)] as const)));

        const document = YAML.parse(fs.readFileSync(stackFile, "utf8"));
        document.config["etcd-cluster:certValidityHours"] = 8000;
        const file = path.join(tmp, "Pulumi.renewed.yaml");
        fs.writeFileSync(file, YAML.stringify(document));
        const applied = await sandbox.cli(["apply", "--config-file", file], 20 * 60_000);
        const report = JSON.parse(applied.stdout) as ApplyReport;
        expect(report.failed).toBeUndefined();
        expect(applied.code).toBe(0);
        // Only parameters change: no member is replaced or restarted for a renewal.
        expect(report.changes).toMatchObject({ replace: [], update: [], create: [], remove: [], move: [] });
        for (const n of names()) {
            expect(report.changes.parameters).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`/members/${n}/member\\.pem$`)), expect.stringMatching(new RegExp(`/members/${n}/node\\.pem$`))]));
        }
        expect(report.changes.parameters.some((p) => /ca\.pem$|-key\.pem$/.test(p))).toBe(false);

        // What each member's timer does within certSyncIntervalMinutes, here one member after another, with a client writing.
        const load = startLoad(readState(STACK)!, { prefix: `/renewal/${Date.now()}/`, count: 5000, deadlineMs: 5 * 60_000, intervalMs: 20, sampleMs: 250 });
        try {
            for (const n of names()) {
                const sync = await sandbox.exec(n, ["systemctl", "start", CERT_SYNC_SERVICE], 120_000);
                expect(sync.code).toBe(0);
                expect(await syncLog(n)).toMatch(new RegExp(`etcd-fetch-certs: ${n}: 2 of 5 files changed`));
                const now = await servedSerial(n);
                expect(now).not.toBe(before[n]);
                expect(now).toBe(await fileSerial(n, memberCertFile(n)));
            }
        } finally {
            const result = await load.finish();
            console.log(`etcd ${version}: leaf renewal ${JSON.stringify({ ...result, lost: result.lost.length })}`);
            expect(result.lost).toEqual([]);
            expect(result.quorumLostSamples).toBe(0);
            expect(result.acked).toBeGreaterThan(0);
        }
        // The same etcd processes: nothing restarted.
        for (const n of names()) expect(await etcdPid(n)).toBe(pids[n]);
        const status = JSON.parse((await sandbox.cli(["status"])).stdout) as { members: Array<{ health: { healthy: boolean } }> };
        expect(status.members.every((m) => m.health.healthy)).toBe(true);
    }, 20 * 60_000);

    it("a set the member could not use (another member's certificate) is refused on the machine: the files in place stay and etcd serves on", async () => {
        const state = readState(STACK)!;
        // The sandbox's Parameter Store: a file per parameter, named by its path.
        const files = (fs.readdirSync(state.machineSetup.ssmDir, { recursive: true }) as string[]).map((f) => path.join(state.machineSetup.ssmDir, f));
        const parameter = (member: string) => files.find((f) => f.endsWith(`/members/${member}/member.pem`))!;
        const own = parameter("etcd1");
        expect(fs.existsSync(own)).toBe(true);
        const original = fs.readFileSync(own, "utf8");
        const served = await servedSerial("etcd1");
        fs.writeFileSync(own, fs.readFileSync(parameter("etcd2"), "utf8"));
        try {
            const sync = await sandbox.exec("etcd1", ["systemctl", "start", CERT_SYNC_SERVICE], 120_000);
            expect(sync.code).not.toBe(0);
            expect(await syncLog("etcd1")).toMatch(/REFUSED, keeping the current certificates: the key of the member certificate .* does not belong to its certificate/);
            expect(await servedSerial("etcd1")).toBe(served);
            expect(await fileSerial("etcd1", memberCertFile("etcd1"))).toBe(served);
        } finally {
            fs.writeFileSync(own, original);
        }
        const again = await sandbox.exec("etcd1", ["systemctl", "start", CERT_SYNC_SERVICE], 120_000);
        expect(again.code).toBe(0);
    }, 10 * 60_000);

    it("a CA rotation skipping a phase is refused at the plan, before any member is touched", async () => {
        const { code, report } = await applyWith(changed("ca-skip", { caGeneration: 2 }));
        expect(code).toBe(1);
        expect(report.failed?.step).toBe("plan");
        expect(report.failed?.message).toMatch(/Invalid setting caGeneration: .*etcd1 runs caGeneration 1, caRotation none; .*caRotation: trust-next/);
        expect(report.steps.map((s) => s.step)).toEqual(["plan"]);
    }, 10 * 60_000);

    it("a CA rotation with a key algorithm change (ECDSA -> RSA) in three updates, each rolling one member at a time under load: nothing lost, quorum held, the old CA gone", async () => {
        const clientFiles = () => ({ caFile: sandbox.report.caFile, certFile: sandbox.report.certFile, keyFile: sandbox.report.keyFile });
        const keep = (tag: string) => {
            const kept = Object.fromEntries(Object.entries(clientFiles()).map(([k, file]) => [k, path.join(tmp, `${tag}-${path.basename(file)}`)])) as ReturnType<typeof clientFiles>;
            for (const [k, file] of Object.entries(clientFiles())) fs.copyFileSync(file, kept[k as keyof typeof kept]);
            return kept;
        };
        const original = keep("gen1");
        const oldIssuer = (await served("etcd1")).issuer;
        expect(oldIssuer).toMatch(/etcd CA$/);
        const phases: Array<[string, Record<string, unknown>]> = [
            ["trust-next", { caRotation: "trust-next", keyAlgorithm: "RSA" }],
            ["sign-with-next", { caRotation: "sign-with-next", keyAlgorithm: "RSA" }],
            ["done", { caGeneration: 2, keyAlgorithm: "RSA" }],
        ];
        for (const [phase, settings] of phases) {
            const { code, report } = await applyWith(changed(`ca-${phase}`, settings), ["--load"]);
            const load = report.load!;
            console.log(`etcd ${version}: CA rotation ${phase} ${JSON.stringify({ steps: report.steps.map((s) => [s.step, s.member, s.tookMs]), load: { ...load, lost: load.lost.length } })}`);
            expect(report.failed).toBeUndefined();
            expect(code).toBe(0);
            // Each phase restarts every member, one at a time behind its gate.
            expect(report.changes.replace).toEqual(["etcd1", "etcd2", "etcd3"]);
            expect(report.steps.map((s) => `${s.step}${s.member ? ` ${s.member}` : ""}`)).toEqual(["plan", "parameters", "replace etcd1", "gate etcd1", "replace etcd2", "gate etcd2", "replace etcd3", "gate etcd3"]);
            expect(load.lost).toEqual([]);
            expect(load.acked).toBeGreaterThan(100);
            expect(load.quorumHeld).toBe(true);
            expect(load.quorumLostSamples).toBe(0);
            for (const n of names()) {
                const cert = await served(n);
                if (phase === "trust-next") {
                    expect(await bundleSize(n)).toBe(2);
                    expect(cert).toEqual({ issuer: oldIssuer, keyType: "id-ecPublicKey" });
                } else {
                    expect(await bundleSize(n)).toBe(phase === "done" ? 1 : 2);
                    expect(cert).toEqual({ issuer: `${oldIssuer} 2`, keyType: "rsaEncryption" });
                }
            }
        }
        // The old CA is gone from every member: a client of the old CA is refused, a current one is served.
        for (const n of names()) {
            expect(await clientHealth(n, clientFiles())).toBe(200);
            expect(await clientHealth(n, { ...clientFiles(), certFile: original.certFile, keyFile: original.keyFile })).toBe(0);
            expect(await clientHealth(n, { ...clientFiles(), caFile: original.caFile })).toBe(0);
        }
        // Where the rotation ends is a routine state: applying it again changes nothing.
        const again = await applyWith(changed("ca-done", { caGeneration: 2, keyAlgorithm: "RSA" }));
        expect(again.code).toBe(0);
        expect(again.report.changes).toEqual({ replace: [], update: [], create: [], remove: [], move: [], parameters: [] });
    }, 40 * 60_000);
});
