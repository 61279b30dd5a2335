import { DEFAULT_ETCD_VERSION } from "../../config/etcdReleases";
import { toolPath } from "../../tools/toolchain";

/** The etcd release tests run against: ETCD_TEST_VERSION, else the package's default. */
export function testEtcdVersion(): string {
    return process.env.ETCD_TEST_VERSION || DEFAULT_ETCD_VERSION;
}

/** Versions listed in ETCD_TEST_VERSIONS (comma or space separated), else just the default test version. */
export function testEtcdVersions(): string[] {
    const listed = (process.env.ETCD_TEST_VERSIONS ?? "").split(/[\s,]+/).filter((v) => v !== "");
    return listed.length > 0 ? listed : [testEtcdVersion()];
}

/**
 * Directory holding etcd, etcdctl and etcdutl of `version`, built from the Go module proxy by
 * scripts/tools.sh (cached; the first build of a version takes minutes).
 */
export function etcdBinDir(version: string = testEtcdVersion()): string {
    return toolPath("etcd", version);
}
