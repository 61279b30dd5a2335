import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import type { LoadSummary } from "./load";
import { inNamespace } from "./namespaces";
import { etcdctlArgv } from "./report";
import { SandboxState } from "./state";

/** What `--load` reports: the client's view of the change. */
export interface LoadReport extends LoadSummary {
    prefix: string;
    /** Acknowledged writes that are not in the cluster afterwards with their value (must be none). */
    lost: number[];
}

export interface RunningLoad {
    /** Indexes acknowledged so far. */
    acked: number[];
    /** Ends the load (SIGTERM: the writer finishes its current put) and checks every acknowledged write. */
    finish(): Promise<LoadReport>;
}

const LOAD_SCRIPT = path.join(__dirname, "load.ts");

/**
 * Starts sandbox/load.ts where clients run (the hub namespace) against every member, with the
 * sandbox's admin certificate: a bounded writer and a health sampler. Bounded in writes and time
 * whatever happens to the caller: the writer stops at its deadline and is killed 30 s after it.
 */
export function startLoad(state: SandboxState, options: { prefix: string; count: number; deadlineMs: number; intervalMs?: number; sampleMs?: number }): RunningLoad {
    const settings = {
        endpoints: state.members.map((m) => m.clientUrl),
        caFile: state.caFile,
        certFile: state.certFile,
        keyFile: state.keyFile,
        // Two election timeouts: the longest a majority that can talk goes without a leader.
        quorumLossAfterMs: 2 * state.electionTimeoutMs,
        ...options,
    };
    const argv = [...inNamespace(state.hubNamespace), process.execPath, "--require", require.resolve("tsx/cjs"), LOAD_SCRIPT, JSON.stringify(settings)];
    const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const killer = setTimeout(() => child.kill("SIGKILL"), options.deadlineMs + 30_000);
    const acked: number[] = [];
    let summary: LoadSummary | undefined;
    let stderr = "";
    let buffer = "";
    child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-2000)));
    child.stdout!.on("data", (d) => {
        buffer += d;
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) {
            if (line.startsWith("ACK ")) acked.push(Number(line.slice(4)));
            else if (line.startsWith("{")) summary = JSON.parse(line) as LoadSummary;
        }
    });
    const closed = new Promise<void>((resolve) => child.on("close", () => (clearTimeout(killer), resolve())));
    return {
        acked,
        async finish() {
            child.kill("SIGTERM");
            await closed;
            if (!summary) throw new Error(`the load ended without its summary: ${stderr.trim() || "no output"}`);
            const stored = await valuesUnder(state, options.prefix);
            const lost = acked.filter((i) => stored.get(`${options.prefix}${i}`) !== `v${i}`);
            return { ...summary, prefix: options.prefix, lost };
        },
    };
}

/** Every key under the prefix and its value, read linearizably through any member. */
async function valuesUnder(state: SandboxState, prefix: string): Promise<Map<string, string>> {
    const argv = etcdctlArgv(state, ["get", prefix, "--prefix", "--command-timeout=60s"]);
    const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`reading ${prefix} back failed: ${stderr.trim()}`))));
    });
    const lines = out.split("\n");
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < lines.length; i += 2) values.set(lines[i], lines[i + 1]);
    return values;
}
