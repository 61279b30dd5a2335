/** The CA rotation model: one step per update along one walk, and each generation's key algorithm kept. */
import { CaState, formatCaTag, INITIAL_CA_STATE, parseCaTag, planCa, RunningCa, rotationStep, signingGeneration, trustedGenerations, caOfMember } from "../../config/caRotation";
import { refusal } from "../helpers/refusal";
import { resolveSettings } from "../../config/settings";

const A: CaState = { generation: 1, phase: "none" };
const B: CaState = { generation: 1, phase: "trust-next" };
const C: CaState = { generation: 1, phase: "sign-with-next" };
const D: CaState = { generation: 2, phase: "none" };

const runs = (state: CaState, algorithms: RunningCa["algorithms"]) => ["etcd1", "etcd2", "etcd3"].map((name) => ({ name, ca: { ...state, algorithms } }));


describe("the phases", () => {
    test("trust and signing generations, and one walk through them", () => {
        expect([A, B, C, D].map((s) => [trustedGenerations(s), signingGeneration(s), rotationStep(s)])).toEqual([
            [[1], 1, 0],
            [[1, 2], 1, 1],
            [[1, 2], 2, 2],
            [[2], 2, 3],
        ]);
    });

    test("a cluster that never rotated says nothing of its CA in user data; every other state does", () => {
        expect(caOfMember(INITIAL_CA_STATE)).toBeUndefined();
        expect(caOfMember(B)).toEqual({ trusted: [1, 2], signing: 1 });
        expect(caOfMember(D)).toEqual({ trusted: [2], signing: 2 });
    });

    test("the instance tag reads back what it wrote, and a tag it did not write reads as unknown", () => {
        const running: RunningCa = { ...B, algorithms: { 1: "ECDSA", 2: "RSA" } };
        expect(formatCaTag(running)).toBe("1/trust-next/1:ECDSA/2:RSA");
        expect(parseCaTag(formatCaTag(running))).toEqual(running);
        for (const bad of ["", "x/none/1:ECDSA", "1/rotating/1:ECDSA", "1/trust-next/1:ECDSA", "1/none/1:DSA"]) expect(parseCaTag(bad)).toBeUndefined();
    });
});

