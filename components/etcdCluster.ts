import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { caOfMember, caSources, formatCaTag } from "../config/caRotation";
import { EtcdClusterArgs } from "../config/clusterArgs";
import { CheckWhenKnown, KEEPER_CLIENT, resolveSettings, ResolvedSettings } from "../config/settings";
import { EtcdBackupBucket } from "./backupBucket";
import { backupScriptObjects } from "./backupScripts";
import { clientUrl, initialClusterOf, rosterDocument, ssmParameters } from "../config/contract";
import { EtcdMemberAlarms } from "./memberAlarms";
import { EtcdClusterAlarms } from "./clusterAlarms";
import { healthGate, memberLeave } from "./healthGate";
import { keeperCertificateParameters, keeperPortForwardCommand, keeperUrls } from "./keeper";
import { keyPolicyDocument } from "./keyPolicy";
import { EtcdMember } from "./member";
import { EtcdPki } from "./pki";
import { CLUSTER_TAG, readRunningCluster } from "./runningCluster";
import { INSTANCE_TAGS, planDayTwo } from "../config/runningCluster";
import { MemberAddress, MemberRenderInput } from "./render/types";
import { EtcdSecurityGroup } from "./securityGroup";
import { EtcdVpc } from "./vpc";

export type { EtcdClusterArgs } from "../config/clusterArgs";

/** A consumer's client certificate; keyPem is a secret. */
export interface ClientCertificate {
    certPem: string;
    keyPem: string;
}

/** The data volume in the sizing output (plain strings: other Pulumi languages read this schema). */
export interface DataVolumeOutput {
    type: string;
    sizeGb: number;
    iops: number;
    /** Provisioned throughput in MB/s (Python: throughput_mbps). */
    throughputMbps: number;
    /** @deprecated The former name of throughputMbps; same value. TypeScript only: other languages' schema leaves it out (Python would say throughput_m_bps). */
    throughputMBps: number;
}

/** The sizing decision as an output. */
export interface SizingOutput {
    kubernetesNodeCount: number;
    tier: string;
    instanceType: string;
    arch: string;
    vcpu: number;
    memoryGib: number;
    volume: DataVolumeOutput;
    reasons: string[];
}

/** What a user needs to find and reach one member. */
export interface MemberInfo {
    name: string;
    ip: string;
    availabilityZone: string;
    instanceId: string;
    networkInterfaceId: string;
    dataVolumeId: string;
    /** Opens a shell on the member through SSM Session Manager (no SSH, no open port). */
    shellCommand: string;
}

/** An id that is another resource's output is checked when its value arrives, in the deployment. */
export const checkIdWhenKnown: CheckWhenKnown = <T>(id: pulumi.Input<T>, check: (known: T) => T) => (pulumi.output(id) as pulumi.Output<T>).apply(check);

/**
 * The outputs that hold private keys: secrets in Pulumi's state and in every language's SDK (the
 * schema marks them so: provider/completeSchema.ts).
 */
export const SECRET_OUTPUTS = ["adminKeyPem", "clientCertificates"] as const satisfies ReadonlyArray<keyof EtcdCluster>;

/**
 * Fields of the output types kept under a former name beside the new one, for TypeScript programs.
 * The schema of other languages leaves them out (provider/completeSchema.ts): no SDK was published
 * with them. The Python and Go SDKs read an object's fields by name, so the extra one is ignored there.
 */
export const RENAMED_OUTPUT_FIELDS = { DataVolumeOutput: { throughputMBps: "throughputMbps" } } as const satisfies {
    DataVolumeOutput: Partial<Record<keyof DataVolumeOutput, keyof DataVolumeOutput>>;
};

/**
 * The output fields that hold whole numbers (counts, GiB, GB, IOPS, MB/s): integers in the schema of
 * other languages (int in Python and Go). A number field not listed here stays a number there (a
 * float), so a fractional one added later is not cut to an int.
 */
