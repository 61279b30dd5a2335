/** What the node-side renderers need to know about one member and its cluster. Plain data only. */
import type { EtcdNodeSettings } from "../../config/settings";

export type Arch = "amd64" | "arm64";

export interface MemberAddress {
    /** etcd member name, e.g. `etcd1`. */
    name: string;
    /** The member's fixed private IPv4 address (its network interface's address). */
    ip: string;
}

/** etcd's settings (EtcdNodeSettings, from the cluster model as they are) and what is this member's own. */
export interface MemberRenderInput extends EtcdNodeSettings {
    /** This member. */
    member: MemberAddress;
    /** Every planned member in order: checked against `member`; the roster parameter lists them, user data does not. */
    members: MemberAddress[];
    /** `initial-cluster-token`, unique per cluster and environment. */
    clusterToken: string;
    arch: Arch;
    /** EBS volume id of the member's data volume, e.g. `vol-0123456789abcdef0`. */
    dataVolumeId: string;
    /** AWS region, for the SSM calls the node makes. */
    region: string;
    /**
     * SSM Parameter Store prefix of this cluster, e.g. `/etcd/myproj/prod/main`. The member reads
     * `${prefix}/ca.pem` and `${prefix}/members/${member.name}/{member.pem,member-key.pem,node.pem,node-key.pem}`.
     */
    parameterPrefix: string;
    /** How often the node re-reads its certificates from SSM so renewed ones arrive without a restart. */
    certSyncIntervalMinutes: number;
    /** The `Cluster` dimension of every metric the member publishes (the cluster tag, e.g. `proj/prod/etcd`). */
    metricCluster: string;
    /** The CA generations the member trusts and the one its certificates are signed by; absent before any CA rotation (config/caRotation.ts). */
    ca?: { trusted: number[]; signing: number };
    /** Scheduled snapshots and disaster recovery; absent when backups are off. */
    backup?: BackupRenderInput;
    /** The etcdkeeper web UI; absent when off. */
    keeper?: KeeperRenderInput;
}

/** The etcdkeeper container on the member (components/render/keeper.ts). */
export interface KeeperRenderInput {
    /** Pinned image, e.g. `evildecay/etcdkeeper:v0.7.6`. */
    image: string;
    /** Host address the UI port is published on: 127.0.0.1, or the member's IP when an allow-list is set. */
    bindAddress: string;
}

/** What the node's backup, defragmentation and restore scripts need (node/etcd-backup*.sh). */
export interface BackupRenderInput {
    bucket: string;
    /** Key prefix of this cluster's snapshots, e.g. `proj/prod/etcd` (no trailing slash). */
    prefix: string;
    /** KMS key for server-side encryption of uploads. */
    kmsKeyArn: string;
    /** Minutes between backup ticks; every member's timer fires, only the leader backs up. */
    intervalMinutes: number;
    /** Hours between defragmentation attempts; members take turns through a lock in etcd. */
    defragIntervalHours: number;
    /** Bootstrap an empty member from this snapshot (`latest` or an s3:// URI); absent normally. */
    restoreFrom?: string;
}
