/** The CA rotation model: one step per update along one walk, and each generation's key algorithm kept. */
import { CaState, caSource, caSources, CREATED_CA, formatCaTag, INITIAL_CA_STATE, parseCaTag, planCa, RunningCa, rotationStep, signingGeneration, trustedGenerations, caOfMember } from "../../config/caRotation";
import { refusal } from "../helpers/refusal";
import { resolveSettings } from "../../config/settings";

const A: CaState = { generation: 1, phase: "none" };
const B: CaState = { generation: 1, phase: "trust-next" };
const C: CaState = { generation: 1, phase: "sign-with-next" };
const D: CaState = { generation: 2, phase: "none" };

/** Every generation of a state made by the package (no CA brought). */
const created = (state: CaState) => caSources(state, undefined, undefined);
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
        const withSources: RunningCa = { ...running, sources: { 1: CREATED_CA, 2: "sha-0123456789abcdef" } };
        expect(formatCaTag(withSources)).toBe("1/trust-next/1:ECDSA:created/2:RSA:sha-0123456789abcdef");
        expect(parseCaTag(formatCaTag(withSources))).toEqual(withSources);
        for (const bad of ["", "x/none/1:ECDSA", "1/rotating/1:ECDSA", "1/trust-next/1:ECDSA", "1/none/1:DSA"]) expect(parseCaTag(bad)).toBeUndefined();
    });
});

