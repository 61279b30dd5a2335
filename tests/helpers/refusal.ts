import { ConfigError } from "../../config/errors";

/** Runs fn and returns the ConfigError it throws; fails the test if it throws nothing or something else. */
export function refusal(fn: () => unknown): ConfigError {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigError) {
            return e;
        }
        throw e;
    }
    throw new Error("expected a ConfigError, but nothing was thrown");
}
