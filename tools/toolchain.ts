import { spawnSync } from "child_process";
import * as path from "path";

/**
 * The TypeScript side of scripts/tools.sh, the one place that installs and builds what the sandbox,
 * the tests and the benchmarks run. Call it on the host, before anything enters a network namespace:
 * builds need the Go module proxy, which the sandbox's namespaces cannot reach.
 */

const TOOLS_SCRIPT = path.resolve(__dirname, "..", "scripts", "tools.sh");

export type BuiltTool = "etcd" | "s3" | "actionlint" | "benchmark";
export type ToolProfile = "sandbox" | "test" | "bench" | "lint" | "all";

/** A prerequisite is missing or a build failed; the message is tools.sh's one line with the fix. */
export class ToolError extends Error {}

/** Runs tools.sh; its own progress lines ("tools: ...") go to `log`, the build's chatter is kept for errors. */
function runTools(args: string[], log?: (line: string) => void): string {
    const r = spawnSync("bash", [TOOLS_SCRIPT, ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, PATH: `${process.env.PATH ?? "/usr/bin:/bin"}:/usr/local/go/bin` },
        timeout: 30 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
    });
    const stderr = r.stderr ?? "";
    const ours = stderr.split("\n").filter((l) => l.startsWith("tools: "));
    if (r.status !== 0) {
        const reason = ours.pop()?.slice("tools: ".length) ?? (r.error ? String(r.error) : stderr.trim().split("\n").slice(-5).join("\n"));
        throw new ToolError(reason || `scripts/tools.sh ${args.join(" ")} exited ${r.status}`);
    }
    if (log) ours.forEach((l) => log(l.slice("tools: ".length)));
    return (r.stdout ?? "").trim().split("\n").pop() ?? "";
}

/**
 * The tool's path (for etcd: the directory with etcd, etcdctl and etcdutl), built first if missing.
 * `build: false` refuses instead of building, for callers that may run inside a namespace.
 */
export function toolPath(tool: BuiltTool, version?: string, options: { build?: boolean; log?: (line: string) => void } = {}): string {
    const args = ["path", ...(options.build === false ? ["--no-build"] : []), tool, ...(version ? [version] : [])];
    return runTools(args, options.log);
}

/** Only the Debian packages a profile needs (installed through apt when missing; needs root then). */
export function installPackages(profile: ToolProfile, log?: (line: string) => void): void {
    runTools(["packages", profile], log);
}
