import * as pulumi from "@pulumi/pulumi";
import { INSTANCE_TAGS, NO_RUNNING_CLUSTER, RunningCluster, tagsOfMember } from "../config/runningCluster";
import { createHash } from "crypto";
import { CLUSTER_RECORDS, SECRET_MASK } from "../config/contract";

/**
 * Pulumi's mock runtime, set up the way the offline plan and the tests need it: every resource is
 * recorded with its parent, its resource options and its inputs (secret inputs masked), cloud
 * look-ups (invokes) answer from a fixed table, and an invoke nobody expected throws so a new
 * data-source call cannot slip through unnoticed.
 */


export interface RecordedResource {
    type: string;
    name: string;
    /** The mock monitor's URN: the key of this record, and of its children's parentUrn. */
    urn: string;
    /**
     * The URN Pulumi's engine gives it (the parent chain's types in full); what state keys the
     * resource by, so a change here is a new resource unless an alias names the old one.
     */
    engineUrn: string;
    /** Logical name of the parent resource, if any. */
    parent?: string;
    parentUrn?: string;
    custom: boolean;
    id?: string;
    /** Inputs as the provider receives them. */
    inputs: Record<string, unknown>;
    /** Inputs with every secret value replaced by "[secret]", for printing. */
    maskedInputs: Record<string, unknown>;
    /** Logical names of what it depends on, for printing. */
    dependsOn: string[];
    /** The same as URNs: names repeat across types (a member's interface, instance and component). */
    dependsOnUrns: string[];
    deleteBeforeReplace: boolean;
    protect: boolean;
    ignoreChanges: string[];
    /** URNs this resource was known by before (its aliases), so a rename or a new parent is no replacement. */
    aliases: string[];
}

/** Computes provider outputs for resource types that need realistic values (ids, IPs, PEMs). */
export type StateHook = (type: string, name: string, inputs: Record<string, any>) => Record<string, unknown> | undefined;

export interface MockRuntimeOptions {
    project: string;
    stack: string;
    /** `project:key` -> value (structured values as JSON text). */
    config?: Record<string, string>;
    /** Keys of config that are secrets. */
    secretKeys?: string[];
    region?: string;
    accountId?: string;
    /** Overrides or adds outputs per resource; used by the sandbox for real addresses and certificates. */
    stateHook?: StateHook;
    /** Answers for invokes beyond the built-in ones. */
    extraInvokes?: Record<string, (inputs: any) => Record<string, unknown>>;
    /** What AWS's reads of the running cluster answer; by default nothing runs (a first deployment). */
    running?: RunningCluster;
}

export interface MockRuntime {
    resources: RecordedResource[];
    byType(type: string): RecordedResource[];
    one(type: string, name: string): RecordedResource;
}

/** Marker Pulumi's wire format uses for a secret value. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function shortHash(text: string, length = 17): string {
    return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * AWS's answers to components/runningCluster.ts's reads, made from a RunningCluster, in the shapes
 * the provider returns: interface and instance ids by tag, then each one's subnet and tags, and the
 * cluster's records by path.
 */
export function runningClusterInvokes(running: RunningCluster): Record<string, (inputs: any) => Record<string, unknown>> {
    const eniId = (name: string) => `eni-running-${name}`;
    const instanceId = (name: string) => `i-running-${name}`;
    const byId = (id: string, make: (name: string) => string) => running.members.find((m) => make(m.name) === id);
    return {
        "aws:ec2/getNetworkInterfaces:getNetworkInterfaces": () => ({ ids: running.members.map((m) => eniId(m.name)), id: "enis" }),
        "aws:ec2/getNetworkInterface:getNetworkInterface": (inputs) => {
            const member = byId(inputs.id, eniId);
            if (!member) throw new Error(`no network interface ${inputs.id}`);
            return { id: inputs.id, subnetId: member.subnetId, ...(member.ip ? { privateIp: member.ip } : {}), tags: { [INSTANCE_TAGS.member]: member.name } };
        },
        "aws:ec2/getInstances:getInstances": () => ({ ids: running.members.filter((m) => m.etcdVersion || m.arch || m.ca).map((m) => instanceId(m.name)), id: "instances" }),
        "aws:ec2/getInstance:getInstance": (inputs) => {
            const member = byId(inputs.instanceId, instanceId);
            if (!member) throw new Error(`no instance ${inputs.instanceId}`);
            return { id: inputs.instanceId, tags: tagsOfMember(member) };
        },
        "aws:ssm/getParametersByPath:getParametersByPath": (inputs) => {
            const formed = running.formedToken === undefined ? [] : [[`${inputs.path}/${CLUSTER_RECORDS.formed}`, running.formedToken]];
            return { id: inputs.path, path: inputs.path, names: formed.map(([n]) => n), values: formed.map(([, v]) => v), types: formed.map(() => "String") };
        },
    };
}

