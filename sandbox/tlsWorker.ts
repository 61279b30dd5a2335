import { MessagePort, parentPort, workerData } from "worker_threads";
import { certRequest, locallySignedCert, selfSignedCert } from "./realTls";

/**
 * Worker side of the TLS bridge (tlsBridge.ts): makes one certificate or request per message,
 * posts the answer on the reply port, then wakes the waiting main thread.
 */
const { reply, signal } = workerData as { reply: MessagePort; signal: Int32Array };
const operations: Record<string, (inputs: any) => Promise<unknown>> = { selfSignedCert, certRequest, locallySignedCert };

parentPort!.on("message", async (request: { operation: string; inputs: unknown }) => {
    try {
        reply.postMessage({ result: await operations[request.operation](request.inputs) });
    } catch (error) {
        reply.postMessage({ error: error instanceof Error ? error.message : String(error) });
    }
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
});
