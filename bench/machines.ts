import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * What the sandbox's machines cost on this machine: the machine image build (optional: it
 * takes minutes), `sandbox up` of the dev stack to healthy with the image cached, and each
 * lifecycle verb to healthy. Every step runs the real CLI as a user would.
 */

const REPO = path.resolve(__dirname, "..");
const TSX = path.join(REPO, "node_modules", ".bin", "tsx");
const STACK = "bench-machines";

export interface MachinesResult {
    step: string;
    seconds: number;
}

function timed(step: string, argv: string[], env: Record<string, string>, log: (line: string) => void): MachinesResult {
    const started = Date.now();
    const result = spawnSync(argv[0], argv.slice(1), { cwd: REPO, env: { ...process.env, ...env }, encoding: "utf8", timeout: 20 * 60_000 });
    const seconds = (Date.now() - started) / 1000;
    if (result.status !== 0) throw new Error(`${step} failed (${result.status}): ${(result.stderr ?? "").slice(-2000)}`);
    log(`${step}: ${seconds.toFixed(1)} s`);
    return { step, seconds };
}

export function benchMachines(options: { runs: number; image: boolean; log: (line: string) => void }): MachinesResult[] {
    const env: Record<string, string> = {};
    const sandbox = (args: string[]) => [TSX, path.join(REPO, "sandbox", "cli.ts"), ...args, "--stack", STACK, "--config-file", path.join(REPO, "Pulumi.dev.yaml")];
    const results: MachinesResult[] = [];
    if (options.image) {
        const tools = fs.mkdtempSync(path.join(os.tmpdir(), "bench-image-"));
        try {
            results.push(timed("machine image build (debootstrap)", ["bash", path.join(REPO, "scripts", "tools.sh"), "path", "image"], { PULUMI_ETCD_TOOLS_DIR: tools }, options.log));
        } finally {
            fs.rmSync(tools, { recursive: true, force: true });
        }
    }
    // Warm the caches (image, etcd, S3 server) outside the figures.
    timed("warm-up: sandbox up", sandbox(["up"]), env, options.log);
    timed("warm-up: sandbox down", sandbox(["down"]), env, options.log);
    try {
        for (let run = 1; run <= options.runs; run++) {
            results.push(timed(`sandbox up to healthy (run ${run})`, sandbox(["up"]), env, options.log));
            results.push(timed(`reboot etcd2 to healthy (run ${run})`, sandbox(["reboot", "etcd2"]), env, options.log));
            results.push(timed(`replace etcd1 to healthy (run ${run})`, sandbox(["replace", "etcd1"]), env, options.log));
            results.push(timed(`replace etcd3 --new-volume to healthy (run ${run})`, sandbox(["replace", "etcd3", "--new-volume"]), env, options.log));
            results.push(timed(`sandbox down (run ${run})`, sandbox(["down"]), env, options.log));
        }
    } finally {
        spawnSync(sandbox(["down"])[0], sandbox(["down"]).slice(1), { cwd: REPO, env: { ...process.env, ...env } });
    }
    return results;
}

export function formatMachinesResults(results: MachinesResult[]): string {
    return ["| step | seconds |", "|---|---:|", ...results.map((r) => `| ${r.step} | ${r.seconds.toFixed(1)} |`)].join("\n");
}