export const WHOLE_NUMBER_OUTPUT_FIELDS = {
    SizingOutput: ["kubernetesNodeCount", "vcpu", "memoryGib"],
    DataVolumeOutput: ["sizeGb", "iops", "throughputMbps"],
} as const satisfies { SizingOutput: ReadonlyArray<keyof SizingOutput>; DataVolumeOutput: ReadonlyArray<keyof DataVolumeOutput> };

/** The sizing decision as other languages read it: the volume's throughput under its clean name and its former one. */
function sizingOutput(sizing: ResolvedSettings["sizing"]): SizingOutput {
    return { ...sizing, volume: { ...sizing.volume, throughputMbps: sizing.volume.throughputMBps } };
}

/**
 * A production etcd cluster on AWS: right-sized members spread over availability zones, each with
 * its own network interface (fixed IP) and encrypted gp3 data volume, mutual TLS on client and peer
 * ports, a static bootstrap, and a health gate after every member so changes roll one at a time.
 */
export class EtcdCluster extends pulumi.ComponentResource {
    /** `https://<ip>:2379` of every member. */
    public readonly clientEndpoints: pulumi.Output<string[]>;
    /** name=peer URL of every planned member (the roster): the `--initial-cluster` of a first bootstrap. */
    public readonly initialCluster: pulumi.Output<string>;
    public readonly clusterToken: pulumi.Output<string>;
    public readonly caCertPem: pulumi.Output<string>;
    public readonly adminCertPem: pulumi.Output<string>;
    /** Secret. */
    public readonly adminKeyPem: pulumi.Output<string>;
    /** One client certificate per clientNames entry; every keyPem is a secret. */
    public readonly clientCertificates: pulumi.Output<Record<string, ClientCertificate>>;
    public readonly members: pulumi.Output<MemberInfo[]>;
    public readonly sizing: pulumi.Output<SizingOutput>;
    public readonly etcdVersion: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly vpcId: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    /** Where the certificates live in SSM Parameter Store. */
    public readonly parameterPrefix: pulumi.Output<string>;
    /** Bucket and key prefix of the snapshots (empty when backups are off). */
    public readonly backupBucketName: pulumi.Output<string>;
    public readonly backupPrefix: pulumi.Output<string>;
    /** Where to open the etcdkeeper UI (empty when it is off). */
    public readonly keeperUrls: pulumi.Output<string[]>;
    /** The SSM port-forwarding command that opens it on localhost:8888 (empty when off or allow-listed). */
    public readonly keeperPortForwardCommand: pulumi.Output<string>;

    constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so a bad setting never leaves a half-made cluster.
        const settings = resolveSettings(args, checkIdWhenKnown);
        super("etcd:index:EtcdCluster", name, {}, opts);
        const parent = { parent: this };
        for (const warning of settings.warnings) pulumi.log.warn(warning, this);
        const project = pulumi.getProject();
        const stack = pulumi.getStack();
        const clusterTag = `${project}/${stack}/${name}`;
        const tags = { ...settings.tags, [CLUSTER_TAG]: clusterTag, "managed-by": "pulumi" };
        const parameterPrefix = ssmParameters.prefix(project, stack, name);
        const clusterToken = settings.clusterToken ?? defaultClusterToken(project, stack, name, settings.backup.restoreFrom);

        const region = aws.getRegionOutput({}, parent).region;
        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;
        const kmsKeyArn = settings.kmsKeyArn
            ? pulumi.output(settings.kmsKeyArn)
            : new aws.kms.Key(
                  `${name}`,
                  {
                      description: `etcd ${name}: data volumes and certificate keys`,
                      enableKeyRotation: true,
                      deletionWindowInDays: 30,
                      policy: pulumi
                          .all([partition, region, accountId])
                          .apply(([p, r, a]) => JSON.stringify(keyPolicyDocument({ partition: p, region: r, accountId: a, clusterTagKey: CLUSTER_TAG, clusterTag }))),
                      tags,
                  },
                  // The volumes' and the certificate keys' key: deleting it loses the data.
                  { parent: this, protect: settings.protectData },
              ).arn;

        const backup = this.backups(name, settings, clusterTag, kmsKeyArn, tags);
        const network = this.network(name, settings, tags);

