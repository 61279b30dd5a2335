import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";

export interface EtcdVpcArgs {
    cidr: string;
    /** One private subnet is made per zone. */
    availabilityZones: pulumi.Input<string[]>;
    zoneCount: number;
    /** A NAT gateway lets nodes download etcd and reach SSM without VPC interface endpoints. */
    natGateway: boolean;
    tags: Record<string, string>;
}

/**
 * A VPC made for etcd when the user brings none: private subnets (one per zone) for the members,
 * one small public subnet for the NAT gateway, and an S3 gateway endpoint so S3 traffic (package
 * repositories, backups) stays off the NAT.
 */
export class EtcdVpc extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string>[];
    public readonly privateSubnetZones: pulumi.Output<string>[];

    constructor(name: string, args: EtcdVpcArgs, opts?: pulumi.ComponentResourceOptions) {
        super("etcd:index:Vpc", name, {}, opts);
        const parent = { parent: this };
        const blocks = splitCidr(args.cidr, 8);
        const vpc = new aws.ec2.Vpc(
            `${name}`,
            { cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...args.tags, Name: name } },
            parent,
        );
        const zones = pulumi.output(args.availabilityZones);
        const privateRoutes = new aws.ec2.RouteTable(`${name}-private`, { vpcId: vpc.id, tags: { ...args.tags, Name: `${name}-private` } }, parent);

        this.privateSubnetIds = [];
        this.privateSubnetZones = [];
        for (let i = 0; i < args.zoneCount; i++) {
            const zone = zones.apply((z) => z[i]);
            const subnet = new aws.ec2.Subnet(
                `${name}-private-${i + 1}`,
                { vpcId: vpc.id, cidrBlock: blocks[i], availabilityZone: zone, tags: { ...args.tags, Name: `${name}-private-${i + 1}` } },
                parent,
            );
            new aws.ec2.RouteTableAssociation(`${name}-private-${i + 1}`, { subnetId: subnet.id, routeTableId: privateRoutes.id }, parent);
            this.privateSubnetIds.push(subnet.id);
            this.privateSubnetZones.push(subnet.availabilityZone);
        }

        new aws.ec2.VpcEndpoint(
            `${name}-s3`,
            { vpcId: vpc.id, serviceName: pulumi.interpolate`com.amazonaws.${aws.getRegionOutput().region}.s3`, vpcEndpointType: "Gateway", routeTableIds: [privateRoutes.id], tags: { ...args.tags, Name: `${name}-s3` } },
            parent,
        );

        if (args.natGateway) {
            const igw = new aws.ec2.InternetGateway(`${name}`, { vpcId: vpc.id, tags: { ...args.tags, Name: name } }, parent);
            const publicSubnet = new aws.ec2.Subnet(
                `${name}-public`,
                { vpcId: vpc.id, cidrBlock: blocks[7], availabilityZone: zones.apply((z) => z[0]), tags: { ...args.tags, Name: `${name}-public` } },
                parent,
            );
            const publicRoutes = new aws.ec2.RouteTable(
                `${name}-public`,
                { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { ...args.tags, Name: `${name}-public` } },
                parent,
            );
            new aws.ec2.RouteTableAssociation(`${name}-public`, { subnetId: publicSubnet.id, routeTableId: publicRoutes.id }, parent);
            const eip = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags: { ...args.tags, Name: `${name}-nat` } }, parent);
            const nat = new aws.ec2.NatGateway(
                `${name}`,
                { subnetId: publicSubnet.id, allocationId: eip.id, tags: { ...args.tags, Name: name } },
                { parent: this, dependsOn: [igw] },
            );
            new aws.ec2.Route(`${name}-private-egress`, { routeTableId: privateRoutes.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id }, parent);
        }

        this.vpcId = vpc.id;
        this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
    }
}

/** Splits a CIDR into `parts` (a power of two) equal blocks, in address order. */
export function splitCidr(cidr: string, parts: number): string[] {
    const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    const extraBits = Math.log2(parts);
    const newPrefix = prefix + extraBits;
    const base = ipv4ToNumber(address.toString()) & prefixMask(prefix);
    const size = 2 ** (32 - newPrefix);
    return Array.from({ length: parts }, (_, i) => `${numberToIpv4(base + i * size)}/${newPrefix}`);
}

function prefixMask(prefix: number): number {
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function ipv4ToNumber(ip: string): number {
    return ipaddr.IPv4.parse(ip).toByteArray().reduce((n, byte) => n * 256 + byte, 0);
}

function numberToIpv4(n: number): string {
    return ipaddr.IPv4.parse(String(n >>> 0)).toString();
}
