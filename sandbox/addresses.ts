import { createHash } from "crypto";
import { SANDBOX_ROOT } from "./root";

/**
 * Where the sandbox's members live on the network.
 *
 * - `netns` (root, `ip netns` works): each member has its own network namespace holding the very
 *   address the plan gave its network interface; a hub namespace with a bridge joins them, and
 *   clients (etcdctl, the tests) run in the hub. Nothing is added to the host's own network.
 * - `loopback` (otherwise): every member gets its own 127.x address on the host's lo (Linux routes
 *   all of 127.0.0.0/8 there), written into the plan instead of the interface's private IP.
 */
export type NetworkMode = "netns" | "loopback";

/** Addresses of the hub namespace: a link-local address no member plan uses. */
export const HUB_ADDRESS = "169.254.77.1";

/**
 * The loopback block of a stack in this checkout: 127.0.<block>.11, .12, ... so two stacks (or two
 * clones) rarely share one.
 */
export function loopbackBlock(stack: string, checkout = ""): number {
    return 1 + (parseInt(createHash("sha256").update(`${checkout}/${stack}`).digest("hex").slice(0, 4), 16) % 250);
}

/**
 * A state hook for the NetworkInterface resources: in loopback mode each member's interface gets
 * 127.0.<block>.<11 + i> in member order; in netns mode the plan's own address is kept.
 */
export function addressHook(mode: NetworkMode, stack: string): (type: string, name: string, inputs: Record<string, any>) => Record<string, unknown> | undefined {
    const assigned = new Map<string, string>();
    const block = loopbackBlock(stack, SANDBOX_ROOT);
    return (type, name, inputs) => {
        if (type !== "aws:ec2/networkInterface:NetworkInterface" || mode !== "loopback") return undefined;
        const member = String(inputs.tags?.["etcd:member"] ?? name);
        if (!assigned.has(member)) assigned.set(member, `127.0.${block}.${11 + assigned.size}`);
        return { privateIp: assigned.get(member) };
    };
}
