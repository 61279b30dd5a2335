// Pulumi's runtime records `new Error().stack` for every promise it makes (its leak detector), and
// jest formats each of those stacks through source maps, 100 frames deep: under the mock runtime
// that was most of the unit tests' time. Ten frames (Node's own default) still reach the test code.
Error.stackTraceLimit = 10;
