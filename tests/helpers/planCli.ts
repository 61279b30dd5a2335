import { spawnSync } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "./repo";

const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

/** `npm run plan -- ARGS` as a user runs it: its own process, no AWS or Pulumi settings from the environment. */
export function planCli(args: string[], timeoutMs = 120_000): { code: number | null; stdout: string; stderr: string } {
    const env = { ...process.env };
    for (const key of Object.keys(env).filter((k) => k.startsWith("AWS_") || k.startsWith("PULUMI_"))) {
        delete env[key];
    }
    const run = spawnSync(TSX, ["tools/plan.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8", env, timeout: timeoutMs });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}
