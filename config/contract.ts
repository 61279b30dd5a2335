/**
 * The node contract: every name that the TypeScript program, the IAM policies, the members' shell
 * scripts and S3 share, defined once. Resources and policies build their names with these
 * functions; the renderers hand each one to the node through member.env, so a shell script never
 * retypes a name (tests/unit/nodeContract.test.ts checks the scripts' own defaults against it).
 * Pure: no Pulumi, no I/O.
 */

/** The well-known ports; fixed so security groups, configs and scripts agree. */
export const ETCD_PORTS = Object.freeze({ client: 2379, peer: 2380, metrics: 2381 } as const);
/** etcdkeeper: the container's port, published on the host's KEEPER_PORTS.host (as the seed does). */
export const KEEPER_PORTS = Object.freeze({ host: 8888, container: 8080 } as const);

export const peerUrl = (ip: string): string => `https://${ip}:${ETCD_PORTS.peer}`;
export const clientUrl = (ip: string): string => `https://${ip}:${ETCD_PORTS.client}`;
export const metricsUrl = (ip: string): string => `http://${ip}:${ETCD_PORTS.metrics}`;

/** `--initial-cluster`: name=peer URL for every member, in bootstrap order. */
export function initialClusterOf(members: ReadonlyArray<{ name: string; ip: string }>): string {
    return members.map((m) => `${m.name}=${peerUrl(m.ip)}`).join(",");
}

/** Where the etcdkeeper UI answers on a host (the path is the UI's own). */
export const keeperUrl = (host: string): string => `http://${host}:${KEEPER_PORTS.host}/etcdkeeper/`;

/**
 * The parameters under ssmParameters.memberDir: the member's server+peer pair and its node (client)
 * pair for the tools on the machine. The keys are SecureStrings.
 */
export const MEMBER_CERT_FILES = Object.freeze({ memberCert: "member.pem", memberKey: "member-key.pem", nodeCert: "node.pem", nodeKey: "node-key.pem" } as const);
export type MemberCertFile = (typeof MEMBER_CERT_FILES)[keyof typeof MEMBER_CERT_FILES];

/** A member's own certificates and keys (MEMBER_CERT_FILES) live under this. */
const memberDir = (prefix: string, member: string): string => `${prefix}/members/${member}`;
/** The etcdkeeper UI's client certificate, readable only by members that run the UI. */
const keeperDir = (prefix: string): string => `${prefix}/keeper`;

/** Facts about the cluster as a whole (not a member's), which members write and the program reads. */
const clusterDir = (prefix: string): string => `${prefix}/cluster`;
/**
 * The records under clusterDir, by their last name part: formed (members write it), ids (a folder
 * members add to, one parameter per cluster id, never overwritten), members (the program's roster).
 */
export const CLUSTER_RECORDS = Object.freeze({ formed: "formed", ids: "ids", roster: "members" } as const);

/** SSM Parameter Store names of one cluster's certificates and records. */
export const ssmParameters = Object.freeze({
    /** The cluster's prefix: unique per project, stack and component name. */
    prefix: (project: string, stack: string, name: string): string => `/etcd/${project}/${stack}/${name}`,
    ca: (prefix: string): string => `${prefix}/ca.pem`,
    memberDir,
    memberFile: (prefix: string, member: string, file: MemberCertFile): string => `${memberDir(prefix, member)}/${file}`,
    keeperDir,
    keeperCert: (prefix: string): string => `${keeperDir(prefix)}/etcdkeeper.pem`,
    keeperKey: (prefix: string): string => `${keeperDir(prefix)}/etcdkeeper-key.pem`,
    clusterDir,
    /**
     * Written by a member once the cluster (this token) first has a quorum; its value is the token.
     * From then on no empty member starts "new", and every health gate waits, even a new one.
     */
    clusterFormed: (prefix: string): string => `${clusterDir(prefix)}/${CLUSTER_RECORDS.formed}`,
    /**
     * Every etcd cluster this stack's cluster has been (its first forming, each restore): one
     * parameter per cluster id, `<clusterIds>/<id in hex>` (as snapshot manifests carry it), whose
     * value is the token. A member adds its cluster's id once it has a quorum and may never
     * overwrite one (IAM: ssm:Overwrite), so a compromised member can add ids but never take ours
     * away. A restore of "latest" takes only snapshots of these clusters.
     */
    clusterIds: (prefix: string): string => `${clusterDir(prefix)}/${CLUSTER_RECORDS.ids}`,
    clusterIdRecord: (prefix: string, hexId: string): string => `${clusterDir(prefix)}/${CLUSTER_RECORDS.ids}/${hexId}`,
    /**
     * The members the program wants now (rosterDocument), written by the program before any
     * instance changes. It is not in user data, so adding or removing a member changes no other
     * member's instance; etcd-fetch-roster reads it at every boot.
     */
    roster: (prefix: string): string => `${clusterDir(prefix)}/${CLUSTER_RECORDS.roster}`,
});

