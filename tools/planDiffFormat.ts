// The offline plan diff, pure: two `npm run plan -- --json` documents (base and head) -> a
// structured diff -> markdown a reviewer reads in a pull request comment. No I/O here; the command
// that produces the two documents from git refs is tools/planDiff.ts.
import { gunzipSync } from "zlib";
import { SECRET_MASK } from "../config/contract";

/** One resource of a plan document (`npm run plan -- --json`). */
export interface PlanDocResource {
    type: string;
    name: string;
    parent?: string | null;
    /** Inputs with secrets already masked as "[secret]". */
    inputs: Record<string, unknown>;
    options?: { dependsOn?: string[]; deleteBeforeReplace?: boolean; protect?: boolean; ignoreChanges?: string[] };
}

/** A plan document as `npm run plan -- --json` prints it. */
export interface PlanDoc {
    project: string;
    stack: string;
    region?: string;
    sizing?: unknown;
    outputs?: Record<string, unknown>;
    resources: PlanDocResource[];
}

export type ChangeKind = "added" | "removed" | "changed";

/** One changed value, addressed by a property path such as `rootBlockDevice.volumeSize` or `tags["etcd:member"]`. */
export interface ValueChange {
    path: string;
    kind: ChangeKind;
    before?: unknown;
    after?: unknown;
}

export interface ResourceRef {
    type: string;
    name: string;
    parent?: string;
}

export interface AddedOrRemoved extends ResourceRef {
    /** Warnings a reviewer should not miss (protected resource, data volume...). */
    hints: string[];
}

export interface ResourceChange extends ResourceRef {
    /** Parent in the base plan when it differs from `parent`. */
    parentBefore?: string;
    inputs: ValueChange[];
    options: ValueChange[];
    /** True when a change (not ignored) is known to replace the resource. */
    replaced: boolean;
    /** Why it is replaced or what else happens, one sentence each. */
    hints: string[];
}

export interface PlanDiff {
    project: string;
    stack: string;
    region?: string;
    added: AddedOrRemoved[];
    removed: AddedOrRemoved[];
    changed: ResourceChange[];
    /**
     * Resources whose inputs differ only where their ignoreChanges says: the engine keeps the old
     * values on update, so they are not updated (and are counted in `unchanged`). Listed because the
     * new value still reaches a resource created later (a new AMI, a new member's gate).
     */
    ignored: ResourceChange[];
    unchanged: number;
    outputs: ValueChange[];
}

/** Inputs whose change makes the provider replace the resource (create a new one, delete the old one). */
const REPLACED_BY: Record<string, string[]> = {
    "aws:ec2/instance:Instance": ["ami", "availabilityZone", "subnetId", "primaryNetworkInterface", "privateIp", "keyName", "placementGroup", "tenancy", "rootBlockDevice.encrypted", "rootBlockDevice.kmsKeyId"],
    "aws:ebs/volume:Volume": ["availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"],
    "aws:ec2/networkInterface:NetworkInterface": ["subnetId"],
    "aws:ec2/volumeAttachment:VolumeAttachment": ["deviceName", "instanceId", "volumeId"],
    "aws:ec2/subnet:Subnet": ["vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"],
    "aws:ec2/vpc:Vpc": ["cidrBlock"],
    "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "vpcId", "description"],
    "aws:ec2/natGateway:NatGateway": ["subnetId", "allocationId", "connectivityType"],
    "aws:ec2/eip:Eip": ["domain"],
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    "aws:ssm/parameter:Parameter": ["name"],
    "aws:iam/role:Role": ["name", "namePrefix", "path"],
    "aws:iam/instanceProfile:InstanceProfile": ["name", "namePrefix", "path"],
    "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage", "multiRegion"],
    "tls:index/privateKey:PrivateKey": ["algorithm", "ecdsaCurve", "rsaBits"],
};

