import { spawn, spawnSync } from "child_process";
import * as path from "path";

/**
 * The TypeScript side of scripts/tools.sh, the one place that installs and builds what the sandbox,
 * the tests and the benchmarks run. Call it on the host, before anything enters a network namespace:
 * builds need the Go module proxy, which the sandbox's namespaces cannot reach.
 */

const TOOLS_SCRIPT = path.resolve(__dirname, "..", "scripts", "tools.sh");

export type BuiltTool = "etcd" | "s3" | "actionlint" | "benchmark" | "sdkgen" | "image";
export type ToolProfile = "sandbox" | "test" | "bench" | "lint" | "all";

/** A prerequisite is missing or a build failed; the message is tools.sh's one line with the fix. */
export class ToolError extends Error {}

const TIMEOUT_MS = 30 * 60_000;
const PREFIX = "tools: ";

/** The result of one tools.sh run: its last stdout line, or its own last "tools:" line as the error. */
function outcome(args: string[], code: number | null, stdout: string, stderr: string, failure?: Error): string {
    if (code !== 0) {
        const ours = stderr.split("\n").filter((l) => l.startsWith(PREFIX));
        const reason = ours.pop()?.slice(PREFIX.length) ?? (failure ? String(failure) : stderr.trim().split("\n").slice(-5).join("\n"));
        throw new ToolError(reason || `scripts/tools.sh ${args.join(" ")} exited ${code}`);
    }
    return stdout.trim().split("\n").pop() ?? "";
}

/** Runs tools.sh; its progress lines ("tools: ...") go to `log` afterwards, the build's chatter only into errors. */
function runTools(args: string[], log?: (line: string) => void): string {
    const r = spawnSync("bash", [TOOLS_SCRIPT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: process.env, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    const result = outcome(args, r.status, r.stdout ?? "", r.stderr ?? "", r.error);
    if (log) (r.stderr ?? "").split("\n").filter((l) => l.startsWith(PREFIX)).forEach((l) => log(l.slice(PREFIX.length)));
    return result;
}

/** The same, with the progress lines passed to `log` as they come (a first build takes minutes). */
function runToolsLive(args: string[], log: (line: string) => void): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [TOOLS_SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"], env: process.env, timeout: TIMEOUT_MS });
        let stdout = "";
        let stderr = "";
        let partial = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => {
            stderr += d;
            const lines = (partial + d).split("\n");
            partial = lines.pop() ?? "";
            lines.filter((l) => l.startsWith(PREFIX)).forEach((l) => log(l.slice(PREFIX.length)));
        });
        child.on("error", reject);
        child.on("close", (code) => {
            try {
                resolve(outcome(args, code, stdout, stderr));
            } catch (error) {
                reject(error);
            }
        });
    });
}

/**
 * The tool's path (for etcd: the directory with etcd, etcdctl and etcdutl), built first if missing.
 * `build: false` refuses instead of building, for callers that may run inside a namespace.
 */
export function toolPath(tool: BuiltTool, version?: string, options: { build?: boolean; log?: (line: string) => void } = {}): string {
    const args = ["path", ...(options.build === false ? ["--no-build"] : []), tool, ...(version ? [version] : [])];
    return runTools(args, options.log);
}

/** toolPath for a long-running command that shows the first build's progress while it happens. */
export function ensureTool(tool: BuiltTool, version: string | undefined, log: (line: string) => void): Promise<string> {
    return runToolsLive(["path", tool, ...(version ? [version] : [])], log);
}

/** Only the Debian packages a profile needs (installed through apt when missing; needs root then). */
export function installPackages(profile: ToolProfile, log?: (line: string) => void): void {
    runTools(["packages", profile], log);
}
