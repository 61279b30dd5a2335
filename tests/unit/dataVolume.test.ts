import fc from "fast-check";
import { dataVolumeSpec, DataVolumeSpec, GP3_BASELINE } from "../../config/dataVolume";
import { ConfigError } from "../../config/errors";
import { SIZING_TIERS, SizingTier, tierForNodeCount } from "../../config/sizing";
import { refusal } from "../helpers/refusal";


const tier = (name: string): SizingTier => SIZING_TIERS.find((t) => t.name === name)!;
const small = tier("small");
const medium = tier("medium");
const xlarge = tier("xlarge");

/** Everything AWS would refuse when creating the volume. */
function isValidGp3(spec: DataVolumeSpec): boolean {
    return (
        spec.type === "gp3" &&
        Number.isInteger(spec.sizeGb) &&
        spec.sizeGb >= 20 &&
        spec.sizeGb <= 16384 &&
        Number.isInteger(spec.iops) &&
        spec.iops >= 3000 &&
        spec.iops <= 80000 &&
        spec.iops <= 500 * spec.sizeGb &&
        Number.isInteger(spec.throughputMBps) &&
        spec.throughputMBps >= 125 &&
        spec.throughputMBps <= 2000 &&
        spec.throughputMBps <= 0.25 * spec.iops
    );
}

describe("dataVolumeSpec per tier, no overrides", () => {
    test("GP3_BASELINE is what gp3 includes at no cost", () => {
        expect(GP3_BASELINE).toEqual({ iops: 3000, throughputMBps: 125 });
    });

    test.each([
        ["small", { type: "gp3", sizeGb: 50, iops: 3600, throughputMBps: 125 }],
        ["medium", { type: "gp3", sizeGb: 150, iops: 6000, throughputMBps: 125 }],
        ["large", { type: "gp3", sizeGb: 250, iops: 8000, throughputMBps: 125 }],
        ["xlarge", { type: "gp3", sizeGb: 500, iops: 16000, throughputMBps: 250 }],
    ])("%s tier -> %p", (name, expected) => {
        expect(dataVolumeSpec(tier(name), {})).toEqual(expected);
    });

    test("a tier below the gp3 baseline gets the baseline; a fractional throughput is rounded up", () => {
        const modest = { ...small, iops: 1000, throughputMBps: 56.25 };
        expect(dataVolumeSpec(modest, {})).toMatchObject({ iops: 3000, throughputMBps: 125 });
        expect(dataVolumeSpec({ ...small, throughputMBps: 125.5 }, {}).throughputMBps).toBe(126);
        expect(dataVolumeSpec({ ...small, throughputMBps: 125 }, {}).throughputMBps).toBe(125);
    });

    test("every node count 1..3000 gets a valid gp3 volume at least as good as its tier", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 3000 }), (n) => {
                const t = tierForNodeCount(n);
                const spec = dataVolumeSpec(t, {});
                expect(isValidGp3(spec)).toBe(true);
                expect(spec.sizeGb).toBe(t.dataVolumeGb);
                expect(spec.iops).toBeGreaterThanOrEqual(t.iops);
                expect(spec.throughputMBps).toBeGreaterThanOrEqual(t.throughputMBps);
            }),
        );
    });
});