/** Certificates: a change to what they certify or how long they last issues a new one. */
const CERTIFICATE_TYPES = new Set(["tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert", "tls:index/certRequest:CertRequest"]);
/** Certificate inputs that are bookkeeping, not content (left out of the rule above). */
const CERTIFICATE_BOOKKEEPING = new Set(["earlyRenewalHours"]);

/** Above this many characters (or with a newline) a value is shown as a unified diff of its lines. */
const LONG_VALUE = 100;
/** A unified diff longer than this is cut (a PR comment holds at most 65536 characters). */
const MAX_DIFF_LINES = 150;
/** Lines of context around each change in a unified diff. */
const CONTEXT_LINES = 3;

/** Compares two plan documents. Ordering is stable: resources by type then name, properties by path. */
export function diffPlans(baseDoc: PlanDoc, headDoc: PlanDoc): PlanDiff {
    const base = indexResources(maskDeep(baseDoc.resources) as PlanDocResource[]);
    const head = indexResources(maskDeep(headDoc.resources) as PlanDocResource[]);
    const added: AddedOrRemoved[] = [];
    const removed: AddedOrRemoved[] = [];
    const changed: ResourceChange[] = [];
    const ignored: ResourceChange[] = [];
    let unchanged = 0;

    for (const [key, after] of head) {
        const before = base.get(key);
        if (!before) {
            added.push({ ...ref(after), hints: addedHints(after) });
            continue;
        }
        const diffed = diffResource(before, after);
        if (diffed?.updated) {
            changed.push(diffed.change);
        } else {
            unchanged += 1;
            if (diffed) ignored.push(diffed.change);
        }
    }
    for (const [key, before] of base) {
        if (!head.has(key)) {
            removed.push({ ...ref(before), hints: removedHints(before) });
        }
    }
    const outputs = diffValues(maskDeep(baseDoc.outputs ?? {}), maskDeep(headDoc.outputs ?? {}));
    return {
        project: headDoc.project,
        stack: headDoc.stack,
        region: headDoc.region,
        added: added.sort(byTypeThenName),
        removed: removed.sort(byTypeThenName),
        changed: changed.sort(byTypeThenName),
        ignored: ignored.sort(byTypeThenName),
        unchanged,
        outputs,
    };
}

/** True when `pulumi up` would do nothing: no resource is added, removed or updated and no stack output changed. */
export function isEmptyDiff(diff: PlanDiff): boolean {
    return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0 && diff.outputs.length === 0;
}

/**
 * Differences between two values as a list of property paths, in key order at every level. Objects
 * are compared key by key, arrays of equal length element by element; an array that grew or shrank
 * is one change.
 */
export function diffValues(before: unknown, after: unknown, path = ""): ValueChange[] {
    const changes: ValueChange[] = [];
    walk(before, after, path, changes);
    return changes;
}

function walk(before: unknown, after: unknown, path: string, out: ValueChange[]): void {
    if (deepEqual(before, after)) {
        return;
    }
    if (isPlainObject(before) && isPlainObject(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compareText);
        for (const key of keys) {
            const childPath = joinPath(path, key);
            if (!(key in before)) {
                out.push({ path: childPath, kind: "added", after: after[key] });
            } else if (!(key in after)) {
                out.push({ path: childPath, kind: "removed", before: before[key] });
            } else {
                walk(before[key], after[key], childPath, out);
            }
        }
        return;
    }
    if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
        before.forEach((item, i) => walk(item, after[i], `${path}[${i}]`, out));
        return;
    }
    out.push({ path, kind: "changed", before, after });
}

/**
 * How a resource differs, if it does, and whether the engine updates it: not when every input that
 * differs is one its ignoreChanges names and nothing else (options, parent) differs.
 */
