import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planCli } from "../helpers/planCli";
import { REPO_ROOT } from "../helpers/repo";

// `npm run plan -- --stack <env> --diff <git-ref>` as a user runs it: the base in a temporary git
// worktree, both plans as child processes, markdown on stdout, no credentials.
const plan = (...args: string[]) => planCli(args, 170_000);

function git(args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): string {
    return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", env, input }).trim();
}

/**
 * A commit that is HEAD with one file replaced, made with git plumbing (a private index, no branch,
 * no checkout), so the test changes nothing anybody else sees: an unreferenced object is all it leaves.
 */
function commitWithFile(file: string, content: string): string {
    const index = path.join(tmp, "index");
    const env = { ...process.env, GIT_INDEX_FILE: index, GIT_AUTHOR_NAME: "plan-diff test", GIT_AUTHOR_EMAIL: "test@example.invalid", GIT_COMMITTER_NAME: "plan-diff test", GIT_COMMITTER_EMAIL: "test@example.invalid" };
    git(["read-tree", "HEAD"], env);
    const blob = git(["hash-object", "-w", "--stdin"], env, content);
    git(["update-index", "--cacheinfo", `100644,${blob},${file}`], env);
    const tree = git(["write-tree"], env);
    return git(["commit-tree", tree, "-p", "HEAD", "-m", "plan-diff test base"], env);
}

/** Paths of the repository's worktrees (other people may commit meanwhile: heads are left out). */
function worktrees(): string {
    return git(["worktree", "list", "--porcelain"])
        .split("\n")
        .filter((line) => line.startsWith("worktree "))
        .join("\n");
}

