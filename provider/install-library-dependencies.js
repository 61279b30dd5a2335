// `npm install` in this directory (what Pulumi runs for a source-based plugin it fetched) also
// installs the library's own dependencies one level up: the component's code lives there and
// resolves its packages from ../node_modules. Nothing happens when they are already installed.
const { execFileSync } = require("child_process");
const { existsSync } = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
if (!existsSync(path.join(root, "node_modules", "@pulumi", "pulumi", "package.json"))) {
    const npmCli = process.env.npm_execpath;
    const [command, args] = npmCli ? [process.execPath, [npmCli]] : ["npm", []];
    execFileSync(command, [...args, "ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
}
