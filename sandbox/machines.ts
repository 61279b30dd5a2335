import { execFileSync, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { BOOTSTRAP_SERVICE } from "../components/render/systemd";
import { innermostPid, isAlive, readPid, writePid } from "./pids";

/**
 * Members as real machines: each boots the machine image (scripts/tools.sh `path image`, a Debian
 * root with systemd and cloud-init) with systemd-nspawn, in its own network namespace, from its
 * instance's real user data through cloud-init's NoCloud seed, with its data volume a real block
 * device (a loop device over one file). systemd runs the rendered units; nothing of the node is
 * emulated. The host runs no systemd, hence `--keep-unit --register=no`.
 *
 * Under `.sandbox/<stack>/<member>/`:
 *   upper/, work/   the machine's copy-on-write layer over the image (a replace starts a new one)
 *   root/           the overlay mount the machine boots
 *   volume.img      the data volume (sparse); run/loop names its loop device
 *   run/            nspawn.pid (the nspawn process), machine.pid (the machine's systemd)
 *   console.log     the machine's console
 */

/** Size of each sandbox data volume: the plan's would be sparse too, but XFS metadata grows with it. */
const VOLUME_BYTES = Number(process.env.SANDBOX_VOLUME_MB ?? 1024) * 1024 * 1024;

export interface MachineSetup {
    /** The image root (read-only lower layer). */
    image: string;
    /** The host directory with the plan's SSM parameters (bound read-only). */
    ssmDir: string;
    /** The host directory of the parameters members write (bound writable), shared by all members. */
    recordsDir: string;
    /** The only parameters a member may put, as its instance role allows (the formed record). */
    writableParameters: string[];
    /** The host directory the machines' CloudWatch metrics go to. */
    metricsDir: string;
    /** The aws stand-in script. */
    awsStandIn: string;
    s3Endpoint?: string;
    /** Extra CA certificate the machines trust (the release mirror's). */
    trustPem: string;
}

/** What EC2 knows of a member's instance: enough to boot it again (a reboot, a start, a replace). */
export interface MachineSpec {
    name: string;
    ip: string;
    instanceId: string;
    /** The user data exactly as the instance receives it (gzip included), base64. */
    userDataBase64: string;
    /** Where the data volume appears on the instance (member.env DATA_DEVICE). */
    dataDevice: string;
    /** The member's network namespace. */
    namespace: string;
    /** The instance's AMI and type as planned (absent in specs written before they were kept): what `apply` compares. */
    ami?: string;
    instanceType?: string;
    /** The zone of its interface and volume (absent in older specs): a move to another zone brings a new volume. */
    availabilityZone?: string;
}

/** A new instance's id, as EC2 gives one to a replacement. */
export const newInstanceId = (): string => `i-${randomBytes(9).toString("hex").slice(0, 17)}`;

/** The planned instance's AMI, type and zone, as a spec keeps them. */
export const instanceOf = (planned: { instance: { ami: string; instanceType: string; availabilityZone: string } }): Pick<MachineSpec, "ami" | "instanceType" | "availabilityZone"> => ({
    ami: planned.instance.ami,
    instanceType: planned.instance.instanceType,
    availabilityZone: planned.instance.availabilityZone,
});

const run = (dir: string) => path.join(dir, "run");

function writeFile(file: string, content: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
}
const INSTANCE = path.join(__dirname, "instance.sh");

function sh(argv: string[]): string {
    const result = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${argv.join(" ")} failed: ${(result.stderr || result.error?.message || "").trim()}`);
    return result.stdout;
}

/** A new root for the member: an empty copy-on-write layer over the image, mounted at root/. */
export function freshRoot(dir: string, image: string): void {
    unmountRoot(dir);
    for (const d of ["upper", "work"]) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
    mountRoot(dir, image);
}

function mountRoot(dir: string, image: string): void {
    for (const d of ["upper", "work", "root"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
    sh(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${image},upperdir=${path.join(dir, "upper")},workdir=${path.join(dir, "work")}`, path.join(dir, "root")]);
}

