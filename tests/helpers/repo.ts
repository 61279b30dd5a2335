import * as path from "path";

/** The repository's root, for every test and helper. */
export const REPO_ROOT = path.resolve(__dirname, "../..");

/**
 * The test process's environment without the etcd, etcdctl, AWS and backup settings an operator may
 * have exported (each would change what a script or etcdctl does). The tool caches
 * (PULUMI_ETCD_TOOLS_DIR, GOMODCACHE, GOCACHE) pass through.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (!/^(ETCDCTL_|ETCD_|AWS_|BACKUP_|RESTORE_)/.test(k)) env[k] = v;
    }
    return { ...env, ...extra };
}
