import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { HealthGateMode } from "../config/settings";
import { clientUrl } from "../config/contract";
import { DEFAULT_NODE_PATHS } from "./render/paths";

/** Where the member's own health check is installed on the node (node/etcd-health.sh, without .sh). */
export const NODE_HEALTH_COMMAND = `${DEFAULT_NODE_PATHS.sbinDir}/etcd-health`;

/** A file of the package root: the parent of components/ in the source tree, of dist/ when built. */
function packageFile(...parts: string[]): string {
    for (const root of [path.resolve(__dirname, ".."), path.resolve(__dirname, "..", "..")]) {
        const file = path.join(root, ...parts);
        if (fs.existsSync(file)) {
            return file;
        }
    }
    throw new Error(`${parts.join("/")} not found above ${__dirname}: the package is incomplete.`);
}

/** The gate's script and the node's health check, read on first use (importing the module reads nothing). */
const scripts = (() => {
    let loaded: { gate: string; nodeHealth: string } | undefined;
    return () => (loaded ??= { gate: fs.readFileSync(packageFile("scripts", "health-gate.sh"), "utf8"), nodeHealth: fs.readFileSync(packageFile("node", "etcd-health.sh"), "utf8") });
})();

export interface HealthGateArgs {
    mode: Exclude<HealthGateMode, "off">;
    memberName: string;
    /**
     * Whether a newly created gate waits. On the cluster's first deployment only the last member's
     * does (the others cannot be healthy yet); once the cluster has formed, every one does.
     */
    waitOnCreate: pulumi.Input<boolean>;
    timeoutSeconds: number;
    region: pulumi.Input<string>;
    instanceId: pulumi.Input<string>;
    /**
     * What identifies the member's running shape (instance id, type, AMI, user data). A change
     * updates the gate, and an update runs the check: that is what makes rolling one at a time.
     */
    fingerprint: pulumi.Input<string>;
    memberIps: pulumi.Input<string>[];
    caCertPem: pulumi.Input<string>;
    adminCertPem: pulumi.Input<string>;
    adminKeyPem: pulumi.Input<string>;
}

/**
 * A health gate after one member: waits until every member is healthy and there is exactly one
 * leader, or fails the update with the reason. The next member depends on this gate, so a change
 * that touches every member proceeds one member at a time.
 */
export function healthGate(name: string, args: HealthGateArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    const common = {
        GATE_MODE: args.mode,
        GATE_MEMBER: args.memberName,
        GATE_ON_CREATE: pulumi.output(args.waitOnCreate).apply((wait) => (wait ? "wait" : "skip")),
        GATE_TIMEOUT_SECONDS: String(args.timeoutSeconds),
        GATE_FINGERPRINT: args.fingerprint,
    };
    const environment: Record<string, pulumi.Input<string>> =
        args.mode === "ssm"
            ? {
                  ...common,
                  GATE_REGION: args.region,
                  GATE_INSTANCE_ID: args.instanceId,
                  GATE_NODE_HEALTH_COMMAND: JSON.stringify([NODE_HEALTH_COMMAND]),
              }
            : {
                  ...common,
                  GATE_HEALTH_SCRIPT: scripts().nodeHealth,
                  ETCDCTL_ENDPOINTS: pulumi.all(args.memberIps).apply((ips) => ips.map(clientUrl).join(",")),
                  GATE_EXPECTED_MEMBERS: String(args.memberIps.length),
                  GATE_CA_PEM: args.caCertPem,
                  GATE_CERT_PEM: args.adminCertPem,
                  GATE_KEY_PEM: pulumi.secret(args.adminKeyPem),
              };
    return new command.local.Command(
        name,
        {
            // The script travels as text (not a path), so the gate does not change between machines.
            interpreter: ["/bin/bash", "-c", scripts().gate, "etcd-health-gate"],
            create: "create",
            update: "update",
            environment,
        },
        opts,
    );
}
