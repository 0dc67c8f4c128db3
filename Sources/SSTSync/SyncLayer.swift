/// Sync over HTTPS: being built (issue 4).
enum SyncLayer {}
