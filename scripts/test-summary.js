// Adds up jest's JSON reports into the one closing line CI reads: "tests: N passed, N failed".
// Exits 1 when no test ran at all (a filter that matched nothing is not a pass).
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
if (passed + failed === 0) {
    console.error("no test ran: check the file names or the -t pattern");
    process.exitCode = 1;
}
