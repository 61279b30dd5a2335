import type { Input } from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { EtcdClusterArgs } from "./clusterArgs";
import { CA_ROTATION_PHASES, CaState, KEY_ALGORITHMS, KeyAlgorithm } from "./caRotation";
import { SECRET_MASK } from "./contract";
import { ConfigError } from "./errors";
import { DEFAULT_ETCD_MIRROR, DEFAULT_ETCD_VERSION, resolveEtcdRelease } from "./etcdReleases";
import { DEFAULT_INSTANCE_FAMILY } from "./instanceTypes";
import { NODE_SETTINGS, NodeTunable } from "./nodeTunables";
import { SizingDecision, sizingWithWarnings } from "./sizingDecision";

export const ALLOWED_MEMBER_COUNTS = [3, 5, 7];
/** etcdkeeper's pinned image and the client certificate it connects with. */
export const DEFAULT_KEEPER_IMAGE = "evildecay/etcdkeeper:v0.7.6";
export const KEEPER_CLIENT = "etcdkeeper";
export const HEALTH_GATE_MODES = ["ssm", "direct", "off"] as const;
export type HealthGateMode = (typeof HEALTH_GATE_MODES)[number];
const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
const GIB = 1024 ** 3;
/** A KMS key ARN; an alias ARN does not match (IAM cannot authorize a key through its alias). */
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/;

/**
 * etcd's own settings, named as the node renderers read them: the component spreads this object
 * into each member's render input, so a new etcd setting is written here, in EtcdClusterArgs and in
 * the renderer that uses it, and nowhere else.
 */
export interface EtcdNodeSettings {
    /** Exact etcd release, e.g. `3.6.14`. */
    etcdVersion: string;
    /** sha256 of the release tarball `etcd-v<version>-linux-<arch>.tar.gz`. */
    etcdSha256: string;
    /** Base URL under which `v<version>/etcd-v<version>-linux-<arch>.tar.gz` is found. */
    etcdMirrorUrl: string;
    quotaBackendBytes: number;
    /** `--max-request-bytes`; absent: etcd's default, and nothing is rendered. */
    maxRequestBytes?: number;
    autoCompactionMode: "periodic" | "revision";
    autoCompactionRetention: string;
    heartbeatIntervalMs: number;
    electionTimeoutMs: number;
    logLevel: (typeof LOG_LEVELS)[number];
    /** Node tunables a setting asks for (NODE_SETTINGS), by variable name; member.env sets exactly these. */
    tunables: Partial<Record<NodeTunable, number>>;
}

/**
 * The validated settings with every default applied. Only the ids and ARNs of other resources may
 * be Outputs (opaque here); everything that shapes the cluster is a plain value.
 */
export interface ResolvedSettings {
    memberNames: string[];
    sizing: SizingDecision;
    etcd: EtcdNodeSettings;
    /** The user's `--initial-cluster-token`; absent: the component derives one. */
    clusterToken?: string;
    network: {
        vpcId?: Input<string>;
        /** A plain list (each id plain or an Output), or an Output of the whole list: checked when known. */
        subnetIds?: Input<Input<string>[]>;
        /** Member name -> the subnet it is asked to run in (memberSubnets); checked against subnetIds once the ids are known. */
        memberSubnets: Record<string, Input<string>>;
        /** All members in one zone is allowed (allowSingleZone); checked once the zones are known. */
        allowSingleZone: boolean;
        vpcCidr: string;
        availabilityZones?: string[];
        natGateway: boolean;
        clientCidrs: string[];
        clientSecurityGroupIds: Input<string>[];
        monitoringCidrs: string[];
        monitoringSecurityGroupIds: Input<string>[];
        dnsZoneId?: Input<string>;
        dnsDomain?: string;
    };
    pki: {
        /** The algorithm of the newest CA generation's keys; older generations keep what they run (config/caRotation.ts). */
        keyAlgorithm: KeyAlgorithm;
        /** caGeneration and caRotation. */
        ca: CaState;
        caValidityHours: number;
        certValidityHours: number;
        certEarlyRenewalHours: number;
        clientNames: string[];
        certSyncIntervalMinutes: number;
    };
    healthGate: { mode: HealthGateMode; timeoutSeconds: number };
    backup: {
        enabled: boolean;
        bucketName?: Input<string>;
        intervalMinutes: number;
        retentionDays: number;
        objectLock: boolean;
        alarmTopicArn?: Input<string>;
        quotaAlarmPercent: number;
        defragIntervalHours: number;
        restoreFrom?: string;
        restoreKmsKeyArn?: Input<string>;
        /** backupKmsKeyArn: the backups' own key; absent: the cluster's key. */
        kmsKeyArn?: Input<string>;
    };
    /** The etcdkeeper UI; absent when off. */
    keeper?: { image: string; allowedCidrs: string[] };
    amiId?: string;
    kmsKeyArn?: Input<string>;
    protectData: boolean;
    tags: Record<string, string>;
    /** Allowed but worth a reviewer's attention; the component logs each as a Pulumi warning. */
    warnings: string[];
}