function diffResource(before: PlanDocResource, after: PlanDocResource): { change: ResourceChange; updated: boolean } | undefined {
    const inputs = diffValues(before.inputs ?? {}, after.inputs ?? {});
    const options = diffValues(normalizeOptions(before.options), normalizeOptions(after.options));
    const parentBefore = before.parent ?? undefined;
    const parentAfter = after.parent ?? undefined;
    if (inputs.length === 0 && options.length === 0 && parentBefore === parentAfter) {
        return undefined;
    }
    const hints: string[] = [];
    let replaced = false;
    const ignored = new Set(after.options?.ignoreChanges ?? []);
    const applied = inputs.filter((c) => !isIgnored(c.path, ignored));
    const ignoredChanges = inputs.filter((c) => isIgnored(c.path, ignored));
    const replacing = applied.filter((c) => replacesResource(after, c.path));
    if (replacing.length > 0) {
        replaced = true;
        const order = after.options?.deleteBeforeReplace ? " (the old one is deleted first: deleteBeforeReplace)" : "";
        hints.push(`Replaced: ${listPaths(replacing)} cannot change in place${order}.`);
    }
    if (ignoredChanges.length > 0) {
        hints.push(`Ignored on update: ${listPaths(ignoredChanges)} (ignoreChanges), so this change reaches only new resources.`);
    }
    hints.push(...inPlaceHints(after, applied));
    if (parentBefore !== parentAfter) {
        replaced = true;
        hints.push(
            `Re-parented from ${parentBefore ? code(parentBefore) : "the stack"} to ${parentAfter ? code(parentAfter) : "the stack"}: its URN changes, so Pulumi deletes and recreates it unless the new code gives it an alias to the old URN.`,
        );
    }
    if (after.options?.protect && replaced) {
        hints.push("Protected: `pulumi up` refuses to replace it until protect is turned off.");
    }
    return {
        change: { ...ref(after), parentBefore: parentBefore !== parentAfter ? parentBefore : undefined, inputs, options, replaced, hints },
        updated: applied.length > 0 || options.length > 0 || parentBefore !== parentAfter,
    };
}