/** One member in the roster parameter, as etcd-fetch-roster reads it with jq. */
export interface RosterEntry {
    name: string;
    peerUrl: string;
    clientUrl: string;
}

/** The roster parameter's value: every planned member in order, as JSON. */
export function rosterDocument(members: ReadonlyArray<{ name: string; ip: string }>): string {
    const entries: RosterEntry[] = members.map((m) => ({ name: m.name, peerUrl: peerUrl(m.ip), clientUrl: clientUrl(m.ip) }));
    return JSON.stringify({ members: entries });
}

/** S3 keys under a cluster's prefix in the backup bucket. */
export const s3Keys = Object.freeze({
    /** The backup, restore and defragmentation scripts, fetched by etcd-fetch-scripts at boot. */
    nodeScripts: (clusterPrefix: string): string => `${clusterPrefix}/node-scripts`,
    /** Where members write snapshots (and nothing else): `<prefix>/snapshots/YYYY/MM/DD/<stamp>-r<rev>.db` (node/etcd-backup-common.sh snapshots_prefix). */
    snapshots: (clusterPrefix: string): string => `${clusterPrefix}/snapshots/`,
    /** A snapshot's manifest sits beside it: `<name>.db` -> `<name>.json`, written last. */
    snapshotManifest: (snapshotKey: string): string => `${snapshotKey.replace(/\.db$/, "")}.json`,
});

/** CloudWatch: the namespace and the metrics the members publish (node/etcd-backup.sh) and the alarms watch. */
export const METRICS = Object.freeze({
    namespace: "EtcdCluster",
    backupAge: "SecondsSinceLastGoodBackup",
    quotaUsed: "DatabaseQuotaUsedPercent",
    /** Per member: the days left on the soonest of its own certificates, and on its CA (node/etcd-cert-expiry.sh). */
    certificateDaysLeft: "CertificateDaysLeft",
    caDaysLeft: "CaDaysLeft",
    /** Per member, every minute: 1 when a quorum read through it answers (node/etcd-member-metric.sh). */
    memberHealthy: "MemberHealthy",
    /** Per member and unit (dimension Unit): 1 each time its bootstrap or certificate sync fails (etcd-member-metric --failed). */
    unitFailed: "UnitFailed",
});

/**
 * The systemd units on a member: the renderers write them (components/render/systemd.ts, keeper.ts),
 * the node scripts start and query them by the names member.env hands them (START_UNITS, ETCD_UNIT,
 * KEEPER_UNIT), and the sandbox and tests read their journals.
 */
export const UNITS = Object.freeze({
    etcd: "etcd.service",
    bootstrap: "etcd-bootstrap.service",
    certSync: "etcd-cert-sync.service",
    certSyncTimer: "etcd-cert-sync.timer",
    memberMetric: "etcd-member-metric.service",
    memberMetricTimer: "etcd-member-metric.timer",
    backup: "etcd-backup.service",
    backupTimer: "etcd-backup.timer",
    backupMetrics: "etcd-backup-metrics.service",
    backupMetricsTimer: "etcd-backup-metrics.timer",
    defrag: "etcd-defrag.service",
    defragTimer: "etcd-defrag.timer",
    keeper: "etcdkeeper.service",
} as const);

/** What etcd-start enables and starts: etcd and its timers (the backup ones only with backups on). */
export function unitsStartedOnBoot(backups: boolean): string[] {
    return [UNITS.etcd, UNITS.certSyncTimer, UNITS.memberMetricTimer, ...(backups ? [UNITS.backupTimer, UNITS.backupMetricsTimer, UNITS.defragTimer] : [])];
}

/** What the offline plan and its diff print instead of a secret value. */
export const SECRET_MASK = "[secret]";
