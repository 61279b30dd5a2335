import * as YAML from "yaml";
import { DEFAULT_ETCD_VERSION } from "../config/etcdReleases";
import { INSTANCE_TAGS, RunningCluster } from "../config/runningCluster";
import { decideSizing } from "../config/sizingDecision";
import { decodeUserData, decodeWriteFiles } from "../tools/memberFiles";
import { RecordedResource } from "../tools/mockRuntime";
import { runPlan } from "../tools/planRunner";
import { runningFromPlan } from "../tools/runningFromPlan";
import { StackSettings } from "../tools/stackFile";
import { plain, sandboxStateHook, TlsState } from "./planHooks";
import { TlsBridge } from "./tlsBridge";

/** One file cloud-init writes on the member. */
export interface NodeFile {
    path: string;
    content: string;
    /** e.g. 0o755 */
    mode: number;
}

export interface PlannedMember {
    name: string;
    ip: string;
    /** The files its user data writes (the sandbox reads settings from them; the machine gets the user data itself). */
    files: NodeFile[];
    /** member.env as key -> value. */
    env: Record<string, string>;
    /** The plan's instance id: a machine's cloud-init instance-id. */
    instanceId: string;
    /** The instance's user data exactly as EC2 receives it (gzip included), base64. */
    userDataBase64: string;
    /**
     * The instance's AMI and type (ignoreAmi when the program ignores AMI changes: a looked-up AMI),
     * and the zone of its data volume and interface.
     */
    instance: { ami: string; instanceType: string; ignoreAmi: boolean; availabilityZone: string };
}

/** What the sandbox takes from one run of the Pulumi program. */
export interface SandboxPlan {
    stack: string;
    etcdVersion: string;
    initialCluster: string;
    clusterToken: string;
    members: PlannedMember[];
    /** SSM parameter name -> value, exactly as the plan's Parameter resources hold them. */
    parameters: Record<string, { value: string; secure: boolean }>;
    /** The plan's S3 objects (the node scripts kept in the backup bucket): "bucket/key" -> content. */
    objects: Record<string, string>;
    caCertPem: string;
    adminCertPem: string;
    adminKeyPem: string;
    clientCertificates: Record<string, { certPem: string; keyPem: string }>;
    heartbeatIntervalMs: number;
    electionTimeoutMs: number;
    /**
     * Members in the order the program's dependencies put their instances in (each waits for the
     * previous member's gate, or its volume attachment): the order `pulumi up` replaces them in.
     */
    rollOrder: string[];
    /** The health gate after each member that has one, with its timeout. */
    gates: Record<string, { timeoutSeconds: number; requiredMembers: string[] }>;
    /** What AWS would say runs once this plan is deployed (the next change is planned against it). */
    running: RunningCluster;
}

export interface PlanSandboxOptions {
    /** What runs now; nothing by default (a first deployment). */
    running?: RunningCluster;
    /** Keys and certificates kept between plans, as Pulumi's state keeps them; read and written back. */
    tlsStateFile?: string;
}

