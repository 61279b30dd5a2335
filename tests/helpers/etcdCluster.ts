/**
 * Real etcd clusters for integration tests and the benchmark: members on loopback addresses (Linux
 * routes all of 127/8 to lo, so each member gets its own address with the fixed ports), configured
 * by the package's own renderers (member.env, etcd.new.yaml, ...) under a temporary directory, with
 * a throw-away PKI made by openssl (CA, member certificates with IP SANs, node client certificates,
 * kubespray names). Every process goes through a ProcessGroup, so `stopAll()` in afterAll (or Node's
 * exit) leaves none running.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { memberFileList } from "../../components/render/memberFiles";
import { forLoopbackMember } from "./loopbackMembers";
import { NodePaths } from "../../components/render/paths";
import { MemberAddress, MemberRenderInput } from "../../components/render/types";
import { ProcessGroup, run, RunResult, Started, waitFor } from "./processes";
import { cleanEnv, REPO_ROOT } from "./repo";
import { localRenderInput } from "./renderInput";
import { initialClusterOf } from "../../config/contract";


/** A node script of this repository, run in place (`node/<name>.sh`). */
export function nodeScript(name: string): string {
    return path.join(REPO_ROOT, "node", `${name}.sh`);
}


export function requireTool(tool: string, install: string): string {
    try {
        return execFileSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    } catch {
        throw new Error(`${tool} is required by these tests and is not installed: ${install}`);
    }
}

