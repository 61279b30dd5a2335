import { NodePaths, resolveNodePaths } from "./paths";
import { KEEPER_PORTS, UNITS } from "../../config/contract";
import { KeeperRenderInput } from "./types";
import { section, unit } from "./unitFile";

/**
 * The etcdkeeper web UI on a member: a container of the pinned image with its own client
 * certificate, as the seed runs it (CACERT / CERT / KEY, container port 8080 published on 8888, UI
 * at /etcdkeeper/). etcdkeeper has no login, so the port is published on the host's loopback unless
 * an allow-list is configured. The container gets nothing it does not need: a read-only root, no
 * capabilities, no new privileges, bounded memory and pids, the certificate directory read-only.
 */

export const KEEPER_SERVICE = UNITS.keeper;
const CONTAINER = "etcdkeeper";
/** Where the certificates are inside the container. */
const MOUNTED = "/certs";

/** The UI's certificate files on the node: a directory of their own beside the member's. */
export function keeperCertFiles(paths?: Partial<NodePaths>) {
    const dir = `${resolveNodePaths(paths).certDir}/keeper`;
    return { dir, ca: `${dir}/ca.pem`, cert: `${dir}/etcdkeeper.pem`, key: `${dir}/etcdkeeper-key.pem` };
}

/** The `docker run` argv of the UI. */
export function keeperDockerArgs(keeper: KeeperRenderInput, paths?: Partial<NodePaths>): string[] {
    if (!/^[0-9.]+$/.test(keeper.bindAddress)) throw new Error(`keeper bindAddress must be an IPv4 address; got ${JSON.stringify(keeper.bindAddress)}.`);
    const files = keeperCertFiles(paths);
    const inContainer = (file: string) => `${MOUNTED}/${file.slice(files.dir.length + 1)}`;
    return [
        "run", "--rm", "--name", CONTAINER, "--pull", "missing",
        "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--memory", "256m", "--pids-limit", "128",
        "--publish", `${keeper.bindAddress}:${KEEPER_PORTS.host}:${KEEPER_PORTS.container}`,
        "--volume", `${files.dir}:${MOUNTED}:ro`,
        "--env", `CACERT=${inContainer(files.ca)}`, "--env", `CERT=${inContainer(files.cert)}`, "--env", `KEY=${inContainer(files.key)}`,
        // The image's shell-form ENTRYPOINT ignores arguments: run the binary with TLS flags instead.
        "--entrypoint", "/opt/etcdkeeper/etcdkeeper.bin",
        keeper.image,
        "-h", "0.0.0.0", "-p", String(KEEPER_PORTS.container),
        "-usetls", "-cacert", inContainer(files.ca), "-cert", inContainer(files.cert), "-key", inContainer(files.key),
    ];
}

export function renderKeeperService(keeper: KeeperRenderInput, paths?: Partial<NodePaths>): string {
    return unit(
        section("Unit", [
            ["Description", `etcdkeeper web UI on ${keeper.bindAddress}:${KEEPER_PORTS.host} (${keeper.image})`],
            ["Requires", "docker.service"],
            ["After", "docker.service etcd.service"],
        ]),
        section("Service", [
            ["ExecStartPre", `-/usr/bin/docker rm --force ${CONTAINER}`],
            ["ExecStart", `/usr/bin/docker ${keeperDockerArgs(keeper, paths).join(" ")}`],
            ["ExecStop", `/usr/bin/docker stop ${CONTAINER}`],
            ["Restart", "always"],
            ["RestartSec", 10],
            // The first start may pull the image.
            ["TimeoutStartSec", 300],
        ]),
        section("Install", [["WantedBy", "multi-user.target"]]),
    );
}
