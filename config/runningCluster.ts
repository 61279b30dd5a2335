import { CaPlan, CaState, formatCaTag, KeyAlgorithm, parseCaTag, planCa, RunningCa } from "./caRotation";
import { ConfigError } from "./errors";
import { etcdLine } from "./etcdReleases";

/**
 * What runs now, read from AWS before anything changes (components/runningCluster.ts): the
 * program keeps no state of its own, so a day-2 change is checked against the cluster itself. The
 * offline plan and the sandbox answer the same reads from the plan they deployed.
 */
export interface RunningCluster {
    /** Every member that has a network interface, whether or not an instance runs on it now. */
    members: RunningMember[];
    /** The token recorded once the cluster first had a quorum (CLUSTER_FORMED_PARAMETER); absent before. */
    formedToken?: string;
}

export interface RunningMember {
    name: string;
    /** The subnet of the member's network interface: where its fixed IP lives. */
    subnetId: string;
    /** The interface's private IP. The day-2 checks do not need it; the offline plans keep a member's address with it. */
    ip?: string;
    /** From the member's instance tags (INSTANCE_TAGS); absent when no instance runs or it predates the tags. */
    etcdVersion?: string;
    arch?: "arm64" | "amd64";
    /** The CA state and key algorithms the member's instance was made with (INSTANCE_TAGS.ca). */
    ca?: RunningCa;
}

/** The tags an instance carries so the next change can read what runs on it. */
export const INSTANCE_TAGS = Object.freeze({ member: "etcd:member", version: "etcd:version", arch: "etcd:arch", ca: "etcd:ca" } as const);

/** A running member from its interface and its instance's tags (empty when no instance runs): the one reader of INSTANCE_TAGS. */
export function memberFromTags(name: string, subnetId: string, ip: string | undefined, tags: Record<string, string>): RunningMember {
    const arch = tags[INSTANCE_TAGS.arch];
    const ca = parseCaTag(tags[INSTANCE_TAGS.ca]);
    return {
        name,
        subnetId,
        ...(ip ? { ip } : {}),
        ...(tags[INSTANCE_TAGS.version] ? { etcdVersion: tags[INSTANCE_TAGS.version] } : {}),
        ...(arch === "arm64" || arch === "amd64" ? { arch } : {}),
        ...(ca ? { ca } : {}),
    };
}

/** The instance tags that memberFromTags reads back (the mock provider answers with them). */
export function tagsOfMember(member: RunningMember): Record<string, string> {
    const tags: Record<string, string> = { [INSTANCE_TAGS.member]: member.name };
    if (member.etcdVersion) tags[INSTANCE_TAGS.version] = member.etcdVersion;
    if (member.arch) tags[INSTANCE_TAGS.arch] = member.arch;
    if (member.ca) tags[INSTANCE_TAGS.ca] = formatCaTag(member.ca);
    return tags;
}

/** Nothing runs yet: the first deployment. */
export const NO_RUNNING_CLUSTER: RunningCluster = Object.freeze({ members: [] });

/**
 * The oldest 3.5 patch a 3.5 cluster may move to 3.6 from: older 3.5 members can carry membership
 * data that 3.6 rejects (etcd's upgrade guide asks for a current 3.5 patch first), and it is the
 * oldest 3.5 patch this package ships a checksum for and tests the move from.
 */
export const MIN_35_BEFORE_36 = "3.5.32";

export interface DayTwoInput {
    memberNames: string[];
    etcdVersion: string;
    arch: "arm64" | "amd64";
    /** Set: the AMI follows the user, not the look-up (which running members ignore). */
    amiId?: string;
    /** The subnets the settings list now, in order (ids known at this point). */
    subnetIds: string[];
    /** memberSubnets: member name -> the subnet it is asked to run in (ids known at this point). */
    memberSubnets: Record<string, string>;
    /** Subnet id -> its availability zone, for every listed subnet. */
    zones: Record<string, string>;
    /** allowSingleZone: every member in one zone is accepted. */
    allowSingleZone: boolean;
    clusterToken: string;
    /** off: nothing waits between two members' replacements. */
    healthGate: "ssm" | "direct" | "off";
    /** caGeneration and caRotation. */
    ca: CaState;
    keyAlgorithm: KeyAlgorithm;
    /** Which CA each generation the settings trust is (caSources of caCertPem and nextCaCertPem). */
    caSources: Record<number, string>;
}

