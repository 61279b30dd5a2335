import { s3Keys } from "../config/contract";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { backupScriptChecksums } from "./render/memberEnv";

/**
 * The backup, restore and defragmentation scripts as objects under `<prefix>/node-scripts/` of the
 * backup bucket: EC2 user data cannot hold them (16 KB), so node/etcd-fetch-scripts installs them at
 * boot and checks each against the sha256 in member.env.
 */
export function backupScriptObjects(
    name: string,
    args: {
        bucketName: pulumi.Input<string>;
        prefix: string;
        kmsKeyArn: pulumi.Input<string>;
        tags: Record<string, string>;
        /**
         * The bucket keeps every version of an object for a while (default retention in governance
         * mode: the component's bucket with object lock). Deleting an object in a versioned bucket
         * deletes all its versions, and a retained version refuses unless the delete bypasses the
         * governance retention: forceDestroy makes the provider send that bypass (the deployer needs
         * s3:BypassGovernanceRetention), so a script a release drops, or all of them when backups are
         * turned off, can still be removed. The scripts are the program's code, not data: nothing is
         * lost that the next deployment would not write again.
         */
        retainedVersions: boolean;
    },
    opts: pulumi.CustomResourceOptions,
): aws.s3.BucketObjectv2[] {
    return backupScriptChecksums().map(
        ({ name: script, content }) =>
            new aws.s3.BucketObjectv2(
                `${name}-${script}`,
                {
                    bucket: args.bucketName,
                    key: `${s3Keys.nodeScripts(args.prefix)}/${script}`,
                    content,
                    contentType: "text/x-shellscript",
                    serverSideEncryption: "aws:kms",
                    kmsKeyId: args.kmsKeyArn,
                    tags: args.tags,
                    forceDestroy: args.retainedVersions,
                },
                opts,
            ),
    );
}
