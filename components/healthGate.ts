import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { HealthGateMode } from "../config/settings";
import { clientUrl } from "../config/contract";
import { NODE_LIBRARY, nodeScriptsDir, readNodeScript } from "./render/nodeScripts";
import { DEFAULT_NODE_PATHS } from "./render/paths";

/** Where the member's own health check is installed on the node (node/etcd-health.sh, without .sh). */
export const NODE_HEALTH_COMMAND = `${DEFAULT_NODE_PATHS.sbinDir}/etcd-health`;
/** How a member leaves the cluster, on the node (node/etcd-handover.sh --leave). */
export const NODE_LEAVE_COMMAND = `${DEFAULT_NODE_PATHS.sbinDir}/etcd-handover --leave`;

/** The node's health check as the gate runs it: the members that must be started voters named. */
export function gateHealthCommand(requiredMembers: string[]): string {
    return `REQUIRED_MEMBERS=${requiredMembers.join(",")} ${NODE_HEALTH_COMMAND}`;
}

/** The gate's script and the node's health check and leave, read on first use (importing the module reads nothing). */
const scripts = (() => {
    let loaded: { gate: string; nodeHealth: string; nodeHandover: string; nodeLibrary: string } | undefined;
    return () =>
        (loaded ??= {
            // scripts/ sits beside node/ at the package root, in the source tree as in the package.
            gate: fs.readFileSync(path.join(nodeScriptsDir(), "..", "scripts", "health-gate.sh"), "utf8"),
            nodeHealth: readNodeScript("etcd-health"),
            nodeHandover: readNodeScript("etcd-handover"),
            nodeLibrary: readNodeScript(NODE_LIBRARY),
        });
})();

export interface HealthGateArgs {
    mode: Exclude<HealthGateMode, "off">;
    memberName: string;
    /**
     * The members that must be started voters for the gate to pass: this one and every one before
     * it. Fixed per member, so the gate accepts the member counts in between while members are
     * added (a new member's gate waits for its promotion) or removed (the leaving ones still count).
     */
    requiredMembers: string[];
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
 * The gate's variable that says whether its creation waits. The script reads it only when the gate is
 * created, and the cluster's first deployment sets it to skip on every gate but the last, so it is
 * ignored on update. Otherwise the next `pulumi up` after the cluster formed would turn it to wait:
 * it would update those gates (and run their checks) with nothing changed, and every offline plan
 * diff would show it.
 */
const WAIT_ON_CREATE_VARIABLE = "GATE_ON_CREATE";

/**
 * A health gate after one member: waits until every member is healthy and there is exactly one
 * leader, or fails the update with the reason. The next member depends on this gate, so a change
 * that touches every member proceeds one member at a time.
 */
export function healthGate(name: string, args: HealthGateArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    const common = {
        GATE_MODE: args.mode,
        GATE_MEMBER: args.memberName,
        [WAIT_ON_CREATE_VARIABLE]: pulumi.output(args.waitOnCreate).apply((wait) => (wait ? "wait" : "skip")),
        GATE_TIMEOUT_SECONDS: String(args.timeoutSeconds),
        GATE_FINGERPRINT: args.fingerprint,
        GATE_REQUIRED_MEMBERS: args.requiredMembers.join(","),
    };
    const environment: Record<string, pulumi.Input<string>> =
        args.mode === "ssm"
            ? { ...common, ...ssmTarget(args), GATE_NODE_HEALTH_COMMAND: JSON.stringify([gateHealthCommand(args.requiredMembers)]) }
            : { ...common, ...directTarget(args), GATE_HEALTH_SCRIPT: scripts().nodeHealth };
    return new command.local.Command(
        name,
        {
            // The script travels as text (not a path), so the gate does not change between machines.
            interpreter: ["/bin/bash", "-c", scripts().gate, "etcd-health-gate"],
            create: "create",
            update: "update",
            environment,
        },
        { ...opts, ignoreChanges: [...(opts.ignoreChanges ?? []), `environment.${WAIT_ON_CREATE_VARIABLE}`] },
    );
}

export type MemberLeaveArgs = Pick<HealthGateArgs, "mode" | "memberName" | "region" | "instanceId" | "memberIps" | "caCertPem" | "adminCertPem" | "adminKeyPem">;

/**
 * A member's leaving: a resource that does nothing while the member is in the program, and whose
 * delete runs `etcd-handover --leave` (member remove, after a leadership handover) before the member's
 * instance is deleted: it depends on the instance, so Pulumi deletes it first. Updates do nothing
 * (an input change never replaces it, which would remove a running member), and each member's
 * leave depends on the one before, so members leave one at a time, the last first.
 */
export function memberLeave(name: string, args: MemberLeaveArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    const common = { GATE_MODE: args.mode, GATE_MEMBER: args.memberName };
    const environment: Record<string, pulumi.Input<string>> =
        args.mode === "ssm"
            ? { ...common, ...ssmTarget(args), GATE_NODE_LEAVE_COMMAND: JSON.stringify([NODE_LEAVE_COMMAND]) }
            : { ...common, ...directTarget(args), GATE_LEAVE_SCRIPT: scripts().nodeHandover };
    return new command.local.Command(
        name,
        {
            interpreter: ["/bin/bash", "-c", scripts().gate, "etcd-member-leave"],
            create: "joined",
            update: "joined",
            delete: "leave",
            environment,
        },
        opts,
    );
}

/** ssm mode: the node command runs on the member's instance through SSM Run Command. */
function ssmTarget(args: Pick<HealthGateArgs, "region" | "instanceId">): Record<string, pulumi.Input<string>> {
    return { GATE_REGION: args.region, GATE_INSTANCE_ID: args.instanceId };
}

/** direct mode: the node script runs here with etcdctl and the admin certificate. */
function directTarget(args: Pick<HealthGateArgs, "memberIps" | "caCertPem" | "adminCertPem" | "adminKeyPem">): Record<string, pulumi.Input<string>> {
    return {
        ETCDCTL_ENDPOINTS: pulumi.all(args.memberIps).apply((ips) => ips.map(clientUrl).join(",")),
        GATE_CA_PEM: args.caCertPem,
        GATE_CERT_PEM: args.adminCertPem,
        GATE_KEY_PEM: pulumi.secret(args.adminKeyPem),
        // What the node's scripts source (node/etcd-node-common.sh): written next to them.
        GATE_NODE_LIBRARY: scripts().nodeLibrary,
    };
}
