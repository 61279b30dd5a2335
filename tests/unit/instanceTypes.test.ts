import fc from "fast-check";
import { chooseInstanceType, DEFAULT_INSTANCE_FAMILY, INSTANCE_FACTS, InstanceFacts, instanceFacts } from "../../config/instanceTypes";
import { SIZING_TIERS, SizingTier, tierForNodeCount } from "../../config/sizing";
import { refusal } from "../helpers/refusal";


type Need = { vcpu: number; memoryGib: number; throughputMBps: number; iops: number };

const FAMILIES = ["m7g", "m7i", "m6g", "m6i", "r7g", "r7i"];
const SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge"];

const needOf = (tier: SizingTier): Need => ({ vcpu: tier.vcpu, memoryGib: tier.memoryGib, throughputMBps: tier.throughputMBps, iops: tier.iops });

const meets = (f: InstanceFacts, need: Need) =>
    f.vcpu >= need.vcpu && f.memoryGib >= need.memoryGib && f.ebsBaselineMBps >= need.throughputMBps && f.ebsBaselineIops >= need.iops;

const smallerInFamily = (f: InstanceFacts) =>
    INSTANCE_FACTS.filter((o) => o.family === f.family && (o.vcpu < f.vcpu || (o.vcpu === f.vcpu && o.memoryGib < f.memoryGib)));

describe("INSTANCE_FACTS", () => {
    test("holds m7g, m7i, m6g, m6i, r7g and r7i from large to 8xlarge, each type once", () => {
        const expected = FAMILIES.flatMap((family) => SIZES.map((size) => `${family}.${size}`));
        expect(INSTANCE_FACTS.map((f) => f.type).sort()).toEqual(expected.sort());
    });

    test("family is the type's prefix, Graviton families are arm64 and Intel families amd64", () => {
        for (const f of INSTANCE_FACTS) {
            expect(f.type.startsWith(`${f.family}.`)).toBe(true);
            expect(f.arch).toBe(f.family.endsWith("g") ? "arm64" : "amd64");
        }
    });

    test("vCPU doubles per size; m has 4 GiB per vCPU and r has 8", () => {
        for (const f of INSTANCE_FACTS) {
            const size = f.type.split(".")[1];
            expect(f.vcpu).toBe(2 * 2 ** SIZES.indexOf(size));
            expect(f.memoryGib).toBe(f.vcpu * (f.family.startsWith("r") ? 8 : 4));
        }
    });

    test.each([
        // type, AWS baseline Mbps, baseline IOPS
        ["m7g.large", 630, 3600],
        ["m7g.xlarge", 1250, 6000],
        ["m7g.2xlarge", 2500, 12000],
        ["m7g.4xlarge", 5000, 20000],
        ["m7g.8xlarge", 10000, 40000],
        ["m7i.large", 650, 3600],
        ["m7i.8xlarge", 10000, 40000],
        ["m6g.large", 630, 3600],
        ["m6g.xlarge", 1188, 6000],
        ["m6g.2xlarge", 2375, 12000],
        ["m6g.4xlarge", 4750, 20000],
        ["m6g.8xlarge", 9500, 40000],
        ["m6i.large", 650, 3600],
        ["m6i.xlarge", 1250, 6000],
        ["r7g.large", 630, 3600],
        ["r7g.4xlarge", 5000, 20000],
        ["r7i.large", 650, 3600],
        ["r7i.2xlarge", 2500, 12000],
    ])("%s has AWS's baseline EBS of %i Mbps (MB/s = Mbps / 8) and %i IOPS", (type, mbps, iops) => {
        expect(instanceFacts(type)).toMatchObject({ ebsBaselineMBps: mbps / 8, ebsBaselineIops: iops });
    });

    test("spot checks of the MB/s figures", () => {
        expect(instanceFacts("m7g.large")!.ebsBaselineMBps).toBe(78.75);
        expect(instanceFacts("m7i.large")!.ebsBaselineMBps).toBe(81.25);
        expect(instanceFacts("m6g.xlarge")!.ebsBaselineMBps).toBe(148.5);
        expect(instanceFacts("m6g.2xlarge")!.ebsBaselineMBps).toBe(296.875);
    });

    test("cannot be changed by a caller", () => {
        expect(Object.isFrozen(INSTANCE_FACTS)).toBe(true);
        INSTANCE_FACTS.forEach((f) => expect(Object.isFrozen(f)).toBe(true));
    });
});

