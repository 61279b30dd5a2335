import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { KeyAlgorithm } from "../config/settings";

/** One member as the PKI sees it: the names and addresses its certificate must carry. */
export interface PkiMember {
    name: string;
    dnsNames: pulumi.Input<string>[];
    ipAddresses: pulumi.Input<string>[];
}

export interface EtcdPkiArgs {
    keyAlgorithm: KeyAlgorithm;
    /** Sign with this CA instead of creating one (both or neither). */
    caCertPem?: pulumi.Input<string>;
    caPrivateKeyPem?: pulumi.Input<string>;
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

const MEMBER_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"];
const CLIENT_USES = ["digital_signature", "key_encipherment", "client_auth"];
const SUBJECT_ORGANIZATION = "etcd";

/**
 * The cluster's certificate authority and every certificate signed by it. Certificates renew on a
 * `pulumi up` within certEarlyRenewalHours of expiry; members pick renewed files up from SSM
 * without being replaced, so renewal never restarts the cluster.
 */
export class EtcdPki extends pulumi.ComponentResource {
    public readonly caCertPem: pulumi.Output<string>;
    public readonly memberCerts: Record<string, MemberCerts>;
    /** `admin` plus one per clientNames entry. */
    public readonly clientCerts: Record<string, IssuedCert>;

    private readonly caKeyPem: pulumi.Output<string>;

    constructor(name: string, private readonly args: EtcdPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("etcd:index:Pki", name, {}, opts);

        if (args.caCertPem !== undefined && args.caPrivateKeyPem !== undefined) {
            this.caCertPem = pulumi.output(args.caCertPem);
            this.caKeyPem = pulumi.secret(args.caPrivateKeyPem);
        } else {
            const caKey = this.privateKey(`${name}-ca`);
            const ca = new tls.SelfSignedCert(
                `${name}-ca`,
                {
                    privateKeyPem: caKey,
                    subject: { commonName: `${name} etcd CA`, organization: SUBJECT_ORGANIZATION },
                    isCaCertificate: true,
                    validityPeriodHours: args.caValidityHours,
                    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                },
                { parent: this },
            );
            this.caCertPem = ca.certPem;
            this.caKeyPem = caKey;
        }

        this.memberCerts = {};
        for (const member of args.members) {
            this.memberCerts[member.name] = {
                member: this.issue(`${name}-member-${member.name}`, member.name, MEMBER_USES, member.dnsNames, member.ipAddresses),
                node: this.issue(`${name}-node-${member.name}`, `node-${member.name}`, CLIENT_USES),
            };
        }
        this.clientCerts = {};
        for (const client of ["admin", ...args.clientNames]) {
            this.clientCerts[client] = this.issue(`${name}-client-${client}`, client, CLIENT_USES);
        }

        this.registerOutputs({
            caCertPem: this.caCertPem,
            memberCerts: this.memberCerts,
            clientCerts: this.clientCerts,
        });
    }

    private privateKey(name: string): pulumi.Output<string> {
        const key = new tls.PrivateKey(
            name,
            this.args.keyAlgorithm === "ECDSA" ? { algorithm: "ECDSA", ecdsaCurve: "P256" } : { algorithm: "RSA", rsaBits: 2048 },
            { parent: this },
        );
        return pulumi.secret(key.privateKeyPem);
    }

    private issue(
        resourceName: string,
        commonName: string,
        allowedUses: string[],
        dnsNames: pulumi.Input<string>[] = [],
        ipAddresses: pulumi.Input<string>[] = [],
    ): IssuedCert {
        const keyPem = this.privateKey(resourceName);
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
                caCertPem: this.caCertPem,
                caPrivateKeyPem: this.caKeyPem,
                validityPeriodHours: this.args.certValidityHours,
                earlyRenewalHours: this.args.certEarlyRenewalHours,
                allowedUses,
            },
            { parent: this },
        );
        return { certPem: cert.certPem, keyPem };
    }
}
