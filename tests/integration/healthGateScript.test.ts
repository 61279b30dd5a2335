import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../helpers/repo";

// scripts/health-gate.sh in SSM mode, with an `aws` CLI stand-in first on PATH: nothing here can
// reach AWS, so the stand-in answers send-command / get-command-invocation from a script of
// statuses, and records every call. (The direct mode runs against real etcd in the sandbox tests.)
const GATE = path.join(REPO_ROOT, "scripts", "health-gate.sh");

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-test-"));
    fs.writeFileSync(
        path.join(dir, "aws"),
        `#!/usr/bin/env bash
echo "$*" >> "${dir}/calls.log"
case "$2" in
  send-command) echo "cmd-$(wc -l < "${dir}/calls.log")" ;;
  get-command-invocation)
    n=$(grep -c get-command-invocation "${dir}/calls.log")
    if [[ "$*" == *StandardOutputContent* ]]; then echo "reason from node: $(sed -n "\${n}p" "${dir}/outputs" 2>/dev/null)"; exit 0; fi
    status=$(sed -n "\${n}p" "${dir}/statuses"); echo "\${status:-$(tail -n 1 "${dir}/statuses")}" ;;
esac
`,
        { mode: 0o755 },
    );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function gate(phase: string, statuses: string[], env: Record<string, string> = {}) {
    fs.writeFileSync(path.join(dir, "statuses"), statuses.join("\n") + "\n");
    const run = spawnSync("bash", [GATE, phase], {
        encoding: "utf8",
        timeout: 60000,
        env: {
            PATH: `${dir}:${process.env.PATH}`,
            GATE_MODE: "ssm",
            GATE_MEMBER: "etcd2",
            GATE_REGION: "eu-west-1",
            GATE_INSTANCE_ID: "i-0123456789abcdef0",
            GATE_NODE_HEALTH_COMMAND: '["/usr/local/sbin/etcd-health"]',
            GATE_TIMEOUT_SECONDS: "6",
            GATE_POLL_SECONDS: "1",
            GATE_SSM_POLL_SECONDS: "0.1",
            ...env,
        },
    });
    const calls = fs.existsSync(path.join(dir, "calls.log")) ? fs.readFileSync(path.join(dir, "calls.log"), "utf8").trim().split("\n") : [];
    return { code: run.status, stdout: run.stdout, stderr: run.stderr, calls };
}

test("passes when the node's health check succeeds, running it through SSM Run Command on the member", () => {
    const { code, stdout, calls } = gate("update", ["Success"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^health gate for etcd2 passed \(attempt 1\)/);
    expect(calls[0]).toBe(
        'ssm send-command --region eu-west-1 --instance-ids i-0123456789abcdef0 --document-name AWS-RunShellScript --comment etcd health gate for etcd2 --parameters commands=["/usr/local/sbin/etcd-health"] --query Command.CommandId --output text',
    );
});

test("keeps polling while the command runs and retries a failed check until it passes", () => {
    const { code, stdout } = gate("update", ["InProgress", "Failed", "Success"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/passed \(attempt 2\)/);
});

test("fails the update with the last reason when the cluster stays unhealthy", () => {
    const { code, stderr } = gate("update", ["Failed"], { GATE_TIMEOUT_SECONDS: "3" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^etcd health gate for etcd2 failed: the cluster was not healthy with one leader within 3s\. Last check: .*The update stopped here so no further member is touched/);
});

test("on creation of a member that is not the last, does not wait and calls nothing", () => {
    const { code, stdout, calls } = gate("create", ["Failed"], { GATE_ON_CREATE: "skip" });
    expect(code).toBe(0);
    expect(stdout).toMatch(/new cluster still forming/);
    expect(calls).toEqual([]);
});

test("the last member's gate waits on creation too", () => {
    const { code, calls } = gate("create", ["Success"], { GATE_ON_CREATE: "wait" });
    expect(code).toBe(0);
    expect(calls.length).toBeGreaterThan(0);
});

test("refuses an unknown mode", () => {
    const { code, stderr } = gate("update", ["Success"], { GATE_MODE: "telnet" });
    expect(code).toBe(2);
    expect(stderr).toMatch(/GATE_MODE must be ssm or direct, got telnet/);
});

describe("a member's leave command (memberLeave): the same script with the phases joined and leave", () => {
    const leaveEnv = { GATE_NODE_HEALTH_COMMAND: "", GATE_NODE_LEAVE_COMMAND: '["/usr/local/sbin/etcd-handover --leave"]' };

    test("joined (create and update) does nothing and calls nothing", () => {
        const { code, stdout, calls } = gate("joined", ["Failed"], leaveEnv);
        expect(code).toBe(0);
        expect(stdout).toMatch(/etcd2 joined; etcd-handover --leave runs when it leaves the program/);
        expect(calls).toEqual([]);
    });

    test("leave (delete) runs the node's leave once through SSM on the leaving member", () => {
        const { code, stdout, calls } = gate("leave", ["Success"], leaveEnv);
        expect(code).toBe(0);
        expect(stdout).toMatch(/^etcd2 left the cluster: /);
        expect(calls[0]).toContain('--instance-ids i-0123456789abcdef0 --document-name AWS-RunShellScript --comment etcd health gate for etcd2 --parameters commands=["/usr/local/sbin/etcd-handover --leave"]');
        expect(calls.filter((c) => c.includes("send-command"))).toHaveLength(1);
    });

    test("a leave that fails stops the update before the instance goes, and is not retried", () => {
        const { code, stderr, calls } = gate("leave", ["Failed"], leaveEnv);
        expect(code).toBe(1);
        expect(stderr).toMatch(/^etcd2 could not leave the cluster, so its instance was not deleted: .*Re-run pulumi up once the other members are healthy/);
        expect(calls.filter((c) => c.includes("send-command"))).toHaveLength(1);
    });

    test("ETCD_SKIP_LEAVE=1 (a pulumi destroy of a broken cluster) deletes without leaving and calls nothing", () => {
        const { code, stdout, calls } = gate("leave", ["Failed"], { ...leaveEnv, ETCD_SKIP_LEAVE: "1" });
        expect(code).toBe(0);
        expect(stdout).toContain("etcd2: ETCD_SKIP_LEAVE=1, so it is deleted without leaving the cluster");
        expect(calls).toEqual([]);
    });
});
