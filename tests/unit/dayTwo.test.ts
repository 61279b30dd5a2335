/** planDayTwo: a change checked against the running cluster, refused with the setting, the value and the fix. */
import { CREATED_CA, INITIAL_CA_STATE } from "../../config/caRotation";
import { refusal } from "../helpers/refusal";
import { DayTwoInput, planDayTwo, RunningCluster, RunningMember } from "../../config/runningCluster";

const NAMES = ["etcd1", "etcd2", "etcd3"];
const SUBNETS = ["subnet-a", "subnet-b", "subnet-c"];
/** Each test subnet in a zone of its own letter; subnet-a2 shares subnet-a's zone. */
const ZONES: Record<string, string> = { "subnet-a": "za", "subnet-a2": "za", "subnet-b": "zb", "subnet-c": "zc", "subnet-d": "zd", "subnet-e": "ze" };

function running(version: string | string[], arch: "arm64" | "amd64" = "arm64", subnets = SUBNETS): RunningCluster {
    const versions = Array.isArray(version) ? version : NAMES.map(() => version);
    return { members: NAMES.map((name, i): RunningMember => ({ name, subnetId: subnets[i], etcdVersion: versions[i], arch })), formedToken: "token-1" };
}

function change(overrides: Partial<DayTwoInput>): DayTwoInput {
    return { memberNames: NAMES, etcdVersion: "3.6.14", arch: "arm64", subnetIds: SUBNETS, memberSubnets: {}, zones: ZONES, allowSingleZone: false, clusterToken: "token-1", healthGate: "ssm", ca: INITIAL_CA_STATE, keyAlgorithm: "ECDSA", caSources: { 1: CREATED_CA }, ...overrides };
}


describe("the first deployment", () => {
    test("members go to subnets by position and the cluster is not formed", () => {
        const plan = planDayTwo(change({ memberNames: ["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"] }), { members: [] });
        expect(plan).toEqual({ subnets: { etcd1: "subnet-a", etcd2: "subnet-b", etcd3: "subnet-c", etcd4: "subnet-a", etcd5: "subnet-b" }, clusterFormed: false, ca: { algorithms: { 1: "ECDSA" }, rotating: false }, warnings: [] });
    });

    test("a formed record of another token (the cluster before a restore) does not count", () => {
        expect(planDayTwo(change({}), { ...running("3.6.14"), formedToken: "restored-from-elsewhere" }).clusterFormed).toBe(false);
        expect(planDayTwo(change({}), running("3.6.14")).clusterFormed).toBe(true);
    });
});

describe("subnets", () => {
    test("reordered, extended or shrunk around the members: nobody moves", () => {
        for (const subnetIds of [["subnet-c", "subnet-a", "subnet-b"], ["subnet-d", ...SUBNETS], [...SUBNETS, "subnet-d"]]) {
            expect(planDayTwo(change({ subnetIds }), running("3.6.14")).subnets).toEqual({ etcd1: "subnet-a", etcd2: "subnet-b", etcd3: "subnet-c" });
        }
    });

    test("a subnet that still holds a member may not leave the list", () => {
        const err = refusal(() => planDayTwo(change({ subnetIds: ["subnet-a", "subnet-b"] }), running("3.6.14")));
        expect(err.setting).toBe("subnetIds");
        expect(err.message).toContain("etcd3 runs in subnet-c, which subnetIds no longer lists");
        expect(err.message).toContain("Keep subnet-c in subnetIds");
    });
});