let tmp: string;
let headStackFile: string;
beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-test-"));
    headStackFile = git(["show", "HEAD:Pulumi.dev.yaml"]);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("npm run plan -- --diff", () => {
    test("the head itself as the base: no changes, though the base is planned as first created and the head as formed (the gates ignore GATE_ON_CREATE)", () => {
        const { code, stdout, stderr } = plan("--stack", "dev", "--diff", "HEAD");
        expect(stderr).toBe("");
        expect(code).toBe(0);
        expect(stdout).toMatch(/\*\*No changes\.\*\* None of the \d+ resources is updated and the stack outputs are the same\. 2 of the unchanged differ only in inputs they ignore on update \(listed below\)\./);
        expect(stdout).toContain("#### Ignored on update (2), not updated");
        expect(stdout.match(/- `environment\.GATE_ON_CREATE`: `skip` → `wait`/g)).toHaveLength(2);
    });

    test("a base whose dev stack asked for 100 Kubernetes nodes: the diff shows the smaller instances and volumes of 20", () => {
        expect(headStackFile).toMatch(/kubernetesNodeCount: 20\b/);
        const base = commitWithFile("Pulumi.dev.yaml", headStackFile.replace(/kubernetesNodeCount: 20\b/, "kubernetesNodeCount: 100"));
        const before = worktrees();

        const { code, stdout, stderr } = plan("--stack", "dev", "--diff", base);

        expect(stderr).toBe("");
        expect(code).toBe(0);
        expect(stdout).toContain("### Offline plan diff: stack `dev`");
        expect(stdout).toContain(`Base \`${base}\` (${base.slice(0, 7)}) → head the working tree. Project \`etcd-cluster\`, region \`eu-west-1\`.`);
        for (const member of ["etcd1", "etcd2", "etcd3"]) {
            expect(stdout).toContain(`##### \`aws:ec2/instance:Instance\` \`etcd-${member}\` in \`etcd-${member}\``);
            expect(stdout).toContain(`##### \`aws:ebs/volume:Volume\` \`etcd-${member}-data\` in \`etcd-${member}\``);
        }
        expect(stdout).toContain("- `instanceType`: `m7g.xlarge` → `m7g.large`");
        expect(stdout).toContain("- `size`: `150` → `50`");
        expect(stdout).toContain("- `sizing.tier`: `medium` → `small`");
        expect(stdout).toContain("The instance is stopped and started to change its type");
        expect(stdout).not.toMatch(/PRIVATE KEY/);
        // the temporary worktree is gone
        expect(worktrees()).toBe(before);
        expect(worktrees()).not.toContain("plan-diff-");
    });

    test("--config-file is used for the base and the head alike, so only the code can differ", () => {
        // The base's own stack file asks for five members; the file given asks for three.
        const base = commitWithFile("Pulumi.dev.yaml", headStackFile.replace(/^config:\n/m, "config:\n  etcd-cluster:memberCount: 5\n"));
        const file = path.join(tmp, "Pulumi.review.yaml");
        fs.writeFileSync(file, headStackFile.replace(/kubernetesNodeCount: 20\b/, "kubernetesNodeCount: 300"));

        const { code, stdout, stderr } = plan("--stack", "dev", "--diff", base, "--config-file", file);

        expect(stderr).toBe("");
        expect(code).toBe(0);
        expect(stdout).toContain("### Offline plan diff: stack `dev`");
        // Neither five members (the base's own file) nor a change of tier (the file sets it on both sides).
        expect(stdout).not.toContain("etcd-etcd4");
        expect(stdout).not.toContain("sizing.tier");
        expect(stdout).not.toContain("instanceType");
    });

    test("--json with --diff prints the structured diff", () => {
        const base = commitWithFile("Pulumi.dev.yaml", headStackFile.replace(/kubernetesNodeCount: 20\b/, "kubernetesNodeCount: 100"));
        const { code, stdout } = plan("--stack", "dev", "--diff", base, "--json");
        expect(code).toBe(0);
        const diff = JSON.parse(stdout);
        expect(diff.base).toBe(base);
        expect(diff.stack).toBe("dev");
        const changedInstances = diff.changed.filter((r: any) => r.type === "aws:ec2/instance:Instance").map((r: any) => r.name);
        expect(changedInstances).toEqual(["etcd-etcd1", "etcd-etcd2", "etcd-etcd3"]);
        expect(diff.added).toEqual([]);
        expect(diff.removed).toEqual([]);
    });

    test("a key algorithm changed in place (the base runs RSA keys, the head asks for ECDSA) is refused: it would replace the CA and every key at once", () => {
        const base = commitWithFile("Pulumi.dev.yaml", headStackFile.replace(/^config:\n/m, "config:\n  etcd-cluster:keyAlgorithm: RSA\n"));
        const { code, stdout, stderr } = plan("--stack", "dev", "--diff", base);
        expect(code).toBe(1);
        expect(stdout).toBe("");
        expect(stderr).toContain("Invalid setting keyAlgorithm");
        expect(stderr).toContain("etcd1 already uses RSA keys for CA generation 1");
        expect(stderr).toContain("set it together with caRotation: trust-next");
    });

    test("a CA rotation step back (the base trusts the next CA, the head does not): the next CA goes, the CA parameter changes and every member rolls; no certificate is reissued", () => {
        const base = commitWithFile("Pulumi.dev.yaml", headStackFile.replace(/^config:\n/m, "config:\n  etcd-cluster:caRotation: trust-next\n"));
        const { code, stdout } = plan("--stack", "dev", "--diff", base, "--json");
        expect(code).toBe(0);
        const diff = JSON.parse(stdout);
        const names = (list: any[], type: string) => list.filter((r: any) => r.type === type).map((r: any) => r.name);
        expect(names(diff.removed, "tls:index/selfSignedCert:SelfSignedCert")).toEqual(["etcd-pki-ca-g2"]);
        expect(names(diff.removed, "tls:index/locallySignedCert:LocallySignedCert")).toEqual([]);
        expect(names(diff.changed, "tls:index/locallySignedCert:LocallySignedCert")).toEqual([]);
        expect(names(diff.changed, "aws:ssm/parameter:Parameter")).toContain("etcd-ca");
        expect(names(diff.changed, "aws:ec2/instance:Instance")).toEqual(["etcd-etcd1", "etcd-etcd2", "etcd-etcd3"]);
        expect(diff.added).toEqual([]);
    });

    test("the head is planned against the base as if it ran: a change the day-2 checks refuse fails the diff with the refusal", () => {
        // The base runs x86 members on the looked-up AMI; the head's default family is arm64.
        const base = commitWithFile("Pulumi.dev.yaml", headStackFile.replace(/^config:\n/m, "config:\n  etcd-cluster:instanceFamily: m7i\n"));
        const { code, stdout, stderr } = plan("--stack", "dev", "--diff", base);
        expect(code).toBe(1);
        expect(stdout).toBe("");
        expect(stderr).toContain("The plan for the working tree failed");
        expect(stderr).toContain("Invalid setting instanceFamily");
        expect(stderr).toContain("which a arm64 instance cannot boot");
        expect(worktrees()).not.toContain("plan-diff-");
    });

    test("memberCount 5 -> 3: the diff removes etcd4 and etcd5 (each with its leave command) and changes the roster; no staying member is touched", () => {
        const base = commitWithFile("Pulumi.dev.yaml", headStackFile.replace(/^config:\n/m, "config:\n  etcd-cluster:memberCount: 5\n"));
        const { code, stdout, stderr } = plan("--stack", "dev", "--diff", base, "--json");
        expect(stderr).toBe("");
        expect(code).toBe(0);
        const diff = JSON.parse(stdout);
        const names = (list: Array<{ name: string }>) => list.map((r) => r.name);
        expect(diff.added).toEqual([]);
        expect(names(diff.removed)).toEqual(expect.arrayContaining(["etcd-etcd4", "etcd-etcd5", "etcd-etcd4-leave", "etcd-etcd5-leave", "etcd-etcd4-data", "etcd-etcd5-data"]));
        expect(names(diff.removed).filter((n: string) => /etcd[123]\b/.test(n))).toEqual([]);
        // What stays changes no input and is replaced by nothing: the member list lives in the roster,
        // not in user data (the instances' recorded dependencies shrink, which Pulumi updates no resource for).
        // etcd3's gate is listed for its dependencies too; its GATE_ON_CREATE (skip in the five-member
        // base, wait in the head) is an input it ignores on update.
        type Changed = { name: string; type: string; inputs: Array<{ path: string }>; replaced: boolean; options: Array<{ path: string }> };
        const real = (diff.changed as Changed[]).filter(
            (r) => r.inputs.some((i) => i.path !== "environment.GATE_ON_CREATE") || r.replaced || r.options.some((o) => o.path !== "dependsOn"),
        );
        expect(real.map((r) => `${r.type} ${r.name}`)).toEqual([]);
        expect((diff.changed as Changed[]).map((r) => r.name)).toContain("etcd-roster");
    });

    test("subnetIds in another order than the base's: no member moves, no interface, certificate or instance changes", () => {
        const prod = git(["show", "HEAD:Pulumi.prod.yaml"]);
        const order = /(    - subnet-0a1b2c3d4e5f60001\n)(    - subnet-0a1b2c3d4e5f60002\n)(    - subnet-0a1b2c3d4e5f60003\n)/;
        expect(prod).toMatch(order);
        const base = commitWithFile("Pulumi.prod.yaml", prod.replace(order, "$3$1$2"));
        const { code, stdout, stderr } = plan("--stack", "prod", "--diff", base, "--json");
        expect(stderr).toBe("");
        expect(code).toBe(0);
        const diff = JSON.parse(stdout);
        const touched = [...diff.changed, ...diff.added, ...diff.removed].map((r: any) => r.type);
        for (const type of ["aws:ec2/networkInterface:NetworkInterface", "aws:ec2/instance:Instance", "aws:ebs/volume:Volume", "tls:index/certRequest:CertRequest", "aws:ssm/parameter:Parameter"]) {
            expect(touched).not.toContain(type);
        }
    });

    test("an unknown ref exits 1 with the reason and leaves no worktree", () => {
        const before = worktrees();
        const { code, stdout, stderr } = plan("--stack", "dev", "--diff", "no-such-branch-anywhere");
        expect(code).toBe(1);
        expect(stdout).toBe("");
        expect(stderr).toBe('error: Unknown git ref "no-such-branch-anywhere": give a branch, tag or commit of this repository (fetch it first if it is remote).\n');
        expect(worktrees()).toBe(before);
    });

    test("--out cannot be combined with --diff", () => {
        const { code, stderr } = plan("--stack", "dev", "--diff", "HEAD", "--out", path.join(tmp, "out"));
        expect(code).toBe(2);
        expect(stderr).toMatch(/^--out cannot be combined with --diff\nusage: npm run plan -- .*--diff GIT_REF/);
    });
});
