import type { EtcdClusterArgs } from "./clusterArgs";

/**
 * The node scripts' tunables (times, counts and sizes): numbers a script reads from its environment as `${NAME:-default}`,
 * each with the default given here (tests/unit/nodeContract.test.ts holds every script to this
 * table, and the table to the scripts). member.env sets one only when a cluster setting asks for
 * another value (NODE_SETTINGS), so a cluster that keeps the defaults keeps its user data. An
 * operator may also set one for a script run by hand, e.g. `PROMOTE_WAIT_SECONDS=1800 etcd-promote`.
 */
export const NODE_TUNABLES = Object.freeze({
    PROMOTE_WAIT_SECONDS: { default: 600, scripts: ["etcd-promote"], doc: "how long a learner asks to be promoted before its bootstrap fails and is retried" },
    PROMOTE_RETRY_SECONDS: { default: 2, scripts: ["etcd-promote"], doc: "between two promotion attempts" },
    RECORD_FORMED_WAIT_SECONDS: { default: 600, scripts: ["etcd-record-formed"], doc: "how long a started member waits for a quorum before it records the cluster formed" },
    LEAVE_WAIT_SECONDS: { default: 90, scripts: ["etcd-handover"], doc: "how long a leaving member waits for the others to be healthy" },
    CHOOSE_STATE_ATTEMPTS: { default: 3, scripts: ["etcd-choose-state"], doc: "probes of the other members before an empty member may start a new cluster" },
    CHOOSE_STATE_RETRY_SECONDS: { default: 5, scripts: ["etcd-choose-state"], doc: "between two probes" },
    VOLUME_WAIT_SECONDS: { default: 900, scripts: ["etcd-prepare-volume"], doc: "how long the bootstrap waits for the data volume's device" },
    SSM_ATTEMPTS: { default: 5, scripts: ["etcd-fetch-certs", "etcd-fetch-roster"], doc: "reads of a parameter (certificates, the roster) before the step fails" },
    FETCH_SCRIPTS_RETRY_SECONDS: { default: 3, scripts: ["etcd-fetch-scripts"], doc: "the backoff step between fetches of a backup script" },
    BACKUP_FUTURE_SECONDS: { default: 600, scripts: ["etcd-backup-common"], doc: "a finished backup dated further ahead than this is left out (a wrong clock, a planted object)" },
    BACKUP_SINGLE_PUT_MAX_BYTES: { default: 5368709120, scripts: ["etcd-backup-common"], doc: "a snapshot larger than this goes up as a multipart upload (S3 takes 5 GiB in one PUT)" },
    BACKUP_PART_BYTES: { default: 67108864, scripts: ["etcd-backup-common"], doc: "the smallest part of a multipart upload (more when 9,000 parts would not hold the snapshot)" },
    DEFRAG_MIN_RECLAIM_BYTES: { default: 67108864, scripts: ["etcd-defrag"], doc: "a member is defragmented only when at least this much can be reclaimed" },
    BACKUP_SNAPSHOT_TIMEOUT_SECONDS: { default: 1800, scripts: ["etcd-backup"], doc: "longest `etcdctl snapshot save`" },
    VERIFY_TIMEOUT_SECONDS: { default: 600, scripts: ["etcd-snapshot-verify"], doc: "longest check of a snapshot" },
    DEFRAG_LOCK_TTL_SECONDS: { default: 30, scripts: ["etcd-defrag"], doc: "the lease of the defragmentation lock in etcd" },
    DEFRAG_LOCK_WAIT_SECONDS: { default: 1800, scripts: ["etcd-defrag"], doc: "how long a member waits for its turn" },
    DEFRAG_HEALTH_WAIT_SECONDS: { default: 120, scripts: ["etcd-defrag"], doc: "how long the cluster may take to be healthy again after one member's defragmentation" },
    DEFRAG_SETTLE_SECONDS: { default: 10, scripts: ["etcd-defrag"], doc: "pause after the cluster is healthy again, before the next member may defragment" },
    DEFRAG_TIMEOUT_SECONDS: { default: 600, scripts: ["etcd-defrag"], doc: "longest defragmentation of one member" },
} as const);
export type NodeTunable = keyof typeof NODE_TUNABLES;

/**
 * Cluster settings that set a tunable in every member's member.env, with the range allowed. A new
 * one is its property in EtcdClusterArgs (with its kind in STACK_SETTINGS) and its line here; the
 * model validates it and the member.env renderer writes it, with no code of their own for it.
 */
export const NODE_SETTINGS: Readonly<Partial<Record<keyof EtcdClusterArgs, { tunable: NodeTunable; min: number; max: number }>>> = Object.freeze({
    learnerPromoteWaitSeconds: { tunable: "PROMOTE_WAIT_SECONDS", min: 60, max: 86400 },
});