function replacesResource(resource: PlanDocResource, path: string): boolean {
    if (CERTIFICATE_TYPES.has(resource.type)) {
        return !CERTIFICATE_BOOKKEEPING.has(path.split(/[.[]/)[0]);
    }
    if (resource.type === "aws:ec2/instance:Instance" && (path === "userData" || path === "userDataBase64") && resource.inputs.userDataReplaceOnChange === true) {
        return true;
    }
    return (REPLACED_BY[resource.type] ?? []).some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

function inPlaceHints(resource: PlanDocResource, changes: ValueChange[]): string[] {
    const paths = new Set(changes.map((c) => c.path));
    const hints: string[] = [];
    if (resource.type === "aws:ec2/instance:Instance" && paths.has("instanceType")) {
        hints.push("The instance is stopped and started to change its type: the member is down meanwhile.");
    }
    if (resource.type === "aws:ebs/volume:Volume" && ["size", "iops", "throughput", "type"].some((p) => paths.has(p))) {
        hints.push("Volume size, IOPS, throughput and type change in place (EBS elastic volumes); a size can only grow.");
    }
    if (resource.type === "command:local:Command" && changes.length > 0) {
        hints.push("A changed command runs again on `pulumi up`.");
    }
    return hints;
}

function addedHints(resource: PlanDocResource): string[] {
    return resource.options?.protect ? ["Protected once created."] : [];
}

function removedHints(resource: PlanDocResource): string[] {
    const hints: string[] = [];
    if (resource.options?.protect) {
        hints.push("Protected: `pulumi up` refuses to delete it until protect is turned off.");
    }
    if (resource.type === "aws:ebs/volume:Volume") {
        hints.push("A data volume: deleting it deletes the member's etcd data.");
    }
    if (resource.type === "aws:s3/bucket:Bucket") {
        hints.push("A bucket: deleting it fails while it holds objects, and deletes them if it is emptied first.");
    }
    return hints;
}

function isIgnored(path: string, ignored: Set<string>): boolean {
    for (const p of ignored) {
        if (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)) {
            return true;
        }
    }
    return false;
}

function normalizeOptions(options: PlanDocResource["options"]): Record<string, unknown> {
    return {
        protect: options?.protect ?? false,
        deleteBeforeReplace: options?.deleteBeforeReplace ?? false,
        ignoreChanges: [...(options?.ignoreChanges ?? [])].sort(compareText),
        dependsOn: [...new Set(options?.dependsOn ?? [])].sort(compareText),
    };
}

function indexResources(resources: PlanDocResource[]): Map<string, PlanDocResource> {
    const index = new Map<string, PlanDocResource>();
    const counts = new Map<string, number>();
    for (const r of resources) {
        const key = `${r.type}\u0000${r.name}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const r of resources) {
        const key = `${r.type}\u0000${r.name}`;
        // Names repeat across types; within one type they are unique unless two parents reuse one.
        index.set(counts.get(key)! > 1 ? `${key}\u0000${r.parent ?? ""}` : key, r);
    }
    return index;
}

function ref(r: PlanDocResource): ResourceRef {
    return r.parent ? { type: r.type, name: r.name, parent: r.parent } : { type: r.type, name: r.name };
}

function byTypeThenName(a: ResourceRef, b: ResourceRef): number {
    return compareText(a.type, b.type) || compareText(a.name, b.name) || compareText(a.parent ?? "", b.parent ?? "");
}

/** Locale-independent ordering, so the output is the same on every machine. */
function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

function joinPath(path: string, key: string): string {
    const segment = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
    if (path === "") {
        return segment;
    }
    return segment.startsWith("[") ? `${path}${segment}` : `${path}.${segment}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) {
        return true;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
        return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
    }
    if (isPlainObject(a) && isPlainObject(b)) {
        const keys = Object.keys(a);
        return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
    }
    return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
}

/**
 * A second line of defence: the plan already masks secret values, and any text that still carries
 * a private key is masked here too, so no path through this module can print one.
 */
export function maskDeep(value: unknown): unknown {
    if (typeof value === "string") {
        return /PRIVATE KEY-----/.test(value) ? SECRET_MASK : value;
    }
    if (Array.isArray(value)) {
        return value.map(maskDeep);
    }
    if (isPlainObject(value)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)]));
    }
    return value;
}

// ---- Markdown ----------------------------------------------------------------------------------

export interface FormatOptions {
    /** What the base is, e.g. "origin/main (3f2c1ab)". */
    baseLabel: string;
    /** What the head is, e.g. "working tree" or "pull request head (9d8e7f6)". */
    headLabel: string;
}