describe("availability zones", () => {
    test("three members in one zone are refused on the first deployment, naming the zone and the fix", () => {
        const err = refusal(() => planDayTwo(change({ subnetIds: ["subnet-a", "subnet-a2"] }), { members: [] }));
        expect(err.setting).toBe("subnetIds");
        expect(err.message).toContain("All 3 members would run in za, so losing that one zone loses the quorum");
        expect(err.message).toContain("List subnets of at least two other zones");
        expect(err.message).toContain("set allowSingleZone: true");
    });

    test("a change that would leave every member in one zone is refused; allowSingleZone accepts it", () => {
        const oneZone: RunningCluster = { members: NAMES.map((name, i): RunningMember => ({ name, subnetId: ["subnet-a", "subnet-a2", "subnet-b"][i], etcdVersion: "3.6.14", arch: "arm64" })), formedToken: "token-1" };
        const moveIn = change({ subnetIds: ["subnet-a", "subnet-a2", "subnet-b"], memberSubnets: { etcd3: "subnet-a" } });
        const err = refusal(() => planDayTwo(moveIn, oneZone));
        expect(err.message).toContain("All 3 members would run in za");
        expect(err.message).toContain("move running members with memberSubnets, one per update");
        expect(planDayTwo({ ...moveIn, allowSingleZone: true }, oneZone).subnets.etcd3).toBe("subnet-a");
    });

    test("members over two zones pass", () => {
        expect(() => planDayTwo(change({ subnetIds: ["subnet-a", "subnet-b"] }), { members: [] })).not.toThrow();
    });
});

describe("memberSubnets: moving one member at a time", () => {
    const D = [...SUBNETS, "subnet-d"];

    test("places the named members on the first deployment, and the others round the pins: each to the subnet with the fewest members", () => {
        expect(planDayTwo(change({ subnetIds: D, memberSubnets: { etcd2: "subnet-d" } }), { members: [] }).subnets).toEqual({ etcd1: "subnet-a", etcd2: "subnet-d", etcd3: "subnet-b" });
        // A pin to the last subnet does not crowd it: the three still land in three zones.
        expect(planDayTwo(change({ memberSubnets: { etcd1: "subnet-c" } }), { members: [] }).subnets).toEqual({ etcd1: "subnet-c", etcd2: "subnet-a", etcd3: "subnet-b" });
    });

    test("moves one running member to the subnet it names, out of a subnet that leaves the list too; the others stay, and the plan says so", () => {
        for (const subnetIds of [D, ["subnet-a", "subnet-b", "subnet-d"]]) {
            const plan = planDayTwo(change({ subnetIds, memberSubnets: { etcd3: "subnet-d" } }), running("3.6.14"));
            expect(plan.subnets).toEqual({ etcd1: "subnet-a", etcd2: "subnet-b", etcd3: "subnet-d" });
            expect(plan.moved).toEqual({ member: "etcd3", from: "subnet-c", to: "subnet-d" });
            expect(plan.warnings.join("\n")).toContain("memberSubnets moves etcd3 from subnet-c to subnet-d");
        }
    });

    test("a pin the member already runs in moves nobody: the setting can stay after the move", () => {
        const moved: RunningCluster = { ...running("3.6.14"), members: running("3.6.14").members.map((m) => (m.name === "etcd3" ? { ...m, subnetId: "subnet-d" } : m)) };
        const plan = planDayTwo(change({ subnetIds: D, memberSubnets: { etcd3: "subnet-d" } }), moved);
        expect(plan.moved).toBeUndefined();
        expect(plan.subnets.etcd3).toBe("subnet-d");
        expect(plan.warnings).toEqual([]);
    });

    test("a member added with a pin goes there; the others added still go to the emptiest subnets", () => {
        const plan = planDayTwo(change({ subnetIds: D, memberNames: ["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"], memberSubnets: { etcd5: "subnet-a" } }), running("3.6.14"));
        expect(plan.subnets).toEqual({ etcd1: "subnet-a", etcd2: "subnet-b", etcd3: "subnet-c", etcd4: "subnet-d", etcd5: "subnet-a" });
        expect(plan.moved).toBeUndefined();
    });

    test.each([
        ["two members at once", { memberSubnets: { etcd2: "subnet-d", etcd3: "subnet-d" } }, "moves 2 running members at once", "keep etcd3: subnet-c for this update"],
        ["without health gates", { memberSubnets: { etcd3: "subnet-d" }, healthGate: "off" as const }, "needs the health gates", "keep etcd3: subnet-c"],
        ["with scaling", { memberSubnets: { etcd3: "subnet-d" }, memberNames: ["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"] }, "two membership changes in one roll", "keep memberCount for the move"],
        ["with a version change", { memberSubnets: { etcd3: "subnet-d" }, etcdVersion: "3.6.15" }, "etcd version change (etcd1 runs 3.6.14, etcdVersion is 3.6.15)", "roll the version first"],
    ])("is refused %s, naming the move", (_, overrides, why, fix) => {
        const err = refusal(() => planDayTwo(change({ subnetIds: D, ...overrides }), running("3.6.14")));
        expect(err.setting).toBe("memberSubnets");
        expect(err.message).toContain("etcd3: subnet-d");
        expect(err.message).toContain(why);
        expect(err.message).toContain(fix);
    });

    test("a pin to a subnet that subnetIds does not list is refused, on the first deployment too", () => {
        for (const cluster of [{ members: [] }, running("3.6.14")]) {
            const err = refusal(() => planDayTwo(change({ memberSubnets: { etcd3: "subnet-x" } }), cluster));
            expect(err.setting).toBe("memberSubnets");
            expect(err.message).toContain("subnet-x is not in subnetIds");
        }
    });

    test("the refusal of a dropped subnet names memberSubnets as the way out", () => {
        const err = refusal(() => planDayTwo(change({ subnetIds: ["subnet-a", "subnet-b"] }), running("3.6.14")));
        expect(err.message).toContain("with memberSubnets (e.g. etcd3: subnet-a)");
    });
});

