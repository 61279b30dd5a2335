import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gunzipSync } from "zlib";
import { parse } from "yaml";
import { etcdConfigObject, renderEtcdConfig } from "../../components/render/etcdConfig";
import { ebsDevicePath, memberEnvVars, renderMemberEnv, shellQuote } from "../../components/render/memberEnv";
import { memberFileList } from "../../components/render/memberFiles";
import { NODE_SCRIPTS } from "../../components/render/nodeScripts";
import { DEFAULT_NODE_PATHS, NodePaths, resolveNodePaths } from "../../components/render/paths";
import { renderEtcdService, renderSystemdUnits } from "../../components/render/systemd";
import { MemberRenderInput } from "../../components/render/types";
import { createHash } from "crypto";
import { gzipUserData, renderUserData, renderUserDataBase64, USER_DATA_LIMIT_BYTES } from "../../components/render/userData";
import { FIXTURE_MEMBERS, renderInput } from "../helpers/renderInput";

/** Update only together with a deliberate change of compressor, and say in the changelog that members roll. */
const PINNED_GZIP_SHA256 = "a4e220c8c0ee727c98a19fabfe95cdb156b315b31c94b710f181f807eae4bf22";

const members = [...FIXTURE_MEMBERS];
const input = renderInput;

/** Path on the node -> content, for everything the user data writes. */
const filesByPath = (i: MemberRenderInput, paths?: Partial<NodePaths>) => Object.fromEntries(memberFileList(i, paths).map((f) => [f.path, f.content]));

function sevenMembers(): MemberRenderInput {
    const seven = Array.from({ length: 7 }, (_, i) => ({ name: `etcd-member-${i + 1}`, ip: `10.100.${i}.${200 + i}` }));
    return input({ member: seven[6], members: seven, clusterToken: "etcd-a-rather-long-project-name-production-main-0123abcd" });
}

const ssl = "/etc/ssl/etcd/ssl";
const tls = {
    "cert-file": `${ssl}/member-etcd2.pem`,
    "key-file": `${ssl}/member-etcd2-key.pem`,
    "trusted-ca-file": `${ssl}/ca.pem`,
    "client-cert-auth": true,
    "auto-tls": false,
};
const common = {
    name: "etcd2",
    "data-dir": "/var/lib/etcd/data",
    "listen-peer-urls": "https://10.0.2.10:2380",
    "listen-client-urls": "https://10.0.2.10:2379,https://127.0.0.1:2379",
    "advertise-client-urls": "https://10.0.2.10:2379",
    "initial-advertise-peer-urls": "https://10.0.2.10:2380",
    "initial-cluster-token": "etcd-myproj-prod-main-7f3a",
    "client-transport-security": tls,
    "peer-transport-security": tls,
    "quota-backend-bytes": 8589934592,
    "auto-compaction-mode": "periodic",
    "auto-compaction-retention": "1h",
    "heartbeat-interval": 100,
    "election-timeout": 1000,
    "listen-metrics-urls": "http://10.0.2.10:2381,http://127.0.0.1:2381",
    logger: "zap",
    "log-level": "info",
    "log-outputs": ["stderr"],
    "strict-reconfig-check": true,
};

