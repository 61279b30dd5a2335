import { UNITS } from "../../config/contract";
import { NODE_TUNABLES } from "../../config/nodeTunables";
import { ETCD_USER } from "./memberEnv";
import { caAtStartFile, certFiles, configFiles, NodePaths, resolveNodePaths } from "./paths";
import { KEEPER_SERVICE, renderKeeperService } from "./keeper";
import { MemberRenderInput } from "./types";
import { section, unit } from "./unitFile";

// The unit names are the node contract's (config/contract.ts UNITS), named here as the renderers use them.
export const ETCD_SERVICE = UNITS.etcd;
export const BOOTSTRAP_SERVICE = UNITS.bootstrap;
/** How long a failed bootstrap waits before it tries again (SSM, S3 or the release download may come back). */
export const BOOTSTRAP_RETRY_SECONDS = 30;
/** etcd-bootstrap's usual time limit (a longer learner wait lengthens it: bootstrapTimeout). */
const BOOTSTRAP_TIMEOUT_MINUTES = 15;
export const CERT_SYNC_SERVICE = UNITS.certSync;
export const CERT_SYNC_TIMER = UNITS.certSyncTimer;
export const BACKUP_SERVICE = UNITS.backup;
export const BACKUP_TIMER = UNITS.backupTimer;
export const BACKUP_METRICS_SERVICE = UNITS.backupMetrics;
export const BACKUP_METRICS_TIMER = UNITS.backupMetricsTimer;
export const DEFRAG_SERVICE = UNITS.defrag;
export const DEFRAG_TIMER = UNITS.defragTimer;
export const MEMBER_METRIC_SERVICE = UNITS.memberMetric;
export const MEMBER_METRIC_TIMER = UNITS.memberMetricTimer;

/**
 * etcd itself. Type=notify: etcd tells systemd when it serves clients, which needs a quorum, so the
 * start timeout is generous (a first bootstrap waits for its peers, a large database takes a while to open).
 */
