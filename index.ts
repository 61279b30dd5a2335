// The Pulumi program: read the stack's settings, build one cluster, export what operators need.
// Everything else lives in the importable library (lib.ts).
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster } from "./components/etcdCluster";
import { readStackConfig } from "./components/stackConfig";

const config = new pulumi.Config();
const cluster = new EtcdCluster(config.get("clusterName") ?? "etcd", readStackConfig(config));

export const clientEndpoints = cluster.clientEndpoints;
export const initialCluster = cluster.initialCluster;
export const clusterToken = cluster.clusterToken;
export const caCertPem = cluster.caCertPem;
export const adminCertPem = cluster.adminCertPem;
export const adminKeyPem = cluster.adminKeyPem;
export const clientCertificates = cluster.clientCertificates;
export const members = cluster.members;
export const sizing = cluster.sizing;
export const etcdVersion = cluster.etcdVersion;
export const securityGroupId = cluster.securityGroupId;
export const vpcId = cluster.vpcId;
export const kmsKeyArn = cluster.kmsKeyArn;
export const parameterPrefix = cluster.parameterPrefix;
export const backupBucketName = cluster.backupBucketName;
export const backupPrefix = cluster.backupPrefix;
export const keeperUrls = cluster.keeperUrls;
export const keeperPortForwardCommand = cluster.keeperPortForwardCommand;
