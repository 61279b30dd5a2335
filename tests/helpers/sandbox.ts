import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ETCD_RELEASE_CHECKSUMS } from "../../config/etcdReleases";
import type { ApplyReport } from "../../sandbox/apply";
import { SandboxReport } from "../../sandbox/report";
import { currentInit } from "../../sandbox/machines";
import { inNamespace } from "../../sandbox/namespaces";
import { stackDir } from "../../sandbox/state";
import { testEtcdVersion } from "./etcdBinaries";
import { run, RunResult } from "./processes";
import { cleanEnv, REPO_ROOT } from "./repo";

const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");


/** `npm run sandbox -- ...` */
export function sandboxCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(TSX, [path.join(REPO_ROOT, "sandbox", "cli.ts"), ...args], { env: cleanEnv(options.env), timeoutMs: options.timeoutMs ?? 60_000 });
}

/**
 * A stack settings file for a test: `base` (a Pulumi.<stack>.yaml) with the etcd release under
 * test. A release with no shipped checksum (3.7.x) gets a placeholder etcdSha256: the sandbox
 * substitutes the download, so no checksum is ever compared there (never use one on AWS).
 */
export function testStackFile(base: string, dir: string, version = testEtcdVersion()): string {
    const document = YAML.parse(fs.readFileSync(base, "utf8"));
    document.config["etcd-cluster:etcdVersion"] = version;
    if (!ETCD_RELEASE_CHECKSUMS[version]) document.config["etcd-cluster:etcdSha256"] = "5a".repeat(32);
    const file = path.join(dir, path.basename(base).replace(/\.yaml$/, `.${version}.yaml`));
    fs.writeFileSync(file, YAML.stringify(document));
    return file;
}

/** A copy of a test stack file with some settings changed (`etcd-cluster:<key>`), as `Pulumi.<name>.yaml` in dir. */
export function changedStackFile(stackFile: string, dir: string, name: string, settings: Record<string, unknown>): string {
    const document = YAML.parse(fs.readFileSync(stackFile, "utf8"));
    for (const [key, value] of Object.entries(settings)) document.config[`etcd-cluster:${key}`] = value;
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify(document));
    return file;
}

/**
 * A failed command's stderr with its last "sandbox: " line (the error the CLI printed, after the
 * members' log tails) first, so that a CI excerpt of the head shows why.
 */
function failureFirst(stderr: string): string {
    const at = stderr.lastIndexOf("\nsandbox: ");
    if (at < 0) return stderr.slice(-6000);
    const error = stderr.slice(at + 1, at + 1 + 3000);
    return `${error}\n--- the output before it:\n${stderr.slice(Math.max(0, at - 6000), Math.max(0, at))}`;
}

/** A sandbox the test brought up; `down()` in afterAll, always. */
export class TestSandbox {
    private constructor(
        readonly stack: string,
        public report: SandboxReport,
        readonly upMs: number,
        private readonly env: Record<string, string>,
    ) {}

