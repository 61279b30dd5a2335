import * as pulumi from "@pulumi/pulumi";
import { EtcdClusterArgs, SettingKind, STACK_SETTINGS } from "../config/clusterArgs";
import { SECRET_MASK } from "../config/contract";
import { ConfigError } from "../config/errors";

/** Settings of the program itself, not of the cluster. */
const PROGRAM_SETTINGS = ["clusterName"];

/** Settings that hold a private key: refused in plaintext in a stack file. */
const ENCRYPTED_SETTINGS = ["caPrivateKeyPem", "nextCaPrivateKeyPem"];

/**
 * Reads the stack's settings (Pulumi.<stack>.yaml) into EtcdClusterArgs. A mistyped key or a value
 * of the wrong type is refused with a message naming the key, instead of being silently ignored.
 */
export function readStackConfig(config = new pulumi.Config()): EtcdClusterArgs {
    rejectUnknownKeys(config.name);
    rejectPlaintextKeys(config.name);
    const args: Record<string, unknown> = {};
    for (const [key, kind] of Object.entries(STACK_SETTINGS)) {
        const value = kind === "secret" ? config.getSecret(key) : parse(key, kind, config.get(key));
        if (value !== undefined) {
            args[key] = value;
        }
    }
    return args as EtcdClusterArgs;
}

/**
 * A private key in the stack file must be encrypted (`secure:`): plaintext there is in every clone
 * of the repository. The engine names the encrypted keys in PULUMI_CONFIG_SECRET_KEYS; an engine
 * that does not send the list is not second-guessed.
 */
function rejectPlaintextKeys(namespace: string): void {
    const listed = process.env.PULUMI_CONFIG_SECRET_KEYS;
    if (!listed) return;
    const encrypted = JSON.parse(listed) as string[];
    const all = pulumi.runtime.allConfig();
    for (const key of ENCRYPTED_SETTINGS) {
        const fullKey = `${namespace}:${key}`;
        if (all[fullKey] !== undefined && !encrypted.includes(fullKey)) {
            throw new ConfigError(key, SECRET_MASK, `It is in plaintext in the stack's settings. Set it encrypted: \`pulumi config set --secret ${key} < ca-key.pem\` (its file then holds a secure: value).`);
        }
    }
}

function rejectUnknownKeys(namespace: string): void {
    const known = new Set([...Object.keys(STACK_SETTINGS), ...PROGRAM_SETTINGS]);
    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const [ns, key] = fullKey.split(":", 2);
        if (ns === namespace && !known.has(key)) {
            throw new ConfigError(`${namespace}:${key}`, key, `This setting does not exist. Known settings: ${[...known].sort().join(", ")}.`);
        }
    }
}

function parse(key: string, kind: Exclude<SettingKind, "secret">, raw: string | undefined): unknown {
    if (raw === undefined) {
        return undefined;
    }
    switch (kind) {
        case "string":
            return raw;
        case "integer": {
            const value = Number(raw);
            if (raw.trim() === "" || !Number.isFinite(value)) {
                throw new ConfigError(key, raw, "Use a number.");
            }
            return value;
        }
        case "boolean":
            if (raw !== "true" && raw !== "false") {
                throw new ConfigError(key, raw, "Use true or false.");
            }
            return raw === "true";
        case "list":
            return parseJson(key, raw, (v) => Array.isArray(v) && v.every((item) => typeof item === "string"), "a list of strings");
        case "map":
            return parseJson(
                key,
                raw,
                (v) => typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((item) => typeof item === "string"),
                "a map of strings",
            );
    }
}

function parseJson(key: string, raw: string, ok: (v: unknown) => boolean, what: string): unknown {
    let value: unknown;
    try {
        value = JSON.parse(raw);
    } catch {
        throw new ConfigError(key, raw, `Use ${what} (YAML list/map in the stack file).`);
    }
    if (!ok(value)) {
        throw new ConfigError(key, value, `Use ${what}.`);
    }
    return value;
}