/**
 * How an id whose value is not known yet (another resource's Output) gets its check. The model
 * never touches Pulumi's runtime: the component passes Pulumi's `output(value).apply(check)`, so
 * what depends on the id fails with the same message once the value arrives. Without it (offline
 * tools) such an id is taken as given.
 */
export type CheckWhenKnown = <T>(value: Input<T>, check: (known: T) => T) => Input<T>;

const takenAsGiven: CheckWhenKnown = (value) => value;

/** Checks one id setting: a plain string now, anything else when its value is known. */
type IdCheck = (setting: string, value: Input<string>, pattern: RegExp, what: string) => Input<string>;

/**
 * Validates every setting and applies defaults. Throws ConfigError on the first mistake, before any
 * resource exists, so a bad setting can never leave a half-made cluster.
 */
export function resolveSettings(args: EtcdClusterArgs, checkWhenKnown: CheckWhenKnown = takenAsGiven): ResolvedSettings {
    const id: IdCheck = (setting, value, pattern, what) =>
        typeof value === "object" && value !== null ? checkWhenKnown(value, (known: string) => matching(setting, known, pattern, what)) : matching(setting, value as string, pattern, what);
    const memberCount = args.memberCount ?? 3;
    if (!ALLOWED_MEMBER_COUNTS.includes(memberCount)) {
        const why =
            Number.isInteger(memberCount) && memberCount % 2 === 0
                ? "An even count adds no fault tolerance over the odd count below it and risks split votes."
                : "";
        throw new ConfigError("memberCount", memberCount, `${why} Use 3, 5 or 7.`.trim());
    }
    const { decision: sizing, warnings } = sizingWithWarnings(args);
    const ownMirror = args.etcdMirrorUrl !== undefined && mirrorUrl(args.etcdMirrorUrl) !== mirrorUrl(undefined);
    const release = resolveEtcdRelease(args.etcdVersion ?? DEFAULT_ETCD_VERSION, sizing.arch, args.etcdSha256, ownMirror);
    if (release.ownBuild) {
        warnings.push(`etcdSha256 is not the published checksum of ${release.tarball}: members install your own build from ${mirrorUrl(args.etcdMirrorUrl)}, checked against that sha256.`);
    }
    const keeper = resolveKeeper(args, sizing.arch);
    const pki = resolvePki(args, warnings, keeper !== undefined);
    const network = resolveNetwork(args, memberCount, id, checkWhenKnown);
    const backup = resolveBackup(args, id);

    const resolved: ResolvedSettings = {
        memberNames: memberNamesOf(memberCount),
        sizing,
        etcd: {
            etcdVersion: release.version,
            etcdSha256: release.sha256,
            etcdMirrorUrl: mirrorUrl(args.etcdMirrorUrl),
            quotaBackendBytes: quotaBackendBytes(args.quotaBackendBytes, sizing.volume.sizeGb),
            ...(args.maxRequestBytes === undefined ? {} : { maxRequestBytes: integerIn("maxRequestBytes", args.maxRequestBytes, 1024 ** 2, 10 * 1024 ** 2) }),
            autoCompactionMode: oneOf("autoCompactionMode", args.autoCompactionMode ?? "periodic", ["periodic", "revision"] as const),
            autoCompactionRetention: compactionRetention(args.autoCompactionRetention ?? "1h"),
            ...raftTimings(args.heartbeatIntervalMs ?? 100, args.electionTimeoutMs ?? 1000),
            logLevel: oneOf("logLevel", args.logLevel ?? "info", LOG_LEVELS),
            tunables: nodeTunables(args),
        },
        clusterToken: args.clusterToken === undefined ? undefined : clusterToken(args.clusterToken),
        network,
        pki,
        healthGate: {
            mode: oneOf("healthGate", args.healthGate ?? "ssm", HEALTH_GATE_MODES),
            timeoutSeconds: integerIn("healthGateTimeoutSeconds", args.healthGateTimeoutSeconds ?? 900, 60, 7200),
        },
        backup,
        ...(keeper ? { keeper } : {}),
        amiId: args.amiId === undefined ? undefined : matching("amiId", args.amiId, /^ami-[0-9a-f]{8,17}$/, "an AMI id like ami-0123456789abcdef0"),
        // IAM cannot authorize a key through its alias: the members' grants would match nothing.
        kmsKeyArn: args.kmsKeyArn === undefined ? undefined : id("kmsKeyArn", args.kmsKeyArn, KEY_ARN, "the key ARN (not an alias: IAM cannot authorize through one) like arn:aws:kms:eu-west-1:123456789012:key/<id>"),
        protectData: args.protectData ?? true,
        tags: args.tags ?? {},
        warnings,
    };
    // Last, so a setting that is wrong is named before a missing topic.
    requireAlarmTopic(args);
    return frozenCopy(resolved);
}

