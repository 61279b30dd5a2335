import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { s3Keys } from "../config/contract";

export interface BackupBucketArgs {
    kmsKeyArn: pulumi.Input<string>;
    /** Key prefix of this cluster's snapshots, e.g. `proj/prod/etcd`. */
    prefix: string;
    retentionDays: number;
    /**
     * Object lock (governance mode) for the retention period: no object version can be deleted early.
     * Turned on in place on an existing bucket; turned off, the bucket keeps Object Lock (see below).
     */
    objectLock: boolean;
    /** Protect the bucket from deletion (follows protectData). */
    protect: boolean;
    /** The tag the members' roles carry (CLUSTER_TAG) and its value: the bucket policy names them by it. */
    memberTag: { key: string; value: string };
    tags: Record<string, string>;
}

/**
 * The bucket that holds a cluster's snapshots: versioned, encrypted with the cluster's KMS key,
 * closed to the public, TLS-only, expiring snapshots after the retention period and optionally
 * object-locked. Members may only write under the cluster's prefix (see memberPolicy.ts).
 */
export class EtcdBackupBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;

    constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("etcd:index:BackupBucket", name, {}, opts);
        const parent = { parent: this };
        const bucket = new aws.s3.Bucket(
            name,
            { bucketPrefix: `${name.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 30)}-`, objectLockEnabled: args.objectLock, tags: { ...args.tags, Name: name } },
            // Snapshots are the last line of defence: protected with the data volumes. objectLockEnabled
            // counts only when the bucket is created: on an existing bucket the provider would replace
            // the bucket to change it, and the lock configuration below turns Object Lock on in place.
            { parent: this, protect: args.protect, ignoreChanges: ["objectLockEnabled"] },
        );
        const versioning = new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, parent);
        new aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }] },
            parent,
        );
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            name,
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            parent,
        );
        new aws.s3.BucketPolicy(
            name,
            { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(backupBucketPolicy(arn, args.prefix, args.memberTag))) },
            { parent: this, dependsOn: [publicAccess] },
        );
        new aws.s3.BucketLifecycleConfiguration(
            name,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "expire-snapshots",
                        status: "Enabled",
                        // Snapshots only: the node scripts stored beside them must outlive any retention.
                        filter: { prefix: s3Keys.snapshots(args.prefix) },
                        expiration: { days: args.retentionDays },
                        // A deleted or overwritten version stays a week for recovery from mistakes.
                        noncurrentVersionExpiration: { noncurrentDays: 7 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            parent,
        );
        if (args.objectLock) {
            objectLockConfiguration(name, bucket, versioning, args.retentionDays, this);
        }
        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
    }
}

/**
 * Object Lock in governance mode, every new object version kept for `days`. S3 turns Object Lock on
 * for an existing bucket through this configuration (PutObjectLockConfiguration), provided versioning
 * is on: hence the dependency, and a bucket made before object lock was the default is never
 * replaced for it. A new bucket has Object Lock from its creation (objectLockEnabled).
 *
 * Object Lock cannot be turned off again. Turning backupObjectLock off deletes this resource, which
 * only removes the default retention: the bucket keeps Object Lock, versions already written keep
 * their retain-until dates (deleting one early needs s3:BypassGovernanceRetention), and new versions
 * get none. The bucket is not replaced either way (its objectLockEnabled is ignored after creation).
 */
function objectLockConfiguration(name: string, bucket: aws.s3.Bucket, versioning: aws.s3.BucketVersioning, days: number, parent: pulumi.Resource) {
    return new aws.s3.BucketObjectLockConfiguration(name, { bucket: bucket.id, rule: { defaultRetention: { mode: "GOVERNANCE", days } } }, { parent, dependsOn: [versioning] });
}

/**
 * TLS only, and what no member may do whatever its IAM policy says (a compromised member's
 * credentials): anything but read, list and create snapshots. No write outside the snapshots (never
 * the node scripts every boot runs), no snapshot write that could replace an existing key (S3's
 * conditional write is required), no delete of any version, no change of the bucket's policy,
 * lifecycle, versioning, lock, ACLs or replication. Every statement names the members by their
 * roles' tag, so the deployer and the account's administrators (untagged) keep managing the bucket
 * and writing the node scripts.
 */
export function backupBucketPolicy(bucketArn: string, prefix: string, memberTag: { key: string; value: string }): object {
    const memberPrincipals = { [`aws:PrincipalTag/${memberTag.key}`]: memberTag.value };
    const members = { StringEquals: memberPrincipals };
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
                Sid: "MembersWriteOnlySnapshots",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:PutObject",
                NotResource: `${bucketArn}/${s3Keys.snapshots(prefix)}*`,
                Condition: members,
            },
            {
                // A snapshot or manifest is created with S3's conditional write (If-None-Match: *), which
                // fails when the key exists: a write without it could replace a snapshot. S3 sets
                // s3:ObjectCreationOperation on the requests that create the object (PutObject,
                // CompleteMultipartUpload), which take the header; CreateMultipartUpload, UploadPart and
                // UploadPartCopy take none and are left alone (AWS, "Enforce conditional writes on Amazon
                // S3 buckets"). A CopyObject into the snapshots is refused with it.
                Sid: "MembersCreateOnlyNewSnapshots",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:PutObject",
                Resource: `${bucketArn}/${s3Keys.snapshots(prefix)}*`,
                Condition: { StringEquals: memberPrincipals, Null: { "s3:if-none-match": "true" }, Bool: { "s3:ObjectCreationOperation": "true" } },
            },
            {
                // Only what the backup scripts do (PutObject covers the multipart upload's parts).
                Sid: "MembersOnlyReadListAndWrite",
                Effect: "Deny",
                Principal: "*",
                NotAction: ["s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: members,
            },
        ],
    };
}
