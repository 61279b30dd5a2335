import type { MemberAddress, MemberRenderInput } from "../../components/render/types";

/** Three members on their own subnets; the fixture's member is the second. */
export const FIXTURE_MEMBERS: readonly MemberAddress[] = Object.freeze([
    { name: "etcd1", ip: "10.0.1.10" },
    { name: "etcd2", ip: "10.0.2.10" },
    { name: "etcd3", ip: "10.0.3.10" },
]);

/**
 * The one render input the tests start from: realistic values for everything the renderers check,
 * with `overrides` for what a test is about. The user-data snapshot in tests/unit/__snapshots__
 * is of this input, so changing a value here is a reviewed change of that snapshot.
 */
export function renderInput(overrides: Partial<MemberRenderInput> = {}): MemberRenderInput {
    return {
        member: FIXTURE_MEMBERS[1],
        members: [...FIXTURE_MEMBERS],
        clusterToken: "etcd-myproj-prod-main-7f3a",
        etcdVersion: "3.6.14",
        arch: "amd64",
        etcdSha256: "0123456789abcdef".repeat(4),
        etcdMirrorUrl: "https://github.com/etcd-io/etcd/releases/download",
        dataVolumeId: "vol-0123456789abcdef0",
        quotaBackendBytes: 8 * 1024 ** 3,
        autoCompactionMode: "periodic",
        autoCompactionRetention: "1h",
        heartbeatIntervalMs: 100,
        electionTimeoutMs: 1000,
        logLevel: "info",
        region: "eu-west-1",
        parameterPrefix: "/etcd/myproj/prod/main",
        certSyncIntervalMinutes: 60,
        metricCluster: "myproj/prod/main",
        tunables: {},
        ...overrides,
    };
}

/** The fixture as the tests on real etcd use it: their own members, release, token and an offline mirror. */
export function localRenderInput(member: MemberAddress, members: MemberAddress[], etcdVersion: string, clusterToken: string, overrides: Partial<MemberRenderInput> = {}): MemberRenderInput {
    return renderInput({
        member,
        members,
        etcdVersion,
        clusterToken,
        etcdSha256: "0".repeat(64),
        etcdMirrorUrl: "https://mirror.invalid/etcd",
        quotaBackendBytes: 2 * 1024 ** 3,
        parameterPrefix: "/etcd/it/test/main",
        ...overrides,
    });
}
