// A program that builds an EtcdCluster through the generated Go SDK. It is only compiled and
// vetted (tests/integration/sdks.test.ts), never run: it shows that the settings take Go's plain
// values and that the ids take other resources' outputs.
package main

import (
	"github.com/etcd-pulumi/aws-etcd-cluster/sdk/go/etcd"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		// The VPC and subnets of another stack: their ids are outputs, known only in the deployment.
		network, err := pulumi.NewStackReference(ctx, "acme/network/prod", nil)
		if err != nil {
			return err
		}
		cluster, err := etcd.NewEtcdCluster(ctx, "control-plane", &etcd.EtcdClusterArgs{
			KubernetesNodeCount: pulumi.IntRef(100),
			MemberCount:         pulumi.IntRef(3),
			// A whole number of bytes, a float64 in Go: 8 GiB does not fit a 32-bit int.
			QuotaBackendBytes: pulumi.Float64Ref(8 << 30),
			VpcId:             network.GetStringOutput(pulumi.String("vpcId")),
			// Each id may be an output, or the whole list one (GetOutput(...).AsStringArrayOutput()).
			SubnetIds: pulumi.StringArray{
				network.GetStringOutput(pulumi.String("privateSubnetA")),
				network.GetStringOutput(pulumi.String("privateSubnetB")),
				pulumi.String("subnet-0123456789abcdef0"),
			},
			KmsKeyArn:         pulumi.String("arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"),
			ClientNames:       []string{"kube-apiserver"},
			AllowNoAlarmTopic: pulumi.BoolRef(true),
		})
		if err != nil {
			return err
		}
		ctx.Export("endpoints", cluster.ClientEndpoints)
		ctx.Export("instanceType", cluster.Sizing.InstanceType())
		ctx.Export("volumeThroughputMbps", cluster.Sizing.Volume().ThroughputMbps())
		return nil
	})
}
