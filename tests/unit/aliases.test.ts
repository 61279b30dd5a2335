import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { mockRuntime, settled } from "../helpers/mockCluster";

// The offline plan records each resource's engine URN and the URNs its aliases stand for, so a
// renamed or re-parented child can be checked against the URNs a user's state already holds.

class Box extends pulumi.ComponentResource {
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("test:index:Box", name, {}, opts);
    }
}

describe("engine URNs and aliases in the plan", () => {
    test("a child's URN carries every ancestor's type; an alias spec fills its gaps from the resource", async () => {
        const rt = await mockRuntime();
        const outer = new Box("outer");
        const inner = new Box("inner", { parent: outer });
        new aws.s3.Bucket("moved", {}, { parent: inner, aliases: [{ name: "old-name" }, { parent: pulumi.rootStackResource }, "urn:pulumi:test::proj::aws:s3/bucket:Bucket::given"] });
        await settled();
        const bucket = rt.one("aws:s3/bucket:Bucket", "moved");
        expect(bucket.engineUrn).toBe("urn:pulumi:test::proj::test:index:Box$test:index:Box$aws:s3/bucket:Bucket::moved");
        expect(rt.one("test:index:Box", "inner").engineUrn).toBe("urn:pulumi:test::proj::test:index:Box$test:index:Box::inner");
        expect(bucket.aliases).toEqual(
            expect.arrayContaining([
                "urn:pulumi:test::proj::test:index:Box$test:index:Box$aws:s3/bucket:Bucket::old-name",
                "urn:pulumi:test::proj::aws:s3/bucket:Bucket::moved",
                "urn:pulumi:test::proj::aws:s3/bucket:Bucket::given",
            ]),
        );
        expect(rt.one("test:index:Box", "outer").aliases).toEqual([]);
    });
});
