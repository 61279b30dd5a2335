import { MEMBER_CERT_FILES, MemberCertFile, ssmParameters } from "../config/contract";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DataVolumeSpec } from "../config/dataVolume";
import { INSTANCE_TAGS } from "../config/runningCluster";
import { memberPolicyDocument } from "./memberPolicy";
import { MemberCerts } from "./pki";
import { MemberRenderInput } from "./render/types";
import { renderUserDataBase64 } from "./render/userData";

export interface EtcdMemberArgs {
    memberName: string;
    /** The member's own network interface: its fixed IP outlives every instance. */
    networkInterfaceId: pulumi.Input<string>;
    availabilityZone: pulumi.Input<string>;
    instanceType: string;
    amiId: pulumi.Input<string>;
    /** True when the AMI was looked up, so a newly published AMI never replaces a member. */
    ignoreAmiChanges: boolean;
    volume: DataVolumeSpec;
    kmsKeyArn: pulumi.Input<string>;
    certs: MemberCerts;
    parameterPrefix: string;
    /** Everything the node needs but its volume id, which this component creates. */
    render: pulumi.Input<Omit<MemberRenderInput, "dataVolumeId">>;
    partition: pulumi.Input<string>;
    region: pulumi.Input<string>;
    accountId: pulumi.Input<string>;
    protectData: boolean;
    tags: Record<string, string>;
    /** Tags of the instance only: what runs on it, for the next change's checks. */
    instanceTags: Record<string, pulumi.Input<string>>;
    /** Where the member writes snapshots; absent when backups are off. */
    backup?: { bucketArn: pulumi.Input<string>; prefix: string; kmsKeyArn: pulumi.Input<string>; restoreFrom?: string; restoreKmsKeyArn?: pulumi.Input<string> };
    /** The member runs the etcdkeeper UI and may read its certificate. */
    keeper?: boolean;
    /** The instance waits for these: the previous member's health gate makes updates roll one at a time. */
    after: pulumi.Resource[];
}

/** Device name the data volume is attached as; on Nitro it appears as an NVMe device found by volume id. */
export const DATA_VOLUME_DEVICE = "/dev/sdf";

/**
 * One etcd member: its data volume, certificate parameters, instance role and instance. The data
 * volume and the network interface (made by the cluster) are resources of their own, so replacing
 * the instance (new AMI or type) re-attaches both and the member rejoins with its data.
 */
export class EtcdMember extends pulumi.ComponentResource {
    public readonly instance: aws.ec2.Instance;
    public readonly dataVolume: aws.ebs.Volume;
    /** Ready when the data volume is attached to the current instance. */
    public readonly attachment: aws.ec2.VolumeAttachment;

