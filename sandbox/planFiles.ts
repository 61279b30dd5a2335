import * as path from "path";
import { SandboxPlan } from "./sandboxPlan";
import { writeFile } from "./state";

/**
 * What the plan holds for the sandbox's host side, written under .sandbox/<stack>/: the SSM
 * parameters the aws stand-in serves to the machines (ssm/<name>, keys 0600), the S3 objects the
 * sandbox's S3 starts with (s3/<bucket>/<key>), and the client certificates (tls/).
 */

/** The plan's SSM parameters as files the aws stand-in reads, and its S3 objects as files to put into the sandbox's S3 (sandbox/s3.ts seedObjects). */
export function writeParameterStore(plan: SandboxPlan, stackDir: string): { ssmDir: string; s3Dir: string } {
    const ssmDir = path.join(stackDir, "ssm");
    for (const [name, { value, secure }] of Object.entries(plan.parameters)) {
        if (!name.startsWith("/") || name.includes("..")) throw new Error(`unexpected SSM parameter name ${name}`);
        writeFile(path.join(ssmDir, name), value, secure ? 0o600 : 0o644);
    }
    const s3Dir = path.join(stackDir, "s3");
    for (const [object, content] of Object.entries(plan.objects ?? {})) {
        if (object.startsWith("/") || object.includes("..")) throw new Error(`unexpected S3 object ${object}`);
        writeFile(path.join(s3Dir, object), content, 0o644);
    }
    return { ssmDir, s3Dir };
}

/** The admin and consumer certificates for clients on this host; keys 0600. */
export function writeClientCertificates(plan: SandboxPlan, stackDir: string) {
    const tls = path.join(stackDir, "tls");
    const caFile = path.join(tls, "ca.pem");
    writeFile(caFile, plan.caCertPem);
    writeFile(path.join(tls, "admin.pem"), plan.adminCertPem, 0o600);
    writeFile(path.join(tls, "admin-key.pem"), plan.adminKeyPem, 0o600);
    const clientCertificates: Record<string, { certFile: string; keyFile: string }> = {};
    for (const [name, { certPem, keyPem }] of Object.entries(plan.clientCertificates)) {
        const certFile = path.join(tls, `${name}.pem`);
        const keyFile = path.join(tls, `${name}-key.pem`);
        writeFile(certFile, certPem, 0o600);
        writeFile(keyFile, keyPem, 0o600);
        clientCertificates[name] = { certFile, keyFile };
    }
    return { caFile, certFile: path.join(tls, "admin.pem"), keyFile: path.join(tls, "admin-key.pem"), clientCertificates };
}
