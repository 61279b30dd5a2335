import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";

/** A process a test started, with its output going to a log file. */
export interface Started {
    name: string;
    child: ChildProcess;
    logFile: string;
    /** Resolves with the exit code (or signal name) once the process is gone. */
    exited: Promise<number | string>;
}

/**
 * Starts processes and guarantees they are gone afterwards: call `stopAll()` in afterAll (it is also
 * run when Node exits), so no etcd outlives a failing test.
 */
export class ProcessGroup {
    private readonly running = new Set<Started>();
    private readonly onExit = () => {
        for (const p of this.running) p.child.kill("SIGKILL");
    };

    constructor() {
        process.on("exit", this.onExit);
    }

    start(name: string, command: string, args: string[], options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): Started {
        const log = fs.openSync(options.logFile, "a");
        const child = spawn(command, args, {
            stdio: ["ignore", log, log],
            env: options.env ?? process.env,
            cwd: options.cwd,
        });
        fs.closeSync(log);
        const started: Started = {
            name,
            child,
            logFile: options.logFile,
            exited: new Promise((resolve) => {
                child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
                child.once("error", () => resolve("spawn-error"));
            }),
        };
        this.running.add(started);
        void started.exited.then(() => this.running.delete(started));
        return started;
    }

    /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
    async stop(p: Started, graceMs = 5000): Promise<void> {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return;
        p.child.kill("SIGTERM");
        const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
        try {
            await p.exited;
        } finally {
            clearTimeout(timer);
        }
    }

    async stopAll(): Promise<void> {
        await Promise.all([...this.running].map((p) => this.stop(p)));
        process.removeListener("exit", this.onExit);
    }
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a command to completion with a time limit (killed when over), never throwing on a non-zero exit. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
        const child = execFile(
            command,
            args,
            { env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
            (error, stdout, stderr) => {
                const code = error ? (typeof error.code === "number" ? error.code : 124) : 0;
                resolve({ code, stdout: String(stdout), stderr: String(stderr) });
            },
        );
        if (options.input !== undefined) child.stdin?.end(options.input);
        else child.stdin?.end();
    });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` with the last reason. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 500): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await check();
            if (value !== undefined) return value;
        } catch (error) {
            last = error;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
        }
        await new Promise((r) => setTimeout(r, intervalMs));
    }
}
