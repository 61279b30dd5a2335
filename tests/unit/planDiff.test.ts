import { gzipSync } from "zlib";
import { diffPlans, diffValues, formatPlanDiff, isEmptyDiff, maskDeep, PlanDoc, PlanDocResource, unifiedDiff } from "../../tools/planDiffFormat";

// Small hand-made plan documents in the shape `npm run plan -- --json` prints.
function doc(resources: PlanDocResource[], outputs: Record<string, unknown> = {}): PlanDoc {
    return { project: "etcd-cluster", stack: "dev", region: "eu-west-1", outputs, resources };
}

function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlanDocResource> = {}): PlanDocResource {
    return { type, name, parent: "etcd", inputs, options: { dependsOn: [], deleteBeforeReplace: false, protect: false, ignoreChanges: [] }, ...extra };
}

const INSTANCE = "aws:ec2/instance:Instance";
const VOLUME = "aws:ebs/volume:Volume";
const PARAM = "aws:ssm/parameter:Parameter";
const LABELS = { baseLabel: "`main` (abc1234)", headLabel: "the working tree" };

function instance(name: string, inputs: Record<string, unknown> = {}, options: Partial<NonNullable<PlanDocResource["options"]>> = {}): PlanDocResource {
    return res(INSTANCE, name, { ami: "ami-1", instanceType: "m7g.large", tags: { Name: name }, ...inputs }, {
        parent: name,
        options: { dependsOn: [], deleteBeforeReplace: true, protect: false, ignoreChanges: [], ...options },
    });
}

