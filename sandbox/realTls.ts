import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, webcrypto } from "crypto";
import * as x509 from "@peculiar/x509";

/**
 * Real keys and certificates for the @pulumi/tls resources, made from the inputs the component
 * gives them, the way the tls provider (Go's crypto/x509) makes them: the subject, SANs, key usage,
 * extended key usage, CA flag and validity all come from the resource's inputs, and a
 * LocallySignedCert takes subject, SANs and public key from the CSR it signs. So a missing SAN or
 * usage in the component breaks TLS in the sandbox just as it would on AWS.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const subtle = webcrypto.subtle;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;

/** The tls provider's `subject` block. */
export interface TlsSubject {
    commonName?: string;
    organization?: string;
    organizationalUnit?: string;
    streetAddresses?: string[];
    locality?: string;
    province?: string;
    country?: string;
    postalCode?: string;
    serialNumber?: string;
}

/** The provider's allowed_uses names -> X.509 key usage bits. */
const KEY_USAGES: Record<string, number> = {
    digital_signature: x509.KeyUsageFlags.digitalSignature,
    content_commitment: x509.KeyUsageFlags.nonRepudiation,
    key_encipherment: x509.KeyUsageFlags.keyEncipherment,
    data_encipherment: x509.KeyUsageFlags.dataEncipherment,
    key_agreement: x509.KeyUsageFlags.keyAgreement,
    cert_signing: x509.KeyUsageFlags.keyCertSign,
    crl_signing: x509.KeyUsageFlags.cRLSign,
    encipher_only: x509.KeyUsageFlags.encipherOnly,
    decipher_only: x509.KeyUsageFlags.decipherOnly,
};

