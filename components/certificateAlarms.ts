import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { METRICS } from "../config/contract";

export interface CertificateAlarmsArgs {
    /** Value of the `Cluster` metric dimension: the cluster tag, e.g. `proj/prod/etcd`. */
    clusterId: string;
    members: string[];
    certValidityHours: number;
    certEarlyRenewalHours: number;
    certSyncIntervalMinutes: number;
    alarmTopicArn?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/** Longest a certificate sync may take to publish again: its interval plus the timer's random delay. */
const SYNC_SLACK_SECONDS = 300;

/**
 * Certificates running out, per member (node/etcd-cert-expiry.sh publishes after each sync):
 * - the soonest of its own certificates has less than half of certEarlyRenewalHours left: a
 *   `pulumi up` inside that window renews them, so half of it gone means none ran (nor the
 *   scheduled deploy), with time left to run one;
 * - its CA has less than one certificate validity left: a certificate issued now would outlive it.
 * A member that stops publishing (its sync fails, it is down) alarms too: missing data breaches,
 * after two periods without a datapoint.
 */
export class EtcdCertificateAlarms extends pulumi.ComponentResource {
    constructor(name: string, args: CertificateAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("etcd:index:CertificateAlarms", name, {}, opts);
        const actions = args.alarmTopicArn ? [args.alarmTopicArn] : [];
        const period = Math.min(86400, Math.ceil((args.certSyncIntervalMinutes * 60 + SYNC_SLACK_SECONDS) / 3600) * 3600);
        const alarm = (member: string, suffix: string, metricName: string, thresholdDays: number, what: string) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-${member}-${suffix}`,
                {
                    alarmDescription: `etcd ${args.clusterId} ${member}: ${what}, or the member stopped reporting it (its certificate sync fails, or it is down)`,
                    namespace: METRICS.namespace,
                    metricName,
                    dimensions: { Cluster: args.clusterId, Member: member },
                    statistic: "Minimum",
                    period,
                    evaluationPeriods: 2,
                    datapointsToAlarm: 2,
                    comparisonOperator: "LessThanThreshold",
                    threshold: thresholdDays,
                    treatMissingData: "breaching",
                    alarmActions: actions,
                    okActions: actions,
                    tags: args.tags,
                },
                { parent: this },
            );
        const leafDays = Math.max(1, args.certEarlyRenewalHours / 48);
        const caDays = args.certValidityHours / 24;
        for (const member of args.members) {
            alarm(member, "cert-expiry", METRICS.certificateDaysLeft, leafDays, `a certificate has less than ${leafDays} days left (half the renewal window passed without a pulumi up)`);
            alarm(member, "ca-expiry", METRICS.caDaysLeft, caDays, `the CA has less than ${caDays} days left (less than one certificate validity)`);
        }
        this.registerOutputs({});
    }
}
