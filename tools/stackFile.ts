import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { SECRET_MASK } from "../config/contract";

/** A stack's settings as the Pulumi CLI would hand them to the program. */
export interface StackSettings {
    project: string;
    stack: string;
    /** `namespace:key` -> value; structured values as JSON text, as the CLI passes them. */
    config: Record<string, string>;
    /** Keys whose value is `secure:` (encrypted): passed as "[secret]" since nothing here can decrypt them. */
    secretKeys: string[];
    region?: string;
}

export class StackFileError extends Error {}

/**
 * Reads Pulumi.yaml and the stack's settings from `root`: Pulumi.<stack>.yaml, or `configFile`
 * when given (like `pulumi up --config-file`).
 */
export function readStackSettings(root: string, stack: string, configFile?: string): StackSettings {
    const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"))?.name;
    const file = configFile ?? path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = fs
            .readdirSync(root)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => Boolean(s));
        throw new StackFileError(`No stack "${stack}": ${path.basename(file)} does not exist. Stacks here: ${known.join(", ")}.`);
    }
    const document = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries<unknown>(document.config ?? {})) {
        const fullKey = key.includes(":") ? key : `${project}:${key}`;
        if (isSecure(value)) {
            config[fullKey] = SECRET_MASK;
            secretKeys.push(fullKey);
        } else {
            config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { project, stack, config, secretKeys, region: config["aws:region"] };
}

function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}