export function unmountRoot(dir: string): void {
    const root = path.join(dir, "root");
    if (isMountPoint(root)) sh(["umount", root]);
}

function isMountPoint(target: string): boolean {
    return fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").some((line) => line.split(" ")[4] === target);
}

/**
 * What EC2 gives an instance before it boots, written into its root: the NoCloud seed (the user
 * data exactly as the instance receives it, and the plan's instance id), the aws stand-in and its
 * settings, and the mirror's CA in the trust store.
 */
export function seedMachine(member: MachineSpec, dir: string, setup: MachineSetup): void {
    const root = path.join(dir, "root");
    const seed = path.join(root, "var/lib/cloud/seed/nocloud");
    writeFile(path.join(seed, "meta-data"), `instance-id: ${member.instanceId}\nlocal-hostname: ip-${member.ip.replace(/\./g, "-")}\n`);
    fs.writeFileSync(path.join(seed, "user-data"), Buffer.from(member.userDataBase64, "base64"));
    writeFile(path.join(root, "usr/local/bin/aws"), fs.readFileSync(setup.awsStandIn, "utf8"), 0o755);
    const settings = [
        `SANDBOX_SSM_DIR=${SSM_IN_MACHINE}`,
        `SANDBOX_SSM_RECORDS_DIR=${SSM_RECORDS_IN_MACHINE}`,
        `SANDBOX_SSM_WRITABLE='${setup.writableParameters.join(" ")}'`,
        `SANDBOX_METRICS_FILE=${METRICS_IN_MACHINE}/${METRICS_FILE}`,
        ...(setup.s3Endpoint ? [`SANDBOX_S3_ENDPOINT=${setup.s3Endpoint}`, "SANDBOX_AWS_CLI=/usr/bin/aws"] : []),
    ];
    writeFile(path.join(root, "etc/sandbox/aws.env"), settings.join("\n") + "\n");
    const bundle = path.join(root, "etc/ssl/certs/ca-certificates.crt");
    fs.appendFileSync(bundle, `\n${setup.trustPem.trim()}\n`);
}

const SSM_IN_MACHINE = "/var/lib/sandbox/ssm";
const SSM_RECORDS_IN_MACHINE = "/var/lib/sandbox/ssm-records";
const METRICS_IN_MACHINE = "/var/lib/sandbox/metrics";
/** The sandbox's CloudWatch: the aws stand-in appends each metric put as a JSON line, in MachineSetup.metricsDir. */
export const METRICS_FILE = "cloudwatch-metrics.jsonl";

/** The file behind the member's data volume. */
export const volumeFile = (dir: string) => path.join(dir, "volume.img");

/** The journal of one unit of the machine, every boot of its root (the journal is persistent), as text. */
export function unitJournal(dir: string, unitName: string): string {
    const pid = currentInit(dir);
    if (!pid) return "";
    return execInMachine(pid, ["journalctl", "--no-pager", "-o", "cat", "-u", unitName]).stdout;
}

/** The member's data volume: a loop device over volume.img, made blank on first use. */
export function attachVolume(dir: string): string {
    const file = volumeFile(dir);
    if (!fs.existsSync(file)) {
        fs.writeFileSync(file, "");
        fs.truncateSync(file, VOLUME_BYTES);
    }
    const loop = sh(["losetup", "--find", "--show", file]).trim();
    fs.mkdirSync(run(dir), { recursive: true });
    fs.writeFileSync(path.join(run(dir), "loop"), `${loop}\n`);
    return loop;
}

export function detachVolume(dir: string): void {
    const file = path.join(run(dir), "loop");
    if (!fs.existsSync(file)) return;
    const loop = fs.readFileSync(file, "utf8").trim();
    spawnSync("losetup", ["-d", loop]);
    fs.rmSync(file, { force: true });
}

/** A brand-new empty volume in place of the old one (the old one is lost, as a deleted EBS volume). */
export function replaceVolume(dir: string): void {
    detachVolume(dir);
    fs.rmSync(volumeFile(dir), { force: true });
}

/**
 * Boots the machine: systemd-nspawn in the member's network namespace, the loop device at the
 * Nitro device path member.env names (and at its own /dev name, where blkid and mount by UUID find
 * it, as udev's links do on EC2). Returns when its systemd is running; records both pids.
 */
