import { EtcdClusterArgs } from "./clusterArgs";
import { DataVolumeSpec, dataVolumeSpec } from "./dataVolume";
import { ConfigError } from "./errors";
import { chooseInstanceType, DEFAULT_INSTANCE_FAMILY, InstanceFacts, instanceFacts, INSTANCE_FACTS } from "./instanceTypes";
import { SizingTier, SIZING_TIERS, tierForNodeCount } from "./sizing";

/** What the sizing settings resolved to; a stack output and part of the offline plan. */
export interface SizingDecision {
    kubernetesNodeCount: number;
    /** The table's tier, or "custom" when explicit settings replace a missing tier (>3000 nodes). */
    tier: string;
    instanceType: string;
    arch: "arm64" | "amd64";
    vcpu: number;
    memoryGib: number;
    volume: DataVolumeSpec;
    /** One sentence per choice, for people reading a plan. */
    reasons: string[];
}

export const DEFAULT_KUBERNETES_NODE_COUNT = 50;
/**
 * The most Kubernetes nodes accepted with explicit sizing, above etcd's table. No Kubernetes cluster
 * comes near a million nodes; the bound keeps the setting within the 32-bit integer that C# and Java
 * make of the schema's "integer" (tests/unit/schemaIntegers.test.ts).
 */
export const MAX_KUBERNETES_NODE_COUNT = 1_000_000;

const LARGEST_TIER = SIZING_TIERS[SIZING_TIERS.length - 1];

/** Picks instance and data volume from etcd's table, letting explicit settings win. */
export function decideSizing(args: EtcdClusterArgs): SizingDecision {
    return sizingWithWarnings(args).decision;
}

/**
 * The sizing decision and what a reviewer should be warned of: an explicit instance type below
 * etcd's guidance is allowed (an explicit choice wins) but said. The model only returns the words;
 * the component logs them.
 */
export function sizingWithWarnings(args: EtcdClusterArgs): { decision: SizingDecision; warnings: string[] } {
    const nodeCount = args.kubernetesNodeCount ?? DEFAULT_KUBERNETES_NODE_COUNT;
    const throughputMbps = throughputSetting(args);
    const tier = tierOrCustom(nodeCount, args, throughputMbps);
    const volume = dataVolumeSpec(tier, {
        sizeGb: args.dataVolumeSizeGb,
        iops: args.dataVolumeIops,
        throughputMBps: throughputMbps,
    });
    // The instance must sustain at baseline what etcd needs: the tier's figures, or the user's own.
    const need = {
        vcpu: tier.vcpu,
        memoryGib: tier.memoryGib,
        iops: args.dataVolumeIops ?? tier.iops,
        throughputMBps: throughputMbps ?? tier.throughputMBps,
    };
    const instance = args.instanceType
        ? explicitInstance(args.instanceType, need)
        : chooseInstanceType(args.instanceFamily ?? DEFAULT_INSTANCE_FAMILY, need);
    const warnings =
        instance.vcpu < need.vcpu || instance.memoryGib < need.memoryGib
            ? [`instanceType ${instance.type} (${instance.vcpu} vCPU, ${instance.memoryGib} GiB) is below etcd's guidance of ${need.vcpu} vCPU / ${need.memoryGib} GiB for this cluster size.`]
            : [];

    const reasons = [
        tier.name === "custom"
            ? `${nodeCount} Kubernetes nodes is above etcd's table; using the explicit settings.`
            : `${nodeCount} Kubernetes nodes -> tier ${tier.name}: ${tier.vcpu} vCPU, ${tier.memoryGib} GiB, ${tier.dataVolumeGb} GB SSD.`,
        args.instanceType
            ? `instanceType ${instance.type} was set explicitly.`
            : `${instance.type} is the smallest ${instance.family} type with ${need.vcpu} vCPU, ${need.memoryGib} GiB and baseline EBS of ${need.iops} IOPS / ${need.throughputMBps} MB/s.`,
        `Data volume: gp3 ${volume.sizeGb} GB, ${volume.iops} IOPS, ${volume.throughputMBps} MB/s, encrypted.`,
    ];
    const decision: SizingDecision = {
        kubernetesNodeCount: nodeCount,
        tier: tier.name,
        instanceType: instance.type,
        arch: instance.arch,
        vcpu: instance.vcpu,
        memoryGib: instance.memoryGib,
        volume,
        reasons,
    };
    return { decision, warnings };
}

/** dataVolumeThroughputMbps, or its former name dataVolumeThroughputMBps; never both. */
function throughputSetting(args: EtcdClusterArgs): number | undefined {
    if (args.dataVolumeThroughputMbps !== undefined && args.dataVolumeThroughputMBps !== undefined) {
        throw new ConfigError("dataVolumeThroughputMBps", args.dataVolumeThroughputMBps, "It is the former name of dataVolumeThroughputMbps, which is set too: keep only dataVolumeThroughputMbps.");
    }
    return args.dataVolumeThroughputMbps ?? args.dataVolumeThroughputMBps;
}

function tierOrCustom(nodeCount: number, args: EtcdClusterArgs, throughputMbps: number | undefined): SizingTier {
    const fullyExplicit =
        args.instanceType !== undefined &&
        args.dataVolumeSizeGb !== undefined &&
        args.dataVolumeIops !== undefined &&
        throughputMbps !== undefined;
    if (fullyExplicit && Number.isInteger(nodeCount) && nodeCount > LARGEST_TIER.maxNodes) {
        if (nodeCount > MAX_KUBERNETES_NODE_COUNT) {
            throw new ConfigError("kubernetesNodeCount", nodeCount, `Use at most ${MAX_KUBERNETES_NODE_COUNT}: no Kubernetes cluster comes near that many nodes.`);
        }
        return {
            ...LARGEST_TIER,
            name: "custom",
            minNodes: LARGEST_TIER.maxNodes + 1,
            maxNodes: nodeCount,
            dataVolumeGb: args.dataVolumeSizeGb!,
            iops: args.dataVolumeIops!,
            throughputMBps: throughputMbps!,
        };
    }
    return tierForNodeCount(nodeCount);
}

function explicitInstance(
    type: string,
    need: { vcpu: number; memoryGib: number; iops: number; throughputMBps: number },
): InstanceFacts {
    const facts = instanceFacts(type);
    if (!facts) {
        const known = INSTANCE_FACTS.map((f) => f.type).join(", ");
        throw new ConfigError(
            "instanceType",
            type,
            `Use a type whose EBS bandwidth this package knows (${known}), or set instanceFamily instead.`,
        );
    }
    if (facts.ebsBaselineIops < need.iops || facts.ebsBaselineMBps < need.throughputMBps) {
        throw new ConfigError(
            "instanceType",
            type,
            `${type} sustains ${facts.ebsBaselineIops} IOPS / ${facts.ebsBaselineMBps} MB/s of EBS at baseline but the data volume needs ${need.iops} IOPS / ${need.throughputMBps} MB/s; choose a larger type or lower dataVolumeIops / dataVolumeThroughputMbps.`,
        );
    }
    return facts;
}
