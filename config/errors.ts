import * as pulumi from "@pulumi/pulumi";

/**
 * A mistake in the user's settings. Raised before any resource is created; the program and the
 * offline plan print only `message` (never a stack trace) and exit non-zero. It is a Pulumi RunError, so `pulumi up` and `pulumi preview`
 * also show the message alone.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        /** The setting as the user writes it, e.g. `kubernetesNodeCount`. */
        public readonly setting: string,
        /** The value received, shown back to the user. */
        public readonly received: unknown,
        /** What is allowed and how to fix it. */
        public readonly fix: string,
    ) {
        super(`Invalid setting ${setting}: got ${formatReceived(received)}. ${fix}`);
        this.name = "ConfigError";
    }
}

function formatReceived(value: unknown): string {
    if (value === undefined) {
        return "nothing";
    }
    if (pulumi.Output.isInstance(value) || value instanceof Promise) {
        return "another resource's output"; // its value is not known before the deployment
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
        return String(value); // JSON would print null for NaN and Infinity
    }
    return JSON.stringify(value);
}
