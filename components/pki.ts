import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CaState, KeyAlgorithm, signingGeneration, trustedGenerations } from "../config/caRotation";

/** One member as the PKI sees it: the names and addresses its certificate must carry. */
export interface PkiMember {
    name: string;
    dnsNames: pulumi.Input<string>[];
    ipAddresses: pulumi.Input<string>[];
}

export interface EtcdPkiArgs {
    /** caGeneration and caRotation: which CAs exist, which are trusted, which one signs. */
    ca: CaState;
    /**
     * The key algorithm of each CA generation in use, from the day-2 check (a generation the
     * members run keeps its algorithm). Every key waits for it, so a refused change makes none.
     */
    algorithms: pulumi.Input<Record<number, KeyAlgorithm>>;
    /** Sign with this CA (generation ca.generation) instead of creating one (both or neither). */
    caCertPem?: pulumi.Input<string>;
    caPrivateKeyPem?: pulumi.Input<string>;
    /** The next CA of a rotation (generation ca.generation + 1), brought instead of created. */
    nextCaCertPem?: pulumi.Input<string>;
    nextCaPrivateKeyPem?: pulumi.Input<string>;
    caValidityHours: number;
    certValidityHours: number;
    certEarlyRenewalHours: number;
    members: PkiMember[];
    /** Client certificates besides `admin`. */
    clientNames: string[];
}

/** A certificate and its key; `keyPem` is always a Pulumi secret. */
export interface IssuedCert {
    certPem: pulumi.Output<string>;
    keyPem: pulumi.Output<string>;
}

export interface MemberCerts {
    /** member-NAME.pem: server and peer certificate (server and client auth). */
    member: IssuedCert;
    /** node-NAME.pem: client certificate for the tools on the node (health, backup, etcdctl). */
    node: IssuedCert;
}

interface Authority {
    certPem: pulumi.Output<string>;
    keyPem: pulumi.Output<string>;
}

const MEMBER_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"];
const CLIENT_USES = ["digital_signature", "key_encipherment", "client_auth"];
const SUBJECT_ORGANIZATION = "etcd";

/**
 * The cluster's certificate authorities and every certificate signed by one. Certificates renew on
 * a `pulumi up` within certEarlyRenewalHours of expiry; members pick renewed files up from SSM
 * without being replaced, so renewal never restarts the cluster.
 *
 * A CA rotation (config/caRotation.ts) keeps the CA of each generation under a name of its own,
 * so the next CA is made once, signs once, and becomes the cluster's own without being replaced.
 * Generation 1 keeps the names the package always used: a cluster made before rotations existed
 * replaces nothing.
 */
export class EtcdPki extends pulumi.ComponentResource {
    /** The trusted CAs, oldest first, as one PEM bundle: what members and clients verify with. */
    public readonly caCertPem: pulumi.Output<string>;
    public readonly memberCerts: Record<string, MemberCerts>;
    /** `admin` plus one per clientNames entry. */
    public readonly clientCerts: Record<string, IssuedCert>;

    private readonly signer: Authority;
    private readonly signerGeneration: number;

    constructor(
        private readonly baseName: string,
        private readonly args: EtcdPkiArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("etcd:index:Pki", baseName, {}, opts);

        const authorities = new Map(trustedGenerations(args.ca).map((g) => [g, this.authority(g)]));
        this.signerGeneration = signingGeneration(args.ca);
        this.signer = authorities.get(this.signerGeneration)!;
        this.caCertPem = pulumi.all([...authorities.values()].map((a) => a.certPem)).apply(caBundle);

        this.memberCerts = {};
        for (const member of args.members) {
            this.memberCerts[member.name] = {
                member: this.issue(`member-${member.name}`, member.name, MEMBER_USES, member.dnsNames, member.ipAddresses),
                node: this.issue(`node-${member.name}`, `node-${member.name}`, CLIENT_USES),
            };
        }
        this.clientCerts = {};
        for (const client of ["admin", ...args.clientNames]) {
            this.clientCerts[client] = this.issue(`client-${client}`, client, CLIENT_USES);
        }

        this.registerOutputs({
            caCertPem: this.caCertPem,
            memberCerts: this.memberCerts,
            clientCerts: this.clientCerts,
        });
    }

