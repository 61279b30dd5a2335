// Two projects: `unit` runs in seconds with no processes; `integration` starts real processes
// (etcd binaries, the plan CLI, node scripts) and may take minutes.
const common = {
    preset: "ts-jest",
    testEnvironment: "node",
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: { warnOnly: false } }] },
};

module.exports = {
    testTimeout: 180000,
    projects: [
        { ...common, displayName: "unit", testMatch: ["<rootDir>/tests/unit/**/*.test.ts"], setupFiles: ["<rootDir>/tests/helpers/fastStacks.ts"] },
        { ...common, displayName: "integration", testMatch: ["<rootDir>/tests/integration/**/*.test.ts"] },
    ],
};
