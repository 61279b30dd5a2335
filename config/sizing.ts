import { ConfigError } from "./errors";

/** etcd's hardware guidance for one range of Kubernetes cluster sizes. */
export interface SizingTier {
    name: string;
    /** Smallest Kubernetes node count of the range, inclusive. */
    minNodes: number;
    /** Largest Kubernetes node count of the range, inclusive. */
    maxNodes: number;
    vcpu: number;
    memoryGib: number;
    /** SSD size for the data directory, in GB. */
    dataVolumeGb: number;
    /** Concurrent IOPS the data disk must sustain. */
    iops: number;
    /** Disk throughput the data disk must sustain, in MB/s. */
    throughputMBps: number;
}

/**
 * etcd's hardware table by Kubernetes node count (the seed document, and etcd's op-guide/hardware.md
 * for the disk targets). Ranges are contiguous and ascending, so the first range that holds a count
 * is the only one.
 *
 * The seed gives 15 vCPU for the largest tier. etcd's own guide uses 16 (its AWS example is
 * m4.4xlarge), and no current instance shape has 15, so the table says 16.
 */
export const SIZING_TIERS: readonly SizingTier[] = Object.freeze(
    [
        { name: "small", minNodes: 1, maxNodes: 50, vcpu: 2, memoryGib: 8, dataVolumeGb: 50, iops: 3600, throughputMBps: 56.25 },
        { name: "medium", minNodes: 51, maxNodes: 250, vcpu: 4, memoryGib: 16, dataVolumeGb: 150, iops: 6000, throughputMBps: 93.75 },
        { name: "large", minNodes: 251, maxNodes: 1000, vcpu: 8, memoryGib: 32, dataVolumeGb: 250, iops: 8000, throughputMBps: 125 },
        { name: "xlarge", minNodes: 1001, maxNodes: 3000, vcpu: 16, memoryGib: 64, dataVolumeGb: 500, iops: 16000, throughputMBps: 250 },
    ].map((tier) => Object.freeze(tier)),
);

const LARGEST_DOCUMENTED = SIZING_TIERS[SIZING_TIERS.length - 1].maxNodes;

/** The tier of etcd's table whose range holds the given Kubernetes node count. */
export function tierForNodeCount(kubernetesNodeCount: number): SizingTier {
    if (!Number.isInteger(kubernetesNodeCount) || kubernetesNodeCount < 1) {
        throw new ConfigError(
            "kubernetesNodeCount",
            shown(kubernetesNodeCount),
            `Use the whole number of Kubernetes nodes that will use this etcd cluster, from 1 to ${LARGEST_DOCUMENTED}.`,
        );
    }
    const tier = SIZING_TIERS.find((t) => kubernetesNodeCount >= t.minNodes && kubernetesNodeCount <= t.maxNodes);
    if (!tier) {
        // Guessing beyond the table would hide that nobody has measured such a cluster; ask instead.
        throw new ConfigError(
            "kubernetesNodeCount",
            kubernetesNodeCount,
            `etcd's hardware guide documents no tier above ${LARGEST_DOCUMENTED} nodes. Set instanceType, dataVolumeSizeGb, dataVolumeIops and dataVolumeThroughputMbps explicitly for clusters above ${LARGEST_DOCUMENTED} nodes.`,
        );
    }
    return tier;
}

/** ConfigError prints values as JSON, where NaN and Infinity would read as null. */
function shown(value: unknown): unknown {
    return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}
