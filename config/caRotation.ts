import { createHash } from "crypto";
import { ConfigError } from "./errors";

/** ECDSA keys are P-256, RSA keys 2048 bits. */
export const KEY_ALGORITHMS = ["ECDSA", "RSA"] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/**
 * A CA rotation, as settings. etcd trusts every CA of a bundle in its trusted-ca files, but reads
 * them only when it starts, and a peer that does not trust a member's CA cuts it off
 * (tests/integration/caTrust.test.ts). So a new CA goes in three updates, each rolling the
 * members one at a time behind the gates:
 *
 *   caGeneration g, caRotation none            trust g,     sign with g   (where it starts)
 *   caGeneration g, caRotation trust-next      trust g+1 too, sign with g
 *   caGeneration g, caRotation sign-with-next  trust both,  sign with g+1 (new keys)
 *   caGeneration g+1, caRotation none          trust g+1,   sign with g+1 (where it ends)
 *
 * Each line is one step further than the one above, so a rotation is a walk along one number
 * (`rotationStep`), and an update may move every member at most one step.
 */
export const CA_ROTATION_PHASES = ["none", "trust-next", "sign-with-next"] as const;
export type CaRotationPhase = (typeof CA_ROTATION_PHASES)[number];

export interface CaState {
    /** caGeneration: which CA is the cluster's own; 1 is the CA the cluster was made with. */
    generation: number;
    phase: CaRotationPhase;
}

/** What runs on a member (its instance's INSTANCE_TAGS.ca): the CA state and the key algorithm of each generation it uses. */
export interface RunningCa extends CaState {
    algorithms: Record<number, KeyAlgorithm>;
    /**
     * Which CA each generation is (caSource): created by the package, or the fingerprint of the one
     * you brought. Absent on members tagged before it was recorded; their next update records it.
     */
    sources?: Record<number, string>;
}

/** A created CA: the package makes it once per generation and never replaces it (components/pki.ts). */
export const CREATED_CA = "created";

/**
 * Which CA a generation is, as its instance tag records it: CREATED_CA, or `sha-` and 16 hex digits
 * of the sha256 of a brought CA certificate's DER (its PEM bodies: whitespace and line ends do not count).
 */
export function caSource(broughtPem: string | undefined): string {
    if (!broughtPem) return CREATED_CA;
    const bodies = [...broughtPem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1].replace(/\s+/g, ""));
    const der = Buffer.concat((bodies.length > 0 ? bodies : [broughtPem.trim()]).map((body) => Buffer.from(body, "base64")));
    return `sha-${createHash("sha256").update(der).digest("hex").slice(0, 16)}`;
}

/** The source of each generation a state trusts: caCertPem makes the current one, nextCaCertPem the next. */
export function caSources(state: CaState, caCertPem: string | undefined, nextCaCertPem: string | undefined): Record<number, string> {
    return Object.fromEntries(trustedGenerations(state).map((g) => [g, caSource(g === state.generation ? caCertPem : nextCaCertPem)]));
}

export const INITIAL_CA_STATE: CaState = Object.freeze({ generation: 1, phase: "none" });

/** The generations whose CAs every member trusts, oldest first: the CA bundle. */
export function trustedGenerations(state: CaState): number[] {
    return state.phase === "none" ? [state.generation] : [state.generation, state.generation + 1];
}

/** The generation whose CA signs the member and client certificates. */
export function signingGeneration(state: CaState): number {
    return state.phase === "sign-with-next" ? state.generation + 1 : state.generation;
}

/**
 * What a member's user data says of its CA: nothing for a cluster that never rotated (its user
 * data stays as it was), else the trusted generations and the signing one, so each rotation step
 * changes every member's user data and rolls the members.
 */
export function caOfMember(state: CaState): { trusted: number[]; signing: number } | undefined {
    if (rotationStep(state) === rotationStep(INITIAL_CA_STATE)) return undefined;
    return { trusted: trustedGenerations(state), signing: signingGeneration(state) };
}

/** The position of a state on the rotation walk: (g, none) = 3(g-1), then +1 per phase; (g+1, none) follows (g, sign-with-next). */
export function rotationStep(state: CaState): number {
    return 3 * (state.generation - 1) + CA_ROTATION_PHASES.indexOf(state.phase);
}

/**
 * The instance tag value: `<generation>/<phase>/<generation>:<algorithm>:<source>[/...]`, one entry
 * per trusted generation (an entry without its source, as tags were first written, still reads);
 * EC2 tags allow these characters.
 */
export function formatCaTag(running: RunningCa): string {
    const generations = trustedGenerations(running).map((g) => [g, running.algorithms[g], ...(running.sources?.[g] ? [running.sources[g]] : [])].join(":"));
    return [String(running.generation), running.phase, ...generations].join("/");
}

/** Reads formatCaTag's value back; anything else (a hand-edited tag) reads as unknown. */
export function parseCaTag(value: string | undefined): RunningCa | undefined {
    if (!value) return undefined;
    const [generation, phase, ...algorithms] = value.split("/");
    const state = { generation: Number(generation), phase: phase as CaRotationPhase };
    if (!Number.isInteger(state.generation) || state.generation < 1 || !CA_ROTATION_PHASES.includes(state.phase)) return undefined;
    const parsed: Record<number, KeyAlgorithm> = {};
    const sources: Record<number, string> = {};
    for (const entry of algorithms) {
        const [g, algorithm, source] = entry.split(":");
        if (!KEY_ALGORITHMS.includes(algorithm as KeyAlgorithm)) return undefined;
        parsed[Number(g)] = algorithm as KeyAlgorithm;
        if (source) sources[Number(g)] = source;
    }
    if (trustedGenerations(state).some((g) => parsed[g] === undefined)) return undefined;
    return { ...state, algorithms: parsed, ...(Object.keys(sources).length > 0 ? { sources } : {}) };
}

