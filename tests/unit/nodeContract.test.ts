import * as fs from "fs";
import * as path from "path";
import { METRICS, s3Keys, ssmParameters, UNITS } from "../../config/contract";
import { NODE_TUNABLES } from "../../config/nodeTunables";
import { memberEnvVars } from "../../components/render/memberEnv";
import { NODE_SCRIPTS, BACKUP_SCRIPTS, KEEPER_SCRIPTS, NODE_LIBRARY } from "../../components/render/nodeScripts";
import { configFiles, DEFAULT_NODE_PATHS } from "../../components/render/paths";
import { REPO_ROOT } from "../helpers/repo";
import { renderInput } from "../helpers/renderInput";

// The node contract (config/contract.ts) reaches the shell scripts only through member.env. A
// script may keep a default for running outside a member (tests, an operator's shell); this checks
// every such literal default against what member.env says, and that no script retypes a name the
// contract owns.

const scripts = [NODE_LIBRARY, ...NODE_SCRIPTS, ...BACKUP_SCRIPTS, ...KEEPER_SCRIPTS].map((name) => ({
    name,
    text: fs.readFileSync(path.join(REPO_ROOT, "node", `${name}.sh`), "utf8"),
}));

const env = new Map(
    memberEnvVars(
        renderInput({
            backup: { bucket: "b", prefix: "proj/prod/etcd", kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k", intervalMinutes: 15, defragIntervalHours: 72 },
            keeper: { image: "evildecay/etcdkeeper:v0.7.6", bindAddress: "127.0.0.1" },
        }),
    ),
);

/** member.env's key of a NodePaths field: configDir -> CONFIG_DIR. */
function envKeyOfPath(field: string): string {
    return field.replace(/([A-Z])/g, "_$1").toUpperCase();
}

/** Every `${NAME:-literal}` in a script whose literal is plain text (no expansion inside). */
function literalDefaults(text: string): Array<{ key: string; value: string }> {
    return [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*):-([^${}"'`]+)\}/g)].map((m) => ({ key: m[1], value: m[2] }));
}

describe("the node scripts and member.env agree", () => {
    // The member.env settings that are the same on every member of every cluster: names and paths the
    // contract and the node layout own. (Settings such as BACKUP_ENABLED differ by stack; a script's
    // "off" default for them is no contract.)
    const constant = new Set(["BACKUP_METRIC_NAMESPACE", "BACKUP_AGE_METRIC", "QUOTA_USED_METRIC", "SERVICE_USER", "ETCD_UNIT", ...Object.keys(DEFAULT_NODE_PATHS).map(envKeyOfPath), "CONFIG_FILE", "CONFIG_NEW_FILE", "CONFIG_EXISTING_FILE", "KEEPER_CERT_DIR"]);
    // Defaults that name no place at all cannot contradict the layout: "not there" outside a member.
    const nowhere = new Set(["/dev/null", "/nonexistent"]);

    test("every literal default of a contract setting equals what member.env sets", () => {
        const checked: string[] = [];
        const wrong: string[] = [];
        for (const { name, text } of scripts) {
            for (const { key, value } of literalDefaults(text)) {
                if (!constant.has(key) || nowhere.has(value)) continue;
                checked.push(`${name}: ${key}`);
                if (env.get(key) !== value) wrong.push(`${name}: ${key} defaults to ${value}, member.env sets ${env.get(key)}`);
            }
        }
        expect(wrong).toEqual([]);
        // The check bites: the metric names and the data dir have such defaults.
        expect(checked).toEqual(expect.arrayContaining(["etcd-backup-common: BACKUP_METRIC_NAMESPACE", "etcd-backup-common: BACKUP_AGE_METRIC", "etcd-backup-common: QUOTA_USED_METRIC", "etcd-backup-common: DATA_DIR", "etcd-backup-common: ETCD_UNIT"]));
    });

    test("every tunable a script reads has the default config/nodeTunables.ts gives it, in the scripts the table names", () => {
        const tunable = /^[A-Z][A-Z0-9_]*_(SECONDS|ATTEMPTS|BYTES)$/;
        const found = scripts.flatMap(({ name, text }) => literalDefaults(text).filter(({ key }) => tunable.test(key)).map(({ key, value }) => ({ script: name, key, value })));
        const table = NODE_TUNABLES as Record<string, { default: number; scripts: readonly string[] }>;
        // Every one the scripts read is in the table, with the table's default.
        expect(found.filter(({ key, value }) => table[key]?.default !== Number(value)).map(({ script, key, value }) => `${script}: ${key} defaults to ${value}`)).toEqual([]);
        // And the table names exactly the scripts that read each one (no stale entry).
        const readers = (key: string) => [...new Set(found.filter((f) => f.key === key).map((f) => f.script))].sort();
        for (const [key, spec] of Object.entries(table)) expect([key, readers(key)]).toEqual([key, [...spec.scripts].sort()]);
        expect(found.length).toBeGreaterThanOrEqual(Object.keys(table).length);
    });

    test("member.env carries the contract's names", () => {
        expect(env.get("BACKUP_AGE_METRIC")).toBe(METRICS.backupAge);
        expect(env.get("QUOTA_USED_METRIC")).toBe(METRICS.quotaUsed);
        expect(env.get("BACKUP_METRIC_NAMESPACE")).toBe(METRICS.namespace);
        expect(env.get("CA_PARAMETER")).toBe(ssmParameters.ca("/etcd/myproj/prod/main"));
        expect(env.get("MEMBER_KEY_PARAMETER")).toBe(`${ssmParameters.memberDir("/etcd/myproj/prod/main", "etcd2")}/member-key.pem`);
        expect(env.get("NODE_CERT_PARAMETER")).toBe(`${ssmParameters.memberDir("/etcd/myproj/prod/main", "etcd2")}/node.pem`);
        expect(env.get("KEEPER_CERT_PARAMETER")).toBe(ssmParameters.keeperCert("/etcd/myproj/prod/main"));
        expect(env.get("KEEPER_KEY_PARAMETER")).toBe(ssmParameters.keeperKey("/etcd/myproj/prod/main"));
        expect(env.get("BACKUP_SCRIPTS_S3")).toBe(`s3://b/${s3Keys.nodeScripts("proj/prod/etcd")}`);
        expect(env.get("START_UNITS")).toBe([UNITS.etcd, UNITS.certSyncTimer, UNITS.memberMetricTimer, UNITS.backupTimer, UNITS.backupMetricsTimer, UNITS.defragTimer].join(" "));
        expect(env.get("ETCD_UNIT")).toBe(UNITS.etcd);
        expect(env.get("KEEPER_UNIT")).toBe(UNITS.keeper);
    });

    test("where the scripts find member.env by default is where it is rendered, and only the library says it", () => {
        const memberEnv = configFiles(DEFAULT_NODE_PATHS).memberEnv;
        const defaults = scripts.flatMap(({ name, text }) => literalDefaults(text).filter((d) => d.key === "ETCD_MEMBER_ENV").map((d) => `${name}: ${d.value}`));
        expect(defaults).toEqual([`${NODE_LIBRARY}: ${memberEnv}`]);
    });

    test("every script loads member.env, logs and runs etcdctl through the one library", () => {
        const sourcesLibrary = /^source "\$\(dirname "\$\(readlink -f "\$\{BASH_SOURCE\[0\]\}"\)"\)\/etcd-node-common\.sh"$/m;
        // What each script used to retype: its own member.env load, log and fail lines, an etcdctl
        // wrapper with the node certificate, JSON read by grep.
        const retyped = [/^\s*source "\$ETCD_MEMBER_ENV"/m, /^(log|fail)\(\)/m, /^etcdctl\(\)/m, /--cacert "\$CA_FILE"/, /grep -o '?"\\?"?[a-z]/];
        const programs = scripts.filter(({ name }) => name !== NODE_LIBRARY && name !== "etcd-backup-common");
        expect(programs.filter(({ text }) => !sourcesLibrary.test(text)).map(({ name }) => name)).toEqual([]);
        expect(programs.flatMap(({ name, text }) => retyped.filter((pattern) => pattern.test(text)).map((pattern) => `${name}: ${pattern}`))).toEqual([]);
        // The patterns match what they look for: the library itself has the wrapper and the log line.
        const library = scripts.find(({ name }) => name === NODE_LIBRARY)!.text;
        expect(library).toMatch(/^log\(\)/m);
        expect(library).toMatch(/source "\$ETCD_MEMBER_ENV"/);
    });

    test("SSM is read and written through the library only (ssm_get, ssm_names_under, ssm_create), which tells 'not there' from 'cannot read'", () => {
        const callsSsm = /aws ssm (get-parameter|get-parameters-by-path|put-parameter)\b/;
        const library = scripts.find(({ name }) => name === NODE_LIBRARY)!.text;
        // etcd-record-formed's formed record alone is overwritten in place (a restore's new token).
        expect(scripts.filter(({ name, text }) => name !== NODE_LIBRARY && name !== "etcd-record-formed" && callsSsm.test(text)).map(({ name }) => name)).toEqual([]);
        for (const call of ["get-parameter", "get-parameters-by-path", "put-parameter"]) expect(library).toContain(`aws ssm ${call} `);
        // The library never overwrites: a new cluster id is created once (the role may not overwrite it).
        expect(library).not.toMatch(/--overwrite/);
        // Each reader of a parameter goes through it (the pattern above would also pass a script that reads none).
        const readers = scripts.filter(({ text }) => /\b(ssm_get|ssm_names_under) "\$/.test(text)).map(({ name }) => name);
        expect(readers).toEqual(expect.arrayContaining(["etcd-fetch-roster", "etcd-fetch-certs", "etcd-choose-state", "etcd-record-formed", "etcd-backup-common"]));
    });

    test("no script retypes an SSM path, an S3 key layout, a metric or a unit name the contract owns", () => {
        const owned = ["/members/", "/keeper/", "node-scripts", "member.pem", "member-key.pem", "node.pem", "node-key.pem", METRICS.backupAge, METRICS.quotaUsed, ...Object.values(UNITS)];
        const found = scripts.flatMap(({ name, text }) =>
            text
                .split("\n")
                .filter((line) => !/^\s*#/.test(line))
                // A default in the ${NAME:-literal} form is the one place allowed (checked above): blank it out.
                .map((line) => line.replace(/\$\{[A-Z][A-Z0-9_]*:-[^}]*\}/g, ""))
                .filter((line) => owned.some((o) => line.includes(o)))
                .map((line) => `${name}: ${line.trim()}`),
        );
        expect(found).toEqual([]);
    });
});
