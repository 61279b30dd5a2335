/**
 * The component planning the first step of a CA rotation with a key algorithm change: AWS's reads
 * answer (through the mock runtime) that three members run generation 1 with ECDSA keys; the
 * settings ask for caRotation trust-next and keyAlgorithm RSA.
 */
import { defaultClusterToken } from "../../components/etcdCluster";
import { decodeUserData } from "../../tools/memberFiles";
import { buildCluster, mockRuntime, RecordedResource, theResource as one } from "../helpers/mockCluster";

const SUBNET = { a: "subnet-0a1b2c3d4e5f60001", b: "subnet-0a1b2c3d4e5f60002", c: "subnet-0a1b2c3d4e5f60003" };
const NAME = "rotating";
let resources: RecordedResource[];

beforeAll(async () => {
    const ca = { generation: 1, phase: "none" as const, algorithms: { 1: "ECDSA" as const } };
    await mockRuntime({
        members: [
            { name: "etcd1", subnetId: SUBNET.a, etcdVersion: "3.6.14", arch: "arm64", ca },
            { name: "etcd2", subnetId: SUBNET.b, etcdVersion: "3.6.14", arch: "arm64", ca },
            { name: "etcd3", subnetId: SUBNET.c, etcdVersion: "3.6.14", arch: "arm64", ca },
        ],
        formedToken: defaultClusterToken("proj", "test", NAME),
    });
    ({ resources } = await buildCluster(NAME, {
        vpcId: "vpc-0a1b2c3d4e5f60718",
        subnetIds: [SUBNET.a, SUBNET.b, SUBNET.c],
        etcdVersion: "3.6.14",
        allowNoAlarmTopic: true,
        caRotation: "trust-next",
        keyAlgorithm: "RSA",
    }));
});

const key = (name: string) => one(resources, "tls:index/privateKey:PrivateKey", name).inputs;

test("the CA members run keeps its name and its ECDSA key; the next CA is made with RSA under a name of its own", () => {
    expect(key(`${NAME}-pki-ca`)).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(key(`${NAME}-pki-ca-g2`)).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
    expect(one(resources, "tls:index/selfSignedCert:SelfSignedCert", `${NAME}-pki-ca-g2`).inputs.subject).toMatchObject({ commonName: `${NAME}-pki etcd CA 2` });
});

test("certificates are still signed by generation 1, with the keys they have", () => {
    const leaves = resources.filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert").map((r) => r.name);
    expect(leaves).toContain(`${NAME}-pki-member-etcd1`);
    expect(leaves.some((name) => name.endsWith("-g2"))).toBe(false);
    expect(key(`${NAME}-pki-member-etcd1`)).toMatchObject({ algorithm: "ECDSA" });
    const signer = one(resources, "tls:index/locallySignedCert:LocallySignedCert", `${NAME}-pki-member-etcd1`).inputs.caCertPem;
    expect(signer).toContain(`(mock ${NAME}-pki-ca)`);
});

test("the CA parameter holds both CAs, the running one first", () => {
    const value = String(one(resources, "aws:ssm/parameter:Parameter", `${NAME}-ca`).inputs.value);
    expect(value.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(value.indexOf(`(mock ${NAME}-pki-ca)`)).toBeLessThan(value.indexOf(`(mock ${NAME}-pki-ca-g2)`));
});

test("every member's user data names the step, so the step rolls them; the instance tag records it", () => {
    for (const n of [1, 2, 3]) {
        const instance = one(resources, "aws:ec2/instance:Instance", `${NAME}-etcd${n}`);
        const userData = decodeUserData(instance.inputs);
        expect(userData).toContain("CA_TRUSTED_GENERATIONS='1 2'");
        expect(userData).toContain("CA_SIGNING_GENERATION='1'");
        // Each generation's key algorithm, and which CA it is (both made by the package).
        expect(instance.inputs.tags).toMatchObject({ "etcd:ca": "1/trust-next/1:ECDSA:created/2:RSA:created" });
    }
});
