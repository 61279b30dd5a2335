import { ConfigError } from "../../config/errors";

/** The ConfigError that fn throws; any other error is rethrown, and no error at all fails the test. */
export function refusal(fn: () => unknown): ConfigError {
    try {
        fn();
    } catch (err) {
        if (err instanceof ConfigError) return err;
        throw err;
    }
    throw new Error("expected a refusal");
}