        const zoneOfSubnet = pulumi
            .all([network.subnetIds, network.subnetZones])
            .apply(([ids, zones]): Record<string, string> => Object.fromEntries(ids.map((id, i) => [id, zones[i]])));
        // Which CA each trusted generation is: a brought CA by its certificate's fingerprint (no
        // secret: the hash of a certificate, which is public), else created.
        const caSourcesNow = pulumi.unsecret(
            pulumi.all([args.caCertPem ?? "", args.nextCaCertPem ?? ""]).apply(([current, next]) => caSources(settings.pki.ca, current || undefined, next || undefined)),
        );
        // The change checked against what runs now; every interface, and so every certificate and
        // member, waits for this answer, so a refused change touches none of them.
        const dayTwo = pulumi
            .all([readRunningCluster(clusterTag, parameterPrefix, parent), network.subnetIds, pulumi.all(settings.network.memberSubnets), zoneOfSubnet, caSourcesNow])
            .apply(([running, subnetIds, memberSubnets, zones, sources]) =>
                planDayTwo(
                    {
                        memberNames: settings.memberNames,
                        etcdVersion: settings.etcd.etcdVersion,
                        arch: settings.sizing.arch,
                        amiId: settings.amiId,
                        subnetIds,
                        memberSubnets,
                        zones,
                        allowSingleZone: settings.network.allowSingleZone,
                        clusterToken,
                        healthGate: settings.healthGate.mode,
                        ca: settings.pki.ca,
                        keyAlgorithm: settings.pki.keyAlgorithm,
                        caSources: sources,
                    },
                    running,
                ),
            );
        dayTwo.apply((plan) => plan.warnings.forEach((warning) => pulumi.log.warn(warning, this)));
        const subnetOf = (member: string) => dayTwo.apply((plan) => plan.subnets[member]);
        const securityGroup = new EtcdSecurityGroup(
            `${name}-members`,
            // The network's VPC last: settings.network.vpcId is undefined when the component makes the VPC.
            { ...settings.network, vpcId: network.vpcId, keeperCidrs: settings.keeper?.allowedCidrs ?? [], tags },
            parent,
        );

        // Interfaces first: their fixed IPs go into certificates and the initial cluster.
        const interfaces = settings.memberNames.map(
            (member) =>
                new aws.ec2.NetworkInterface(
                    `${name}-${member}`,
                    {
                        subnetId: subnetOf(member),
                        securityGroups: [securityGroup.securityGroupId],
                        description: `etcd ${name} ${member}: stable address`,
                        tags: { ...tags, Name: `${name}-${member}`, [INSTANCE_TAGS.member]: member },
                    },
                    parent,
                ),
        );
        const ips = interfaces.map((eni) => eni.privateIp);
        const dnsNames = this.dnsRecords(name, settings, ips);

        // Every key waits for the day-2 answer: a refused change (a key algorithm changed in place) makes none.
        const caAlgorithms = dayTwo.apply((plan) => plan.ca.algorithms);
        const pki = new EtcdPki(
            `${name}-pki`,
            {
                ...settings.pki,
                algorithms: caAlgorithms,
                caCertPem: args.caCertPem,
                caPrivateKeyPem: args.caPrivateKeyPem,
                nextCaCertPem: args.nextCaCertPem,
                nextCaPrivateKeyPem: args.nextCaPrivateKeyPem,
                members: settings.memberNames.map((member, i) => ({
                    name: member,
                    dnsNames: [member, "localhost", ...dnsNames[i], ec2PrivateDnsName(ips[i], region)],
                    ipAddresses: [ips[i], "127.0.0.1", "::1"],
                })),
            },
            parent,
        );
        const caParameter = new aws.ssm.Parameter(
            `${name}-ca`,
            { name: ssmParameters.ca(parameterPrefix), type: "String", value: pki.caCertPem, description: `etcd ${name}: CA certificate`, tags },
            parent,
        );

