/**
 * A bounded client load against a sandbox, run where clients run (inside the hub namespace), and
 * the sampling that says what the cluster looked like meanwhile:
 *   - writes: `<prefix><i>` = `v<i>`, one after another (every `intervalMs`), through etcd's JSON
 *     gateway (POST /v3/kv/put) with mutual TLS; a put that fails or times out is retried on the
 *     next endpoint, as a client with several endpoints does. Prints "ACK <i>" as each is acknowledged.
 *   - samples: every `sampleMs`, each endpoint's GET /health (true only with a leader); what the
 *     rounds mean (a handover is leaderless for milliseconds, a lost quorum for longer than
 *     `quorumLossAfterMs`) is sandbox/healthRounds.ts.
 * Stops after `count` writes, at `deadlineMs`, or on SIGTERM, and prints one JSON summary line.
 *
 * Usage: node --require tsx/cjs sandbox/load.ts '<json options>'
 */
import * as fs from "fs";
import * as https from "https";
import { HealthSummary, HealthTally } from "./healthRounds";

interface Options {
    endpoints: string[];
    caFile: string;
    certFile: string;
    keyFile: string;
    prefix: string;
    count: number;
    deadlineMs: number;
    requestTimeoutMs?: number;
    /** Pause between two writes; 0: as fast as acknowledgements come. */
    intervalMs?: number;
    /** Health sampling period; 0: no sampling. */
    sampleMs?: number;
    /** A leaderless stretch longer than this is a lost quorum (see healthRounds.ts). */
    quorumLossAfterMs: number;
}

export interface LoadSummary extends HealthSummary {
    acked: number;
    failures: number;
    maxStallMs: number;
    elapsedMs: number;
}

const options: Options = JSON.parse(process.argv[2]);
const agent = new https.Agent({
    ca: fs.readFileSync(options.caFile),
    cert: fs.readFileSync(options.certFile),
    key: fs.readFileSync(options.keyFile),
    keepAlive: true,
});
const b64 = (s: string) => Buffer.from(s).toString("base64");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
process.on("SIGTERM", () => (stopping = true));

function request(url: string, method: string, body: string | undefined, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
        const req = https.request(url, { method, agent, timeout: timeoutMs, headers: { "content-type": "application/json" } }, (response) => {
            let text = "";
            response.on("data", (d) => (text += d));
            response.on("end", () => (response.statusCode === 200 ? resolve(text) : reject(new Error(`${response.statusCode} ${text}`))));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
        req.end(body);
    });
}

async function put(endpoint: string, key: string, value: string): Promise<void> {
    const text = await request(`${endpoint}/v3/kv/put`, "POST", JSON.stringify({ key: b64(key), value: b64(value) }), options.requestTimeoutMs ?? 2000);
    if (!text.includes('"header"')) throw new Error(`unexpected answer ${text}`);
}

async function healthy(endpoint: string): Promise<boolean> {
    try {
        return JSON.parse(await request(`${endpoint}/health`, "GET", undefined, 1000)).health === "true";
    } catch {
        return false;
    }
}

async function write(started: number) {
    let endpoint = 0;
    let acked = 0;
    let failures = 0;
    let maxStallMs = 0;
    let lastAck = Date.now();
    for (let i = 0; i < options.count && !stopping && Date.now() - started < options.deadlineMs; ) {
        try {
            await put(options.endpoints[endpoint], `${options.prefix}${i}`, `v${i}`);
            process.stdout.write(`ACK ${i}\n`);
            maxStallMs = Math.max(maxStallMs, Date.now() - lastAck);
            lastAck = Date.now();
            acked++;
            i++;
            if (options.intervalMs) await sleep(options.intervalMs);
        } catch {
            failures++;
            endpoint = (endpoint + 1) % options.endpoints.length;
            await sleep(50);
        }
    }
    return { acked, failures, maxStallMs };
}

async function sample(started: number, done: () => boolean): Promise<HealthSummary> {
    const period = options.sampleMs ?? 0;
    const tally = new HealthTally(options.endpoints, period, options.quorumLossAfterMs);
    while (period > 0 && !done() && Date.now() - started < options.deadlineMs) {
        const at = Date.now();
        const states = await Promise.all(options.endpoints.map(healthy));
        tally.record(at, Date.now(), states);
        await sleep(Math.max(0, period - (Date.now() - at)));
    }
    return tally.summary();
}

async function main(): Promise<void> {
    const started = Date.now();
    let writing = true;
    const sampling = sample(started, () => !writing);
    const writes = await write(started);
    writing = false;
    const sampled = await sampling;
    const summary: LoadSummary = { ...writes, elapsedMs: Date.now() - started, ...sampled };
    process.stdout.write(JSON.stringify(summary) + "\n");
    agent.destroy();
}

void main();