    /** A generation's resource name: generation 1 has the unsuffixed names. */
    private named(what: string, generation: number): string {
        return generation === 1 ? `${this.baseName}-${what}` : `${this.baseName}-${what}-g${generation}`;
    }

    /** The CA of one generation: brought (caCertPem for the current one, nextCaCertPem for the next) or created. */
    private authority(generation: number): Authority {
        const brought =
            generation === this.args.ca.generation
                ? { cert: this.args.caCertPem, key: this.args.caPrivateKeyPem }
                : { cert: this.args.nextCaCertPem, key: this.args.nextCaPrivateKeyPem };
        if (brought.cert !== undefined && brought.key !== undefined) {
            // Like a created CA, a brought one waits for the day-2 answer: the CA parameter (and so
            // every member's trust) is never written for a change that is refused.
            const checked = pulumi.output(this.args.algorithms);
            return { certPem: pulumi.all([brought.cert, checked]).apply(([pem]) => pem), keyPem: pulumi.secret(brought.key) };
        }
        const name = this.named("ca", generation);
        const keyPem = this.privateKey(name, generation);
        const ca = new tls.SelfSignedCert(
            name,
            {
                privateKeyPem: keyPem,
                // Generation 1's subject is the one clusters were always made with.
                subject: { commonName: generation === 1 ? `${this.baseName} etcd CA` : `${this.baseName} etcd CA ${generation}`, organization: SUBJECT_ORGANIZATION },
                isCaCertificate: true,
                validityPeriodHours: this.args.caValidityHours,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            },
            // A CA is made once: another validity would replace it (the provider cannot change a
            // certificate), re-signing every certificate at once. caValidityHours counts for the CAs
            // made from then on, the next rotation's.
            { parent: this, ignoreChanges: ["validityPeriodHours"] },
        );
        return { certPem: ca.certPem, keyPem };
    }

    private privateKey(name: string, generation: number): pulumi.Output<string> {
        const algorithm = pulumi.output(this.args.algorithms).apply((all) => all[generation]);
        const key = new tls.PrivateKey(
            name,
            {
                algorithm,
                ecdsaCurve: algorithm.apply((a) => (a === "ECDSA" ? "P256" : undefined)),
                rsaBits: algorithm.apply((a) => (a === "RSA" ? 2048 : undefined)),
            },
            { parent: this },
        );
        return pulumi.secret(key.privateKeyPem);
    }

    private issue(
        what: string,
        commonName: string,
        allowedUses: string[],
        dnsNames: pulumi.Input<string>[] = [],
        ipAddresses: pulumi.Input<string>[] = [],
    ): IssuedCert {
        // Named by the signing generation: the next CA's certificates come with new keys, made once.
        const resourceName = this.named(what, this.signerGeneration);
        const keyPem = this.privateKey(resourceName, this.signerGeneration);
        const request = new tls.CertRequest(
            resourceName,
            {
                privateKeyPem: keyPem,
                subject: { commonName, organization: SUBJECT_ORGANIZATION },
                dnsNames,
                ipAddresses,
            },
            { parent: this },
        );
        const cert = new tls.LocallySignedCert(
            resourceName,
            {
                certRequestPem: request.certRequestPem,
                caCertPem: this.signer.certPem,
                caPrivateKeyPem: this.signer.keyPem,
                validityPeriodHours: this.args.certValidityHours,
                earlyRenewalHours: this.args.certEarlyRenewalHours,
                allowedUses,
            },
            { parent: this },
        );
        return { certPem: cert.certPem, keyPem };
    }
}

/** One PEM file holding every trusted CA, each ending in a newline; a single CA is passed on as it is (its parameter stays unchanged). */
function caBundle(pems: string[]): string {
    if (pems.length === 1) return pems[0];
    return pems.map((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`)).join("");
}
