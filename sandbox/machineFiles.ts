import * as fs from "fs";
import * as path from "path";
import { KEEPER_SCRIPTS, NODE_SCRIPTS } from "../components/render/nodeScripts";
import { PlannedMember, SandboxPlan } from "./sandboxPlan";
import { writeFile } from "./state";

/**
 * Lays out each member's machine on the host, under .sandbox/<stack>/<member>/:
 *   root/<node path>  every file cloud-init writes (rendered configs, member.env, units, scripts),
 *                     plus the empty certificate dir, volume (/var/lib/etcd) and /usr/local/bin;
 *   mounts            "HOST NODE" lines machine.sh binds in the member's mount namespace;
 *   runcmd            cloud-init's runcmd as the script cloud-init would run;
 *   passwd, group     the host's with the system user cloud-init creates (etcd);
 *   replaced/         the rendered OS-level scripts the sandbox substitutes, kept for reference.
 * The plan's SSM parameters go to .sandbox/<stack>/ssm/<name> (keys 0600).
 */

/** OS-level node scripts the sandbox substitutes with sandbox/node/<name>.sh. etcd-fetch-certs runs as rendered, against the aws stand-in. */
export const SUBSTITUTED_SCRIPTS = ["etcd-install", "etcd-prepare-volume", "etcd-start", "etcd-keeper-start"] as const;
/** Substituted when the user data has them (the etcdkeeper UI is optional). */
const OPTIONAL_SCRIPTS: ReadonlySet<string> = new Set(["etcd-keeper-start"]);
const shipped: readonly string[] = [...NODE_SCRIPTS, ...KEEPER_SCRIPTS];
for (const s of SUBSTITUTED_SCRIPTS) {
    if (!shipped.includes(s)) throw new Error(`${s} is no longer a node script; update the sandbox`);
}

const SANDBOX_NODE = path.join(__dirname, "node");

export interface LaidOutMember {
    dir: string;
    dataDir: string;
    unitFile: string;
    /** Node directories bound in the member's mount namespace. */
    mountTargets: string[];
}

export function layOutMember(member: PlannedMember, dir: string): LaidOutMember {
    const root = path.join(dir, "root");
    const onHost = (nodePath: string) => path.join(root, nodePath);
    for (const file of member.files) writeFile(onHost(file.path), file.content, file.mode);

    for (const name of SUBSTITUTED_SCRIPTS) {
        const script = path.join(member.env.SBIN_DIR, name);
        const rendered = onHost(script);
        if (!fs.existsSync(rendered)) {
            if (OPTIONAL_SCRIPTS.has(name)) continue;
            throw new Error(`the user data of ${member.name} writes no ${script}`);
        }
        fs.mkdirSync(path.join(dir, "replaced"), { recursive: true });
        fs.renameSync(rendered, path.join(dir, "replaced", name));
        fs.copyFileSync(path.join(SANDBOX_NODE, `${name}.sh`), rendered);
        fs.chmodSync(rendered, 0o755);
    }

    const nodeDirs = [...new Set([...member.files.map((f) => path.dirname(f.path)), member.env.CERT_DIR, member.env.MOUNT_POINT, member.env.BIN_DIR])];
    const mountTargets = nodeDirs
        .sort()
        .filter((d, i, all) => !all.slice(0, i).some((parent) => d.startsWith(`${parent}/`)));
    for (const d of mountTargets) fs.mkdirSync(onHost(d), { recursive: true });

    const mounts = mountTargets.map((d) => `${onHost(d)} ${d}`);
    const users = userFiles(member, dir);
    mounts.push(...users.map((f) => `${f.host} ${f.node}`));
    fs.writeFileSync(path.join(dir, "mounts"), mounts.join("\n") + "\n");

    fs.writeFileSync(path.join(dir, "runcmd"), "#!/bin/sh\n" + member.runcmd.map((argv) => argv.map(quote).join(" ")).join("\n") + "\n", { mode: 0o755 });
    fs.mkdirSync(path.join(dir, "run"), { recursive: true });

    const unit = member.files.find((f) => f.path.endsWith("/etcd.service"));
    if (!unit) throw new Error(`the user data of ${member.name} writes no etcd.service`);
    return { dir, dataDir: onHost(member.env.DATA_DIR), unitFile: unit.path, mountTargets };
}

/** passwd and group with the users cloud-init creates; none when the host has them all. */
function userFiles(member: PlannedMember, dir: string): Array<{ host: string; node: string }> {
    const passwd = fs.readFileSync("/etc/passwd", "utf8");
    const group = fs.readFileSync("/etc/group", "utf8");
    const has = (text: string, name: string) => text.split("\n").some((l) => l.split(":")[0] === name);
    const taken = new Set([...passwd.split("\n"), ...group.split("\n")].map((l) => Number(l.split(":")[2])).filter(Number.isInteger));
    let extraPasswd = "";
    let extraGroup = "";
    for (const user of member.users.filter((u) => !has(passwd, u.name))) {
        let id = 999;
        while (taken.has(id)) id--;
        taken.add(id);
        extraPasswd += `${user.name}:x:${id}:${id}:${user.name}:${user.home}:/sbin/nologin\n`;
        if (!has(group, user.name)) extraGroup += `${user.name}:x:${id}:\n`;
    }
    if (!extraPasswd) return [];
    writeFile(path.join(dir, "passwd"), passwd.replace(/\n?$/, "\n") + extraPasswd);
    writeFile(path.join(dir, "group"), group.replace(/\n?$/, "\n") + extraGroup);
    return [
        { host: path.join(dir, "passwd"), node: "/etc/passwd" },
        { host: path.join(dir, "group"), node: "/etc/group" },
    ];
}

/**
 * The plan's SSM parameters as files the aws stand-in reads, the plan's S3 objects as files to put
 * into the sandbox's S3 (sandbox/s3.ts seedObjects), and the stand-in itself.
 */
export function writeParameterStore(plan: SandboxPlan, stackDir: string): { ssmDir: string; s3Dir: string; standInDir: string } {
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
    const standInDir = path.join(stackDir, "stand-ins");
    fs.mkdirSync(standInDir, { recursive: true });
    fs.copyFileSync(path.join(SANDBOX_NODE, "aws.sh"), path.join(standInDir, "aws"));
    fs.chmodSync(path.join(standInDir, "aws"), 0o755);
    return { ssmDir, s3Dir, standInDir };
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

function quote(arg: string): string {
    return /^[A-Za-z0-9_./:=,@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