/** The diff as markdown for a pull request comment or a terminal: summary line, then each section. */
export function formatPlanDiff(diff: PlanDiff, options: FormatOptions): string {
    const lines: string[] = [];
    lines.push(`### Offline plan diff: stack ${code(diff.stack)}`, "");
    lines.push(`Base ${options.baseLabel} → head ${options.headLabel}. Project ${code(diff.project)}${diff.region ? `, region ${code(diff.region)}` : ""}.`, "");
    const ignoredNote = diff.ignored.length > 0 ? ` ${diff.ignored.length} of the unchanged differ only in inputs they ignore on update (listed below).` : "";
    if (isEmptyDiff(diff)) {
        lines.push(
            diff.ignored.length > 0
                ? `**No changes.** None of the ${diff.unchanged} resources is updated and the stack outputs are the same.${ignoredNote}`
                : `**No changes.** The ${diff.unchanged} resources and the stack outputs are the same.`,
            "",
        );
        lines.push(...ignoredSection(diff));
        lines.push(FOOTNOTE, "");
        return lines.join("\n");
    }
    const replaced = diff.changed.filter((c) => c.replaced).length;
    lines.push(
        `**${diff.added.length} to add, ${diff.removed.length} to remove, ${diff.changed.length} to change${replaced ? ` (${replaced} replaced)` : ""}, ${diff.unchanged} unchanged.**${ignoredNote}`,
        "",
    );
    const members = diff.changed.filter((c) => c.replaced && c.type === "aws:ec2/instance:Instance").map((c) => c.name);
    if (members.length > 0) {
        lines.push(
            `> **${members.length} member instance${members.length > 1 ? "s are" : " is"} replaced** (${members.map(code).join(", ")}), one at a time behind the health gates. ` +
                `Rehearse it on real machines with a writer running before it reaches this stack: ` +
                `\`sudo npm run sandbox -- up --stack ${diff.stack} --config-file <the base's stack file>\`, then ` +
                `\`sudo npm run sandbox -- apply --stack ${diff.stack} --config-file <this change's stack file> --load\` (README, *Day-2 changes*).`,
            "",
        );
    }
    if (diff.added.length > 0) {
        lines.push(`#### Added (${diff.added.length})`, "");
        diff.added.forEach((r) => lines.push(`- ${resourceLine(r)}${r.hints.map((h) => ` ${h}`).join("")}`));
        lines.push("");
    }
    if (diff.removed.length > 0) {
        lines.push(`#### Removed (${diff.removed.length})`, "");
        diff.removed.forEach((r) => lines.push(`- ${resourceLine(r)}${r.hints.map((h) => ` **${h}**`).join("")}`));
        lines.push("");
    }
    if (diff.changed.length > 0) {
        lines.push(`#### Changed (${diff.changed.length})`, "");
        diff.changed.forEach((change) => lines.push(...formatResourceChange(change)));
    }
    lines.push(...ignoredSection(diff));
    if (diff.outputs.length > 0) {
        lines.push(`#### Stack outputs (${diff.outputs.length} changed)`, "");
        lines.push(...formatChanges(diff.outputs), "");
    }
    lines.push(FOOTNOTE, "");
    return lines.join("\n");
}

function formatResourceChange(change: ResourceChange): string[] {
    const lines = [`##### ${resourceLine(change)}${change.replaced ? " (replaced)" : ""}`, ""];
    if (change.hints.length > 0) {
        lines.push(change.hints.map((h) => `> ${h}`).join("\n>\n"), "");
    }
    lines.push(...formatChanges(change.inputs));
    lines.push(...formatChanges(change.options.map((c) => ({ ...c, path: `(option) ${c.path}` }))));
    lines.push("");
    return lines;
}

function ignoredSection(diff: PlanDiff): string[] {
    if (diff.ignored.length === 0) return [];
    return [`#### Ignored on update (${diff.ignored.length}), not updated`, "", ...diff.ignored.flatMap(formatResourceChange)];
}

const FOOTNOTE =
    "<sub>Offline plan: no cloud calls and no credentials. Ids, addresses and certificates are placeholders; secret values show as [secret], so a change to a secret alone does not show. Replacement notes are hints; `pulumi preview` is authoritative.</sub>";

function resourceLine(r: ResourceRef): string {
    const parent = r.parent ? ` in ${code(r.parent)}` : "";
    return `${code(r.type)} ${code(r.name)}${parent}`;
}

function formatChanges(changes: ValueChange[]): string[] {
    const lines: string[] = [];
    for (const c of changes) {
        const label = code(c.path);
        if (c.kind === "added" && !isLong(c.after)) {
            lines.push(`- ${label}: added ${inline(c.after)}`);
        } else if (c.kind === "removed" && !isLong(c.before)) {
            lines.push(`- ${label}: removed (was ${inline(c.before)})`);
        } else if (c.kind === "changed" && !isLong(c.before) && !isLong(c.after)) {
            lines.push(`- ${label}: ${inline(c.before)} → ${inline(c.after)}`);
        } else if (c.kind !== "changed") {
            // A long value that appears or disappears whole: its size and first line say enough.
            const value = asLines(c.kind === "added" ? c.after : c.before);
            const what = `${value.lines.length} line${value.lines.length === 1 ? "" : "s"}${value.decoded ? `, ${value.decoded}` : ""}, first ${inline(value.lines[0] ?? "")}`;
            lines.push(`- ${label}: ${c.kind} (${what})`);
        } else {
            const before = asLines(c.before);
            const after = asLines(c.after);
            const diffText = unifiedDiff(before.lines, after.lines);
            const decoded = before.decoded ?? after.decoded;
            const counts = `${plural(diffText.added, "line")} added, ${diffText.removed} removed${decoded ? `; ${decoded}` : ""}`;
            let shown = diffText.text.split("\n");
            if (shown.length > MAX_DIFF_LINES) {
                shown = [...shown.slice(0, MAX_DIFF_LINES), `... ${shown.length - MAX_DIFF_LINES} more diff lines (run the plan diff locally to see all)`];
            }
            lines.push(`- ${label}: changed (${counts})`, "", ...fence(shown.join("\n"), "diff").map((l) => `  ${l}`), "");
        }
    }
    return lines;
}

