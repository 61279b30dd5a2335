/**
 * The policies proven by evaluating them, not by reading them: the bucket policy, a member's role
 * policy and the key policy the component renders (through the mock runtime, as a deployment would)
 * go through an IAM policy simulator (@cloud-copilot/iam-simulate) with the request each call makes,
 * and each decision is asserted. Every allow has a twin that differs in one thing and is refused, so
 * a policy that allowed everything, or nothing, fails here.
 *
 * What the simulator is told, it cannot check: which IAM action and context keys S3, SSM and KMS
 * put on a request. Those come from AWS's documentation and are written down below (S3_CALLS,
 * viaSsm, viaS3). A context key the simulator does not know for an action is dropped before it
 * evaluates (a condition on it would then decide nothing), so decide() fails on any dropped key;
 * the one key it drops wrongly (kms:EncryptionContext:<key>) is handled apart and said so there.
 */
import { EvaluationResult, runSimulation, runUnsafeSimulation, Simulation } from "@cloud-copilot/iam-simulate";
import { MEMBER_CERT_FILES, ssmParameters } from "../../config/contract";
import { buildCluster, mockRuntime, RecordedResource, resolve, theResource } from "../helpers/mockCluster";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const NAME = "sim";

type Context = Record<string, string | string[]>;
type Policy = object;

/** Who calls: a principal ARN, the tags of its role (IAM puts them on the request) and its identity policies. */
interface Caller {
    arn: string;
    tags: Record<string, string>;
    identity: Policy[];
}

interface Call {
    caller: Caller;
    action: string;
    resource: string;
    context?: Context;
    /** The resource's own policy: the bucket policy for S3, the key policy for KMS; none for SSM parameters. */
    resourcePolicy?: Policy;
}

const allow = (action: string): Policy => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });

/** Every request here comes over TLS unless a test says otherwise; AWS sets this key on every request. */
function requestContext(call: Call): Context {
    const tags = Object.fromEntries(Object.entries(call.caller.tags).map(([key, value]) => [`aws:PrincipalTag/${key}`, value]));
    return { "aws:SecureTransport": "true", ...tags, ...call.context };
}

function simulation(call: Call, resourcePolicy: unknown): Simulation {
    return {
        request: { principal: call.caller.arn, action: call.action, resource: { resource: call.resource, accountId: ACCOUNT }, contextVariables: requestContext(call) },
        identityPolicies: call.caller.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy,
    };
}

/** The simulator's decision, after it validated the policies, the action, the resource and every context key. */
async function decide(call: Call): Promise<EvaluationResult> {
    const result = await runSimulation(simulation(call, call.resourcePolicy), {});
    if (result.resultType === "error") throw new Error(`the simulator refused the request: ${JSON.stringify(result.errors)}`);
    if (result.resultType !== "single") throw new Error(`expected one resource, got ${result.resultType}`);
    const ignored = result.result.ignoredContextKeys ?? [];
    if (ignored.length > 0) throw new Error(`the simulator dropped context keys ${ignored.join(", ")}: a condition on them would decide nothing`);
    return result.overallResult;
}

/**
 * For requests that carry kms:EncryptionContext:<key>. The checked runner drops that key: its
 * match for keys with a variable part knows only `/` (aws:PrincipalTag/<key>), not the colon KMS
 * uses (see the test "the simulator's limit" below). The unchecked runner evaluates the request as
 * given, with the same engine; the policies it reads are the ones decide() validates in the other
 * tests. Its resource policy goes in the validated form (iam-policy's ValidatedPolicy) because this
 * version reads the policy's name from it when a statement matches.
 */
function decideUnchecked(call: Call): EvaluationResult {
    const resourcePolicy = call.resourcePolicy ? { __validated: true, policyDocument: call.resourcePolicy, metadata: { name: "resource" }, errors: [] } : undefined;
    return runUnsafeSimulation(simulation(call, resourcePolicy), {});
}

