import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { HUB_ADDRESS } from "./addresses";
import { toolPath } from "../tools/toolchain";
import { inNamespace } from "./namespaces";

/**
 * The sandbox's S3: a real S3 API (scripts/s3-test-server.sh, gofakes3 with its bolt store) holding
 * the stack's backup bucket, reached by the members through the aws stand-in and by the host through
 * the real AWS CLI. It listens on the hub's bridge address inside the sandbox's own hub namespace
 * (the members' only way out). Its objects live
 * in .sandbox/<stack>/s3data/s3.db, so they outlive a restart of the server and a `restore`.
 */

const REPO = path.resolve(__dirname, "..");
const SERVER = path.join(REPO, "scripts", "s3-test-server.sh");
const PORT = 9000;

export interface SandboxS3 {
    /** e.g. http://169.254.77.1:9000 */
    endpoint: string;
    bucket: string;
    /** Snapshot prefix of the cluster in the bucket (member.env's BACKUP_PREFIX). */
    prefix: string;
    /** The server's store, log and pid. */
    dataDir: string;
    /** Namespace the server and host-side clients run in (the hub). */
    namespace: string;
}

export const S3_ADDRESS = `${HUB_ADDRESS}:${PORT}`;

/** The real AWS CLI on this host: SANDBOX_AWS_CLI, Debian's /usr/bin/aws, or the first on PATH. */
export function awsCli(): string {
    if (process.env.SANDBOX_AWS_CLI) return process.env.SANDBOX_AWS_CLI;
    if (fs.existsSync("/usr/bin/aws")) return "/usr/bin/aws";
    const found = spawnSync("bash", ["-c", "command -v aws"], { encoding: "utf8" }).stdout.trim();
    if (!found) throw new Error("the sandbox's S3 needs the AWS CLI on this host: apt-get install -y awscli (or set SANDBOX_AWS_CLI)");
    return found;
}

/** Throwaway credentials and nothing from the user's own AWS setup. */
export function awsEnv(): Record<string, string> {
    return {
        AWS_ACCESS_KEY_ID: "sandbox",
        AWS_SECRET_ACCESS_KEY: "sandbox-secret",
        AWS_REGION: "eu-west-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_MAX_ATTEMPTS: "2",
        AWS_PAGER: "",
    };
}

/**
 * Starts the server and waits until it answers. The binary is built first if needed, here on the
 * host: the server itself runs in the hub namespace, which cannot reach the Go module proxy.
 */
export function startS3(s3: SandboxS3): void {
    toolPath("s3");
    const argv = [...inNamespace(s3.namespace), "bash", SERVER, "start", "--host", s3.endpoint.replace(/^http:\/\//, ""), "--dir", s3.dataDir, "--bucket", s3.bucket];
    execFileSync(argv[0], argv.slice(1), {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 10 * 60_000,
    });
}

/** Stops the server if it runs; its objects stay in dataDir. */
export function stopS3(s3: SandboxS3): void {
    if (fs.existsSync(path.join(s3.dataDir, "s3-server.pid"))) spawnSync("bash", [SERVER, "stop", "--dir", s3.dataDir], { stdio: "ignore", timeout: 20_000 });
}

/** The real AWS CLI against the sandbox's S3, from the host (in the hub namespace). */
export function hostAws(s3: SandboxS3, args: string[], timeoutMs = 120_000): { code: number; stdout: string; stderr: string } {
    const argv = [...inNamespace(s3.namespace), awsCli(), "--endpoint-url", s3.endpoint, ...args];
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...awsEnv() }, timeout: timeoutMs });
    return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

/** Puts the plan's S3 objects (the node scripts members fetch at boot) into the bucket, as the stack's BucketObjects do. */
export function seedObjects(s3: SandboxS3, objectsDir: string): void {
    const local = path.join(objectsDir, s3.bucket);
    if (!fs.existsSync(local)) return;
    const r = hostAws(s3, ["s3", "sync", local, `s3://${s3.bucket}/`, "--only-show-errors", "--no-progress"]);
    if (r.code !== 0) throw new Error(`putting the plan's objects into the sandbox's S3 failed: ${r.stderr.trim()}`);
}

/** One line of node/etcd-backup-list. */
export interface ListedBackup {
    bucket: string;
    key: string;
    manifest: string;
    size: number;
    revision: number | null;
    time: string;
    uri: string;
}

/**
 * The finished backups, newest first, by the members' own etcd-backup-list run on the host: the same
 * rule (a .db counts once its .json manifest exists) decides here as on a member.
 */
export function listBackups(s3: SandboxS3): ListedBackup[] {
    const argv = [...inNamespace(s3.namespace), "bash", path.join(REPO, "node", "etcd-backup-list.sh")];
    const r = spawnSync(argv[0], argv.slice(1), {
        encoding: "utf8",
        timeout: 120_000,
        env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            ...awsEnv(),
            AWS_CLI: awsCli(),
            NODE_ENV_OPTIONAL: "1",
            ETCD_MEMBER_ENV: "/nonexistent/member.env",
            MEMBER_NAME: "sandbox",
            BACKUP_BUCKET: s3.bucket,
            BACKUP_PREFIX: s3.prefix,
            BACKUP_S3_ENDPOINT: s3.endpoint,
        },
    });
    if (r.status !== 0) throw new Error(`listing the backups failed: ${(r.stderr || String(r.error ?? "")).trim()}`);
    return r.stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as ListedBackup);
}

/** The finished backup `from` names (`latest` or an s3:// URI in the sandbox's bucket), or an error saying what exists. */
export function findBackup(s3: SandboxS3, from: string): ListedBackup {
    const backups = listBackups(s3);
    const where = `s3://${s3.bucket}/${s3.prefix}/snapshots/`;
    if (backups.length === 0) throw new Error(`there is no finished backup under ${where}; take one with \`npm run sandbox -- backup\``);
    if (from === "latest") return backups[0];
    const found = backups.find((b) => b.uri === from || `s3://${b.bucket}/${b.manifest}` === from);
    if (found) return found;
    if (!from.startsWith(`s3://${s3.bucket}/`)) throw new Error(`${from} is not in the sandbox's bucket; the sandbox's backups are under ${where}`);
    throw new Error(`${from} is not a finished backup (a .db whose .json manifest exists); the newest is ${backups[0].uri}`);
}
