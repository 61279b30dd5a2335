/** What the node-side renderers need to know about one member and its cluster. Plain data only. */

export type Arch = "amd64" | "arm64";

/** The well-known ports; fixed so security groups, configs and scripts agree. */
export const ETCD_PORTS = { client: 2379, peer: 2380, metrics: 2381 } as const;

export interface MemberAddress {
    /** etcd member name, e.g. `etcd1`. */
    name: string;
    /** The member's fixed private IPv4 address (its network interface's address). */
    ip: string;
}

export interface MemberRenderInput {
    /** This member. */
    member: MemberAddress;
    /** Every member of the cluster in bootstrap order; becomes `initial-cluster`. */
    members: MemberAddress[];
    /** `initial-cluster-token`, unique per cluster and environment. */
    clusterToken: string;
    /** Exact etcd release, e.g. `3.6.14`. */
    etcdVersion: string;
    arch: Arch;
    /** sha256 of the release tarball `etcd-v<version>-linux-<arch>.tar.gz`. */
    etcdSha256: string;
    /** Base URL under which `v<version>/etcd-v<version>-linux-<arch>.tar.gz` is found. */
    etcdMirrorUrl: string;
    /** EBS volume id of the member's data volume, e.g. `vol-0123456789abcdef0`. */
    dataVolumeId: string;
    quotaBackendBytes: number;
    autoCompactionMode: "periodic" | "revision";
    autoCompactionRetention: string;
    heartbeatIntervalMs: number;
    electionTimeoutMs: number;
    logLevel: "debug" | "info" | "warn" | "error";
    /** AWS region, for the SSM calls the node makes. */
    region: string;
    /**
     * SSM Parameter Store prefix of this cluster, e.g. `/etcd/myproj/prod/main`. The member reads
     * `${prefix}/ca.pem` and `${prefix}/members/${member.name}/{member.pem,member-key.pem,node.pem,node-key.pem}`.
     */
    parameterPrefix: string;
    /** How often the node re-reads its certificates from SSM so renewed ones arrive without a restart. */
    certSyncIntervalMinutes: number;
}
