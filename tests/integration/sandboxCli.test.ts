/**
 * The sandbox itself: its real certificates follow the component's inputs (so a wrong SAN or usage
 * fails TLS as it would on AWS) and the CLI refuses what it cannot do (its scripts are shellchecked by `npm run lint`).
 * (Every test that brings a sandbox up checks that `down` leaves nothing behind: tests/helpers/sandbox.ts.)
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { certRequest, generatePrivateKey, locallySignedCert, selfSignedCert } from "../../sandbox/realTls";
import { run } from "../helpers/processes";
import { sandboxCli } from "../helpers/sandbox";

let tmp: string;
beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-cli-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("real certificates from the tls resources' inputs", () => {
    async function issue(allowedUses: string[], ipAddresses: string[]) {
        const caKey = generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const ca = await selfSignedCert({
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: "test CA", organization: "etcd" },
            isCaCertificate: true,
            validityPeriodHours: 2,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        });
        const key = generatePrivateKey({ algorithm: "RSA", rsaBits: 2048 });
        const csr = await certRequest({ privateKeyPem: key.privateKeyPem, subject: { commonName: "etcd1", organization: "etcd" }, dnsNames: ["etcd1", "localhost"], ipAddresses });
        const cert = await locallySignedCert({ certRequestPem: csr.certRequestPem, caCertPem: ca.certPem, caPrivateKeyPem: caKey.privateKeyPem, validityPeriodHours: 1, allowedUses });
        fs.writeFileSync(path.join(tmp, "ca.pem"), ca.certPem);
        fs.writeFileSync(path.join(tmp, "cert.pem"), cert.certPem);
        return { ca, cert, key };
    }
    const verify = (...args: string[]) => run("openssl", ["verify", "-CAfile", path.join(tmp, "ca.pem"), ...args, path.join(tmp, "cert.pem")]);

    it("carries the CSR's subject and SANs, the usages and the validity asked for", async () => {
        await issue(["digital_signature", "key_encipherment", "server_auth", "client_auth"], ["10.0.0.11", "127.0.0.1", "::1"]);
        const text = execFileSync("openssl", ["x509", "-in", path.join(tmp, "cert.pem"), "-noout", "-text"], { encoding: "utf8" });
        expect(text).toMatch(/Subject: O\s?=\s?etcd, CN\s?=\s?etcd1/);
        expect(text).toMatch(/DNS:etcd1, DNS:localhost, IP Address:10.0.0.11, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
        expect(text).toMatch(/Digital Signature, Key Encipherment/);
        expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
        expect(text).toMatch(/CA:FALSE/);
        expect((await verify("-purpose", "sslserver", "-verify_ip", "10.0.0.11")).code).toBe(0);
        expect((await verify("-purpose", "sslclient")).code).toBe(0);
    });

    it("fails verification for an address the certificate does not name", async () => {
        await issue(["digital_signature", "key_encipherment", "server_auth", "client_auth"], ["10.0.0.11"]);
        const wrongIp = await verify("-purpose", "sslserver", "-verify_ip", "10.0.0.12");
        expect(wrongIp.code).not.toBe(0);
        expect(wrongIp.stdout + wrongIp.stderr).toMatch(/IP address mismatch/);
    });

    it("fails verification for a usage it was not given", async () => {
        await issue(["digital_signature", "key_encipherment", "client_auth"], ["10.0.0.11"]);
        const asServer = await verify("-purpose", "sslserver");
        expect(asServer.code).not.toBe(0);
        expect(asServer.stdout + asServer.stderr).toMatch(/(unsuitable|unsupported) certificate purpose/);
    });

    it("refuses to sign with a key that is not the CA's", async () => {
        const { ca } = await issue(["client_auth"], []);
        const other = generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const csr = await certRequest({ privateKeyPem: other.privateKeyPem, subject: { commonName: "x" } });
        await expect(locallySignedCert({ certRequestPem: csr.certRequestPem, caCertPem: ca.certPem, caPrivateKeyPem: other.privateKeyPem, validityPeriodHours: 1, allowedUses: ["client_auth"] })).rejects.toThrow(/not the key of caCertPem/);
    });
});

describe("sandbox scripts and CLI", () => {
    it("down on a stack with no sandbox succeeds and changes nothing; status says there is none", async () => {
        expect((await sandboxCli(["down", "--stack", "it-none"])).code).toBe(0);
        expect((await sandboxCli(["down", "--stack", "it-none"])).code).toBe(0);
        const status = await sandboxCli(["status", "--stack", "it-none"]);
        expect(status.code).toBe(1);
        expect(status.stderr).toContain("no sandbox for stack it-none");
    });

    it("refuses an unknown command, a member command without a member, and a stack name unfit for a path", async () => {
        const unknown = await sandboxCli(["launch"]);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toContain("unknown command launch");
        const noMember = await sandboxCli(["kill", "--stack", "it-none"]);
        expect(noMember.code).toBe(2);
        const badStack = await sandboxCli(["status", "--stack", "../x"]);
        expect(badStack.code).toBe(1);
        expect(badStack.stderr).toContain("not usable for the sandbox");
        const notRunning = await sandboxCli(["kill", "etcd1", "--stack", "it-none"]);
        expect(notRunning.code).toBe(1);
        expect(notRunning.stderr).toContain("no sandbox for stack it-none");
    });
});
