/**
 * The key policy of the cluster's own KMS key, as a pure function so tests can read it exactly.
 *
 * - The account administers the key and grants its use through IAM (the root statement AWS's own
 *   default policy has): the deployer encrypts volumes through EC2, and the members' roles decrypt
 *   with the narrow grants of components/memberPolicy.ts.
 * - The members (principals tagged with this cluster) use it only through the services they
 *   reach it by: SSM (their SecureString keys) and S3 (snapshots). A member's credentials cannot
 *   call KMS directly, whatever an IAM policy may grant them later.
 */
export interface KeyPolicyInput {
    partition: string;
    region: string;
    accountId: string;
    /** The tag every resource of the cluster carries (CLUSTER_TAG): the members' roles carry it too. */
    clusterTagKey: string;
    clusterTag: string;
}

export function keyPolicyDocument(input: KeyPolicyInput): object {
    const account = `arn:${input.partition}:iam::${input.accountId}:root`;
    const services = [`ssm.${input.region}.amazonaws.com`, `s3.${input.region}.amazonaws.com`];
    const member = { [`aws:PrincipalTag/${input.clusterTagKey}`]: input.clusterTag };
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AccountAdministersAndGrantsThroughIam", Effect: "Allow", Principal: { AWS: account }, Action: "kms:*", Resource: "*" },
            {
                Sid: "MembersOnlyThroughTheirServices",
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: "kms:*",
                Resource: "*",
                // A missing kms:ViaService (a direct call) does not equal any service: denied.
                Condition: { StringEquals: member, StringNotEquals: { "kms:ViaService": services } },
            },
        ],
    };
}