/** The provider's allowed_uses names -> extended key usage OIDs. */
const EXTENDED_KEY_USAGES: Record<string, string> = {
    any_extended: "2.5.29.37.0",
    server_auth: x509.ExtendedKeyUsage.serverAuth,
    client_auth: x509.ExtendedKeyUsage.clientAuth,
    code_signing: x509.ExtendedKeyUsage.codeSigning,
    email_protection: x509.ExtendedKeyUsage.emailProtection,
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: x509.ExtendedKeyUsage.timeStamping,
    ocsp_signing: x509.ExtendedKeyUsage.ocspSigning,
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

/** OID of the subjectAltName extension, copied as it is from the request into the certificate. */
const SUBJECT_ALT_NAME = "2.5.29.17";

const CURVES: Record<string, string> = { P224: "P-224", P256: "P-256", P384: "P-384", P521: "P-521" };
/** Node's (OpenSSL's) curve names -> WebCrypto's. */
const NODE_CURVES: Record<string, string> = { secp224r1: "P-224", prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

export interface PrivateKeyOutputs {
    algorithm: string;
    privateKeyPem: string;
    privateKeyPemPkcs8: string;
    publicKeyPem: string;
}

/** tls.PrivateKey: RSA (rsaBits, default 2048), ECDSA (ecdsaCurve, default P224 like the provider) or ED25519. */
export function generatePrivateKey(inputs: { algorithm: string; rsaBits?: number; ecdsaCurve?: string }): PrivateKeyOutputs {
    let privateKey: KeyObject;
    let traditional: "pkcs1" | "sec1" | "pkcs8";
    switch (inputs.algorithm) {
        case "RSA":
            ({ privateKey } = generateKeyPairSync("rsa", { modulusLength: inputs.rsaBits ?? 2048 }));
            traditional = "pkcs1";
            break;
        case "ECDSA": {
            const curve = inputs.ecdsaCurve ?? "P224";
            if (!CURVES[curve]) throw new Error(`tls.PrivateKey: unsupported ecdsaCurve ${curve}`);
            ({ privateKey } = generateKeyPairSync("ec", { namedCurve: CURVES[curve] }));
            traditional = "sec1";
            break;
        }
        case "ED25519":
            ({ privateKey } = generateKeyPairSync("ed25519"));
            traditional = "pkcs8";
            break;
        default:
            throw new Error(`tls.PrivateKey: unsupported algorithm ${inputs.algorithm}`);
    }
    return {
        algorithm: inputs.algorithm,
        privateKeyPem: privateKey.export({ type: traditional, format: "pem" }) as string,
        privateKeyPemPkcs8: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
        publicKeyPem: createPublicKey(privateKey).export({ type: "spki", format: "pem" }) as string,
    };
}

/** A key pair as WebCrypto keys, with the signature algorithm Go's x509 picks for it. */
async function importKeyPair(privateKeyPem: string): Promise<{ keys: CryptoKeyPair; signing: Algorithm & Record<string, unknown> }> {
    const key = createPrivateKey(privateKeyPem);
    const pkcs8 = key.export({ type: "pkcs8", format: "der" });
    const spki = createPublicKey(key).export({ type: "spki", format: "der" });
    let algorithm: Algorithm & Record<string, unknown>;
    let signing: Algorithm & Record<string, unknown>;
    if (key.asymmetricKeyType === "ec") {
        const namedCurve = NODE_CURVES[String(key.asymmetricKeyDetails?.namedCurve)];
        if (!namedCurve) throw new Error(`unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve}`);
        const hash = namedCurve === "P-384" ? "SHA-384" : namedCurve === "P-521" ? "SHA-512" : "SHA-256";
        algorithm = { name: "ECDSA", namedCurve };
        signing = { name: "ECDSA", hash };
    } else if (key.asymmetricKeyType === "rsa") {
        algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
        signing = algorithm;
    } else if (key.asymmetricKeyType === "ed25519") {
        algorithm = { name: "Ed25519" };
        signing = algorithm;
    } else {
        throw new Error(`unsupported private key type ${key.asymmetricKeyType}`);
    }
    const privateKey = await subtle.importKey("pkcs8", pkcs8, algorithm, true, ["sign"]);
    const publicKey = await subtle.importKey("spki", spki, algorithm, true, ["verify"]);
    return { keys: { privateKey, publicKey } as CryptoKeyPair, signing };
}

/** Go's pkix.Name order: C, ST, L, street, postal code, O, OU, CN, serial number. */
function subjectName(subject: TlsSubject | undefined): x509.Name {
    const s = subject ?? {};
    const rdns: Array<Record<string, string[]>> = [];
    const add = (type: string, values: Array<string | undefined> | undefined) => {
        for (const value of values ?? []) if (value) rdns.push({ [type]: [value] });
    };
    add("C", [s.country]);
    add("ST", [s.province]);
    add("L", [s.locality]);
    add("2.5.4.9", s.streetAddresses);
    add("2.5.4.17", [s.postalCode]);
    add("O", [s.organization]);
    add("OU", [s.organizationalUnit]);
    add("CN", [s.commonName]);
    add("2.5.4.5", [s.serialNumber]);
    return new x509.Name(rdns);
}

function sanExtension(dnsNames: string[] = [], ipAddresses: string[] = [], uris: string[] = []): x509.SubjectAlternativeNameExtension | undefined {
    const names: x509.JsonGeneralName[] = [
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
        ...uris.map((value) => ({ type: "url" as const, value })),
    ];
    return names.length > 0 ? new x509.SubjectAlternativeNameExtension(names) : undefined;
}

function usageExtensions(allowedUses: string[], isCa: boolean): x509.Extension[] {
    const unknown = allowedUses.filter((u) => KEY_USAGES[u] === undefined && EXTENDED_KEY_USAGES[u] === undefined);
    if (unknown.length > 0) throw new Error(`unknown allowed_uses: ${unknown.join(", ")}`);
    const bits = allowedUses.reduce((acc, u) => acc | (KEY_USAGES[u] ?? 0), 0);
    const extended = allowedUses.map((u) => EXTENDED_KEY_USAGES[u]).filter((oid): oid is string => oid !== undefined);
    const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(isCa, undefined, true)];
    if (bits !== 0) extensions.push(new x509.KeyUsagesExtension(bits, true));
    if (extended.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(extended, false));
    return extensions;
}

function validity(hours: number): { notBefore: Date; notAfter: Date } {
    const notBefore = new Date();
    return { notBefore, notAfter: new Date(notBefore.getTime() + hours * 3600_000) };
}

/** A positive 128-bit serial number, as the provider draws it. */
function serialNumber(): string {
    const bytes = randomBytes(16);
    bytes[0] &= 0x7f;
    return bytes.toString("hex");
}

export interface SelfSignedCertInputs {
    privateKeyPem: string;
    subject?: TlsSubject;
    dnsNames?: string[];
    ipAddresses?: string[];
    uris?: string[];
    validityPeriodHours: number;
    allowedUses: string[];
    isCaCertificate?: boolean;
}

export interface CertOutputs {
    certPem: string;
    validityStartTime: string;
    validityEndTime: string;
}

/** tls.SelfSignedCert. */
export async function selfSignedCert(inputs: SelfSignedCertInputs): Promise<CertOutputs> {
    const { keys, signing } = await importKeyPair(inputs.privateKeyPem);
    const { notBefore, notAfter } = validity(inputs.validityPeriodHours);
    const name = subjectName(inputs.subject);
    const san = sanExtension(inputs.dnsNames, inputs.ipAddresses, inputs.uris);
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: name,
        issuer: name,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: signing,
        extensions: [
            ...usageExtensions(inputs.allowedUses, inputs.isCaCertificate ?? false),
            ...(san ? [san] : []),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
    });
    return { certPem: pem(cert.toString("pem")), validityStartTime: notBefore.toISOString(), validityEndTime: notAfter.toISOString() };
}

