/**
 * A real S3 API on a loopback address (scripts/s3-test-server.sh: gofakes3 with its bolt backend in a
 * temporary directory), and the AWS CLI pointed at it. Objects persist across stop()/start(), so a
 * test can take the server down and look at what is left afterwards.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { cleanEnv, REPO_ROOT } from "./repo";
import { toolPath } from "../../tools/toolchain";
import { ProcessGroup, run, RunResult, Started, waitFor } from "./processes";

/** Debian's `awscli` (AWS CLI v2), unless AWS_CLI names another; a Python-packaged v1 earlier in PATH is not what members run. */
export function awsCliPath(): string {
    if (process.env.AWS_CLI) return process.env.AWS_CLI;
    if (fs.existsSync("/usr/bin/aws")) return "/usr/bin/aws";
    try {
        return execFileSync("bash", ["-c", "command -v aws"], { encoding: "utf8" }).trim();
    } catch {
        throw new Error("the AWS CLI is required by the backup tests and is not installed: apt-get install -y awscli");
    }
}

/** What the AWS CLI needs to talk to the local server, and nothing from the user's own AWS setup. */
export function awsEnv(region = "eu-west-1"): Record<string, string> {
    return {
        AWS_CLI: awsCliPath(),
        AWS_ACCESS_KEY_ID: "local-test",
        AWS_SECRET_ACCESS_KEY: "local-test-secret",
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_MAX_ATTEMPTS: "2",
        AWS_RETRY_MODE: "standard",
        AWS_PAGER: "",
    };
}

export interface S3ServerOptions {
    /** Loopback address and port, e.g. 127.0.1.100:9000. */
    host: string;
    dir: string;
    bucket?: string;
}

export class S3TestServer {
    readonly bucket: string;
    readonly endpoint: string;
    private proc: Started | undefined;

    constructor(
        private readonly group: ProcessGroup,
        private readonly options: S3ServerOptions,
    ) {
        if (!/^127\.\d+\.\d+\.\d+:\d+$/.test(options.host)) throw new Error(`S3 test server host must be a loopback address: ${options.host}`);
        this.bucket = options.bucket ?? "etcd-backups";
        this.endpoint = `http://${options.host}`;
        fs.mkdirSync(options.dir, { recursive: true });
    }

    /** Builds the server if needed (scripts/tools.sh; cached outside the repository). */
    static binary(): string {
        return toolPath("s3");
    }

    async start(): Promise<void> {
        S3TestServer.binary();
        this.proc = this.group.start("s3", path.join(REPO_ROOT, "scripts/s3-test-server.sh"), ["run", "--host", this.options.host, "--dir", this.options.dir, "--bucket", this.bucket], {
            logFile: path.join(this.options.dir, "s3-server.log"),
            env: cleanEnv(),
        });
        const [ip, port] = this.options.host.split(":");
        await waitFor(
            `S3 test server on ${this.options.host}`,
            () =>
                new Promise<true | undefined>((resolve) => {
                    if (this.proc && this.proc.child.exitCode !== null) {
                        resolve(undefined);
                        return;
                    }
                    const socket = net.connect({ host: ip, port: Number(port) });
                    socket.once("connect", () => {
                        socket.destroy();
                        resolve(true);
                    });
                    socket.once("error", () => resolve(undefined));
                }),
            20_000,
            100,
        );
    }

    async stop(): Promise<void> {
        if (this.proc) await this.group.stop(this.proc);
        this.proc = undefined;
    }

    /** The AWS CLI against this server. */
    aws(args: string[], timeoutMs = 60_000): Promise<RunResult> {
        return run(awsCliPath(), ["--endpoint-url", this.endpoint, ...args], { env: cleanEnv(awsEnv()), timeoutMs });
    }

    /** Every key in the bucket under `prefix`, sorted. */
    async keys(prefix = ""): Promise<string[]> {
        const r = await this.aws(["s3api", "list-objects-v2", "--bucket", this.bucket, "--prefix", prefix, "--query", "Contents[].Key", "--output", "json"]);
        if (r.code !== 0) throw new Error(`list-objects-v2 failed: ${r.stderr}`);
        const parsed = JSON.parse(r.stdout.trim() || "null") as string[] | null;
        return (parsed ?? []).sort();
    }

    async download(key: string, file: string): Promise<void> {
        const r = await this.aws(["s3", "cp", `s3://${this.bucket}/${key}`, file, "--no-progress", "--only-show-errors"]);
        if (r.code !== 0) throw new Error(`download of ${key} failed: ${r.stderr}`);
    }

    async upload(file: string, key: string): Promise<void> {
        const r = await this.aws(["s3", "cp", file, `s3://${this.bucket}/${key}`, "--no-progress", "--only-show-errors"]);
        if (r.code !== 0) throw new Error(`upload of ${key} failed: ${r.stderr}`);
    }

    /** User metadata of an object, keys lower-cased (S3 sends them lower-case; some servers capitalise). */
    async metadata(key: string): Promise<Record<string, string>> {
        const r = await this.aws(["s3api", "head-object", "--bucket", this.bucket, "--key", key, "--output", "json"]);
        if (r.code !== 0) throw new Error(`head-object ${key} failed: ${r.stderr}`);
        const meta = (JSON.parse(r.stdout) as { Metadata?: Record<string, string> }).Metadata ?? {};
        return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k.toLowerCase(), v]));
    }

    /** member.env lines that point the node scripts at this server. */
    memberEnv(prefix: string): Record<string, string> {
        return { BACKUP_BUCKET: this.bucket, BACKUP_PREFIX: prefix, BACKUP_S3_ENDPOINT: this.endpoint, BACKUP_METRICS: "off" };
    }
}
