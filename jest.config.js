// Two projects: `unit` runs in seconds with no processes; `integration` starts real processes
// (etcd binaries, the plan CLI, node scripts) and may take minutes.
const common = {
    preset: "ts-jest",
    testEnvironment: "node",
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: { warnOnly: false } }] },
};

// When it is imported, @pulumi/pulumi also loads TypeScript (9 MB) and npm's arborist for its
// function serialization, and its automation API (1 MB): no component here uses either. Jest loads
// every module afresh for each test file, so in unit tests these were more than half of each file's
// fixed cost. They are replaced by a module that fails the test if anything reads it. Only Pulumi's
// own requests are mapped: a test that imports typescript itself still gets it.
const PULUMI_PARTS_UNUSED_HERE = {
    "^(\\.\\./)+typescript-shim$": "<rootDir>/tests/helpers/notLoaded.js",
    "^\\./typescript-shim$": "<rootDir>/tests/helpers/notLoaded.js",
    "^@npmcli/arborist$": "<rootDir>/tests/helpers/notLoaded.js",
    "^\\./automation$": "<rootDir>/tests/helpers/notLoaded.js",
};

module.exports = {
    testTimeout: 180000,
    projects: [
        { ...common, displayName: "unit", testMatch: ["<rootDir>/tests/unit/**/*.test.ts"], setupFiles: ["<rootDir>/tests/helpers/fastStacks.ts"], moduleNameMapper: PULUMI_PARTS_UNUSED_HERE },
        { ...common, displayName: "integration", testMatch: ["<rootDir>/tests/integration/**/*.test.ts"] },
    ],
};
