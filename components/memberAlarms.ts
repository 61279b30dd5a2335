import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { METRICS, UNITS } from "../config/contract";

export interface MemberAlarmsArgs {
    /** Value of the `Cluster` metric dimension: the cluster tag, e.g. `proj/prod/etcd`. */
    clusterId: string;
    /** Names the alarms: `<clusterName>-<member>-<what>`. */
    clusterName: string;
    members: Array<{ name: string; instanceId: pulumi.Input<string> }>;
    certValidityHours: number;
    certEarlyRenewalHours: number;
    certSyncIntervalMinutes: number;
    alarmTopicArn?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/** Longest a certificate sync may take to publish again: its interval plus the timer's random delay. */
const SYNC_SLACK_SECONDS = 300;
/** Minutes without a quorum read through a member before it counts as down. */
const DOWN_MINUTES = 5;
/** A failing bootstrap is retried every 30 s: each five minutes holds several failures. */
const BOOTSTRAP_PERIOD_SECONDS = 300;

/**
 * Each member's alarms, from the metrics it publishes itself (node/etcd-member-metric.sh,
 * node/etcd-cert-expiry.sh) and from EC2:
 * - down: no quorum read through it answered for 3 minutes, or it published nothing (down, its
 *   bootstrap never finished, its instance gone: missing data breaches);
 * - instance: EC2's status checks of its instance failed for 2 minutes;
 * - cert-expiry: the soonest of its own certificates has less than half of certEarlyRenewalHours
 *   left: a `pulumi up` inside that window renews them, so half of it gone means none ran (nor the
 *   scheduled deploy), with time left to run one;
 * - ca-expiry: its CA has less than one certificate validity left (a certificate issued now would
 *   outlive it).
 * The expiry alarms breach on missing data too, after two periods without a datapoint: the
 * member's certificate sync fails, or it is down.
 * - bootstrap-failed, cert-sync-failed: the unit failed (node/etcd-member-metric.sh --failed, from
 *   its ExecStopPost), at the first failure; missing data is no failure.
 */
export class EtcdMemberAlarms extends pulumi.ComponentResource {
    constructor(name: string, args: MemberAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("etcd:index:MemberAlarms", name, {}, opts);
        const actions = args.alarmTopicArn ? [args.alarmTopicArn] : [];
        const common = { alarmActions: actions, okActions: actions, tags: args.tags };
        const period = Math.min(86400, Math.ceil((args.certSyncIntervalMinutes * 60 + SYNC_SLACK_SECONDS) / 3600) * 3600);
        const own = (member: string) => ({ namespace: METRICS.namespace, dimensions: { Cluster: args.clusterId, Member: member } });
        const alarm = (member: string, what: string, inputs: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "tags">) =>
            new aws.cloudwatch.MetricAlarm(`${args.clusterName}-${member}-${what}`, { ...inputs, ...common }, { parent: this });
        const expiry = (member: string, what: string, metricName: string, thresholdDays: number, description: string) =>
            alarm(member, what, {
                ...own(member),
                alarmDescription: `etcd ${args.clusterId} ${member}: ${description}, or the member stopped reporting it (its certificate sync fails, or it is down)`,
                metricName,
                statistic: "Minimum",
                period,
                evaluationPeriods: 2,
                datapointsToAlarm: 2,
                comparisonOperator: "LessThanThreshold",
                threshold: thresholdDays,
                treatMissingData: "breaching",
            });
        const unitFailed = (member: string, what: string, unitName: string, periodSeconds: number, description: string) =>
            alarm(member, what, {
                namespace: METRICS.namespace,
                dimensions: { Cluster: args.clusterId, Member: member, Unit: unitName },
                alarmDescription: `etcd ${args.clusterId} ${member}: ${description}`,
                metricName: METRICS.unitFailed,
                statistic: "Sum",
                period: periodSeconds,
                evaluationPeriods: 1,
                datapointsToAlarm: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                treatMissingData: "notBreaching",
            });
        const leafDays = Math.max(1, args.certEarlyRenewalHours / 48);
        const caDays = args.certValidityHours / 24;
        for (const { name: member, instanceId } of args.members) {
            alarm(member, "down", {
                ...own(member),
                // Five minutes: a planned replacement (an AMI, a version) takes a member down for one to four.
                alarmDescription: `etcd ${args.clusterId} ${member}: no quorum read through it for ${DOWN_MINUTES} minutes, or it reports nothing (down, its bootstrap has not finished, or its instance is gone)`,
                metricName: METRICS.memberHealthy,
                statistic: "Minimum",
                period: 60,
                evaluationPeriods: DOWN_MINUTES,
                datapointsToAlarm: DOWN_MINUTES,
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
                treatMissingData: "breaching",
            });
            alarm(member, "instance", {
                alarmDescription: `etcd ${args.clusterId} ${member}: EC2 status checks of its instance failed for 2 minutes`,
                namespace: "AWS/EC2",
                metricName: "StatusCheckFailed",
                dimensions: { InstanceId: instanceId },
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 2,
                datapointsToAlarm: 2,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                // An instance that is gone (replaced) has no checks; the down alarm covers the member.
                treatMissingData: "missing",
            });
            unitFailed(member, "bootstrap-failed", UNITS.bootstrap, BOOTSTRAP_PERIOD_SECONDS, "its bootstrap failed (it retries every 30 s; `journalctl -u etcd-bootstrap` on it says why)");
            unitFailed(member, "cert-sync-failed", UNITS.certSync, period, "its certificate sync failed (a set refused, which keeps the current files; SSM unreadable; or the expiry check after it): `journalctl -u etcd-cert-sync` on it says why");
            expiry(member, "cert-expiry", METRICS.certificateDaysLeft, leafDays, `a certificate has less than ${leafDays} days left (half the renewal window passed without a pulumi up)`);
            expiry(member, "ca-expiry", METRICS.caDaysLeft, caDays, `the CA has less than ${caDays} days left (less than one certificate validity)`);
        }
        this.registerOutputs({});
    }
}