describe("diffPlans", () => {
    test("sorts resources into added, removed, changed and counts the unchanged", () => {
        const base = doc([instance("etcd-etcd1"), instance("etcd-etcd2"), res(PARAM, "etcd-old", { name: "/old", value: "x" })]);
        const head = doc([instance("etcd-etcd1"), instance("etcd-etcd2", { instanceType: "m7g.xlarge" }), res(PARAM, "etcd-new", { name: "/new", value: "y" })]);
        const diff = diffPlans(base, head);
        expect(diff.added.map((r) => r.name)).toEqual(["etcd-new"]);
        expect(diff.removed.map((r) => r.name)).toEqual(["etcd-old"]);
        expect(diff.changed.map((r) => r.name)).toEqual(["etcd-etcd2"]);
        expect(diff.changed[0].inputs).toEqual([{ path: "instanceType", kind: "changed", before: "m7g.large", after: "m7g.xlarge" }]);
        expect(diff.unchanged).toBe(1);
        expect(isEmptyDiff(diff)).toBe(false);
    });

    test("identical documents give an empty diff and a 'No changes' comment", () => {
        const plan = doc([instance("etcd-etcd1"), res(VOLUME, "etcd-etcd1-data", { size: 50 })], { clusterToken: "t" });
        const diff = diffPlans(plan, structuredClone(plan));
        expect(isEmptyDiff(diff)).toBe(true);
        expect(diff.unchanged).toBe(2);
        const markdown = formatPlanDiff(diff, LABELS);
        expect(markdown).toContain("**No changes.** The 2 resources and the stack outputs are the same.");
        expect(markdown).not.toMatch(/#### (Added|Removed|Changed)/);
    });

    test("a resource is identified by type and name: the same name under two types is two resources", () => {
        const member = res("etcd:index:Member", "etcd-etcd1", {});
        const base = doc([member, instance("etcd-etcd1")]);
        const head = doc([member, instance("etcd-etcd1", { ami: "ami-2" })]);
        const diff = diffPlans(base, head);
        expect(diff.changed.map((c) => c.type)).toEqual([INSTANCE]);
        expect(diff.unchanged).toBe(1);
    });

    test("nested inputs are compared key by key and reported by path", () => {
        const base = doc([instance("etcd-etcd1", { rootBlockDevice: { volumeSize: 20, encrypted: true }, tags: { Name: "a", "etcd:member": "etcd1" } })]);
        const head = doc([instance("etcd-etcd1", { rootBlockDevice: { volumeSize: 30, encrypted: true }, tags: { Name: "a", "etcd:member": "etcd9", extra: "x" } })]);
        const [change] = diffPlans(base, head).changed;
        expect(change.inputs).toEqual([
            { path: "rootBlockDevice.volumeSize", kind: "changed", before: 20, after: 30 },
            { path: 'tags["etcd:member"]', kind: "changed", before: "etcd1", after: "etcd9" },
            { path: "tags.extra", kind: "added", after: "x" },
        ]);
    });

    test("arrays of equal length are compared element by element; one that grew is one change", () => {
        expect(diffValues({ ports: [{ from: 1 }, { from: 2 }] }, { ports: [{ from: 1 }, { from: 3 }] })).toEqual([
            { path: "ports[1].from", kind: "changed", before: 2, after: 3 },
        ]);
        expect(diffValues({ ids: ["a"] }, { ids: ["a", "b"] })).toEqual([{ path: "ids", kind: "changed", before: ["a"], after: ["a", "b"] }]);
        expect(diffValues({ gone: 1 }, {})).toEqual([{ path: "gone", kind: "removed", before: 1 }]);
    });

    test("ordering is stable: resources by type then name, changes by path, whatever the input order", () => {
        const resources = [res(PARAM, "b", { v: 1 }), res(PARAM, "a", { v: 1 }), res(VOLUME, "c", { size: 1 }), instance("etcd-etcd1")];
        const changedResources = [res(PARAM, "b", { v: 2 }), res(PARAM, "a", { v: 2 }), res(VOLUME, "c", { size: 2 }), instance("etcd-etcd1", { zeta: 1, alpha: 1 })];
        const forward = diffPlans(doc(resources), doc(changedResources));
        const backward = diffPlans(doc([...resources].reverse()), doc([...changedResources].reverse()));
        expect(forward).toEqual(backward);
        expect(forward.changed.map((c) => `${c.type} ${c.name}`)).toEqual([`${VOLUME} c`, `${INSTANCE} etcd-etcd1`, `${PARAM} a`, `${PARAM} b`]);
        expect(forward.changed[1].inputs.map((c) => c.path)).toEqual(["alpha", "zeta"]);
        expect(formatPlanDiff(forward, LABELS)).toBe(formatPlanDiff(backward, LABELS));
    });

    test("changed resource options are reported, dependsOn order and duplicates are not", () => {
        const base = doc([res(VOLUME, "v", { size: 1 }, { options: { dependsOn: ["a", "b", "a"], protect: false } })]);
        const head = doc([res(VOLUME, "v", { size: 1 }, { options: { dependsOn: ["b", "a"], protect: true } })]);
        const [change] = diffPlans(base, head).changed;
        expect(change.inputs).toEqual([]);
        expect(change.options).toEqual([{ path: "protect", kind: "changed", before: false, after: true }]);
        expect(formatPlanDiff(diffPlans(base, head), LABELS)).toContain("- `(option) protect`: `false` → `true`");
    });

    test("stack outputs are compared too", () => {
        const diff = diffPlans(doc([], { sizing: { tier: "small" } }), doc([], { sizing: { tier: "medium" } }));
        expect(diff.outputs).toEqual([{ path: "sizing.tier", kind: "changed", before: "small", after: "medium" }]);
        expect(formatPlanDiff(diff, LABELS)).toContain("#### Stack outputs (1 changed)\n\n- `sizing.tier`: `small` → `medium`");
    });
});

describe("replacement hints", () => {
    test("a changed AMI replaces the instance, and says the old one goes first (deleteBeforeReplace)", () => {
        const [change] = diffPlans(doc([instance("etcd-etcd1")]), doc([instance("etcd-etcd1", { ami: "ami-2" })])).changed;
        expect(change.replaced).toBe(true);
        expect(change.hints).toEqual(["Replaced: `ami` cannot change in place (the old one is deleted first: deleteBeforeReplace)."]);
    });

    test("replaced member instances: the comment offers the sandbox rehearsal, once; other changes do not", () => {
        const replacing = diffPlans(doc([instance("etcd-etcd1"), instance("etcd-etcd2")]), doc([instance("etcd-etcd1", { ami: "ami-2" }), instance("etcd-etcd2", { ami: "ami-2" })]));
        const text = formatPlanDiff(replacing, LABELS);
        expect(text).toContain("> **2 member instances are replaced** (`etcd-etcd1`, `etcd-etcd2`), one at a time behind the health gates.");
        expect(text).toContain("`sudo npm run sandbox -- apply --stack");
        expect(text.match(/Rehearse it on real machines/g)).toHaveLength(1);
        const resized = diffPlans(doc([instance("etcd-etcd1")]), doc([instance("etcd-etcd1", { instanceType: "m7g.xlarge" })]));
        expect(formatPlanDiff(resized, LABELS)).not.toContain("Rehearse it");
    });

    test("a changed AMI listed in ignoreChanges is no update, as for the engine: counted unchanged, and listed as ignored", () => {
        const base = doc([instance("etcd-etcd1", {}, { ignoreChanges: ["ami"] })]);
        const head = doc([instance("etcd-etcd1", { ami: "ami-2" }, { ignoreChanges: ["ami"] })]);
        const diff = diffPlans(base, head);
        expect(diff.changed).toEqual([]);
        expect(diff.unchanged).toBe(1);
        expect(isEmptyDiff(diff)).toBe(true);
        expect(diff.ignored.map((r) => r.name)).toEqual(["etcd-etcd1"]);
        expect(diff.ignored[0].replaced).toBe(false);
        expect(diff.ignored[0].hints).toEqual(["Ignored on update: `ami` (ignoreChanges), so this change reaches only new resources."]);
        const markdown = formatPlanDiff(diff, LABELS);
        expect(markdown).toContain("**No changes.** None of the 1 resources is updated and the stack outputs are the same. 1 of the unchanged differ only in inputs they ignore on update (listed below).");
        expect(markdown).toContain("#### Ignored on update (1), not updated");
        expect(markdown).toContain("- `ami`: `ami-1` → `ami-2`");
        expect(markdown).not.toContain("(replaced)");
    });

    test("a change to an ignored input next to one that is not is an update, with both listed", () => {
        const base = doc([instance("etcd-etcd1", {}, { ignoreChanges: ["ami"] })]);
        const head = doc([instance("etcd-etcd1", { ami: "ami-2", instanceType: "m7g.xlarge" }, { ignoreChanges: ["ami"] })]);
        const diff = diffPlans(base, head);
        expect(diff.ignored).toEqual([]);
        expect(diff.changed.map((c) => c.inputs.map((i) => i.path))).toEqual([["ami", "instanceType"]]);
        expect(formatPlanDiff(diff, LABELS)).toContain("**0 to add, 0 to remove, 1 to change, 0 unchanged.**\n");
    });

    test("a gate whose GATE_ON_CREATE turns from skip to wait once the cluster formed is no update (it ignores the key)", () => {
        const gate = (onCreate: string) =>
            res("command:local:Command", "etcd-etcd1-health", { environment: { GATE_MEMBER: "etcd1", GATE_ON_CREATE: onCreate } }, {
                options: { dependsOn: [], deleteBeforeReplace: false, protect: false, ignoreChanges: ["environment.GATE_ON_CREATE"] },
            });
        const diff = diffPlans(doc([gate("skip")]), doc([gate("wait")]));
        expect(isEmptyDiff(diff)).toBe(true);
        expect(diff.ignored[0].inputs).toEqual([{ path: "environment.GATE_ON_CREATE", kind: "changed", before: "skip", after: "wait" }]);
        // Next to a real change, it is counted unchanged and still listed.
        const withResize = diffPlans(doc([gate("skip"), instance("etcd-etcd1")]), doc([gate("wait"), instance("etcd-etcd1", { instanceType: "m7g.xlarge" })]));
        const markdown = formatPlanDiff(withResize, LABELS);
        expect(markdown).toContain("**0 to add, 0 to remove, 1 to change, 1 unchanged.** 1 of the unchanged differ only in inputs they ignore on update (listed below).");
        expect(markdown.indexOf("#### Ignored on update (1), not updated")).toBeGreaterThan(markdown.indexOf("#### Changed (1)"));
        // Without ignoreChanges it is an update that runs the gate again.
        const unignored = (onCreate: string) => ({ ...gate(onCreate), options: { ...gate(onCreate).options, ignoreChanges: [] } });
        expect(diffPlans(doc([unignored("skip")]), doc([unignored("wait")])).changed[0].hints).toEqual(["A changed command runs again on `pulumi up`."]);
    });

    test("ignoreChanges the head adds counts for that very update, as the engine applies the program's options: turning object lock on keeps the bucket", () => {
        const BUCKET = "aws:s3/bucket:Bucket";
        const bucket = (objectLockEnabled: boolean, ignoreChanges: string[]) =>
            res(BUCKET, "etcd-backups", { bucketPrefix: "etcd-backups-", objectLockEnabled }, { options: { dependsOn: [], deleteBeforeReplace: false, protect: true, ignoreChanges } });
        const ignored = diffPlans(doc([bucket(false, [])]), doc([bucket(true, ["objectLockEnabled"])])).changed[0];
        expect(ignored.replaced).toBe(false);
        expect(ignored.hints).toEqual(["Ignored on update: `objectLockEnabled` (ignoreChanges), so this change reaches only new resources."]);
        expect(ignored.options).toEqual([{ path: "ignoreChanges", kind: "changed", before: [], after: ["objectLockEnabled"] }]);
        // The same change without ignoreChanges replaces the bucket, which its protection refuses.
        const replaced = diffPlans(doc([bucket(false, [])]), doc([bucket(true, [])])).changed[0];
        expect(replaced.replaced).toBe(true);
        expect(replaced.hints).toEqual(["Replaced: `objectLockEnabled` cannot change in place.", "Protected: `pulumi up` refuses to replace it until protect is turned off."]);
        // ignoreChanges the base had but the head drops protects nothing: the engine reads the head's options.
        const dropped = diffPlans(doc([bucket(false, ["objectLockEnabled"])]), doc([bucket(true, [])])).changed[0];
        expect(dropped.replaced).toBe(true);
    });

    test("a changed instance type is an in-place stop and start, not a replacement", () => {
        const [change] = diffPlans(doc([instance("etcd-etcd1")]), doc([instance("etcd-etcd1", { instanceType: "m7g.xlarge" })])).changed;
        expect(change.replaced).toBe(false);
        expect(change.hints).toEqual(["The instance is stopped and started to change its type: the member is down meanwhile."]);
    });

    test("changed user data replaces the instance only when userDataReplaceOnChange is set", () => {
        const replacing = diffPlans(doc([instance("i", { userData: "a", userDataReplaceOnChange: true })]), doc([instance("i", { userData: "b", userDataReplaceOnChange: true })]));
        expect(replacing.changed[0].replaced).toBe(true);
        const inPlace = diffPlans(doc([instance("i", { userData: "a" })]), doc([instance("i", { userData: "b" })]));
        expect(inPlace.changed[0].replaced).toBe(false);
    });

    test("a volume's zone replaces it; its size changes in place", () => {
        const zone = diffPlans(doc([res(VOLUME, "d", { availabilityZone: "a", size: 50 })]), doc([res(VOLUME, "d", { availabilityZone: "b", size: 50 })]));
        expect(zone.changed[0].replaced).toBe(true);
        const size = diffPlans(doc([res(VOLUME, "d", { availabilityZone: "a", size: 50 })]), doc([res(VOLUME, "d", { availabilityZone: "a", size: 150 })]));
        expect(size.changed[0].replaced).toBe(false);
        expect(size.changed[0].hints[0]).toMatch(/change in place \(EBS elastic volumes\)/);
    });

    test("a certificate's validity issues a new certificate; its early-renewal window does not", () => {
        const cert = "tls:index/locallySignedCert:LocallySignedCert";
        const validity = diffPlans(doc([res(cert, "c", { validityPeriodHours: 720 })]), doc([res(cert, "c", { validityPeriodHours: 1000 })]));
        expect(validity.changed[0].replaced).toBe(true);
        const renewal = diffPlans(doc([res(cert, "c", { earlyRenewalHours: 1 })]), doc([res(cert, "c", { earlyRenewalHours: 2 })]));
        expect(renewal.changed[0].replaced).toBe(false);
    });

    test("a re-parented resource is flagged: its URN changes unless an alias is added", () => {
        const diff = diffPlans(doc([res(VOLUME, "d", { size: 1 }, { parent: "etcd" })]), doc([res(VOLUME, "d", { size: 1 }, { parent: "etcd-etcd1" })]));
        expect(diff.changed[0]).toMatchObject({ replaced: true, parent: "etcd-etcd1", parentBefore: "etcd" });
        expect(diff.changed[0].hints[0]).toMatch(/Re-parented from `etcd` to `etcd-etcd1`: its URN changes.*alias/);
    });

    test("removing a protected data volume carries both warnings", () => {
        const diff = diffPlans(doc([res(VOLUME, "d", { size: 1 }, { options: { protect: true } })]), doc([]));
        expect(diff.removed[0].hints).toEqual([
            "Protected: `pulumi up` refuses to delete it until protect is turned off.",
            "A data volume: deleting it deletes the member's etcd data.",
        ]);
        expect(formatPlanDiff(diff, LABELS)).toContain("- `aws:ebs/volume:Volume` `d` in `etcd` **Protected:");
    });
});

describe("secrets", () => {
    const KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBX5secretmaterial\n-----END EC PRIVATE KEY-----\n";

    test("masked values stay [secret] on both sides of a change", () => {
        const base = doc([res(PARAM, "k", { name: "/k", value: "[secret]" })]);
        const head = doc([res(PARAM, "k", { name: "/k2", value: "[secret]" })]);
        const markdown = formatPlanDiff(diffPlans(base, head), LABELS);
        expect(markdown).toContain("- `name`: `/k` → `/k2`");
        expect(markdown).not.toContain("- `value`");
    });

    test("a secret that became plain shows only the mask for the secret side", () => {
        const markdown = formatPlanDiff(diffPlans(doc([res(PARAM, "k", { value: "[secret]" })]), doc([res(PARAM, "k", { value: "plain" })])), LABELS);
        expect(markdown).toContain("- `value`: `[secret]` → `plain`");
    });

    test("a private key that reached a document unmasked is never printed, in inputs, outputs or diffs", () => {
        const base = doc([res(PARAM, "k", { value: KEY, note: "a" })], { adminKeyPem: KEY });
        const head = doc([res(PARAM, "k", { value: `${KEY}x`, note: "b" }), res(PARAM, "n", { value: KEY })], { adminKeyPem: `${KEY}y` });
        const diff = diffPlans(base, head);
        const text = formatPlanDiff(diff, LABELS) + JSON.stringify(diff);
        expect(text).not.toMatch(/PRIVATE KEY|secretmaterial/);
        expect(maskDeep({ a: [KEY, 1] })).toEqual({ a: ["[secret]", 1] });
    });

    test("a private key inside compressed user data is masked after decoding", () => {
        const userData = (extra: string) => gzipSync(`#cloud-config\nwrite_files:\n  - content: |\n      ${KEY.replace(/\n/g, "\n      ")}\n${extra}\n`).toString("base64");
        const diff = diffPlans(doc([instance("i", { userDataBase64: userData("a") })]), doc([instance("i", { userDataBase64: userData("b") })]));
        const markdown = formatPlanDiff(diff, LABELS);
        expect(markdown).toContain("decoded from gzip+base64");
        expect(markdown).not.toMatch(/PRIVATE KEY|secretmaterial/);
    });
});

describe("markdown", () => {
    test("header, summary line and sections", () => {
        const base = doc([instance("etcd-etcd1"), res(PARAM, "gone", { name: "/g" })]);
        const head = doc([instance("etcd-etcd1", { ami: "ami-2" }), res(PARAM, "new", { name: "/n" })]);
        const markdown = formatPlanDiff(diffPlans(base, head), LABELS);
        expect(markdown.split("\n").slice(0, 5)).toEqual([
            "### Offline plan diff: stack `dev`",
            "",
            "Base `main` (abc1234) → head the working tree. Project `etcd-cluster`, region `eu-west-1`.",
            "",
            "**1 to add, 1 to remove, 1 to change (1 replaced), 0 unchanged.**",
        ]);
        expect(markdown).toContain("#### Added (1)\n\n- `aws:ssm/parameter:Parameter` `new` in `etcd`\n");
        expect(markdown).toContain("#### Removed (1)\n\n- `aws:ssm/parameter:Parameter` `gone` in `etcd`\n");
        expect(markdown).toContain("##### `aws:ec2/instance:Instance` `etcd-etcd1` in `etcd-etcd1` (replaced)\n\n> Replaced: `ami`");
        expect(markdown).toContain("- `ami`: `ami-1` → `ami-2`");
        expect(markdown).toMatch(/<sub>Offline plan: no cloud calls.*`pulumi preview` is authoritative\.<\/sub>\n$/);
    });

    test("long text such as user data is shown as a unified diff of its lines", () => {
        const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
        const changed = [...lines];
        changed[14] = "line 15 changed";
        const diff = diffPlans(doc([instance("i", { userData: lines.join("\n") })]), doc([instance("i", { userData: changed.join("\n") })]));
        const markdown = formatPlanDiff(diff, LABELS);
        expect(markdown).toContain(
            ["- `userData`: changed (1 line added, 1 removed)", "", "  ```diff", "  @@ -12,7 +12,7 @@", "   line 12", "   line 13", "   line 14", "  -line 15", "  +line 15 changed", "   line 16", "   line 17", "   line 18", "  ```"].join("\n"),
        );
    });

    test("compressed user data is decoded before it is compared", () => {
        const zip = (text: string) => gzipSync(text).toString("base64");
        const diff = diffPlans(doc([instance("i", { userDataBase64: zip("#cloud-config\na: 1\n") })]), doc([instance("i", { userDataBase64: zip("#cloud-config\na: 2\n") })]));
        expect(formatPlanDiff(diff, LABELS)).toContain("```diff\n  @@ -1,2 +1,2 @@\n   #cloud-config\n  -a: 1\n  +a: 2\n  ```");
    });

    test("one-line JSON documents (policies) are pretty-printed before they are compared", () => {
        const policy = (action: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [action], Resource: "arn:aws:s3:::etcd-backups-mock/etcd-cluster/dev/etcd/*" }] });
        const diff = diffPlans(doc([res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policy("s3:GetObject") })]), doc([res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policy("s3:PutObject") })]));
        const markdown = formatPlanDiff(diff, LABELS);
        expect(markdown).toContain('  -        "s3:GetObject"\n  +        "s3:PutObject"');
    });

    test("a long value that appears whole is summarized, not printed", () => {
        const script = Array.from({ length: 50 }, (_, i) => `echo ${i}`).join("\n");
        const diff = diffPlans(doc([instance("i")]), doc([instance("i", { userData: script })]));
        expect(formatPlanDiff(diff, LABELS)).toContain("- `userData`: added (50 lines, first `echo 0`)");
    });

    test("a very long unified diff is cut with a note", () => {
        const before = Array.from({ length: 400 }, (_, i) => `a${i}`).join("\n");
        const after = Array.from({ length: 400 }, (_, i) => `b${i}`).join("\n");
        const markdown = formatPlanDiff(diffPlans(doc([instance("i", { userData: before })]), doc([instance("i", { userData: after })])), LABELS);
        expect(markdown).toMatch(/\.\.\. 651 more diff lines \(run the plan diff locally to see all\)/);
        expect(markdown.length).toBeLessThan(5000);
    });

    test("values containing backticks stay inline code", () => {
        const markdown = formatPlanDiff(diffPlans(doc([res(PARAM, "k", { description: "run `x`" })]), doc([res(PARAM, "k", { description: "run `y`" })])), LABELS);
        expect(markdown).toContain("- `description`: `` run `x` `` → `` run `y` ``");
    });
});

describe("unifiedDiff", () => {
    test("an insertion at the top and a deletion at the bottom make two hunks", () => {
        const before = Array.from({ length: 20 }, (_, i) => `${i}`);
        const after = ["new", ...before.slice(0, 19)];
        const result = unifiedDiff(before, after);
        expect(result).toMatchObject({ added: 1, removed: 1 });
        expect(result.text).toMatch(/^@@ -1,3 \+1,4 @@\n\+new\n 0\n 1\n 2\n@@ -17,4 \+18,3 @@\n 16\n 17\n 18\n-19$/);
    });

    test("identical lists give no hunks", () => {
        expect(unifiedDiff(["a", "b"], ["a", "b"])).toEqual({ text: "", added: 0, removed: 0 });
    });

    test("changes close together share one hunk", () => {
        const before = Array.from({ length: 20 }, (_, i) => `${i}`);
        const after = [...before];
        after[5] = "five";
        after[9] = "nine";
        const text = unifiedDiff(before, after).text;
        expect(text.match(/^@@/gm)).toHaveLength(1);
        expect(text.split("\n")[0]).toBe("@@ -3,11 +3,11 @@");
    });
});
