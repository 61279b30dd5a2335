/**
 * The component planning a change to a running cluster: AWS's reads answer (through the mock
 * runtime) that three members run in subnets a, b and c, on 3.6.13 and arm64, and that the cluster
 * has formed. The settings list the subnets in another order and add one.
 */
import { defaultClusterToken } from "../../components/etcdCluster";
import { buildCluster, mockRuntime, RecordedResource, theResource as one } from "../helpers/mockCluster";

const SUBNET = { a: "subnet-0a1b2c3d4e5f60001", b: "subnet-0a1b2c3d4e5f60002", c: "subnet-0a1b2c3d4e5f60003", d: "subnet-0a1b2c3d4e5f60004" };
const NAME = "running";
let resources: RecordedResource[];

beforeAll(async () => {
    await mockRuntime({
        members: [
            { name: "etcd1", subnetId: SUBNET.a, etcdVersion: "3.6.13", arch: "arm64" },
            { name: "etcd2", subnetId: SUBNET.b, etcdVersion: "3.6.13", arch: "arm64" },
            { name: "etcd3", subnetId: SUBNET.c, etcdVersion: "3.6.13", arch: "arm64" },
        ],
        formedToken: defaultClusterToken("proj", "test", NAME),
    });
    ({ resources } = await buildCluster(NAME, {
        vpcId: "vpc-0a1b2c3d4e5f60718",
        subnetIds: [SUBNET.d, SUBNET.c, SUBNET.b, SUBNET.a],
        etcdVersion: "3.6.14",
        allowNoAlarmTopic: true,
    }));
});

test("reordered and extended subnetIds: every member keeps the subnet it runs in", () => {
    const subnets = [1, 2, 3].map((n) => one(resources, "aws:ec2/networkInterface:NetworkInterface", `${NAME}-etcd${n}`).inputs.subnetId);
    expect(subnets).toEqual([SUBNET.a, SUBNET.b, SUBNET.c]);
});

test("each data volume stays in its interface's zone", async () => {
    // The mock answers getSubnet with a zone derived from the subnet id, as AWS answers with the real one.
    const zones = [1, 2, 3].map((n) => one(resources, "aws:ebs/volume:Volume", `${NAME}-etcd${n}-data`).inputs.availabilityZone);
    expect(zones).toEqual(await Promise.all([SUBNET.a, SUBNET.b, SUBNET.c].map(zoneOf)));
});

test("a patch upgrade is allowed, and each instance is tagged with what it will run", () => {
    const instance = one(resources, "aws:ec2/instance:Instance", `${NAME}-etcd2`);
    expect(instance.inputs.tags).toMatchObject({ "etcd:member": "etcd2", "etcd:version": "3.6.14", "etcd:arch": "arm64" });
});

test("the cluster has formed, so every gate waits, even a newly created one", () => {
    const waits = [1, 2, 3].map((n) => (one(resources, "command:local:Command", `${NAME}-etcd${n}-health`).inputs.environment as Record<string, string>).GATE_ON_CREATE);
    expect(waits).toEqual(["wait", "wait", "wait"]);
});

/** The zone the mock's getSubnet gives a subnet id (the same table the component reads). */
async function zoneOf(subnetId: string): Promise<string> {
    const aws = await import("@pulumi/aws");
    return new Promise((resolve) => aws.ec2.getSubnetOutput({ id: subnetId }).availabilityZone.apply(resolve));
}
