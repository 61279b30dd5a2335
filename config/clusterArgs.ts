import type * as pulumi from "@pulumi/pulumi";

/**
 * Everything a user can say about an etcd cluster. Flat and serializable (no unions of objects, no
 * callbacks) so other Pulumi languages can use the component too. Every property documents the
 * behaviour when it is left out. Stack settings in Pulumi.<stack>.yaml use the same names.
 * Ids and ARNs of other resources are Inputs, so the cluster composes with the resources that make
 * them; their format is checked when the value is a plain string and left to AWS when it is an
 * Output. Settings that shape the cluster (counts, sizing, versions) stay plain values.
 */
export interface EtcdClusterArgs {
    // ---- Sizing -------------------------------------------------------------------------------

    /**
     * Number of Kubernetes nodes the cluster serves; selects a tier from etcd's hardware table
     * (<=50, 51-250, 251-1000, 1001-3000). Above 3000 there is no documented tier: give
     * instanceType and all three dataVolume* settings instead (up to 1000000 nodes).
     * @default 50 (the smallest tier: 2 vCPU, 8 GiB, 50 GB)
     */
    kubernetesNodeCount?: number;
    /**
     * Instance family the smallest fitting type is picked from.
     * @default "m7g" (Graviton; about 20% cheaper than the x86 m7i for the same shape)
     */
    instanceFamily?: string;
    /** Exact instance type; wins over the table. @default the smallest fitting type of instanceFamily */
    instanceType?: string;
    /** Data volume size in GB. @default the tier's SSD size (50 / 150 / 250 / 500) */
    dataVolumeSizeGb?: number;
    /** Data volume provisioned IOPS. @default the tier's IOPS (3600 / 6000 / 8000 / 16000) */
    dataVolumeIops?: number;
    /** Data volume provisioned throughput in MB/s. @default the tier's MB/s, at least gp3's included 125 */
    dataVolumeThroughputMbps?: number;
    /** @deprecated The former name of dataVolumeThroughputMbps, still accepted (not with it). */
    dataVolumeThroughputMBps?: number;

    // ---- Members and etcd ---------------------------------------------------------------------

    /** Number of members: 3, 5 or 7. @default 3 */
    memberCount?: number;
    /** etcd release. @default "3.6.14" (newest 3.6 patch whose published checksum ships here) */
    etcdVersion?: string;
    /** sha256 of the release tarball, required for releases whose checksum is not shipped (3.7.x). @default the shipped checksum */
    etcdSha256?: string;
    /** Where nodes download etcd from: `<mirror>/v<version>/etcd-v<version>-linux-<arch>.tar.gz`. @default GitHub releases */
    etcdMirrorUrl?: string;
    /** `--quota-backend-bytes`. @default 8 GiB (etcd's suggested maximum), at most half the data volume */
    quotaBackendBytes?: number;
    /**
     * `--max-request-bytes`: the largest request a member accepts, 1-10 MiB (etcd warns above 10).
     * Raise it for large Kubernetes objects (big CRDs, Secrets); every member buffers that much per request.
     * @default etcd's own 1.5 MiB (the setting is then not written)
     */
    maxRequestBytes?: number;
    /**
     * How long a new or rebuilt member (a learner: a larger memberCount, a lost volume, a move to
     * another zone) may take to catch up and be promoted to a voter before its bootstrap fails and
     * is retried, 60-86400. A learner first receives the whole database: raise it for large ones.
     * @default 600 (the node's own default; the setting is then not written)
     */
    learnerPromoteWaitSeconds?: number;
    /** `--auto-compaction-mode`: "periodic" or "revision". @default "periodic" */
    autoCompactionMode?: string;
    /** `--auto-compaction-retention`. @default "1h" */
    autoCompactionRetention?: string;
    /** `--heartbeat-interval` in ms; about 0.5-1.5x the RTT between members. @default 100 */
    heartbeatIntervalMs?: number;
    /** `--election-timeout` in ms; at least 5x the heartbeat (etcd refuses less). @default 1000 */
    electionTimeoutMs?: number;
    /** etcd log level: debug, info, warn or error. @default "info" */
    logLevel?: string;
    /** `--initial-cluster-token`. @default derived from project, stack and name: unique per cluster and environment, stable across updates */
    clusterToken?: string;

