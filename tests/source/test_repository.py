"""Repository content: content-addressed commits, branch rules of PutFile/CreateCommit, and merge strategies."""

from __future__ import annotations

import pytest

from harness.source.errors import CodeCommitError
from harness.source.repository import Commit, Repository, blob_id


def repo() -> Repository:
    found = Repository("app", "arn:aws:codecommit:us-east-1:123456789012:app", "id-1")
    found.commit_changes("main", None, {"README.md": b"hello\n"}, message="initial")
    return found


def test_blob_ids_are_git_blob_ids() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_commit_ids_are_content_addressed() -> None:
    a = Commit({"f": b"1"}, (), "dev", "", "m")
    assert a.commit_id == Commit({"f": b"1"}, (), "dev", "", "m").commit_id
    assert a.commit_id != Commit({"f": b"2"}, (), "dev", "", "m").commit_id
    assert a.commit_id != Commit({"f": b"1"}, (), "dev", "", "other message").commit_id


def test_the_first_commit_creates_the_branch_and_makes_it_default() -> None:
    r = repo()
    assert r.default_branch == "main"
    assert r.tree(r.tip("main")) == {"README.md": b"hello\n"}


def test_a_commit_to_an_existing_branch_needs_the_current_tip_as_parent() -> None:
    r = repo()
    with pytest.raises(CodeCommitError) as missing:
        r.commit_changes("main", None, {"a": b"1"})
    assert missing.value.code == "ParentCommitIdRequiredException"
    old = r.tip("main")
    r.commit_changes("main", old, {"a": b"1"})
    with pytest.raises(CodeCommitError) as outdated:
        r.commit_changes("main", old, {"b": b"1"})
    assert outdated.value.code == "ParentCommitIdOutdatedException"


def test_a_commit_to_a_missing_branch_of_a_repository_with_branches_is_refused() -> None:
    with pytest.raises(CodeCommitError) as caught:
        repo().commit_changes("nope", None, {"a": b"1"})
    assert caught.value.code == "BranchDoesNotExistException"


def test_a_commit_without_changes_is_refused() -> None:
    r = repo()
    with pytest.raises(CodeCommitError) as caught:
        r.commit_changes("main", r.tip("main"), {"README.md": b"hello\n"})
    assert caught.value.code == "NoChangeException"


def test_deleting_a_missing_file_is_refused() -> None:
    r = repo()
    with pytest.raises(CodeCommitError) as caught:
        r.commit_changes("main", r.tip("main"), {}, ("missing.txt",))
    assert caught.value.code == "FileDoesNotExistException"


def branched(change_main: dict[str, bytes] | None = None) -> tuple[Repository, str]:
    r = repo()
    r.branches["feature"] = r.tip("main")
    r.commit_changes("feature", r.tip("feature"), {"feature.txt": b"new\n"})
    if change_main:
        r.commit_changes("main", r.tip("main"), change_main)
    return r, r.tip("feature")


def test_fast_forward_moves_the_branch_to_the_source_commit() -> None:
    r, source = branched()
    result = r.merge(source, "main", "FAST_FORWARD_MERGE", author="dev")
    assert r.tip("main") == source == result.commit_id


def test_fast_forward_is_refused_when_the_destination_moved_on() -> None:
    r, source = branched({"other.txt": b"x"})
    before = r.tip("main")
    with pytest.raises(CodeCommitError, match="fast-forward") as caught:
        r.merge(source, "main", "FAST_FORWARD_MERGE", author="dev")
    assert caught.value.code == "ManualMergeRequiredException"
    assert r.tip("main") == before


def test_squash_makes_one_commit_on_the_destination_with_both_changes() -> None:
    r, source = branched({"other.txt": b"x"})
    destination = r.tip("main")
    result = r.merge(source, "main", "SQUASH_MERGE", author="dev")
    commit = r.commit(result.commit_id)
    assert commit.parents == (destination,)
    assert set(commit.tree) == {"README.md", "feature.txt", "other.txt"}
    assert not r.is_ancestor(source, result.commit_id)


def test_three_way_makes_a_merge_commit_with_both_parents() -> None:
    r, source = branched({"other.txt": b"x"})
    destination = r.tip("main")
    result = r.merge(source, "main", "THREE_WAY_MERGE", author="dev")
    assert r.commit(result.commit_id).parents == (destination, source)
    assert r.is_ancestor(source, r.tip("main"))


@pytest.mark.parametrize("option", ["SQUASH_MERGE", "THREE_WAY_MERGE"])
def test_the_same_file_changed_differently_on_both_sides_is_a_conflict(option: str) -> None:
    r = repo()
    r.branches["feature"] = r.tip("main")
    r.commit_changes("feature", r.tip("feature"), {"README.md": b"feature\n"})
    r.commit_changes("main", r.tip("main"), {"README.md": b"main\n"})
    before = r.tip("main")
    with pytest.raises(CodeCommitError, match=r"README\.md") as caught:
        r.merge(r.tip("feature"), "main", option, author="dev")  # type: ignore[arg-type]
    assert caught.value.code == "ManualMergeRequiredException"
    assert r.tip("main") == before


def test_a_deletion_on_one_side_merges() -> None:
    r = repo()
    r.branches["feature"] = r.tip("main")
    r.commit_changes("feature", r.tip("feature"), {}, ("README.md",))
    r.commit_changes("main", r.tip("main"), {"other.txt": b"x"})
    result = r.merge(r.tip("feature"), "main", "THREE_WAY_MERGE", author="dev")
    assert set(r.tree(result.commit_id)) == {"other.txt"}


def test_the_merge_base_is_the_fork_point() -> None:
    r = repo()
    fork = r.tip("main")
    r.branches["feature"] = fork
    r.commit_changes("feature", fork, {"f": b"1"})
    r.commit_changes("main", fork, {"m": b"1"})
    assert r.merge_base(r.tip("feature"), r.tip("main")) == fork