describe("renderEtcdConfig", () => {
    it("renders the exact 3.6 config of a member of three", () => {
        expect(parse(renderEtcdConfig(input(), "new"))).toEqual({
            ...common,
            "initial-cluster-state": "new",
            "feature-gates": "InitialCorruptCheck=true,CompactHashCheck=true",
        });
    });

    it("renders the 3.5 spellings: experimental-* checks and enable-v2 off, no feature gates", () => {
        expect(parse(renderEtcdConfig(input({ etcdVersion: "3.5.33" }), "existing"))).toEqual({
            ...common,
            "initial-cluster-state": "existing",
            "experimental-initial-corrupt-check": true,
            "experimental-compact-hash-check-enabled": true,
            "enable-v2": false,
        });
    });

    it("renders 3.7 like 3.6: feature gates, no key 3.7 removed", () => {
        const config = parse(renderEtcdConfig(input({ etcdVersion: "3.7.3" }), "new"));
        expect(config).toEqual(parse(renderEtcdConfig(input({ etcdVersion: "3.6.14" }), "new")));
        expect(Object.keys(config).filter((k) => k.startsWith("experimental") || k === "enable-v2")).toEqual([]);
    });

    it("differs between new and existing only in initial-cluster-state", () => {
        const fresh = etcdConfigObject(input(), "new");
        const joining = etcdConfigObject(input(), "existing");
        expect({ ...joining, "initial-cluster-state": "new" }).toEqual(fresh);
    });

    it("leaves initial-cluster out, so no member's config changes when the membership does (etcd-choose-state adds it at boot)", () => {
        const three = etcdConfigObject(input(), "new");
        const five = etcdConfigObject(input({ members: [...members, { name: "etcd4", ip: "10.0.1.11" }, { name: "etcd5", ip: "10.0.2.11" }] }), "new");
        expect(three["initial-cluster"]).toBeUndefined();
        expect(five).toEqual(three);
        expect(renderMemberEnv(input({ members: [...members, { name: "etcd4", ip: "10.0.1.11" }] }))).toBe(renderMemberEnv(input()));
    });

    it("puts every path under the given NodePaths", () => {
        const config = etcdConfigObject(input(), "new", { dataDir: "/tmp/s/data", certDir: "/tmp/s/ssl" });
        expect(config["data-dir"]).toBe("/tmp/s/data");
        expect(config["peer-transport-security"]).toEqual({ ...tls, "cert-file": "/tmp/s/ssl/member-etcd2.pem", "key-file": "/tmp/s/ssl/member-etcd2-key.pem", "trusted-ca-file": "/tmp/s/ssl/ca.pem" });
    });

    it("writes max-request-bytes only when the setting is given (etcd's own default otherwise)", () => {
        expect(parse(renderEtcdConfig(input({ maxRequestBytes: 4 * 1024 ** 2 }), "new"))["max-request-bytes"]).toBe(4194304);
        expect(renderEtcdConfig(input(), "new")).not.toContain("max-request-bytes");
    });

    it("refuses an unsupported etcd line", () => {
        expect(() => renderEtcdConfig(input({ etcdVersion: "3.4.30" }), "new")).toThrow(/3\.4\.30.*not supported/);
    });

    it("refuses a member missing from members", () => {
        expect(() => renderEtcdConfig(input({ member: { name: "etcd9", ip: "10.0.9.9" } }), "new")).toThrow(/must appear in members/);
    });

    it("refuses what AWS answers wrongly at deploy time: an address that is not IPv4, or listed twice", () => {
        expect(() => renderEtcdConfig(input({ members: [...members, { name: "etcd4", ip: members[0].ip }] }), "new")).toThrow(`ip ${members[0].ip} is listed twice in members.`);
        expect(() => renderEtcdConfig(input({ members: [...members, { name: "etcd4", ip: "10.0.4" }] }), "new")).toThrow(/not an IPv4/);
    });

    it("refuses relative paths and paths with blanks", () => {
        expect(() => resolveNodePaths({ dataDir: "data" })).toThrow(/NodePaths.dataDir/);
        expect(() => resolveNodePaths({ dataDir: "/tmp/a b" })).toThrow(/no spaces/);
    });
});