describe("which CA a generation is", () => {
    // Certificate-shaped PEM: the fingerprint is of the DER in the body, so only the body counts.
    const pem = (body: string, width = 64) => `-----BEGIN CERTIFICATE-----\n${body.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n")}\n-----END CERTIFICATE-----\n`;
    const one = Buffer.from("a certificate's DER").toString("base64");
    const other = Buffer.from("another certificate's DER").toString("base64");

    test("a brought CA is its certificate's fingerprint, whatever its line breaks; nothing brought is a created CA", () => {
        expect(caSource(undefined)).toBe(CREATED_CA);
        expect(caSource(pem(one))).toMatch(/^sha-[0-9a-f]{16}$/);
        expect(caSource(pem(one, 76))).toBe(caSource(pem(one)));
        expect(caSource(pem(other))).not.toBe(caSource(pem(one)));
        expect(caSources(B, pem(one), undefined)).toEqual({ 1: caSource(pem(one)), 2: CREATED_CA });
    });

    const recorded = (state: CaState, sources: Record<number, string>) => runs(state, { 1: "ECDSA", 2: "ECDSA" }).map((m) => ({ ...m, ca: { ...m.ca, sources } }));

    test("a CA brought, changed or removed in place is refused, naming the setting and the rotation", () => {
        const brought = caSource(pem(one));
        const err = refusal(() => planCa({ desired: A, keyAlgorithm: "ECDSA", sources: { 1: brought } }, recorded(A, { 1: CREATED_CA })));
        expect(err.message).toMatch(/^Invalid setting caCertPem: got "sha-[0-9a-f]{16}"\. etcd1 trusts the CA the package created as CA generation 1, and this update makes that generation your CA sha-[0-9a-f]{16}: every certificate would be signed by another CA at once/);
        expect(err.message).toContain("To change the CA, rotate to it: caRotation: trust-next (with caGeneration 1), with nextCaCertPem/nextCaPrivateKeyPem for a CA of your own");
        expect(refusal(() => planCa({ desired: A, keyAlgorithm: "ECDSA", sources: { 1: caSource(pem(other)) } }, recorded(A, { 1: brought }))).message).toMatch(/^Invalid setting caCertPem: got "sha-/);
        expect(refusal(() => planCa({ desired: A, keyAlgorithm: "ECDSA", sources: { 1: CREATED_CA } }, recorded(A, { 1: brought }))).message).toMatch(/^Invalid setting caCertPem: got nothing\. etcd1 trusts your CA sha-/);
        // The next CA changed between the first and second step.
        expect(refusal(() => planCa({ desired: C, keyAlgorithm: "ECDSA", sources: { 1: CREATED_CA, 2: caSource(pem(other)) } }, recorded(B, { 1: CREATED_CA, 2: brought }))).message).toMatch(/^Invalid setting nextCaCertPem:/);
    });

    test("the same CA in its next place is allowed: step 3 moves nextCaCertPem into caCertPem; members tagged before sources were recorded are not checked", () => {
        const brought = caSource(pem(one));
        expect(planCa({ desired: D, keyAlgorithm: "ECDSA", sources: { 2: brought } }, recorded(C, { 1: CREATED_CA, 2: brought })).rotating).toBe(true);
        expect(planCa({ desired: A, keyAlgorithm: "ECDSA", sources: { 1: brought } }, runs(A, { 1: "ECDSA" })).rotating).toBe(false);
        // Keeping caCertPem (the old CA) at step 3, when the next CA was created, is no longer unseen.
        expect(refusal(() => planCa({ desired: D, keyAlgorithm: "ECDSA", sources: { 2: brought } }, recorded(C, { 1: brought, 2: CREATED_CA }))).message).toMatch(/^Invalid setting caCertPem:/);
    });
});

describe("planCa against what runs", () => {
    test("the first deployment takes keyAlgorithm for every generation", () => {
        expect(planCa({ desired: A, keyAlgorithm: "RSA", sources: created(A) }, [])).toEqual({ algorithms: { 1: "RSA" }, rotating: false });
    });

    test("each step forward and back is allowed; the older generation keeps its algorithm, the new one takes keyAlgorithm", () => {
        expect(planCa({ desired: A, keyAlgorithm: "ECDSA", sources: created(A) }, runs(A, { 1: "ECDSA" }))).toEqual({ algorithms: { 1: "ECDSA" }, rotating: false });
        expect(planCa({ desired: B, keyAlgorithm: "RSA", sources: created(B) }, runs(A, { 1: "ECDSA" }))).toEqual({ algorithms: { 1: "ECDSA", 2: "RSA" }, rotating: true });
        expect(planCa({ desired: C, keyAlgorithm: "RSA", sources: created(C) }, runs(B, { 1: "ECDSA", 2: "RSA" }))).toEqual({ algorithms: { 1: "ECDSA", 2: "RSA" }, rotating: true });
        expect(planCa({ desired: D, keyAlgorithm: "RSA", sources: created(D) }, runs(C, { 1: "ECDSA", 2: "RSA" }))).toEqual({ algorithms: { 2: "RSA" }, rotating: true });
        // Back one step: drop the next CA before anything was signed with it.
        expect(planCa({ desired: A, keyAlgorithm: "ECDSA", sources: created(A) }, runs(B, { 1: "ECDSA", 2: "RSA" }))).toEqual({ algorithms: { 1: "ECDSA" }, rotating: true });
    });

    test("a half-done step (one member moved on, a gate failed) may be finished or undone", () => {
        const half = [...runs(B, { 1: "ECDSA", 2: "RSA" }).slice(0, 1), ...runs(A, { 1: "ECDSA" }).slice(1)];
        expect(planCa({ desired: B, keyAlgorithm: "RSA", sources: created(B) }, half).rotating).toBe(true);
        expect(planCa({ desired: A, keyAlgorithm: "ECDSA", sources: created(A) }, half).rotating).toBe(true);
        const err = refusal(() => planCa({ desired: C, keyAlgorithm: "RSA", sources: created(C) }, half));
        expect(err.message).toMatch(/^Invalid setting caRotation: got "caGeneration 1, caRotation sign-with-next"\. etcd2 runs caGeneration 1, caRotation none; .*next step from there is caRotation: trust-next/);
    });

    test("skipping a phase is refused, naming the setting changed and the next step", () => {
        const skip = refusal(() => planCa({ desired: D, keyAlgorithm: "ECDSA", sources: created(D) }, runs(A, { 1: "ECDSA" })));
        expect(skip.setting).toBe("caGeneration");
        expect(skip.message).toContain("etcd1 runs caGeneration 1, caRotation none");
        expect(skip.message).toContain("The next step from there is caRotation: trust-next (with caGeneration 1)");
        expect(refusal(() => planCa({ desired: C, keyAlgorithm: "ECDSA", sources: created(C) }, runs(A, { 1: "ECDSA" }))).setting).toBe("caRotation");
    });

    test("keyAlgorithm changed in place is refused: it would replace the CA and every key at once", () => {
        const err = refusal(() => planCa({ desired: A, keyAlgorithm: "RSA", sources: created(A) }, runs(A, { 1: "ECDSA" })));
        expect(err.setting).toBe("keyAlgorithm");
        expect(err.message).toMatch(/etcd1 already uses ECDSA keys for CA generation 1; .*Keep keyAlgorithm ECDSA now\. A new algorithm comes with a new CA: set it together with caRotation: trust-next \(with caGeneration 1\)/);
        // Changing it again after the next CA was made with it is refused too.
        expect(refusal(() => planCa({ desired: C, keyAlgorithm: "ECDSA", sources: created(C) }, runs(B, { 1: "ECDSA", 2: "RSA" }))).setting).toBe("keyAlgorithm");
        expect(refusal(() => planCa({ desired: D, keyAlgorithm: "ECDSA", sources: created(D) }, runs(C, { 1: "ECDSA", 2: "RSA" }))).setting).toBe("keyAlgorithm");
    });

    test("members from before the tag: routine updates go on as before, a rotation waits for one update that records the CA", () => {
        const untagged = [{ name: "etcd1" }, { name: "etcd2" }, { name: "etcd3" }];
        expect(planCa({ desired: A, keyAlgorithm: "RSA", sources: created(A) }, untagged)).toEqual({ algorithms: { 1: "RSA" }, rotating: false });
        const err = refusal(() => planCa({ desired: B, keyAlgorithm: "RSA", sources: created(B) }, untagged));
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
