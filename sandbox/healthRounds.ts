/**
 * What a sampler of every member's `/health` concludes from its rounds: how long each member was
 * unhealthy, and whether the cluster lost its quorum.
 *
 * A round in which no member is healthy is leaderless, but leaderless is not the same as without
 * quorum. A leadership handover (etcd-handover's move-leader before a member stops, or a leader's
 * own transfer when it shuts down) leaves a few milliseconds in which every member answers
 * "RAFT NO LEADER" or "leader changed". On a real three-member cluster, sampled every 5 ms across 10
 * move-leaders, that was 1 of 640 rounds; a 250 ms sampler hits one now and then. A majority that can
 * talk elects a leader within about two election timeouts (etcd randomizes its timeout in [T, 2T),
 * then votes), so only a leaderless stretch longer than `quorumLossAfterMs` counts as a lost quorum.
 * Every leaderless round is still reported, and so is the longest stretch.
 */
export interface HealthSummary {
    /** Sampling rounds. */
    samples: number;
    /** Rounds in which no member was healthy (handovers included). */
    leaderlessSamples: number;
    /** The longest stretch of consecutive leaderless rounds, from its first round to the end of its last. */
    longestLeaderlessMs: number;
    /** Rounds of leaderless stretches longer than `quorumLossAfterMs`: the cluster had no quorum. */
    quorumLostSamples: number;
    /** Per endpoint: time it was sampled unhealthy, and the longest such stretch. */
    downtimeMs: Record<string, number>;
    longestOutageMs: Record<string, number>;
}

export class HealthTally {
    private samples = 0;
    private leaderlessSamples = 0;
    private longestLeaderlessMs = 0;
    private quorumLostSamples = 0;
    private readonly downtimeMs: Record<string, number>;
    private readonly longestOutageMs: Record<string, number>;
    private readonly outageSince: Record<string, number | undefined> = {};
    private stretch: { since: number; until: number; rounds: number } | undefined;

    constructor(
        private readonly endpoints: string[],
        private readonly periodMs: number,
        private readonly quorumLossAfterMs: number,
    ) {
        this.downtimeMs = Object.fromEntries(endpoints.map((e) => [e, 0]));
        this.longestOutageMs = { ...this.downtimeMs };
    }

    /** One round: sampled from `at`, answered by `until`; `states[i]` is endpoint i's health. */
    record(at: number, until: number, states: boolean[]): void {
        this.samples++;
        if (states.some(Boolean)) {
            this.endStretch();
        } else {
            this.leaderlessSamples++;
            this.stretch ??= { since: at, until, rounds: 0 };
            this.stretch.until = until;
            this.stretch.rounds++;
            this.longestLeaderlessMs = Math.max(this.longestLeaderlessMs, until - this.stretch.since);
        }
        this.endpoints.forEach((endpoint, i) => {
            if (states[i]) {
                this.outageSince[endpoint] = undefined;
                return;
            }
            this.downtimeMs[endpoint] += this.periodMs;
            this.outageSince[endpoint] ??= at;
            this.longestOutageMs[endpoint] = Math.max(this.longestOutageMs[endpoint], until - this.outageSince[endpoint]!);
        });
    }

    summary(): HealthSummary {
        this.endStretch();
        return {
            samples: this.samples,
            leaderlessSamples: this.leaderlessSamples,
            longestLeaderlessMs: this.longestLeaderlessMs,
            quorumLostSamples: this.quorumLostSamples,
            downtimeMs: { ...this.downtimeMs },
            longestOutageMs: { ...this.longestOutageMs },
        };
    }

    private endStretch(): void {
        if (this.stretch && this.stretch.until - this.stretch.since > this.quorumLossAfterMs) this.quorumLostSamples += this.stretch.rounds;
        this.stretch = undefined;
    }
}
