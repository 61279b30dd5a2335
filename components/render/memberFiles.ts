import * as fs from "fs";
import * as path from "path";
import { renderEtcdConfig } from "./etcdConfig";
import { renderMemberEnv } from "./memberEnv";
import { configFiles, NodePaths, resolveNodePaths } from "./paths";
import { renderSystemdUnits } from "./systemd";
import { MemberRenderInput } from "./types";

/** The node scripts, in the order etcd-bootstrap runs the first five. Each is `node/<name>.sh` here. */
export const NODE_SCRIPTS = [
    "etcd-install",
    "etcd-prepare-volume",
    "etcd-fetch-certs",
    "etcd-choose-state",
    "etcd-start",
    "etcd-bootstrap",
    "etcd-health",
    "etcd-fetch-scripts",
] as const;

/**
 * Backup, restore and defragmentation scripts. Together with the others they are over EC2's 16 KB
 * user-data limit even compressed, so they travel as S3 objects in the cluster's backup bucket
 * (components/backupScripts.ts) and etcd-fetch-scripts installs them, checking each sha256 that
 * member.env lists.
 */
export const BACKUP_SCRIPTS = [
    "etcd-backup-common",
    "etcd-backup",
    "etcd-backup-list",
    "etcd-snapshot-verify",
    "etcd-restore",
    "etcd-defrag",
] as const;
/** Only on members that run the etcdkeeper UI. */
export const KEEPER_SCRIPTS = ["etcd-keeper-start"] as const;
export type NodeScript = (typeof NODE_SCRIPTS)[number] | (typeof BACKUP_SCRIPTS)[number] | (typeof KEEPER_SCRIPTS)[number];

/** The scripts a local sandbox replaces: they touch the OS (package install, block devices, SSM, systemd, Docker). */
export const OS_LEVEL_SCRIPTS: readonly NodeScript[] = ["etcd-install", "etcd-prepare-volume", "etcd-fetch-certs", "etcd-start", "etcd-keeper-start"];

export interface MemberFile {
    /** Absolute path on the node. */
    path: string;
    content: string;
    /** Octal permission string, e.g. "0755". */
    mode: string;
    kind: "script" | "env" | "etcd-config" | "systemd-unit";
}

/**
 * Where the node scripts live: `node/` at the package root, found from this file both in the source
 * tree (components/render) and in the compiled package (dist/components/render).
 */
export function nodeScriptsDir(): string {
    for (const candidate of [path.resolve(__dirname, "../../node"), path.resolve(__dirname, "../../../node")]) {
        if (fs.existsSync(path.join(candidate, "etcd-bootstrap.sh"))) return candidate;
    }
    throw new Error(`node scripts not found next to ${__dirname}: the package's node/ directory is missing.`);
}

export function readNodeScript(name: NodeScript): string {
    return fs.readFileSync(path.join(nodeScriptsDir(), `${name}.sh`), "utf8");
}

/** Every file a member gets, with its mode: scripts, member.env, both etcd configs, systemd units. */
export function memberFileList(input: MemberRenderInput, paths?: Partial<NodePaths>): MemberFile[] {
    const p = resolveNodePaths(paths);
    const configs = configFiles(p);
    const files: MemberFile[] = [
        { path: configs.memberEnv, content: renderMemberEnv(input, p), mode: "0644", kind: "env" },
        { path: configs.new, content: renderEtcdConfig(input, "new", p), mode: "0644", kind: "etcd-config" },
        { path: configs.existing, content: renderEtcdConfig(input, "existing", p), mode: "0644", kind: "etcd-config" },
    ];
    for (const [name, content] of Object.entries(renderSystemdUnits(input, p))) {
        files.push({ path: `${p.systemdDir}/${name}`, content, mode: "0644", kind: "systemd-unit" });
    }
    for (const name of [...NODE_SCRIPTS, ...(input.keeper ? KEEPER_SCRIPTS : [])]) {
        files.push({ path: `${p.sbinDir}/${name}`, content: readNodeScript(name), mode: "0755", kind: "script" });
    }
    return files;
}

/** Path on the node -> content, for everything the user data writes. */
export function renderMemberFiles(input: MemberRenderInput, paths?: Partial<NodePaths>): Record<string, string> {
    return Object.fromEntries(memberFileList(input, paths).map((f) => [f.path, f.content]));
}