    // ---- Network ------------------------------------------------------------------------------

    /** Existing VPC; give together with subnetIds. Takes another resource's output (e.g. `vpc.vpcId`). @default a new VPC is created */
    vpcId?: pulumi.Input<string>;
    /**
     * Existing private subnets, ideally one per availability zone; members are spread over them in
     * order. The list, or each id in it, may be another resource's output (e.g. awsx's
     * `vpc.privateSubnetIds`); the members are placed once the ids are known.
     * @default new private subnets
     */
    subnetIds?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Member name -> the subnet (one of subnetIds) it runs in. On a running cluster this is how a
     * member moves, one per update: it gets a new network interface, address and certificates, and
     * rejoins from its peers (Operating: moving a member). On a first deployment it places the named
     * members. Each id may be another resource's output.
     * @default none: members stay where they run; new ones go by position, or to the subnet with the fewest members
     */
    memberSubnets?: Record<string, pulumi.Input<string>>;
    /**
     * Allow every member in one availability zone (3 or more members): the cluster then loses its
     * quorum with that one zone. For a test environment; say so explicitly.
     * @default false: refused
     */
    allowSingleZone?: boolean;
    /** CIDR of the VPC created when vpcId is not given. @default "10.42.0.0/16" */
    vpcCidr?: string;
    /** Availability zones for a created VPC. @default the region's first memberCount zones (at most 3) */
    availabilityZones?: string[];
    /** Create a NAT gateway in a created VPC so nodes can reach the etcd mirror. @default true */
    natGateway?: boolean;
    /** CIDRs allowed to the client port 2379 (never 0.0.0.0/0). @default none: only the members themselves */
    clientCidrs?: string[];
    /** Security groups allowed to the client port 2379; each id may be another resource's output. @default none */
    clientSecurityGroupIds?: pulumi.Input<string>[];
    /** CIDRs allowed to the metrics port 2381. @default none */
    monitoringCidrs?: string[];
    /** Security groups allowed to the metrics port 2381; each id may be another resource's output. @default none */
    monitoringSecurityGroupIds?: pulumi.Input<string>[];
    /** Route 53 private hosted zone for member records `<member>.<dnsDomain>`; give with dnsDomain. @default no DNS records */
    dnsZoneId?: pulumi.Input<string>;
    /** Domain of dnsZoneId; member certificates then carry the DNS names too. @default none */
    dnsDomain?: string;

    // ---- Machines -----------------------------------------------------------------------------

    /**
     * AMI for every member. Changing it rolls the members one at a time.
     * @default the newest Amazon Linux 2023 AMI at first deployment, then never changed by a routine update
     */
    amiId?: string;
    /** Customer-managed KMS key for volumes and certificate parameters. @default a key is created per cluster */
    kmsKeyArn?: pulumi.Input<string>;
    /** Protect data volumes from `pulumi destroy` and from deletion by accident. @default true */
    protectData?: boolean;
    /** Tags added to every resource. @default none (a Name and cluster tag are always set) */
    tags?: Record<string, string>;

    // ---- Rolling updates ----------------------------------------------------------------------

    /**
     * How the health gate after each member change checks the cluster: "ssm" (SSM Run Command; needs
     * only AWS credentials), "direct" (etcdctl from the machine running pulumi; needs a network path),
     * or "off".
     * @default "ssm"
     */
    healthGate?: string;
    /** How long a health gate waits for every member healthy and one leader. @default 900 */
    healthGateTimeoutSeconds?: number;

    // ---- PKI ----------------------------------------------------------------------------------

