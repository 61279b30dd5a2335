import * as fs from "fs";
import * as path from "path";
import { planCli } from "../helpers/planCli";
import { REPO_ROOT } from "../helpers/repo";

// An upgrade of the package must never replace a user's resources by renaming them: Pulumi keys
// state by URN, so a URN that disappears is a delete plus a create. tests/fixtures/urns/<stack>.txt
// holds the engine URNs of each committed stack as deployed by earlier versions (recorded from
// `npm run plan -- --stack S --json`, .resources[].urn). Every one must still be produced, or be
// named by an alias of a resource that is.

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "urns");
const stacks = fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".txt")).map((f) => f.replace(/\.txt$/, ""));

describe("every URN of the committed stacks is kept or aliased", () => {
    test("the fixtures cover every committed stack", () => {
        const committed = fs.readdirSync(REPO_ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
        expect(stacks.sort()).toEqual(committed);
    });

    test.each(stacks)("stack %s", (stack) => {
        const recorded = fs.readFileSync(path.join(FIXTURES, `${stack}.txt`), "utf8").split("\n").filter(Boolean);
        expect(recorded.length).toBeGreaterThan(100);
        const { code, stdout, stderr } = planCli(["--stack", stack, "--json"]);
        expect(stderr).toBe("");
        expect(code).toBe(0);
        const resources: { urn: string; aliases: string[] }[] = JSON.parse(stdout).resources;
        const known = new Set(resources.flatMap((r) => [r.urn, ...r.aliases]));
        expect(recorded.filter((urn) => !known.has(urn))).toEqual([]);
    });
});
