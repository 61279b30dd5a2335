import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from "worker_threads";

/**
 * Calls the (asynchronous, WebCrypto) certificate functions of realTls.ts synchronously: the
 * mock runtime's state hook must answer synchronously. A worker thread does the work while this
 * thread blocks on Atomics.wait; the answer is read with receiveMessageOnPort.
 */
export class TlsBridge {
    private readonly worker: Worker;
    private readonly port: MessagePort;
    private readonly signal = new Int32Array(new SharedArrayBuffer(4));

    constructor() {
        const { port1, port2 } = new MessageChannel();
        this.port = port1;
        this.worker = new Worker(`${__dirname}/tlsWorker.ts`, {
            execArgv: ["--require", require.resolve("tsx/cjs")],
            workerData: { reply: port2, signal: this.signal },
            transferList: [port2],
        });
        this.worker.unref();
    }

    call<T>(operation: "selfSignedCert" | "certRequest" | "locallySignedCert", inputs: unknown, timeoutMs = 60_000): T {
        Atomics.store(this.signal, 0, 0);
        this.worker.postMessage({ operation, inputs });
        if (Atomics.wait(this.signal, 0, 0, timeoutMs) === "timed-out") {
            throw new Error(`sandbox TLS: ${operation} did not answer within ${timeoutMs} ms`);
        }
        const message = receiveMessageOnPort(this.port)?.message as { result?: T; error?: string } | undefined;
        if (!message || message.error !== undefined) {
            throw new Error(`sandbox TLS: ${operation} failed: ${message?.error ?? "no answer"}`);
        }
        return message.result as T;
    }

    close(): Promise<number> {
        return this.worker.terminate();
    }
}