describe("instanceFacts", () => {
    test("finds a known type", () => {
        expect(instanceFacts("r7g.xlarge")).toEqual({
            type: "r7g.xlarge",
            family: "r7g",
            arch: "arm64",
            vcpu: 4,
            memoryGib: 32,
            ebsBaselineMBps: 156.25,
            ebsBaselineIops: 6000,
        });
    });

    test.each(["t3.micro", "m7g.16xlarge", "M7G.LARGE", "m7g", ""])("returns undefined for %p", (type) => {
        expect(instanceFacts(type)).toBeUndefined();
    });
});

describe("chooseInstanceType", () => {
    test("the default family is m7g", () => {
        expect(DEFAULT_INSTANCE_FAMILY).toBe("m7g");
    });

    test.each([
        ["small", "m7g.large"],
        ["medium", "m7g.xlarge"],
        ["large", "m7g.2xlarge"],
        ["xlarge", "m7g.4xlarge"],
    ])("default family, %s tier -> %s", (tierName, type) => {
        const tier = SIZING_TIERS.find((t) => t.name === tierName)!;
        expect(chooseInstanceType(DEFAULT_INSTANCE_FAMILY, needOf(tier)).type).toBe(type);
    });

    test.each(FAMILIES)("family %s: tiers small..xlarge -> sizes large..4xlarge", (family) => {
        const chosen = SIZING_TIERS.map((tier) => chooseInstanceType(family, needOf(tier)).type);
        expect(chosen).toEqual([`${family}.large`, `${family}.xlarge`, `${family}.2xlarge`, `${family}.4xlarge`]);
    });

    test("boundaries: exactly the baseline fits, a hair above needs the next size", () => {
        const base = { vcpu: 2, memoryGib: 8, throughputMBps: 78.75, iops: 3600 };
        expect(chooseInstanceType("m7g", base).type).toBe("m7g.large");
        expect(chooseInstanceType("m7g", { ...base, throughputMBps: 78.76 }).type).toBe("m7g.xlarge");
        expect(chooseInstanceType("m7g", { ...base, iops: 3601 }).type).toBe("m7g.xlarge");
        expect(chooseInstanceType("m7g", { ...base, vcpu: 3 }).type).toBe("m7g.xlarge");
        expect(chooseInstanceType("m7g", { ...base, memoryGib: 8.5 }).type).toBe("m7g.xlarge");
    });

    test("explicit volume figures above the tier pick a larger size (the instance must sustain them at baseline)", () => {
        const small = needOf(tierForNodeCount(10));
        expect(chooseInstanceType("m7g", { ...small, iops: 10000 }).type).toBe("m7g.2xlarge");
        expect(chooseInstanceType("m7g", { ...small, throughputMBps: 500 }).type).toBe("m7g.4xlarge");
        // m6g's lower baselines need a larger size than m7g for the same figure.
        expect(chooseInstanceType("m6g", { ...small, throughputMBps: 150 }).type).toBe("m6g.2xlarge");
        expect(chooseInstanceType("m7g", { ...small, throughputMBps: 150 }).type).toBe("m7g.xlarge");
    });

    test("refuses an unknown family and lists the known ones", () => {
        const error = refusal(() => chooseInstanceType("c7g", needOf(SIZING_TIERS[0])));
        expect(error.setting).toBe("instanceFamily");
        expect(error.message).toContain('Invalid setting instanceFamily: got "c7g".');
        expect(error.message).toContain("m7g, m7i, m6g, m6i, r7g, r7i");
    });

    test.each(["", "M7G", "m7g.large", "t4g"])("refuses family %p: not a known family", (family) => {
        const error = refusal(() => chooseInstanceType(family, needOf(SIZING_TIERS[0])));
        expect(error.setting).toBe("instanceFamily");
        expect(error.message).toContain(`got ${JSON.stringify(family)}`);
    });

    test("refuses a need for more memory than m7g has and points to the r families", () => {
        const error = refusal(() => chooseInstanceType("m7g", { vcpu: 16, memoryGib: 200, throughputMBps: 250, iops: 16000 }));
        expect(error.setting).toBe("instanceFamily");
        expect(error.message).toContain('Invalid setting instanceFamily: got "m7g".');
        expect(error.message).toContain("No m7g size meets 16 vCPU, 200 GiB");
        expect(error.message).toContain("the largest, m7g.8xlarge, has 32 vCPU, 128 GiB");
        expect(error.message).toContain("r7g (r7g.8xlarge), r7i (r7i.8xlarge)");
        expect(error.message).toContain("set instanceType explicitly to one of r7g.8xlarge, r7i.8xlarge");
    });

    test("refuses m6g for 1200 MB/s (m6g.8xlarge sustains 1187.5) and points to families that do", () => {
        const error = refusal(() => chooseInstanceType("m6g", { vcpu: 2, memoryGib: 8, throughputMBps: 1200, iops: 3600 }));
        expect(error.message).toContain("1187.5 MB/s");
        expect(error.message).toContain("m7g (m7g.8xlarge)");
        expect(error.message).not.toContain("m6g (m6g");
    });

    test("refuses a need no known type sustains at baseline and says to lower the volume figures", () => {
        const error = refusal(() => chooseInstanceType("m7g", { vcpu: 2, memoryGib: 8, throughputMBps: 125, iops: 50000 }));
        expect(error.setting).toBe("instanceFamily");
        expect(error.message).toContain("50000 IOPS");
        expect(error.message).toContain("lower dataVolumeIops or dataVolumeThroughputMbps");
    });
});