    /** Key algorithm for the CA and every certificate: "ECDSA" (P-256) or "RSA" (2048). @default "ECDSA" */
    keyAlgorithm?: string;
    /** A CA certificate (PEM) to sign with instead of creating one; give with caPrivateKeyPem. @default a CA is created */
    caCertPem?: pulumi.Input<string>;
    /** The private key (PEM) of caCertPem; keep it a secret config value. @default a CA is created */
    caPrivateKeyPem?: pulumi.Input<string>;
    /**
     * Which CA is the cluster's own: 1 is the one it was made with; a finished CA rotation counts
     * it up by one (see caRotation). @default 1
     */
    caGeneration?: number;
    /**
     * The phase of a CA rotation, one per update: "trust-next" (every member also trusts the next
     * CA, generation caGeneration+1), "sign-with-next" (every certificate is reissued, with new
     * keys, under the next CA), then caGeneration+1 with "none" (the old CA is dropped). Each
     * update rolls the members one at a time behind the gates.
     * @default "none"
     */
    caRotation?: string;
    /** The next CA's certificate (PEM) in a rotation to a CA of your own; give with nextCaPrivateKeyPem. @default the next CA is created */
    nextCaCertPem?: pulumi.Input<string>;
    /** The private key (PEM) of nextCaCertPem; keep it a secret config value. @default the next CA is created */
    nextCaPrivateKeyPem?: pulumi.Input<string>;
    /** Validity of a created CA in hours. @default 87600 (10 years) */
    caValidityHours?: number;
    /** Validity of member and client certificates in hours. @default 8760 (1 year) */
    certValidityHours?: number;
    /** Renew a certificate at the next `pulumi up` this many hours before it expires. @default 720 (30 days) */
    certEarlyRenewalHours?: number;
    /** Client certificates to issue besides `admin`, one per consumer (e.g. kube-apiserver, backup). @default none */
    clientNames?: string[];
    /** How often members re-read their certificates, so renewed ones arrive without a restart. @default 10 */
    certSyncIntervalMinutes?: number;

    // ---- Backups, maintenance and disaster recovery -------------------------------------------

    /** Scheduled snapshot backups to S3. @default true */
    backupEnabled?: boolean;
    /** An existing bucket for snapshots (its encryption and retention are yours). @default a bucket is created per cluster */
    backupBucketName?: pulumi.Input<string>;
    /** Minutes between backups; at each tick only the leader takes one. @default 15 */
    backupIntervalMinutes?: number;
    /** Days a snapshot is kept (lifecycle expiry; object-lock period when backupObjectLock). @default 30 */
    backupRetentionDays?: number;
    /** Object lock in governance mode, so snapshots cannot be deleted before they expire. @default protectData */
    backupObjectLock?: boolean;
    /**
     * SNS topic the alarms notify (backup age, database quota, certificate expiry). Required with
     * protectData, unless allowNoAlarmTopic.
     * @default none: refused with protectData; alarms without actions otherwise
     */
    alarmTopicArn?: pulumi.Input<string>;
    /** Accept a protected (production) cluster whose alarms notify nobody. @default false */
    allowNoAlarmTopic?: boolean;
    /** Alarm when a member's database passes this percentage of quotaBackendBytes. @default 80 */
    quotaAlarmPercent?: number;
    /** Hours between defragmentations of each member; members take turns, never two at once. @default 72 */
    defragIntervalHours?: number;
    /**
     * Bootstrap a NEW cluster (with a new token) from a snapshot: an `s3://bucket/key` URI or `latest`
     * (the newest finished snapshot of this cluster). Only ever restores into empty data dirs.
     * @default none: a new cluster starts empty
     */
    restoreFrom?: string;
    /**
     * KMS key that encrypts the restoreFrom snapshot when it belongs to ANOTHER cluster (its bucket
     * uses that cluster's key): members may then decrypt with it, through S3 only. That key's policy
     * must also allow the new members' roles.
     * @default none: only this cluster's own key
     */
    restoreKmsKeyArn?: pulumi.Input<string>;
    /**
     * A KMS key of its own for the backups (snapshots, manifests and node scripts in the bucket),
     * e.g. one that another team or account administers, so that losing or deleting the cluster's
     * key does not take the backups with it. Snapshots written before the change stay under the
     * old key: restore one with restoreKmsKeyArn set to it.
     * @default the cluster's key (kmsKeyArn, or the one the package makes)
     */
    backupKmsKeyArn?: pulumi.Input<string>;

    // ---- The etcdkeeper web UI ----------------------------------------------------------------