describe("dataVolumeSpec overrides that are accepted", () => {
    test("each override wins over the tier", () => {
        expect(dataVolumeSpec(medium, { sizeGb: 400 })).toEqual({ type: "gp3", sizeGb: 400, iops: 6000, throughputMBps: 125 });
        expect(dataVolumeSpec(medium, { iops: 9000 })).toEqual({ type: "gp3", sizeGb: 150, iops: 9000, throughputMBps: 125 });
        expect(dataVolumeSpec(medium, { throughputMBps: 300 })).toEqual({ type: "gp3", sizeGb: 150, iops: 6000, throughputMBps: 300 });
    });

    test("an override may go below the tier's figure, down to the gp3 baseline", () => {
        expect(dataVolumeSpec(xlarge, { iops: 3000, throughputMBps: 125 })).toMatchObject({ iops: 3000, throughputMBps: 125 });
    });

    test.each([
        ["smallest size for etcd, 20 GB", { sizeGb: 20 }],
        ["largest gp3 size, 16384 GB", { sizeGb: 16384 }],
        ["gp3 minimum IOPS, 3000", { iops: 3000 }],
        ["gp3 maximum IOPS, 80000, on 160 GB", { sizeGb: 160, iops: 80000 }],
        ["exactly 500 IOPS per GiB: 10000 on 20 GB", { sizeGb: 20, iops: 10000 }],
        ["gp3 minimum throughput, 125", { throughputMBps: 125 }],
        ["gp3 maximum throughput, 2000, at 8000 IOPS", { iops: 8000, throughputMBps: 2000 }],
        ["exactly 0.25 MB/s per IOPS: 750 at 3000", { iops: 3000, throughputMBps: 750 }],
    ])("accepts %s", (_, overrides) => {
        const spec = dataVolumeSpec(small, overrides);
        expect(spec).toMatchObject(overrides);
        expect(isValidGp3(spec)).toBe(true);
    });

    test("the throughput limit is checked against the tier's IOPS when IOPS is not overridden", () => {
        expect(dataVolumeSpec(medium, { throughputMBps: 1500 }).throughputMBps).toBe(1500);
        expect(refusal(() => dataVolumeSpec(medium, { throughputMBps: 1501 })).message).toContain("6000 IOPS take at most 1500 MB/s");
    });
});

describe("dataVolumeSpec refusals", () => {
    test.each([
        [0, "got 0."],
        [-5, "got -5."],
        [16385, "got 16385."],
        [50.5, "got 50.5."],
        [Number.NaN, 'got "NaN".'],
    ])("refuses dataVolumeSizeGb %p: outside gp3's 1..16384 whole GB", (sizeGb, shown) => {
        const error = refusal(() => dataVolumeSpec(small, { sizeGb }));
        expect(error.setting).toBe("dataVolumeSizeGb");
        expect(error.message).toContain(`Invalid setting dataVolumeSizeGb: ${shown}`);
        expect(error.message).toContain("from 1 to 16384");
    });

    test.each([1, 10, 19])("refuses dataVolumeSizeGb %i: below 20 GB, etcd's quota needs headroom", (sizeGb) => {
        const error = refusal(() => dataVolumeSpec(small, { sizeGb }));
        expect(error.setting).toBe("dataVolumeSizeGb");
        expect(error.message).toContain(`Invalid setting dataVolumeSizeGb: got ${sizeGb}.`);
        expect(error.message).toContain("etcd's quota needs headroom");
    });

    test.each([
        [2999, "got 2999."],
        [80001, "got 80001."],
        [3000.5, "got 3000.5."],
        [0, "got 0."],
        [Number.POSITIVE_INFINITY, 'got "Infinity".'],
    ])("refuses dataVolumeIops %p: outside gp3's 3000..80000", (iops, shown) => {
        const error = refusal(() => dataVolumeSpec(xlarge, { iops }));
        expect(error.setting).toBe("dataVolumeIops");
        expect(error.message).toContain(`Invalid setting dataVolumeIops: ${shown}`);
        expect(error.message).toContain("from 3000 to 80000");
    });

    test("refuses dataVolumeIops 10001 on a 20 GB volume: more than 500 IOPS per GiB", () => {
        const error = refusal(() => dataVolumeSpec(small, { sizeGb: 20, iops: 10001 }));
        expect(error.setting).toBe("dataVolumeIops");
        expect(error.message).toContain("Invalid setting dataVolumeIops: got 10001.");
        expect(error.message).toContain("a 20 GB volume takes at most 10000");
        expect(error.message).toContain("dataVolumeSizeGb to at least 21");
    });

    test("refuses dataVolumeIops 80000 on the small tier's 50 GB: more than 500 IOPS per GiB", () => {
        expect(refusal(() => dataVolumeSpec(small, { iops: 80000 })).message).toContain("a 50 GB volume takes at most 25000");
    });

    test("refuses dataVolumeSizeGb 31 for the xlarge tier: its 16000 IOPS need 32 GB at 500 IOPS per GiB", () => {
        const error = refusal(() => dataVolumeSpec(xlarge, { sizeGb: 31 }));
        expect(error.setting).toBe("dataVolumeSizeGb");
        expect(error.message).toContain("Invalid setting dataVolumeSizeGb: got 31.");
        expect(error.message).toContain("use at least 32 GB");
        expect(dataVolumeSpec(xlarge, { sizeGb: 32 }).sizeGb).toBe(32);
    });

    test.each([
        [124, "got 124."],
        [2001, "got 2001."],
        [200.5, "got 200.5."],
        [Number.NaN, 'got "NaN".'],
    ])("refuses dataVolumeThroughputMbps %p: outside gp3's 125..2000 whole MB/s", (throughputMBps, shown) => {
        const error = refusal(() => dataVolumeSpec(small, { iops: 16000, throughputMBps }));
        expect(error.setting).toBe("dataVolumeThroughputMbps");
        expect(error.message).toContain(`Invalid setting dataVolumeThroughputMbps: ${shown}`);
        expect(error.message).toContain("from 125 to 2000");
    });

    test("refuses dataVolumeThroughputMbps 751 at 3000 IOPS: more than 0.25 MB/s per IOPS", () => {
        const error = refusal(() => dataVolumeSpec(small, { iops: 3000, throughputMBps: 751 }));
        expect(error.setting).toBe("dataVolumeThroughputMbps");
        expect(error.message).toContain("Invalid setting dataVolumeThroughputMbps: got 751.");
        expect(error.message).toContain("3000 IOPS take at most 750 MB/s");
        expect(error.message).toContain("dataVolumeIops to at least 3004");
    });

    test("refuses dataVolumeThroughputMbps 1000 on the small tier: its 3600 IOPS allow at most 900", () => {
        expect(refusal(() => dataVolumeSpec(small, { throughputMBps: 1000 })).message).toContain("3600 IOPS take at most 900 MB/s");
    });
});