    /** `version`: the etcd release to start with; by default the one under test. */
    static async up(stack: string, baseStackFile: string, env: Record<string, string> = {}, version = testEtcdVersion()): Promise<TestSandbox> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sandbox-${stack}-`));
        try {
            await sandboxCli(["down", "--stack", stack], { env });
            const started = Date.now();
            const result = await sandboxCli(["up", "--stack", stack, "--config-file", testStackFile(baseStackFile, dir, version)], { env, timeoutMs: 20 * 60_000 });
            if (result.code !== 0) throw new Error(`sandbox up failed (${result.code}): ${failureFirst(result.stderr)}`);
            return new TestSandbox(stack, JSON.parse(result.stdout), Date.now() - started, env);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    /** `sandbox apply --config-file FILE [...]`: its exit code, its JSON report and its log. */
    async apply(file: string, extra: string[] = []): Promise<{ code: number; report: ApplyReport; stderr: string }> {
        const result = await this.cli(["apply", "--config-file", file, ...extra], 20 * 60_000);
        return { code: result.code, report: JSON.parse(result.stdout) as ApplyReport, stderr: result.stderr };
    }

    cli(args: string[], timeoutMs = 60_000): Promise<RunResult> {
        return sandboxCli([...args, "--stack", this.stack], { env: this.env, timeoutMs });
    }

    /** `sandbox down`, then checks that none of its processes, namespaces or files are left. */
    async down(): Promise<void> {
        const result = await this.cli(["down"], 120_000);
        if (result.code !== 0) throw new Error(`sandbox down failed: ${result.stderr}`);
        const left = this.report.members.filter((m) => m.pid && fs.existsSync(`/proc/${m.pid}`)).map((m) => `${m.name} (pid ${m.pid})`);
        const namespaces = (await run("ip", ["netns", "list"])).stdout;
        const ours = (name: string) => name === this.report.namespace || name.startsWith(`${this.report.namespace}-`);
        left.push(...namespaces.split("\n").map((l) => l.split(" ")[0]).filter(ours));
        if (fs.existsSync(stackDir(this.stack))) left.push(stackDir(this.stack));
        // Machines: their overlay roots and their volumes' loop devices.
        const ofStack = (line: string) => line.includes(`${stackDir(this.stack)}/`);
        left.push(...fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(ofStack).map((l) => `mount ${l.split(" ")[4]}`));
        left.push(...(await run("losetup", ["-a"])).stdout.split("\n").filter(ofStack).map((l) => `loop ${l.split(":")[0]}`));
        if (left.length > 0) throw new Error(`sandbox down left behind: ${left.join(", ")}`);
    }

    member(name: string) {
        const m = this.report.members.find((x) => x.name === name);
        if (!m) throw new Error(`no member ${name}`);
        return m;
    }

    /**
     * Host path of a file on a member's node, e.g. /etc/etcd/etcd.yaml: the path through the running
     * machine's root as its own processes see it, its data volume's mount included, so it follows a
     * reboot or replace. (An absolute symlink in it resolves on the host: read its target instead.)
     */
    nodeFile(name: string, nodePath: string): string {
        const init = currentInit(path.join(stackDir(this.stack), this.member(name).name));
        if (!init) throw new Error(`the machine of ${name} is not running`);
        return path.join(`/proc/${init}/root`, nodePath);
    }

    /** Host path of a file in the member's etcd data dir (on its volume). */
    dataFile(name: string, ...parts: string[]): string {
        return path.join(this.nodeFile(name, this.member(name).dataDir), ...parts);
    }

    /** Runs a command inside a member's machine (`sandbox exec`). */
    exec(name: string, command: string[], timeoutMs = 30_000): Promise<RunResult> {
        return sandboxCli(["exec", name, "--stack", this.stack, "--", ...command], { env: this.env, timeoutMs });
    }

    /** What the member's machine logged: its journal of every boot (cloud-init's output, the units, etcd). */
    async machineLog(name: string): Promise<string> {
        const journal = await this.exec(name, ["journalctl", "--no-pager", "-o", "cat"], 60_000);
        if (journal.code !== 0) throw new Error(`journalctl on ${name} failed: ${journal.stderr}`);
        return journal.stdout;
    }

    get etcdctlPath(): string {
        return /(\S*\/etcdctl) /.exec(this.report.etcdctl)![1];
    }

    /** Runs a command where clients run: the hub namespace. */
    inHub(argv: string[], timeoutMs = 30_000, env: Record<string, string> = {}): Promise<RunResult> {
        const full = [...inNamespace(this.report.namespace), ...argv];
        return run(full[0], full.slice(1), { env: cleanEnv(env), timeoutMs });
    }

    /** Runs a command in a member's network namespace (its own address). */
    inMember(name: string, argv: string[], timeoutMs = 30_000): Promise<RunResult> {
        const full = [...inNamespace(this.member(name).namespace), ...argv];
        return run(full[0], full.slice(1), { env: cleanEnv(), timeoutMs });
    }

    /** etcdctl from the clients' place, by default with the admin certificate against every member. */
    etcdctl(args: string[], options: { endpoints?: string[]; cert?: string; key?: string; cacert?: string; timeoutMs?: number } = {}): Promise<RunResult> {
        const endpoints = options.endpoints ?? this.report.members.map((m) => m.clientUrl);
        const tls = [
            ...(options.cacert === "" ? [] : [`--cacert=${options.cacert ?? this.report.caFile}`]),
            ...(options.cert === "" ? [] : [`--cert=${options.cert ?? this.report.certFile}`]),
            ...(options.key === "" ? [] : [`--key=${options.key ?? this.report.keyFile}`]),
        ];
        return this.inHub(
            [this.etcdctlPath, `--endpoints=${endpoints.join(",")}`, ...tls, "--dial-timeout=2s", "--command-timeout=5s", ...args],
            options.timeoutMs ?? 30_000,
        );
    }

    /** Each member's endpoint status: member id and leader id as text (64-bit ids do not fit a number). */
    async endpointStatus(endpoints?: string[], timeoutMs?: number): Promise<Array<{ endpoint: string; memberId: string; leader: string; revision: string; raftIndex: string }>> {
        const result = await this.etcdctl(["endpoint", "status", "-w", "json", "--command-timeout=1s"], { endpoints, timeoutMs });
        if (result.code !== 0 && result.stdout.trim() === "") throw new Error(`endpoint status failed: ${result.stderr}`);
        return result.stdout
            .split('{"Endpoint":')
            .slice(1)
            .map((entry) => {
                const field = (name: string) => new RegExp(`"${name}":"?([^",}]+)`).exec(entry)?.[1] ?? "";
                return { endpoint: /^"([^"]+)"/.exec(entry)![1], memberId: field("member_id"), leader: field("leader"), revision: field("revision"), raftIndex: field("raftIndex") };
            });
    }

    /** `member list`: id (hex), name, peer and client URLs. */
    async memberList(): Promise<Array<{ id: string; status: string; name: string; peerUrl: string; clientUrl: string; learner: string }>> {
        const result = await this.etcdctl(["member", "list", "-w", "simple"]);
        if (result.code !== 0) throw new Error(`member list failed: ${result.stderr}`);
        return result.stdout
            .trim()
            .split("\n")
            .map((line) => {
                const [id, status, name, peerUrl, clientUrl, learner] = line.split(", ");
                return { id, status, name, peerUrl, clientUrl, learner };
            });
    }
}
