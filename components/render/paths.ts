/**
 * Every path the rendered files and node scripts use on a member. One object, so the very same
 * configs and scripts can also run with all of them under another root (the tests do).
 */
export interface NodePaths {
    /** etcd configs (`etcd.new.yaml`, `etcd.existing.yaml`, the chosen `etcd.yaml`) and `member.env`. */
    configDir: string;
    /** Certificates and keys, named like kubespray's (`ca.pem`, `member-NAME.pem`, `node-NAME.pem`, ...). */
    certDir: string;
    /** etcd's `data-dir`: a directory on the data volume, so the volume's `lost+found` never sits in it. */
    dataDir: string;
    /** Where the EBS data volume is mounted. */
    mountPoint: string;
    /** etcd, etcdctl, etcdutl. */
    binDir: string;
    /** The node scripts (`etcd-bootstrap`, `etcd-health`, ...), installed without their `.sh`. */
    sbinDir: string;
    /** systemd unit files. */
    systemdDir: string;
    /** etcd.service's runtime directory (systemd's RuntimeDirectory: made at its start, removed at its stop). */
    runtimeDir: string;
}

export const DEFAULT_NODE_PATHS: Readonly<NodePaths> = Object.freeze({
    configDir: "/etc/etcd",
    certDir: "/etc/ssl/etcd/ssl",
    dataDir: "/var/lib/etcd/data",
    mountPoint: "/var/lib/etcd",
    binDir: "/usr/local/bin",
    sbinDir: "/usr/local/sbin",
    systemdDir: "/etc/systemd/system",
    runtimeDir: "/run/etcd",
});

/** The defaults with the given paths replaced. */
export function resolveNodePaths(overrides?: Partial<NodePaths>): NodePaths {
    const paths = { ...DEFAULT_NODE_PATHS, ...(overrides ?? {}) };
    for (const [key, value] of Object.entries(paths)) {
        // Paths go unquoted into systemd units and etcd's config: absolute, no blanks or quotes.
        if (typeof value !== "string" || !/^\/[A-Za-z0-9_.+@:\-/]*$/.test(value)) {
            throw new Error(
                `NodePaths.${key} must be an absolute path of letters, digits and _.+@:-/ (no spaces or quotes); got ${JSON.stringify(value)}.`,
            );
        }
    }
    return paths;
}

/** Files in configDir. */
export function configFiles(paths: NodePaths) {
    return {
        /** The config etcd runs with: the new or existing variant plus the initial cluster, written by etcd-choose-state. */
        active: `${paths.configDir}/etcd.yaml`,
        new: `${paths.configDir}/etcd.new.yaml`,
        existing: `${paths.configDir}/etcd.existing.yaml`,
        memberEnv: `${paths.configDir}/member.env`,
        /** The roster parameter as shell variables (INITIAL_CLUSTER, OTHER_CLIENT_URLS), written by etcd-fetch-roster at boot. */
        roster: `${paths.configDir}/roster.env`,
    };
}

/**
 * The CA bundle etcd trusts while it runs: etcd.service copies ca.pem here when it starts (etcd reads
 * its trusted CAs only then), and systemd removes it when etcd stops. etcd-fetch-certs takes only
 * certificates this bundle covers while it is there.
 */
export function caAtStartFile(paths: NodePaths): string {
    return `${paths.runtimeDir}/ca-at-start.pem`;
}

/** kubespray naming: member-NAME is the server+peer pair, node-NAME the client pair for local tools. */
export function certFiles(paths: NodePaths, memberName: string) {
    return {
        ca: `${paths.certDir}/ca.pem`,
        memberCert: `${paths.certDir}/member-${memberName}.pem`,
        memberKey: `${paths.certDir}/member-${memberName}-key.pem`,
        nodeCert: `${paths.certDir}/node-${memberName}.pem`,
        nodeKey: `${paths.certDir}/node-${memberName}-key.pem`,
    };
}