        const keeperParameters = settings.keeper
            ? keeperCertificateParameters(name, { parameterPrefix, certPem: pki.clientCerts[KEEPER_CLIENT].certPem, keyPem: pki.clientCerts[KEEPER_CLIENT].keyPem, kmsKeyArn, tags }, parent)
            : [];
        const keeperOnMemberIp = (settings.keeper?.allowedCidrs.length ?? 0) > 0;

        const amiId = settings.amiId
            ? pulumi.output(settings.amiId)
            : aws.ssm.getParameterOutput({ name: al2023AmiParameter(settings.sizing.arch) }, parent).value;
        const addresses: pulumi.Output<MemberAddress[]> = pulumi
            .all(ips)
            .apply((resolved) => settings.memberNames.map((member, i) => ({ name: member, ip: resolved[i] })));

        // Who the members are, outside every member's user data: adding or removing one replaces no
        // other. Written before any instance changes; a booting member reads it (etcd-fetch-roster).
        const roster = new aws.ssm.Parameter(
            `${name}-roster`,
            { name: ssmParameters.roster(parameterPrefix), type: "String", value: addresses.apply(rosterDocument), description: `etcd ${name}: the members`, tags },
            parent,
        );

        let previousGate: pulumi.Resource | undefined;
        let previousLeave: pulumi.Resource | undefined;
        const members: EtcdMember[] = [];
        settings.memberNames.forEach((member, i) => {
            const render: pulumi.Output<Omit<MemberRenderInput, "dataVolumeId">> = pulumi
                .all([addresses, region, backup?.bucketName ?? "", backup?.kmsKeyArn ?? ""])
                .apply(([all, regionName, bucket, keyArn]) => ({
                    // etcd's settings as the model resolved them, then what is this member's own.
                    ...settings.etcd,
                    member: all[i],
                    members: all,
                    clusterToken,
                    arch: settings.sizing.arch,
                    region: regionName,
                    parameterPrefix,
                    certSyncIntervalMinutes: settings.pki.certSyncIntervalMinutes,
                    metricCluster: clusterTag,
                    backup: backup
                        ? {
                              bucket,
                              prefix: backup.prefix,
                              kmsKeyArn: keyArn,
                              intervalMinutes: settings.backup.intervalMinutes,
                              defragIntervalHours: settings.backup.defragIntervalHours,
                              restoreFrom: settings.backup.restoreFrom,
                          }
                        : undefined,
                    keeper: settings.keeper ? { image: settings.keeper.image, bindAddress: keeperOnMemberIp ? all[i].ip : "127.0.0.1" } : undefined,
                    ca: caOfMember(settings.pki.ca),
                }));
            const etcdMember = new EtcdMember(
                `${name}-${member}`,
                {
                    memberName: member,
                    networkInterfaceId: interfaces[i].id,
                    availabilityZone: pulumi.all([subnetOf(member), zoneOfSubnet]).apply(([subnet, zones]) => zones[subnet]),
                    instanceType: settings.sizing.instanceType,
                    amiId,
                    ignoreAmiChanges: settings.amiId === undefined,
                    volume: settings.sizing.volume,
                    kmsKeyArn,
                    certs: pki.memberCerts[member],
                    parameterPrefix,
                    render,
                    partition,
                    region,
                    accountId,
                    protectData: settings.protectData,
                    tags,
                    // Read back by the next change's version and architecture checks.
                    instanceTags: {
                        [INSTANCE_TAGS.version]: settings.etcd.etcdVersion,
                        [INSTANCE_TAGS.arch]: settings.sizing.arch,
                        [INSTANCE_TAGS.ca]: pulumi.all([caAlgorithms, caSourcesNow]).apply(([algorithms, sources]) => formatCaTag({ ...settings.pki.ca, algorithms, sources })),
                    },
                    backup: backup
                        ? {
                              bucketArn: backup.bucketArn,
                              prefix: backup.prefix,
                              kmsKeyArn: backup.kmsKeyArn,
                              restoreFrom: settings.backup.restoreFrom,
                              restoreKmsKeyArn: settings.backup.restoreKmsKeyArn,
                          }
                        : undefined,
                    keeper: settings.keeper !== undefined,
                    after: [caParameter, roster, ...keeperParameters, ...(backup?.scripts ?? []), ...(previousGate ? [previousGate] : [])],
                },
                parent,
            );
            members.push(etcdMember);
            previousGate = this.gate(name, settings, etcdMember, i, { region, ips, pki, clusterFormed: dayTwo.apply((plan) => plan.clusterFormed) }) ?? etcdMember.attachment;
            previousLeave = memberLeave(
                `${name}-${member}-leave`,
                {
                    // Without gates the leave still goes through SSM: it needs no network path.
                    mode: settings.healthGate.mode === "direct" ? "direct" : "ssm",
                    memberName: member,
                    region,
                    instanceId: etcdMember.instance.id,
                    memberIps: ips,
                    caCertPem: pki.caCertPem,
                    adminCertPem: pki.clientCerts.admin.certPem,
                    adminKeyPem: pki.clientCerts.admin.keyPem,
                },
                // Deleted before the instance (and the one before it), so a smaller memberCount
                // removes the highest members one at a time, each before its instance goes.
                { parent: this, dependsOn: [etcdMember.attachment, ...(previousLeave ? [previousLeave] : [])] },
            );
        });

