import { stringify } from "yaml";
import { clientUrl, peerUrl } from "../../config/contract";
import { etcdLine } from "../../config/etcdReleases";
import { certFiles, NodePaths, resolveNodePaths } from "./paths";
import { MemberRenderInput } from "./types";
import { checkRenderInput, clientListenUrls, metricsListenUrls } from "./urls";

export type { NodePaths } from "./paths";
export { DEFAULT_NODE_PATHS, resolveNodePaths } from "./paths";

export type InitialClusterState = "new" | "existing";

/**
 * The config etcd is started with (`etcd --config-file`), as an object; `renderEtcdConfig` serializes it.
 *
 * `state` is `initial-cluster-state`: "new" for the static bootstrap (also used when the member already
 * has data, where etcd ignores the initial-cluster settings), "existing" for a member that was just
 * `member add`ed to a running cluster. `initial-cluster` is not rendered: etcd-choose-state adds it
 * at boot, from the roster for "new" and from the member list after `member add` for "existing", so
 * the user data of a member does not change when others are added or removed.
 */
export function etcdConfigObject(
    input: MemberRenderInput,
    state: InitialClusterState,
    paths?: Partial<NodePaths>,
): Record<string, unknown> {
    checkRenderInput(input);
    if (state !== "new" && state !== "existing") {
        throw new Error(`initial-cluster-state must be "new" or "existing"; got ${JSON.stringify(state)}.`);
    }
    const p = resolveNodePaths(paths);
    const certs = certFiles(p, input.member.name);
    const ip = input.member.ip;
    const line = etcdLine(input.etcdVersion);

    const security = (cert: string, key: string) => ({
        "cert-file": cert,
        "key-file": key,
        "trusted-ca-file": certs.ca,
        "client-cert-auth": true,
        "auto-tls": false,
    });

    const config: Record<string, unknown> = {
        name: input.member.name,
        "data-dir": p.dataDir,
        "listen-peer-urls": peerUrl(ip),
        "listen-client-urls": clientListenUrls(ip).join(","),
        "advertise-client-urls": clientUrl(ip),
        "initial-advertise-peer-urls": peerUrl(ip),
        "initial-cluster-token": input.clusterToken,
        "initial-cluster-state": state,
        "client-transport-security": security(certs.memberCert, certs.memberKey),
        "peer-transport-security": security(certs.memberCert, certs.memberKey),
        "quota-backend-bytes": input.quotaBackendBytes,
        ...(input.maxRequestBytes === undefined ? {} : { "max-request-bytes": input.maxRequestBytes }),
        "auto-compaction-mode": input.autoCompactionMode,
        "auto-compaction-retention": input.autoCompactionRetention,
        "heartbeat-interval": input.heartbeatIntervalMs,
        "election-timeout": input.electionTimeoutMs,
        "listen-metrics-urls": metricsListenUrls(ip).join(","),
        logger: "zap",
        "log-level": input.logLevel,
        "log-outputs": ["stderr"],
        "strict-reconfig-check": true,
    };
    if (line === "3.5") {
        // 3.5 knows these only as experimental flags; the v2 API is off explicitly.
        config["experimental-initial-corrupt-check"] = true;
        config["experimental-compact-hash-check-enabled"] = true;
        config["enable-v2"] = false;
    } else {
        // 3.6 deprecated the experimental-* spellings for feature gates and 3.7 removed them, with enable-v2.
        config["feature-gates"] = "InitialCorruptCheck=true,CompactHashCheck=true";
    }
    return config;
}

/** etcd's YAML config file for one member. */
export function renderEtcdConfig(
    input: MemberRenderInput,
    state: InitialClusterState,
    paths?: Partial<NodePaths>,
): string {
    const header =
        `# etcd ${input.etcdVersion} member ${input.member.name}, initial-cluster-state ${state}.\n` +
        "# Rendered by the Pulumi component; edits are lost when the member is replaced.\n";
    return header + stringify(etcdConfigObject(input, state, paths), { lineWidth: 0 });
}
