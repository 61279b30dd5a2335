/**
 * Where the sandbox's members live on the network: each member has its own network namespace
 * holding the very address the plan gave its network interface; a hub namespace with a bridge joins
 * them, and clients (etcdctl, the tests) and the sandbox's services (S3, the release mirror) run in
 * the hub. Nothing is added to the host's own network.
 */

/** Address of the hub namespace: a link-local address no member plan uses. */
export const HUB_ADDRESS = "169.254.77.1";
