"""Posts are paced per channel and across the workspace."""

import pytest

from bot.briefings.pacing import Pacer


def make():
    now, waits = [0.0], []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    return Pacer(per_second=5, per_channel_interval=1.0, clock=lambda: now[0], sleep=sleep), waits


def test_different_channels_share_the_workspace_budget():
    pacer, waits = make()
    for n in range(5):
        pacer.wait(f"C{n}")
    assert waits == pytest.approx([0.2, 0.2, 0.2, 0.2])


def test_one_channel_gets_at_most_one_post_a_second():
    pacer, waits = make()
    pacer.wait("C1")
    pacer.wait("C1")
    assert waits == pytest.approx([1.0])