function isLong(value: unknown): boolean {
    if (value === undefined) {
        return false;
    }
    if (typeof value === "string" && gunzipBase64(value) !== undefined) {
        return true;
    }
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > LONG_VALUE || text.includes("\n");
}

function inline(value: unknown): string {
    if (value === undefined) {
        return "(none)";
    }
    return code(typeof value === "string" ? value : JSON.stringify(value));
}

/**
 * The lines a long value is compared by: text as is, gzip+base64 text (compressed user data)
 * decoded, JSON text and structures pretty-printed.
 */
function asLines(value: unknown): { lines: string[]; decoded?: string } {
    if (value === undefined) {
        return { lines: [] };
    }
    if (typeof value === "string") {
        const unzipped = gunzipBase64(value);
        if (unzipped !== undefined) {
            return { lines: maskLines(unzipped.replace(/\n$/, "").split("\n")), decoded: "decoded from gzip+base64" };
        }
        const trimmed = value.trim();
        if ((trimmed.startsWith("{") || trimmed.startsWith("[")) && !value.includes("\n")) {
            try {
                return { lines: JSON.stringify(JSON.parse(trimmed), null, 2).split("\n") };
            } catch {
                // not JSON: compare the text
            }
        }
        return { lines: value.replace(/\n$/, "").split("\n") };
    }
    return { lines: JSON.stringify(value, null, 2).split("\n") };
}

/** Text of a gzip+base64 value ("H4sI..." is the base64 of gzip's magic bytes), else undefined. */
function gunzipBase64(value: string): string | undefined {
    if (!value.startsWith("H4sI") || !/^[A-Za-z0-9+/=\s]+$/.test(value)) {
        return undefined;
    }
    try {
        return gunzipSync(Buffer.from(value, "base64")).toString("utf8");
    } catch {
        return undefined;
    }
}

/** Decoded text was never seen by the plan's masking: mask private keys inside it too. */
function maskLines(lines: string[]): string[] {
    const out: string[] = [];
    let inKey = false;
    for (const line of lines) {
        if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(line)) {
            inKey = true;
            out.push(line.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----.*/, SECRET_MASK));
        } else if (inKey) {
            if (/-----END [A-Z ]*PRIVATE KEY-----/.test(line)) {
                inKey = false;
            }
        } else {
            out.push(line);
        }
    }
    return out;
}

