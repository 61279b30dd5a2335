import * as fs from "fs";
import { StateHook } from "../tools/mockRuntime";
import { generatePrivateKey } from "./realTls";
import { TlsBridge } from "./tlsBridge";

/** Pulumi's wire marker of a secret value, as mock inputs may still carry it. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** The value with every secret wrapper removed. */
export function plain(value: unknown): any {
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (SECRET_SIG_KEY in record) return plain(record.value);
        return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}

/**
 * The @pulumi/tls outputs of earlier plans, as Pulumi's state keeps them: a resource whose inputs
 * are unchanged keeps its key or certificate, so the next plan of a running sandbox changes only
 * what the change changes (not every key and the CA). Kept in a file of the stack's directory
 * (0600: it holds private keys, like the stack's tls/ directory).
 */
export class TlsState {
    private readonly outputs: Record<string, Record<string, unknown>>;
    private readonly used: Record<string, Record<string, unknown>> = {};

    constructor(private readonly file?: string) {
        this.outputs = file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
    }

    /** The outputs for these inputs: kept when the inputs are unchanged, made otherwise. */
    outputsFor(type: string, name: string, inputs: unknown, make: () => Record<string, unknown>): Record<string, unknown> {
        const key = `${type}::${name}::${JSON.stringify(inputs)}`;
        this.used[key] = this.outputs[key] ?? make();
        return this.used[key];
    }

    /** Writes what this plan used: a resource that was changed or dropped leaves its old outputs behind. */
    save(): void {
        if (this.file) fs.writeFileSync(this.file, JSON.stringify(this.used), { mode: 0o600 });
    }
}

/**
 * The provider outputs the sandbox makes real: keys and certificates made from each @pulumi/tls
 * resource's own inputs, kept across plans by `state`. (The plan's own addresses are kept: each
 * member's namespace holds its own.)
 */
export function sandboxStateHook(tls: TlsBridge, state = new TlsState()): StateHook {
    return (type, name, rawInputs) => {
        const inputs = plain(rawInputs);
        const kept = (make: () => Record<string, unknown>) => state.outputsFor(type, name, inputs, make);
        switch (type) {
            case "tls:index/privateKey:PrivateKey":
                return kept(() => ({ ...generatePrivateKey(inputs) }));
            case "tls:index/selfSignedCert:SelfSignedCert":
                return kept(() => tls.call("selfSignedCert", inputs));
            case "tls:index/certRequest:CertRequest":
                return kept(() => tls.call("certRequest", inputs));
            case "tls:index/locallySignedCert:LocallySignedCert":
                return kept(() => tls.call("locallySignedCert", inputs));
            default:
                return undefined;
        }
    };
}