describe("renderMemberEnv", () => {
    const env = renderMemberEnv(input());

    it("sets a node tunable only when a setting asks for it; the scripts' defaults stand otherwise", () => {
        expect(env).not.toContain("PROMOTE_WAIT_SECONDS");
        expect(renderMemberEnv(input({ tunables: { PROMOTE_WAIT_SECONDS: 1800 } }))).toContain("\nPROMOTE_WAIT_SECONDS='1800'\n");
    });

    it("gives the bootstrap unit the time a longer learner wait needs (it runs inside the bootstrap)", () => {
        const timeout = (tunables: MemberRenderInput["tunables"]) => /^TimeoutStartSec=(.+)$/m.exec(renderSystemdUnits(input({ tunables }))["etcd-bootstrap.service"])![1];
        expect(timeout({})).toBe("15min");
        expect(timeout({ PROMOTE_WAIT_SECONDS: 300 })).toBe("15min");
        expect(timeout({ PROMOTE_WAIT_SECONDS: 3600 })).toBe(`${900 + 3000}s`);
    });

    it("quotes a value so a single quote cannot break out", () => {
        expect(shellQuote("it's")).toBe(`'it'\\''s'`);
        const hostile = `x'; touch /tmp/pwned; echo '$(id)\`id\``;
        const out = execFileSync("bash", ["-c", `V=${shellQuote(hostile)}; printf '%s' "$V"`], { encoding: "utf8" });
        expect(out).toBe(hostile);
    });

    it("gives bash exactly the values rendered, including a token with quotes and dollars", () => {
        const tricky = input({ clusterToken: `tok'en "$HOME" \`id\` \\n` });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "member-env-"));
        const file = path.join(dir, "member.env");
        fs.writeFileSync(file, renderMemberEnv(tricky));
        const script = `set -euo pipefail; source "$1"; printf '%s\\n' "$CLUSTER_TOKEN" "$MEMBER_NAME" "$ROSTER_PARAMETER" "$ROSTER_FILE" "$DATA_DEVICE"`;
        let out: string;
        try {
            out = execFileSync("bash", ["-c", script, "bash", file], { encoding: "utf8" });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        expect(out.split("\n").slice(0, 5)).toEqual([
            `tok'en "$HOME" \`id\` \\n`,
            "etcd2",
            "/etcd/myproj/prod/main/cluster/members",
            "/etc/etcd/roster.env",
            "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0",
        ]);
    });

    it("refuses a value with a line break", () => {
        expect(() => renderMemberEnv(input({ clusterToken: "a\nb" }))).toThrow(/line break/);
    });

    it("has every line as KEY='value'", () => {
        for (const line of env.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) {
            expect(line).toMatch(/^[A-Z][A-Z0-9_]*='[^']*'$/);
        }
    });

    it("lists the member, its peers, the release, the volume and all paths", () => {
        const vars = Object.fromEntries(memberEnvVars(input()));
        expect(vars).toMatchObject({
            MEMBER_NAME: "etcd2",
            MEMBER_IP: "10.0.2.10",
            MEMBER_PEER_URL: "https://10.0.2.10:2380",
            LOCAL_CLIENT_URL: "https://10.0.2.10:2379",
            ROSTER_PARAMETER: "/etcd/myproj/prod/main/cluster/members",
            ROSTER_FILE: "/etc/etcd/roster.env",
            ETCD_RELEASE_URL: "https://github.com/etcd-io/etcd/releases/download/v3.6.14/etcd-v3.6.14-linux-amd64.tar.gz",
            DATA_VOLUME_ID: "vol-0123456789abcdef0",
            AWS_REGION: "eu-west-1",
            PARAMETER_PREFIX: "/etcd/myproj/prod/main",
            CONFIG_FILE: "/etc/etcd/etcd.yaml",
            CA_FILE: "/etc/ssl/etcd/ssl/ca.pem",
            NODE_CERT_FILE: "/etc/ssl/etcd/ssl/node-etcd2.pem",
            NODE_KEY_FILE: "/etc/ssl/etcd/ssl/node-etcd2-key.pem",
            MOUNT_POINT: "/var/lib/etcd",
            DATA_DIR: "/var/lib/etcd/data",
            SBIN_DIR: "/usr/local/sbin",
        });
    });

    it("derives the NVMe device name of the volume", () => {
        expect(ebsDevicePath("vol-0abc12345678def90")).toBe("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc12345678def90");
        expect(() => ebsDevicePath("vol_1")).toThrow(/EBS volume id/);
    });
});

describe("systemd units", () => {
    it("runs etcd as a notify service of the etcd user with the chosen config", () => {
        const unit = renderEtcdService(input());
        for (const line of [
            "Type=notify",
            "User=etcd",
            "ExecStart=/usr/local/bin/etcd --config-file /etc/etcd/etcd.yaml",
            "Restart=always",
            "RestartSec=5",
            "LimitNOFILE=65536",
            "TimeoutStartSec=600",
            "RequiresMountsFor=/var/lib/etcd",
            "WantedBy=multi-user.target",
        ]) {
            expect(unit.split("\n")).toContain(line);
        }
    });

    it("re-reads certificates on the configured interval", () => {
        const units = renderSystemdUnits(input({ certSyncIntervalMinutes: 15 }));
        expect(Object.keys(units)).toEqual(["etcd.service", "etcd-bootstrap.service", "etcd-cert-sync.service", "etcd-cert-sync.timer", "etcd-member-metric.service", "etcd-member-metric.timer"]);
        expect(units["etcd-cert-sync.timer"].split("\n")).toEqual(expect.arrayContaining(["OnUnitActiveSec=15min", "OnBootSec=15min", "Unit=etcd-cert-sync.service"]));
        expect(units["etcd-cert-sync.service"].split("\n")).toContain("ExecStartPost=/usr/local/sbin/etcd-cert-expiry");
        expect(units["etcd-member-metric.timer"].split("\n")).toEqual(expect.arrayContaining(["OnUnitActiveSec=1min", "Unit=etcd-member-metric.service"]));
        expect(units["etcd-member-metric.service"].split("\n")).toContain("ExecStart=/usr/local/sbin/etcd-member-metric");
        expect(units["etcd-cert-sync.service"].split("\n")).toEqual(
            expect.arrayContaining(["Type=oneshot", "Environment=ETCD_MEMBER_ENV=/etc/etcd/member.env", "ExecStart=/usr/local/sbin/etcd-fetch-certs"]),
        );
    });
});