export async function startMockRuntime(options: MockRuntimeOptions): Promise<MockRuntime> {
    const region = options.region ?? "eu-west-1";
    const accountId = options.accountId ?? "123456789012";
    const resources: RecordedResource[] = [];
    const subnetCidrs = new Map<string, string>();
    const ipCounters = new Map<string, number>();
    const running = options.running ?? NO_RUNNING_CLUSTER;

    const invokes: Record<string, (inputs: any) => Record<string, unknown>> = {
        "aws:index/getRegion:getRegion": () => ({ region, name: region, id: region }),
        "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId, arn: `arn:aws:iam::${accountId}:user/plan`, userId: "PLAN", id: accountId }),
        "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
        "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ names: ["a", "b", "c"].map((z) => `${region}${z}`), id: region }),
        // A subnet's zone from its id's last hex digit, so the usual ids ...1, ...2, ...3 are in three zones (b, c, a).
        "aws:ec2/getSubnet:getSubnet": (inputs) => ({ id: inputs.id, availabilityZone: `${region}${"abc"[parseInt(String(inputs.id).slice(-1), 16) % 3]}` }),
        "aws:ssm/getParameter:getParameter": (inputs) => ({ name: inputs.name, value: `ami-${shortHash(inputs.name)}`, type: "String", id: inputs.name }),
        ...runningClusterInvokes(running),
        ...options.extraInvokes,
    };

    // As AWS does: an interface that stays keeps its address, and a new one gets a free address of its subnet.
    const allocateIp = (subnetId: string, member: string | undefined): string => {
        const kept = running.members.find((m) => m.name === member && m.subnetId === subnetId && m.ip);
        if (kept) return kept.ip!;
        const taken = new Set(running.members.filter((m) => m.subnetId === subnetId && m.ip).map((m) => m.ip));
        const cidr = subnetCidrs.get(subnetId);
        const base = cidr ? cidr.split("/")[0].split(".").slice(0, 3).join(".") : `10.0.${parseInt(shortHash(subnetId, 2), 16)}`;
        for (;;) {
            const next = (ipCounters.get(subnetId) ?? 0) + 1;
            ipCounters.set(subnetId, next);
            if (!taken.has(`${base}.${10 + next}`)) return `${base}.${10 + next}`;
        }
    };

    const computedState = (type: string, name: string, inputs: Record<string, any>): Record<string, unknown> => {
        const fakeId = shortHash(`${type}/${name}`);
        switch (type) {
            case "aws:ec2/subnet:Subnet":
                return { arn: `arn:aws:ec2:${region}:${accountId}:subnet/subnet-${fakeId}` };
            case "aws:ec2/networkInterface:NetworkInterface":
                return { privateIp: allocateIp(inputs.subnetId, inputs.tags?.[INSTANCE_TAGS.member]) };
            case "aws:s3/bucket:Bucket": {
                const bucket = `${inputs.bucketPrefix ?? `${name}-`}mock`;
                return { bucket, arn: `arn:aws:s3:::${bucket}` };
            }
            case "aws:sns/topic:Topic":
                return { arn: `arn:aws:sns:${region}:${accountId}:${inputs.name ?? name}` };
            case "aws:route53/zone:Zone":
                return { zoneId: `Z${fakeId.toUpperCase()}` };
            case "aws:kms/key:Key":
                return { arn: `arn:aws:kms:${region}:${accountId}:key/${fakeId}`, keyId: fakeId };
            case "aws:iam/role:Role":
                return { arn: `arn:aws:iam::${accountId}:role/${name}`, name };
            case "aws:iam/instanceProfile:InstanceProfile":
                return { arn: `arn:aws:iam::${accountId}:instance-profile/${name}`, name };
            case "tls:index/privateKey:PrivateKey":
                return { privateKeyPem: `-----BEGIN PRIVATE KEY-----\n(mock ${name})\n-----END PRIVATE KEY-----\n`, publicKeyPem: `(mock public key ${name})` };
            case "tls:index/selfSignedCert:SelfSignedCert":
            case "tls:index/locallySignedCert:LocallySignedCert":
                return { certPem: `-----BEGIN CERTIFICATE-----\n(mock ${name})\n-----END CERTIFICATE-----\n` };
            case "tls:index/certRequest:CertRequest":
                return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n(mock ${name})\n-----END CERTIFICATE REQUEST-----\n` };
            default:
                return {};
        }
    };

    const idFor = (type: string, name: string): string => {
        const hex = shortHash(`${type}/${name}`);
        const prefixes: Record<string, string> = {
            "aws:ec2/instance:Instance": "i-",
            "aws:ebs/volume:Volume": "vol-",
            "aws:ec2/networkInterface:NetworkInterface": "eni-",
            "aws:ec2/subnet:Subnet": "subnet-",
            "aws:ec2/vpc:Vpc": "vpc-",
            "aws:ec2/securityGroup:SecurityGroup": "sg-",
        };
        return `${prefixes[type] ?? `${name}-`}${prefixes[type] ? hex : "id"}`;
    };

    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
                const id = idFor(args.type, args.name);
                if (args.type === "aws:ec2/subnet:Subnet" && args.inputs.cidrBlock) {
                    subnetCidrs.set(id, args.inputs.cidrBlock);
                }
                const state = { ...args.inputs, ...computedState(args.type, args.name, args.inputs), ...options.stateHook?.(args.type, args.name, args.inputs) };
                return { id, state };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                const answer = invokes[args.token];
                if (!answer) {
                    throw new Error(`unexpected invoke ${args.token}: add it to the mock runtime so tests see every cloud look-up`);
                }
                return answer(args.inputs);
            },
        },
        options.project,
        options.stack,
        false,
    );
    pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys ?? []);
    // As the engine tells a program which keys were encrypted (components/stackConfig.ts reads it).
    if (options.secretKeys) process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(options.secretKeys);
    recordRegistrations(resources, options.project, options.stack);

    return {
        resources,
        byType: (type) => resources.filter((r) => r.type === type),
        one: (type, name) => {
            const found = resources.filter((r) => r.type === type && r.name === name);
            if (found.length !== 1) {
                throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
            }
            return found[0];
        },
    };
}

/** Wraps the mock monitor so each registration's parent and options are recorded too. */
function recordRegistrations(resources: RecordedResource[], project: string, stack: string): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    const namesByUrn = new Map<string, string>();
    // The engine qualifies a type by every ancestor's type below the stack; the mock only by the parent's.
    const qualifiedByUrn = new Map<string, string>();
    const qualify = (parentUrn: string, type: string): string => {
        const parentQualified = parentUrn ? qualifiedByUrn.get(parentUrn) : undefined;
        return parentQualified && parentQualified !== "pulumi:pulumi:Stack" ? `${parentQualified}$${type}` : type;
    };
    const engineUrn = (qualified: string, name: string, p = project, s = stack) => `urn:pulumi:${s}::${p}::${qualified}::${name}`;
    monitor.registerResource = (req: any, callback: (err: any, res: any) => void) => {
        register(req, (err: any, response: any) => {
            if (!err) {
                const urn: string = response.getUrn();
                namesByUrn.set(urn, req.getName());
                const raw = req.getObject()?.toJavaScript() ?? {};
                const parentUrn: string = req.getParent();
                const qualified = qualify(parentUrn, req.getType());
                qualifiedByUrn.set(urn, qualified);
                resources.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn,
                    engineUrn: engineUrn(qualified, req.getName()),
                    parent: parentUrn ? namesByUrn.get(parentUrn) : undefined,
                    parentUrn: parentUrn || undefined,
                    custom: req.getCustom(),
                    id: response.getId() || undefined,
                    inputs: unwrapSecrets(raw, false) as Record<string, unknown>,
                    maskedInputs: unwrapSecrets(raw, true) as Record<string, unknown>,
                    dependsOn: (req.getDependenciesList() as string[]).map((d) => namesByUrn.get(d) ?? d),
                    dependsOnUrns: req.getDependenciesList() as string[],
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                    protect: Boolean(req.getProtect()),
                    ignoreChanges: req.getIgnorechangesList(),
                    aliases: [
                        ...(req.getAliasurnsList?.() ?? []),
                        ...(req.getAliasesList?.() ?? []).map((alias: any) => {
                            if (alias.getUrn?.()) return alias.getUrn() as string;
                            // A spec: the parts it leaves out are the resource's own.
                            const spec = alias.getSpec();
                            const aliasParent = spec.getNoparent() ? "" : spec.getParenturn() || parentUrn;
                            return engineUrn(qualify(aliasParent, spec.getType() || req.getType()), spec.getName() || req.getName(), spec.getProject() || project, spec.getStack() || stack);
                        }),
                    ],
                });
            }
            callback(err, response);
        });
    };
}

function unwrapSecrets(value: unknown, mask: boolean): unknown {
    if (Array.isArray(value)) {
        return value.map((v) => unwrapSecrets(v, mask));
    }
    if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[SECRET_SIG_KEY] === SECRET_SIG) {
            return mask ? SECRET_MASK : unwrapSecrets(record.value, mask);
        }
        return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v, mask)]));
    }
    return value;
}