/** How the change proceeds when it is allowed. */
export interface DayTwoPlan {
    /** Member name -> its subnet: where it runs now, where memberSubnets moves or places it, or by position for a member that is new. */
    subnets: Record<string, string>;
    /** The running member memberSubnets moves in this update (at most one), with where it runs now. */
    moved?: { member: string; from: string; to: string };
    /** True once this cluster (this token) has formed: every gate then waits, created or updated. */
    clusterFormed: boolean;
    /** The key algorithm of each CA generation in use, and whether this update moves members along a CA rotation. */
    ca: CaPlan;
    /** Allowed but worth a reviewer's attention; the component logs each as a Pulumi warning. */
    warnings: string[];
}

/**
 * Checks a change against the running cluster and says where each member runs. Throws ConfigError
 * (the setting, the value and the fix) for a change that cannot be made safely, before any member,
 * interface, volume or certificate is touched: they all wait for this answer.
 */
export function planDayTwo(input: DayTwoInput, running: RunningCluster): DayTwoPlan {
    const clusterFormed = running.formedToken !== undefined && running.formedToken === input.clusterToken;
    checkPinnedSubnets(input);
    const ca = planCa({ desired: input.ca, keyAlgorithm: input.keyAlgorithm, sources: input.caSources }, running.members);
    if (running.members.length === 0) {
        // Round-robin in order (the fewest members, first listed among equals), around the pinned ones.
        const subnets = placeNew(input.memberNames, input, []);
        checkZones(input, subnets);
        return { subnets, clusterFormed, ca, warnings: [] };
    }
    const { added, removed } = checkScaling(input, running.members);
    checkVersions(input.etcdVersion, running.members);
    checkArchitecture(input, running.members);
    const kept = running.members.filter((m) => !removed.includes(m.name));
    const moved = checkMove(input, kept, added.length + removed.length > 0);
    if (ca.rotating) checkRotation(input, { scaling: added.length + removed.length > 0, moved: moved?.member, other: runsOtherVersion(kept, input.etcdVersion) });
    const stay = { ...keepSubnets(input, kept.filter((m) => m.name !== moved?.member)), ...(moved ? { [moved.member]: moved.to } : {}) };
    const subnets = { ...stay, ...placeNew(added, input, Object.values(stay)) };
    checkZones(input, subnets);
    const warnings: string[] = [];
    if (input.healthGate === "off") {
        warnings.push(
            `healthGate is off on a running cluster: a change that replaces members (AMI, instance type, etcd version or settings) replaces them back to back, ` +
                `each as soon as the previous one's volume is attached, without waiting for it to be healthy, and can lose the quorum. Set healthGate to ssm (or direct) for such a change.`,
        );
    }
    if (moved) {
        warnings.push(
            `memberSubnets moves ${moved.member} from ${moved.from} to ${moved.to}: it gets a new network interface, address and certificates and a new instance; ` +
                `in another availability zone also a new, empty data volume (its old one is deleted, so a protected volume needs \`pulumi state unprotect\` first). ` +
                `It rejoins from its peers behind the health gates.`,
        );
    }
    return { subnets, clusterFormed, ca, warnings, ...(moved ? { moved } : {}) };
}

/**
 * A CA rotation step restarts every member with a new trust or new certificates: it needs the
 * gates (each member must be back, trusting and trusted, before the next one goes), and it is the
 * only change of its update, so a refusal or a failed gate leaves one thing half done.
 */
