import { METRICS, s3Keys, ssmParameters } from "../config/contract";

/**
 * The IAM policy of one member's instance role, as a pure function so tests can read it exactly.
 * A member may read only its own certificate parameters and the cluster's CA, and may decrypt only
 * those (KMS encryption context pins the parameter ARN), plus what the SSM agent needs for Session
 * Manager and Run Command (the health gate). Nothing else: no wildcard on parameters or keys.
 */
export interface MemberPolicyInput {
    partition: string;
    region: string;
    accountId: string;
    /** SSM prefix of the cluster, e.g. /etcd/proj/prod/main */
    parameterPrefix: string;
    memberName: string;
    kmsKeyArn: string;
    /** The member runs the etcdkeeper UI: it may read the UI's certificate too. */
    keeper?: boolean;
    /** Where the member writes snapshots, under which key (backupKmsKeyArn, else the cluster's); absent when backups are off. */
    backup?: { bucketArn: string; prefix: string; kmsKeyArn: string; restoreFrom?: string; restoreKmsKeyArn?: string };
}

const parameterArn = (input: MemberPolicyInput, name: string) => `arn:${input.partition}:ssm:${input.region}:${input.accountId}:parameter${name}`;

export function memberParameterArns(input: MemberPolicyInput): string[] {
    const arn = (name: string) => parameterArn(input, name);
    const prefix = input.parameterPrefix;
    return [
        arn(ssmParameters.ca(prefix)),
        arn(`${ssmParameters.memberDir(prefix, input.memberName)}/*`),
        ...(input.keeper ? [arn(`${ssmParameters.keeperDir(prefix)}/*`)] : []),
    ];
}

export function memberPolicyDocument(input: MemberPolicyInput): object {
    const parameterArns = memberParameterArns(input);
    const clusterIds = parameterArn(input, ssmParameters.clusterIds(input.parameterPrefix));
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadOwnCertificates",
                Effect: "Allow",
                Action: ["ssm:GetParameter", "ssm:GetParameters"],
                Resource: parameterArns,
            },
            {
                Sid: "DecryptOwnCertificateKeys",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: input.kmsKeyArn,
                Condition: {
                    StringEquals: { "kms:ViaService": `ssm.${input.region}.amazonaws.com` },
                    StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameterArns },
                },
            },
            {
                // etcd-record-formed writes the formed record; etcd-choose-state reads it.
                Sid: "RecordClusterFormed",
                Effect: "Allow",
                Action: ["ssm:GetParameter", "ssm:PutParameter"],
                Resource: parameterArn(input, ssmParameters.clusterFormed(input.parameterPrefix)),
            },
            {
                // etcd-record-formed adds its cluster's id under the ids path ...
                Sid: "RecordClusterIds",
                Effect: "Allow",
                Action: "ssm:PutParameter",
                Resource: `${clusterIds}/*`,
            },
            {
                // ... and a restore of "latest" lists them (authorized on the path itself).
                Sid: "ListClusterIds",
                Effect: "Allow",
                Action: "ssm:GetParametersByPath",
                Resource: clusterIds,
            },
            {
                // ... but never replaces one: a compromised member could otherwise make every real
                // snapshot look foreign to a restore of "latest". It can only add ids.
                Sid: "ClusterIdsAreWriteOnce",
                Effect: "Deny",
                Action: "ssm:PutParameter",
                Resource: `${clusterIds}/*`,
                Condition: { StringEquals: { "ssm:Overwrite": "true" } },
            },
            {
                // etcd-fetch-roster reads who the members are; only the program writes it.
                Sid: "ReadRoster",
                Effect: "Allow",
                Action: "ssm:GetParameter",
                Resource: parameterArn(input, ssmParameters.roster(input.parameterPrefix)),
            },
            {
                // The SSM agent's own calls; these APIs take no resource-level scoping.
                Sid: "SsmAgent",
                Effect: "Allow",
                Action: [
                    "ssm:UpdateInstanceInformation",
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                    "ec2messages:AcknowledgeMessage",
                    "ec2messages:DeleteMessage",
                    "ec2messages:FailMessage",
                    "ec2messages:GetEndpoint",
                    "ec2messages:GetMessages",
                    "ec2messages:SendReply",
                ],
                Resource: "*",
            },
            {
                // Certificate expiry (etcd-cert-expiry) and, with backups, backup age and quota use;
                // PutMetricData takes no resource, so the namespace is the scope.
                Sid: "PublishMetrics",
                Effect: "Allow",
                Action: "cloudwatch:PutMetricData",
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": METRICS.namespace } },
            },
            ...(input.backup ? backupStatements(input, input.backup) : []),
        ],
    };
}

