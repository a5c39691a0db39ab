"""Each thread's `random` stream (grader/probes/preempt/streams.py): put away and brought back
exactly, as getstate()/setstate() would."""
import random

import pytest

from grader.probes.preempt import streams


@pytest.fixture(params=[True, False], ids=["copied", "tuples"])
def way(request, monkeypatch):
    """Both ways of keeping a stream: the struct copy, and getstate()'s tuple where it fails."""
    monkeypatch.setattr(streams, "_FAST", request.param)
    saved = random.getstate()
    yield request.param
    random.setstate(saved)


def test_a_saved_stream_draws_again_what_it_drew_after_being_saved(way):
    random.seed(7)
    random.gauss(0, 1)  # leaves a gauss_next behind, part of the state
    stream = streams.save(None)
    drawn = [random.random(), random.gauss(0, 1), random.randrange(10**9)]
    streams.load(stream)
    assert [random.random(), random.gauss(0, 1), random.randrange(10**9)] == drawn


def test_saving_into_a_stream_again_replaces_what_it_held(way):
    random.seed(1)
    stream = streams.save(None)
    random.seed(2)
    expected = random.getstate()
    assert streams.save(stream) is stream
    random.seed(3)
    streams.load(stream)
    assert random.getstate() == expected


def test_a_threads_first_stream_is_seeded_by_its_index_alone(way):
    streams.load_first(5)
    assert random.getstate() == random.Random("0:5").getstate()


def test_drawing_from_a_first_stream_leaves_the_next_threads_first_stream_as_it_was(way):
    streams.load_first(3)
    random.random()
    streams.save(None)
    streams.load_first(3)
    assert random.getstate() == random.Random("0:3").getstate()


def test_the_struct_copy_works_on_this_interpreter():
    assert streams._FAST
