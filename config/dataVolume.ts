import { ConfigError } from "./errors";
import { SizingTier } from "./sizing";

/** The EBS volume that holds one member's etcd data directory. */
export interface DataVolumeSpec {
    type: "gp3";
    sizeGb: number;
    iops: number;
    throughputMBps: number;
}

/** What every gp3 volume gets at no extra cost; provisioning less is impossible, so never ask for less. */
export const GP3_BASELINE = Object.freeze({ iops: 3000, throughputMBps: 125 });

/**
 * gp3's limits as the EC2 API enforces them. AWS has since allowed larger gp3 volumes, but 16 TiB
 * is already far beyond what etcd's 8 GiB suggested quota can use.
 */
export const GP3_LIMITS = Object.freeze({
    maxSizeGb: 16384,
    maxIops: 80000,
    maxThroughputMBps: 2000,
    maxIopsPerGib: 500,
    maxMBpsPerIops: 0.25,
});

/**
 * The smallest data volume accepted: with the quota capped at half the volume, 20 GB is the least
 * that holds etcd's suggested 8 GiB quota and leaves the other half for the copy defragmentation
 * writes and for snapshots.
 */
const ETCD_MIN_SIZE_GB = 20;

/** The gp3 data volume for a tier, with the user's explicit settings winning. */
export function dataVolumeSpec(tier: SizingTier, overrides: { sizeGb?: number; iops?: number; throughputMBps?: number }): DataVolumeSpec {
    if (overrides.sizeGb !== undefined) {
        checkSize(overrides.sizeGb);
    }
    const sizeGb = overrides.sizeGb ?? tier.dataVolumeGb;

    if (overrides.iops !== undefined) {
        wholeNumberIn("dataVolumeIops", overrides.iops, GP3_BASELINE.iops, GP3_LIMITS.maxIops, "IOPS");
    }
    const iops = overrides.iops ?? Math.max(tier.iops, GP3_BASELINE.iops);
    if (iops > sizeGb * GP3_LIMITS.maxIopsPerGib) {
        // Blame the setting the user wrote: their IOPS if they gave it, else the size they shrank.
        const minSize = Math.ceil(iops / GP3_LIMITS.maxIopsPerGib);
        throw overrides.iops !== undefined
            ? new ConfigError(
                  "dataVolumeIops",
                  overrides.iops,
                  `gp3 allows at most ${GP3_LIMITS.maxIopsPerGib} IOPS per GiB, so a ${sizeGb} GB volume takes at most ${sizeGb * GP3_LIMITS.maxIopsPerGib}. Lower dataVolumeIops or set dataVolumeSizeGb to at least ${minSize}.`,
              )
            : new ConfigError(
                  "dataVolumeSizeGb",
                  sizeGb,
                  `The ${tier.name} tier needs ${iops} IOPS and gp3 allows at most ${GP3_LIMITS.maxIopsPerGib} IOPS per GiB; use at least ${minSize} GB, or set dataVolumeIops lower.`,
              );
    }

    if (overrides.throughputMBps !== undefined) {
        wholeNumberIn("dataVolumeThroughputMbps", overrides.throughputMBps, GP3_BASELINE.throughputMBps, GP3_LIMITS.maxThroughputMBps, "MB/s");
    }
    // gp3 takes whole MB/s; rounding up keeps the tier's figure a floor.
    const throughputMBps = overrides.throughputMBps ?? Math.max(Math.ceil(tier.throughputMBps), GP3_BASELINE.throughputMBps);
    if (throughputMBps > iops * GP3_LIMITS.maxMBpsPerIops) {
        const minIops = Math.ceil(throughputMBps / GP3_LIMITS.maxMBpsPerIops);
        throw overrides.throughputMBps !== undefined
            ? new ConfigError(
                  "dataVolumeThroughputMbps",
                  overrides.throughputMBps,
                  `gp3 allows at most ${GP3_LIMITS.maxMBpsPerIops} MB/s per provisioned IOPS, so ${iops} IOPS take at most ${iops * GP3_LIMITS.maxMBpsPerIops} MB/s. Lower dataVolumeThroughputMbps or set dataVolumeIops to at least ${minIops}.`,
              )
            : new ConfigError(
                  "dataVolumeIops",
                  iops,
                  `The ${tier.name} tier needs ${throughputMBps} MB/s and gp3 allows at most ${GP3_LIMITS.maxMBpsPerIops} MB/s per provisioned IOPS; use at least ${minIops} IOPS, or set dataVolumeThroughputMbps lower.`,
              );
    }

    return { type: "gp3", sizeGb, iops, throughputMBps };
}

function checkSize(sizeGb: number): void {
    wholeNumberIn("dataVolumeSizeGb", sizeGb, 1, GP3_LIMITS.maxSizeGb, "GB");
    if (sizeGb < ETCD_MIN_SIZE_GB) {
        throw new ConfigError(
            "dataVolumeSizeGb",
            sizeGb,
            `Use at least ${ETCD_MIN_SIZE_GB} GB: etcd's quota needs headroom (its suggested 8 GiB quota must fit in half the volume, the rest is for defragmentation and snapshots).`,
        );
    }
}

function wholeNumberIn(setting: string, value: number, min: number, max: number, unit: string): void {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new ConfigError(setting, shown(value), `gp3 takes a whole number of ${unit} from ${min} to ${max}.`);
    }
}

/** ConfigError prints values as JSON, where NaN and Infinity would read as null. */
function shown(value: unknown): unknown {
    return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}
