import { pythonName } from "../helpers/pythonNames";

// The test helper that predicts the Python names of Pulumi's Python code generator (the SDK test
// compares them with what the generator made), on the examples pkg/v3's pyName documents and the
// names that made this package rename a setting.
describe("pythonName, as Pulumi's Python code generator names things", () => {
    test.each([
        ["kubernetesNodeCount", "kubernetes_node_count"],
        ["dataVolumeSizeGb", "data_volume_size_gb"],
        ["dataVolumeThroughputMbps", "data_volume_throughput_mbps"],
        ["dataVolumeThroughputMBps", "data_volume_throughput_m_bps"],
        ["throughputMBps", "throughput_m_bps"],
        ["etcdSha256", "etcd_sha256"],
        ["Sha256Hash", "sha256_hash"],
        ["SHA256Hash", "sha256_hash"],
        ["GetPublicIPs", "get_public_ips"],
        ["ip", "ip"],
        ["type", "type"],
    ])("%s -> %s", (name, expected) => {
        expect(pythonName(name)).toBe(expected);
    });
});
