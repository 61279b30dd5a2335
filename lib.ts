// The package's public API: the component, its args, and the sizing table and functions.
export { EtcdCluster, MemberInfo, defaultClusterToken } from "./components/etcdCluster";
export { EtcdClusterArgs } from "./config/clusterArgs";
export { ConfigError } from "./config/errors";
export { resolveSettings, ResolvedSettings } from "./config/settings";
export { decideSizing, SizingDecision } from "./config/sizingDecision";
export { SIZING_TIERS, SizingTier, tierForNodeCount } from "./config/sizing";
export { INSTANCE_FACTS, InstanceFacts, chooseInstanceType } from "./config/instanceTypes";
export { dataVolumeSpec, DataVolumeSpec } from "./config/dataVolume";
export { ETCD_RELEASE_CHECKSUMS, DEFAULT_ETCD_VERSION } from "./config/etcdReleases";