function plural(count: number, noun: string): string {
    return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** Inline code that survives backticks in the value. */
function code(text: string): string {
    const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    const ticks = "`".repeat(longestRun + 1);
    const pad = text.startsWith("`") || text.endsWith("`") || longestRun > 0 ? " " : "";
    return `${ticks}${pad}${text.replace(/\n/g, "\\n")}${pad}${ticks}`;
}

function fence(text: string, language: string): string[] {
    const longestRun = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    const ticks = "`".repeat(longestRun + 1);
    return [`${ticks}${language}`, ...text.split("\n"), ticks];
}

export interface UnifiedDiff {
    text: string;
    added: number;
    removed: number;
}

/**
 * A unified diff (`@@ -a,b +c,d @@` hunks, CONTEXT_LINES of context) of two line lists, from their
 * longest common subsequence after trimming the common head and tail.
 */
export function unifiedDiff(before: string[], after: string[]): UnifiedDiff {
    let head = 0;
    while (head < before.length && head < after.length && before[head] === after[head]) head++;
    let tail = 0;
    while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
    const a = before.slice(head, before.length - tail);
    const b = after.slice(head, after.length - tail);

    // ops over the whole sequences: " " kept, "-" removed, "+" added
    const ops: { op: " " | "-" | "+"; line: string }[] = before.slice(0, head).map((line) => ({ op: " " as const, line }));
    ops.push(...lcsOps(a, b));
    ops.push(...before.slice(before.length - tail).map((line) => ({ op: " " as const, line })));

    const out: string[] = [];
    let added = 0;
    let removed = 0;
    // line numbers (1-based) of each op in before and after
    const positions: { a: number; b: number }[] = [];
    let ai = 1;
    let bi = 1;
    for (const o of ops) {
        positions.push({ a: ai, b: bi });
        if (o.op !== "+") ai++;
        if (o.op !== "-") bi++;
        if (o.op === "+") added++;
        if (o.op === "-") removed++;
    }
    let i = 0;
    while (i < ops.length) {
        if (ops[i].op === " ") {
            i++;
            continue;
        }
        const start = Math.max(0, i - CONTEXT_LINES);
        let end = i;
        // extend the hunk while the next change is within 2 * CONTEXT_LINES
        while (end < ops.length) {
            if (ops[end].op !== " ") {
                end++;
                continue;
            }
            let next = end;
            while (next < ops.length && ops[next].op === " ") next++;
            if (next < ops.length && next - end <= 2 * CONTEXT_LINES) {
                end = next;
                continue;
            }
            end = Math.min(ops.length, end + CONTEXT_LINES);
            break;
        }
        const hunk = ops.slice(start, end);
        const aCount = hunk.filter((o) => o.op !== "+").length;
        const bCount = hunk.filter((o) => o.op !== "-").length;
        const aStart = aCount === 0 ? positions[start].a - 1 : positions[start].a;
        const bStart = bCount === 0 ? positions[start].b - 1 : positions[start].b;
        out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
        hunk.forEach((o) => out.push(`${o.op}${o.line}`));
        i = end;
    }
    return { text: out.join("\n"), added, removed };
}

function lcsOps(a: string[], b: string[]): { op: " " | "-" | "+"; line: string }[] {
    // Past this size a full table is too big for a review comment anyway: show remove-all, add-all.
    if (a.length * b.length > 4_000_000) {
        return [...a.map((line) => ({ op: "-" as const, line })), ...b.map((line) => ({ op: "+" as const, line }))];
    }
    const rows = a.length + 1;
    const cols = b.length + 1;
    const table = new Uint32Array(rows * cols);
    for (let i = a.length - 1; i >= 0; i--) {
        for (let j = b.length - 1; j >= 0; j--) {
            table[i * cols + j] = a[i] === b[j] ? table[(i + 1) * cols + j + 1] + 1 : Math.max(table[(i + 1) * cols + j], table[i * cols + j + 1]);
        }
    }
    const ops: { op: " " | "-" | "+"; line: string }[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
        if (a[i] === b[j]) {
            ops.push({ op: " ", line: a[i] });
            i++;
            j++;
        } else if (table[(i + 1) * cols + j] >= table[i * cols + j + 1]) {
            ops.push({ op: "-", line: a[i] });
            i++;
        } else {
            ops.push({ op: "+", line: b[j] });
            j++;
        }
    }
    while (i < a.length) ops.push({ op: "-", line: a[i++] });
    while (j < b.length) ops.push({ op: "+", line: b[j++] });
    return ops;
}

function listPaths(changes: ValueChange[]): string {
    return changes.map((c) => code(c.path)).join(", ");
}
