package main

import (
	"github.com/etcd-pulumi/aws-etcd-cluster/sdk/go/etcd"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cluster, err := etcd.NewEtcdCluster(ctx, "control-plane", &etcd.EtcdClusterArgs{
			KubernetesNodeCount: pulumi.IntRef(100),
			MemberCount:         pulumi.IntRef(3),
			ClientNames:         []string{"kube-apiserver"},
			AllowNoAlarmTopic:   pulumi.BoolRef(true),
		})
		if err != nil {
			return err
		}
		ctx.Export("endpoints", cluster.ClientEndpoints)
		ctx.Export("instanceType", cluster.Sizing.InstanceType())
		return nil
	})
}
