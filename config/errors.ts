/**
 * A mistake in the user's settings. Raised before any resource is created; the program and the
 * offline plan print only `message` (never a stack trace) and exit non-zero.
 *
 * The model does not import Pulumi, so this is a plain Error that carries the mark by which
 * Pulumi's `RunError.isInstance` recognises a run error (the mark exists so that errors from
 * another copy of the SDK are recognised too): `pulumi up` and `pulumi preview` then show the
 * message alone. tests/unit/errors.test.ts checks that Pulumi still recognises it.
 */
export class ConfigError extends Error {
    /** Pulumi's run-error mark; see above. */
    readonly __pulumiRunError = true;

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
    if (isDeferred(value)) {
        return "another resource's output"; // its value is not known before the deployment
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
        return String(value); // JSON would print null for NaN and Infinity
    }
    return JSON.stringify(value);
}

/** A Pulumi Output (it has `apply`) or a promise (it has `then`): a value that arrives later. */
function isDeferred(value: unknown): boolean {
    if (typeof value !== "object" || value === null) return false;
    const candidate = value as { apply?: unknown; then?: unknown };
    return typeof candidate.apply === "function" || typeof candidate.then === "function";
}
