import * as fs from "fs";
import * as path from "path";

/** The node scripts, in the order etcd-bootstrap runs the first six. Each is `node/<name>.sh` here. */
export const NODE_SCRIPTS = [
    "etcd-install",
    "etcd-prepare-volume",
    "etcd-fetch-certs",
    "etcd-choose-state",
    "etcd-start",
    "etcd-record-formed",
    "etcd-bootstrap",
    "etcd-health",
    "etcd-handover",
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
    "etcd-upgrade-snapshot",
] as const;
/** Only on members that run the etcdkeeper UI. */
export const KEEPER_SCRIPTS = ["etcd-keeper-start"] as const;
export type NodeScript = (typeof NODE_SCRIPTS)[number] | (typeof BACKUP_SCRIPTS)[number] | (typeof KEEPER_SCRIPTS)[number];


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

const loaded = new Map<NodeScript, string>();

/** A node script's text, read from disk once per process: every member renders the same bytes. */
export function readNodeScript(name: NodeScript): string {
    let content = loaded.get(name);
    if (content === undefined) {
        content = fs.readFileSync(path.join(nodeScriptsDir(), `${name}.sh`), "utf8");
        loaded.set(name, content);
    }
    return content;
}
