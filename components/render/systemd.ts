import { ETCD_USER } from "./memberEnv";
import { configFiles, NodePaths, resolveNodePaths } from "./paths";
import { MemberRenderInput } from "./types";

export const ETCD_SERVICE = "etcd.service";
export const CERT_SYNC_SERVICE = "etcd-cert-sync.service";
export const CERT_SYNC_TIMER = "etcd-cert-sync.timer";

/** One `Key=Value` section of a unit file. */
function section(name: string, entries: Array<[string, string | number]>): string {
    return `[${name}]\n` + entries.map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

function unit(...sections: string[]): string {
    return "# Rendered by the Pulumi component; edits are lost when the member is replaced.\n" + sections.join("\n");
}

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
            ["ExecStart", `${p.binDir}/etcd --config-file ${configFiles(p).active}`],
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
 * Re-reads the member's certificates from SSM. etcd loads its certificate and key files on every new
 * connection, so a renewed certificate is in use without a restart; unchanged files are not touched.
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
        ]),
    );
}

export function renderCertSyncTimer(input: MemberRenderInput): string {
    const minutes = input.certSyncIntervalMinutes;
    if (!Number.isInteger(minutes) || minutes < 1) {
        throw new Error(`certSyncIntervalMinutes must be a whole number of minutes >= 1; got ${minutes}.`);
    }
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

/** Unit file name -> content. */
export function renderSystemdUnits(input: MemberRenderInput, paths?: Partial<NodePaths>): Record<string, string> {
    return {
        [ETCD_SERVICE]: renderEtcdService(input, paths),
        [CERT_SYNC_SERVICE]: renderCertSyncService(input, paths),
        [CERT_SYNC_TIMER]: renderCertSyncTimer(input),
    };
}
