import { parseDocument } from "yaml";
import { MemberFile } from "../../components/render/memberFiles";

/**
 * The member files for a member that runs on this host's loopback range (127.x.y.z, several on one
 * host). A member on AWS also listens on 127.0.0.1 for the tools on its machine; several members on
 * one host cannot all bind that address, and their own loopback address already serves local tools.
 * So the tests drop the 127.0.0.1 listeners from the rendered etcd configs; the package knows
 * nothing of this.
 */
export function forLoopbackMember(file: MemberFile): MemberFile {
    if (file.kind !== "etcd-config") return file;
    const config = parseDocument(file.content);
    for (const key of ["listen-client-urls", "listen-metrics-urls"]) {
        const urls = String(config.get(key)).split(",");
        config.set(key, urls.filter((url) => !/\/\/127\.0\.0\.1:/.test(url)).join(","));
    }
    return { ...file, content: config.toString({ lineWidth: 0 }) };
}
