import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { REPO_ROOT } from "../helpers/repo";

// What each GitHub Actions workflow must do. Their syntax, expressions, action inputs, job graph and
// `run:` scripts are checked by actionlint in `npm run lint` (scripts/lint.sh).
const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");

const workflowFiles = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();

function workflow(file: string): any {
    return YAML.parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));
}

function steps(job: any): any[] {
    return job.steps ?? [];
}

function step(job: any, action: string): any {
    const found = steps(job).find((s) => typeof s.uses === "string" && s.uses.startsWith(`${action}@`));
    expect(found).toBeDefined();
    return found;
}

const STACKS = fs
    .readdirSync(REPO_ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => Boolean(s));

describe("the workflows", () => {
    test("every action is pinned to a major version or a commit", () => {
        for (const file of workflowFiles) {
            const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
            for (const [, uses] of text.matchAll(/uses:\s*(\S+)/g)) {
                expect(`${file}: ${uses}`).toMatch(/: (\.\/\.github\/workflows\/[\w.-]+\.yml|[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40}))$/);
            }
        }
    });

    test("CI runs .ci/run (fresh install, the sandbox, lint, typecheck, npm test) on pushes and pull requests, and can be called by the deployment", () => {
        const ci = workflow("ci.yml");
        expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push", "workflow_call"]);
        const runs = steps(ci.jobs.test).map((s) => s.run).filter(Boolean);
        expect(runs).toEqual(["sudo --preserve-env=PATH bash .ci/run"]);
        expect(ci.jobs.test["timeout-minutes"]).toBe(90);
        const script = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
        for (const command of ["npm ci", "sandbox -- up", "npm run lint", "npm run typecheck", "npm test"]) expect(script).toContain(command);
        expect(step(ci.jobs.test, "actions/setup-node").with["node-version"]).toBe(20);
    });

    test("preview: pulumi preview of every stack on a pull request, diff as a PR comment, outputs suppressed, superseded runs cancelled", () => {
        const preview = workflow("preview.yml");
        expect(Object.keys(preview.on)).toEqual(["pull_request"]);
        expect(preview.concurrency).toEqual({ group: "preview-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
        const job = preview.jobs.preview;
        expect(job.strategy.matrix.stack).toEqual(["dev", "staging", "prod"]);
        expect([...job.strategy.matrix.stack].sort()).toEqual([...STACKS].sort());
        expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
        // forks get no secrets: their pull requests rely on the offline plan diff
        expect(job.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
        const pulumi = step(job, "pulumi/actions");
        expect(pulumi.with).toMatchObject({ command: "preview", "comment-on-pr": true, diff: true, "suppress-outputs": true });
        expect(pulumi.env).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
        const aws = step(job, "aws-actions/configure-aws-credentials");
        expect(aws.with["role-to-assume"]).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
        expect(Object.keys(aws.with)).not.toContain("aws-access-key-id");
    });

    test("deploy: on main and weekly, pulumi up on dev, then staging, then prod, each behind its GitHub environment, never cancelled", () => {
        const deploy = workflow("deploy.yml");
        expect(deploy.on.push).toEqual({ branches: ["main"] });
        // Weekly too: certificates inside the renewal window (30 days by default) renew without anyone remembering.
        expect(deploy.on.schedule).toEqual([{ cron: "17 6 * * 1" }]);
        expect(deploy.concurrency).toEqual({ group: "deploy", "cancel-in-progress": false });
        expect(deploy.jobs.test).toEqual({ uses: "./.github/workflows/ci.yml" });
        const order = [
            ["dev", "test"],
            ["staging", "dev"],
            ["prod", "staging"],
        ];
        expect(Object.keys(deploy.jobs)).toEqual(["test", "dev", "staging", "prod"]);
        for (const [stack, previous] of order) {
            const job = deploy.jobs[stack];
            expect(job.needs).toBe(previous);
            expect(job.environment).toBe(stack);
            expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
            const pulumi = step(job, "pulumi/actions");
            expect(pulumi.with).toMatchObject({ command: "up", "suppress-outputs": true });
            expect(pulumi.with["stack-name"]).toContain(`'${stack}'`);
            expect(step(job, "aws-actions/configure-aws-credentials").with["role-to-assume"]).toBe("${{ vars.AWS_ROLE_ARN }}");
        }
    });

    test("plan diff: runs the offline diff of every stack on pull_request with a read-only token and no secrets", () => {
        const text = fs.readFileSync(path.join(WORKFLOWS, "plan-diff.yml"), "utf8");
        const planDiff = workflow("plan-diff.yml");
        expect(Object.keys(planDiff.on)).toEqual(["pull_request"]);
        expect(planDiff.permissions).toEqual({ contents: "read" });
        expect(planDiff.concurrency["cancel-in-progress"]).toBe(true);
        expect(text).not.toMatch(/secrets\./);
        const job = planDiff.jobs["plan-diff"];
        expect(step(job, "actions/checkout").with["fetch-depth"]).toBe(0);
        const script = steps(job).find((s) => s.name === "Plan diff of every stack");
        expect(script.run).toContain("for stack in dev staging prod; do");
        expect(script.run).toContain('npm run --silent plan -- --stack "$stack" --diff "$BASE_SHA"');
        expect(script.env.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
        expect(step(job, "actions/upload-artifact").with.name).toBe("plan-diff");
    });

    test("plan diff comment: posts the artifact from the base repository's context without running the pull request's code", () => {
        const comment = workflow("plan-diff-comment.yml");
        expect(comment.on.workflow_run).toEqual({ workflows: [workflow("plan-diff.yml").name], types: ["completed"] });
        const job = comment.jobs.comment;
        expect(job.permissions).toEqual({ actions: "read", "pull-requests": "write" });
        expect(steps(job).map((s) => s.uses)).toEqual(["actions/download-artifact@v8", "actions/github-script@v8"]);
        const script = step(job, "actions/github-script").with.script;
        expect(script).toContain("pr.head.sha !== process.env.HEAD_SHA");
        expect(script).toContain("<!-- etcd-cluster:offline-plan-diff -->");
    });
});