/**
 * How S3 authorizes each call a member makes to upload (AWS, "Enforce conditional writes on Amazon
 * S3 buckets"): all of them as s3:PutObject. s3:ObjectCreationOperation is true on the calls that
 * create the object (PutObject, CompleteMultipartUpload), the only ones that take If-None-Match
 * (s3:if-none-match); false on CreateMultipartUpload, UploadPart and UploadPartCopy.
 */
const S3_CALLS = {
    putObject: (ifNoneMatch: boolean): Context => ({ "s3:ObjectCreationOperation": "true", ...(ifNoneMatch ? { "s3:if-none-match": "*" } : {}) }),
    completeMultipartUpload: (ifNoneMatch: boolean): Context => ({ "s3:ObjectCreationOperation": "true", ...(ifNoneMatch ? { "s3:if-none-match": "*" } : {}) }),
    createMultipartUpload: (): Context => ({ "s3:ObjectCreationOperation": "false" }),
    uploadPart: (): Context => ({ "s3:ObjectCreationOperation": "false" }),
};

/** KMS as SSM calls it for a SecureString parameter: through SSM, the parameter's ARN as encryption context. */
const viaSsm = (parameterArn?: string): Context => ({
    "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
    ...(parameterArn ? { "kms:EncryptionContext:PARAMETER_ARN": parameterArn } : {}),
});
/** KMS as S3 calls it for an SSE-KMS object. */
const viaS3: Context = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };

// ---- The rendered documents -----------------------------------------------------------------------

let resources: RecordedResource[];
let bucketPolicy: Policy;
let memberPolicy: Policy;
let keyPolicy: Policy;
let bucketArn: string;
let keyArn: string;
let prefix: string;
let member: Caller;
/** The same member with an identity policy that allows anything on S3 and KMS: a compromised or careless grant. */
let overBroadMember: Caller;
/** The deployer or an administrator: untagged, in the same account, AdministratorAccess. */
const administrator: Caller = { arn: `arn:aws:iam::${ACCOUNT}:role/deployer`, tags: {}, identity: [allow("*")] };