describe("chooseInstanceType properties", () => {
    const nodeCount = fc.integer({ min: 1, max: 3000 });
    const family = fc.constantFrom(...FAMILIES);

    test("for every node count and family, the chosen type meets the tier", () => {
        fc.assert(
            fc.property(nodeCount, family, (n, fam) => {
                const need = needOf(tierForNodeCount(n));
                const chosen = chooseInstanceType(fam, need);
                expect(chosen.family).toBe(fam);
                expect(meets(chosen, need)).toBe(true);
            }),
        );
    });

    test("the chosen type is minimal: no smaller type of the family meets the tier", () => {
        fc.assert(
            fc.property(nodeCount, family, (n, fam) => {
                const need = needOf(tierForNodeCount(n));
                const chosen = chooseInstanceType(fam, need);
                for (const smaller of smallerInFamily(chosen)) {
                    expect(meets(smaller, need)).toBe(false);
                }
            }),
        );
    });

    test("for arbitrary needs: either a minimal fit, or a refusal exactly when no size of the family fits", () => {
        const need = fc.record({
            vcpu: fc.integer({ min: 1, max: 40 }),
            memoryGib: fc.integer({ min: 1, max: 300 }),
            throughputMBps: fc.double({ min: 0, max: 1500, noNaN: true }),
            iops: fc.integer({ min: 0, max: 50000 }),
        });
        fc.assert(
            fc.property(family, need, (fam, nd) => {
                const anyFits = INSTANCE_FACTS.some((f) => f.family === fam && meets(f, nd));
                if (anyFits) {
                    const chosen = chooseInstanceType(fam, nd);
                    expect(meets(chosen, nd)).toBe(true);
                    smallerInFamily(chosen).forEach((s) => expect(meets(s, nd)).toBe(false));
                } else {
                    expect(refusal(() => chooseInstanceType(fam, nd)).setting).toBe("instanceFamily");
                }
            }),
        );
    });
});