export interface CertRequestInputs {
    privateKeyPem: string;
    subject?: TlsSubject;
    dnsNames?: string[];
    ipAddresses?: string[];
    uris?: string[];
}

/** tls.CertRequest: a PKCS#10 request carrying the subject and SANs, signed by the key. */
export async function certRequest(inputs: CertRequestInputs): Promise<{ certRequestPem: string }> {
    const { keys, signing } = await importKeyPair(inputs.privateKeyPem);
    const san = sanExtension(inputs.dnsNames, inputs.ipAddresses, inputs.uris);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: subjectName(inputs.subject),
        keys,
        signingAlgorithm: signing,
        extensions: san ? [san] : [],
    });
    return { certRequestPem: pem(csr.toString("pem")) };
}

export interface LocallySignedCertInputs {
    certRequestPem: string;
    caCertPem: string;
    caPrivateKeyPem: string;
    validityPeriodHours: number;
    allowedUses: string[];
    isCaCertificate?: boolean;
}

/** tls.LocallySignedCert: the CSR's subject, SANs and public key, signed by the CA with the given usages. */
export async function locallySignedCert(inputs: LocallySignedCertInputs): Promise<CertOutputs> {
    const csr = new x509.Pkcs10CertificateRequest(inputs.certRequestPem);
    if (!(await csr.verify())) throw new Error("tls.LocallySignedCert: the certificate request's signature does not verify");
    const ca = new x509.X509Certificate(inputs.caCertPem);
    const { keys: caKeys, signing } = await importKeyPair(inputs.caPrivateKeyPem);
    const caPublic = createPublicKey(inputs.caPrivateKeyPem).export({ type: "spki", format: "der" });
    if (!Buffer.from(ca.publicKey.rawData).equals(caPublic)) {
        throw new Error("tls.LocallySignedCert: caPrivateKeyPem is not the key of caCertPem");
    }
    const publicKey = await csr.publicKey.export();
    const san = csr.getExtension(SUBJECT_ALT_NAME);
    const { notBefore, notAfter } = validity(inputs.validityPeriodHours);
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: csr.subjectName,
        issuer: ca.subjectName,
        notBefore,
        notAfter,
        publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: signing,
        extensions: [
            ...usageExtensions(inputs.allowedUses, inputs.isCaCertificate ?? false),
            ...(san ? [san] : []),
            await x509.SubjectKeyIdentifierExtension.create(publicKey),
            await x509.AuthorityKeyIdentifierExtension.create(ca),
        ],
    });
    return { certPem: pem(cert.toString("pem")), validityStartTime: notBefore.toISOString(), validityEndTime: notAfter.toISOString() };
}

/** PEM with a final newline, like the provider's. */
function pem(text: string): string {
    return text.replace(/\r\n/g, "\n").trimEnd() + "\n";
}
