import { clientUrl, initialClusterOf, metricsUrl } from "../../config/contract";
import { etcdLine } from "../../config/etcdReleases";
import { MemberRenderInput } from "./types";

/** etcd also listens on 127.0.0.1, for the tools on the member's machine. */
export function clientListenUrls(ip: string): string[] {
    return [clientUrl(ip), clientUrl("127.0.0.1")];
}

export function metricsListenUrls(ip: string): string[] {
    return [metricsUrl(ip), metricsUrl("127.0.0.1")];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Checks what the renderers rely on: names safe in file names and etcd flags, IPv4 addresses, this
 * member listed once among the members. Throws with the offending value.
 */
export function checkRenderInput(input: MemberRenderInput): void {
    if (input.members.length === 0) throw new Error("members must list at least this member.");
    const names = new Set<string>();
    const ips = new Set<string>();
    for (const m of input.members) {
        if (!NAME.test(m.name)) {
            throw new Error(
                `member name ${JSON.stringify(m.name)} is not allowed: use lower-case letters, digits and '-' (it becomes part of file names and etcd flags).`,
            );
        }
        if (!IPV4.test(m.ip)) throw new Error(`member ${m.name} has ip ${JSON.stringify(m.ip)}, which is not an IPv4 address.`);
        if (names.has(m.name)) throw new Error(`member name ${m.name} is listed twice in members.`);
        if (ips.has(m.ip)) throw new Error(`ip ${m.ip} is listed twice in members.`);
        names.add(m.name);
        ips.add(m.ip);
    }
    const self = input.members.find((m) => m.name === input.member.name);
    if (!self || self.ip !== input.member.ip) {
        throw new Error(
            `member ${input.member.name} (${input.member.ip}) must appear in members with the same ip; members are ${initialClusterOf(input.members)}.`,
        );
    }
    etcdLine(input.etcdVersion);
}