/** Quotes a value for a member.env line the way the renderer does. */
function envLine(key: string, value: string): string {
    return `${key}='${value.replace(/'/g, `'\\''`)}'`;
}

// ---- PKI --------------------------------------------------------------------------------------------

export class TestPki {
    /** A self-signed CA, or with `signedBy` an intermediate CA that root signed (ca.pem then holds the intermediate only). */
    constructor(readonly dir: string, signedBy?: TestPki) {
        fs.mkdirSync(dir, { recursive: true });
        if (!signedBy) {
            this.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=etcd-test-ca"]);
            return;
        }
        fs.writeFileSync(path.join(dir, "ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
        this.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.csr", "-subj", "/CN=etcd-test-intermediate-ca"]);
        this.openssl(["x509", "-req", "-in", path.join(dir, "ca.csr"), "-CA", path.join(signedBy.dir, "ca.pem"), "-CAkey", path.join(signedBy.dir, "ca-key.pem"), "-CAcreateserial", "-days", "2", "-out", "ca.pem", "-extfile", "ca.ext"]);
    }

    private openssl(args: string[]): void {
        execFileSync("openssl", args, { cwd: this.dir, stdio: ["ignore", "ignore", "pipe"] });
    }

    private cert(base: string, cn: string, ext: string): void {
        fs.writeFileSync(path.join(this.dir, `${base}.ext`), ext);
        this.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${base}-key.pem`, "-out", `${base}.csr`, "-subj", `/CN=${cn}`]);
        this.openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "2", "-out", `${base}.pem`, "-extfile", `${base}.ext`]);
    }

    /**
     * member-NAME(.pem|-key.pem) as issue() makes it, but valid only in January 2020: `openssl ca`,
     * because `openssl x509` (3.0) can only start a certificate now.
     */
    issueExpired(member: MemberAddress, certDir: string): void {
        const base = `member-${member.name}`;
        fs.writeFileSync(path.join(this.dir, "index.txt"), "");
        fs.writeFileSync(path.join(this.dir, "serial"), "1000\n");
        fs.writeFileSync(
            path.join(this.dir, "ca.cnf"),
            `[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n`,
        );
        fs.writeFileSync(path.join(this.dir, `${base}.ext`), `subjectAltName=IP:${member.ip},IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n`);
        this.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${base}-key.pem`, "-out", `${base}.csr`, "-subj", `/CN=${member.name}`]);
        this.openssl(["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca-key.pem", "-in", `${base}.csr`, "-out", `${base}.pem`, "-notext", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", `${base}.ext`]);
        fs.mkdirSync(certDir, { recursive: true });
        for (const f of [`${base}.pem`, `${base}-key.pem`]) fs.copyFileSync(path.join(this.dir, f), path.join(certDir, f));
    }

    /** ca.pem, member-NAME(.pem|-key.pem) with the member's IP SAN, node-NAME(...) client pair, into certDir. */
    issue(member: MemberAddress, certDir: string): void {
        this.cert(`member-${member.name}`, member.name, `subjectAltName=IP:${member.ip},IP:127.0.0.1,DNS:localhost\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`);
        this.cert(`node-${member.name}`, `node-${member.name}`, "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n");
        fs.mkdirSync(certDir, { recursive: true });
        for (const f of ["ca.pem", `member-${member.name}.pem`, `member-${member.name}-key.pem`, `node-${member.name}.pem`, `node-${member.name}-key.pem`]) {
            fs.copyFileSync(path.join(this.dir, f), path.join(certDir, f));
        }
    }
}

// ---- clusters ---------------------------------------------------------------------------------------

export interface TestClusterOptions {
    version: string;
    /** Directory holding etcd, etcdctl and etcdutl of `version`. */
    binDir: string;
    /** Temporary directory for everything of this cluster (configs, certificates, data, logs). */
    dir: string;
    members: MemberAddress[];
    /** initial-cluster-token; random by default. */
    token?: string;
    /** Extra member.env lines (settings member.env does not render yet, test overrides). */
    memberEnv?: Record<string, string>;
    /** Process environment for every node script run by runScript/env (e.g. the AWS CLI's settings). */
    scriptEnv?: Record<string, string>;
    input?: Partial<MemberRenderInput>;
}

export interface ClusterStatus {
    clusterId: string;
    leaderId: string;
    leaderName: string;
    revision: number;
}

export class TestCluster {
    readonly token: string;
    readonly members: MemberAddress[];
    private readonly paths = new Map<string, NodePaths>();
    private readonly running = new Map<string, Started>();

    constructor(
        private readonly group: ProcessGroup,
        readonly options: TestClusterOptions,
    ) {
        this.token = options.token ?? `it-token-${crypto.randomBytes(4).toString("hex")}`;
        this.members = options.members;
        const pki = new TestPki(path.join(options.dir, "pki"));
        for (const m of this.members) {
            const root = path.join(options.dir, m.name);
            const p: NodePaths = {
                configDir: `${root}/etc`,
                certDir: `${root}/ssl`,
                dataDir: `${root}/volume/data`,
                mountPoint: `${root}/volume`,
                binDir: options.binDir,
                sbinDir: `${root}/sbin`,
                systemdDir: `${root}/systemd`,
                runtimeDir: `${root}/run`,
            };
            this.paths.set(m.name, p);
            const input = localRenderInput(m, this.members, options.version, this.token, { logLevel: "warn", ...options.input });
            for (const file of memberFileList(input, p).map(forLoopbackMember)) {
                if (file.kind === "script" || file.kind === "library" || file.kind === "systemd-unit") continue;
                fs.mkdirSync(path.dirname(file.path), { recursive: true });
                fs.writeFileSync(file.path, file.content, { mode: parseInt(file.mode, 8) });
            }
            fs.mkdirSync(p.dataDir, { recursive: true, mode: 0o700 });
            pki.issue(m, p.certDir);
            // The node's etcd user does not exist here: files belong to whoever runs the tests.
            // No SSM here: a restore of "latest" reads the cluster's id only where a test gives the
            // parameter (and an SSM stand-in on PATH).
            this.appendEnv(m.name, { SERVICE_USER: process.env.USER || "root", CLUSTER_IDS_PATH: "", ...(options.memberEnv ?? {}) });
            this.writeRoster(m.name);
            this.useConfig(m.name, "new");
        }
    }

    memberPaths(name: string): NodePaths {
        const p = this.paths.get(name);
        if (!p) throw new Error(`no member ${name}`);
        return p;
    }

    memberEnvFile(name: string): string {
        return `${this.memberPaths(name).configDir}/member.env`;
    }

    member(name: string): MemberAddress {
        const m = this.members.find((x) => x.name === name);
        if (!m) throw new Error(`no member ${name}`);
        return m;
    }

    names(): string[] {
        return this.members.map((m) => m.name);
    }

    clientUrl(name: string): string {
        return `https://${this.member(name).ip}:2379`;
    }

    /** Appends KEY='value' lines to a member's member.env (later lines win when sourced). */
    appendEnv(name: string, vars: Record<string, string>): void {
        const lines = Object.entries(vars).map(([k, v]) => envLine(k, v));
        if (lines.length > 0) fs.appendFileSync(this.memberEnvFile(name), lines.join("\n") + "\n");
    }

    /**
     * Writes etcd.yaml as etcd-choose-state does: the new or existing config plus the initial
     * cluster (every member of this test cluster unless given).
     */
    useConfig(name: string, state: "new" | "existing", initialCluster = initialClusterOf(this.members)): void {
        const dir = this.memberPaths(name).configDir;
        const template = fs.readFileSync(`${dir}/etcd.${state}.yaml`, "utf8");
        fs.rmSync(`${dir}/etcd.yaml`, { force: true });
        fs.writeFileSync(`${dir}/etcd.yaml`, `${template}initial-cluster: '${initialCluster}'\n`);
    }

    /**
     * roster.env as etcd-fetch-roster writes it from this cluster's roster (nodeScripts.test checks
     * the real script's file byte for byte against this form).
     */
    writeRoster(name: string): void {
        const others = this.members.filter((m) => m.name !== name).map((m) => `https://${m.ip}:2379`);
        const text = `INITIAL_CLUSTER='${initialClusterOf(this.members)}'\nOTHER_CLIENT_URLS='${others.join(",")}'\nROSTER_MEMBER_COUNT=${this.members.length}\n`;
        fs.writeFileSync(`${this.memberPaths(name).configDir}/roster.env`, text);
    }


    /** Environment for running a node script as this member. */
    env(name: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        return cleanEnv({ ETCD_MEMBER_ENV: this.memberEnvFile(name), ...(this.options.scriptEnv ?? {}), ...extra });
    }

    start(names: string[] = this.names()): void {
        for (const name of names) {
            if (this.isRunning(name)) continue;
            const p = this.memberPaths(name);
            const proc = this.group.start(name, path.join(this.options.binDir, "etcd"), ["--config-file", `${p.configDir}/etcd.yaml`], {
                logFile: path.join(this.options.dir, `${name}.log`),
                env: cleanEnv(),
            });
            this.running.set(name, proc);
        }
    }

    isRunning(name: string): boolean {
        const p = this.running.get(name);
        return !!p && p.child.exitCode === null && p.child.signalCode === null;
    }

    async stop(name: string): Promise<void> {
        const p = this.running.get(name);
        if (p) await this.group.stop(p, 10_000);
        this.running.delete(name);
    }

    async stopAll(): Promise<void> {
        await Promise.all(this.names().map((n) => this.stop(n)));
    }

    /** etcdctl as member `as` would run it locally (its node client certificate). */
    etcdctl(args: string[], options: { as?: string; endpoints?: string[]; timeoutMs?: number; commandTimeout?: string } = {}): Promise<RunResult> {
        const as = options.as ?? this.names()[0];
        const p = this.memberPaths(as);
        const endpoints = options.endpoints ?? this.names().filter((n) => this.isRunning(n)).map((n) => this.clientUrl(n));
        return run(
            path.join(this.options.binDir, "etcdctl"),
            [
                "--endpoints",
                endpoints.join(","),
                "--cacert",
                `${p.certDir}/ca.pem`,
                "--cert",
                `${p.certDir}/node-${as}.pem`,
                "--key",
                `${p.certDir}/node-${as}-key.pem`,
                "--dial-timeout",
                "2s",
                "--command-timeout",
                options.commandTimeout ?? "10s",
                ...args,
            ],
            { env: cleanEnv(), timeoutMs: options.timeoutMs ?? 30_000 },
        );
    }

    /** Member id (decimal text: 64-bit ids do not fit a JavaScript number) -> member name, from endpoint status. */
    async status(names: string[] = this.names()): Promise<ClusterStatus | undefined> {
        const result = await this.etcdctl(["endpoint", "status", "-w", "json"], { endpoints: names.map((n) => this.clientUrl(n)) });
        if (result.code !== 0) return undefined;
        const rows = result.stdout.split('{"Endpoint":').slice(1);
        if (rows.length !== names.length) return undefined;
        const parsed = rows.map((row) => ({
            endpoint: /^"([^"]+)"/.exec(row)?.[1] ?? "",
            clusterId: /"cluster_id":(\d+)/.exec(row)?.[1] ?? "",
            memberId: /"member_id":(\d+)/.exec(row)?.[1] ?? "",
            revision: Number(/"revision":(\d+)/.exec(row)?.[1] ?? "0"),
            leader: /"leader":(\d+)/.exec(row)?.[1] ?? "0",
        }));
        const clusterIds = new Set(parsed.map((r) => r.clusterId));
        const leaders = new Set(parsed.map((r) => r.leader));
        if (clusterIds.size !== 1 || leaders.size !== 1 || parsed[0].leader === "0") return undefined;
        const leaderRow = parsed.find((r) => r.memberId === parsed[0].leader);
        if (!leaderRow) return undefined;
        const leaderName = this.members.find((m) => `https://${m.ip}:2379` === leaderRow.endpoint)?.name ?? "";
        return { clusterId: parsed[0].clusterId, leaderId: parsed[0].leader, leaderName, revision: Math.max(...parsed.map((r) => r.revision)) };
    }

    /** Waits until the given members all answer health and agree on one leader among them. */
    async waitHealthy(names: string[] = this.names(), timeoutMs = 60_000): Promise<ClusterStatus> {
        return waitFor(
            `members ${names.join(",")} healthy with one leader`,
            async () => {
                const health = await this.etcdctl(["endpoint", "health"], { endpoints: names.map((n) => this.clientUrl(n)) });
                if (health.code !== 0) return undefined;
                return this.status(names);
            },
            timeoutMs,
            200,
        );
    }

    /** Hex member ids by name, from `member list`. */
    async memberIds(): Promise<Map<string, string>> {
        const list = await this.etcdctl(["member", "list", "-w", "simple"]);
        if (list.code !== 0) throw new Error(`member list failed: ${list.stderr}`);
        const ids = new Map<string, string>();
        for (const line of list.stdout.trim().split("\n")) {
            const [id, , name] = line.split(", ");
            ids.set(name, id);
        }
        return ids;
    }

    /** Runs a node script of this repository as member `name`. */
    runScript(name: string, script: string, args: string[] = [], extraEnv: Record<string, string> = {}, timeoutMs = 120_000): Promise<RunResult> {
        return run(nodeScript(script), args, { env: this.env(name, extraEnv), timeoutMs });
    }
}

/** A fingerprint of a directory tree (paths, sizes, modes, mtimes and content hashes) to prove it was not touched. */
export function treeFingerprint(dir: string): string {
    const hash = crypto.createHash("sha256");
    const walk = (d: string) => {
        if (!fs.existsSync(d)) {
            hash.update(`missing ${d}\n`);
            return;
        }
        for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const full = path.join(d, entry.name);
            const st = fs.lstatSync(full);
            hash.update(`${path.relative(dir, full)} ${st.mode} ${st.size} ${st.mtimeMs}\n`);
            if (entry.isDirectory()) walk(full);
            else if (entry.isFile()) hash.update(fs.readFileSync(full));
        }
    };
    walk(dir);
    return hash.digest("hex");
}
