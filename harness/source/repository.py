"""One repository: content-addressed commits, branches, files, and the three merge strategies.

Commit ids are SHA-1 digests of the commit's tree, parents, author and message (blobs are hashed the way Git hashes
them), so equal content gives equal ids and any change gives a new id. Merges work at file granularity: a path
changed on both sides since the merge base, differently, is a conflict (Git and CodeCommit merge within a file
line by line, so this model reports some conflicts they would resolve; it never merges what they would refuse).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from harness.source.errors import CodeCommitError

MergeOption = Literal["FAST_FORWARD_MERGE", "SQUASH_MERGE", "THREE_WAY_MERGE"]

Tree = Mapping[str, bytes]
"""File path → content."""


def blob_id(content: bytes) -> str:
    """The Git blob id of ``content``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def tree_id(tree: Tree) -> str:
    """A content id of a whole tree (paths and blob ids)."""
    lines = "".join(f"{path}\0{blob_id(content)}\n" for path, content in sorted(tree.items()))
    return hashlib.sha1(b"tree\0" + lines.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit: its tree, parents (first parent first), author and message."""

    tree: Mapping[str, bytes]
    parents: tuple[str, ...]
    author: str
    email: str
    message: str
    date: datetime = field(default_factory=lambda: datetime.now(UTC), compare=False)

    @property
    def commit_id(self) -> str:
        """The content address: the same tree, parents, author and message always give the same id."""
        text = "\0".join((tree_id(self.tree), *self.parents, self.author, self.email, self.message))
        return hashlib.sha1(b"commit\0" + text.encode()).hexdigest()

    @property
    def tree_id(self) -> str:
        """The id of the commit's tree."""
        return tree_id(self.tree)

    def to_api(self) -> dict[str, object]:
        """The ``Commit`` shape of GetCommit."""
        person = {"name": self.author, "email": self.email, "date": str(int(self.date.timestamp()))}
        return {
            "commitId": self.commit_id,
            "treeId": self.tree_id,
            "parents": list(self.parents),
            "message": self.message,
            "author": person,
            "committer": person,
            "additionalData": "",
        }


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What a merge produced: the new destination tip and, for a three-way merge, the merge base it used."""

    commit_id: str
    merge_base: str
    option: MergeOption


@dataclass(slots=True)
class Repository:
    """A CodeCommit repository's Git content: commits by id and branches by name.

    Attributes:
        name: the repository name.
        arn: ``arn:aws:codecommit:REGION:ACCOUNT:NAME``.
        repository_id: the id CodeCommit gave it.
        description: the repository description.
        default_branch: the default branch ('' until the first branch exists).
        served_by: which implementation holds the repository itself (``moto`` or ``pipewarden``).
    """

    name: str
    arn: str
    repository_id: str
    description: str = ""
    default_branch: str = ""
    served_by: str = "pipewarden"
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    # -- reading -------------------------------------------------------------------------------------------
    def commit(self, commit_id: str) -> Commit:
        """A commit by id.

        Raises:
            CodeCommitError: CommitDoesNotExistException.
        """
        found = self.commits.get(commit_id)
        if found is None:
            raise CodeCommitError(
                "CommitDoesNotExistException",
                f"Could not find the commit {commit_id} in the repository {self.name}.",
            )
        return found

    def tip(self, branch: str) -> str:
        """The commit id a branch points at.

        Raises:
            CodeCommitError: BranchDoesNotExistException.
        """
        found = self.branches.get(branch)
        if found is None:
            raise CodeCommitError(
                "BranchDoesNotExistException", f"Could not find branch {branch} in repository {self.name}."
            )
        return found

    def resolve(self, specifier: str) -> str:
        """A commit id from a branch name, a full reference or a commit id.

        Raises:
            CodeCommitError: CommitDoesNotExistException when nothing matches.
        """
        name = specifier.removeprefix("refs/heads/")
        if name in self.branches:
            return self.branches[name]
        return self.commit(specifier).commit_id

    def tree(self, commit_id: str) -> Mapping[str, bytes]:
        """The files of a commit."""
        return self.commit(commit_id).tree

    def ancestors(self, commit_id: str) -> set[str]:
        """Every commit reachable from ``commit_id``, itself included."""
        seen: set[str] = set()
        stack = [commit_id]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.commits[current].parents)
        return seen

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when ``ancestor`` is reachable from ``descendant`` (a commit is its own ancestor)."""
        return ancestor in self.ancestors(descendant)

    def merge_base(self, a: str, b: str) -> str:
        """The best common ancestor of two commits ('' when the histories are unrelated)."""
        common = self.ancestors(a) & self.ancestors(b)
        # The best common ancestors are those that are not an ancestor of another common ancestor.
        best = [c for c in common if not any(c != o and c in self.ancestors(o) for o in common)]
        return sorted(best)[0] if best else ""

    # -- writing -------------------------------------------------------------------------------------------
    def add_commit(self, commit: Commit) -> str:
        """Store a commit (idempotent: content-addressed) and return its id."""
        self.commits.setdefault(commit.commit_id, commit)
        return commit.commit_id

    def commit_changes(
        self,
        branch: str,
        parent: str | None,
        put: Mapping[str, bytes],
        delete: tuple[str, ...] = (),
        *,
        author: str = "",
        email: str = "",
        message: str = "",
    ) -> Commit:
        """Commit file changes on top of ``branch`` (CreateCommit and PutFile rules).

        Args:
            branch: the branch to advance; created when the repository has no branch yet.
            parent: the commit the caller based the change on; required once the branch exists.
            put: files to add or replace; delete: paths to remove.

        Returns:
            The new commit, which the branch now points at.

        Raises:
            CodeCommitError: BranchDoesNotExistException, ParentCommitIdRequiredException,
                ParentCommitIdOutdatedException, FileDoesNotExistException, NoChangeException.
        """
        current = self.branches.get(branch)
        if current is None and self.branches:
            self.tip(branch)  # raises BranchDoesNotExistException
        if current is not None:
            if not parent:
                raise CodeCommitError(
                    "ParentCommitIdRequiredException",
                    f"A parent commit ID is required for a commit to branch {branch}, which already has commits.",
                )
            if parent != current:
                raise CodeCommitError(
                    "ParentCommitIdOutdatedException",
                    f"The parent commit ID {parent} is not the tip of branch {branch} ({current}); "
                    "get the latest commit and try again.",
                )
        tree = dict(self.tree(current)) if current else {}
        for path in delete:
            if path not in tree:
                raise CodeCommitError("FileDoesNotExistException", f"The file {path} does not exist in {branch}.")
            del tree[path]
        tree.update(put)
        if current is not None and tree == dict(self.tree(current)):
            raise CodeCommitError("NoChangeException", "The commit contains no changes to the branch.")
        commit = Commit(tree, (current,) if current else (), author or "pipewarden", email, message)
        self.add_commit(commit)
        self.branches[branch] = commit.commit_id
        if not self.default_branch:
            self.default_branch = branch
        return commit

    def merge(
        self, source: str, destination_branch: str, option: MergeOption, *, author: str, message: str = ""
    ) -> MergeResult:
        """Merge commit ``source`` into ``destination_branch`` and move the branch.

        Fast-forward moves the branch to ``source`` when the destination tip is its ancestor. Squash makes one
        commit with the merged tree on top of the destination. Three-way makes a merge commit with both parents.

        Raises:
            CodeCommitError: ManualMergeRequiredException when a fast-forward is not possible or the trees
                conflict.
        """
        destination = self.tip(destination_branch)
        base = self.merge_base(source, destination)
        if option == "FAST_FORWARD_MERGE":
            if not self.is_ancestor(destination, source):
                raise CodeCommitError(
                    "ManualMergeRequiredException",
                    f"The pull request cannot be merged by fast-forward: {destination_branch} has commits that are "
                    "not in the source branch. Merge with another strategy or merge the branches manually.",
                )
            self.branches[destination_branch] = source
            return MergeResult(source, base, option)
        tree = self.merged_tree(source, destination, base)
        text = message or f"Merged {source[:7]} into {destination_branch}"
        parents = (destination,) if option == "SQUASH_MERGE" else (destination, source)
        commit = Commit(tree, parents, author, "", text)
        self.add_commit(commit)
        self.branches[destination_branch] = commit.commit_id
        return MergeResult(commit.commit_id, base, option)

    def conflicts(self, source: str, destination: str) -> tuple[str, ...]:
        """Paths changed differently on both sides since the merge base (sorted)."""
        base_tree = self.tree(b) if (b := self.merge_base(source, destination)) else {}
        ours, theirs = self.tree(destination), self.tree(source)
        paths = set(base_tree) | set(ours) | set(theirs)
        return tuple(
            sorted(
                p
                for p in paths
                if ours.get(p) != base_tree.get(p)
                and theirs.get(p) != base_tree.get(p)
                and ours.get(p) != theirs.get(p)
            )
        )

    def merged_tree(self, source: str, destination: str, base: str) -> dict[str, bytes]:
        """The three-way merge of two commits' trees.

        Raises:
            CodeCommitError: ManualMergeRequiredException naming the conflicting paths.
        """
        conflicts = self.conflicts(source, destination)
        if conflicts:
            raise CodeCommitError(
                "ManualMergeRequiredException",
                "The pull request cannot be merged automatically into the destination branch: conflicts in "
                + ", ".join(conflicts)
                + ". You must manually merge the branches and try again.",
            )
        base_tree = self.tree(base) if base else {}
        ours, theirs = self.tree(destination), self.tree(source)
        merged: dict[str, bytes] = {}
        for path in set(base_tree) | set(ours) | set(theirs):
            value = theirs.get(path) if ours.get(path) == base_tree.get(path) else ours.get(path)
            if value is not None:
                merged[path] = value
        return merged

    def metadata(self, account_id: str) -> dict[str, object]:
        """The ``RepositoryMetadata`` shape of GetRepository."""
        region = self.arn.split(":")[3]
        answer: dict[str, object] = {
            "accountId": account_id,
            "repositoryId": self.repository_id,
            "repositoryName": self.name,
            "repositoryDescription": self.description,
            "lastModifiedDate": self.created,
            "creationDate": self.created,
            "cloneUrlHttp": f"https://git-codecommit.{region}.amazonaws.com/v1/repos/{self.name}",
            "cloneUrlSsh": f"ssh://git-codecommit.{region}.amazonaws.com/v1/repos/{self.name}",
            "Arn": self.arn,
        }
        if self.default_branch:
            answer["defaultBranch"] = self.default_branch
        return answer


__all__ = ["Commit", "MergeOption", "MergeResult", "Repository", "blob_id", "tree_id"]
