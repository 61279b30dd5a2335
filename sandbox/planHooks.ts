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
 * The provider outputs the sandbox makes real: keys and certificates made from each @pulumi/tls
 * resource's own inputs. (The plan's own addresses are kept: each member's namespace holds its own.)
 */
export function sandboxStateHook(tls: TlsBridge): StateHook {
    return (type, _name, rawInputs) => {
        const inputs = plain(rawInputs);
        switch (type) {
            case "tls:index/privateKey:PrivateKey":
                return { ...generatePrivateKey(inputs) };
            case "tls:index/selfSignedCert:SelfSignedCert":
                return tls.call("selfSignedCert", inputs);
            case "tls:index/certRequest:CertRequest":
                return tls.call("certRequest", inputs);
            case "tls:index/locallySignedCert:LocallySignedCert":
                return tls.call("locallySignedCert", inputs);
            default:
                return undefined;
        }
    };
}