/**
 * The model is made once and only read after: a frozen copy of its plain objects and arrays, so a
 * reader that changed one would fail at once (modules are strict) instead of changing it for the
 * others, and the caller's own args (tags, lists) are never frozen. Other resources' Outputs inside
 * are kept as they are.
 */
function frozenCopy<T>(value: T): T {
    if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T;
    if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
        return Object.freeze(Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, frozenCopy(inner)]))) as T;
    }
    return value;
}

/** Members are etcd1..etcdN: the highest leave first when memberCount goes down. */
function memberNamesOf(memberCount: number): string[] {
    return Array.from({ length: memberCount }, (_, i) => `etcd${i + 1}`);
}

function resolveNetwork(args: EtcdClusterArgs, memberCount: number, id: IdCheck, checkWhenKnown: CheckWhenKnown): ResolvedSettings["network"] {
    if ((args.vpcId === undefined) !== (args.subnetIds === undefined)) {
        throw new ConfigError(
            args.vpcId === undefined ? "subnetIds" : "vpcId",
            args.vpcId ?? args.subnetIds,
            "Give vpcId and subnetIds together to use an existing VPC, or neither to create one.",
        );
    }
    const subnetIds = (list: unknown[]): Input<string>[] => {
        if (list.length === 0) throw new ConfigError("subnetIds", list, "List at least one subnet id, ideally one per availability zone.");
        return list.map((subnet) => id("subnetIds", subnet as Input<string>, /^subnet-[0-9a-f]{8,17}$/, "subnet ids like subnet-0123456789abcdef0"));
    };
    if ((args.dnsZoneId === undefined) !== (args.dnsDomain === undefined)) {
        throw new ConfigError(
            args.dnsZoneId === undefined ? "dnsDomain" : "dnsZoneId",
            args.dnsZoneId ?? args.dnsDomain,
            "Give dnsZoneId and dnsDomain together for member DNS records, or neither.",
        );
    }
    const vpcCidr = args.vpcCidr ?? "10.42.0.0/16";
    const [, vpcPrefix] = parseCidr("vpcCidr", vpcCidr);
    if (vpcPrefix < 16 || vpcPrefix > 24) {
        throw new ConfigError("vpcCidr", vpcCidr, "Use a prefix between /16 and /24 so there is room for one subnet per zone.");
    }
    return {
        vpcId: args.vpcId === undefined ? undefined : id("vpcId", args.vpcId, /^vpc-[0-9a-f]{8,17}$/, "a VPC id like vpc-0123456789abcdef0"),
        subnetIds:
            args.subnetIds === undefined
                ? undefined
                : Array.isArray(args.subnetIds)
                  ? subnetIds(args.subnetIds)
                  : // A whole list that is another resource's output (awsx's vpc.privateSubnetIds).
                    checkWhenKnown(args.subnetIds as Input<string[]>, (known) => subnetIds(known) as string[]),
        memberSubnets: memberSubnets(args, memberCount, id),
        allowSingleZone: args.allowSingleZone ?? false,
        vpcCidr,
        availabilityZones: args.availabilityZones,
        natGateway: args.natGateway ?? true,
        clientCidrs: ingressCidrs("clientCidrs", args.clientCidrs ?? []),
        clientSecurityGroupIds: securityGroupIds("clientSecurityGroupIds", args.clientSecurityGroupIds ?? [], id),
        monitoringCidrs: ingressCidrs("monitoringCidrs", args.monitoringCidrs ?? []),
        monitoringSecurityGroupIds: securityGroupIds("monitoringSecurityGroupIds", args.monitoringSecurityGroupIds ?? [], id),
        dnsZoneId: args.dnsZoneId === undefined ? undefined : id("dnsZoneId", args.dnsZoneId, /^Z[A-Z0-9]{1,32}$/, "a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ (without /hostedzone/)"),
        dnsDomain: args.dnsDomain === undefined ? undefined : matching("dnsDomain", args.dnsDomain, /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, "a lower-case domain like etcd.internal.example.com"),
    };
}

