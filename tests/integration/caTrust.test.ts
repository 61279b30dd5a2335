/**
 * How etcd treats the CA files it trusts (trusted-ca-file, peer-trusted-ca-file), on each line we
 * support: the facts a CA rotation has to be built on (README, *Certificates*: rotating the CA).
 *   1. A bundle of two CAs is trusted as a whole: members and clients with certificates of either
 *      CA work together.
 *   2. The trusted CA file is read when etcd starts: a new bundle written under a running member
 *      changes nothing until that member restarts (unlike its own certificate and key, which it
 *      reads again on new connections).
 *   3. A peer that does not trust a member's CA refuses it: a member that presents a certificate of
 *      a new CA before every peer trusts that CA is cut off from them.
 * Real etcd on 127.3.<n>.1-3 (n: the version's index), real certificates made with openssl; every
 * process is stopped in afterAll.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { etcdBinDir, testEtcdVersions } from "../helpers/etcdBinaries";
import { ProcessGroup, run, Started, waitFor } from "../helpers/processes";

describe.each(testEtcdVersions().map((v, i) => [v, i] as const))("etcd %s: trusted CA files", (version, index) => {
    const group = new ProcessGroup();
    const ip = (i: number) => `127.3.${index}.${i}`;
    const running = new Map<number, Started>();
    let dir: string;
    let bin: string;

    const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const makeCa = (name: string) => openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.pem`, "-days", "2", "-subj", `/CN=${name}`]);
    const makeCert = (ca: string, name: string, address: string) => {
        fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=IP:${address},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`);
        openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
        openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}-key.pem`, "-CAcreateserial", "-days", "2", "-out", `${name}.pem`, "-extfile", `${name}.ext`]);
    };
    const file = (name: string) => path.join(dir, name);
    /** Each member's trusted CA file: what a test writes to it, etcd reads (or not). */
    const trust = (i: number) => file(`trust-${i}.pem`);
    const setTrust = (i: number, ...cas: string[]) => {
        fs.writeFileSync(`${trust(i)}.tmp`, cas.map((ca) => fs.readFileSync(file(`${ca}.pem`), "utf8")).join(""));
        fs.renameSync(`${trust(i)}.tmp`, trust(i));
    };

    /** Member i with its certificate `cert` (cert.pem, cert-key.pem), trusting trust-i.pem for clients and peers. */
    function start(i: number, cert: string, cluster: string): void {
        const tls = (kind: "" | "peer-") => [`--${kind}cert-file`, file(`${cert}.pem`), `--${kind}key-file`, file(`${cert}-key.pem`), `--${kind}trusted-ca-file`, trust(i), `--${kind}client-cert-auth`];
        running.set(
            i,
            group.start(`etcd${i}`, path.join(bin, "etcd"), [
                `--name=m${i}`,
                `--data-dir=${file(`${cluster}-data-${i}`)}`,
                `--listen-peer-urls=https://${ip(i)}:2380`,
                `--initial-advertise-peer-urls=https://${ip(i)}:2380`,
                `--listen-client-urls=https://${ip(i)}:2379`,
                `--advertise-client-urls=https://${ip(i)}:2379`,
                `--initial-cluster=${[1, 2, 3].map((n) => `m${n}=https://${ip(n)}:2380`).join(",")}`,
                `--initial-cluster-token=${cluster}`,
                "--heartbeat-interval=100",
                "--election-timeout=1000",
                ...tls(""),
                ...tls("peer-"),
            ], { logFile: file(`${cluster}-${i}.log`) }),
        );
    }
    const stop = async (i: number) => {
        await group.stop(running.get(i)!);
        running.delete(i);
    };

    /** etcdctl as a client with `client`'s certificate, trusting the bundle of both CAs. */
    const etcdctl = (client: string, members: number[], args: string[]) =>
        run(path.join(bin, "etcdctl"), [`--endpoints=${members.map((i) => `https://${ip(i)}:2379`).join(",")}`, `--cacert=${file("both.pem")}`, `--cert=${file(`${client}.pem`)}`, `--key=${file(`${client}-key.pem`)}`, "--dial-timeout=2s", "--command-timeout=4s", ...args], { timeoutMs: 20_000 });
    const healthy = (members: number[]) => waitFor(`members ${members.join(", ")} healthy`, async () => ((await etcdctl("client-old", members, ["endpoint", "health"])).code === 0 ? true : undefined), 60_000);

    beforeAll(() => {
        bin = etcdBinDir(version);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `ca-trust-${version}-`));
        makeCa("old");
        makeCa("new");
        for (const i of [1, 2, 3]) {
            makeCert("old", `m${i}-old`, ip(i));
            makeCert("new", `m${i}-new`, ip(i));
        }
        makeCert("old", "client-old", "127.0.0.1");
        makeCert("new", "client-new", "127.0.0.1");
        fs.writeFileSync(file("both.pem"), fs.readFileSync(file("old.pem"), "utf8") + fs.readFileSync(file("new.pem"), "utf8"));
    }, 60_000);

    afterAll(async () => {
        await group.stopAll();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a bundle of the old and the new CA is trusted whole: members and clients of either CA work together", async () => {
        for (const i of [1, 2, 3]) setTrust(i, "old", "new");
        start(1, "m1-old", "bundle");
        start(2, "m2-new", "bundle");
        start(3, "m3-old", "bundle");
        await healthy([1, 2, 3]);
        expect((await etcdctl("client-new", [2], ["put", "/ca/both", "new"])).code).toBe(0);
        expect((await etcdctl("client-old", [1], ["get", "/ca/both", "--print-value-only"])).stdout.trim()).toBe("new");
        for (const i of [1, 2, 3]) await stop(i);
    }, 120_000);

    it("the trusted CA file is read at start: a bundle written under running members is trusted only by the member that restarted", async () => {
        for (const i of [1, 2, 3]) setTrust(i, "old");
        for (const i of [1, 2, 3]) start(i, `m${i}-old`, "reload");
        await healthy([1, 2, 3]);
        expect((await etcdctl("client-new", [1], ["put", "/ca/reload", "x"])).code).not.toBe(0);
        for (const i of [1, 2, 3]) setTrust(i, "old", "new");
        await new Promise((r) => setTimeout(r, 2000));
        // Written, not read: still refused by every running member.
        for (const i of [1, 2, 3]) expect((await etcdctl("client-new", [i], ["put", "/ca/reload", "x"])).code).not.toBe(0);
        await stop(1);
        start(1, "m1-old", "reload");
        await healthy([1, 2, 3]);
        expect((await etcdctl("client-new", [1], ["put", "/ca/reload", "after-restart"])).code).toBe(0);
        expect((await etcdctl("client-new", [2], ["put", "/ca/reload", "x"])).code).not.toBe(0);
    }, 120_000);

    it("a member presenting the new CA's certificate before its peers trust that CA is refused by them", async () => {
        // Member 1 trusts both (it restarted above), members 2 and 3 still only the old CA in memory.
        await stop(1);
        start(1, "m1-new", "reload");
        await waitFor("member 3 to refuse member 1's certificate", async () => (/bad certificate|unknown authority|certificate signed by unknown/i.test(fs.readFileSync(file("reload-3.log"), "utf8")) ? true : undefined), 30_000);
        // Members 2 and 3 keep their quorum and serve; member 1 cannot commit anything through them.
        expect((await etcdctl("client-old", [2], ["endpoint", "health"])).code).toBe(0);
        expect((await etcdctl("client-old", [3], ["endpoint", "health"])).code).toBe(0);
        const cutOff = await etcdctl("client-old", [1], ["endpoint", "health"]);
        expect(cutOff.code).not.toBe(0);
        expect(cutOff.stdout + cutOff.stderr).toMatch(/unhealthy|deadline exceeded/);
        for (const i of [1, 2, 3]) await stop(i);
    }, 120_000);
});