function checkRotation(input: DayTwoInput, others: { scaling: boolean; moved?: string; other?: RunningMember }): void {
    const refuse = (why: string) => {
        throw new ConfigError("caRotation", `caGeneration ${input.ca.generation}, caRotation ${input.ca.phase}`, why);
    };
    if (input.healthGate === "off") {
        refuse("A CA rotation step restarts the members one at a time, each trusting a new CA set; only the health gates wait for a member to be back before the next one goes. Set healthGate to ssm (or direct) for the rotation.");
    }
    const keep = "Make one change at a time: finish this update with the CA settings as they run, then take the next CA step in its own update.";
    if (others.scaling) refuse(`A CA rotation step and a memberCount change in one update. ${keep}`);
    if (others.moved) refuse(`A CA rotation step and moving ${others.moved} (memberSubnets) in one update. ${keep}`);
    if (others.other) refuse(`A CA rotation step and an etcd version change (${others.other.name} runs ${others.other.etcdVersion}, etcdVersion is ${input.etcdVersion}) in one update. ${keep}`);
}

/**
 * Three or more members in one availability zone lose their quorum with that zone, however many
 * there are: refused unless allowSingleZone says it is meant (a test environment).
 */
function checkZones(input: DayTwoInput, subnets: Record<string, string>): void {
    if (input.allowSingleZone || input.memberNames.length < 3) return;
    const zones = new Set(input.memberNames.map((name) => input.zones[subnets[name]]));
    if (zones.size > 1) return;
    const [zone] = zones;
    const fix = input.subnetIds.some((id) => input.zones[id] !== zone)
        ? "Spread them over the listed subnets of other zones: remove memberSubnets pins that crowd them, and move running members with memberSubnets, one per update."
        : "List subnets of at least two other zones in subnetIds (or availabilityZones for a created VPC).";
    throw new ConfigError(
        "subnetIds",
        input.subnetIds,
        `All ${input.memberNames.length} members would run in ${zone}, so losing that one zone loses the quorum. ${fix} For a test environment, set allowSingleZone: true.`,
    );
}

/** Every subnet memberSubnets names is one that subnetIds lists. */
function checkPinnedSubnets(input: DayTwoInput): void {
    for (const [member, subnet] of Object.entries(input.memberSubnets)) {
        if (!input.subnetIds.includes(subnet)) {
            throw new ConfigError("memberSubnets", `${member}: ${subnet}`, `${subnet} is not in subnetIds; a member runs only in a listed subnet. Add it to subnetIds, or name one of ${input.subnetIds.join(", ")}.`);
        }
    }
}

/**
 * A running member moves only when memberSubnets asks for it, and one member per update: the move
 * replaces its interface, address, certificates and instance (and in another zone its volume), so
 * the member rejoins as a changed member, and etcd makes one membership change at a time. Refused
 * with scaling or a version change in the same update (one kind of change at a time) and without
 * health gates (nothing would wait for it to rejoin before the next member rolls).
 */
function checkMove(input: DayTwoInput, kept: RunningMember[], scaling: boolean): DayTwoPlan["moved"] {
    const moves = kept.filter((m) => input.memberSubnets[m.name] !== undefined && input.memberSubnets[m.name] !== m.subnetId);
    if (moves.length === 0) return undefined;
    const asked = moves.map((m) => `${m.name}: ${input.memberSubnets[m.name]}`).join(", ");
    const refuse = (why: string) => {
        throw new ConfigError("memberSubnets", asked, why);
    };
    if (moves.length > 1) {
        refuse(
            `That moves ${moves.length} running members at once (${moves.map((m) => `${m.name} from ${m.subnetId}`).join(", ")}). Members move one per update, ` +
                `each rejoining before the next one goes: keep ${moves.slice(1).map((m) => `${m.name}: ${m.subnetId}`).join(", ")} for this update and move it in the next.`,
        );
    }
    const [member] = moves;
    if (input.healthGate === "off") {
        refuse(`Moving ${member.name} needs the health gates: only its gate waits for it to rejoin. Set healthGate to ssm (or direct) for this change, or keep ${member.name}: ${member.subnetId}.`);
    }
    if (scaling) {
        refuse(`Moving ${member.name} and changing memberCount in one update would make two membership changes in one roll. Make one change at a time: keep ${member.name}: ${member.subnetId} while scaling, or keep memberCount for the move.`);
    }
    const other = runsOtherVersion(kept, input.etcdVersion);
    if (other) {
        refuse(
            `Moving ${member.name} and an etcd version change (${other.name} runs ${other.etcdVersion}, etcdVersion is ${input.etcdVersion}) in one update would roll members while one rejoins. ` +
                `Make one change at a time: keep ${member.name}: ${member.subnetId} and roll the version first, or keep etcdVersion at ${other.etcdVersion} for the move.`,
        );
    }
    return { member: member.name, from: member.subnetId, to: input.memberSubnets[member.name] };
}

