import { execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { etcdTarballUrl } from "../config/etcdReleases";
import { inNamespace } from "./namespaces";

/**
 * The etcd release mirror of a machine sandbox: the locally built release as the tarball the real
 * etcd-install downloads (`<mirror>/v<version>/etcd-v<version>-linux-<arch>.tar.gz`), over HTTPS on
 * the sandbox's own network, so the download and the sha256 check on the member are real. The model
 * refuses a plain-http mirror, as it should: the mirror has a certificate from a CA of its own,
 * which the machines trust (it is added to their CA bundle).
 *
 * The server is OpenSSL's own `s_server -WWW`, serving files from the mirror directory.
 */

export const MIRROR_PORT = 8443;

export interface ReleaseMirror {
    /** The stack's etcdMirrorUrl for the sandbox. */
    url: string;
    /** sha256 of the tarball, the stack's etcdSha256 for the sandbox. */
    sha256: string;
    dir: string;
    /** The mirror CA's certificate, for the machines' trust store. */
    caPem: string;
    certFile: string;
    keyFile: string;
}

/** Lays out the mirror under `dir`: the tarball of the built release and a certificate for `address`. */
export function prepareMirror(dir: string, etcdBinDir: string, version: string, arch: "amd64" | "arm64", address: string): ReleaseMirror {
    const url = `https://${address}:${MIRROR_PORT}`;
    const { sha256 } = addRelease(dir, etcdBinDir, version, arch, url);

    const tls = path.join(dir, ".tls");

    fs.mkdirSync(tls, { recursive: true, mode: 0o700 });
    const caKey = path.join(tls, "ca-key.pem");
    const caFile = path.join(tls, "ca.pem");
    const keyFile = path.join(tls, "key.pem");
    const certFile = path.join(tls, "cert.pem");
    const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey, "-out", caFile, "-days", "2", "-subj", "/CN=etcd sandbox mirror CA"]);
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", path.join(tls, "req.pem"), "-subj", `/CN=${address}`]);
    fs.writeFileSync(path.join(tls, "ext.cnf"), `subjectAltName=IP:${address}\nextendedKeyUsage=serverAuth\n`);
    openssl(["x509", "-req", "-in", path.join(tls, "req.pem"), "-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-out", certFile, "-days", "2", "-extfile", path.join(tls, "ext.cnf")]);
    return { url, sha256, dir, caPem: fs.readFileSync(caFile, "utf8"), certFile, keyFile };
}

/**
 * Puts a built release into the mirror as the tarball etcd-install downloads; returns its sha256
 * (the stack's etcdSha256 in the sandbox). `sandbox apply` adds the release a change asks for. A
 * release already there is kept as it is: a new tarball of the same binaries has another sha256,
 * which would change every member's user data.
 */
export function addRelease(dir: string, etcdBinDir: string, version: string, arch: "amd64" | "arm64", url: string): { sha256: string } {
    const tarballUrl = etcdTarballUrl(url, version, arch);
    const tarball = path.join(dir, new URL(tarballUrl).pathname);
    const sha256 = () => ({ sha256: createHash("sha256").update(fs.readFileSync(tarball)).digest("hex") });
    if (fs.existsSync(tarball)) return sha256();
    const top = path.basename(tarball, ".tar.gz");
    const staging = path.join(dir, "staging", top);
    fs.mkdirSync(staging, { recursive: true });
    fs.mkdirSync(path.dirname(tarball), { recursive: true });
    for (const bin of ["etcd", "etcdctl", "etcdutl"]) fs.copyFileSync(path.join(etcdBinDir, bin), path.join(staging, bin));
    // Fast compression: the sandbox pays for this on every up; the member checks the hash, not the ratio.
    execFileSync("tar", ["-C", path.dirname(staging), "-cf", tarball, "--use-compress-program=gzip -1", top]);
    fs.rmSync(path.join(dir, "staging"), { recursive: true, force: true });
    return sha256();
}

/** Starts the mirror's HTTPS server in the hub namespace; returns its pid. */
export function startMirror(mirror: ReleaseMirror, namespace: string, logFile: string): number {
    const { hostname } = new URL(mirror.url);
    const argv = [...inNamespace(namespace), "openssl", "s_server", "-quiet", "-WWW", "-accept", `${hostname}:${MIRROR_PORT}`, "-cert", mirror.certFile, "-key", mirror.keyFile];
    const log = fs.openSync(logFile, "a");
    const child = spawn(argv[0], argv.slice(1), { cwd: mirror.dir, detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new Error("could not start the etcd release mirror");
    return child.pid;
}
