/**
 * The node scripts and rendered configs against real tools: shellcheck, cloud-init's schema, and
 * real etcd clusters of three members on loopback addresses (Linux routes all of 127/8 to lo, so
 * each member gets its own address with the fixed ports). This file uses 127.0.0.11-13, 21-23, ...
 * (one block per etcd version). Every process is killed in afterAll.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { memberFileList } from "../../components/render/memberFiles";
import { forLoopbackMember } from "../helpers/loopbackMembers";
import { NodePaths } from "../../components/render/paths";
import { MemberAddress, MemberRenderInput } from "../../components/render/types";
import { gzipUserData, renderUserData } from "../../components/render/userData";
import { etcdBinDir, testEtcdVersion, testEtcdVersions } from "../helpers/etcdBinaries";
import { nodeScript, requireTool, TestPki } from "../helpers/etcdCluster";
import { ProcessGroup, run, RunResult, Started, waitFor } from "../helpers/processes";
import { cleanEnv } from "../helpers/repo";
import { SsmStandIn } from "../helpers/ssmStandIn";
import { rosterDocument, s3Keys } from "../../config/contract";
import { localRenderInput } from "../helpers/renderInput";



function baseInput(member: MemberAddress, members: MemberAddress[], version: string): MemberRenderInput {
    return localRenderInput(member, members, version, `it-token-${crypto.randomBytes(4).toString("hex")}`);
}

/** Writes every member file under its (temporary) path, with its mode; a loopback member's as tests run it. */
function writeMemberFiles(input: MemberRenderInput, paths: NodePaths): void {
    const files = memberFileList(input, paths);
    for (const file of input.member.ip.startsWith("127.") ? files.map(forLoopbackMember) : files) {
        fs.mkdirSync(path.dirname(file.path), { recursive: true });
        fs.writeFileSync(file.path, file.content, { mode: parseInt(file.mode, 8) });
    }
}

// ---- static checks ------------------------------------------------------------------------------