/**
 * Backups: read under the cluster's prefix, create new snapshots only (never replace one), never
 * delete (retention is the bucket's lifecycle rule), and use the key only through S3.
 */
function backupStatements(input: MemberPolicyInput, backup: NonNullable<MemberPolicyInput["backup"]>): object[] {
    const snapshots = `${backup.bucketArn}/${s3Keys.snapshots(backup.prefix)}*`;
    const restoreObject = backup.restoreFrom?.startsWith("s3://") ? backup.restoreFrom.slice("s3://".length) : undefined;
    const restoreStatements = restoreObject
        ? [
              {
                  // Disaster recovery from another cluster's snapshot: that object and its manifest only.
                  Sid: "ReadRestoreSnapshot",
                  Effect: "Allow",
                  Action: "s3:GetObject",
                  Resource: [`arn:${input.partition}:s3:::${restoreObject}`, `arn:${input.partition}:s3:::${s3Keys.snapshotManifest(restoreObject)}`],
              },
              ...(backup.restoreKmsKeyArn
                  ? [
                        {
                            // ... encrypted with that cluster's key: decrypt only, and only through S3.
                            Sid: "DecryptRestoreSnapshot",
                            Effect: "Allow",
                            Action: "kms:Decrypt",
                            Resource: backup.restoreKmsKeyArn,
                            Condition: { StringEquals: { "kms:ViaService": `s3.${input.region}.amazonaws.com` } },
                        },
                    ]
                  : []),
          ]
        : [];
    return [
        ...restoreStatements,
        {
            // The snapshots and the node scripts beside them.
            Sid: "ReadOwnObjects",
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: `${backup.bucketArn}/${backup.prefix}/*`,
        },
        {
            // New snapshots only, never the node scripts (the program's): a PutObject or
            // CompleteMultipartUpload only with S3's conditional write (If-None-Match: *), which
            // refuses an existing key, so no snapshot can be replaced. The bucket policy demands it too.
            Sid: "WriteOwnSnapshots",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: snapshots,
            Condition: { Null: { "s3:if-none-match": "false" } },
        },
        {
            // ... and the rest of a multipart upload (a snapshot over 5 GiB): CreateMultipartUpload,
            // UploadPart and UploadPartCopy take no conditional header and create no object; the upload
            // becomes an object only through the conditional CompleteMultipartUpload above.
            Sid: "UploadSnapshotParts",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: snapshots,
            Condition: { Bool: { "s3:ObjectCreationOperation": "false" } },
        },
        {
            // A failed multipart upload is aborted at once (its parts are no object; the lifecycle rule
            // would remove them after a day anyway).
            Sid: "AbortSnapshotUploads",
            Effect: "Allow",
            Action: "s3:AbortMultipartUpload",
            Resource: snapshots,
        },
        {
            Sid: "ListOwnSnapshots",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: backup.bucketArn,
            Condition: { StringLike: { "s3:prefix": [`${backup.prefix}/*`] } },
        },
        {
            Sid: "EncryptSnapshots",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            // With a backup key of its own, the cluster's key too: the bucket holds snapshots written
            // under it before the switch (restoreFrom: latest may pick one), and members not yet
            // rolled to the new key upload under it until their turn.
            Resource: backup.kmsKeyArn === input.kmsKeyArn ? backup.kmsKeyArn : [backup.kmsKeyArn, input.kmsKeyArn],
            Condition: { StringEquals: { "kms:ViaService": `s3.${input.region}.amazonaws.com` } },
        },
    ];
}