/** memberSubnets names members of this cluster, and subnets the user brings. */
function memberSubnets(args: EtcdClusterArgs, memberCount: number, id: IdCheck): Record<string, Input<string>> {
    const pins = args.memberSubnets ?? {};
    if (Object.keys(pins).length > 0 && args.subnetIds === undefined) {
        throw new ConfigError("memberSubnets", pins, "It places members in the subnets you bring: give vpcId and subnetIds too, or remove it (a created VPC spreads the members itself).");
    }
    const names = memberNamesOf(memberCount);
    return Object.fromEntries(
        Object.entries(pins).map(([member, subnet]) => {
            if (!names.includes(member)) {
                throw new ConfigError("memberSubnets", member, `Name a member of this cluster: ${names.join(", ")} (memberCount ${memberCount}).`);
            }
            return [member, id("memberSubnets", subnet, /^subnet-[0-9a-f]{8,17}$/, "subnet ids like subnet-0123456789abcdef0, each one of subnetIds")];
        }),
    );
}

/** A protected (production) cluster's alarms notify someone, unless the user says they need not. */
function requireAlarmTopic(args: EtcdClusterArgs): void {
    if (!(args.protectData ?? true) || args.alarmTopicArn !== undefined || args.allowNoAlarmTopic) return;
    throw new ConfigError(
        "alarmTopicArn",
        args.alarmTopicArn,
        "protectData is on (the default, for production): its alarms (backup age, quota, certificate expiry) must notify someone. " +
            "Give alarmTopicArn (an SNS topic ARN), or set allowNoAlarmTopic: true to keep alarms that notify nobody, or protectData: false for a test cluster.",
    );
}

