import { apply } from "./apply";
import { backupNow, backups, restore } from "./backupCommands";
import { spawnSync } from "child_process";
import { down, execArgv, memberCommand, status, up } from "./sandbox";
import { checkStackName } from "./state";

const USAGE = `usage: npm run sandbox -- <command> [--stack dev] [--config-file FILE]
  up                  plan the stack with real addresses and TLS, boot every member as a machine,
                      wait for health, print the cluster as JSON (a running sandbox is only printed)
  status              the same JSON with each member's own health check
  down                shut every machine down; remove namespaces, mounts, loop devices, .sandbox/<stack>
  stop|start MEMBER   instance stop (root and volume kept) / start
  reboot MEMBER       a reboot from inside the machine; waits until healthy
  replace MEMBER [--new-volume]
                      terminate the instance and boot a new one from the same user data, same
                      address, same volume (or an empty one); waits until healthy
  kill MEMBER         SIGKILL the member's etcd (it restarts as etcd.service says)
  isolate|heal MEMBER take the member's network link down / up
  exec MEMBER -- CMD...
                      run CMD inside the member's machine, like docker exec; exits with its status
  backup              run every member's etcd-backup.service now, as its timer does (only the leader
                      takes the snapshot), into the sandbox's S3; print the snapshot as JSON
  backups             the finished backups in the sandbox's bucket, newest first (JSON)
  apply --config-file NEW [--load]
                      take the running sandbox to the settings in NEW as \`pulumi up\` would: plan
                      against what runs (a refused change stops there, untouched), write changed
                      parameters, replace members one at a time in the program's order, run the
                      gates; with --load a writer and a health sampler run throughout. Prints a JSON
                      report; exits 1 when a step failed, a write was lost or quorum was lost
  restore --from <s3://bucket/key.db|latest>
                      replace the cluster with a NEW one bootstrapped from the snapshot, the way the
                      restoreFrom setting does; the old volumes are kept in .sandbox/<stack>/previous`;

async function main(argv: string[]): Promise<number> {
    let stack = "dev";
    let configFile: string | undefined;
    let from: string | undefined;
    const positional: string[] = [];
    let command: string[] = [];
    let newVolume = false;
    let load = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--") {
            command = argv.slice(i + 1);
            break;
        }
        if (arg === "--stack" || arg === "-s") stack = argv[++i] ?? "";
        else if (arg.startsWith("--stack=")) stack = arg.slice(8);
        else if (arg === "--config-file") configFile = argv[++i];
        else if (arg.startsWith("--config-file=")) configFile = arg.slice(14);
        else if (arg === "--new-volume") newVolume = true;
        else if (arg === "--load") load = true;
        else if (arg === "--from") from = argv[++i];
        else if (arg.startsWith("--from=")) from = arg.slice(7);
        else if (arg === "--help" || arg === "-h") {
            process.stdout.write(`${USAGE}\n`);
            return 0;
        } else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        else positional.push(arg);
    }
    checkStackName(stack);
    const [verb, member] = positional;
    const print = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + "\n");
    switch (verb) {
        case "exec": {
            if (!member || command.length === 0) throw new UsageError("exec needs a member and a command: exec MEMBER -- CMD...");
            const argvIn = execArgv(stack, member, command);
            const result = spawnSync(argvIn[0], argvIn.slice(1), { stdio: "inherit" });
            return result.status ?? 1;
        }
        case "up":
            print(await up({ stack, configFile }));
            return 0;
        case "status": {
            const result = await status(stack);
            if (!result) {
                process.stderr.write(`sandbox: no sandbox for stack ${stack}\n`);
                return 1;
            }
            print(result);
            return result.members.every((m) => m.health?.healthy) ? 0 : 1;
        }
        case "down":
            await down(stack);
            return 0;
        case "stop":
        case "start":
        case "kill":
        case "isolate":
        case "heal":
        case "reboot":
        case "replace":
            if (!member) throw new UsageError(`${verb} needs a member name`);
            print(await memberCommand(stack, verb, member, { newVolume }));
            return 0;
        case "backup": {
            const result = await backupNow(stack);
            print(result);
            if (!result.ok) process.stderr.write(`sandbox: the backup tick did not produce exactly one finished backup; see members[].log\n`);
            return result.ok ? 0 : 1;
        }
        case "backups":
            print(backups(stack));
            return 0;
        case "apply": {
            if (!configFile) throw new UsageError("apply needs --config-file NEW: the settings to take the sandbox to");
            const result = await apply({ stack, configFile, load });
            print(result);
            if (!result.ok) process.stderr.write(`sandbox: apply ${result.failed ? `failed at ${result.failed.step}${result.failed.member ? ` of ${result.failed.member}` : ""}: ${result.failed.message}` : "lost a write or quorum; see load"}\n`);
            return result.ok ? 0 : 1;
        }
        case "restore":
            if (!from) throw new UsageError("restore needs --from <s3://bucket/key.db|latest>");
            print(await restore({ stack, from, configFile }));
            return 0;
        default:
            throw new UsageError(verb ? `unknown command ${verb}` : "no command given");
    }
}

class UsageError extends Error {}

// Pulumi's runtime lets the process end quietly when an Output never resolves (e.g. a dependency
// cycle in the program): say so instead of exiting without a word.
let finished = false;
process.on("beforeExit", () => {
    if (finished) return;
    process.stderr.write("sandbox: the Pulumi program never finished (an Output that never resolves, e.g. a dependency cycle); `npm run plan` shows the same\n");
    process.exit(1);
});

main(process.argv.slice(2)).then(
    (code) => {
        finished = true;
        process.exit(code);
    },
    (error: unknown) => {
        finished = true;
        process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
        if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
        process.exit(error instanceof UsageError ? 2 : 1);
    },
);
