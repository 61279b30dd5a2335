import { execFileSync, spawnSync } from "child_process";
import { createHash } from "crypto";
import { HUB_ADDRESS } from "./addresses";
import { SANDBOX_ROOT } from "./root";

/**
 * Network namespaces of a sandbox: a hub namespace with a bridge, and one namespace per member
 * joined to the bridge by a veth pair. A member's namespace holds only its own address (the one the
 * plan gave its network interface) and host routes to its peers and the hub, so it talks from that
 * address exactly as on AWS. Cutting a member off is taking its link down.
 */

function ip(args: string[], allowFailure = false): string {
    const result = spawnSync("ip", args, { encoding: "utf8", timeout: 20_000 });
    if (result.status !== 0 && !allowFailure) {
        throw new Error(`ip ${args.join(" ")} failed: ${(result.stderr || result.error?.message || "").trim()}`);
    }
    return result.stdout ?? "";
}

/**
 * The sandbox's machines need root: systemd-nspawn, loop devices and network namespaces. Refuses in
 * one line, naming the fix, where they cannot be made.
 */
export function requireNamespaces(): void {
    const refusal = "the sandbox's machines need root and network namespaces (systemd-nspawn, loop devices and ip netns); run the sandbox as root";
    if (process.getuid?.() !== 0) throw new Error(refusal);
    const probe = `etcdsbx-probe-${process.pid}`;
    try {
        ip(["netns", "add", probe]);
        ip(["netns", "del", probe]);
    } catch (error) {
        ip(["netns", "del", probe], true);
        throw new Error(`${refusal}: ${error instanceof Error ? error.message : String(error)}`);
    }
}

/**
 * Namespace names are global on the host: they carry a tag of this checkout, so two clones running
 * sandboxes of the same stack (a developer's and CI's) never touch each other's.
 */
export const CHECKOUT_TAG = createHash("sha256").update(SANDBOX_ROOT).digest("hex").slice(0, 6);
export const hubNamespace = (stack: string) => `etcdsbx-${CHECKOUT_TAG}-${stack}`;
export const memberNamespace = (stack: string, member: string) => `${hubNamespace(stack)}-${member}`;

/** The hub-side veth of a member: interface names are per namespace, at most 15 characters. */
const hubLink = (member: string) => member.slice(0, 15);

export function namespaceExists(name: string): boolean {
    return ip(["netns", "list"]).split("\n").some((line) => line.split(" ")[0] === name);
}

type MemberLink = { name: string; ip: string; namespace: string };

/** Creates the hub, the bridge, and each member's namespace, link and routes. */
export function createNetwork(hub: string, members: MemberLink[]): void {
    ip(["netns", "add", hub]);
    ip(["-n", hub, "link", "set", "lo", "up"]);
    ip(["-n", hub, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", hub, "link", "set", "br0", "up"]);
    ip(["-n", hub, "addr", "add", `${HUB_ADDRESS}/32`, "dev", "br0"]);
    members.forEach((m, i) => addMemberNetwork(hub, m, members.slice(0, i)));
}

/**
 * A member's namespace, its link to the hub's bridge, and the routes between it and each of
 * `peers` (both ways): a member added to a running sandbox, as a new network interface is.
 */
export function addMemberNetwork(hub: string, m: MemberLink, peers: MemberLink[]): void {
    ip(["netns", "add", m.namespace]);
    ip(["-n", m.namespace, "link", "set", "lo", "up"]);
    ip(["-n", hub, "link", "add", hubLink(m.name), "type", "veth", "peer", "name", "eth0", "netns", m.namespace]);
    ip(["-n", hub, "link", "set", hubLink(m.name), "master", "br0"]);
    ip(["-n", hub, "link", "set", hubLink(m.name), "up"]);
    ip(["-n", m.namespace, "addr", "add", `${m.ip}/32`, "dev", "eth0"]);
    ip(["-n", m.namespace, "link", "set", "eth0", "up"]);
    ip(["-n", m.namespace, "route", "add", `${HUB_ADDRESS}/32`, "dev", "eth0"]);
    ip(["-n", hub, "route", "add", `${m.ip}/32`, "dev", "br0", "src", HUB_ADDRESS]);
    for (const peer of peers) {
        ip(["-n", m.namespace, "route", "add", `${peer.ip}/32`, "dev", "eth0"]);
        ip(["-n", peer.namespace, "route", "add", `${m.ip}/32`, "dev", "eth0"]);
    }
}

/** Undoes addMemberNetwork: the peers' routes to it, the hub's link and route, its namespace. */
export function removeMemberNetwork(hub: string, m: MemberLink, peers: MemberLink[]): void {
    for (const peer of peers) ip(["-n", peer.namespace, "route", "del", `${m.ip}/32`], true);
    ip(["-n", hub, "route", "del", `${m.ip}/32`], true);
    ip(["-n", hub, "link", "del", hubLink(m.name)], true);
    deleteNetwork([m.namespace]);
}

/** Kills whatever still runs in the namespaces and deletes them; missing ones are fine. */
export function deleteNetwork(namespaces: string[]): void {
    for (const ns of namespaces) {
        if (!namespaceExists(ns)) continue;
        for (const pid of ip(["netns", "pids", ns], true).split(/\s+/).filter(Boolean)) {
            try {
                process.kill(Number(pid), "SIGKILL");
            } catch {
                // already gone
            }
        }
        ip(["netns", "del", ns], true);
    }
}

/** Cuts a member off (its link to the bridge down) or reconnects it. */
export function setMemberLink(hub: string, member: string, up: boolean): void {
    ip(["-n", hub, "link", "set", hubLink(member), up ? "up" : "down"]);
}

/** argv prefix that runs a command in a namespace. */
export function inNamespace(namespace: string): string[] {
    return ["ip", "netns", "exec", namespace];
}

export function pidsIn(namespace: string): number[] {
    return execFileSync("ip", ["netns", "pids", namespace], { encoding: "utf8" }).split(/\s+/).filter(Boolean).map(Number);
}
