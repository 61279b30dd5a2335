import * as fs from "fs";
import * as path from "path";

/** The node scripts, in the order etcd-bootstrap runs the first eight. Each is `node/<name>.sh` here. */
export const NODE_SCRIPTS = [
    "etcd-install",
    "etcd-prepare-volume",
    "etcd-fetch-certs",
    "etcd-fetch-roster",
    "etcd-choose-state",
    "etcd-start",
    "etcd-promote",
    "etcd-record-formed",
    "etcd-bootstrap",
    "etcd-health",
    "etcd-handover",
    "etcd-fetch-scripts",
    "etcd-cert-expiry",
    "etcd-member-metric",
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
/**
 * What every node script sources from its own directory (member.env, log, etcdctl, JSON with jq).
 * It keeps its `.sh` on the member too, so that one line finds it both there and in the package.
 */
export const NODE_LIBRARY = "etcd-node-common";
export type NodeScript = (typeof NODE_SCRIPTS)[number] | (typeof BACKUP_SCRIPTS)[number] | (typeof KEEPER_SCRIPTS)[number] | typeof NODE_LIBRARY;


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

/**
 * A node script as user data carries it: its full-line comments left out (the shebang stays, and a
 * line that says where the commented source is). The comments are most of the scripts' size, and
 * user data must fit EC2's 16 KB; the package's node/ directory holds the scripts as reviewed. No
 * node script has a here-document, and a `#` line inside an awk or jq program is a comment there too.
 */
export function userDataScript(name: NodeScript): string {
    const [shebang, ...rest] = readNodeScript(name).split("\n");
    const code = rest.filter((line) => !/^\s*#/.test(line));
    return [shebang, `# ${name}: node/${name}.sh of the package, without its comments`, ...code].join("\n");
}
