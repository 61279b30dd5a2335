import fc from "fast-check";
import {
    DEFAULT_ETCD_MIRROR,
    DEFAULT_ETCD_VERSION,
    ETCD_RELEASE_CHECKSUMS,
    etcdLine,
    etcdTarballUrl,
    resolveEtcdRelease,
    SUPPORTED_ETCD_LINES,
} from "../../config/etcdReleases";
import { refusal } from "../helpers/refusal";


// Copied by hand from kubespray's checksums.yml, independently of the module, to catch a slipped digit.
const AMD64_3_6_14 = "ffe840ff9295808e88cce2794a18a5ac87f12a5203c8314d0bf6aa119b41bac5";
const ARM64_3_6_14 = "fa1b80565ee6fc2df1ae6f57a508b221f3ecc7d591c317c581cd8281b0842b3e";
const SOME_SHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

describe("constants", () => {
    test("defaults and supported lines", () => {
        expect(DEFAULT_ETCD_VERSION).toBe("3.6.14");
        expect(DEFAULT_ETCD_MIRROR).toBe("https://github.com/etcd-io/etcd/releases/download");
        expect(SUPPORTED_ETCD_LINES).toEqual(["3.5", "3.6", "3.7"]);
    });

    test("checksums ship for 3.6.14, 3.6.13, 3.5.33 and 3.5.32, both architectures, as lower-case sha256 hex", () => {
        expect(Object.keys(ETCD_RELEASE_CHECKSUMS)).toEqual(["3.6.14", "3.6.13", "3.5.33", "3.5.32"]);
        for (const sums of Object.values(ETCD_RELEASE_CHECKSUMS)) {
            expect(Object.keys(sums).sort()).toEqual(["amd64", "arm64"]);
            expect(sums.amd64).toMatch(/^[0-9a-f]{64}$/);
            expect(sums.arm64).toMatch(/^[0-9a-f]{64}$/);
            expect(sums.amd64).not.toBe(sums.arm64);
        }
        const all = Object.values(ETCD_RELEASE_CHECKSUMS).flatMap((s) => [s.amd64, s.arm64]);
        expect(new Set(all).size).toBe(all.length);
    });

    test("the default version has a shipped checksum, equal to kubespray's", () => {
        expect(ETCD_RELEASE_CHECKSUMS[DEFAULT_ETCD_VERSION]).toEqual({ amd64: AMD64_3_6_14, arm64: ARM64_3_6_14 });
    });

    test("no 3.7 checksum ships", () => {
        expect(Object.keys(ETCD_RELEASE_CHECKSUMS).filter((v) => v.startsWith("3.7."))).toEqual([]);
    });

    test("the checksum table cannot be changed by a caller", () => {
        expect(Object.isFrozen(ETCD_RELEASE_CHECKSUMS)).toBe(true);
        Object.values(ETCD_RELEASE_CHECKSUMS).forEach((s) => expect(Object.isFrozen(s)).toBe(true));
    });
});

describe("etcdLine", () => {
    test.each([
        ["3.5.0", "3.5"],
        ["3.5.33", "3.5"],
        ["3.6.14", "3.6"],
        ["3.7.0", "3.7"],
        ["3.7.3", "3.7"],
        ["3.7.100", "3.7"],
    ])("%s is in line %s", (version, line) => {
        expect(etcdLine(version)).toBe(line);
    });

    test.each(["3.4.37", "3.3.27", "2.3.8", "3.8.0", "3.10.0", "4.0.0", "0.5.0"])("refuses %s: unsupported line", (version) => {
        const error = refusal(() => etcdLine(version));
        expect(error.setting).toBe("etcdVersion");
        expect(error.message).toContain(`Invalid setting etcdVersion: got "${version}".`);
        expect(error.message).toContain("is not supported; use a release of 3.5, 3.6, 3.7");
    });

    test.each(["3.6", "3", "3.6.14.1", "3.6.14-rc.0", "3.6.x", "03.6.14", "3.06.14", " 3.6.14", "3.6.14 ", "latest", ""])(
        "refuses %p: malformed version",
        (version) => {
            const error = refusal(() => etcdLine(version));
            expect(error.setting).toBe("etcdVersion");
            expect(error.message).toContain(`Invalid setting etcdVersion: got ${JSON.stringify(version)}.`);
            expect(error.message).toContain("three numbers");
        },
    );

    test("refuses v3.6.14: malformed, and says to drop the v", () => {
        const error = refusal(() => etcdLine("v3.6.14"));
        expect(error.message).toContain('got "v3.6.14".');
        expect(error.message).toContain('without the leading "v": 3.6.14');
    });

    test("refuses a number such as 3.6 read from untyped config", () => {
        expect(refusal(() => etcdLine(3.6 as unknown as string)).message).toContain("got 3.6.");
    });
});