describe("member files and user data", () => {
    it("lists every file the node gets, scripts executable", () => {
        const files = memberFileList(input());
        expect(files.map((f) => [f.path, f.mode])).toEqual([
            ["/etc/etcd/member.env", "0644"],
            ["/etc/etcd/etcd.new.yaml", "0644"],
            ["/etc/etcd/etcd.existing.yaml", "0644"],
            ["/etc/systemd/system/etcd.service", "0644"],
            ["/etc/systemd/system/etcd-bootstrap.service", "0644"],
            ["/etc/systemd/system/etcd-cert-sync.service", "0644"],
            ["/etc/systemd/system/etcd-cert-sync.timer", "0644"],
            ["/etc/systemd/system/etcd-member-metric.service", "0644"],
            ["/etc/systemd/system/etcd-member-metric.timer", "0644"],
            ["/usr/local/sbin/etcd-node-common.sh", "0644"],
            ...NODE_SCRIPTS.map((s) => [`/usr/local/sbin/${s}`, "0755"]),
        ]);
        for (const f of files.filter((f) => f.kind === "script")) {
            expect(f.content.startsWith("#!/usr/bin/env bash\n")).toBe(true);
            expect(f.content).toContain("set -euo pipefail");
        }
    });

    it("places files under overridden paths", () => {
        const root = "/tmp/sandbox/etcd2";
        const paths = { configDir: `${root}/etc`, certDir: `${root}/ssl`, dataDir: `${root}/data`, mountPoint: root, binDir: `${root}/bin`, sbinDir: `${root}/sbin`, systemdDir: `${root}/systemd`, runtimeDir: `${root}/run` };
        expect(Object.keys(filesByPath(input(), paths)).every((p) => p.startsWith(`${root}/`))).toBe(true);
        expect(DEFAULT_NODE_PATHS.configDir).toBe("/etc/etcd");
    });

    it("is a #cloud-config that writes every member file and starts the bootstrap unit", () => {
        const text = renderUserData(input());
        expect(text.startsWith("#cloud-config\n")).toBe(true);
        const doc = parse(text);
        const files = filesByPath(input());
        expect(Object.fromEntries(doc.write_files.map((f: { path: string; content: string }) => [f.path, f.content]))).toEqual(files);
        expect(doc.runcmd).toEqual([
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", "--no-block", "etcd-bootstrap.service"],
        ]);
        // The unit runs the bootstrap at every boot and retries a failed one without limit.
        const unit = files["/etc/systemd/system/etcd-bootstrap.service"];
        expect(unit).toContain("ExecStart=/usr/local/sbin/etcd-bootstrap\n");
        expect(unit).toContain("Environment=ETCD_MEMBER_ENV=/etc/etcd/member.env\n");
        expect(unit).toMatch(/^Restart=on-failure$/m);
        expect(unit).toMatch(/^RestartSec=30$/m);
        expect(unit).toMatch(/^StartLimitIntervalSec=0$/m);
        expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
        expect(doc.users[1]).toMatchObject({ name: "etcd", system: true });
    });

    it("carries no certificate or key material", () => {
        // (etcd-fetch-certs names the PEM types it expects, so the words alone may appear; armor may not.)
        for (const text of [renderUserData(input()), renderUserData(sevenMembers())]) {
            expect(text).not.toMatch(/-----BEGIN [A-Z ]+-----|PRIVATE KEY-----|BEGIN CERTIFICATE/);
        }
    });

    it("stays under EC2's 16 KB limit for 7 members when compressed, and decompresses to the document", () => {
        const seven = sevenMembers();
        const compressed = Buffer.from(renderUserDataBase64(seven), "base64");
        expect(compressed.length).toBeLessThan(USER_DATA_LIMIT_BYTES);
        expect(gunzipSync(compressed).toString("utf8")).toBe(renderUserData(seven));
        expect(renderUserDataBase64(seven)).toBe(renderUserDataBase64(seven));
    });

    it("compresses byte for byte the same on every Node.js build (a changed byte would replace members)", () => {
        // gzip of a fixed text by the pinned compressor, independent of the document's content changes.
        const fixed = "#cloud-config\nwrite_files: []\n".repeat(50);
        expect(createHash("sha256").update(gzipUserData(fixed)).digest("hex")).toBe(PINNED_GZIP_SHA256);
        expect(gzipUserData(fixed).subarray(4, 8)).toEqual(Buffer.from([0, 0, 0, 0])); // mtime 0
    });

    it("renders the user data of a member of three (snapshot a reviewer reads)", () => {
        expect(renderUserData(input())).toMatchSnapshot();
    });
});