/**
 * A member added to a running cluster goes where memberSubnets places it, or else to the listed
 * subnet that holds the fewest members (the first listed among equals), so the members stay
 * spread over the zones.
 */
function placeNew(added: string[], input: DayTwoInput, occupied: string[]): Record<string, string> {
    const count = new Map(input.subnetIds.map((id) => [id, occupied.filter((subnet) => subnet === id).length]));
    for (const name of added) {
        const pinned = input.memberSubnets[name];
        if (pinned) count.set(pinned, count.get(pinned)! + 1);
    }
    const placed: Record<string, string> = {};
    for (const name of added) {
        const subnet = input.memberSubnets[name] ?? input.subnetIds.reduce((best, id) => (count.get(id)! < count.get(best)! ? id : best), input.subnetIds[0]);
        if (!input.memberSubnets[name]) count.set(subnet, count.get(subnet)! + 1);
        placed[name] = subnet;
    }
    return placed;
}

/**
 * memberCount on a running cluster. Members are added and removed one at a time, at the end of the
 * member list: a new member joins as a learner and its gate waits for its promotion; a removed one
 * leaves through `member remove` before its instance goes (components/healthGate.ts memberLeave).
 * Refused: scaling in the same update as an etcd version change (two kinds of change in one roll),
 * and scaling without health gates (nothing would wait for a learner's promotion).
 */
function checkScaling(input: DayTwoInput, running: RunningMember[]): { added: string[]; removed: string[] } {
    const runningNames = running.map((m) => m.name);
    const added = input.memberNames.filter((n) => !runningNames.includes(n));
    const removed = runningNames.filter((n) => !input.memberNames.includes(n));
    if (added.length === 0 && removed.length === 0) return { added, removed };
    const change = added.length ? `adding ${added.join(", ")}` : `removing ${removed.join(", ")}`;
    if (input.healthGate === "off") {
        throw new ConfigError(
            "memberCount",
            input.memberNames.length,
            `The running cluster has ${runningNames.length} members; ${change} needs the health gates: each new member joins as a learner, ` +
                `and only its gate waits for its promotion before the next one joins. Set healthGate to ssm (or direct) for this change, ` +
                `or keep memberCount at ${runningNames.length}.`,
        );
    }
    const other = runsOtherVersion(running, input.etcdVersion);
    if (other) {
        throw new ConfigError(
            "memberCount",
            input.memberNames.length,
            `${change} and an etcd version change (${other.name} runs ${other.etcdVersion}, etcdVersion is ${input.etcdVersion}) in one update ` +
                `would roll members while the membership changes. Make one change at a time: keep memberCount at ${runningNames.length} ` +
                `and roll the version first, or keep etcdVersion at ${other.etcdVersion} while scaling.`,
        );
    }
    return { added, removed };
}

/** A member whose instance runs another etcd version than the one asked for: this update rolls a version. */
function runsOtherVersion(members: RunningMember[], etcdVersion: string): RunningMember | undefined {
    return members.find((m) => m.etcdVersion !== undefined && m.etcdVersion !== etcdVersion);
}

type Semver = [number, number, number];

function semver(version: string): Semver {
    const [major, minor, patch] = version.split(".").map(Number);
    return [major, minor, patch];
}

