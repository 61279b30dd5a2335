import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ssmParameters } from "../config/contract";
import { INSTANCE_TAGS, memberFromTags, RunningCluster, RunningMember } from "../config/runningCluster";

/** The tag every resource of one cluster carries: `<project>/<stack>/<name>`. */
export const CLUSTER_TAG = "etcd:cluster";

/** Instances in these states still hold a member (a stopped one comes back with its data). */
const LIVE_STATES = ["pending", "running", "stopping", "stopped"];

/**
 * Reads what runs now from AWS, read-only, in preview as in update: the cluster's network
 * interfaces (they outlive instances, so a member between two instances is still seen), its
 * instances' tags, and the formed record. Nothing of this cluster exists on the first deployment,
 * and every read then answers empty.
 */
export function readRunningCluster(clusterTag: string, parameterPrefix: string, opts: pulumi.InvokeOptions): pulumi.Output<RunningCluster> {
    const interfaces = aws.ec2
        .getNetworkInterfacesOutput({ filters: [{ name: `tag:${CLUSTER_TAG}`, values: [clusterTag] }] }, opts)
        .ids.apply((ids) => pulumi.all((ids ?? []).map((id) => aws.ec2.getNetworkInterfaceOutput({ id }, opts))));
    const instances = aws.ec2
        .getInstancesOutput({ instanceTags: { [CLUSTER_TAG]: clusterTag }, instanceStateNames: LIVE_STATES }, opts)
        .ids.apply((ids) => pulumi.all((ids ?? []).map((instanceId) => aws.ec2.getInstanceOutput({ instanceId }, opts))));
    const records = aws.ssm.getParametersByPathOutput({ path: ssmParameters.clusterDir(parameterPrefix) }, opts);
    // The record's value is the token, no secret; unsecret keeps the placement readable in diffs.
    return pulumi.all([interfaces, instances, records.names, pulumi.unsecret(records.values)]).apply(([enis, vms, names, values]) => {
        const tagsOf = new Map<string, Record<string, string>>();
        for (const vm of vms) {
            const member = vm.tags?.[INSTANCE_TAGS.member];
            if (member) tagsOf.set(member, vm.tags);
        }
        const members: RunningMember[] = enis
            .filter((eni) => eni.tags?.[INSTANCE_TAGS.member])
            .map((eni) => memberFromTags(eni.tags[INSTANCE_TAGS.member], eni.subnetId, eni.privateIp, tagsOf.get(eni.tags[INSTANCE_TAGS.member]) ?? {}));
        const formedAt = (names ?? []).indexOf(ssmParameters.clusterFormed(parameterPrefix));
        return { members, formedToken: formedAt >= 0 ? values[formedAt] : undefined };
    });
}
