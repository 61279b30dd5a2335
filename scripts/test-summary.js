// Adds up jest's JSON reports into the one closing line CI reads: "tests: N passed, N failed".
const fs = require("fs");

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
    if (!fs.existsSync(file)) {
        failed += 1; // a run that wrote no report crashed
        continue;
    }
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += report.numPassedTests;
    failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
    skipped += report.numPendingTests;
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
