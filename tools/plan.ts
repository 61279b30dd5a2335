// `npm run plan -- --stack <env> [--config-file FILE] [--json] [--out DIR]`: the offline plan. Runs index.ts under
// Pulumi's mock runtime with the stack's settings, with no AWS credentials and no Pulumi CLI.
// `--diff <git-ref>` compares the plan of that ref with the working tree's (tools/planDiff.ts).
import * as fs from "fs";
import * as path from "path";
import { RunningCluster } from "../config/runningCluster";
import { parseArgs } from "util";
import { memberFilesFromPlan, writeMemberFiles } from "./memberFiles";
import { planDiffCommand } from "./planDiff";
import { formatPlan } from "./planFormat";
import { PlanRefused, runPlan } from "./planRunner";
import { readStackSettings, StackFileError } from "./stackFile";

const USAGE = "usage: npm run plan -- [--stack dev] [--config-file FILE] [--json] [--out DIR] [--running FILE] [--diff GIT_REF]";

async function main(): Promise<number> {
    let options;
    try {
        options = parseArgs({
            options: {
                stack: { type: "string", default: "dev" },
                json: { type: "boolean", default: false },
                out: { type: "string" },
                "config-file": { type: "string" },
                diff: { type: "string" },
                running: { type: "string" },
                help: { type: "boolean", default: false },
            },
        }).values;
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (options.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const root = path.join(__dirname, "..");
    if (options.diff !== undefined) {
        if (options.out) {
            process.stderr.write(`--out cannot be combined with --diff\n${USAGE}\n`);
            return 2;
        }
        return planDiffCommand({ root, stack: options.stack!, ref: options.diff, configFile: options["config-file"], json: options.json! });
    }
    try {
        // What AWS's reads of the running cluster answer (config/runningCluster.ts RunningCluster, JSON);
        // by default nothing runs. `--diff` passes the base's.
        const running = options.running ? (JSON.parse(fs.readFileSync(options.running, "utf8")) as RunningCluster) : undefined;
        const plan = await runPlan(readStackSettings(root, options.stack!, options["config-file"]), undefined, running);
        if (options.out) {
            const written = writeMemberFiles(path.resolve(options.out), memberFilesFromPlan(plan.resources));
            process.stderr.write(`wrote ${written.length} files under ${options.out}\n`);
        }
        if (options.json) {
            const resources = plan.resources.map((r) => ({
                type: r.type,
                name: r.name,
                urn: r.engineUrn,
                aliases: r.aliases,
                parent: r.parent ?? null,
                inputs: r.maskedInputs,
                options: { dependsOn: r.dependsOn, deleteBeforeReplace: r.deleteBeforeReplace, protect: r.protect, ignoreChanges: r.ignoreChanges },
            }));
            process.stdout.write(JSON.stringify({ project: plan.project, stack: plan.stack, region: plan.region, sizing: plan.outputs.sizing, outputs: plan.outputs, resources }, null, 2) + "\n");
        } else {
            process.stdout.write(formatPlan(plan));
        }
        return 0;
    } catch (err) {
        if (err instanceof PlanRefused || err instanceof StackFileError) {
            process.stderr.write(`error: ${err.message}\n`);
            return 1;
        }
        throw err;
    }
}

// Exit only after stdout has drained: a large --json document to a pipe would be cut off.
const exitAfterFlush = (code: number) => process.stdout.write("", () => process.exit(code));

main().then(
    exitAfterFlush,
    (err) => {
        process.stderr.write(`plan failed: ${err instanceof Error ? err.stack : String(err)}\n`);
        exitAfterFlush(1);
    },
);
