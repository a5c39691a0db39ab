"""Pieces of the sandbox that the red-team suite cannot reach on every machine: the cgroup
hierarchy this machine does not have, the seccomp program's shape, slot bookkeeping."""
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import grader
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
        # The lowest free slot: the one freed, or a lower one another grading on this machine
        # freed meanwhile; never a new one above it while it is free.
        assert again.uid != first.uid and again.uid <= second.uid
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



@pytest.mark.sandbox
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="slots are for a root grader")
def test_a_slot_whose_holder_died_is_cleaned_when_claimed_again():
    """A released slot is marked clean and its next claim kills nothing; a holder that dies
    without releasing leaves it in use, and the next claim kills what its uid left running."""
    slot = uidslots.claim()
    proc = subprocess.Popen(["sleep", "60"], user=slot.uid, group=slot.gid, extra_groups=[],
                            start_new_session=True, cwd="/")
    os.close(slot._fd)  # the grader died holding it: no release()
    held = []
    try:
        while (again := uidslots.claim()) is not None and again.uid != slot.uid:
            held.append(again)
        assert again is not None and proc.wait(timeout=10) == -9
        held.append(again)
    finally:
        for other in held:
            other.release()


# -- why a child is ended early (grader/sandbox/ending.py): whose doing, and its words ---------

def limits_at(own: float, wall: float, seconds: float = 5.0):
    """A phase's limit and the submission's total on one clock that reads `own` seconds of the
    child's own time after `wall` seconds of wall time."""
    from grader.sandbox.owntime import Limit, OwnClock, Sample
    now = [0.0]
    clock = OwnClock(wall=lambda: now[0])
    phase, total = Limit(clock, seconds), Limit(clock, 120)
    clock.attach(lambda: Sample(now[0], cpu=own if now[0] else 0.0, stall=now[0] - own if now[0] else 0.0))
    now[0] = wall
    return phase, total


def test_a_limit_the_backstop_ended_before_the_own_time_ran_out_is_the_machines():
    from grader.sandbox.ending import Cut, probe_cut
    phase, total = limits_at(own=1.0, wall=200.0)
    cut = Cut.of(phase.state(), total.state(), phase, total)
    assert cut.busy and cut.backstop is phase and not cut.whole
    stopped = probe_cut(cut, 5, 120).outcome
    assert stopped.kind == "busy" and stopped.message.startswith(
        "the grading machine was too busy to finish this check: 200 s of wall time passed while "
        "the program had used 1.0 s of its own (limit 5 s)")


def test_a_probe_that_used_its_own_time_timed_out_whatever_the_wall_clock_says():
    from grader.sandbox.ending import Cut, probe_cut
    phase, total = limits_at(own=6.0, wall=200.0)
    cut = Cut.of(phase.state(), total.state(), phase, total)
    assert not cut.busy and not cut.whole
    stopped = probe_cut(cut, 5, 120).outcome
    assert (stopped.kind, stopped.message) == (
        "timeout", "timed out after 5 s (infinite loop, deadlock, or a thread that never finishes?)")


def test_the_submissions_whole_time_running_out_is_named_as_such():
    from grader.sandbox.ending import Cut, probe_cut
    phase, total = limits_at(own=130.0, wall=130.0, seconds=500)
    cut = Cut.of(phase.state(), total.state(), phase, total)
    assert cut.whole and not cut.busy
    assert probe_cut(cut, 500, 120).outcome.message == \
        "stopped: the submission's total time limit of 120 s ran out"


@pytest.mark.sandbox
def test_the_boot_copy_built_in_a_process_of_its_own_is_the_one_built_here(tmp_path, monkeypatch):
    """`grader check` builds the child's copy of the engine on the other core (bootcopy.start):
    the same files, each compiled; a build that fails leaves template() to build it itself."""
    from grader.sandbox import bootcopy

    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    bootcopy._build(here)
    monkeypatch.setattr(bootcopy, "_BUILDING", [])
    bootcopy._spawn("private", there)
    assert bootcopy._built_elsewhere("private") == there

    def files(root, suffix):
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*" + suffix)}

    assert files(there, ".py") == files(here, ".py") and files(here, ".py")
    assert {p.parent.parent / (p.name.split(".")[0] + ".py") for p in files(there, ".pyc")} \
        == set(files(there, ".py"))
    assert oct(there.stat().st_mode & 0o777) == "0o755"
    broken = tmp_path / "broken"  # no such folder: the build process fails
    bootcopy._spawn("private", broken)
    assert bootcopy._built_elsewhere("private") is None and bootcopy._BUILDING == []


def _kept_in_a_new_process(cache):
    """`bootcopy.kept()` as the next `grader check` would call it: in a process of its own."""
    code = "from grader.sandbox import bootcopy; print(bootcopy.kept())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=dict(os.environ, XDG_CACHE_HOME=str(cache)))
    return Path(done.stdout.strip())


@pytest.mark.sandbox
def test_the_kept_boot_copy_is_built_once_and_reused_by_the_next_process(tmp_path):
    first = _kept_in_a_new_process(tmp_path)
    made = first.stat().st_ino, (first.parent / "DIGEST").stat().st_mtime_ns
    second = _kept_in_a_new_process(tmp_path)
    assert second == first and (second.stat().st_ino, (second.parent / "DIGEST").stat().st_mtime_ns) == made
    assert sorted(p.name for p in first.iterdir()) == ["grader"]  # all bubblewrap mounts
    assert (first / "grader" / "sandbox" / "child.py").read_bytes() == \
        (Path(grader.__file__).parent / "sandbox" / "child.py").read_bytes()
    assert oct((tmp_path / "grader").stat().st_mode & 0o777) == "0o700"


@pytest.mark.sandbox
def test_an_edited_kept_boot_copy_is_built_anew(tmp_path):
    kept = _kept_in_a_new_process(tmp_path)
    child = kept / "grader" / "sandbox" / "child.py"
    child.write_text(child.read_text() + "\nprint('pwned')\n")
    again = _kept_in_a_new_process(tmp_path)
    assert (again / "grader" / "sandbox" / "child.py").read_bytes() == \
        (Path(grader.__file__).parent / "sandbox" / "child.py").read_bytes()


def test_no_boot_copy_is_kept_where_others_may_write(tmp_path):
    from grader.sandbox import bootcopy

    root = tmp_path / "grader" / "boot"
    root.mkdir(parents=True)
    os.chmod(root, 0o777)
    assert bootcopy.kept(root) is None
    assert list(root.iterdir()) == []


@given(st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x206f), max_size=30)
       | st.text(alphabet="ab \n\t\x1b\x7f\x9b\u202e\u2066\ud800", max_size=12))
def test_child_text_is_cleaned_as_both_substitutions_clean_it(value):
    """The fast path for printable ASCII gives what the two substitutions give, for any string."""
    from grader.sandbox import untrusted

    slow = untrusted._UNSAFE.sub(untrusted._escape, untrusted._SURROGATE.sub("\ufffd", value))
    assert untrusted.text(value) == slow
    assert untrusted.data({value: [value]}) == {slow: [slow]}