    constructor(name: string, args: EtcdMemberArgs, opts?: pulumi.ComponentResourceOptions) {
        super("etcd:index:Member", name, {}, opts);
        const tags = { ...args.tags, Name: name, [INSTANCE_TAGS.member]: args.memberName };

        this.dataVolume = new aws.ebs.Volume(
            `${name}-data`,
            {
                availabilityZone: args.availabilityZone,
                type: args.volume.type,
                size: args.volume.sizeGb,
                iops: args.volume.iops,
                throughput: args.volume.throughputMBps,
                encrypted: true,
                kmsKeyId: args.kmsKeyArn,
                tags: { ...tags, Name: `${name}-data` },
            },
            { parent: this, protect: args.protectData },
        );

        const parameters = this.certificateParameters(name, args);
        const profile = this.instanceProfile(name, args, tags);

        // gzip-compressed: the plain document is over EC2's 16 KB limit; cloud-init unpacks it, and
        // `npm run plan -- --out` shows it decoded for review.
        const userDataBase64 = pulumi
            .all([args.render, this.dataVolume.id])
            .apply(([render, dataVolumeId]) => renderUserDataBase64({ ...render, dataVolumeId }));

        this.instance = new aws.ec2.Instance(
            name,
            {
                ami: args.amiId,
                instanceType: args.instanceType,
                iamInstanceProfile: profile.name,
                primaryNetworkInterface: { networkInterfaceId: args.networkInterfaceId },
                userDataBase64,
                // cloud-init writes files once per instance, so changed etcd settings reach a member
                // only through a new instance: replace (keeping interface and volume), one at a time.
                userDataReplaceOnChange: true,
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
                rootBlockDevice: { volumeType: "gp3", volumeSize: 20, encrypted: true, kmsKeyId: args.kmsKeyArn },
                ebsOptimized: true,
                monitoring: true,
                tags: { ...tags, ...args.instanceTags },
            },
            {
                parent: this,
                // The interface and volume can belong to one instance at a time: the old instance
                // must go first or the replacement could never attach them.
                deleteBeforeReplace: true,
                ignoreChanges: args.ignoreAmiChanges ? ["ami"] : [],
                dependsOn: [...parameters, ...args.after],
            },
        );

        this.attachment = new aws.ec2.VolumeAttachment(
            `${name}-data`,
            {
                deviceName: DATA_VOLUME_DEVICE,
                volumeId: this.dataVolume.id,
                instanceId: this.instance.id,
                // Stop etcd's instance before the volume leaves it, so the data is flushed.
                stopInstanceBeforeDetaching: true,
            },
            { parent: this, deleteBeforeReplace: true },
        );

        this.registerOutputs({ instance: this.instance, dataVolume: this.dataVolume, attachment: this.attachment });
    }

    /** The member's certificates in SSM Parameter Store; keys as KMS-encrypted SecureStrings. */
    private certificateParameters(name: string, args: EtcdMemberArgs): aws.ssm.Parameter[] {
        const parameter = (file: MemberCertFile, value: pulumi.Output<string>, secret: boolean) =>
            new aws.ssm.Parameter(
                `${name}-${file}`,
                {
                    name: ssmParameters.memberFile(args.parameterPrefix, args.memberName, file),
                    type: secret ? "SecureString" : "String",
                    keyId: secret ? args.kmsKeyArn : undefined,
                    value: secret ? pulumi.secret(value) : value,
                    description: `etcd ${args.memberName}: ${file}`,
                    tags: args.tags,
                },
                { parent: this },
            );
        return [
            parameter(MEMBER_CERT_FILES.memberCert, args.certs.member.certPem, false),
            parameter(MEMBER_CERT_FILES.memberKey, args.certs.member.keyPem, true),
            parameter(MEMBER_CERT_FILES.nodeCert, args.certs.node.certPem, false),
            parameter(MEMBER_CERT_FILES.nodeKey, args.certs.node.keyPem, true),
        ];
    }

    private instanceProfile(name: string, args: EtcdMemberArgs, tags: Record<string, string>): aws.iam.InstanceProfile {
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: `etcd member ${args.memberName}: reads its own certificates, runs the SSM agent`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags,
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([args.partition, args.region, args.accountId, args.kmsKeyArn, args.backup?.bucketArn ?? "", args.backup?.restoreKmsKeyArn ?? "", args.backup?.kmsKeyArn ?? ""])
                    .apply(([partition, region, accountId, kmsKeyArn, bucketArn, restoreKmsKeyArn, backupKmsKeyArn]) =>
                        JSON.stringify(
                            memberPolicyDocument({
                                partition,
                                region,
                                accountId,
                                kmsKeyArn,
                                parameterPrefix: args.parameterPrefix,
                                memberName: args.memberName,
                                keeper: args.keeper,
                                backup: args.backup
                                    ? { bucketArn, prefix: args.backup.prefix, kmsKeyArn: backupKmsKeyArn, restoreFrom: args.backup.restoreFrom, restoreKmsKeyArn: restoreKmsKeyArn || undefined }
                                    : undefined,
                            }),
                        ),
                    ),
            },
            { parent: this },
        );
        return new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags }, { parent: this });
    }
}
