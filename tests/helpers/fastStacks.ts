// Pulumi's runtime records `new Error().stack` for every promise it makes (its leak detector reads
// it only at exit, to report leaked promises), and jest maps each of those stacks through source
// maps: under the mock runtime that was most of the unit tests' time. Those stacks are left as the
// error's one line; every other stack (a failing test's) is still source-mapped by whatever
// formatter jest installed.
// Jest also raises the depth to 100 frames; Node's own 10 still reach the test code.
Error.stackTraceLimit = 10;
const PULUMI_PROMISE_STACK = /@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;

type Formatter = (error: Error, sites: NodeJS.CallSite[]) => unknown;
let installed: Formatter | undefined = Error.prepareStackTrace;

const unformatted = (error: Error, sites: NodeJS.CallSite[]) => `${error}\n    at ${sites[0] ?? "(no frame)"}`;
const nodeFormat = (error: Error, sites: NodeJS.CallSite[]) => [`${error}`, ...sites.map((site) => `    at ${site}`)].join("\n");

Object.defineProperty(Error, "prepareStackTrace", {
    configurable: true,
    get: () => (error: Error, sites: NodeJS.CallSite[]) =>
        PULUMI_PROMISE_STACK.test(sites[0]?.getFileName() ?? "") ? unformatted(error, sites) : (installed ?? nodeFormat)(error, sites),
    set: (formatter: Formatter | undefined) => {
        installed = formatter;
    },
});
