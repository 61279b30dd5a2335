// `npm run plan -- --stack <env> --diff <git-ref>`: the offline plan of <git-ref> next to the
// offline plan of the working tree, and the difference as markdown (the pure part is
// planDiffFormat.ts). The base is checked out into a temporary git worktree that borrows this
// checkout's node_modules; each plan runs as its own process (Pulumi's runtime is process-global),
// the head after the base, against what the base would run.
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { diffPlans, formatPlanDiff, PlanDiff, PlanDoc } from "./planDiffFormat";
import { runningFromPlan } from "./runningFromPlan";

export interface PlanDiffOptions {
    /** The checkout to compare (the head is its working tree, uncommitted changes included). */
    root: string;
    stack: string;
    /** Any git revision: a branch, a tag, a sha, `origin/main`, `HEAD~1`. */
    ref: string;
    /** A stack file both sides use instead of their own Pulumi.<stack>.yaml. */
    configFile?: string;
}

export interface PlanDiffResult {
    diff: PlanDiff;
    markdown: string;
    baseSha: string;
}

/** The base could not be planned or compared; the message says why and what to do. */
export class PlanDiffError extends Error {}

const PLAN_TIMEOUT_MS = 180_000;

export async function runPlanDiff(options: PlanDiffOptions): Promise<PlanDiffResult> {
    const root = path.resolve(options.root);
    const baseSha = resolveRef(root, options.ref);
    const configFile = options.configFile ? path.resolve(options.configFile) : undefined;
    if (configFile && !fs.existsSync(configFile)) {
        throw new PlanDiffError(`--config-file ${options.configFile} does not exist.`);
    }
    const planArgs = ["--json", "--stack", options.stack, ...(configFile ? ["--config-file", configFile] : [])];

    const worktree = addWorktree(root, baseSha);
    const removeOnSignal = () => {
        removeWorktree(root, worktree);
        process.exit(130);
    };
    process.once("SIGINT", removeOnSignal);
    process.once("SIGTERM", removeOnSignal);
    try {
        if (!fs.existsSync(path.join(worktree.dir, "tools", "plan.ts"))) {
            throw new PlanDiffError(`${options.ref} (${short(baseSha)}) has no offline plan (tools/plan.ts): pick a newer base.`);
        }
        // The head is planned against the base as if the base ran: its day-2 checks see the base's
        // members (their subnets, versions, architecture), so a refused change fails the diff with
        // the refusal, as `pulumi preview` would.
        const base = await planJson(root, worktree.dir, planArgs, `base ${options.ref}`);
        const runningFile = path.join(worktree.tmp, "running.json");
        const token = base.outputs?.clusterToken;
        const ips = Array.isArray(base.outputs?.members) ? Object.fromEntries((base.outputs.members as Array<{ name: string; ip: string }>).map((m) => [m.name, m.ip])) : {};
        fs.writeFileSync(runningFile, JSON.stringify(runningFromPlan(base.resources, typeof token === "string" ? token : undefined, ips)));
        const head = await planJson(root, root, [...planArgs, "--running", runningFile], "working tree");
        const diff = diffPlans(base, head);
        const markdown = formatPlanDiff(diff, { baseLabel: `${code(options.ref)} (${short(baseSha)})`, headLabel: "the working tree" });
        return { diff, markdown, baseSha };
    } finally {
        process.off("SIGINT", removeOnSignal);
        process.off("SIGTERM", removeOnSignal);
        removeWorktree(root, worktree);
    }
}

function resolveRef(root: string, ref: string): string {
    try {
        return git(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]).trim();
    } catch {
        throw new PlanDiffError(`Unknown git ref ${JSON.stringify(ref)}: give a branch, tag or commit of this repository (fetch it first if it is remote).`);
    }
}

interface Worktree {
    /** Temporary directory holding the worktree. */
    tmp: string;
    dir: string;
}

function addWorktree(root: string, sha: string): Worktree {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-"));
    const dir = path.join(tmp, "base");
    try {
        git(root, ["worktree", "add", "--detach", "--quiet", dir, sha]);
        // The base runs with this checkout's packages: same versions unless the change updated them.
        fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    } catch (err) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw new PlanDiffError(`Could not check out the base into a temporary git worktree: ${(err as Error).message.trim()}`);
    }
    return { tmp, dir };
}

function removeWorktree(root: string, worktree: Worktree): void {
    try {
        git(root, ["worktree", "remove", "--force", worktree.dir]);
    } catch {
        // already gone: prune below forgets it
    }
    fs.rmSync(worktree.tmp, { recursive: true, force: true });
    try {
        git(root, ["worktree", "prune"]);
    } catch {
        // nothing to prune
    }
}

function git(cwd: string, args: string[]): string {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs `tsx tools/plan.ts --json ...` in `cwd` as a child process and parses its document. */
function planJson(root: string, cwd: string, args: string[], label: string): Promise<PlanDoc> {
    const tsx = path.join(root, "node_modules", ".bin", "tsx");
    // No credentials reach the plan: it needs none, and a fork's pull request must not get any.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_") && !k.startsWith("PULUMI_")));
    return new Promise((resolve, reject) => {
        const child = spawn(tsx, ["tools/plan.ts", ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: PLAN_TIMEOUT_MS });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        child.on("error", (err) => reject(new PlanDiffError(`The plan for the ${label} could not start: ${err.message}`)));
        child.on("close", (exitCode, signal) => {
            const errText = Buffer.concat(stderr).toString("utf8").trim();
            if (exitCode !== 0) {
                const why = signal ? `was stopped (${signal})` : `failed (exit ${exitCode})`;
                reject(new PlanDiffError(`The plan for the ${label} ${why}:\n${errText}`));
                return;
            }
            try {
                resolve(JSON.parse(Buffer.concat(stdout).toString("utf8")) as PlanDoc);
            } catch (err) {
                reject(new PlanDiffError(`The plan for the ${label} printed no JSON document (${(err as Error).message}).${errText ? `\n${errText}` : ""}`));
            }
        });
    });
}

function short(sha: string): string {
    return sha.slice(0, 7);
}

function code(text: string): string {
    return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/**
 * The `--diff` branch of `npm run plan`: markdown (or the structured diff with --json) on stdout,
 * a refusal or failure on stderr. Returns the exit code: 0 compared, 1 could not compare.
 */
export async function planDiffCommand(options: PlanDiffOptions & { json: boolean }): Promise<number> {
    try {
        const result = await runPlanDiff(options);
        process.stdout.write(options.json ? JSON.stringify({ base: result.baseSha, ...result.diff }, null, 2) + "\n" : result.markdown);
        return 0;
    } catch (err) {
        if (err instanceof PlanDiffError) {
            process.stderr.write(`error: ${err.message}\n`);
            return 1;
        }
        throw err;
    }
}
