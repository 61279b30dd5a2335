import { ConfigError } from "./errors";

/** What the instance choice needs to know about one EC2 instance type. */
export interface InstanceFacts {
    type: string;
    family: string;
    arch: "arm64" | "amd64";
    vcpu: number;
    memoryGib: number;
    /** EBS bandwidth the instance sustains indefinitely, in MB/s (AWS publishes Mbps; MB/s = Mbps / 8). */
    ebsBaselineMBps: number;
    /** EBS IOPS (16 KiB I/O) the instance sustains indefinitely. */
    ebsBaselineIops: number;
}

/** The etcd need an instance must cover: the tier's figures, or the user's explicit volume settings. */
interface InstanceNeed {
    vcpu: number;
    memoryGib: number;
    throughputMBps: number;
    iops: number;
}

/**
 * m7g (Graviton3): on-demand it costs about 20% less than m7i per vCPU-hour for the same shape
 * (us-east-1 list prices when written: m7g.large $0.0816/h, m7i.large $0.1008/h), and etcd
 * publishes official linux-arm64 release tarballs, so nothing is lost by choosing it.
 */
export const DEFAULT_INSTANCE_FAMILY = "m7g";

function facts(type: string, arch: InstanceFacts["arch"], vcpu: number, memoryGib: number, ebsBaselineMbps: number, ebsBaselineIops: number): InstanceFacts {
    return Object.freeze({
        type,
        family: type.split(".")[0],
        arch,
        vcpu,
        memoryGib,
        ebsBaselineMBps: ebsBaselineMbps / 8,
        ebsBaselineIops,
    });
}

/**
 * Current-generation general-purpose (m) and memory-optimized (r) families, large to 8xlarge.
 * EBS figures are AWS's published EBS-optimized *baseline* bandwidth (Mbps) and IOPS from the
 * "Amazon EC2 Instance Types" guide, Amazon EBS specifications; the smaller sizes burst above
 * them for a while, which etcd's steady fsync load cannot rely on.
 */
export const INSTANCE_FACTS: readonly InstanceFacts[] = Object.freeze([
    facts("m7g.large", "arm64", 2, 8, 630, 3600),
    facts("m7g.xlarge", "arm64", 4, 16, 1250, 6000),
    facts("m7g.2xlarge", "arm64", 8, 32, 2500, 12000),
    facts("m7g.4xlarge", "arm64", 16, 64, 5000, 20000),
    facts("m7g.8xlarge", "arm64", 32, 128, 10000, 40000),

    facts("m7i.large", "amd64", 2, 8, 650, 3600),
    facts("m7i.xlarge", "amd64", 4, 16, 1250, 6000),
    facts("m7i.2xlarge", "amd64", 8, 32, 2500, 12000),
    facts("m7i.4xlarge", "amd64", 16, 64, 5000, 20000),
    facts("m7i.8xlarge", "amd64", 32, 128, 10000, 40000),

    // Graviton2: lower EBS baselines than m7g from xlarge up.
    facts("m6g.large", "arm64", 2, 8, 630, 3600),
    facts("m6g.xlarge", "arm64", 4, 16, 1188, 6000),
    facts("m6g.2xlarge", "arm64", 8, 32, 2375, 12000),
    facts("m6g.4xlarge", "arm64", 16, 64, 4750, 20000),
    facts("m6g.8xlarge", "arm64", 32, 128, 9500, 40000),

    facts("m6i.large", "amd64", 2, 8, 650, 3600),
    facts("m6i.xlarge", "amd64", 4, 16, 1250, 6000),
    facts("m6i.2xlarge", "amd64", 8, 32, 2500, 12000),
    facts("m6i.4xlarge", "amd64", 16, 64, 5000, 20000),
    facts("m6i.8xlarge", "amd64", 32, 128, 10000, 40000),

    // Memory-optimized: twice the memory per vCPU, same EBS baselines as the m family of the same generation.
    facts("r7g.large", "arm64", 2, 16, 630, 3600),
    facts("r7g.xlarge", "arm64", 4, 32, 1250, 6000),
    facts("r7g.2xlarge", "arm64", 8, 64, 2500, 12000),
    facts("r7g.4xlarge", "arm64", 16, 128, 5000, 20000),
    facts("r7g.8xlarge", "arm64", 32, 256, 10000, 40000),

    facts("r7i.large", "amd64", 2, 16, 650, 3600),
    facts("r7i.xlarge", "amd64", 4, 32, 1250, 6000),
    facts("r7i.2xlarge", "amd64", 8, 64, 2500, 12000),
    facts("r7i.4xlarge", "amd64", 16, 128, 5000, 20000),
    facts("r7i.8xlarge", "amd64", 32, 256, 10000, 40000),
]);