    /**
     * Run the etcdkeeper web UI on every member, as a container with its own client certificate
     * (`etcdkeeper`, issued by the cluster's CA). etcdkeeper has no login: by default it listens on
     * the member's loopback only, reached through an SSM port-forwarding session.
     * @default false
     */
    keeperEnabled?: boolean;
    /**
     * The etcdkeeper container image, pinned: a version tag (not `latest`) or an `@sha256:` digest.
     * The upstream image is built for amd64 only; on Graviton members give an arm64 build.
     * @default "evildecay/etcdkeeper:v0.7.6"
     */
    keeperImage?: string;
    /**
     * CIDRs allowed to reach the UI on port 8888 of the members' private addresses. Opt-in: anyone
     * in them can read and write every key, since etcdkeeper has no login.
     * @default none: loopback only, through SSM port forwarding
     */
    keeperAllowedCidrs?: string[];
}

/**
 * How a setting is written in a stack file (Pulumi.<stack>.yaml), and so its type in the schema
 * other languages get (provider/completeSchema.ts): every number setting is a whole number ("integer";
 * the schema's "integer", except quotaBackendBytes, whose 8 GiB default is past a 32-bit int), and
 * a "secret" is a string Pulumi keeps encrypted.
 */
export type SettingKind = "integer" | "string" | "boolean" | "list" | "map" | "secret";

/**
 * Every setting as a stack setting, with how to parse it: a Record over the interface's keys, so a
 * new setting without its entry here does not compile.
 */
export const STACK_SETTINGS: Readonly<Record<keyof EtcdClusterArgs, SettingKind>> = {
    kubernetesNodeCount: "integer",
    instanceFamily: "string",
    instanceType: "string",
    dataVolumeSizeGb: "integer",
    dataVolumeIops: "integer",
    dataVolumeThroughputMbps: "integer",
    dataVolumeThroughputMBps: "integer",
    memberCount: "integer",
    etcdVersion: "string",
    etcdSha256: "string",
    etcdMirrorUrl: "string",
    quotaBackendBytes: "integer",
    maxRequestBytes: "integer",
    learnerPromoteWaitSeconds: "integer",
    autoCompactionMode: "string",
    autoCompactionRetention: "string",
    heartbeatIntervalMs: "integer",
    electionTimeoutMs: "integer",
    logLevel: "string",
    clusterToken: "string",
    vpcId: "string",
    subnetIds: "list",
    memberSubnets: "map",
    allowSingleZone: "boolean",
    vpcCidr: "string",
    availabilityZones: "list",
    natGateway: "boolean",
    clientCidrs: "list",
    clientSecurityGroupIds: "list",
    monitoringCidrs: "list",
    monitoringSecurityGroupIds: "list",
    dnsZoneId: "string",
    dnsDomain: "string",
    amiId: "string",
    kmsKeyArn: "string",
    protectData: "boolean",
    tags: "map",
    healthGate: "string",
    healthGateTimeoutSeconds: "integer",
    keyAlgorithm: "string",
    caCertPem: "secret",
    caPrivateKeyPem: "secret",
    caGeneration: "integer",
    caRotation: "string",
    nextCaCertPem: "secret",
    nextCaPrivateKeyPem: "secret",
    caValidityHours: "integer",
    certValidityHours: "integer",
    certEarlyRenewalHours: "integer",
    clientNames: "list",
    certSyncIntervalMinutes: "integer",
    backupEnabled: "boolean",
    backupBucketName: "string",
    backupIntervalMinutes: "integer",
    backupRetentionDays: "integer",
    backupObjectLock: "boolean",
    alarmTopicArn: "string",
    allowNoAlarmTopic: "boolean",
    quotaAlarmPercent: "integer",
    defragIntervalHours: "integer",
    restoreFrom: "string",
    restoreKmsKeyArn: "string",
    backupKmsKeyArn: "string",
    keeperEnabled: "boolean",
    keeperImage: "string",
    keeperAllowedCidrs: "list",
};

/**
 * Settings renamed, by their former name: the former name is still accepted in TypeScript and stack
 * files (never together with the new one). The schema of other languages leaves it out
 * (provider/completeSchema.ts): no SDK of theirs was published with it.
 */
export const RENAMED_SETTINGS: Readonly<Partial<Record<keyof EtcdClusterArgs, keyof EtcdClusterArgs>>> = {
    // Python would have made data_volume_throughput_m_bps of the former name.
    dataVolumeThroughputMBps: "dataVolumeThroughputMbps",
};
