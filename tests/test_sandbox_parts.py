"""Pieces of the sandbox that the red-team suite cannot reach on every machine: the cgroup
hierarchy this machine does not have, the seccomp program's shape, slot bookkeeping."""
import os
import struct
import subprocess

import pytest

from grader.sandbox import cgroups, seccomp, uidslots


def fake_hierarchy(root, *, v2_controllers="", v1=False):
    """A cgroup mount imitated in a plain folder: what TaskCgroup reads and writes."""
    if v2_controllers is not None:
        (root / "cgroup.controllers").write_text(v2_controllers)
        (root / "cgroup.subtree_control").write_text(v2_controllers)
    if v1:
        (root / "pids").mkdir()
        (root / "pids" / "cgroup.procs").write_text("")
    return root


def test_cgroup_v2_caps_with_pids_max_and_kills_with_cgroup_kill(tmp_path, monkeypatch):
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", fake_hierarchy(tmp_path, v2_controllers="cpu pids"))
    group = cgroups.TaskCgroup(77)
    (folder,) = group.folders
    assert (folder / "pids.max").read_text() == "77" and group.capped_by == "v2"
    (folder / "cgroup.kill").write_text("")  # the kernel makes this file in every child cgroup
    group.killer = folder
    group.kill_all()
    assert (folder / "cgroup.kill").read_text() == "1"
    assert f'echo $$ > "{folder / "cgroup.procs"}"' in group.wrap(["true"])[2]


def test_without_the_pids_controller_v2_only_tracks_and_v1_caps(tmp_path, monkeypatch):
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", fake_hierarchy(tmp_path, v2_controllers="cpu", v1=True))
    group = cgroups.TaskCgroup(5)
    assert group.capped_by == "v1"
    assert (tmp_path / "pids" / group.folders[-1].name / "pids.max").read_text() == "5"
    assert not (group.folders[0] / "pids.max").exists()


def test_nothing_writable_means_no_cgroup_and_the_command_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", tmp_path / "absent")
    group = cgroups.TaskCgroup(5)
    assert group.folders == [] and group.wrap(["python3", "-c", "1"]) == ["python3", "-c", "1"]


def test_the_seccomp_program_ends_in_allow_and_refuses_new_user_namespaces():
    program = seccomp.no_user_namespaces()
    if program is None:
        pytest.skip("no system call table for this machine")
    rows = [struct.unpack("<HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    assert rows[-1] == (0x06, 0, 0, 0x7FFF0000)
    assert any(code == 0x45 and k == 0x10000000 for code, _, _, k in rows)  # JSET CLONE_NEWUSER


@pytest.mark.sandbox
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="slots are for a root grader")
def test_two_gradings_at_once_get_different_uids_and_a_freed_slot_is_reused():
    first, second = uidslots.claim(), uidslots.claim()
    try:
        assert first.uid != second.uid and uidslots.uid_base() <= min(first.uid, second.uid)
    finally:
        second.release()
    again = uidslots.claim()
    try:
        assert again.uid == second.uid
    finally:
        again.release()
        first.release()


@pytest.mark.sandbox
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="slots are for a root grader")
def test_releasing_a_slot_kills_what_its_uid_left_running():
    slot = uidslots.claim()
    try:
        proc = subprocess.Popen(["sleep", "60"], user=slot.uid, group=slot.gid, extra_groups=[],
                                start_new_session=True, cwd="/")
    finally:
        slot.release()
    assert proc.wait(timeout=10) == -9