const one = (type: string, name: string) => theResource(resources, type, name);
const parameterArn = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
const object = (key: string) => `${bucketArn}/${key}`;
const snapshotKey = () => `${prefix}/snapshots/2026/01/02/20260102T030405Z-r42.db`;
const scriptKey = () => String(resources.find((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")!.inputs.key);

beforeAll(async () => {
    await mockRuntime();
    const built = await buildCluster(NAME, { allowNoAlarmTopic: true });
    resources = built.resources;
    bucketPolicy = JSON.parse(String(one("aws:s3/bucketPolicy:BucketPolicy", `${NAME}-backups`).inputs.policy));
    memberPolicy = JSON.parse(String(one("aws:iam/rolePolicy:RolePolicy", `${NAME}-etcd1-policy`).inputs.policy));
    keyPolicy = JSON.parse(String(one("aws:kms/key:Key", NAME).inputs.policy));
    bucketArn = `arn:aws:s3:::${await resolve(built.cluster.backupBucketName)}`;
    keyArn = await resolve(built.cluster.kmsKeyArn);
    prefix = await resolve(built.cluster.backupPrefix);
    // The member's role as rendered: its tags are what the bucket and key policies name it by.
    const role = one("aws:iam/role:Role", `${NAME}-etcd1-role`);
    const tags = role.inputs.tags as Record<string, string>;
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/i-0123456789abcdef0`;
    member = { arn: session, tags, identity: [memberPolicy] };
    overBroadMember = { arn: session, tags, identity: [allow("s3:*"), allow("kms:*")] };
});

test("the documents are the rendered ones: the member's role carries the cluster tag the policies name", () => {
    expect(member.tags["etcd:cluster"]).toBe(`proj/test/${NAME}`);
    expect(JSON.stringify(bucketPolicy)).toContain(`"aws:PrincipalTag/etcd:cluster":"proj/test/${NAME}"`);
    expect(scriptKey().startsWith(`${prefix}/node-scripts/`)).toBe(true);
});

// ---- S3 -------------------------------------------------------------------------------------------

describe("S3: a member creates new snapshots and nothing else", () => {
    /** Each write decided three ways: the role policy alone, the bucket policy alone (over-broad role), both as deployed. */
    async function writeDecisions(context: Context, key = snapshotKey()) {
        const call = { action: "s3:PutObject", resource: object(key), context };
        return {
            rolePolicyAlone: await decide({ ...call, caller: member }),
            bucketPolicyAlone: await decide({ ...call, caller: overBroadMember, resourcePolicy: bucketPolicy }),
            deployed: await decide({ ...call, caller: member, resourcePolicy: bucketPolicy }),
        };
    }

    test.each([
        ["PutObject", S3_CALLS.putObject],
        ["CompleteMultipartUpload", S3_CALLS.completeMultipartUpload],
    ])("%s of a new snapshot with If-None-Match is allowed; without it every layer refuses", async (_call, context) => {
        expect(await writeDecisions(context(true))).toEqual({ rolePolicyAlone: "Allowed", bucketPolicyAlone: "Allowed", deployed: "Allowed" });
        expect(await writeDecisions(context(false))).toEqual({ rolePolicyAlone: "ImplicitlyDenied", bucketPolicyAlone: "ExplicitlyDenied", deployed: "ExplicitlyDenied" });
    });

    test("the manifest beside a snapshot goes the same way", async () => {
        const manifest = snapshotKey().replace(/\.db$/, ".json");
        expect((await writeDecisions(S3_CALLS.putObject(true), manifest)).deployed).toBe("Allowed");
        expect((await writeDecisions(S3_CALLS.putObject(false), manifest)).deployed).toBe("ExplicitlyDenied");
    });

    test.each([
        ["CreateMultipartUpload", S3_CALLS.createMultipartUpload],
        ["UploadPart", S3_CALLS.uploadPart],
    ])("%s (no conditional header exists for it, it creates no object) is allowed under the snapshots, refused under the node scripts", async (_call, context) => {
        expect(await writeDecisions(context())).toEqual({ rolePolicyAlone: "Allowed", bucketPolicyAlone: "Allowed", deployed: "Allowed" });
        expect(await writeDecisions(context(), scriptKey())).toEqual({ rolePolicyAlone: "ImplicitlyDenied", bucketPolicyAlone: "ExplicitlyDenied", deployed: "ExplicitlyDenied" });
    });

    test("the node scripts: a member may not write them even with If-None-Match; the deployer writes them without", async () => {
        expect(await writeDecisions(S3_CALLS.putObject(true), scriptKey())).toEqual({ rolePolicyAlone: "ImplicitlyDenied", bucketPolicyAlone: "ExplicitlyDenied", deployed: "ExplicitlyDenied" });
        expect(await decide({ caller: administrator, action: "s3:PutObject", resource: object(scriptKey()), context: S3_CALLS.putObject(false), resourcePolicy: bucketPolicy })).toBe("Allowed");
    });

    test("the conditional write is demanded of members only: the deployer may still replace an object", async () => {
        expect(await decide({ caller: administrator, action: "s3:PutObject", resource: object(snapshotKey()), context: S3_CALLS.putObject(false), resourcePolicy: bucketPolicy })).toBe("Allowed");
    });

    test.each([
        ["s3:DeleteObject", "object"],
        ["s3:DeleteObjectVersion", "object"],
        ["s3:PutObjectRetention", "object"],
        ["s3:BypassGovernanceRetention", "object"],
        ["s3:PutObjectLegalHold", "object"],
        ["s3:PutBucketPolicy", "bucket"],
        ["s3:DeleteBucketPolicy", "bucket"],
        ["s3:PutLifecycleConfiguration", "bucket"],
        ["s3:PutBucketVersioning", "bucket"],
        ["s3:PutBucketObjectLockConfiguration", "bucket"],
    ])("%s: refused to a member by its role and, whatever its role allows, by the bucket; the deployer may", async (action, on) => {
        const resource = on === "bucket" ? bucketArn : object(snapshotKey());
        expect(await decide({ caller: member, action, resource })).toBe("ImplicitlyDenied");
        expect(await decide({ caller: overBroadMember, action, resource, resourcePolicy: bucketPolicy })).toBe("ExplicitlyDenied");
        expect(await decide({ caller: administrator, action, resource, resourcePolicy: bucketPolicy })).toBe("Allowed");
    });

    test("a failed multipart upload of a snapshot may be aborted by the member (its parts are no object), nothing else", async () => {
        const abort = (caller: Caller, key: string) => decide({ caller, action: "s3:AbortMultipartUpload", resource: object(key), resourcePolicy: bucketPolicy });
        expect(await abort(member, snapshotKey())).toBe("Allowed");
        expect(await abort(member, scriptKey())).toBe("ImplicitlyDenied");
    });

    test("the bucket leaves members what the backup scripts may do with a multipart upload; the role grants listing parts no more", async () => {
        for (const action of ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]) {
            expect(await decide({ caller: overBroadMember, action, resource: object(snapshotKey()), resourcePolicy: bucketPolicy })).toBe("Allowed");
        }
        expect(await decide({ caller: member, action: "s3:ListMultipartUploadParts", resource: object(snapshotKey()), resourcePolicy: bucketPolicy })).toBe("ImplicitlyDenied");
    });

    test("a member reads its snapshots and the node scripts, not another cluster's objects", async () => {
        for (const key of [snapshotKey(), scriptKey()]) {
            expect(await decide({ caller: member, action: "s3:GetObject", resource: object(key), resourcePolicy: bucketPolicy })).toBe("Allowed");
        }
        expect(await decide({ caller: member, action: "s3:GetObject", resource: object("proj/test/other/snapshots/x.db"), resourcePolicy: bucketPolicy })).toBe("ImplicitlyDenied");
    });

    test("a member lists its cluster's prefix only", async () => {
        const list = (listed: string) => decide({ caller: member, action: "s3:ListBucket", resource: bucketArn, context: { "s3:prefix": listed }, resourcePolicy: bucketPolicy });
        expect(await list(`${prefix}/snapshots/`)).toBe("Allowed");
        expect(await list("proj/test/other/snapshots/")).toBe("ImplicitlyDenied");
    });

    test("nothing over plain HTTP, for anyone", async () => {
        const http = { "aws:SecureTransport": "false" };
        expect(await decide({ caller: member, action: "s3:GetObject", resource: object(snapshotKey()), context: http, resourcePolicy: bucketPolicy })).toBe("ExplicitlyDenied");
        expect(await decide({ caller: member, action: "s3:PutObject", resource: object(snapshotKey()), context: { ...S3_CALLS.putObject(true), ...http }, resourcePolicy: bucketPolicy })).toBe(
            "ExplicitlyDenied",
        );
        expect(await decide({ caller: administrator, action: "s3:PutBucketPolicy", resource: bucketArn, context: http, resourcePolicy: bucketPolicy })).toBe("ExplicitlyDenied");
    });
});

// ---- SSM ------------------------------------------------------------------------------------------

describe("SSM: a member reads its own certificates and adds records, never replaces one", () => {
    const params = () => {
        const base = ssmParameters.prefix("proj", "test", NAME);
        return {
            base,
            own: parameterArn(ssmParameters.memberFile(base, "etcd1", MEMBER_CERT_FILES.memberCert)),
            others: parameterArn(ssmParameters.memberFile(base, "etcd2", MEMBER_CERT_FILES.memberCert)),
            formed: parameterArn(ssmParameters.clusterFormed(base)),
            roster: parameterArn(ssmParameters.roster(base)),
            ids: parameterArn(ssmParameters.clusterIds(base)),
            newId: parameterArn(ssmParameters.clusterIdRecord(base, "8e9e05c52164694d")),
        };
    };
    const asMember = (action: string, resource: string, context?: Context) => decide({ caller: member, action, resource, context });

    test("its own certificate and the CA, not another member's", async () => {
        const p = params();
        expect(await asMember("ssm:GetParameter", p.own)).toBe("Allowed");
        expect(await asMember("ssm:GetParameter", parameterArn(ssmParameters.ca(p.base)))).toBe("Allowed");
        expect(await asMember("ssm:GetParameter", p.others)).toBe("ImplicitlyDenied");
    });

    test("it writes the formed record, not the roster (the program's) nor its own certificate", async () => {
        const p = params();
        expect(await asMember("ssm:PutParameter", p.formed)).toBe("Allowed");
        expect(await asMember("ssm:PutParameter", p.roster)).toBe("ImplicitlyDenied");
        expect(await asMember("ssm:PutParameter", p.own)).toBe("ImplicitlyDenied");
    });

    test("it adds a cluster id, and may not overwrite one", async () => {
        const p = params();
        expect(await asMember("ssm:PutParameter", p.newId, { "ssm:Overwrite": "false" })).toBe("Allowed");
        expect(await asMember("ssm:PutParameter", p.newId, { "ssm:Overwrite": "true" })).toBe("ExplicitlyDenied");
    });

    test("it lists the recorded ids, not the members' certificates", async () => {
        const p = params();
        expect(await asMember("ssm:GetParametersByPath", p.ids)).toBe("Allowed");
        expect(await asMember("ssm:GetParametersByPath", parameterArn(`${p.base}/members`))).toBe("ImplicitlyDenied");
    });
});

// ---- KMS ------------------------------------------------------------------------------------------

describe("KMS: members use the cluster's key only through SSM and S3; the account administers it", () => {
    const onKey = (caller: Caller, action: string, context?: Context) => decide({ caller, action, resource: keyArn, context, resourcePolicy: keyPolicy });

    test("a direct call is refused to a member by the key policy, whatever its role allows", async () => {
        expect(await onKey(member, "kms:Decrypt")).toBe("ExplicitlyDenied");
        expect(await onKey(overBroadMember, "kms:Decrypt")).toBe("ExplicitlyDenied");
        expect(await onKey(overBroadMember, "kms:Decrypt", { "kms:ViaService": `ec2.${REGION}.amazonaws.com` })).toBe("ExplicitlyDenied");
        // The twin: the same over-broad role through a service the key policy names.
        expect(await onKey(overBroadMember, "kms:Decrypt", viaSsm())).toBe("Allowed");
    });

    test("through S3, the member encrypts and decrypts snapshots with the key the backups use (the cluster's by default)", async () => {
        for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
            expect(await onKey(member, action, viaS3)).toBe("Allowed");
            expect(await onKey(member, action)).toBe("ExplicitlyDenied");
        }
    });

    test("through SSM, only its own parameters' keys: the encryption context pins the parameter", () => {
        const p = ssmParameters.prefix("proj", "test", NAME);
        const ownKey = parameterArn(ssmParameters.memberFile(p, "etcd1", MEMBER_CERT_FILES.memberKey));
        const othersKey = parameterArn(ssmParameters.memberFile(p, "etcd2", MEMBER_CERT_FILES.memberKey));
        const decrypt = (context: Context) => decideUnchecked({ caller: member, action: "kms:Decrypt", resource: keyArn, context, resourcePolicy: keyPolicy });
        expect(decrypt(viaSsm(ownKey))).toBe("Allowed");
        expect(decrypt(viaSsm(othersKey))).toBe("ImplicitlyDenied");
        // The same parameter asked for directly: the key policy refuses.
        expect(decrypt({ "kms:EncryptionContext:PARAMETER_ARN": ownKey })).toBe("ExplicitlyDenied");
    });

    test("the account's administrators manage the key through IAM: the key policy delegates, it grants nobody directly", async () => {
        for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:Decrypt"]) {
            expect(await onKey(administrator, action)).toBe("Allowed");
            expect(await onKey({ ...administrator, identity: [] }, action)).toBe("ImplicitlyDenied");
        }
    });

    test("the simulator's limit: its checked runner drops kms:EncryptionContext:<key> (if this fails, it no longer does: move the test above to decide())", async () => {
        const result = await runSimulation(simulation({ caller: member, action: "kms:Decrypt", resource: keyArn, context: viaSsm(parameterArn("/x")), resourcePolicy: keyPolicy }, keyPolicy), {});
        expect(result.resultType).toBe("single");
        expect(result.resultType === "single" && result.result.ignoredContextKeys).toEqual(["kms:EncryptionContext:PARAMETER_ARN"]);
    });
});