export function renderEtcdService(input: MemberRenderInput, paths?: Partial<NodePaths>): string {
    const p = resolveNodePaths(paths);
    return unit(
        section("Unit", [
            ["Description", `etcd ${input.etcdVersion} member ${input.member.name}`],
            ["Documentation", "https://etcd.io/docs/"],
            ["Wants", "network-online.target"],
            ["After", "network-online.target"],
            // Never start on the root disk when the data volume is not mounted.
            ["RequiresMountsFor", p.mountPoint],
        ]),
        section("Service", [
            ["Type", "notify"],
            ["User", ETCD_USER],
            // What etcd trusts until it stops (it reads its CA file only at start), for
            // etcd-fetch-certs: a certificate of a CA this copy lacks would cut the member off.
            ["RuntimeDirectory", p.runtimeDir.replace(/^\/run\//, "")],
            ["ExecStartPre", `/usr/bin/cp ${certFiles(p, input.member.name).ca} ${caAtStartFile(p)}`],
            ["ExecStart", `${p.binDir}/etcd --config-file ${configFiles(p).active}`],
            // A leader hands over before it stops ("+": as root, to read the node certificate;
            // "-": a failed handover never fails the stop).
            ["Environment", `ETCD_MEMBER_ENV=${configFiles(p).memberEnv}`],
            ["ExecStop", `-+${p.sbinDir}/etcd-handover`],
            ["Restart", "always"],
            ["RestartSec", 5],
            ["TimeoutStartSec", 600],
            ["LimitNOFILE", 65536],
            // etcd's tuning guide: the highest best-effort I/O priority for the WAL's fsyncs.
            ["IOSchedulingClass", "best-effort"],
            ["IOSchedulingPriority", 0],
            ["NoNewPrivileges", "true"],
            ["ProtectSystem", "full"],
            ["ProtectHome", "true"],
            ["PrivateTmp", "true"],
        ]),
        section("Install", [["WantedBy", "multi-user.target"]]),
    );
}

/**
 * etcd-bootstrap as a unit: it runs at every boot (every step is idempotent, and a member with data
 * restarts from it), and a failure (SSM, S3 or the download not answering yet) is retried until it
 * succeeds, instead of leaving etcd never started. cloud-init's runcmd enables and starts it once,
 * without waiting for it.
 */
export function renderBootstrapService(input: MemberRenderInput, paths?: Partial<NodePaths>): string {
    const p = resolveNodePaths(paths);
    return unit(
        section("Unit", [
            ["Description", `Bring etcd member ${input.member.name} up: install, volume, certificates, state, start`],
            ["Wants", "network-online.target"],
            ["After", "network-online.target"],
            // Retried without limit: giving up would leave the member down until someone looks.
            ["StartLimitIntervalSec", 0],
        ]),
        section("Service", [
            ["Type", "oneshot"],
            ["RemainAfterExit", "yes"],
            ["Environment", `ETCD_MEMBER_ENV=${configFiles(p).memberEnv}`],
            ["ExecStart", `${p.sbinDir}/etcd-bootstrap`],
            // After every attempt: one that failed is published at once (its alarm), before the retry.
            ["ExecStopPost", reportFailure(p, BOOTSTRAP_SERVICE)],
            ["Restart", "on-failure"],
            ["RestartSec", BOOTSTRAP_RETRY_SECONDS],
            // Bounded: a hung step (a download, a peer probe) is killed and the bootstrap retried.
            // A longer learner wait (learnerPromoteWaitSeconds) lengthens it as much.
            ["TimeoutStartSec", bootstrapTimeout(input)],
        ]),
        section("Install", [["WantedBy", "multi-user.target"]]),
    );
}

/**
 * etcd-bootstrap's time limit: the usual one, plus what a learner's promotion may wait beyond its
 * default. The usual one stays written in minutes, as members already run it.
 */
function bootstrapTimeout(input: MemberRenderInput): string {
    const promote = input.tunables.PROMOTE_WAIT_SECONDS;
    const extra = promote === undefined ? 0 : Math.max(0, promote - NODE_TUNABLES.PROMOTE_WAIT_SECONDS.default);
    return extra === 0 ? `${BOOTSTRAP_TIMEOUT_MINUTES}min` : `${BOOTSTRAP_TIMEOUT_MINUTES * 60 + extra}s`;
}

/**
 * systemd runs a unit's ExecStopPost after every run, with SERVICE_RESULT saying how it ended; the
 * script publishes a failure and ignores a success ("-": reporting never fails the unit itself).
 */
function reportFailure(p: NodePaths, unitName: string): string {
    return `-${p.sbinDir}/etcd-member-metric --failed ${unitName}`;
}

/**
 * Re-reads the member's certificates from SSM. etcd loads its certificate and key files on every new
 * connection, so a renewed certificate is in use without a restart; unchanged files are not touched.
 * Then publishes the days they have left (etcd-cert-expiry).
 */
export function renderCertSyncService(input: MemberRenderInput, paths?: Partial<NodePaths>): string {
    const p = resolveNodePaths(paths);
    return unit(
        section("Unit", [
            ["Description", `Re-read etcd member ${input.member.name}'s certificates from SSM Parameter Store`],
            ["Wants", "network-online.target"],
            ["After", "network-online.target"],
        ]),
        section("Service", [
            ["Type", "oneshot"],
            ["Environment", `ETCD_MEMBER_ENV=${configFiles(p).memberEnv}`],
            ["ExecStart", `${p.sbinDir}/etcd-fetch-certs`],
            // Only after a sync that succeeded: a member whose sync keeps failing stops publishing,
            // and the expiry alarms count missing data as breaching.
            ["ExecStartPost", `${p.sbinDir}/etcd-cert-expiry`],
            // A sync that failed (a set refused, SSM unreadable) is published at once (its alarm).
            ["ExecStopPost", reportFailure(p, CERT_SYNC_SERVICE)],
        ]),
    );
}

export function renderCertSyncTimer(input: MemberRenderInput): string {
    // Validated once, with the user's setting name, by config/settings.ts.
    const minutes = input.certSyncIntervalMinutes;
    return unit(
        section("Unit", [["Description", `Re-read etcd certificates every ${minutes} min`]]),
        section("Timer", [
            ["OnBootSec", `${minutes}min`],
            ["OnUnitActiveSec", `${minutes}min`],
            // Spread the SSM calls of many members.
            ["RandomizedDelaySec", `${Math.min(300, minutes * 6)}s`],
            ["Unit", CERT_SYNC_SERVICE],
        ]),
        section("Install", [["WantedBy", "timers.target"]]),
    );
}

/** A oneshot service that runs one node script with the member's environment. */
function scriptService(description: string, script: string, args: string, paths: NodePaths): string {
    return unit(
        section("Unit", [
            ["Description", description],
            ["Wants", "network-online.target"],
            ["After", `network-online.target ${ETCD_SERVICE}`],
        ]),
        section("Service", [
            ["Type", "oneshot"],
            ["Environment", `ETCD_MEMBER_ENV=${configFiles(paths).memberEnv}`],
            ["ExecStart", `${paths.sbinDir}/${script}${args ? ` ${args}` : ""}`],
        ]),
    );
}

function timer(description: string, service: string, entries: Array<[string, string | number]>): string {
    return unit(
        section("Unit", [["Description", description]]),
        section("Timer", [...entries, ["Unit", service]]),
        section("Install", [["WantedBy", "timers.target"]]),
    );
}

/**
 * Backups: every member's timer fires on the same wall-clock ticks and only the leader takes the
 * snapshot, so there is one backup per tick, also after a leader change. A frequent metrics tick
 * keeps the backup-age and quota metrics flowing between backups. Defragmentation: every member
 * tries on its own timer; a lock in etcd lets one member at a time proceed.
 */
export function renderBackupUnits(input: MemberRenderInput, paths?: Partial<NodePaths>): Record<string, string> {
    const backup = input.backup;
    if (!backup) {
        return {};
    }
    const p = resolveNodePaths(paths);
    // Validated once, with the user's setting names, by config/settings.ts.
    const minutes = backup.intervalMinutes;
    const hours = backup.defragIntervalHours;
    return {
        [BACKUP_SERVICE]: scriptService(`Snapshot backup of etcd (leader only) to s3://${backup.bucket}/${backup.prefix}`, "etcd-backup", "", p),
        [BACKUP_TIMER]: timer(`etcd snapshot backup every ${minutes} min`, BACKUP_SERVICE, [
            ["OnCalendar", `*:0/${minutes}`],
            ["AccuracySec", "1s"],
            ["Persistent", "true"],
        ]),
        [BACKUP_METRICS_SERVICE]: scriptService("Publish etcd backup age and quota use", "etcd-backup", "--metrics-only", p),
        [BACKUP_METRICS_TIMER]: timer("etcd backup metrics every 5 min", BACKUP_METRICS_SERVICE, [["OnCalendar", "*:0/5"]]),
        [DEFRAG_SERVICE]: scriptService("Defragment this etcd member when it is its turn", "etcd-defrag", "", p),
        [DEFRAG_TIMER]: timer(`etcd defragmentation every ${hours} h`, DEFRAG_SERVICE, [
            ["OnBootSec", `${hours}h`],
            ["OnUnitActiveSec", `${hours}h`],
            ["RandomizedDelaySec", "1h"],
        ]),
    };
}

/** Unit file name -> content. */
export function renderSystemdUnits(input: MemberRenderInput, paths?: Partial<NodePaths>): Record<string, string> {
    return {
        [ETCD_SERVICE]: renderEtcdService(input, paths),
        [BOOTSTRAP_SERVICE]: renderBootstrapService(input, paths),
        [CERT_SYNC_SERVICE]: renderCertSyncService(input, paths),
        [CERT_SYNC_TIMER]: renderCertSyncTimer(input),
        // Whether the member serves, every minute: its member-down alarm reads it.
        [MEMBER_METRIC_SERVICE]: scriptService(`Publish whether etcd member ${input.member.name} serves`, "etcd-member-metric", "", resolveNodePaths(paths)),
        [MEMBER_METRIC_TIMER]: timer("etcd member health metric every minute", MEMBER_METRIC_SERVICE, [
            ["OnBootSec", "2min"],
            ["OnUnitActiveSec", "1min"],
        ]),
        ...renderBackupUnits(input, paths),
        ...(input.keeper ? { [KEEPER_SERVICE]: renderKeeperService(input.keeper, paths) } : {}),
    };
}
