import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ToolError, toolPath } from "../../tools/toolchain";
import { REPO_ROOT } from "../helpers/repo";

// scripts/tools.sh, the one place that installs and builds the tools: its refusals say what is
// missing in one line, before anything is built, and its cache path works however it is given.

const TOOLS = path.join(REPO_ROOT, "scripts", "tools.sh");

function tools(args: string[], env: NodeJS.ProcessEnv = process.env, cwd = REPO_ROOT) {
    const r = spawnSync("bash", [TOOLS, ...args], { cwd, env, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split("\n").filter(Boolean) };
}

let empty: string;
beforeAll(() => {
    empty = fs.mkdtempSync(path.join(os.tmpdir(), "tools-test-"));
});
afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));

describe("scripts/tools.sh", () => {
    test("an unknown profile or tool is refused in one line naming the choices", () => {
        const profile = tools(["install", "desktop"]);
        expect(profile.code).toBe(1);
        expect(profile.lines).toEqual(["tools: unknown profile 'desktop': use sandbox, test, bench, lint or all"]);
        const tool = tools(["path", "kubectl"]);
        expect(tool.code).toBe(1);
        expect(tool.lines).toEqual(["tools: unknown tool 'kubectl': use etcd, s3, actionlint, benchmark, sdkgen or image"]);
    });

    test("--no-build refuses a tool that is not built, naming the command that builds it", () => {
        const r = tools(["path", "--no-build", "s3"], { ...process.env, PULUMI_ETCD_TOOLS_DIR: path.join(empty, "none") });
        expect(r.code).toBe(1);
        expect(r.lines).toEqual(["tools: s3 1.2.0 is not built yet: run 'bash scripts/tools.sh path s3 1.2.0' on the host"]);
        expect(fs.existsSync(path.join(empty, "none", "gofakes3"))).toBe(false);
    });

    test("without Go a build is refused in one line with the fix", () => {
        // A PATH with bash and the basics but no go, and no /usr/local/go fallback for this run.
        const script = path.join(empty, "tools-without-go.sh");
        fs.writeFileSync(script, fs.readFileSync(TOOLS, "utf8").replace('export PATH="$PATH:/usr/local/go/bin"', ""));
        const r = spawnSync("bash", [script, "path", "s3"], { env: { PATH: "/usr/bin:/bin", HOME: empty, PULUMI_ETCD_TOOLS_DIR: path.join(empty, "nogo") }, encoding: "utf8", timeout: 60_000 });
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^tools: building the S3 server \(gofakes3 v1\.2\.0\) needs Go >= 1\.25\.11, which is not installed: install Go >= 1\.25\.11/)]);
    });

    test("inside a network namespace with no route out a build is refused, not attempted", () => {
        const ns = `toolstest-${process.pid}`;
        expect(spawnSync("ip", ["netns", "add", ns]).status).toBe(0);
        try {
            const r = spawnSync("ip", ["netns", "exec", ns, "bash", TOOLS, "path", "s3"], { env: { ...process.env, PULUMI_ETCD_TOOLS_DIR: path.join(empty, "netns") }, encoding: "utf8", timeout: 60_000 });
            expect(r.status).toBe(1);
            expect(r.stderr.trim().split("\n")).toEqual([
                "tools: cannot build the S3 server (gofakes3 v1.2.0) here: this network namespace has no route to the Go module proxy; run 'bash scripts/tools.sh install sandbox' on the host first",
            ]);
        } finally {
            spawnSync("ip", ["netns", "del", ns]);
        }
    });

    test("a relative cache directory is resolved, so built tools land where the path says", () => {
        const built = toolPath("s3");
        const cacheRoot = path.dirname(path.dirname(path.dirname(built)));
        fs.symlinkSync(cacheRoot, path.join(empty, "cache"));
        const r = tools(["path", "--no-build", "s3"], { ...process.env, PULUMI_ETCD_TOOLS_DIR: "cache" }, empty);
        expect(r.code).toBe(0);
        expect(r.stdout.trim()).toBe(path.join(empty, "cache", "gofakes3", "1.2.0", "gofakes3"));
        expect(path.isAbsolute(r.stdout.trim())).toBe(true);
    });

    test("the TypeScript side raises the script's own refusal line as the error", () => {
        expect(() => toolPath("kubectl" as never)).toThrow(ToolError);
        expect(() => toolPath("kubectl" as never)).toThrow("unknown tool 'kubectl': use etcd, s3, actionlint, benchmark, sdkgen or image");
    });
});

describe("scripts/test-summary.js", () => {
    const summary = (reports: object[]) => {
        const files = reports.map((r, i) => {
            const f = path.join(empty, `report-${i}.json`);
            fs.writeFileSync(f, JSON.stringify(r));
            return f;
        });
        return spawnSync("node", [path.join(REPO_ROOT, "scripts", "test-summary.js"), ...files], { encoding: "utf8" });
    };
    const report = (passed: number, failed: number) => ({ numPassedTests: passed, numFailedTests: failed, numRuntimeErrorTestSuites: 0, numPendingTests: 0 });

    test("adds up the projects into the closing line CI reads", () => {
        const r = summary([report(3, 0), report(2, 1)]);
        expect(r.stdout).toBe("tests: 5 passed, 1 failed, 0 skipped\n");
        expect(r.status).toBe(0);
    });

    test("a run in which no test ran fails (a file filter that matched nothing is no pass)", () => {
        const r = summary([report(0, 0), report(0, 0)]);
        expect(r.stdout).toBe("tests: 0 passed, 0 failed, 0 skipped\n");
        expect(r.stderr).toContain("no test ran");
        expect(r.status).toBe(1);
    });
});
