import { INSTANCE_TAGS, RunningCluster, RunningMember } from "../config/runningCluster";

/** A planned resource as the offline plan records or prints it. */
interface PlannedResource {
    type: string;
    inputs: Record<string, unknown>;
}

/**
 * What AWS would answer about a cluster deployed from this plan: each member's interface subnet and
 * its instance's tags, and its address when the plan's outputs give it (`ips`: member -> IP). The
 * offline diff plans the head against its base this way, and the sandbox plans a change against the
 * plan it runs.
 */
export function runningFromPlan(resources: PlannedResource[], formedToken?: string, ips: Record<string, string> = {}): RunningCluster {
    const tagsOf = (r: PlannedResource) => (r.inputs.tags ?? {}) as Record<string, string>;
    const instances = new Map(resources.filter((r) => r.type === "aws:ec2/instance:Instance").map((r) => [tagsOf(r)[INSTANCE_TAGS.member], tagsOf(r)]));
    const members = resources
        .filter((r) => r.type === "aws:ec2/networkInterface:NetworkInterface" && tagsOf(r)[INSTANCE_TAGS.member])
        .map((eni): RunningMember => {
            const name = tagsOf(eni)[INSTANCE_TAGS.member];
            const tags = instances.get(name) ?? {};
            const arch = tags[INSTANCE_TAGS.arch];
            return {
                name,
                subnetId: String(eni.inputs.subnetId),
                ...(ips[name] ? { ip: ips[name] } : {}),
                ...(tags[INSTANCE_TAGS.version] ? { etcdVersion: tags[INSTANCE_TAGS.version] } : {}),
                ...(arch === "arm64" || arch === "amd64" ? { arch } : {}),
            };
        });
    return formedToken === undefined ? { members } : { members, formedToken };
}