describe("resolveEtcdRelease", () => {
    test.each([
        ["amd64", AMD64_3_6_14],
        ["arm64", ARM64_3_6_14],
    ] as const)("the default version on %s uses the shipped checksum", (arch, sha256) => {
        expect(resolveEtcdRelease(DEFAULT_ETCD_VERSION, arch)).toEqual({
            version: "3.6.14",
            line: "3.6",
            sha256,
            tarball: `etcd-v3.6.14-linux-${arch}.tar.gz`,
        });
    });

    test.each(Object.keys(ETCD_RELEASE_CHECKSUMS))("shipped version %s resolves on both architectures", (version) => {
        expect(resolveEtcdRelease(version, "amd64").sha256).toBe(ETCD_RELEASE_CHECKSUMS[version].amd64);
        expect(resolveEtcdRelease(version, "arm64").sha256).toBe(ETCD_RELEASE_CHECKSUMS[version].arm64);
    });

    test("an explicit checksum equal to the shipped one is accepted, in either case", () => {
        expect(resolveEtcdRelease("3.6.14", "amd64", AMD64_3_6_14).sha256).toBe(AMD64_3_6_14);
        expect(resolveEtcdRelease("3.6.14", "amd64", AMD64_3_6_14.toUpperCase()).sha256).toBe(AMD64_3_6_14);
    });

    test("3.7.3 with an explicit checksum is accepted and the checksum lower-cased", () => {
        expect(resolveEtcdRelease("3.7.3", "arm64", SOME_SHA.toUpperCase())).toEqual({
            version: "3.7.3",
            line: "3.7",
            sha256: SOME_SHA,
            tarball: "etcd-v3.7.3-linux-arm64.tar.gz",
        });
    });

    test("refuses 3.7.3 without etcdSha256: no shipped checksum", () => {
        const error = refusal(() => resolveEtcdRelease("3.7.3", "arm64"));
        expect(error.setting).toBe("etcdVersion");
        expect(error.message).toContain('Invalid setting etcdVersion: got "3.7.3".');
        expect(error.message).toContain(
            "set etcdSha256 to the sha256 of etcd-v3.7.3-linux-arm64.tar.gz from the release's SHA256SUMS, or use one of 3.6.14, 3.6.13, 3.5.33, 3.5.32.",
        );
    });

    test("refuses 3.6.12 without etcdSha256: supported line, but no shipped checksum", () => {
        const error = refusal(() => resolveEtcdRelease("3.6.12", "amd64"));
        expect(error.setting).toBe("etcdVersion");
        expect(error.message).toContain("etcd-v3.6.12-linux-amd64.tar.gz");
    });

    test("refuses 3.4.37 even with etcdSha256: unsupported line", () => {
        const error = refusal(() => resolveEtcdRelease("3.4.37", "amd64", SOME_SHA));
        expect(error.setting).toBe("etcdVersion");
        expect(error.message).toContain('got "3.4.37"');
    });

    test("refuses an etcdSha256 that differs from the shipped checksum: typo or tampered mirror", () => {
        const error = refusal(() => resolveEtcdRelease("3.6.14", "amd64", SOME_SHA));
        expect(error.setting).toBe("etcdSha256");
        expect(error.message).toContain(`Invalid setting etcdSha256: got "${SOME_SHA}".`);
        expect(error.message).toContain(`etcd-v3.6.14-linux-amd64.tar.gz is published with sha256 ${AMD64_3_6_14}`);
        expect(error.message).toContain("tampered mirror");
    });

    test("accepts a build of one's own under its own checksum only from one's own mirror, marked as such", () => {
        expect(resolveEtcdRelease("3.6.14", "amd64", SOME_SHA, true)).toEqual({ version: "3.6.14", line: "3.6", sha256: SOME_SHA, tarball: "etcd-v3.6.14-linux-amd64.tar.gz", ownBuild: true });
        expect(resolveEtcdRelease("3.6.14", "amd64", AMD64_3_6_14, true).ownBuild).toBeUndefined();
        expect(refusal(() => resolveEtcdRelease("3.6.14", "amd64", SOME_SHA, false)).message).toContain("only from your own etcdMirrorUrl");
    });

    test("refuses the arm64 checksum given for amd64: differs from the shipped checksum", () => {
        expect(refusal(() => resolveEtcdRelease("3.6.14", "amd64", ARM64_3_6_14)).setting).toBe("etcdSha256");
    });

    test.each([
        ["63 characters", SOME_SHA.slice(1)],
        ["65 characters", `${SOME_SHA}0`],
        ["a sha256: prefix", `sha256:${SOME_SHA}`],
        ["a non-hex character", `g${SOME_SHA.slice(1)}`],
        ["a SHA256SUMS line", `${SOME_SHA}  etcd-v3.7.3-linux-amd64.tar.gz`],
        ["an empty string", ""],
    ])("refuses etcdSha256 with %s: not 64 hex characters", (_, sha) => {
        const error = refusal(() => resolveEtcdRelease("3.7.3", "amd64", sha));
        expect(error.setting).toBe("etcdSha256");
        expect(error.message).toContain(`Invalid setting etcdSha256: got ${JSON.stringify(sha)}.`);
        expect(error.message).toContain("64 hexadecimal characters of the sha256 of etcd-v3.7.3-linux-amd64.tar.gz");
    });
});

