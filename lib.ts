// The package's public API: the component, its args, and the sizing table and functions.
export { EtcdCluster, defaultClusterToken } from "./components/etcdCluster";
export type { ClientCertificate, DataVolumeOutput, MemberInfo, SizingOutput } from "./components/etcdCluster";
export type { EtcdClusterArgs } from "./config/clusterArgs";
export { ConfigError } from "./config/errors";
export { resolveSettings } from "./config/settings";
export type { ResolvedSettings } from "./config/settings";
export { decideSizing } from "./config/sizingDecision";
export type { SizingDecision } from "./config/sizingDecision";
export { SIZING_TIERS, tierForNodeCount } from "./config/sizing";
export type { SizingTier } from "./config/sizing";
export { INSTANCE_FACTS, chooseInstanceType } from "./config/instanceTypes";
export type { InstanceFacts } from "./config/instanceTypes";
export { dataVolumeSpec } from "./config/dataVolume";
export type { DataVolumeSpec } from "./config/dataVolume";
export { ETCD_RELEASE_CHECKSUMS, DEFAULT_ETCD_VERSION } from "./config/etcdReleases";
