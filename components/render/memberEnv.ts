import { createHash } from "crypto";
import { clientUrl, keeperUrl, MEMBER_CERT_FILES, MemberCertFile, METRICS, peerUrl, s3Keys, ssmParameters, UNITS, unitsStartedOnBoot } from "../../config/contract";
import { etcdTarballUrl } from "../../config/etcdReleases";
import { BACKUP_SCRIPTS, readNodeScript } from "./nodeScripts";
import { caAtStartFile, certFiles, configFiles, NodePaths, resolveNodePaths } from "./paths";
import { keeperCertFiles } from "./keeper";
import { MemberRenderInput } from "./types";
import { checkRenderInput } from "./urls";

/** The system user etcd runs as; owns the data volume and the certificate files. */
export const ETCD_USER = "etcd";

/** `/dev/disk/by-id` name the Nitro NVMe driver gives an EBS volume: the volume id without its dash. */
export function ebsDevicePath(volumeId: string): string {
    if (!/^vol-[0-9a-f]{8,17}$/.test(volumeId)) {
        throw new Error(`dataVolumeId ${JSON.stringify(volumeId)} is not an EBS volume id like vol-0123456789abcdef0.`);
    }
    return `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;
}

/** The tarball's URL under the mirror: `<mirror>/v<version>/etcd-v<version>-linux-<arch>.tar.gz`. */
export function releaseUrl(input: Pick<MemberRenderInput, "etcdMirrorUrl" | "etcdVersion" | "arch">): string {
    return etcdTarballUrl(input.etcdMirrorUrl, input.etcdVersion.replace(/^v/, ""), input.arch);
}

/**
 * Quotes a value for a bash `KEY='value'` line: inside single quotes nothing is special, and a single
 * quote is written as `'\''` (close, escaped quote, reopen), so no value can break out.
 */
export function shellQuote(value: string): string {
    if (/[\n\r\0]/.test(value)) {
        throw new Error(`a member.env value may not contain a line break or NUL; got ${JSON.stringify(value)}.`);
    }
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The variables of member.env, in file order. */
export function memberEnvVars(input: MemberRenderInput, paths?: Partial<NodePaths>): Array<[string, string]> {
    checkRenderInput(input);
    const p = resolveNodePaths(paths);
    const certs = certFiles(p, input.member.name);
    const configs = configFiles(p);
    return [
        ["MEMBER_NAME", input.member.name],
        ["MEMBER_IP", input.member.ip],
        ["MEMBER_PEER_URL", peerUrl(input.member.ip)],
        ["MEMBER_CLIENT_URL", clientUrl(input.member.ip)],
        // Local tools talk to the member's own address: its certificate always names it.
        ["LOCAL_CLIENT_URL", clientUrl(input.member.ip)],
        ["CLUSTER_TOKEN", input.clusterToken],
        // The other members and the initial cluster are not here: they come from the roster
        // parameter at boot, so adding or removing a member changes no other member's user data.
        ["ROSTER_PARAMETER", ssmParameters.roster(input.parameterPrefix)],
        ["ROSTER_FILE", configs.roster],
        ["ETCD_RELEASE_VERSION", input.etcdVersion.replace(/^v/, "")],
        ["ETCD_RELEASE_ARCH", input.arch],
        ["ETCD_RELEASE_SHA256", input.etcdSha256.toLowerCase()],
        ["ETCD_RELEASE_URL", releaseUrl(input)],
        ["DATA_VOLUME_ID", input.dataVolumeId],
        ["DATA_DEVICE", ebsDevicePath(input.dataVolumeId)],
        ["AWS_REGION", input.region],
        ["PARAMETER_PREFIX", input.parameterPrefix],
        ["CA_PARAMETER", ssmParameters.ca(input.parameterPrefix)],
        // Only during and after a CA rotation: each step changes them, and so rolls the members one
        // at a time (etcd reads its trusted CAs only at start). A cluster that never rotated keeps
        // the user data it had.
        ...(input.ca
            ? ([
                  ["CA_TRUSTED_GENERATIONS", input.ca.trusted.join(" ")],
                  ["CA_SIGNING_GENERATION", String(input.ca.signing)],
              ] as Array<[string, string]>)
            : []),
        ["CLUSTER_FORMED_PARAMETER", ssmParameters.clusterFormed(input.parameterPrefix)],
        ["CLUSTER_IDS_PATH", ssmParameters.clusterIds(input.parameterPrefix)],
        ...memberParameters(input),
        // Only the tunables a setting asks for: the scripts' own defaults are config/nodeTunables.ts's.
        ...Object.entries(input.tunables).map(([name, value]): [string, string] => [name, String(value)]),
        ["CERT_SYNC_INTERVAL_MINUTES", String(input.certSyncIntervalMinutes)],
        // The units etcd-start starts, and the one the scripts ask systemd about.
        ["START_UNITS", unitsStartedOnBoot(input.backup !== undefined).join(" ")],
        ["ETCD_UNIT", UNITS.etcd],
        ["MEMBER_METRICS", "on"],
        ["METRIC_NAMESPACE", METRICS.namespace],
        ["METRIC_CLUSTER", input.metricCluster],
        ["CERT_DAYS_METRIC", METRICS.certificateDaysLeft],
        ["CA_DAYS_METRIC", METRICS.caDaysLeft],
        ["MEMBER_HEALTHY_METRIC", METRICS.memberHealthy],
        ["UNIT_FAILED_METRIC", METRICS.unitFailed],
        ["SERVICE_USER", ETCD_USER],
        ["CONFIG_DIR", p.configDir],
        ["CERT_DIR", p.certDir],
        ["DATA_DIR", p.dataDir],
        ["MOUNT_POINT", p.mountPoint],
        ["BIN_DIR", p.binDir],
        ["SBIN_DIR", p.sbinDir],
        ["SYSTEMD_DIR", p.systemdDir],
        ["CONFIG_FILE", configs.active],
        ["CONFIG_NEW_FILE", configs.new],
        ["CONFIG_EXISTING_FILE", configs.existing],
        ["CA_FILE", certs.ca],
        ["CA_AT_START_FILE", caAtStartFile(p)],
        ["MEMBER_CERT_FILE", certs.memberCert],
        ["MEMBER_KEY_FILE", certs.memberKey],
        ["NODE_CERT_FILE", certs.nodeCert],
        ["NODE_KEY_FILE", certs.nodeKey],
        ...backupEnvVars(input),
        ...keeperEnvVars(input, p),
    ];
}

/** The SSM names of this member's certificate and key parameters, for etcd-fetch-certs. */
function memberParameters(input: MemberRenderInput): Array<[string, string]> {
    const name = (file: MemberCertFile) => ssmParameters.memberFile(input.parameterPrefix, input.member.name, file);
    return [
        ["MEMBER_CERT_PARAMETER", name(MEMBER_CERT_FILES.memberCert)],
        ["MEMBER_KEY_PARAMETER", name(MEMBER_CERT_FILES.memberKey)],
        ["NODE_CERT_PARAMETER", name(MEMBER_CERT_FILES.nodeCert)],
        ["NODE_KEY_PARAMETER", name(MEMBER_CERT_FILES.nodeKey)],
    ];
}

/** Settings of etcd-keeper-start and the keeper part of etcd-fetch-certs; none when the UI is off, so its member.env is unchanged. */
function keeperEnvVars(input: MemberRenderInput, p: NodePaths): Array<[string, string]> {
    if (!input.keeper) return [];
    const files = keeperCertFiles(p);
    return [
        ["KEEPER_ENABLED", "true"],
        ["KEEPER_UNIT", UNITS.keeper],
        ["KEEPER_IMAGE", input.keeper.image],
        ["KEEPER_CERT_DIR", files.dir],
        ["KEEPER_CA_FILE", files.ca],
        ["KEEPER_CERT_FILE", files.cert],
        ["KEEPER_KEY_FILE", files.key],
        ["KEEPER_URL", keeperUrl(input.keeper.bindAddress)],
        ["KEEPER_CERT_PARAMETER", ssmParameters.keeperCert(input.parameterPrefix)],
        ["KEEPER_KEY_PARAMETER", ssmParameters.keeperKey(input.parameterPrefix)],
    ];
}

/**
 * member.env: every value the node scripts need, as bash `KEY='value'` lines they source. Template
 * values reach the scripts only through this file.
 */
export function renderMemberEnv(input: MemberRenderInput, paths?: Partial<NodePaths>): string {
    const lines = memberEnvVars(input, paths).map(([key, value]) => `${key}=${shellQuote(value)}`);
    return (
        `# etcd member ${input.member.name}: values for the node scripts (sourced by bash, never executed).\n` +
        "# Rendered by the Pulumi component; edits are lost when the member is replaced.\n" +
        lines.join("\n") +
        "\n"
    );
}