describe("node scripts and user data, checked by their tools", () => {
    it("is accepted by cloud-init's schema, and cloud-init unpacks the gzip form EC2 gets", async () => {
        const cloudInit = requireTool("cloud-init", "apt-get install -y cloud-init");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "userdata-"));
        try {
            const members = [1, 2, 3].map((i) => ({ name: `etcd${i}`, ip: `10.0.${i}.10` }));
            const text = renderUserData(baseInput(members[0], members, testEtcdVersion()));
            fs.writeFileSync(path.join(dir, "user-data.yaml"), text);
            fs.writeFileSync(path.join(dir, "user-data.gz"), gzipUserData(text));
            const schema = await run(cloudInit, ["schema", "--config-file", path.join(dir, "user-data.yaml")]);
            expect(schema.stdout).toContain("Valid cloud-config");
            expect(schema.code).toBe(0);
            // The Python cloud-init itself reads the compressed blob back into the same document.
            const py = [
                "import sys",
                "from cloudinit import user_data",
                "msg = user_data.convert_string(open(sys.argv[1], 'rb').read())",
                "parts = [p for p in msg.walk() if not p.is_multipart()]",
                "sys.stdout.write(parts[0].get_payload())",
            ].join("\n");
            const decoded = await run("/usr/bin/python3", ["-c", py, path.join(dir, "user-data.gz")]);
            expect(decoded.stderr).toBe("");
            expect(decoded.stdout).toBe(text);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("the bucket's layout in the backup library is the contract's", () => {
    it("names the snapshots' prefix and a snapshot's manifest as config/contract.ts does", async () => {
        const keys = ["proj/prod/etcd/snapshots/2026/12/07/20261207T101500Z-r42.db", "snapshots/2026/01/02/20260102T000000Z-r1.db"];
        const prefixes = ["proj/prod/etcd", "a/b", ""];
        const shell = [
            `source ${nodeScript("etcd-node-common")}`,
            `source ${nodeScript("etcd-backup-common")}`,
            ...keys.map((key) => `manifest_key_of '${key}'`),
            ...prefixes.map((prefix) => `BACKUP_PREFIX='${prefix}' snapshots_prefix`),
        ].join("\n");
        const result = await run("bash", ["-c", shell], { env: cleanEnv({ ETCD_MEMBER_ENV: "/dev/null" }) });
        expect(result.stderr).toBe("");
        expect(result.stdout.trim().split("\n")).toEqual([...keys.map(s3Keys.snapshotManifest), ...prefixes.map((prefix) => (prefix ? s3Keys.snapshots(prefix) : "snapshots/"))]);
    });
});

// ---- etcd-install against a file:// mirror --------------------------------------------------------

describe("etcd-install", () => {
    let dir: string;
    let binSource: string;
    const version = testEtcdVersion();

    beforeAll(() => {
        binSource = etcdBinDir(version);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-install-"));
    }, 20 * 60_000);
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    function prepare(sha256: string): { env: NodeJS.ProcessEnv; binDir: string } {
        const unpacked = `etcd-v${version}-linux-amd64`;
        const stage = path.join(dir, "stage", unpacked);
        fs.mkdirSync(stage, { recursive: true });
        for (const b of ["etcd", "etcdctl", "etcdutl"]) fs.copyFileSync(path.join(binSource, b), path.join(stage, b));
        const mirror = path.join(dir, "mirror", `v${version}`);
        fs.mkdirSync(mirror, { recursive: true });
        const tarball = path.join(mirror, `${unpacked}.tar.gz`);
        if (!fs.existsSync(tarball)) execFileSync("tar", ["-czf", tarball, "-C", path.join(dir, "stage"), unpacked]);
        const actual = crypto.createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");
        const member = { name: "etcd1", ip: "10.0.1.10" };
        const input = { ...baseInput(member, [member], version), etcdMirrorUrl: `file://${path.join(dir, "mirror")}`, etcdSha256: sha256 === "actual" ? actual : sha256 };
        const root = path.join(dir, sha256 === "actual" ? "good" : "bad");
        // As on a fresh instance, the certificate dir's parents do not exist yet (/etc/ssl/etcd/ssl).
        const paths = { configDir: `${root}/etc`, certDir: `${root}/tls/etcd/ssl`, dataDir: `${root}/data`, mountPoint: root, binDir: `${root}/bin`, sbinDir: `${root}/sbin`, systemdDir: `${root}/systemd`, runtimeDir: `${root}/run` };
        writeMemberFiles(input, paths);
        return { env: cleanEnv({ ETCD_MEMBER_ENV: `${paths.configDir}/member.env` }), binDir: paths.binDir };
    }

    it("installs the verified release, then skips it when already installed", async () => {
        const { env, binDir } = prepare("actual");
        const first = await run(path.join(binDir, "../sbin/etcd-install"), [], { env });
        expect(first.stderr).toContain(`installed etcd ${version}`);
        expect(first.code).toBe(0);
        expect(execFileSync(path.join(binDir, "etcdctl"), ["version"], { encoding: "utf8" })).toContain(version);
        const again = await run(path.join(binDir, "../sbin/etcd-install"), [], { env });
        expect(again.stderr).toContain("already installed");
        expect(again.code).toBe(0);
    });

    it("refuses a tarball whose sha256 does not match, installing nothing", async () => {
        const { env, binDir } = prepare("f".repeat(64));
        const result = await run(path.join(binDir, "../sbin/etcd-install"), [], { env });
        expect(result.stderr).toContain("does not match");
        expect(result.code).not.toBe(0);
        expect(fs.existsSync(path.join(binDir, "etcd"))).toBe(false);
    });
});

describe("etcd-bootstrap", () => {
    it("stops before any step, naming each program the machine image lacks", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-bootstrap-"));
        try {
            const member = { name: "etcd1", ip: "10.0.1.10" };
            const paths = { configDir: `${dir}/etc`, certDir: `${dir}/ssl`, dataDir: `${dir}/data`, mountPoint: dir, binDir: `${dir}/bin`, sbinDir: `${dir}/sbin`, systemdDir: `${dir}/systemd`, runtimeDir: `${dir}/run` };
            writeMemberFiles(baseInput(member, [member], testEtcdVersion()), paths);
            // An image with bash and coreutils only: no aws, jq, openssl or curl.
            const tools = path.join(dir, "image-bin");
            fs.mkdirSync(tools);
            for (const tool of ["bash", "dirname", "readlink"]) fs.symlinkSync(execFileSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), path.join(tools, tool));
            const bootstrap = () => run(`${paths.sbinDir}/etcd-bootstrap`, [], { env: cleanEnv({ ETCD_MEMBER_ENV: `${paths.configDir}/member.env`, PATH: tools }) });
            const result = await bootstrap();
            expect(result.code).toBe(1);
            expect(result.stderr).toContain("etcd-bootstrap: etcd1: FAILED: the machine image lacks aws jq openssl curl");
            // Nothing ran: the first step would have logged its name.
            expect(result.stderr).not.toContain("etcd-install");
            // On an image with dnf (Amazon Linux), a missing jq is installed from the distribution
            // first. A stand-in dnf records the call and installs nothing, so jq is still named.
            const calls = path.join(dir, "dnf-calls");
            fs.writeFileSync(path.join(tools, "dnf"), `#!${execFileSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).trim()}\necho "$*" >>${calls}\n`, { mode: 0o755 });
            const withDnf = await bootstrap();
            expect(fs.readFileSync(calls, "utf8")).toBe("install -y -q jq\n");
            expect(withDnf.stderr).toContain("jq is missing: dnf install -y jq");
            expect(withDnf.stderr).toContain("lacks aws jq openssl curl");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

// ---- etcd-fetch-certs with a stand-in aws CLI ----------------------------------------------------

describe("etcd-fetch-certs", () => {
    let dir: string;
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fetch-certs-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("writes the member's files with key modes 0600, replaces only changed ones, refuses a set etcd could not use, and prints no material", async () => {
        const member = { name: "etcd1", ip: "10.0.1.10" };
        const input = baseInput(member, [member], testEtcdVersion());
        const root = path.join(dir, "node");
        // As on a fresh instance, the certificate dir's parents do not exist yet (/etc/ssl/etcd/ssl).
        const paths = { configDir: `${root}/etc`, certDir: `${root}/tls/etcd/ssl`, dataDir: `${root}/data`, mountPoint: root, binDir: `${root}/bin`, sbinDir: `${root}/sbin`, systemdDir: `${root}/systemd`, runtimeDir: `${root}/run` };
        writeMemberFiles(input, paths);
        // The test runs as whoever it runs as; the node's etcd user does not exist here.
        const user = os.userInfo().username;
        fs.appendFileSync(`${paths.configDir}/member.env`, `SERVICE_USER='${user}'\n`);
        // Stand-in aws: prints the file named after the parameter, like `--query Parameter.Value --output text`.
        const store = path.join(dir, "ssm");
        const fake = path.join(dir, "fakebin");
        fs.mkdirSync(fake, { recursive: true });
        fs.writeFileSync(
            path.join(fake, "aws"),
            `#!/usr/bin/env bash\nset -euo pipefail\nname=""\nwhile (($#)); do if [[ "$1" == --name ]]; then name="$2"; shift; fi; shift; done\necho "$name" >>"${store}.calls"\ncat "${store}$name"\n`,
            { mode: 0o755 },
        );
        const put = (name: string, body: string) => {
            fs.mkdirSync(path.dirname(`${store}${name}`), { recursive: true });
            fs.writeFileSync(`${store}${name}`, body);
        };
        const prefix = "/etcd/it/test/main";
        // Real certificates of a real CA, as the program issues them: the member's with its address.
        const pki = new TestPki(path.join(dir, "pki"));
        let issuedSets = 0;
        const issued = (make: (into: string) => void) => {
            const into = path.join(dir, `issued-${++issuedSets}`);
            make(into);
            return (file: string) => fs.readFileSync(path.join(into, file), "utf8");
        };
        const putMember = (read: (file: string) => string) => {
            put(`${prefix}/members/etcd1/member.pem`, read("member-etcd1.pem"));
            put(`${prefix}/members/etcd1/member-key.pem`, read("member-etcd1-key.pem"));
        };
        const first = issued((into) => pki.issue(member, into));
        put(`${prefix}/ca.pem`, first("ca.pem"));
        putMember(first);
        put(`${prefix}/members/etcd1/node.pem`, first("node-etcd1.pem"));
        put(`${prefix}/members/etcd1/node-key.pem`, first("node-etcd1-key.pem"));
        const keyBody = first("member-etcd1-key.pem").split("\n")[1];
        const env = cleanEnv({ ETCD_MEMBER_ENV: `${paths.configDir}/member.env`, PATH: `${fake}:${process.env.PATH}`, SSM_ATTEMPTS: "1" });
        const script = `${paths.sbinDir}/etcd-fetch-certs`;

        const fetched = await run(script, [], { env });
        expect(fetched.stderr).toContain("5 of 5 files changed");
        expect(fetched.code).toBe(0);
        expect(fetched.stdout + fetched.stderr).not.toContain("BEGIN");
        expect(fetched.stdout + fetched.stderr).not.toContain(keyBody.slice(0, 24));
        const ssl = paths.certDir;
        expect(fs.readFileSync(`${ssl}/member-etcd1-key.pem`, "utf8")).toBe(first("member-etcd1-key.pem"));
        expect(fs.statSync(`${ssl}/member-etcd1-key.pem`).mode & 0o777).toBe(0o600);
        expect(fs.statSync(`${ssl}/node-etcd1-key.pem`).mode & 0o777).toBe(0o600);
        expect(fs.statSync(`${ssl}/node-etcd1.pem`).mode & 0o777).toBe(0o644);
        expect(fs.statSync(`${ssl}/ca.pem`).mode & 0o777).toBe(0o644);
        // etcd (not root) must be able to reach its files: the parents the script made are not root-only.
        for (const parent of [ssl, path.dirname(ssl), path.dirname(path.dirname(ssl))]) expect(fs.statSync(parent).mode & 0o777).toBe(0o755);

        // A renewal: a new certificate and key of the same CA; only those two files change.
        const inodeBefore = fs.statSync(`${ssl}/ca.pem`).ino;
        const renewed = issued((into) => pki.issue(member, into));
        putMember(renewed);
        const second = await run(script, [], { env });
        expect(second.stderr).toContain("2 of 5 files changed");
        expect(second.code).toBe(0);
        expect(fs.statSync(`${ssl}/ca.pem`).ino).toBe(inodeBefore);
        expect(fs.readFileSync(`${ssl}/member-etcd1.pem`, "utf8")).toBe(renewed("member-etcd1.pem"));
        expect(fs.readdirSync(ssl).filter((f) => f.startsWith("."))).toEqual([]);

        // Sets etcd could not use are refused whole, and the renewed files stay.
        const keeps = async (why: string) => {
            const result = await run(script, [], { env });
            expect(result.stderr).toContain("REFUSED, keeping the current certificates");
            expect(result.stderr).toContain(why);
            expect(result.code).not.toBe(0);
            expect(result.stdout + result.stderr).not.toContain("BEGIN");
            expect(fs.readFileSync(`${ssl}/member-etcd1.pem`, "utf8")).toBe(renewed("member-etcd1.pem"));
            expect(fs.readFileSync(`${ssl}/member-etcd1-key.pem`, "utf8")).toBe(renewed("member-etcd1-key.pem"));
            expect(fs.readdirSync(ssl).filter((f) => f.startsWith("."))).toEqual([]);
        };
        const other = issued((into) => pki.issue(member, into));
        put(`${prefix}/members/etcd1/member-key.pem`, other("member-etcd1-key.pem"));
        await keeps(`the key of the member certificate (${prefix}/members/etcd1/member.pem) does not belong to its certificate`);
        putMember(issued((into) => new TestPki(path.join(dir, "other-ca")).issue(member, into)));
        await keeps("the member certificate (/etcd/it/test/main/members/etcd1/member.pem) does not chain to the CA in /etcd/it/test/main/ca.pem");
        putMember(issued((into) => pki.issue({ name: "etcd1", ip: "10.0.1.99" }, into)));
        await keeps("does not name this member's address 10.0.1.10");
        putMember(issued((into) => pki.issueExpired(member, into)));
        await keeps("certificate has expired");
        putMember(renewed);

        // While etcd runs it trusts what it read at start (etcd.service's copy in the runtime dir): a
        // whole set under another CA (a CA replaced in place) passes the checks above but is refused
        // until the member restarts; once the running etcd trusts that CA too, the set is taken.
        const atStart = `${root}/run/ca-at-start.pem`;
        fs.mkdirSync(path.dirname(atStart), { recursive: true });
        fs.writeFileSync(atStart, first("ca.pem"));
        const replacedCa = issued((into) => new TestPki(path.join(dir, "replaced-ca")).issue(member, into));
        put(`${prefix}/ca.pem`, replacedCa("ca.pem"));
        putMember(replacedCa);
        put(`${prefix}/members/etcd1/node.pem`, replacedCa("node-etcd1.pem"));
        put(`${prefix}/members/etcd1/node-key.pem`, replacedCa("node-etcd1-key.pem"));
        await keeps("the member certificate (/etcd/it/test/main/members/etcd1/member.pem) is signed by a CA that the running etcd does not trust");
        expect(fs.readFileSync(`${ssl}/ca.pem`, "utf8")).toBe(first("ca.pem"));
        // The running etcd trusting both (a rotation's first step restarted it so): taken.
        fs.writeFileSync(atStart, first("ca.pem") + replacedCa("ca.pem"));
        const trustedBoth = await run(script, [], { env });
        expect(trustedBoth.stderr).toContain("5 of 5 files changed");
        expect(trustedBoth.code).toBe(0);
        fs.rmSync(atStart);
        put(`${prefix}/ca.pem`, first("ca.pem"));
        putMember(renewed);
        put(`${prefix}/members/etcd1/node.pem`, first("node-etcd1.pem"));
        put(`${prefix}/members/etcd1/node-key.pem`, first("node-etcd1-key.pem"));
        expect((await run(script, [], { env })).code).toBe(0);

        // A CA you bring may be an intermediate (ca.pem without its root): etcd trusts it as given, and so does the check.
        const intermediate = new TestPki(path.join(dir, "intermediate"), new TestPki(path.join(dir, "root")));
        const underIntermediate = issued((into) => intermediate.issue(member, into));
        put(`${prefix}/ca.pem`, underIntermediate("ca.pem"));
        putMember(underIntermediate);
        put(`${prefix}/members/etcd1/node.pem`, underIntermediate("node-etcd1.pem"));
        put(`${prefix}/members/etcd1/node-key.pem`, underIntermediate("node-etcd1-key.pem"));
        const byIntermediate = await run(script, [], { env });
        expect(byIntermediate.stderr).toContain("5 of 5 files changed");
        expect(byIntermediate.code).toBe(0);
        put(`${prefix}/ca.pem`, first("ca.pem"));
        put(`${prefix}/members/etcd1/node.pem`, first("node-etcd1.pem"));
        put(`${prefix}/members/etcd1/node-key.pem`, first("node-etcd1-key.pem"));
        putMember(renewed);
        expect((await run(script, [], { env })).code).toBe(0);

        put(`${prefix}/members/etcd1/node-key.pem`, "not a key\n");
        const bad = await run(script, [], { env });
        expect(bad.code).not.toBe(0);
        expect(bad.stderr).toContain("does not hold a PEM");
        expect(fs.readFileSync(`${ssl}/node-etcd1-key.pem`, "utf8")).toBe(first("node-etcd1-key.pem"));

        // The parameters are read at once; one that cannot be read is named, and nothing changes or is left behind.
        put(`${prefix}/members/etcd1/node-key.pem`, first("node-etcd1-key.pem"));
        fs.rmSync(`${store}${prefix}/members/etcd1/member.pem`);
        const unreadable = await run(script, [], { env });
        expect(unreadable.code).not.toBe(0);
        expect(unreadable.stderr).toContain(`cannot read SSM parameter ${prefix}/members/etcd1/member.pem`);
        expect(fs.readFileSync(`${ssl}/member-etcd1-key.pem`, "utf8")).toBe(renewed("member-etcd1-key.pem"));
        expect(fs.readdirSync(ssl).filter((f) => f.startsWith("."))).toEqual([]);
    });
});

describe("etcd-cert-expiry", () => {
    let dir: string;
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "cert-expiry-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("publishes the days left on the member's soonest certificate and on its CA, per member, and prints them", async () => {
        const member = { name: "etcd2", ip: "10.0.2.10" };
        const root = path.join(dir, "node");
        const paths = { configDir: `${root}/etc`, certDir: `${root}/ssl`, dataDir: `${root}/data`, mountPoint: root, binDir: `${root}/bin`, sbinDir: `${root}/sbin`, systemdDir: `${root}/systemd`, runtimeDir: `${root}/run` };
        writeMemberFiles(localRenderInput(member, [member], testEtcdVersion(), "it-token-expiry", { metricCluster: "it/test/main" }), paths);
        // Real certificates valid for 2 days (TestPki), and the node's client certificate expired in 2020.
        const pki = new TestPki(path.join(dir, "pki"));
        pki.issue(member, paths.certDir);
        const calls = path.join(dir, "aws.calls");
        const fake = path.join(dir, "fakebin");
        fs.mkdirSync(fake, { recursive: true });
        fs.writeFileSync(path.join(fake, "aws"), `#!/usr/bin/env bash\necho "$*" >>"${calls}"\n`, { mode: 0o755 });
        const env = cleanEnv({ ETCD_MEMBER_ENV: `${paths.configDir}/member.env`, PATH: `${fake}:${process.env.PATH}` });
        const script = `${paths.sbinDir}/etcd-cert-expiry`;

        const fresh = await run(script, [], { env });
        expect(fresh.code).toBe(0);
        const printed = JSON.parse(fresh.stdout) as { member: string; certificateDaysLeft: number; caDaysLeft: number };
        expect(printed.member).toBe("etcd2");
        expect(printed.certificateDaysLeft).toBeGreaterThan(1.9);
        expect(printed.certificateDaysLeft).toBeLessThanOrEqual(2);
        expect(printed.caDaysLeft).toBeGreaterThan(1.9);
        const published = fs.readFileSync(calls, "utf8").trim().split("\n");
        expect(published).toEqual([
            `cloudwatch put-metric-data --region eu-west-1 --namespace EtcdCluster --metric-name CertificateDaysLeft --dimensions Cluster=it/test/main,Member=etcd2 --value ${printed.certificateDaysLeft.toFixed(2)} --unit None`,
            `cloudwatch put-metric-data --region eu-west-1 --namespace EtcdCluster --metric-name CaDaysLeft --dimensions Cluster=it/test/main,Member=etcd2 --value ${printed.caDaysLeft.toFixed(2)} --unit None`,
        ]);

        // The soonest certificate counts: an expired one reports the (negative) days since.
        const expired = path.join(dir, "expired");
        pki.issueExpired(member, expired);
        fs.copyFileSync(path.join(expired, "member-etcd2.pem"), `${paths.certDir}/member-etcd2.pem`);
        // MEMBER_METRICS=off in member.env: printed, not published.
        fs.appendFileSync(`${paths.configDir}/member.env`, "MEMBER_METRICS='off'\n");
        const late = JSON.parse((await run(script, [], { env })).stdout) as { certificateDaysLeft: number; soonest: string };
        expect(late.certificateDaysLeft).toBeLessThan(-300);
        expect(late.soonest).toBe(`${paths.certDir}/member-etcd2.pem`);
        expect(fs.readFileSync(calls, "utf8").trim().split("\n")).toHaveLength(2);
    });
});

// ---- real clusters ---------------------------------------------------------------------------------

describe.each(testEtcdVersions().map((v, i) => [v, i] as const))("etcd %s: three members on loopback", (version, index) => {
    const block = 11 + 10 * index;
    const members: MemberAddress[] = [0, 1, 2].map((i) => ({ name: `etcd${i + 1}`, ip: `127.0.0.${block + i}` }));
    const group = new ProcessGroup();
    const running = new Map<string, Started>();
    let dir: string;
    let binDir: string;
    let token: string;
    const paths = new Map<string, NodePaths>();

    let ssm: SsmStandIn;
    let pki: TestPki;

    const memberPaths = (name: string): NodePaths => paths.get(name)!;
    const envOf = (name: string, extra: Record<string, string> = {}) =>
        cleanEnv({ ETCD_MEMBER_ENV: `${memberPaths(name).configDir}/member.env`, CHOOSE_STATE_RETRY_SECONDS: "1", PATH: ssm.path, ...extra });
    const memberEnvValue = (name: string, key: string) => new RegExp(`^${key}='([^']+)'`, "m").exec(fs.readFileSync(`${memberPaths(name).configDir}/member.env`, "utf8"))![1];
    const formedParameter = () => memberEnvValue("etcd1", "CLUSTER_FORMED_PARAMETER");
    const rosterParameter = () => memberEnvValue("etcd1", "ROSTER_PARAMETER");
    /** The config etcd-choose-state wrote: the chosen variant, then the initial cluster. */
    const activeConfig = (name: string) => fs.readFileSync(`${memberPaths(name).configDir}/etcd.yaml`, "utf8");
    const configOf = (name: string, state: "new" | "existing", initialCluster: string) =>
        `${fs.readFileSync(`${memberPaths(name).configDir}/etcd.${state}.yaml`, "utf8")}initial-cluster: '${initialCluster}'\n`;
    /** etcd.yaml with the initial cluster's pairs sorted: the member list (for "existing") comes in id order. */
    const sortedInitialCluster = (config: string) => config.replace(/^initial-cluster: '([^']*)'$/m, (_, pairs: string) => `initial-cluster: '${pairs.split(",").sort().join(",")}'`);
    const initialCluster = (of: MemberAddress[]) => of.map((m) => `${m.name}=https://${m.ip}:2380`).join(",");
    const script = (name: string, s: string) => `${memberPaths(name).sbinDir}/${s}`;

    /** etcdctl as member `as` would run it locally (its node client certificate). */
    function etcdctl(as: string, endpoints: string[], args: string[], timeoutMs = 20_000): Promise<RunResult> {
        const p = memberPaths(as);
        return run(
            path.join(binDir, "etcdctl"),
            ["--endpoints", endpoints.join(","), "--cacert", `${p.certDir}/ca.pem`, "--cert", `${p.certDir}/node-${as}.pem`, "--key", `${p.certDir}/node-${as}-key.pem`, "--dial-timeout", "2s", "--command-timeout", "5s", ...args],
            { env: cleanEnv(), timeoutMs },
        );
    }
    const clientUrl = (m: MemberAddress) => `https://${m.ip}:2379`;

    function startMember(name: string): void {
        const p = memberPaths(name);
        const proc = group.start(name, path.join(binDir, "etcd"), ["--config-file", `${p.configDir}/etcd.yaml`], { logFile: path.join(dir, `${name}.log`), env: cleanEnv() });
        running.set(name, proc);
    }

    /** Waits until every given member reports healthy and all agree on one leader among them. */
    async function waitHealthy(names: string[]): Promise<{ clusterId: string; leader: string }> {
        const urls = members.filter((m) => names.includes(m.name)).map(clientUrl);
        return waitFor(
            `members ${names.join(",")} healthy with one leader`,
            async () => {
                const health = await etcdctl(names[0], urls, ["endpoint", "health", "-w", "json"]);
                if (health.code !== 0) return undefined;
                const status = await etcdctl(names[0], urls, ["endpoint", "status", "-w", "json"]);
                if (status.code !== 0) return undefined;
                const rows: Array<{ Status: { header: { cluster_id: number | string; member_id: string }; leader: string } }> = JSON.parse(status.stdout);
                // Read the 64-bit ids as text: they do not fit a JavaScript number.
                const ids = [...status.stdout.matchAll(/"cluster_id":(\d+)/g)].map((m) => m[1]);
                const leaders = [...status.stdout.matchAll(/"leader":(\d+)/g)].map((m) => m[1]);
                if (rows.length !== names.length || new Set(ids).size !== 1 || new Set(leaders).size !== 1 || leaders[0] === "0") return undefined;
                return { clusterId: ids[0], leader: leaders[0] };
            },
            60_000,
        );
    }

    beforeAll(() => {
        binDir = etcdBinDir(version);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `etcd-${version}-`));
        ssm = new SsmStandIn(path.join(dir, "ssm"));
        pki = new TestPki(path.join(dir, "pki"));
        token = `it-token-${crypto.randomBytes(4).toString("hex")}`;
        for (const m of members) {
            const root = path.join(dir, m.name);
            const p: NodePaths = { configDir: `${root}/etc`, certDir: `${root}/ssl`, dataDir: `${root}/volume/data`, mountPoint: `${root}/volume`, binDir, sbinDir: `${root}/sbin`, systemdDir: `${root}/systemd`, runtimeDir: `${root}/run` };
            paths.set(m.name, p);
            // 1 MiB, below etcd's own 1.5 MiB, so a test can tell that the rendered limit is the one in force.
            writeMemberFiles({ ...baseInput(m, members, version), clusterToken: token, maxRequestBytes: 1024 ** 2 }, p);
            fs.mkdirSync(p.mountPoint, { recursive: true });
            pki.issue(m, p.certDir);
        }
        // The program writes the roster; each member reads it at boot (etcd-fetch-roster).
        ssm.put(rosterParameter(), rosterDocument(members));
        for (const m of members) {
            execFileSync(script(m.name, "etcd-fetch-roster"), [], { env: envOf(m.name), stdio: ["ignore", "ignore", "pipe"] });
        }
    }, 20 * 60_000);

    afterAll(async () => {
        await group.stopAll();
        if (dir && !process.env.KEEP_ETCD_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
    });

    let firstCluster: { clusterId: string; leader: string };

    it("etcd-fetch-roster turns the roster parameter into the initial cluster and the other members, and refuses one without this member", async () => {
        expect(fs.readFileSync(`${memberPaths("etcd2").configDir}/roster.env`, "utf8")).toBe(
            `INITIAL_CLUSTER='${initialCluster(members)}'\nOTHER_CLIENT_URLS='${clientUrl(members[0])},${clientUrl(members[2])}'\nROSTER_MEMBER_COUNT=3\n`,
        );
        const again = await run(script("etcd2", "etcd-fetch-roster"), [], { env: envOf("etcd2") });
        expect(again.stderr).toContain("roster unchanged (3 members)");
        expect(again.code).toBe(0);
        // A roster that does not list this member at its address: the member would join a cluster it is not part of.
        ssm.put(rosterParameter(), rosterDocument(members.filter((m) => m.name !== "etcd2")));
        try {
            const refused = await run(script("etcd2", "etcd-fetch-roster"), [], { env: envOf("etcd2") });
            expect(refused.stderr).toContain(`does not list etcd2 at https://${members[1].ip}:2380`);
            expect(refused.code).not.toBe(0);
            expect(fs.readFileSync(`${memberPaths("etcd2").configDir}/roster.env`, "utf8")).toContain("ROSTER_MEMBER_COUNT=3");
        } finally {
            ssm.put(rosterParameter(), rosterDocument(members));
        }
    });

    it("bootstraps as EC2 boots members, one after another: a late member of the initial cluster joins as itself", async () => {
        // etcd1 boots first: nobody answers yet, it chooses "new" and waits for a quorum.
        const early = members.slice(0, 2);
        const first = await run(script("etcd1", "etcd-choose-state"), [], { env: envOf("etcd1"), timeoutMs: 90_000 });
        expect(first.stderr).toContain("no other member answers");
        expect(first.stdout.trim()).toBe("new");
        expect(first.code).toBe(0);
        expect(activeConfig("etcd1")).toBe(configOf("etcd1", "new", initialCluster(members)));
        startMember("etcd1");
        // etcd2 boots while etcd1 holds its client port open but serves nothing (no quorum yet, no
        // leader): that is a peer forming the cluster, not a cluster that lost its quorum.
        await waitFor("etcd1's client port", async () => ((await run("bash", ["-c", `exec 3<>/dev/tcp/${members[0].ip}/2379`])).code === 0 ? true : undefined), 30_000);
        const second = await run(script("etcd2", "etcd-choose-state"), [], { env: envOf("etcd2", { CHOOSE_STATE_ATTEMPTS: "1" }), timeoutMs: 90_000 });
        expect(second.stderr).not.toContain("refusing");
        expect(second.stderr).toContain("no other member answers");
        expect(second.stdout.trim()).toBe("new");
        expect(second.code).toBe(0);
        startMember("etcd2");
        await waitHealthy(early.map((m) => m.name));

        // etcd3 boots later: the cluster lists it (from --initial-cluster) with no client URLs. It
        // must start with "new" under that id, not be removed and re-added.
        const listed = await etcdctl("etcd1", [clientUrl(members[0])], ["member", "list", "-w", "simple"]);
        const bootstrapId = listed.stdout.split("\n").find((l) => l.includes(", etcd3, "))!.split(",")[0];
        const late = await run(script("etcd3", "etcd-choose-state"), [], { env: envOf("etcd3"), timeoutMs: 90_000 });
        expect(late.stderr).toContain(`a member of the initial cluster that has not started yet (${bootstrapId})`);
        expect(late.stdout.trim()).toBe("new");
        expect(late.code).toBe(0);
        startMember("etcd3");
        firstCluster = await waitHealthy(members.map((m) => m.name));
        const list = await etcdctl("etcd1", [clientUrl(members[0])], ["member", "list", "-w", "simple"]);
        const rows = list.stdout.trim().split("\n");
        expect(rows).toHaveLength(3);
        expect(rows.find((r) => r.includes(", etcd3, "))!.split(",")[0]).toBe(bootstrapId);
    });

    it("a leader hands its leadership to a caught-up peer before etcd stops (etcd-handover); a follower does nothing", async () => {
        /** The member whose own status says it leads (its member id is the leader's; 64-bit ids read as text). */
        const leaderName = async () => {
            const status = await etcdctl("etcd1", members.map(clientUrl), ["endpoint", "status", "-w", "json"]);
            const rows = [...status.stdout.matchAll(/"Endpoint":"([^"]+)","Status":\{"header":\{"cluster_id":\d+,"member_id":(\d+).*?"leader":(\d+)/g)];
            const row = rows.find((r) => r[2] === r[3]);
            return row && members.find((m) => clientUrl(m) === row[1])!.name;
        };
        const leader = (await leaderName())!;
        const follower = members.find((m) => m.name !== leader)!.name;
        const idle = await run(script(follower, "etcd-handover"), [], { env: envOf(follower) });
        expect(idle.stderr).toContain("not the leader; nothing to hand over");
        expect(idle.code).toBe(0);
        expect(await leaderName()).toBe(leader);

        const handover = await run(script(leader, "etcd-handover"), [], { env: envOf(leader), timeoutMs: 30_000 });
        expect(handover.stderr).toMatch(/handed leadership to [0-9a-f]+ \(https:\/\/127\.0\.0\.\d+:2379\)/);
        expect(handover.code).toBe(0);
        const next = await waitFor("a new leader", async () => {
            const name = await leaderName();
            return name && name !== leader ? name : undefined;
        }, 10_000);
        expect(handover.stderr).toContain(`(${clientUrl(members.find((m) => m.name === next)!)})`);
        await waitHealthy(members.map((m) => m.name));
    });

    it("records once that the cluster formed: the token in the formed parameter, written again only when it differs", async () => {
        expect(ssm.get(formedParameter())).toBeUndefined();
        const first = await run(script("etcd1", "etcd-record-formed"), [], { env: envOf("etcd1") });
        expect(first.stderr).toContain(`recorded ${token} in ${formedParameter()}`);
        expect(first.code).toBe(0);
        expect(ssm.get(formedParameter())).toBe(token);
        const again = await run(script("etcd2", "etcd-record-formed"), [], { env: envOf("etcd2") });
        expect(again.stderr).toContain("already records");
        expect(again.code).toBe(0);
        // A restored cluster (another token) overwrites the record of the cluster before it.
        ssm.put(formedParameter(), "the-cluster-before-a-restore");
        expect((await run(script("etcd3", "etcd-record-formed"), [], { env: envOf("etcd3") })).code).toBe(0);
        expect(ssm.get(formedParameter())).toBe(token);
    });

    it("adds the cluster's id in hex, as the snapshot manifests carry it, to the ids under its path, once and never over another value", async () => {
        const idsPath = memberEnvValue("etcd1", "CLUSTER_IDS_PATH");
        const fields = (await etcdctl("etcd1", [clientUrl(members[0])], ["endpoint", "status", "-w", "fields"])).stdout;
        const decimal = /^"ClusterID" : (\d+)$/m.exec(fields)![1];
        const hex = BigInt(decimal).toString(16);
        const record = `${idsPath}/${hex}`;
        ssm.delete(record);
        const first = await run(script("etcd1", "etcd-record-formed"), [], { env: envOf("etcd1") });
        expect(first.code).toBe(0);
        expect(ssm.get(record)).toBe(token);
        expect(first.stderr).toContain(`cluster id ${hex} is recorded under ${idsPath}`);
        // A record that is there already is left alone, whatever it holds: members never overwrite one.
        ssm.put(record, "written-before");
        const again = await run(script("etcd2", "etcd-record-formed"), [], { env: envOf("etcd2") });
        expect(again.code).toBe(0);
        expect(ssm.get(record)).toBe("written-before");
    });

    it("runs with the rendered settings (etcd ignores unknown keys silently, so compare what it logged)", () => {
        const log = fs.readFileSync(path.join(dir, "etcd1.log"), "utf8");
        const complaints = log.split("\n").filter((l) => /unknown|deprecated|unrecognized|not supported/i.test(l));
        expect(complaints).toEqual([]);
        const startLine = log.split("\n").find((l) => l.includes('"msg":"starting an etcd server"'));
        expect(startLine).toBeDefined();
        const started = JSON.parse(startLine!);
        expect(started).toMatchObject({
            name: "etcd1",
            "data-dir": memberPaths("etcd1").dataDir,
            "initial-cluster": members.map((m) => `${m.name}=https://${m.ip}:2380`).join(","),
            "initial-cluster-state": "new",
            "initial-cluster-token": token,
            "heartbeat-interval": "100ms",
            "election-timeout": "1s",
            "quota-backend-bytes": 2 * 1024 ** 3,
            "max-request-bytes": 1024 ** 2,
            "auto-compaction-mode": "periodic",
            "auto-compaction-retention": "1h0m0s",
            "listen-client-urls": [clientUrl(members[0])],
            "listen-peer-urls": [`https://${members[0].ip}:2380`],
            "listen-metrics-urls": [`http://${members[0].ip}:2381`],
        });
        if (version.startsWith("3.5.")) {
            expect(started).toMatchObject({ "initial-corrupt-check": true, "compact-check-time-enabled": true });
        } else {
            expect(started["feature-gates"]).toMatch(/(^|,)CompactHashCheck=true(,|$)/);
            expect(started["feature-gates"]).toMatch(/(^|,)InitialCorruptCheck=true(,|$)/);
        }
    });

    it("enforces the rendered max-request-bytes: a put above it is refused, one below is stored", async () => {
        const p = memberPaths("etcd1");
        const put = (bytes: number) =>
            run(path.join(binDir, "etcdctl"), ["--endpoints", clientUrl(members[0]), "--cacert", `${p.certDir}/ca.pem`, "--cert", `${p.certDir}/node-etcd1.pem`, "--key", `${p.certDir}/node-etcd1-key.pem`, "put", `big-${bytes}`], {
                env: cleanEnv(),
                input: "x".repeat(bytes),
                timeoutMs: 20_000,
            });
        const below = await put(900 * 1024);
        expect(below.stderr).toBe("");
        expect(below.code).toBe(0);
        // 1.2 MiB: etcd's default limit (1.5 MiB) would take it; the rendered 1 MiB does not.
        const above = await put(1200 * 1024);
        expect(above.stderr).toContain("request is too large");
        expect(above.code).not.toBe(0);
    });

    it("refuses clients without a certificate of its CA (client-cert-auth is on)", async () => {
        const p = memberPaths("etcd1");
        const anonymous = await run(path.join(binDir, "etcdctl"), ["--endpoints", clientUrl(members[0]), "--cacert", `${p.certDir}/ca.pem`, "--dial-timeout", "2s", "--command-timeout", "3s", "get", "x"], { env: cleanEnv() });
        expect(anonymous.code).not.toBe(0);
        const metrics = await run("curl", ["-fsS", "--max-time", "5", `http://${members[0].ip}:2381/health`]);
        expect(metrics.stdout).toContain('"health":"true"');
    });

    it("etcd-health passes on the healthy cluster and prints a JSON summary", async () => {
        const result = await run(script("etcd1", "etcd-health"), [], { env: envOf("etcd1"), timeoutMs: 60_000 });
        expect(result.code).toBe(0);
        const summary = JSON.parse(result.stdout.trim());
        expect(summary).toMatchObject({ healthy: true, expected: 3, members: 3, started: 3, healthyEndpoints: 3, statusEndpoints: 3, reason: "" });
        expect(members.map((m) => m.name)).toContain(summary.leader);
    });

    it("etcd-health fails with the reason when a member is down", async () => {
        const put = await etcdctl("etcd1", [clientUrl(members[0])], ["put", "/it/before-loss", "kept"]);
        expect(put.code).toBe(0);
        await group.stop(running.get("etcd3")!);
        const result = await run(script("etcd1", "etcd-health"), [], { env: envOf("etcd1"), timeoutMs: 60_000 });
        expect(result.code).not.toBe(0);
        const summary = JSON.parse(result.stdout.trim());
        expect(summary.healthy).toBe(false);
        expect(summary.reason).toContain("2 of 3 members healthy");
        expect(summary.reason).toContain(clientUrl(members[2]));
        expect(result.stderr).toContain("UNHEALTHY");
    });

    it("etcd-member-metric publishes 1 for a member that serves a quorum read and 0 for one that does not (etcd3 is down)", async () => {
        const calls = path.join(dir, "member-metric.calls");
        const fake = path.join(dir, "member-metric-bin");
        fs.mkdirSync(fake, { recursive: true });
        fs.writeFileSync(path.join(fake, "aws"), `#!/usr/bin/env bash\necho "$*" >>"${calls}"\n`, { mode: 0o755 });
        const cluster = memberEnvValue("etcd1", "METRIC_CLUSTER");
        const published = (member: string, value: number) =>
            `cloudwatch put-metric-data --region eu-west-1 --namespace EtcdCluster --metric-name MemberHealthy --dimensions Cluster=${cluster},Member=${member} --value ${value} --unit Count`;
        const serving = await run(script("etcd1", "etcd-member-metric"), [], { env: envOf("etcd1", { PATH: `${fake}:${process.env.PATH}` }), timeoutMs: 60_000 });
        expect(serving.code).toBe(0);
        expect(JSON.parse(serving.stdout)).toEqual({ member: "etcd1", healthy: true });
        const down = await run(script("etcd3", "etcd-member-metric"), [], { env: envOf("etcd3", { PATH: `${fake}:${process.env.PATH}` }), timeoutMs: 60_000 });
        expect(down.code).toBe(0);
        expect(JSON.parse(down.stdout)).toEqual({ member: "etcd3", healthy: false });
        expect(fs.readFileSync(calls, "utf8").trim().split("\n")).toEqual([published("etcd1", 1), published("etcd3", 0)]);
    });

    it("etcd-health can be pointed at other endpoints and certificates by ETCDCTL_* variables", async () => {
        const p = memberPaths("etcd2");
        const result = await run(script("etcd1", "etcd-health"), [], {
            env: envOf("etcd1", { ETCDCTL_ENDPOINTS: "https://127.0.0.1:1", ETCDCTL_CERT: `${p.certDir}/node-etcd2.pem`, ETCDCTL_KEY: `${p.certDir}/node-etcd2-key.pem` }),
            timeoutMs: 60_000,
        });
        expect(result.code).not.toBe(0);
        expect(JSON.parse(result.stdout.trim()).reason).toContain("cannot read the member list from https://127.0.0.1:1");
    });

    it("a member whose data volume was lost rejoins: choose-state removes and re-adds it", async () => {
        const p3 = memberPaths("etcd3");
        const before = await etcdctl("etcd1", [clientUrl(members[0])], ["member", "list", "-w", "simple"]);
        const oldId = before.stdout.split("\n").find((l) => l.includes(", etcd3, "))!.split(",")[0];
        fs.rmSync(p3.dataDir, { recursive: true, force: true });

        const chosen = await run(script("etcd3", "etcd-choose-state"), [], { env: envOf("etcd3"), timeoutMs: 90_000 });
        expect(chosen.stderr).toContain(`removing stale member entry ${oldId}`);
        expect(chosen.stdout.trim()).toBe("existing");
        expect(chosen.code).toBe(0);
        // Added as a learner; the initial cluster is the cluster's own member list, this member included.
        expect(chosen.stderr).toContain("adding this member as a learner");
        expect(sortedInitialCluster(activeConfig("etcd3"))).toBe(configOf("etcd3", "existing", initialCluster(members)));

        // Run again before it starts: it is now an unstarted member and is left as it is.
        const again = await run(script("etcd3", "etcd-choose-state"), [], { env: envOf("etcd3"), timeoutMs: 90_000 });
        expect(again.stderr).toContain("has not started yet");
        expect(again.stdout.trim()).toBe("existing");

        startMember("etcd3");
        // A learner until it has caught up; etcd-promote asks until etcd lets it vote.
        const promoted = await run(script("etcd3", "etcd-promote"), [], { env: envOf("etcd3", { PROMOTE_WAIT_SECONDS: "60" }), timeoutMs: 90_000 });
        expect(promoted.stderr).toContain("promoted from learner to voting member");
        expect(promoted.code).toBe(0);
        const rejoined = await waitHealthy(members.map((m) => m.name));
        expect(rejoined.clusterId).toBe(firstCluster.clusterId);
        const list = await etcdctl("etcd1", [clientUrl(members[0])], ["member", "list", "-w", "simple"]);
        const rows = list.stdout.trim().split("\n");
        expect(rows).toHaveLength(3);
        expect(rows.filter((r) => r.includes(", started, "))).toHaveLength(3);
        expect(rows.find((r) => r.includes(", etcd3, "))!.split(",")[0]).not.toBe(oldId);
        // Read from etcd3's own copy (serializable): the data written before the loss is there.
        const value = await waitFor("etcd3 to hold the data written before", async () => {
            const get = await etcdctl("etcd3", [clientUrl(members[2])], ["get", "/it/before-loss", "--print-value-only", "--consistency=s"]);
            return get.code === 0 && get.stdout.trim() !== "" ? get.stdout.trim() : undefined;
        });
        expect(value).toBe("kept");
        const health = await run(script("etcd3", "etcd-health"), [], { env: envOf("etcd3"), timeoutMs: 60_000 });
        expect(JSON.parse(health.stdout.trim())).toMatchObject({ healthy: true, members: 3 });
        expect(health.code).toBe(0);
    });

    it("a member with data restarts from it: choose-state changes nothing", async () => {
        const before = await etcdctl("etcd1", [clientUrl(members[0])], ["member", "list", "-w", "simple"]);
        const chosen = await run(script("etcd1", "etcd-choose-state"), [], { env: envOf("etcd1"), timeoutMs: 60_000 });
        expect(chosen.stderr).toContain("holds etcd data");
        expect(chosen.stdout.trim()).toBe("new");
        const after = await etcdctl("etcd1", [clientUrl(members[0])], ["member", "list", "-w", "simple"]);
        expect(after.stdout).toBe(before.stdout);
    });

    it("scaling 3 -> 4 -> 3: a new member joins as a learner and is promoted, the gate's health waits for it, then it leaves through member remove", async () => {
        const added: MemberAddress = { name: "etcd4", ip: `127.0.0.${block + 3}` };
        const four = [...members, added];
        const root = path.join(dir, added.name);
        const p: NodePaths = { configDir: `${root}/etc`, certDir: `${root}/ssl`, dataDir: `${root}/volume/data`, mountPoint: `${root}/volume`, binDir, sbinDir: `${root}/sbin`, systemdDir: `${root}/systemd`, runtimeDir: `${root}/run` };
        paths.set(added.name, p);
        // The existing members' files do not change: only the new member's are rendered, and the roster grows.
        const before = members.map((m) => fs.readFileSync(`${memberPaths(m.name).configDir}/member.env`, "utf8") + fs.readFileSync(`${memberPaths(m.name).configDir}/etcd.new.yaml`, "utf8"));
        writeMemberFiles({ ...baseInput(added, four, version), clusterToken: token, maxRequestBytes: 1024 ** 2 }, p);
        for (const m of members) writeMemberFiles({ ...baseInput(m, four, version), clusterToken: token, maxRequestBytes: 1024 ** 2 }, memberPaths(m.name));
        expect(members.map((m) => fs.readFileSync(`${memberPaths(m.name).configDir}/member.env`, "utf8") + fs.readFileSync(`${memberPaths(m.name).configDir}/etcd.new.yaml`, "utf8"))).toEqual(before);
        fs.mkdirSync(p.mountPoint, { recursive: true });
        pki.issue(added, p.certDir);
        ssm.put(rosterParameter(), rosterDocument(four));
        const health = (as: string, required: MemberAddress[]) =>
            run(script(as, "etcd-health"), [], { env: envOf(as, { REQUIRED_MEMBERS: required.map((m) => m.name).join(",") }), timeoutMs: 60_000 });
        try {
            expect((await run(script("etcd4", "etcd-fetch-roster"), [], { env: envOf("etcd4") })).code).toBe(0);
            const chosen = await run(script("etcd4", "etcd-choose-state"), [], { env: envOf("etcd4"), timeoutMs: 90_000 });
            expect(chosen.stderr).toContain("adding this member as a learner");
            expect({ state: chosen.stdout.trim(), stderr: chosen.code === 0 ? "" : chosen.stderr }).toEqual({ state: "existing", stderr: "" });
            expect(sortedInitialCluster(activeConfig("etcd4"))).toBe(configOf("etcd4", "existing", initialCluster(four)));
            const list = await etcdctl("etcd1", [clientUrl(members[0])], ["member", "list", "-w", "simple"]);
            expect(list.stdout.trim().split("\n").filter((r) => r.endsWith(", true"))).toHaveLength(1);
            // While it is a learner, the gate of etcd4 (etcd1..etcd4 required) does not pass; etcd3's (etcd1..etcd3) does not either:
            // every listed member must be a started voter.
            const learning = await health("etcd1", four);
            expect(JSON.parse(learning.stdout.trim()).reason).toMatch(/1 of 4 members are not started voting members/);
            expect(learning.code).not.toBe(0);
            startMember("etcd4");
            const promoted = await run(script("etcd4", "etcd-promote"), [], { env: envOf("etcd4", { PROMOTE_WAIT_SECONDS: "60" }), timeoutMs: 90_000 });
            expect(promoted.stderr).toContain("promoted from learner to voting member");
            expect(promoted.code).toBe(0);
            const joined = await waitFor("etcd4's gate to pass", async () => {
                const r = await health("etcd1", four);
                return r.code === 0 ? JSON.parse(r.stdout.trim()) : undefined;
            }, 60_000);
            expect(joined).toMatchObject({ healthy: true, required: 4, members: 4, started: 4, healthyEndpoints: 4 });
            // The counts in between: etcd3's gate (etcd1..etcd3 required) passes with four members too.
            expect((await health("etcd1", members)).code).toBe(0);
            const put = await etcdctl("etcd1", [clientUrl(members[0])], ["put", "/it/with-four", "4"]);
            expect(put.code).toBe(0);

            // 4 -> 3: the roster shrinks first, then etcd4 leaves before its instance would go.
            ssm.put(rosterParameter(), rosterDocument(members));
            const left = await run(script("etcd4", "etcd-handover"), ["--leave"], { env: envOf("etcd4"), timeoutMs: 120_000 });
            expect(left.stderr).toMatch(/removed [0-9a-f]+ from the cluster/);
            expect(left.code).toBe(0);
            const after = await etcdctl("etcd1", [clientUrl(members[0])], ["member", "list", "-w", "simple"]);
            expect(after.stdout.trim().split("\n").map((r) => r.split(", ")[2]).sort()).toEqual(["etcd1", "etcd2", "etcd3"]);
            // Leaving again is a no-op: it has left already (as a re-run pulumi up would find it).
            await waitFor("etcd4 to stop (etcd exits once removed)", async () => (running.get("etcd4")!.child.exitCode !== null ? true : undefined), 30_000);
            const again = await run(script("etcd4", "etcd-handover"), ["--leave"], { env: envOf("etcd4"), timeoutMs: 60_000 });
            expect(again.stderr).toContain("not in the member list; already left");
            expect(again.code).toBe(0);
            const three = await waitFor("the three to be healthy", async () => {
                const r = await health("etcd1", members);
                return r.code === 0 ? JSON.parse(r.stdout.trim()) : undefined;
            }, 60_000);
            expect(three).toMatchObject({ healthy: true, members: 3 });
            const kept = await etcdctl("etcd2", [clientUrl(members[1])], ["get", "/it/with-four", "--print-value-only"]);
            expect(kept.stdout.trim()).toBe("4");
        } finally {
            ssm.put(rosterParameter(), rosterDocument(members));
            if (running.has("etcd4")) await group.stop(running.get("etcd4")!);
        }
    }, 5 * 60_000);

    it("an empty member refuses to start when the others are up but without quorum", async () => {
        await group.stop(running.get("etcd2")!);
        await group.stop(running.get("etcd3")!);
        fs.rmSync(memberPaths("etcd3").dataDir, { recursive: true, force: true });
        const chosen = await run(script("etcd3", "etcd-choose-state"), [], { env: envOf("etcd3", { CHOOSE_STATE_ATTEMPTS: "1" }), timeoutMs: 90_000 });
        expect(chosen.stderr).toContain("has no quorum; refusing");
        expect(chosen.stdout).toBe("");
        expect(chosen.code).not.toBe(0);
    });

    it("an empty member that no peer answers never starts a new cluster once the cluster has formed", async () => {
        // Every peer is down (as in a partition): only the record tells this from a first bootstrap.
        await group.stop(running.get("etcd1")!);
        const choose = () => run(script("etcd3", "etcd-choose-state"), [], { env: envOf("etcd3", { CHOOSE_STATE_ATTEMPTS: "1" }), timeoutMs: 90_000 });
        expect(ssm.get(formedParameter())).toBe(token);
        const configLink = () => activeConfig("etcd3");
        const linkBefore = configLink();
        const formed = await choose();
        expect(formed.stderr).toContain("but the cluster has formed");
        expect(formed.stderr).toContain("never starts a new one");
        expect(formed.stdout).toBe("");
        expect(formed.code).not.toBe(0);
        expect(configLink()).toBe(linkBefore);

        // A record that cannot be read is no licence either: an aws that answers as without permission.
        const deniedBin = path.join(dir, "denied-bin");
        fs.mkdirSync(deniedBin, { recursive: true });
        fs.writeFileSync(
            path.join(deniedBin, "aws"),
            '#!/usr/bin/env bash\necho "An error occurred (AccessDeniedException) when calling the GetParameter operation: not authorized" >&2\nexit 254\n',
            { mode: 0o755 },
        );
        const denied = await run(script("etcd3", "etcd-choose-state"), [], {
            env: envOf("etcd3", { CHOOSE_STATE_ATTEMPTS: "1", PATH: `${deniedBin}:${process.env.PATH}` }),
            timeoutMs: 90_000,
        });
        expect(denied.stderr).toContain("AccessDeniedException");
        expect(denied.stderr).toContain("cannot be read; refusing to bootstrap");
        expect(denied.code).not.toBe(0);

        // Without the record (a first deployment), the same situation is a bootstrap.
        ssm.delete(formedParameter());
        // Nor does a member record a cluster that has no quorum (etcd tells systemd it is ready
        // without one after a few seconds): here no member runs at all.
        const noQuorum = await run(script("etcd1", "etcd-record-formed"), [], { env: envOf("etcd1", { RECORD_FORMED_WAIT_SECONDS: "3" }), timeoutMs: 60_000 });
        expect(noQuorum.stderr).toContain("has no quorum after 3s; not recorded");
        expect(noQuorum.code).not.toBe(0);
        expect(ssm.get(formedParameter())).toBeUndefined();
        const fresh = await choose();
        expect(fresh.stderr).toContain("the cluster has not formed; bootstrapping a new cluster");
        expect(fresh.stdout.trim()).toBe("new");
        expect(fresh.code).toBe(0);
    });
});
