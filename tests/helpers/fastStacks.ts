// Pulumi's runtime records `new Error().stack` on every promise it makes. Its leak detector reads
// that stack only at exit, to describe a leaked promise, yet capturing it (and jest source-mapping
// it) was most of the unit tests' time under the mock runtime. This setup file captures no frames
// for those promises: the promise, its leak tracking and its error are the runtime's own, only the
// debug stack is empty. Every other stack (a failing test's) is captured and formatted as usual.
//
// The runtime's modules call `debuggable_1.debuggablePromise(...)` through the module's exports at
// call time, so replacing the export here (a setup file shares the test's module registry) reaches
// every caller.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: (promise: Promise<unknown>, ctx: unknown) => Promise<unknown> };
const recordWithStack = debuggable.debuggablePromise;

debuggable.debuggablePromise = (promise, ctx) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return recordWithStack(promise, ctx);
    } finally {
        Error.stackTraceLimit = limit;
    }
};