/** Settings of node/etcd-backup*.sh, etcd-defrag and etcd-restore; none when backups are off. */
function backupEnvVars(input: MemberRenderInput): Array<[string, string]> {
    const backup = input.backup;
    if (!backup) {
        return [["BACKUP_ENABLED", "false"]];
    }
    return [
        ["BACKUP_ENABLED", "true"],
        ["BACKUP_BUCKET", backup.bucket],
        ["BACKUP_PREFIX", backup.prefix],
        ["BACKUP_SSE", "aws:kms"],
        ["BACKUP_KMS_KEY_ID", backup.kmsKeyArn],
        ["BACKUP_METRICS", "on"],
        ["BACKUP_METRIC_NAMESPACE", METRICS.namespace],
        ["BACKUP_AGE_METRIC", METRICS.backupAge],
        ["QUOTA_USED_METRIC", METRICS.quotaUsed],
        ["BACKUP_METRIC_CLUSTER", input.metricCluster],
        ["RESTORE_FROM", backup.restoreFrom ?? ""],
        ["BACKUP_SCRIPTS_S3", `s3://${backup.bucket}/${s3Keys.nodeScripts(backup.prefix)}`],
        ["BACKUP_SCRIPTS_SHA256", backupScriptChecksums().map(({ name, sha256 }) => `${name}=${sha256}`).join(",")],
    ];
}

let checksums: Array<{ name: string; sha256: string; content: string }> | undefined;

/** sha256 of each backup script as shipped (hashed once per process); the node refuses a fetched script that differs. */
export function backupScriptChecksums(): Array<{ name: string; sha256: string; content: string }> {
    checksums ??= BACKUP_SCRIPTS.map((name) => {
        const content = readNodeScript(name);
        return { name, sha256: createHash("sha256").update(content).digest("hex"), content };
    });
    return checksums;
}
