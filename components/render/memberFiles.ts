import { renderEtcdConfig } from "./etcdConfig";
import { renderMemberEnv } from "./memberEnv";
import { KEEPER_SCRIPTS, NODE_LIBRARY, NODE_SCRIPTS, userDataScript } from "./nodeScripts";
import { configFiles, NodePaths, resolveNodePaths } from "./paths";
import { renderSystemdUnits } from "./systemd";
import { MemberRenderInput } from "./types";

export interface MemberFile {
    /** Absolute path on the node. */
    path: string;
    content: string;
    /** Octal permission string, e.g. "0755". */
    mode: string;
    kind: "script" | "library" | "env" | "etcd-config" | "systemd-unit";
}

/** Every file a member gets, with its mode: scripts, member.env, both etcd configs, systemd units. */
export function memberFileList(input: MemberRenderInput, paths?: Partial<NodePaths>): MemberFile[] {
    const p = resolveNodePaths(paths);
    const configs = configFiles(p);
    const files: MemberFile[] = [
        { path: configs.memberEnv, content: renderMemberEnv(input, p), mode: "0644", kind: "env" },
        { path: configs.new, content: renderEtcdConfig(input, "new", p), mode: "0644", kind: "etcd-config" },
        { path: configs.existing, content: renderEtcdConfig(input, "existing", p), mode: "0644", kind: "etcd-config" },
    ];
    for (const [name, content] of Object.entries(renderSystemdUnits(input, p))) {
        files.push({ path: `${p.systemdDir}/${name}`, content, mode: "0644", kind: "systemd-unit" });
    }
    // Sourced, not run: readable, not executable.
    files.push({ path: `${p.sbinDir}/${NODE_LIBRARY}.sh`, content: userDataScript(NODE_LIBRARY), mode: "0644", kind: "library" });
    for (const name of [...NODE_SCRIPTS, ...(input.keeper ? KEEPER_SCRIPTS : [])]) {
        files.push({ path: `${p.sbinDir}/${name}`, content: userDataScript(name), mode: "0755", kind: "script" });
    }
    return files;
}
