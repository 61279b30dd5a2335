/**
 * The etcdkeeper UI's side of the cluster on the sandbox: its own consumer certificate reaches every
 * member through the real etcd-fetch-certs (from the plan's SSM parameters), and with exactly those
 * files a client reads and writes keys on the real cluster over mutual TLS. There is no Docker
 * engine here, so the container is not run; the test checks the argv the rendered unit would run.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { testEtcdVersion } from "../helpers/etcdBinaries";
import { TestSandbox } from "../helpers/sandbox";
import { REPO_ROOT } from "../helpers/repo";

const STACK = "it-keeper";
const version = testEtcdVersion();
let sandbox: TestSandbox;

beforeAll(async () => {
    sandbox = await TestSandbox.up(STACK, path.join(REPO_ROOT, "tests", "fixtures", "Pulumi.sandbox-keeper.yaml"));
}, 20 * 60_000);

afterAll(async () => {
    await sandbox?.down();
}, 180_000);

const keeperFile = (member: string, file: string) => sandbox.nodeFile(member, `/etc/ssl/etcd/ssl/keeper/${file}`);

describe(`etcd ${version}: the etcdkeeper UI's certificate on the sandbox`, () => {
    it("lands on every member, root-only key, a client-only certificate of the cluster's CA", () => {
        for (const m of sandbox.report.members) {
            const key = fs.statSync(keeperFile(m.name, "etcdkeeper-key.pem"));
            expect({ member: m.name, mode: (key.mode & 0o777).toString(8), uid: key.uid }).toEqual({ member: m.name, mode: "600", uid: 0 });
            expect(fs.readFileSync(keeperFile(m.name, "ca.pem"), "utf8")).toBe(fs.readFileSync(sandbox.report.caFile, "utf8"));
            const text = execFileSync("openssl", ["x509", "-in", keeperFile(m.name, "etcdkeeper.pem"), "-noout", "-subject", "-ext", "extendedKeyUsage"], { encoding: "utf8" });
            expect(text).toMatch(/CN\s?=\s?etcdkeeper/);
            expect(text).toContain("TLS Web Client Authentication");
            expect(text).not.toContain("TLS Web Server Authentication");
        }
    });

    it("reads and writes keys on the real cluster with exactly those files", async () => {
        const tls = { cacert: keeperFile("etcd1", "ca.pem"), cert: keeperFile("etcd1", "etcdkeeper.pem"), key: keeperFile("etcd1", "etcdkeeper-key.pem") };
        expect((await sandbox.etcdctl(["put", "/written/by-admin", "a"])).code).toBe(0);
        const put = await sandbox.etcdctl(["put", "/written/by-keeper", "k"], tls);
        expect({ code: put.code, stderr: put.stderr }).toEqual({ code: 0, stderr: "" });
        const got = await sandbox.etcdctl(["get", "/written/", "--prefix"], tls);
        expect(got.stdout.trim().split("\n")).toEqual(["/written/by-admin", "a", "/written/by-keeper", "k"]);
        // The admin sees what the UI wrote.
        expect((await sandbox.etcdctl(["get", "/written/by-keeper", "--print-value-only"])).stdout.trim()).toBe("k");
    });

    it("has the pinned image's unit as systemd parsed it: the member's loopback, the certificate directory read-only", async () => {
        for (const m of sandbox.report.members) {
            // systemd's own reading of the rendered unit: argv[]= holds the arguments it would exec.
            const shown = await sandbox.exec(m.name, ["systemctl", "show", "--property=ExecStart", "--value", "etcdkeeper.service"]);
            const argv = /argv\[\]=(.*?) ;/.exec(shown.stdout)?.[1].split(" ") ?? [];
            const after = (flag: string) => argv.filter((_, i) => argv[i - 1] === flag);
            expect(argv.slice(0, 2)).toEqual(["/usr/bin/docker", "run"]);
            expect(after("--publish")).toEqual(["127.0.0.1:8888:8080"]);
            expect(after("--volume")).toEqual(["/etc/ssl/etcd/ssl/keeper:/certs:ro"]);
            expect(argv).toEqual(expect.arrayContaining(["--read-only", "evildecay/etcdkeeper:v0.7.6", "-usetls"]));
            // The image has no Docker and no dnf: the real etcd-keeper-start fails, and etcd runs regardless.
            expect(await sandbox.machineLog(m.name)).toContain("WARNING: the etcdkeeper UI did not start; etcd runs");
        }
    });
});
