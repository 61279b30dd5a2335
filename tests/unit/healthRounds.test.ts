import { HealthTally } from "../../sandbox/healthRounds";

const A = "https://10.42.0.11:2379";
const B = "https://10.42.32.11:2379";
const C = "https://10.42.64.11:2379";

/** Rounds every 250 ms from t=0, each answered 20 ms after it starts; 1 healthy, 0 not. */
function tally(rounds: string[], quorumLossAfterMs = 2000) {
    const t = new HealthTally([A, B, C], 250, quorumLossAfterMs);
    rounds.forEach((round, i) => t.record(i * 250, i * 250 + 20, [...round].map((c) => c === "1")));
    return t.summary();
}

describe("health rounds: a handover is leaderless for a moment, a lost quorum for longer", () => {
    it("a one-member restart with a handover in it (one round where every member says 'no leader') keeps the quorum", () => {
        const s = tally(["111", "011", "011", "000", "011", "111", "111"]);
        expect(s).toMatchObject({ samples: 7, leaderlessSamples: 1, longestLeaderlessMs: 20, quorumLostSamples: 0 });
        expect(s.downtimeMs).toEqual({ [A]: 1000, [B]: 250, [C]: 250 });
        expect(s.longestOutageMs).toEqual({ [A]: 770, [B]: 20, [C]: 20 });
    });

    it("a leaderless stretch longer than the limit is a lost quorum, every round of it counted, however it ends", () => {
        // Two members down for 2.5 s: 10 leaderless rounds in a row (2270 ms > 2000 ms).
        const longStretch = ["111", ...Array(10).fill("000"), "111"];
        expect(tally(longStretch)).toMatchObject({ leaderlessSamples: 10, longestLeaderlessMs: 2270, quorumLostSamples: 10 });
        // Still leaderless when the sampling ends.
        expect(tally(longStretch.slice(0, -1))).toMatchObject({ quorumLostSamples: 10 });
        // The same stretch under a longer limit (slower elections) is an election, not a loss.
        expect(tally(longStretch, 5000)).toMatchObject({ leaderlessSamples: 10, quorumLostSamples: 0 });
    });

    it("short leaderless stretches do not add up to a lost quorum; only one long stretch counts", () => {
        const s = tally(["000", "000", "111", "000", "111", ...Array(9).fill("000"), "011"]);
        expect(s).toMatchObject({ leaderlessSamples: 12, quorumLostSamples: 9, longestLeaderlessMs: 8 * 250 + 20 });
    });
});