/** Runs index.ts for the stack under the mock runtime with real addresses and real TLS. One per process. */
export async function planSandbox(settings: StackSettings, options: PlanSandboxOptions = {}): Promise<SandboxPlan> {
    const tls = new TlsBridge();
    const tlsState = new TlsState(options.tlsStateFile);
    try {
        const plan = await runPlan(settings, sandboxStateHook(tls, tlsState), options.running);
        tlsState.save();
        const out = plan.rawOutputs as Record<string, any>;
        const parameters: SandboxPlan["parameters"] = {};
        for (const r of plan.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter")) {
            const inputs = plain(r.inputs);
            parameters[inputs.name] = { value: String(inputs.value), secure: inputs.type === "SecureString" };
        }
        const objects: SandboxPlan["objects"] = {};
        for (const r of plan.resources.filter((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")) {
            const inputs = plain(r.inputs);
            objects[`${inputs.bucket}/${inputs.key}`] = String(inputs.content);
        }
        const ips = new Map<string, string>((out.members as Array<{ name: string; ip: string }>).map((m) => [m.name, m.ip]));
        const memberOf = (r: RecordedResource) => (r.inputs.tags as Record<string, string> | undefined)?.[INSTANCE_TAGS.member];
        const zones = new Map(plan.resources.filter((r) => r.type === "aws:ebs/volume:Volume").map((v) => [memberOf(v), String(v.inputs.availabilityZone)]));
        const members = plan.resources
            .filter((r) => r.type === "aws:ec2/instance:Instance")
            .map((instance) => ({
                ...plannedMember(instance.inputs, ips, instance.id ?? `i-${instance.name}`),
                instance: {
                    ami: String(instance.inputs.ami),
                    instanceType: String(instance.inputs.instanceType),
                    ignoreAmi: instance.ignoreChanges.includes("ami"),
                    availabilityZone: zones.get(memberOf(instance))!,
                },
            }));
        const config = YAML.parse(members[0].files.find((f) => f.path === members[0].env.CONFIG_NEW_FILE)?.content ?? "{}");
        return {
            stack: settings.stack,
            etcdVersion: String(out.etcdVersion),
            initialCluster: String(out.initialCluster),
            clusterToken: String(out.clusterToken),
            members,
            parameters,
            objects,
            caCertPem: String(out.caCertPem),
            adminCertPem: String(out.adminCertPem),
            adminKeyPem: String(out.adminKeyPem),
            clientCertificates: plain(out.clientCertificates ?? {}),
            heartbeatIntervalMs: Number(config["heartbeat-interval"]),
            electionTimeoutMs: Number(config["election-timeout"]),
            rollOrder: rollOrder(plan.resources),
            gates: gates(plan.resources),
            running: runningFromPlan(plan.resources, undefined, Object.fromEntries(ips)),
        };
    } finally {
        await tls.close();
    }
}

/** The members' instances in dependency order (depth first over what each depends on; ties in registration order). */
function rollOrder(resources: RecordedResource[]): string[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const done = new Set<string>();
    const order: string[] = [];
    const visit = (urn: string, path: Set<string>) => {
        if (done.has(urn) || path.has(urn)) return;
        path.add(urn);
        const resource = byUrn.get(urn);
        for (const dependency of resource?.dependsOnUrns ?? []) visit(dependency, path);
        done.add(urn);
        if (resource?.type === "aws:ec2/instance:Instance") order.push(String((resource.inputs.tags as Record<string, string>)[INSTANCE_TAGS.member]));
    };
    for (const r of resources) visit(r.urn, new Set());
    return order;
}

function gates(resources: RecordedResource[]): SandboxPlan["gates"] {
    const found: SandboxPlan["gates"] = {};
    for (const r of resources.filter((r) => r.type === "command:local:Command")) {
        const env = plain(r.inputs.environment ?? {}) as Record<string, string>;
        // The gates, not the members' leave commands (those carry no timeout): what each one requires, as the program wrote it.
        if (env.GATE_MEMBER && env.GATE_TIMEOUT_SECONDS) {
            found[env.GATE_MEMBER] = { timeoutSeconds: Number(env.GATE_TIMEOUT_SECONDS), requiredMembers: String(env.GATE_REQUIRED_MEMBERS ?? "").split(",").filter((n) => n !== "") };
        }
    }
    return found;
}

/**
 * The etcd release and architecture the stack's members install, read from its settings before
 * the plan (Pulumi's mock runtime runs once per process, and the plan must carry the mirror).
 */
export function stackRelease(settings: { project: string; config: Record<string, string> }): { version: string; arch: "amd64" | "arm64" } {
    const get = (key: string) => settings.config[`${settings.project}:${key}`];
    const num = (key: string) => (get(key) === undefined ? undefined : Number(get(key)));
    const sizing = decideSizing({
        kubernetesNodeCount: num("kubernetesNodeCount"),
        instanceType: get("instanceType"),
        instanceFamily: get("instanceFamily"),
        dataVolumeSizeGb: num("dataVolumeSizeGb"),
        dataVolumeIops: num("dataVolumeIops"),
        dataVolumeThroughputMbps: num("dataVolumeThroughputMbps"),
        dataVolumeThroughputMBps: num("dataVolumeThroughputMBps"),
    });
    return { version: (get("etcdVersion") ?? DEFAULT_ETCD_VERSION).replace(/^v/, ""), arch: sizing.arch };
}

function plannedMember(inputs: Record<string, unknown>, ips: Map<string, string>, instanceId: string): Omit<PlannedMember, "instance"> {
    const userData = decodeUserData(inputs);
    const document = YAML.parse(userData) ?? {};
    const contents = decodeWriteFiles(userData);
    const files: NodeFile[] = (document.write_files ?? []).map((f: { path: string; permissions?: string }) => ({
        path: f.path,
        content: contents[f.path],
        mode: parseInt(f.permissions ?? "0644", 8),
    }));
    const envFile = files.find((f) => f.path.endsWith("/member.env"));
    if (!envFile) throw new Error("the rendered user data writes no member.env");
    const env = parseMemberEnv(envFile.content);
    const name = env.MEMBER_NAME;
    if (ips.get(name) !== env.MEMBER_IP) throw new Error(`member ${name}: member.env has ${env.MEMBER_IP}, the plan ${ips.get(name)}`);
    const userDataBase64 = typeof inputs.userDataBase64 === "string" ? inputs.userDataBase64 : Buffer.from(userData).toString("base64");
    return { name, ip: env.MEMBER_IP, files, env, instanceId, userDataBase64 };
}

/** member.env's `KEY='value'` lines (single-quoted, `'\''` for a quote), as bash reads them. */
export function parseMemberEnv(text: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
        if (!match) continue;
        env[match[1]] = match[2].replace(/^'|'$/g, "").replace(/'\\''/g, "'");
    }
    return env;
}
