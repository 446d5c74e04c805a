"""The source repository the emulators lack: CodeCommit branches, commits, pull requests and approval rules."""