describe("resolveEtcdRelease properties", () => {
    const arch = fc.constantFrom("amd64" as const, "arm64" as const);
    const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
    const unshippedInSupportedLine = fc
        .tuple(fc.constantFrom(...SUPPORTED_ETCD_LINES), fc.integer({ min: 0, max: 999 }))
        .map(([line, patch]) => `${line}.${patch}`)
        .filter((v) => !(v in ETCD_RELEASE_CHECKSUMS));

    test("a supported line's unshipped version is refused without etcdSha256 and accepted with it", () => {
        fc.assert(
            fc.property(unshippedInSupportedLine, arch, hex64, (version, a, sha) => {
                expect(refusal(() => resolveEtcdRelease(version, a)).setting).toBe("etcdVersion");
                expect(resolveEtcdRelease(version, a, sha)).toEqual({
                    version,
                    line: version.split(".").slice(0, 2).join("."),
                    sha256: sha,
                    tarball: `etcd-v${version}-linux-${a}.tar.gz`,
                });
            }),
        );
    });

    test("any version outside 3.5, 3.6 and 3.7 is refused", () => {
        const version = fc
            .tuple(fc.nat(20), fc.nat(20), fc.nat(50))
            .map(([major, minor, patch]) => `${major}.${minor}.${patch}`)
            .filter((v) => !["3.5.", "3.6.", "3.7."].some((line) => v.startsWith(line)));
        fc.assert(
            fc.property(version, arch, hex64, (v, a, sha) => {
                expect(refusal(() => resolveEtcdRelease(v, a, sha)).setting).toBe("etcdVersion");
            }),
        );
    });

    test("arbitrary strings are either well-formed supported versions or refused as etcdVersion", () => {
        fc.assert(
            fc.property(fc.string(), (s) => {
                if (/^3\.[567]\.(0|[1-9]\d*)$/.test(s)) {
                    expect(etcdLine(s)).toBe(s.slice(0, 3));
                } else {
                    expect(refusal(() => etcdLine(s)).setting).toBe("etcdVersion");
                }
            }),
        );
    });
});

describe("etcdTarballUrl", () => {
    test("joins mirror, tag and file name", () => {
        expect(etcdTarballUrl(DEFAULT_ETCD_MIRROR, "3.6.14", "arm64")).toBe(
            "https://github.com/etcd-io/etcd/releases/download/v3.6.14/etcd-v3.6.14-linux-arm64.tar.gz",
        );
    });

    test("drops trailing slashes from the mirror", () => {
        expect(etcdTarballUrl("https://mirror.example.com/etcd/", "3.5.33", "amd64")).toBe(
            "https://mirror.example.com/etcd/v3.5.33/etcd-v3.5.33-linux-amd64.tar.gz",
        );
        expect(etcdTarballUrl("https://mirror.example.com//", "3.5.33", "amd64")).toBe(
            "https://mirror.example.com/v3.5.33/etcd-v3.5.33-linux-amd64.tar.gz",
        );
    });

    test("ends with the same file name resolveEtcdRelease reports", () => {
        const release = resolveEtcdRelease("3.6.13", "amd64");
        expect(etcdTarballUrl(DEFAULT_ETCD_MIRROR, release.version, "amd64").endsWith(`/${release.tarball}`)).toBe(true);
    });
});