        new EtcdMemberAlarms(
            `${name}-member-alarms`,
            {
                clusterId: clusterTag,
                clusterName: name,
                members: members.map((m, i) => ({ name: settings.memberNames[i], instanceId: m.instance.id })),
                certValidityHours: settings.pki.certValidityHours,
                certEarlyRenewalHours: settings.pki.certEarlyRenewalHours,
                certSyncIntervalMinutes: settings.pki.certSyncIntervalMinutes,
                alarmTopicArn: settings.backup.alarmTopicArn,
                tags,
            },
            parent,
        );

        this.clientEndpoints = pulumi.all(ips).apply((all) => all.map(clientUrl));
        this.initialCluster = addresses.apply(initialClusterOf);
        this.clusterToken = pulumi.output(clusterToken);
        this.caCertPem = pki.caCertPem;
        this.adminCertPem = pki.clientCerts.admin.certPem;
        this.adminKeyPem = pulumi.secret(pki.clientCerts.admin.keyPem);
        const consumerCerts = settings.pki.clientNames.map((client) =>
            pulumi.all([pki.clientCerts[client].certPem, pki.clientCerts[client].keyPem]).apply(([certPem, keyPem]) => ({ client, certPem, keyPem })),
        );
        this.clientCertificates = pulumi.secret(
            pulumi.all(consumerCerts).apply((certs) => Object.fromEntries(certs.map(({ client, certPem, keyPem }) => [client, { certPem, keyPem }]))),
        );
        this.members = pulumi.all(
            members.map((m, i) =>
                pulumi.all([m.instance.id, interfaces[i].id, m.dataVolume.id, ips[i], m.dataVolume.availabilityZone, region]).apply(
                    ([instanceId, networkInterfaceId, dataVolumeId, ip, availabilityZone, regionName]) => ({
                        name: settings.memberNames[i],
                        ip,
                        availabilityZone,
                        instanceId,
                        networkInterfaceId,
                        dataVolumeId,
                        shellCommand: `aws ssm start-session --region ${regionName} --target ${instanceId}`,
                    }),
                ),
            ),
        );
        this.sizing = pulumi.output(sizingOutput(settings.sizing));
        this.etcdVersion = pulumi.output(settings.etcd.etcdVersion);
        this.securityGroupId = securityGroup.securityGroupId;
        this.vpcId = pulumi.output(network.vpcId);
        this.kmsKeyArn = kmsKeyArn;
        this.parameterPrefix = pulumi.output(parameterPrefix);
        this.backupBucketName = backup ? backup.bucketName : pulumi.output("");
        this.backupPrefix = pulumi.output(backup?.prefix ?? "");
        this.keeperUrls = settings.keeper ? pulumi.all(ips).apply((all) => keeperUrls(keeperOnMemberIp, all)) : pulumi.output([]);
        this.keeperPortForwardCommand =
            settings.keeper && !keeperOnMemberIp ? pulumi.all([region, members[0].instance.id]).apply(([r, id]) => keeperPortForwardCommand(r, id)) : pulumi.output("");

