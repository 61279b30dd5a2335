/**
 * `npm run bench -- <suite> [options]`: benchmarks on this machine, never part of `npm test`.
 *
 *   npm run bench -- backup [--sizes 10,100,1000] [--version 3.6.14] [--deadline-minutes 30] [--json]
 *   npm run bench -- machines [--runs 3] [--image] [--json]     (root: the sandbox's nspawn machines)
 *
 * Prints a Markdown table (and with --json one JSON line of the raw figures).
 */
import { testEtcdVersion } from "../tests/helpers/etcdBinaries";
import { benchBackup, formatBackupResults } from "./backup";
import { benchMachines, formatMachinesResults } from "./machines";

function usage(): never {
    process.stderr.write("usage: npm run bench -- backup [--sizes 10,100,1000] [--version 3.6.14] [--deadline-minutes 30] [--json]\n       npm run bench -- machines [--runs 3] [--image] [--json]\n");
    process.exit(2);
}

async function main(argv: string[]): Promise<void> {
    const [suite, ...rest] = argv;
    if (suite === "machines") return machines(rest);
    if (suite !== "backup") usage();
    let sizesMb = [10, 100, 1024];
    let version = testEtcdVersion();
    let deadlineMinutes = 30;
    let json = false;
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        const value = () => rest[++i] ?? usage();
        if (arg === "--sizes") sizesMb = value().split(",").map(Number);
        else if (arg === "--version") version = value();
        else if (arg === "--deadline-minutes") deadlineMinutes = Number(value());
        else if (arg === "--json") json = true;
        else usage();
    }
    if (sizesMb.some((s) => !Number.isFinite(s) || s <= 0) || !Number.isFinite(deadlineMinutes)) usage();
    const log = (line: string) => process.stderr.write(`${line}\n`);
    log(`bench backup: etcd ${version}, databases of ${sizesMb.join(", ")} MB`);
    const results = await benchBackup({ sizesMb, version, deadlineMs: deadlineMinutes * 60_000, log });
    process.stdout.write(formatBackupResults(version, results) + "\n");
    if (json) process.stdout.write(JSON.stringify({ suite: "backup", version, results }) + "\n");
}

function machines(rest: string[]): void {
    let runs = 3;
    let image = false;
    let json = false;
    for (let i = 0; i < rest.length; i++) {
        if (rest[i] === "--runs") runs = Number(rest[++i]);
        else if (rest[i] === "--image") image = true;
        else if (rest[i] === "--json") json = true;
        else usage();
    }
    if (!Number.isInteger(runs) || runs < 1 || runs > 20) usage();
    const results = benchMachines({ runs, image, log: (line) => process.stderr.write(`bench machines: ${line}\n`) });
    process.stdout.write(formatMachinesResults(results) + "\n");
    if (json) process.stdout.write(JSON.stringify({ suite: "machines", results }) + "\n");
}

main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error) => {
        process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    },
);
