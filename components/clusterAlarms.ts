import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { METRICS } from "../config/contract";

export interface ClusterAlarmsArgs {
    /** Value of the `Cluster` metric dimension, e.g. `proj/prod/etcd`. */
    clusterId: string;
    backupIntervalMinutes: number;
    quotaAlarmPercent: number;
    alarmTopicArn?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * Makes a failed backup visible: an alarm when the newest good snapshot is older than two backup
 * intervals (missing data counts as breaching, so silence from every member alarms too), and an
 * alarm before any member's database reaches its quota (NOSPACE stops all writes).
 */
export class EtcdClusterAlarms extends pulumi.ComponentResource {
    constructor(name: string, args: ClusterAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("etcd:index:ClusterAlarms", name, {}, opts);
        const actions = args.alarmTopicArn ? [args.alarmTopicArn] : [];
        const periodSeconds = 300;
        new aws.cloudwatch.MetricAlarm(
            `${name}-backup-age`,
            {
                alarmDescription: `etcd ${args.clusterId}: no good snapshot for more than two backup intervals`,
                namespace: METRICS.namespace,
                metricName: METRICS.backupAge,
                dimensions: { Cluster: args.clusterId },
                statistic: "Minimum",
                period: periodSeconds,
                evaluationPeriods: 1,
                comparisonOperator: "GreaterThanThreshold",
                threshold: 2 * args.backupIntervalMinutes * 60 + periodSeconds,
                treatMissingData: "breaching",
                alarmActions: actions,
                okActions: actions,
                tags: args.tags,
            },
            { parent: this },
        );
        new aws.cloudwatch.MetricAlarm(
            `${name}-quota`,
            {
                alarmDescription: `etcd ${args.clusterId}: a member's database passed ${args.quotaAlarmPercent}% of its quota; defragment or raise quotaBackendBytes before writes stop`,
                namespace: METRICS.namespace,
                metricName: METRICS.quotaUsed,
                dimensions: { Cluster: args.clusterId },
                statistic: "Maximum",
                period: periodSeconds,
                evaluationPeriods: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                threshold: args.quotaAlarmPercent,
                treatMissingData: "missing",
                alarmActions: actions,
                okActions: actions,
                tags: args.tags,
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