        this.registerOutputs({
            clientEndpoints: this.clientEndpoints,
            initialCluster: this.initialCluster,
            clusterToken: this.clusterToken,
            caCertPem: this.caCertPem,
            adminCertPem: this.adminCertPem,
            adminKeyPem: this.adminKeyPem,
            clientCertificates: this.clientCertificates,
            members: this.members,
            sizing: this.sizing,
            etcdVersion: this.etcdVersion,
            securityGroupId: this.securityGroupId,
            vpcId: this.vpcId,
            kmsKeyArn: this.kmsKeyArn,
            parameterPrefix: this.parameterPrefix,
            backupBucketName: this.backupBucketName,
            backupPrefix: this.backupPrefix,
            keeperUrls: this.keeperUrls,
            keeperPortForwardCommand: this.keeperPortForwardCommand,
        });
    }

    /** The snapshot bucket (or the user's) and the alarms that make a failed backup visible. */
    private backups(name: string, settings: ResolvedSettings, clusterId: string, kmsKeyArn: pulumi.Output<string>, tags: Record<string, string>) {
        const backup = settings.backup;
        if (!backup.enabled) {
            return undefined;
        }
        // The backups' own key when one is given, so that the cluster's key does not hold them too.
        const backupKeyArn = backup.kmsKeyArn ? pulumi.output(backup.kmsKeyArn) : kmsKeyArn;
        let bucketName: pulumi.Output<string>;
        let bucketArn: pulumi.Output<string>;
        if (backup.bucketName) {
            bucketName = pulumi.output(backup.bucketName);
            bucketArn = pulumi.interpolate`arn:${aws.getPartitionOutput({}, { parent: this }).partition}:s3:::${backup.bucketName}`;
        } else {
            const bucket = new EtcdBackupBucket(
                `${name}-backups`,
                {
                    kmsKeyArn: backupKeyArn,
                    prefix: clusterId,
                    retentionDays: backup.retentionDays,
                    objectLock: backup.objectLock,
                    protect: settings.protectData,
                    memberTag: { key: CLUSTER_TAG, value: clusterId },
                    tags,
                },
                { parent: this },
            );
            bucketName = bucket.bucketName;
            bucketArn = bucket.bucketArn;
        }
        new EtcdClusterAlarms(
            `${name}-alarms`,
            { clusterId, backupIntervalMinutes: backup.intervalMinutes, quotaAlarmPercent: backup.quotaAlarmPercent, alarmTopicArn: backup.alarmTopicArn, tags },
            { parent: this },
        );
        // The component's own bucket may hold retained versions whenever object lock was ever on (it
        // cannot be turned off); a bucket of the user's is theirs to lock (README, backupBucketName).
        const retainedVersions = !backup.bucketName;
        const scripts = backupScriptObjects(`${name}-script`, { bucketName, prefix: clusterId, kmsKeyArn: backupKeyArn, tags, retainedVersions }, { parent: this });
        return { bucketName, bucketArn, prefix: clusterId, scripts, kmsKeyArn: backupKeyArn };
    }

    /** The user's VPC and subnets, or a VPC made for etcd: the subnet ids and their zones, in order. */
    private network(name: string, settings: ResolvedSettings, tags: Record<string, string>): { vpcId: pulumi.Output<string>; subnetIds: pulumi.Output<string[]>; subnetZones: pulumi.Output<string[]> } {
        const net = settings.network;
        if (net.vpcId !== undefined && net.subnetIds !== undefined) {
            // The list may be another resource's output as a whole: its zones are looked up once it is known.
            const subnetIds = pulumi.output(net.subnetIds) as pulumi.Output<string[]>;
            return {
                vpcId: pulumi.output(net.vpcId),
                subnetIds,
                subnetZones: subnetIds.apply((ids) => pulumi.all(ids.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this }).availabilityZone))),
            };
        }
        const zoneCount = net.availabilityZones?.length ?? Math.min(settings.memberNames.length, 3);
        const zones = net.availabilityZones
            ? pulumi.output(net.availabilityZones)
            : aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this }).names.apply((names) => names.slice(0, zoneCount));
        const vpc = new EtcdVpc(`${name}-vpc`, { cidr: net.vpcCidr, availabilityZones: zones, zoneCount, natGateway: net.natGateway, tags }, { parent: this });
        return { vpcId: vpc.vpcId, subnetIds: pulumi.all(vpc.privateSubnetIds), subnetZones: pulumi.all(vpc.privateSubnetZones) };
    }

    /** Route 53 records `<member>.<domain>` when a zone is configured; returns each member's DNS names. */
    private dnsRecords(name: string, settings: ResolvedSettings, ips: pulumi.Output<string>[]): string[][] {
        const { dnsZoneId, dnsDomain } = settings.network;
        return settings.memberNames.map((member, i) => {
            if (!dnsZoneId || !dnsDomain) {
                return [];
            }
            const fqdn = `${member}.${dnsDomain}`;
            new aws.route53.Record(`${name}-${member}`, { zoneId: dnsZoneId, name: fqdn, type: "A", ttl: 60, records: [ips[i]] }, { parent: this });
            return [fqdn];
        });
    }

    private gate(
        name: string,
        settings: ResolvedSettings,
        member: EtcdMember,
        index: number,
        ctx: { region: pulumi.Output<string>; ips: pulumi.Output<string>[]; pki: EtcdPki; clusterFormed: pulumi.Output<boolean> },
    ): command.local.Command | undefined {
        if (settings.healthGate.mode === "off") {
            return undefined;
        }
        const instance = member.instance;
        return healthGate(
            `${name}-${settings.memberNames[index]}-health`,
            {
                mode: settings.healthGate.mode,
                memberName: settings.memberNames[index],
                requiredMembers: settings.memberNames.slice(0, index + 1),
                // A new gate on a formed cluster (say healthGate off -> ssm with an AMI change) waits too.
                waitOnCreate: index === settings.memberNames.length - 1 ? true : ctx.clusterFormed,
                timeoutSeconds: settings.healthGate.timeoutSeconds,
                region: ctx.region,
                instanceId: instance.id,
                fingerprint: pulumi
                    .all([instance.id, instance.instanceType, instance.ami, instance.userDataBase64])
                    .apply((parts) => createHash("sha256").update(parts.join("\n")).digest("hex")),
                memberIps: ctx.ips,
                caCertPem: ctx.pki.caCertPem,
                adminCertPem: ctx.pki.clientCerts.admin.certPem,
                adminKeyPem: ctx.pki.clientCerts.admin.keyPem,
            },
            { parent: this, dependsOn: [member.attachment] },
        );
    }
}

/**
 * Unique per project, stack and cluster name (so environments never cross-join) and stable across
 * updates. A cluster restored from a snapshot is a new logical cluster and gets a new token.
 */
export function defaultClusterToken(project: string, stack: string, name: string, restoreFrom?: string): string {
    const seed = restoreFrom ? `${project}/${stack}/${name}/restored-from/${restoreFrom}` : `${project}/${stack}/${name}`;
    const digest = createHash("sha256").update(seed).digest("hex").slice(0, 12);
    const readable = `${stack}-${name}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 48);
    return `${readable}-${digest}`;
}

/** Amazon's public SSM parameter that names the newest Amazon Linux 2023 AMI for an architecture. */
export function al2023AmiParameter(arch: "arm64" | "amd64"): string {
    return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch === "arm64" ? "arm64" : "x86_64"}`;
}

/** EC2's own host name for a private IP, which tools on the node see as the host name. */
function ec2PrivateDnsName(ip: pulumi.Output<string>, region: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.all([ip, region]).apply(([address, regionName]) => {
        const host = `ip-${address.replace(/\./g, "-")}`;
        return regionName === "us-east-1" ? `${host}.ec2.internal` : `${host}.${regionName}.compute.internal`;
    });
}
