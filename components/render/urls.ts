import { clientUrl, initialClusterOf, metricsUrl } from "../../config/contract";
import { MemberRenderInput } from "./types";

/** etcd also listens on 127.0.0.1, for the tools on the member's machine. */
export function clientListenUrls(ip: string): string[] {
    return [clientUrl(ip), clientUrl("127.0.0.1")];
}

export function metricsListenUrls(ip: string): string[] {
    return [metricsUrl(ip), metricsUrl("127.0.0.1")];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Checks what reaches the renderers from AWS at deploy time, which the model cannot have checked:
 * the members' addresses (their network interfaces'), each an IPv4 address listed once, and this
 * member among them. The settings (names, versions, checksums, prefixes) the model validated once.
 */
export function checkRenderInput(input: MemberRenderInput): void {
    if (input.members.length === 0) throw new Error("members must list at least this member.");
    const ips = new Set<string>();
    for (const m of input.members) {
        if (!IPV4.test(m.ip)) throw new Error(`member ${m.name} has ip ${JSON.stringify(m.ip)}, which is not an IPv4 address.`);
        if (ips.has(m.ip)) throw new Error(`ip ${m.ip} is listed twice in members.`);
        ips.add(m.ip);
    }
    const self = input.members.find((m) => m.name === input.member.name);
    if (!self || self.ip !== input.member.ip) {
        throw new Error(
            `member ${input.member.name} (${input.member.ip}) must appear in members with the same ip; members are ${initialClusterOf(input.members)}.`,
        );
    }
}
