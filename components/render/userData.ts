import { gzipSync } from "fflate";
import { stringify } from "yaml";
import { ETCD_USER } from "./memberEnv";
import { memberFileList } from "./memberFiles";
import { NodePaths, resolveNodePaths } from "./paths";
import { BOOTSTRAP_SERVICE } from "./systemd";
import { MemberRenderInput } from "./types";

/** EC2 refuses user data over 16 KB, counted before base64. */
export const USER_DATA_LIMIT_BYTES = 16384;

/**
 * The member's cloud-init document: a `#cloud-config` that creates the etcd system user, writes every
 * member file (node scripts, member.env, both etcd configs, systemd units) and starts
 * etcd-bootstrap.service, which runs etcd-bootstrap at this and every later boot. Every file is in clear, so this is what a reviewer reads and what `cloud-init schema` checks.
 *
 * It holds no key or certificate: the node reads those from SSM Parameter Store at boot.
 *
 * In clear it is over EC2's 16 KB limit for most clusters (the scripts alone are ~18 KB): give EC2
 * `renderUserDataBase64`, the same document gzip-compressed, which cloud-init unpacks itself.
 */
export function renderUserData(input: MemberRenderInput, paths?: Partial<NodePaths>): string {
    const p = resolveNodePaths(paths);
    const cloudConfig = {
        users: [
            "default",
            {
                name: ETCD_USER,
                system: true,
                homedir: p.mountPoint,
                no_create_home: true,
                shell: "/sbin/nologin",
                lock_passwd: true,
            },
        ],
        write_files: memberFileList(input, p).map((file) => ({
            path: file.path,
            owner: "root:root",
            permissions: file.mode,
            content: file.content,
        })),
        // The unit files were written after systemd started: reload, then enable and start the
        // bootstrap without waiting for it. Its attempts (a failed one is retried by systemd, e.g. an
        // empty member waiting for its peers) are the unit's, not cloud-init's: cloud-init's status
        // says the files were written, `systemctl status etcd-bootstrap` says whether etcd runs.
        runcmd: [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", "--no-block", BOOTSTRAP_SERVICE],
        ],
    };
    return "#cloud-config\n" + stringify(cloudConfig, { lineWidth: 0 });
}

/**
 * The gzip-compressed user data, base64-encoded: the value for `aws.ec2.Instance.userDataBase64` or
 * `aws.ec2.LaunchTemplate.userData`. cloud-init recognises gzip and unpacks it. Throws when even the
 * compressed document exceeds EC2's limit.
 */
export function renderUserDataBase64(input: MemberRenderInput, paths?: Partial<NodePaths>): string {
    const compressed = gzipUserData(renderUserData(input, paths));
    if (compressed.length > USER_DATA_LIMIT_BYTES) {
        throw new Error(
            `the compressed user data of member ${input.member.name} is ${compressed.length} bytes, over EC2's limit of ${USER_DATA_LIMIT_BYTES}. ` +
                "Use fewer members or shorter member names.",
        );
    }
    return compressed.toString("base64");
}

/**
 * gzip with a fixed header (no name, mtime 0) by a pinned pure-JavaScript compressor: the bytes
 * depend only on the document and fflate's locked version, never on the Node.js build's zlib. A
 * different byte would change the instance's user data and so replace every member.
 */
export function gzipUserData(text: string): Buffer {
    return Buffer.from(gzipSync(Buffer.from(text, "utf8"), { level: 9, mtime: 0 }));
}