function describe(state: CaState): string {
    return `caGeneration ${state.generation}, caRotation ${state.phase}`;
}

/** The settings of the next step from `state`, as the user writes them. */
function nextStep(state: CaState): string {
    if (state.phase === "none") return `caRotation: trust-next (with caGeneration ${state.generation})`;
    if (state.phase === "trust-next") return `caRotation: sign-with-next (with caGeneration ${state.generation})`;
    return `caGeneration: ${state.generation + 1} with caRotation none`;
}

export interface CaPlanInput {
    desired: CaState;
    /** keyAlgorithm: the algorithm of the newest generation's keys. */
    keyAlgorithm: KeyAlgorithm;
    /** Which CA each generation the desired state trusts is (caSources of caCertPem and nextCaCertPem). */
    sources: Record<number, string>;
}

/** The key algorithm of every generation the desired state uses. */
export type CaPlan = { algorithms: Record<number, KeyAlgorithm>; rotating: boolean };

/**
 * Checks a CA state against what the members run, and says which key algorithm each generation
 * has. A generation a member already uses keeps its algorithm (changing it would replace its CA
 * and every key at once, which cuts the members off from each other); a generation that is new
 * gets keyAlgorithm. So keyAlgorithm changes only along with a new CA: set it with trust-next.
 * Throws ConfigError before anything is touched.
 */
export function planCa(input: CaPlanInput, running: Array<{ name: string; ca?: RunningCa }>): CaPlan {
    const { desired, keyAlgorithm } = input;
    const want = rotationStep(desired);
    const known = running.filter((m): m is { name: string; ca: RunningCa } => m.ca !== undefined);
    const algorithms: Record<number, KeyAlgorithm> = {};
    const generations = trustedGenerations(desired);
    if (known.length === 0) {
        // First deployment, or members from before the tag: every generation takes keyAlgorithm,
        // as before. A rotation needs to know what runs, so it waits for one update that records it.
        if (running.length > 0 && rotationStep(desired) !== rotationStep(INITIAL_CA_STATE)) {
            throw new ConfigError(
                "caRotation",
                desired.phase,
                `The running members do not record their CA yet (their instances have no CA tag yet). Run one pulumi up with caGeneration 1 and caRotation none first: it records the CA on every member without replacing any; then start the rotation.`,
            );
        }
        for (const g of generations) algorithms[g] = keyAlgorithm;
        return { algorithms, rotating: false };
    }
    for (const member of known) {
        const at = rotationStep(member.ca);
        if (Math.abs(at - want) > 1) {
            throw new ConfigError(
                desired.generation !== member.ca.generation ? "caGeneration" : "caRotation",
                describe(desired),
                `${member.name} runs ${describe(member.ca)}; a CA rotation moves one phase per update, every member trusting the CA the others present at each step. ` +
                    `The next step from there is ${nextStep(member.ca)}; the way back is one step too.`,
            );
        }
        for (const g of trustedGenerations(member.ca)) {
            const algorithm = member.ca.algorithms[g];
            if (generations.includes(g) && algorithms[g] === undefined) algorithms[g] = algorithm;
            checkSameCa(input, member.name, g, member.ca.sources?.[g]);
        }
    }
    const newest = generations[generations.length - 1];
    for (const g of generations) {
        if (algorithms[g] !== undefined) continue;
        algorithms[g] = keyAlgorithm;
    }
    if (algorithms[newest] !== keyAlgorithm) {
        const runs = known.find((m) => trustedGenerations(m.ca).includes(newest))!;
        throw new ConfigError(
            "keyAlgorithm",
            keyAlgorithm,
            `${runs.name} already uses ${algorithms[newest]} keys for CA generation ${newest}; changing them in place would replace the CA and every key at once, and the members would cut each other off. ` +
                `Keep keyAlgorithm ${algorithms[newest]} now. A new algorithm comes with a new CA: set it together with ${nextStep(desired.phase === "none" ? desired : { generation: newest, phase: "none" })}.`,
        );
    }
    const rotating = known.some((m) => rotationStep(m.ca) !== want);
    return { algorithms, rotating };
}

const describeSource = (source: string) => (source === CREATED_CA ? "the CA the package created" : `your CA ${source}`);

/**
 * A generation a member trusts stays the same CA: another one in its place (caCertPem brought,
 * changed or removed, or the next CA's changed) would sign every certificate anew at once, and the
 * members, which read their CAs only at start, would cut each other off. Another CA comes through
 * a rotation, as the next generation.
 */
function checkSameCa(input: CaPlanInput, member: string, generation: number, running: string | undefined): void {
    const desired = input.sources[generation];
    if (running === undefined || desired === undefined || desired === running) return;
    const setting = generation === input.desired.generation ? "caCertPem" : "nextCaCertPem";
    throw new ConfigError(
        setting,
        desired === CREATED_CA ? undefined : desired,
        `${member} trusts ${describeSource(running)} as CA generation ${generation}, and this update makes that generation ${describeSource(desired)}: ` +
            `every certificate would be signed by another CA at once, outside the gates, and members that trust only the old one would cut each other off. ` +
            `Keep ${setting} as it was. To change the CA, rotate to it: ${nextStep(input.desired.phase === "none" ? input.desired : { generation: input.desired.generation, phase: "none" })}` +
            `, with nextCaCertPem/nextCaPrivateKeyPem for a CA of your own (README, Rotating the CA).`,
    );
}
