import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KEEPER_PORTS, keeperUrl, ssmParameters } from "../config/contract";

/**
 * The etcdkeeper UI's AWS side: its client certificate as SSM parameters the members fetch (the key
 * KMS-encrypted), and the outputs that tell an operator how to open it. The container itself is
 * rendered into each member's user data (components/render/keeper.ts).
 */

export function keeperCertificateParameters(
    name: string,
    args: { parameterPrefix: string; certPem: pulumi.Output<string>; keyPem: pulumi.Output<string>; kmsKeyArn: pulumi.Input<string>; tags: Record<string, string> },
    opts: pulumi.CustomResourceOptions,
): aws.ssm.Parameter[] {
    return [
        new aws.ssm.Parameter(`${name}-keeper-cert`, { name: ssmParameters.keeperCert(args.parameterPrefix), type: "String", value: args.certPem, description: `etcd ${name}: etcdkeeper UI client certificate`, tags: args.tags }, opts),
        new aws.ssm.Parameter(
            `${name}-keeper-key`,
            { name: ssmParameters.keeperKey(args.parameterPrefix), type: "SecureString", keyId: args.kmsKeyArn, value: pulumi.secret(args.keyPem), description: `etcd ${name}: etcdkeeper UI client key`, tags: args.tags },
            opts,
        ),
    ];
}

/** Where the UI answers: through the port forward on the operator's machine, or on each member's address when allow-listed. */
export function keeperUrls(allowListed: boolean, memberIps: string[]): string[] {
    return allowListed ? memberIps.map(keeperUrl) : [keeperUrl("localhost")];
}

/** The one command that forwards localhost:8888 to the UI on a member's loopback. */
export function keeperPortForwardCommand(region: string, instanceId: string): string {
    const port = String(KEEPER_PORTS.host);
    return `aws ssm start-session --region ${region} --target ${instanceId} --document-name AWS-StartPortForwardingSession --parameters '{"portNumber":["${port}"],"localPortNumber":["${port}"]}'`;
}