function resolveBackup(args: EtcdClusterArgs, id: IdCheck): ResolvedSettings["backup"] {
    const enabled = args.backupEnabled ?? true;
    if (!enabled && args.restoreFrom === "latest") {
        throw new ConfigError("restoreFrom", args.restoreFrom, "latest means the newest snapshot of this cluster's backups, which are off; give an s3://bucket/key URI or set backupEnabled: true.");
    }
    return {
        enabled,
        bucketName: args.backupBucketName === undefined ? undefined : id("backupBucketName", args.backupBucketName, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name"),
        intervalMinutes: integerIn("backupIntervalMinutes", args.backupIntervalMinutes ?? 15, 5, 30),
        retentionDays: integerIn("backupRetentionDays", args.backupRetentionDays ?? 30, 1, 3650),
        // Locked with the data it protects: a snapshot cannot be deleted early, by anyone without BypassGovernanceRetention.
        objectLock: args.backupObjectLock ?? args.protectData ?? true,
        alarmTopicArn: args.alarmTopicArn === undefined ? undefined : id("alarmTopicArn", args.alarmTopicArn, /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:etcd-alarms"),
        quotaAlarmPercent: integerIn("quotaAlarmPercent", args.quotaAlarmPercent ?? 80, 10, 99),
        defragIntervalHours: integerIn("defragIntervalHours", args.defragIntervalHours ?? 72, 1, 24 * 90),
        // A snapshot object itself: its manifest (.json) or a prefix would fail only on the members.
        restoreFrom: args.restoreFrom === undefined ? undefined : matching("restoreFrom", args.restoreFrom, /^(latest|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+\.db)$/, "latest or a snapshot's s3://bucket/key.db URI (the .db object, not its .json manifest or a prefix; etcd-backup-list on a member prints them)"),
        restoreKmsKeyArn: restoreKmsKeyArn(args, id),
        kmsKeyArn: backupKmsKeyArn(args, enabled, id),
    };
}

/** The backups' own key: a key ARN, and only with backups on. */
function backupKmsKeyArn(args: EtcdClusterArgs, enabled: boolean, id: IdCheck): Input<string> | undefined {
    if (args.backupKmsKeyArn === undefined) return undefined;
    if (!enabled) throw new ConfigError("backupKmsKeyArn", args.backupKmsKeyArn, "It encrypts the backups, which are off: set backupEnabled: true too, or remove it.");
    return id("backupKmsKeyArn", args.backupKmsKeyArn, KEY_ARN, "the key ARN (not an alias: IAM cannot authorize through one) like arn:aws:kms:eu-west-1:123456789012:key/<id>");
}

/** A key of another cluster's snapshot: only meaningful for an s3:// restoreFrom, and always a key ARN (IAM cannot scope an alias). */
function restoreKmsKeyArn(args: EtcdClusterArgs, id: IdCheck): Input<string> | undefined {
    if (args.restoreKmsKeyArn === undefined) return undefined;
    if (!args.restoreFrom?.startsWith("s3://")) {
        throw new ConfigError("restoreKmsKeyArn", args.restoreKmsKeyArn, "It is the key of another cluster's snapshot: give it only with restoreFrom: s3://bucket/key.db (latest is this cluster's own snapshot and key).");
    }
    return id("restoreKmsKeyArn", args.restoreKmsKeyArn, KEY_ARN, "the key ARN (not an alias) like arn:aws:kms:eu-west-1:123456789012:key/<id> of the snapshot's bucket key");
}

function resolveKeeper(args: EtcdClusterArgs, arch: string): ResolvedSettings["keeper"] {
    if (!args.keeperEnabled) {
        for (const setting of ["keeperImage", "keeperAllowedCidrs"] as const) {
            if (args[setting] !== undefined) throw new ConfigError(setting, args[setting], "It configures the etcdkeeper UI, which is off: set keeperEnabled: true too, or remove it.");
        }
        return undefined;
    }
    const image = args.keeperImage ?? DEFAULT_KEEPER_IMAGE;
    if (!/^[a-z0-9][a-z0-9._\-/:]*[a-z0-9](@sha256:[0-9a-f]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.test(image) || /:latest$/.test(image)) {
        throw new ConfigError("keeperImage", image, "Pin the image: a version tag that is not latest (evildecay/etcdkeeper:v0.7.6) or a digest (repo@sha256:<64 hex>), so every member runs the same build.");
    }
    if (image === DEFAULT_KEEPER_IMAGE && arch !== "amd64") {
        throw new ConfigError(
            "keeperImage",
            image,
            `The upstream etcdkeeper image is built for amd64 only and the members are ${arch} (instanceFamily ${args.instanceFamily ?? DEFAULT_INSTANCE_FAMILY}). Use an x86 instanceFamily such as m7i, or give keeperImage an ${arch} build (e.g. your own mirror in ECR).`,
        );
    }
    return { image, allowedCidrs: ingressCidrs("keeperAllowedCidrs", args.keeperAllowedCidrs ?? []) };
}

/** Two weekly runs of the scheduled deploy: a renewal window this long always holds one. */
const WEEKLY_RENEWAL_WINDOW_HOURS = 336;

function resolvePki(args: EtcdClusterArgs, warnings: string[], keeper: boolean): ResolvedSettings["pki"] {
    if ((args.caCertPem === undefined) !== (args.caPrivateKeyPem === undefined)) {
        throw new ConfigError(
            args.caCertPem === undefined ? "caPrivateKeyPem" : "caCertPem",
            SECRET_MASK,
            "Give caCertPem and caPrivateKeyPem together to sign with your own CA, or neither to create one.",
        );
    }
    const ca: CaState = {
        generation: integerIn("caGeneration", args.caGeneration ?? 1, 1, 1000),
        phase: oneOf("caRotation", args.caRotation ?? "none", CA_ROTATION_PHASES),
    };
    if ((args.nextCaCertPem === undefined) !== (args.nextCaPrivateKeyPem === undefined)) {
        throw new ConfigError(
            args.nextCaCertPem === undefined ? "nextCaPrivateKeyPem" : "nextCaCertPem",
            SECRET_MASK,
            "Give nextCaCertPem and nextCaPrivateKeyPem together to rotate to your own CA, or neither to have the next CA created.",
        );
    }
    if (args.nextCaCertPem !== undefined && ca.phase === "none") {
        throw new ConfigError(
            "nextCaCertPem",
            SECRET_MASK,
            "It is the next CA of a rotation, and caRotation is none. Set caRotation: trust-next to start the rotation, or, once it is done, move it into caCertPem/caPrivateKeyPem with caGeneration counted up.",
        );
    }
    const certValidityHours = integerIn("certValidityHours", args.certValidityHours ?? 8760, 24, 87600);
    const certEarlyRenewalHours = integerIn("certEarlyRenewalHours", args.certEarlyRenewalHours ?? 720, 0, 87600);
    if (certEarlyRenewalHours >= certValidityHours) {
        throw new ConfigError("certEarlyRenewalHours", certEarlyRenewalHours, `Must be less than certValidityHours (${certValidityHours}), or every update would renew every certificate.`);
    }
    if (certEarlyRenewalHours < WEEKLY_RENEWAL_WINDOW_HOURS) {
        warnings.push(
            `certEarlyRenewalHours is ${certEarlyRenewalHours}: certificates renew only at a pulumi up inside that window, and the scheduled deploy (.github/workflows/deploy.yml) runs weekly, so a window under two weeks (${WEEKLY_RENEWAL_WINDOW_HOURS}) can close before the next run. Raise it, or deploy more often.`,
        );
    }
    const clientNames = args.clientNames ?? [];
    for (const name of clientNames) {
        matching("clientNames", name, /^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case names of letters, digits and dashes, like kube-apiserver");
        if (name === "admin") {
            throw new ConfigError("clientNames", name, "admin is always issued; list only the other consumers.");
        }
    }
    if (new Set(clientNames).size !== clientNames.length) {
        throw new ConfigError("clientNames", clientNames, "List each consumer once.");
    }
    return {
        keyAlgorithm: oneOf("keyAlgorithm", args.keyAlgorithm ?? "ECDSA", KEY_ALGORITHMS),
        ca,
        caValidityHours: integerIn("caValidityHours", args.caValidityHours ?? 87600, certValidityHours, 175200),
        certValidityHours,
        certEarlyRenewalHours,
        // The UI's own consumer certificate; listed once even when clientNames names it too.
        clientNames: keeper && !clientNames.includes(KEEPER_CLIENT) ? [...clientNames, KEEPER_CLIENT] : clientNames,
        certSyncIntervalMinutes: integerIn("certSyncIntervalMinutes", args.certSyncIntervalMinutes ?? 10, 1, 1440),
    };
}

/** The tunables the settings in NODE_SETTINGS ask for, each checked against its range. */
function nodeTunables(args: EtcdClusterArgs): Partial<Record<NodeTunable, number>> {
    const tunables: Partial<Record<NodeTunable, number>> = {};
    for (const [setting, spec] of Object.entries(NODE_SETTINGS) as Array<[keyof EtcdClusterArgs, NonNullable<(typeof NODE_SETTINGS)[keyof EtcdClusterArgs]>]>) {
        const value = args[setting];
        if (value !== undefined) tunables[spec.tunable] = integerIn(setting, value as number, spec.min, spec.max);
    }
    return tunables;
}

function raftTimings(heartbeatIntervalMs: number, electionTimeoutMs: number) {
    integerIn("heartbeatIntervalMs", heartbeatIntervalMs, 10, 5000);
    integerIn("electionTimeoutMs", electionTimeoutMs, 50, 50000);
    if (electionTimeoutMs < 5 * heartbeatIntervalMs) {
        throw new ConfigError(
            "electionTimeoutMs",
            electionTimeoutMs,
            `etcd requires at least 5x heartbeatIntervalMs (${heartbeatIntervalMs}); use ${5 * heartbeatIntervalMs} or more (10x is usual).`,
        );
    }
    return { heartbeatIntervalMs, electionTimeoutMs };
}

function quotaBackendBytes(value: number | undefined, volumeSizeGb: number): number {
    const ceiling = Math.floor((volumeSizeGb * 1e9) / 2);
    const quota = value ?? Math.min(8 * GIB, ceiling);
    if (!Number.isInteger(quota) || quota < 256 * 1024 ** 2 || quota > ceiling) {
        throw new ConfigError(
            "quotaBackendBytes",
            value,
            `Use a whole number of bytes between 268435456 (256 MiB) and ${ceiling} (half the ${volumeSizeGb} GB data volume, leaving room for defragmentation and snapshots).`,
        );
    }
    return quota;
}

function compactionRetention(value: string): string {
    return matching("autoCompactionRetention", value, /^(\d+|\d+(\.\d+)?(ms|s|m|h))$/, 'a duration like "1h" or "30m" (periodic) or a revision count like "1000" (revision)');
}

function clusterToken(value: string): string {
    return matching("clusterToken", value, /^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$/, "8-64 letters, digits, dots, dashes or underscores; make it unique per cluster and environment");
}

function mirrorUrl(value: string | undefined): string {
    const url = value ?? DEFAULT_ETCD_MIRROR;
    return matching("etcdMirrorUrl", url, /^https:\/\/[^\s'"]+$/, "an https:// URL under which v<version>/etcd-v<version>-linux-<arch>.tar.gz is served").replace(/\/+$/, "");
}

function ingressCidrs(setting: string, cidrs: string[]): string[] {
    const ranges: Array<[number, number]> = [];
    for (const cidr of cidrs) {
        const [address, prefix] = parseCidr(setting, cidr);
        if (prefix === 0) {
            throw new ConfigError(setting, cidr, "Ingress from the whole internet is never allowed; list the networks of your clients.");
        }
        if (address.kind() === "ipv6") {
            throw new ConfigError(setting, cidr, "Members have IPv4 addresses only; list IPv4 CIDRs.");
        }
        const first = (address as ipaddr.IPv4).toByteArray().reduce((n, byte) => n * 256 + byte, 0);
        const size = 2 ** (32 - prefix);
        ranges.push([first - (first % size), first - (first % size) + size - 1]);
    }
    if (coversEveryAddress(ranges)) {
        throw new ConfigError(setting, cidrs, "Together these cover the whole internet (like 0.0.0.0/1 with 128.0.0.0/1), which is never allowed; list the networks of your clients.");
    }
    return cidrs;
}

/** Whether IPv4 ranges [first, last] together cover 0.0.0.0 to 255.255.255.255. */
function coversEveryAddress(ranges: Array<[number, number]>): boolean {
    let next = 0;
    for (const [first, last] of [...ranges].sort((a, b) => a[0] - b[0])) {
        if (first > next) return false;
        next = Math.max(next, last + 1);
    }
    return next > 0xffffffff;
}

function securityGroupIds(setting: string, ids: Input<string>[], id: IdCheck): Input<string>[] {
    return ids.map((group) => id(setting, group, /^sg-[0-9a-f]{8,17}$/, "security group ids like sg-0123456789abcdef0"));
}

function parseCidr(setting: string, cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
    if (!ipaddr.isValidCIDR(cidr)) {
        throw new ConfigError(setting, cidr, "Use CIDR notation like 10.0.0.0/16.");
    }
    return ipaddr.parseCIDR(cidr);
}

function oneOf<T extends string>(setting: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) {
        throw new ConfigError(setting, value, `Use one of: ${allowed.join(", ")}.`);
    }
    return value as T;
}

function integerIn(setting: string, value: number, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new ConfigError(setting, value, `Use a whole number from ${min} to ${max}.`);
    }
    return value;
}

function matching(setting: string, value: string, pattern: RegExp, what: string): string {
    if (typeof value !== "string" || !pattern.test(value)) {
        throw new ConfigError(setting, value, `Use ${what}.`);
    }
    return value;
}