describe("memberCount on a running cluster", () => {
    const FIVE = ["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"];

    test("3 -> 5: the members that run stay where they are; the new ones go to the subnets with the fewest members", () => {
        const plan = planDayTwo(change({ memberNames: FIVE }), running("3.6.14"));
        expect(plan.subnets).toEqual({ etcd1: "subnet-a", etcd2: "subnet-b", etcd3: "subnet-c", etcd4: "subnet-a", etcd5: "subnet-b" });
        // Two members in one subnet of three: the new one goes to the emptiest, not by position.
        const crowded = { members: NAMES.map((name, i): RunningMember => ({ name, subnetId: ["subnet-a", "subnet-a", "subnet-b"][i], etcdVersion: "3.6.14", arch: "arm64" })), formedToken: "token-1" };
        expect(planDayTwo(change({ memberNames: ["etcd1", "etcd2", "etcd3", "etcd4"] }), crowded).subnets.etcd4).toBe("subnet-c");
    });

    test("5 -> 3: the leaving members' subnets may leave the list; the staying ones keep theirs", () => {
        const five: RunningCluster = { members: FIVE.map((name, i) => ({ name, subnetId: `subnet-${"abcde"[i]}`, etcdVersion: "3.6.14", arch: "arm64" })), formedToken: "token-1" };
        expect(planDayTwo(change({ memberNames: NAMES }), five).subnets).toEqual({ etcd1: "subnet-a", etcd2: "subnet-b", etcd3: "subnet-c" });
    });

    test.each([
        [FIVE, "adding etcd4, etcd5"],
        [["etcd1"], "removing etcd2, etcd3"],
    ])("%j with healthGate off is refused: nothing would wait for a learner's promotion", (memberNames, what) => {
        const err = refusal(() => planDayTwo(change({ memberNames, healthGate: "off" }), running("3.6.14")));
        expect(err.setting).toBe("memberCount");
        expect(err.message).toContain(what);
        expect(err.message).toContain("Set healthGate to ssm");
        expect(err.message).toContain("keep memberCount at 3");
    });

    test("scaling in the same update as an etcd version change is refused: one change at a time", () => {
        const err = refusal(() => planDayTwo(change({ memberNames: FIVE, etcdVersion: "3.6.15" }), running("3.6.14")));
        expect(err.setting).toBe("memberCount");
        expect(err.message).toContain("adding etcd4, etcd5 and an etcd version change (etcd1 runs 3.6.14, etcdVersion is 3.6.15)");
        expect(err.message).toContain("keep etcdVersion at 3.6.14 while scaling");
    });
});