describe("planCa against what runs", () => {
    test("the first deployment takes keyAlgorithm for every generation", () => {
        expect(planCa({ desired: A, keyAlgorithm: "RSA" }, [])).toEqual({ algorithms: { 1: "RSA" }, rotating: false });
    });

    test("each step forward and back is allowed; the older generation keeps its algorithm, the new one takes keyAlgorithm", () => {
        expect(planCa({ desired: A, keyAlgorithm: "ECDSA" }, runs(A, { 1: "ECDSA" }))).toEqual({ algorithms: { 1: "ECDSA" }, rotating: false });
        expect(planCa({ desired: B, keyAlgorithm: "RSA" }, runs(A, { 1: "ECDSA" }))).toEqual({ algorithms: { 1: "ECDSA", 2: "RSA" }, rotating: true });
        expect(planCa({ desired: C, keyAlgorithm: "RSA" }, runs(B, { 1: "ECDSA", 2: "RSA" }))).toEqual({ algorithms: { 1: "ECDSA", 2: "RSA" }, rotating: true });
        expect(planCa({ desired: D, keyAlgorithm: "RSA" }, runs(C, { 1: "ECDSA", 2: "RSA" }))).toEqual({ algorithms: { 2: "RSA" }, rotating: true });
        // Back one step: drop the next CA before anything was signed with it.
        expect(planCa({ desired: A, keyAlgorithm: "ECDSA" }, runs(B, { 1: "ECDSA", 2: "RSA" }))).toEqual({ algorithms: { 1: "ECDSA" }, rotating: true });
    });

    test("a half-done step (one member moved on, a gate failed) may be finished or undone", () => {
        const half = [...runs(B, { 1: "ECDSA", 2: "RSA" }).slice(0, 1), ...runs(A, { 1: "ECDSA" }).slice(1)];
        expect(planCa({ desired: B, keyAlgorithm: "RSA" }, half).rotating).toBe(true);
        expect(planCa({ desired: A, keyAlgorithm: "ECDSA" }, half).rotating).toBe(true);
        const err = refusal(() => planCa({ desired: C, keyAlgorithm: "RSA" }, half));
        expect(err.message).toMatch(/^Invalid setting caRotation: got "caGeneration 1, caRotation sign-with-next"\. etcd2 runs caGeneration 1, caRotation none; .*next step from there is caRotation: trust-next/);
    });

    test("skipping a phase is refused, naming the setting changed and the next step", () => {
        const skip = refusal(() => planCa({ desired: D, keyAlgorithm: "ECDSA" }, runs(A, { 1: "ECDSA" })));
        expect(skip.setting).toBe("caGeneration");
        expect(skip.message).toContain("etcd1 runs caGeneration 1, caRotation none");
        expect(skip.message).toContain("The next step from there is caRotation: trust-next (with caGeneration 1)");
        expect(refusal(() => planCa({ desired: C, keyAlgorithm: "ECDSA" }, runs(A, { 1: "ECDSA" }))).setting).toBe("caRotation");
    });

    test("keyAlgorithm changed in place is refused: it would replace the CA and every key at once", () => {
        const err = refusal(() => planCa({ desired: A, keyAlgorithm: "RSA" }, runs(A, { 1: "ECDSA" })));
        expect(err.setting).toBe("keyAlgorithm");
        expect(err.message).toMatch(/etcd1 already uses ECDSA keys for CA generation 1; .*Keep keyAlgorithm ECDSA now\. A new algorithm comes with a new CA: set it together with caRotation: trust-next \(with caGeneration 1\)/);
        // Changing it again after the next CA was made with it is refused too.
        expect(refusal(() => planCa({ desired: C, keyAlgorithm: "ECDSA" }, runs(B, { 1: "ECDSA", 2: "RSA" }))).setting).toBe("keyAlgorithm");
        expect(refusal(() => planCa({ desired: D, keyAlgorithm: "ECDSA" }, runs(C, { 1: "ECDSA", 2: "RSA" }))).setting).toBe("keyAlgorithm");
    });

    test("members from before the tag: routine updates go on as before, a rotation waits for one update that records the CA", () => {
        const untagged = [{ name: "etcd1" }, { name: "etcd2" }, { name: "etcd3" }];
        expect(planCa({ desired: A, keyAlgorithm: "RSA" }, untagged)).toEqual({ algorithms: { 1: "RSA" }, rotating: false });
        const err = refusal(() => planCa({ desired: B, keyAlgorithm: "RSA" }, untagged));
        expect(err.message).toContain("Run one pulumi up with caGeneration 1 and caRotation none first");
    });
});

describe("settings", () => {
    const base = { kubernetesNodeCount: 10, subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"], vpcId: "vpc-0a1b2c3d4e5f60718", allowNoAlarmTopic: true };

    test("defaults: generation 1, no rotation", () => {
        expect(resolveSettings(base).pki.ca).toEqual(INITIAL_CA_STATE);
        expect(resolveSettings({ ...base, caGeneration: 3, caRotation: "sign-with-next" }).pki.ca).toEqual({ generation: 3, phase: "sign-with-next" });
    });

    test("bad values name the setting and what is allowed", () => {
        expect(() => resolveSettings({ ...base, caRotation: "rotate" })).toThrow(/Invalid setting caRotation: got "rotate"\..*none, trust-next, sign-with-next/);
        expect(() => resolveSettings({ ...base, caGeneration: 0 })).toThrow(/Invalid setting caGeneration: got 0/);
        expect(() => resolveSettings({ ...base, caGeneration: 1.5 })).toThrow(/Invalid setting caGeneration/);
    });

    test("a next CA of your own: both halves, and only during a rotation", () => {
        expect(() => resolveSettings({ ...base, caRotation: "trust-next", nextCaCertPem: "pem" })).toThrow(/Invalid setting nextCaCertPem: got "\[secret\]"\. Give nextCaCertPem and nextCaPrivateKeyPem together/);
        expect(() => resolveSettings({ ...base, nextCaCertPem: "pem", nextCaPrivateKeyPem: "key" })).toThrow(/Invalid setting nextCaCertPem: .*caRotation is none/);
        expect(() => resolveSettings({ ...base, caRotation: "trust-next", nextCaCertPem: "pem", nextCaPrivateKeyPem: "key" })).not.toThrow();
    });
});
