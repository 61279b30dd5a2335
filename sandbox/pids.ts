import * as fs from "fs";

/** Process facts the sandbox reads from /proc about its machines and servers. */

/** The pid recorded in a file, or undefined when there is none. */
export function readPid(file: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(file, "utf8").trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
        return undefined;
    }
}

/** Records a pid whole (write, then rename): other processes poll these files and must never read one half-written. */
export function writePid(file: string, pid: number): void {
    fs.writeFileSync(`${file}.${process.pid}`, `${pid}\n`);
    fs.renameSync(`${file}.${process.pid}`, file);
}

export function isAlive(pid: number | undefined): boolean {
    if (!pid) return false;
    try {
        process.kill(pid, 0);
        // A zombie is not alive.
        return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}

/** The process's pid in its own (innermost) pid namespace, e.g. 1 for a machine's systemd. */
export function innermostPid(pid: number): number | undefined {
    try {
        const nspid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1].trim().split(/\s+/);
        return nspid && nspid.length > 1 ? Number(nspid[nspid.length - 1]) : undefined;
    } catch {
        return undefined; // gone meanwhile
    }
}