function compare(a: Semver, b: Semver): number {
    return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * etcd's upgrade rules: one minor line at a time, never below what any member runs (a minor
 * downgrade needs etcd's own downgrade procedure; a return to the version every member still runs
 * after a stopped roll is allowed), and 3.5 reaches 3.6 only from a current 3.5 patch.
 */
export function checkVersions(target: string, running: RunningMember[]): void {
    const known = running.filter((m): m is RunningMember & { etcdVersion: string } => m.etcdVersion !== undefined);
    if (known.length === 0) return;
    const wanted = semver(target);
    const oldest = known.reduce((a, b) => (compare(semver(a.etcdVersion), semver(b.etcdVersion)) <= 0 ? a : b));
    const lowest = semver(oldest.etcdVersion);
    const runs = `${oldest.name} runs ${oldest.etcdVersion}`;
    if (compare(wanted, lowest) < 0) {
        throw new ConfigError(
            "etcdVersion",
            target,
            `${runs}; a downgrade is not rolled: etcd refuses to start an older binary on newer data. Keep etcdVersion at ${oldest.etcdVersion} or newer; ` +
                `a minor downgrade needs etcd's documented downgrade procedure (etcdctl downgrade validate/enable), run by hand first.`,
        );
    }
    if (wanted[0] !== lowest[0] || wanted[1] > lowest[1] + 1) {
        const next = `${lowest[0]}.${lowest[1] + 1}`;
        throw new ConfigError(
            "etcdVersion",
            target,
            `${runs}; etcd upgrades one minor line at a time. Upgrade to a ${next} release first (its own pulumi up), then to ${etcdLine(target)}.`,
        );
    }
    if (wanted[1] === lowest[1] + 1 && etcdLine(oldest.etcdVersion) === "3.5" && compare(lowest, semver(MIN_35_BEFORE_36)) < 0) {
        throw new ConfigError(
            "etcdVersion",
            target,
            `${runs}; 3.5 members move to 3.6 only from ${MIN_35_BEFORE_36} or newer. Upgrade to ${MIN_35_BEFORE_36} or a newer 3.5 patch first (its own pulumi up), then to ${target}.`,
        );
    }
}

/**
 * A looked-up AMI is ignored on running members (a new AMI release never replaces them), so a
 * change of architecture would keep the old architecture's AMI on the new instance type, and the
 * replacement could not boot after its predecessor was gone.
 */
function checkArchitecture(input: DayTwoInput, running: RunningMember[]): void {
    if (input.amiId !== undefined) return;
    const other = running.find((m) => m.arch !== undefined && m.arch !== input.arch);
    if (!other) return;
    throw new ConfigError(
        "instanceFamily",
        input.arch,
        `${other.name} runs ${other.arch}, and the new instance family is ${input.arch}. The looked-up AMI stays the running ${other.arch} one, ` +
            `which a ${input.arch} instance cannot boot. Set amiId to an ${input.arch} AMI for this change (members then roll one at a time), or keep a ${other.arch} family.`,
    );
}

/**
 * Members stay in the subnet they run in: their subnet is never taken from a position in
 * subnetIds, so reordering, adding or removing other subnets moves nobody. A member whose subnet
 * is no longer listed is refused rather than moved (a move gives it a new interface and address;
 * only memberSubnets asks for one).
 */
function keepSubnets(input: DayTwoInput, running: RunningMember[]): Record<string, string> {
    const subnets: Record<string, string> = {};
    for (const member of running) {
        if (!input.subnetIds.includes(member.subnetId)) {
            throw new ConfigError(
                "subnetIds",
                input.subnetIds,
                `${member.name} runs in ${member.subnetId}, which subnetIds no longer lists. Members are never moved by a routine update ` +
                    `(a move gives a member a new network interface and address). Keep ${member.subnetId} in subnetIds, and move the members out of it ` +
                    `first, one per update, with memberSubnets (e.g. ${member.name}: ${input.subnetIds[0]}).`,
            );
        }
        subnets[member.name] = member.subnetId;
    }
    return subnets;
}
