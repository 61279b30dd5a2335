import { ConfigError } from "./errors";

/** etcd's supported minor lines (late 2026). Older lines no longer get fixes; newer ones are untested here. */
export const SUPPORTED_ETCD_LINES = ["3.5", "3.6", "3.7"] as const;
export type EtcdLine = (typeof SUPPORTED_ETCD_LINES)[number];

/** A release pinned to one tarball and the checksum every member verifies before installing it. */
export interface EtcdRelease {
    version: string;
    line: EtcdLine;
    sha256: string;
    /** File name of the official tarball, as listed in the release's SHA256SUMS. */
    tarball: string;
    /** Set when the checksum is the user's own build's, not the published one (own mirror only). */
    ownBuild?: true;
}

/** The newest 3.6 patch whose published checksum could be verified offline; Kubernetes 1.35/1.36 ship with 3.6. */
export const DEFAULT_ETCD_VERSION = "3.6.14";

export const DEFAULT_ETCD_MIRROR = "https://github.com/etcd-io/etcd/releases/download";

/**
 * sha256 of the official etcd-v<version>-linux-<arch>.tar.gz, copied from kubespray's
 * roles/kubespray_defaults/vars/main/checksums.yml (etcd_binary_checksums, commit 46dbdd39).
 * The two newest 3.6 patches and the two newest 3.5 patches: 3.5 clusters need a current 3.5
 * patch before they move to 3.6. No 3.7 checksums were available offline, so 3.7 releases work
 * only with etcdSha256.
 */
export const ETCD_RELEASE_CHECKSUMS: Readonly<Record<string, Readonly<{ amd64: string; arm64: string }>>> = Object.freeze({
    "3.6.14": Object.freeze({
        amd64: "ffe840ff9295808e88cce2794a18a5ac87f12a5203c8314d0bf6aa119b41bac5",
        arm64: "fa1b80565ee6fc2df1ae6f57a508b221f3ecc7d591c317c581cd8281b0842b3e",
    }),
    "3.6.13": Object.freeze({
        amd64: "b4928654aed84d90952620c7144555e4186d795e1e7414e65fe0cf6265fd0465",
        arm64: "5ab53ff70301fa9d782fa4b59fdfc1fae49ffdf427a0afb3cd313a93449800fc",
    }),
    "3.5.33": Object.freeze({
        amd64: "5025b5b24d81a9616b6e284ccd439b9a3df055ef8fdcdc142af3ec8f6a3b3c95",
        arm64: "0764c5c0acef155f4bfa0487791cc5776adef66315bf16ec0653883bfd463a90",
    }),
    "3.5.32": Object.freeze({
        amd64: "83532f9290ee89106c4c9d0467220f65623c1faadaab800d727f7beccce4d7dd",
        arm64: "89f3ec49bc026c77ab5862c34f0623f09b48ec75e659082c92829669c6e36b3c",
    }),
});

const RELEASE_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** The minor line of a release version, refusing malformed versions and unsupported lines. */
export function etcdLine(version: string): EtcdLine {
    const match = typeof version === "string" ? RELEASE_VERSION.exec(version) : null;
    if (!match) {
        const hint = typeof version === "string" && /^v\d/.test(version) ? ` Write it without the leading "v": ${version.slice(1)}.` : "";
        throw new ConfigError(
            "etcdVersion",
            version,
            `Use a release version like ${DEFAULT_ETCD_VERSION}: three numbers, no pre-release suffix.${hint}`,
        );
    }
    const line = `${match[1]}.${match[2]}`;
    if (!(SUPPORTED_ETCD_LINES as readonly string[]).includes(line)) {
        throw new ConfigError(
            "etcdVersion",
            version,
            `etcd ${line} is not supported; use a release of ${SUPPORTED_ETCD_LINES.join(", ")} (the default is ${DEFAULT_ETCD_VERSION}).`,
        );
    }
    return line as EtcdLine;
}

/**
 * The release to install and the checksum to verify it with. A shipped checksum is used unless the
 * user gives one; a user's checksum that contradicts a shipped one is refused, never preferred,
 * with one exception: from a mirror of the user's own (`ownMirror`), a build of their own (patched,
 * FIPS, or made from source) is allowed under its own checksum, marked `ownBuild`, and the plan
 * warns. Members still check that checksum before unpacking anything.
 */
export function resolveEtcdRelease(version: string, arch: "amd64" | "arm64", explicitSha256?: string, ownMirror = false): EtcdRelease {
    const line = etcdLine(version);
    const tarball = `etcd-v${version}-linux-${arch}.tar.gz`;
    const explicit = explicitSha256 === undefined ? undefined : checkedSha256(explicitSha256, tarball);
    const shipped = Object.prototype.hasOwnProperty.call(ETCD_RELEASE_CHECKSUMS, version) ? ETCD_RELEASE_CHECKSUMS[version][arch] : undefined;

    if (shipped !== undefined && explicit !== undefined && explicit !== shipped) {
        if (ownMirror) return { version, line, sha256: explicit, tarball, ownBuild: true };
        throw new ConfigError(
            "etcdSha256",
            explicitSha256,
            `${tarball} is published with sha256 ${shipped}; a different value means a typo or a tampered mirror. Remove etcdSha256 to use the published checksum, or correct it (a build of your own is allowed only from your own etcdMirrorUrl).`,
        );
    }
    const sha256 = explicit ?? shipped;
    if (sha256 === undefined) {
        const shippedVersions = Object.keys(ETCD_RELEASE_CHECKSUMS).join(", ");
        throw new ConfigError(
            "etcdVersion",
            version,
            `This package ships no checksum for ${version}: set etcdSha256 to the sha256 of ${tarball} from the release's SHA256SUMS, or use one of ${shippedVersions}.`,
        );
    }
    return { version, line, sha256, tarball };
}

/** Where a member downloads the tarball: `<mirror>/v<version>/etcd-v<version>-linux-<arch>.tar.gz`. */
export function etcdTarballUrl(mirror: string, version: string, arch: "amd64" | "arm64"): string {
    return `${mirror.replace(/\/+$/, "")}/v${version}/etcd-v${version}-linux-${arch}.tar.gz`;
}

/** The lower-case hex digest, or a refusal naming the file whose checksum is wanted. */
function checkedSha256(value: string, tarball: string): string {
    if (typeof value !== "string" || !SHA256_HEX.test(value)) {
        throw new ConfigError(
            "etcdSha256",
            value,
            `Use the 64 hexadecimal characters of the sha256 of ${tarball}, as listed in the release's SHA256SUMS (no "sha256:" prefix, no file name).`,
        );
    }
    return value.toLowerCase();
}
