"""Posts are paced per channel and across each workspace, each workspace on its own budget."""

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


def test_each_workspace_has_its_own_budget():
    """Slack's limits are per workspace: a burst in one does not delay another's posts. (The
    clock stands still, so each wait is how far ahead that workspace's budget is booked.)"""
    waits = []
    pacer = Pacer(per_second=5, per_channel_interval=1.0, clock=lambda: 0.0, sleep=waits.append)
    for n in range(5):
        pacer.wait(f"C{n}", "T1")
    assert waits == pytest.approx([0.2, 0.4, 0.6, 0.8])  # T1's next post is due at 1.0
    assert pacer.wait("C0", "T2") == 0  # T2's first post goes at once …
    assert pacer.wait("C1", "T2") == pytest.approx(0.2)  # … and its second waits for T2's budget only
    assert pacer.wait("C5", "T1") == pytest.approx(1.0)


def test_the_same_channel_id_in_two_workspaces_is_two_channels():
    pacer, waits = make()
    pacer.wait("C1", "T1")
    assert pacer.wait("C1", "T2") == 0
    assert waits == []