describe("dataVolumeSpec properties", () => {
    const overrides = fc.record(
        {
            sizeGb: fc.oneof(fc.integer({ min: -10, max: 20000 }), fc.double({ noNaN: false })),
            iops: fc.oneof(fc.integer({ min: 0, max: 90000 }), fc.double({ noNaN: false })),
            throughputMBps: fc.oneof(fc.integer({ min: 0, max: 2500 }), fc.double({ noNaN: false })),
        },
        { requiredKeys: [] },
    );

    test("any overrides give either a valid gp3 volume that honours them, or a ConfigError naming one of them", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 3000 }), overrides, (n, given) => {
                const t = tierForNodeCount(n);
                let spec: DataVolumeSpec;
                try {
                    spec = dataVolumeSpec(t, given);
                } catch (e) {
                    expect(e).toBeInstanceOf(ConfigError);
                    expect(["dataVolumeSizeGb", "dataVolumeIops", "dataVolumeThroughputMbps"]).toContain((e as ConfigError).setting);
                    return;
                }
                expect(isValidGp3(spec)).toBe(true);
                expect(spec).toMatchObject(given);
            }),
        );
    });

    test("valid overrides are always accepted as given", () => {
        const valid = fc
            .integer({ min: 20, max: 16384 })
            .chain((sizeGb) =>
                fc.integer({ min: 3000, max: Math.min(80000, 500 * sizeGb) }).chain((iops) =>
                    fc.integer({ min: 125, max: Math.min(2000, Math.floor(0.25 * iops)) }).map((throughputMBps) => ({ sizeGb, iops, throughputMBps })),
                ),
            );
        fc.assert(
            fc.property(fc.constantFrom(...SIZING_TIERS), valid, (t, given) => {
                expect(dataVolumeSpec(t, given)).toEqual({ type: "gp3", ...given });
            }),
        );
    });
});
