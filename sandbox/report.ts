import { NodeHealth } from "./health";
import { inNamespace } from "./namespaces";
import { SandboxState } from "./state";
import { machineBootId, machineEtcdPid } from "./machines";

export interface MemberReport {
    name: string;
    ip: string;
    clientUrl: string;
    peerUrl: string;
    /** etcd's pid (on the host), null while it is not running. */
    pid: number | null;
    /** The machine's name and the id of its current boot (new after a reboot or replace; absent while it is stopped). */
    machine: string;
    bootId?: string;
    /** The etcd data dir on the machine (on its volume). */
    dataDir: string;
    /** The member's network namespace (its machine's). */
    namespace: string;
    health?: { healthy: boolean; leader: string; reason: string };
}

/** The one JSON document `up` and `status` print. */
export interface SandboxReport {
    stack: string;
    /** The hub namespace, where clients run. */
    namespace: string;
    etcdVersion: string;
    initialCluster: string;
    clusterToken: string;
    electionTimeoutMs: number;
    members: MemberReport[];
    caFile: string;
    certFile: string;
    keyFile: string;
    clientCertificates: SandboxState["clientCertificates"];
    /** Ready to paste: endpoint status of every member with the admin certificate. */
    etcdctl: string;
}

export function report(state: SandboxState, health?: Map<string, NodeHealth>): SandboxReport {
    return {
        stack: state.stack,
        namespace: state.hubNamespace,
        etcdVersion: state.etcdVersion,
        initialCluster: state.initialCluster,
        clusterToken: state.clusterToken,
        electionTimeoutMs: state.electionTimeoutMs,
        members: state.members.map((m) => {
            const h = health?.get(m.name);
            return {
                name: m.name,
                ip: m.ip,
                clientUrl: m.clientUrl,
                peerUrl: m.peerUrl,
                pid: machineEtcdPid(m.dir) ?? null,
                machine: m.namespace,
                bootId: machineBootId(m.dir),
                dataDir: m.dataDir,
                namespace: m.namespace,
                ...(h ? { health: { healthy: h.healthy, leader: h.leader, reason: h.reason } } : {}),
            };
        }),
        caFile: state.caFile,
        certFile: state.certFile,
        keyFile: state.keyFile,
        clientCertificates: state.clientCertificates,
        etcdctl: etcdctlCommand(state, ["endpoint", "status", "-w", "table"]),
    };
}

/** argv of etcdctl against every member with the admin certificate, in the clients' namespace. */
export function etcdctlArgv(state: SandboxState, args: string[], endpoints = state.members.map((m) => m.clientUrl)): string[] {
    return [
        ...inNamespace(state.hubNamespace),
        `${state.binDir}/etcdctl`,
        `--endpoints=${endpoints.join(",")}`,
        `--cacert=${state.caFile}`,
        `--cert=${state.certFile}`,
        `--key=${state.keyFile}`,
        ...args,
    ];
}

export function etcdctlCommand(state: SandboxState, args: string[]): string {
    return etcdctlArgv(state, args)
        .map((a) => (/^[A-Za-z0-9_./:=,@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
        .join(" ");
}