export async function bootMachine(member: MachineSpec, dir: string, loop: string, setup: MachineSetup): Promise<number> {
    const argv = [
        "bash",
        INSTANCE,
        "--keep-unit",
        "--register=no",
        "--boot",
        "--quiet",
        `--directory=${path.join(dir, "root")}`,
        // Machine names are global on the host (nspawn keeps per-machine state under /run/systemd/nspawn):
        // the namespace's name carries the checkout's tag and the stack, so two sandboxes never share one.
        `--machine=${member.namespace}`,
        `--network-namespace-path=/run/netns/${member.namespace}`,
        `--bind=${loop}`,
        `--bind=${loop}:${member.dataDevice}`,
        `--bind-ro=${setup.ssmDir}:${SSM_IN_MACHINE}`,
        `--bind=${setup.recordsDir}:${SSM_RECORDS_IN_MACHINE}`,
        `--bind=${setup.metricsDir}:${METRICS_IN_MACHINE}`,
        "--console=read-only",
    ];
    const console = fs.openSync(path.join(dir, "console.log"), "a");
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", console, console], cwd: "/" });
    fs.closeSync(console);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start the machine of ${member.name}`);
    writePid(path.join(run(dir), "nspawn.pid"), child.pid);
    const deadline = Date.now() + 20_000;
    for (;;) {
        const init = machineInit(child.pid);
        if (init) {
            writePid(path.join(run(dir), "machine.pid"), init);
            return init;
        }
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the machine of ${member.name} did not boot; see ${path.join(dir, "console.log")}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** The machine's PID 1 (its systemd): the process under nspawn whose pid is 1 in its own namespace. */
function machineInit(nspawnPid: number): number | undefined {
    const children = (pid: number) => {
        try {
            return fs
                .readdirSync(`/proc/${pid}/task`)
                .flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number));
        } catch {
            return [];
        }
    };
    const queue = children(nspawnPid);
    while (queue.length) {
        const pid = queue.shift()!;
        if (innermostPid(pid) === 1) return pid;
        queue.push(...children(pid));
    }
    return undefined;
}

/**
 * The machine's systemd as it runs now: a reboot gives it a new pid (the instance boots the machine
 * again), so the recorded one is checked and found again when it is gone. Undefined while down.
 */
export function currentInit(dir: string): number | undefined {
    const recorded = readPid(path.join(run(dir), "machine.pid"));
    if (recorded && isAlive(recorded)) return recorded;
    const instance = readPid(path.join(run(dir), "nspawn.pid"));
    if (!instance || !isAlive(instance)) return undefined;
    const init = machineInit(instance);
    if (init) writePid(path.join(run(dir), "machine.pid"), init);
    return init;
}

/** argv that runs a command inside a running machine, in all its namespaces, as `docker exec` does. */
export function inMachine(initPid: number, command: string[]): string[] {
    return ["nsenter", "--target", String(initPid), "--all", "--", "/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root", ...command];
}

/** Runs a command in the machine and returns its status and output. */
export function execInMachine(initPid: number, command: string[], timeoutMs = 60_000): { code: number; stdout: string; stderr: string } {
    const argv = inMachine(initPid, command);
    const result = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: timeoutMs });
    return { code: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? result.error?.message ?? "" };
}

/** execInMachine without blocking: several machines' commands run at the same time. */
export function execInMachineAsync(initPid: number, command: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
    const argv = inMachine(initPid, command);
    return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? 1, stdout, stderr: signal ? `${stderr}killed by ${signal} after ${timeoutMs / 1000}s\n` : stderr });
        });
    });
}

/**
 * Shuts the machine down as `poweroff` does (SIGTERM to nspawn makes the machine's systemd halt),
 * then waits; whatever is left after the timeout is killed. Idempotent.
 */
export async function shutdownMachine(dir: string, timeoutMs = 30_000): Promise<void> {
    const pid = readPid(path.join(run(dir), "nspawn.pid"));
    if (pid && isAlive(pid)) {
        process.kill(pid, "SIGTERM");
        const deadline = Date.now() + timeoutMs;
        while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        if (isAlive(pid)) process.kill(pid, "SIGKILL");
        while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
    }
    for (const f of ["nspawn.pid", "machine.pid"]) fs.rmSync(path.join(run(dir), f), { force: true });
}

/** Removes everything of the machine that lives outside its directory: the overlay mount and the loop device. */
export async function destroyMachine(dir: string): Promise<void> {
    await shutdownMachine(dir);
    try {
        unmountRoot(dir);
    } catch {
        execFileSync("umount", ["-l", path.join(dir, "root")]);
    }
    detachVolume(dir);
}

/** The member's machine: its systemd's pid on the host (found again after a reboot), undefined when it is not running. */
export const machinePid = (member: { dir: string }) => currentInit(member.dir);

/** The machine's boot id, new on every boot (nspawn gives each boot its own, as a kernel boot does on EC2). */
export function machineBootId(dir: string): string | undefined {
    const pid = currentInit(dir);
    if (!pid) return undefined;
    const result = execInMachine(pid, ["cat", "/proc/sys/kernel/random/boot_id"]);
    return result.code === 0 ? result.stdout.trim() : undefined;
}

/** etcd's pid as the host sees it: the main pid systemd reports for etcd.service, translated out of the machine's pid namespace. */
export function machineEtcdPid(dir: string): number | undefined {
    const init = currentInit(dir);
    if (!init) return undefined;
    const inside = Number(execInMachine(init, ["systemctl", "show", "--property=MainPID", "--value", "etcd.service"]).stdout.trim());
    if (!inside) return undefined;
    const machineNamespace = fs.readlinkSync(`/proc/${init}/ns/pid`);
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number)) {
        try {
            if (innermostPid(pid) === inside && fs.readlinkSync(`/proc/${pid}/ns/pid`) === machineNamespace) return pid;
        } catch {
            // gone meanwhile
        }
    }
    return undefined;
}

/** The member's instance record, kept beside its machine so a start or a replace boots the same instance. */
const specFile = (dir: string) => path.join(dir, "instance.json");

export function writeSpec(dir: string, spec: MachineSpec): void {
    writeFile(specFile(dir), JSON.stringify(spec, null, 2) + "\n");
}

export function readSpec(dir: string): MachineSpec {
    return JSON.parse(fs.readFileSync(specFile(dir), "utf8")) as MachineSpec;
}

/**
 * Boots the member's instance: on a fresh root (a new instance: cloud-init runs its user data) or
 * on the root it had (a start after a stop: cloud-init sees the same instance id and runs nothing
 * again), with its volume attached. Returns the machine's systemd pid.
 */
export async function launchMachine(dir: string, spec: MachineSpec, setup: MachineSetup, options: { freshRoot: boolean }): Promise<number> {
    if (options.freshRoot) {
        freshRoot(dir, setup.image);
        seedMachine(spec, dir, setup);
    } else if (!isMountPoint(path.join(dir, "root"))) {
        mountRoot(dir, setup.image);
    }
    detachVolume(dir);
    return bootMachine(spec, dir, attachVolume(dir), setup);
}

/**
 * cloud-init's errors for the machine's current instance, once it has finished (its result.json, read
 * from the machine's layer on the host): a failed etcd-bootstrap shows here at once.
 */
/** How often systemd has restarted the member's bootstrap after a failed attempt (0 when not running). */
export function bootstrapRestarts(dir: string): number {
    const pid = currentInit(dir);
    if (!pid) return 0;
    return Number(execInMachine(pid, ["systemctl", "show", BOOTSTRAP_SERVICE, "-p", "NRestarts", "--value"]).stdout.trim()) || 0;
}

export function cloudInitErrors(dir: string): string[] | undefined {
    try {
        const result = JSON.parse(fs.readFileSync(path.join(dir, "upper/var/lib/cloud/data/result.json"), "utf8")) as { v1?: { errors?: string[] } };
        return result.v1?.errors ?? [];
    } catch {
        return undefined; // not finished yet
    }
}