describe("etcd versions", () => {
    test.each([
        ["3.6.13", "3.6.14"],
        ["3.5.33", "3.6.14"],
        ["3.5.32", "3.6.14"],
        ["3.5.32", "3.5.33"],
        ["3.6.14", "3.7.0"],
        ["3.6.14", "3.6.14"],
    ])("%s -> %s is allowed", (from, to) => {
        expect(() => planDayTwo(change({ etcdVersion: to }), running(from))).not.toThrow();
    });

    test("returning to the version every member still runs after a stopped roll is allowed", () => {
        expect(() => planDayTwo(change({ etcdVersion: "3.5.33" }), running(["3.6.14", "3.5.33", "3.5.33"]))).not.toThrow();
    });

    test.each([
        ["3.6.14", "3.6.13", "a downgrade is not rolled", "Keep etcdVersion at 3.6.14 or newer"],
        ["3.6.14", "3.5.33", "a downgrade is not rolled", "etcdctl downgrade"],
        ["3.5.33", "3.7.0", "one minor line at a time", "Upgrade to a 3.6 release first"],
        ["3.5.31", "3.6.14", "only from 3.5.32 or newer", "Upgrade to 3.5.32 or a newer 3.5 patch first"],
    ])("%s -> %s is refused", (from, to, why, fix) => {
        const err = refusal(() => planDayTwo(change({ etcdVersion: to }), running(from)));
        expect(err.setting).toBe("etcdVersion");
        expect(err.received).toBe(to);
        expect(err.message).toContain(why);
        expect(err.message).toContain(fix);
    });

    test("the oldest member decides: a mixed cluster is judged by its oldest version", () => {
        const err = refusal(() => planDayTwo(change({ etcdVersion: "3.7.0" }), running(["3.6.14", "3.5.33", "3.6.14"])));
        expect(err.message).toContain("etcd2 runs 3.5.33");
    });

    test("members whose instances predate the version tag are not judged", () => {
        const untagged: RunningCluster = { members: NAMES.map((name, i) => ({ name, subnetId: SUBNETS[i] })) };
        expect(() => planDayTwo(change({ etcdVersion: "3.5.33" }), untagged)).not.toThrow();
    });
});

describe("healthGate off on a running cluster", () => {
    test("is allowed, with a warning that replacements would run back to back", () => {
        expect(planDayTwo(change({ healthGate: "off" }), running("3.6.14")).warnings).toEqual([expect.stringContaining("replaces them back to back")]);
        expect(planDayTwo(change({ healthGate: "ssm" }), running("3.6.14")).warnings).toEqual([]);
        // A first deployment has nothing to lose.
        expect(planDayTwo(change({ healthGate: "off" }), { members: [] }).warnings).toEqual([]);
    });
});

describe("architecture", () => {
    test("an x86 family over arm64 members with the looked-up AMI is refused", () => {
        const err = refusal(() => planDayTwo(change({ arch: "amd64" }), running("3.6.14", "arm64")));
        expect(err.setting).toBe("instanceFamily");
        expect(err.message).toContain("etcd1 runs arm64");
        expect(err.message).toContain("Set amiId to an amd64 AMI");
    });

    test("with amiId given, the switch rolls like any AMI change", () => {
        expect(() => planDayTwo(change({ arch: "amd64", amiId: "ami-0123456789abcdef0" }), running("3.6.14", "arm64"))).not.toThrow();
    });
});