const KNOWN_FAMILIES: readonly string[] = [...new Set(INSTANCE_FACTS.map((f) => f.family))];

/** The facts of one instance type, or undefined when this package does not know its EBS bandwidth. */
export function instanceFacts(type: string): InstanceFacts | undefined {
    return INSTANCE_FACTS.find((f) => f.type === type);
}

/**
 * The smallest type of the family (by vCPU, then memory) that meets the need.
 *
 * Rule: the instance must sustain, at its *baseline* EBS performance, the IOPS and throughput etcd
 * needs (the tier's figures, or the user's explicit dataVolumeIops / dataVolumeThroughputMbps).
 * The gp3 volume may be provisioned above that (gp3 includes 3000 IOPS and 125 MB/s at no cost);
 * the instance reaches those figures only in bursts, which is fine because etcd does not depend on them.
 */
export function chooseInstanceType(family: string, need: InstanceNeed): InstanceFacts {
    const sizes = sizesOf(family);
    if (sizes.length === 0) {
        throw new ConfigError("instanceFamily", family, `Use one of the known families: ${KNOWN_FAMILIES.join(", ")}.`);
    }
    const fit = sizes.find((f) => meets(f, need));
    if (!fit) {
        const largest = sizes[sizes.length - 1];
        throw new ConfigError(
            "instanceFamily",
            family,
            `No ${family} size meets ${describeNeed(need)}; the largest, ${largest.type}, has ${describeFacts(largest)}. ${alternatives(family, need)}`,
        );
    }
    return fit;
}

function sizesOf(family: string): InstanceFacts[] {
    return INSTANCE_FACTS.filter((f) => f.family === family).sort((a, b) => a.vcpu - b.vcpu || a.memoryGib - b.memoryGib);
}

function meets(f: InstanceFacts, need: InstanceNeed): boolean {
    return (
        f.vcpu >= need.vcpu &&
        f.memoryGib >= need.memoryGib &&
        f.ebsBaselineMBps >= need.throughputMBps &&
        f.ebsBaselineIops >= need.iops
    );
}

/** Which other family or explicit type would do, or what to lower when nothing known would. */
function alternatives(family: string, need: InstanceNeed): string {
    const fits = KNOWN_FAMILIES.filter((other) => other !== family)
        .map((other) => sizesOf(other).find((f) => meets(f, need)))
        .filter((f): f is InstanceFacts => f !== undefined);
    if (fits.length === 0) {
        return "No instance type this package knows sustains that at baseline; lower dataVolumeIops or dataVolumeThroughputMbps (or the cluster size).";
    }
    const families = fits.map((f) => `${f.family} (${f.type})`).join(", ");
    const types = fits.map((f) => f.type).join(", ");
    return `Set instanceFamily to a family that has one: ${families}; or set instanceType explicitly to one of ${types}.`;
}

function describeNeed(need: InstanceNeed): string {
    return `${need.vcpu} vCPU, ${need.memoryGib} GiB and a baseline EBS of ${need.iops} IOPS / ${need.throughputMBps} MB/s`;
}

function describeFacts(f: InstanceFacts): string {
    return `${f.vcpu} vCPU, ${f.memoryGib} GiB and a baseline EBS of ${f.ebsBaselineIops} IOPS / ${f.ebsBaselineMBps} MB/s`;
}
