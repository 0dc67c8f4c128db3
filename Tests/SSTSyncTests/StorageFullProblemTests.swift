import SSTStore
import SSTSync
import Testing

/// A full disk at the hub answers 507 naming the directory, not a bare 500.
struct StorageFullProblemTests {
    @Test func aFullDiskIsA507SayingNothingWasWritten() {
        let problem = Problem(
            StoreError(.storageFull, "the disk holding /srv/sst/hub is full", remedy: "Free space on that disk.")
        )
        #expect(problem.statusCode == 507)
        #expect(problem.code == "storageFull")
        #expect(problem.detail.contains("/srv/sst/hub"))
    }
}
