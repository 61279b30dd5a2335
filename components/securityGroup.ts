import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ETCD_PORTS, KEEPER_PORTS } from "../config/contract";

export interface EtcdSecurityGroupArgs {
    vpcId: pulumi.Input<string>;
    clientCidrs: string[];
    clientSecurityGroupIds: pulumi.Input<string>[];
    monitoringCidrs: string[];
    monitoringSecurityGroupIds: pulumi.Input<string>[];
    /** CIDRs allowed to the etcdkeeper UI (opt-in allow-list); none by default. */
    keeperCidrs: string[];
    tags: Record<string, string>;
}

/**
 * The members' security group. Ingress: peer port only between members; client port from the
 * members and the configured clients; metrics port only from configured monitoring sources; the etcdkeeper port only from its allow-list. No SSH
 * (operators use SSM Session Manager) and nothing from 0.0.0.0/0. Egress: HTTPS (SSM, KMS, S3,
 * the etcd mirror) and the etcd ports towards the other members.
 */
export class EtcdSecurityGroup extends pulumi.ComponentResource {
    public readonly securityGroupId: pulumi.Output<string>;

    constructor(name: string, args: EtcdSecurityGroupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("etcd:index:SecurityGroup", name, {}, opts);
        const parent = { parent: this };
        const group = new aws.ec2.SecurityGroup(
            name,
            { vpcId: args.vpcId, description: `etcd members of ${name}`, tags: { ...args.tags, Name: name } },
            parent,
        );
        const self = group.id;
        const ingress = (ruleName: string, port: number, description: pulumi.Input<string>, source: { cidrIpv4?: string; referencedSecurityGroupId?: pulumi.Input<string> }) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-${ruleName}`,
                { securityGroupId: group.id, ipProtocol: "tcp", fromPort: port, toPort: port, description, ...source, tags: args.tags },
                parent,
            );

        ingress("peer-from-members", ETCD_PORTS.peer, "etcd peer traffic between members", { referencedSecurityGroupId: self });
        ingress("client-from-members", ETCD_PORTS.client, "etcd clients: the members themselves", { referencedSecurityGroupId: self });
        args.clientCidrs.forEach((cidr, i) => ingress(`client-cidr-${i + 1}`, ETCD_PORTS.client, `etcd clients from ${cidr}`, { cidrIpv4: cidr }));
        args.clientSecurityGroupIds.forEach((sg, i) => ingress(`client-sg-${i + 1}`, ETCD_PORTS.client, pulumi.interpolate`etcd clients from ${sg}`, { referencedSecurityGroupId: sg }));
        args.monitoringCidrs.forEach((cidr, i) => ingress(`metrics-cidr-${i + 1}`, ETCD_PORTS.metrics, `etcd metrics scraped from ${cidr}`, { cidrIpv4: cidr }));
        args.monitoringSecurityGroupIds.forEach((sg, i) => ingress(`metrics-sg-${i + 1}`, ETCD_PORTS.metrics, pulumi.interpolate`etcd metrics scraped from ${sg}`, { referencedSecurityGroupId: sg }));
        args.keeperCidrs.forEach((cidr, i) => ingress(`keeper-cidr-${i + 1}`, KEEPER_PORTS.host, `etcdkeeper UI (no login) from ${cidr}`, { cidrIpv4: cidr }));

        new aws.vpc.SecurityGroupEgressRule(
            `${name}-https-out`,
            { securityGroupId: group.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS to SSM, KMS, S3 and the etcd mirror", tags: args.tags },
            parent,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-etcd-out`,
            { securityGroupId: group.id, ipProtocol: "tcp", fromPort: ETCD_PORTS.client, toPort: ETCD_PORTS.peer, referencedSecurityGroupId: self, description: "etcd client and peer traffic to the other members", tags: args.tags },
            parent,
        );

        this.securityGroupId = group.id;
        this.registerOutputs({ securityGroupId: this.securityGroupId });
    }
}
