import SSTPrivacy
import SSTStore

extension Store {
    /// The content hash of the privacy policy this node runs, as the handshake compares it.
    ///
    /// TODO(lead): switch to `policyHash` once the store exposes it; this is the only place that reads it.
    var syncPolicyHash: String {
        policy.hash
    }
}
