/**
 * A bounded write load against the sandbox, run where clients run (inside the hub namespace):
 * `count` puts of `<prefix><i>` = `v<i>`, one after another, through etcd's JSON gateway
 * (POST /v3/kv/put) with mutual TLS. A put that fails or times out is retried on the next endpoint,
 * like a client with several endpoints. Prints "ACK <i>" as each put is acknowledged, then one JSON
 * summary line. Stops at `deadlineMs` whatever it has done.
 *
 * Usage: node --require tsx/cjs sandboxWriter.ts '<json options>'
 */
import * as fs from "fs";
import * as https from "https";

interface Options {
    endpoints: string[];
    caFile: string;
    certFile: string;
    keyFile: string;
    prefix: string;
    count: number;
    deadlineMs: number;
    requestTimeoutMs?: number;
}

const options: Options = JSON.parse(process.argv[2]);
const agent = new https.Agent({
    ca: fs.readFileSync(options.caFile),
    cert: fs.readFileSync(options.certFile),
    key: fs.readFileSync(options.keyFile),
    keepAlive: true,
});
const b64 = (s: string) => Buffer.from(s).toString("base64");

function put(endpoint: string, key: string, value: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const body = JSON.stringify({ key: b64(key), value: b64(value) });
        const request = https.request(
            `${endpoint}/v3/kv/put`,
            { method: "POST", agent, timeout: options.requestTimeoutMs ?? 2000, headers: { "content-type": "application/json" } },
            (response) => {
                let text = "";
                response.on("data", (d) => (text += d));
                response.on("end", () => (response.statusCode === 200 && text.includes('"header"') ? resolve() : reject(new Error(`${response.statusCode} ${text}`))));
            },
        );
        request.on("timeout", () => request.destroy(new Error("timeout")));
        request.on("error", reject);
        request.end(body);
    });
}

async function main(): Promise<void> {
    const started = Date.now();
    let endpoint = 0;
    let acked = 0;
    let failures = 0;
    let maxStallMs = 0;
    let lastAck = Date.now();
    for (let i = 0; i < options.count && Date.now() - started < options.deadlineMs; ) {
        try {
            await put(options.endpoints[endpoint], `${options.prefix}${i}`, `v${i}`);
            process.stdout.write(`ACK ${i}\n`);
            maxStallMs = Math.max(maxStallMs, Date.now() - lastAck);
            lastAck = Date.now();
            acked++;
            i++;
        } catch {
            failures++;
            endpoint = (endpoint + 1) % options.endpoints.length;
            await new Promise((r) => setTimeout(r, 50));
        }
    }
    process.stdout.write(JSON.stringify({ acked, failures, maxStallMs, elapsedMs: Date.now() - started }) + "\n");
    agent.destroy();
}

void main();
