import fc from "fast-check";
import { SIZING_TIERS, tierForNodeCount } from "../../config/sizing";
import { refusal } from "../helpers/refusal";


describe("SIZING_TIERS", () => {
    test("is etcd's table, with 16 vCPU (not the seed's 15) for the largest tier", () => {
        expect(SIZING_TIERS).toEqual([
            { name: "small", minNodes: 1, maxNodes: 50, vcpu: 2, memoryGib: 8, dataVolumeGb: 50, iops: 3600, throughputMBps: 56.25 },
            { name: "medium", minNodes: 51, maxNodes: 250, vcpu: 4, memoryGib: 16, dataVolumeGb: 150, iops: 6000, throughputMBps: 93.75 },
            { name: "large", minNodes: 251, maxNodes: 1000, vcpu: 8, memoryGib: 32, dataVolumeGb: 250, iops: 8000, throughputMBps: 125 },
            { name: "xlarge", minNodes: 1001, maxNodes: 3000, vcpu: 16, memoryGib: 64, dataVolumeGb: 500, iops: 16000, throughputMBps: 250 },
        ]);
    });

    test("ranges start at 1, are contiguous and end at 3000", () => {
        expect(SIZING_TIERS[0].minNodes).toBe(1);
        for (let i = 1; i < SIZING_TIERS.length; i++) {
            expect(SIZING_TIERS[i].minNodes).toBe(SIZING_TIERS[i - 1].maxNodes + 1);
        }
        expect(SIZING_TIERS[SIZING_TIERS.length - 1].maxNodes).toBe(3000);
    });

    test("cannot be changed by a caller", () => {
        expect(Object.isFrozen(SIZING_TIERS)).toBe(true);
        SIZING_TIERS.forEach((tier) => expect(Object.isFrozen(tier)).toBe(true));
    });
});

describe("tierForNodeCount at the boundaries", () => {
    test.each([
        [1, "small"],
        [2, "small"],
        [50, "small"],
        [51, "medium"],
        [250, "medium"],
        [251, "large"],
        [1000, "large"],
        [1001, "xlarge"],
        [3000, "xlarge"],
    ])("%i nodes -> %s", (nodes, name) => {
        expect(tierForNodeCount(nodes).name).toBe(name);
    });
});

describe("tierForNodeCount refusals", () => {
    test("refuses 3001 nodes: no documented tier", () => {
        const error = refusal(() => tierForNodeCount(3001));
        expect(error.setting).toBe("kubernetesNodeCount");
        expect(error.received).toBe(3001);
        expect(error.message).toContain("Invalid setting kubernetesNodeCount: got 3001.");
        expect(error.message).toContain("no tier above 3000");
        expect(error.message).toContain(
            "Set instanceType, dataVolumeSizeGb, dataVolumeIops and dataVolumeThroughputMbps explicitly for clusters above 3000 nodes.",
        );
    });

    test("refuses 10000 nodes: no documented tier", () => {
        expect(refusal(() => tierForNodeCount(10000)).message).toContain("got 10000.");
    });

    test.each([
        [0, "got 0."],
        [-1, "got -1."],
        [2.5, "got 2.5."],
        [50.5, "got 50.5."],
        [Number.NaN, 'got "NaN".'],
        [Number.POSITIVE_INFINITY, 'got "Infinity".'],
    ])("refuses %p nodes: not a whole number of at least 1", (nodes, shown) => {
        const error = refusal(() => tierForNodeCount(nodes));
        expect(error.setting).toBe("kubernetesNodeCount");
        expect(error.message).toContain(`Invalid setting kubernetesNodeCount: ${shown}`);
        expect(error.message).toContain("from 1 to 3000");
    });

    test("refuses a string such as \"50\" read from untyped config", () => {
        const error = refusal(() => tierForNodeCount("50" as unknown as number));
        expect(error.message).toContain('got "50".');
    });
});

describe("tierForNodeCount properties over 1..3000", () => {
    const nodeCount = fc.integer({ min: 1, max: 3000 });

    test("returns the unique tier whose range contains n", () => {
        fc.assert(
            fc.property(nodeCount, (n) => {
                const containing = SIZING_TIERS.filter((t) => n >= t.minNodes && n <= t.maxNodes);
                expect(containing).toHaveLength(1);
                expect(tierForNodeCount(n)).toBe(containing[0]);
            }),
        );
    });

    test("is monotonic: more nodes never get a smaller tier or smaller figures", () => {
        fc.assert(
            fc.property(nodeCount, nodeCount, (a, b) => {
                const [lo, hi] = a <= b ? [a, b] : [b, a];
                const small = tierForNodeCount(lo);
                const big = tierForNodeCount(hi);
                expect(SIZING_TIERS.indexOf(small)).toBeLessThanOrEqual(SIZING_TIERS.indexOf(big));
                for (const key of ["vcpu", "memoryGib", "dataVolumeGb", "iops", "throughputMBps"] as const) {
                    expect(small[key]).toBeLessThanOrEqual(big[key]);
                }
            }),
        );
    });

    test("refuses every whole number above 3000", () => {
        fc.assert(
            fc.property(fc.integer({ min: 3001, max: 1_000_000 }), (n) => {
                expect(refusal(() => tierForNodeCount(n)).message).toContain("explicitly for clusters above 3000 nodes");
            }),
        );
    });

    test("refuses every non-integer", () => {
        fc.assert(
            fc.property(
                fc.double({ min: -10_000, max: 10_000 }).filter((x) => !Number.isInteger(x)),
                (x) => {
                    expect(refusal(() => tierForNodeCount(x)).setting).toBe("kubernetesNodeCount");
                },
            ),
        );
    });
});
