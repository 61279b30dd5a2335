import { INSTANCE_TAGS, memberFromTags, RunningCluster, RunningMember } from "../config/runningCluster";

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
            return memberFromTags(name, String(eni.inputs.subnetId), ips[name], instances.get(name) ?? {});
        });
    return formedToken === undefined ? { members } : { members, formedToken };
}
