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


# ---- several replicas: the workspace's slots are reserved in the shared database ----------------

def shared_pacers(db_url, count, clock):
    from bot.storage import connect
    from bot.storage.post_slots import PostSlots

    stores = [connect(db_url) for _ in range(count)]  # one engine each, as separate replicas have
    pacers = [Pacer(per_second=4, per_channel_interval=1.0, clock=clock, sleep=lambda s: None,
                    shared=PostSlots(store.database)) for store in stores]
    return pacers, stores


def test_two_pacers_on_one_database_never_exceed_the_workspaces_rate_together(db_url):
    """Two replicas, four workers each, one workspace: together they book its posts at 4 a second —
    not 4 a second each. The clock stands still, so each post's slot is now + its wait."""
    import threading

    from bot.storage.records import Workspace

    pacers, stores = shared_pacers(db_url, 2, lambda: 5000.0)
    slots, lock, start = [], threading.Lock(), threading.Barrier(8)

    def post(n):
        start.wait()
        for k in range(10):
            waited = pacers[n % 2].wait(f"C{n:02d}{k:02d}", Workspace("T1"))
            with lock:
                slots.append(5000.0 + waited)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(slots) == pytest.approx([5000.0 + n * 0.25 for n in range(80)])
        # … and another workspace's budget is untouched by all that.
        assert pacers[1].wait("C0000", Workspace("T2")) == 0
    finally:
        for store in stores:
            store.dispose()


def test_the_tier_4_upload_budget_slows_a_workspace_below_its_posting_budget():
    """A briefing uploads a chart (two Tier 4 calls, 100 a minute): at most 100 briefings a minute."""
    pacer = Pacer(per_second=10, uploads_per_minute=100, clock=lambda: 0.0, sleep=lambda s: None)
    assert pacer.interval == pytest.approx(0.6)
    assert [pacer.wait(f"C{n}") for n in range(3)] == pytest.approx([0.0, 0.6, 1.2])


# ---- the fan-out's workers: a lane per workspace ---------------------------------------------

def test_a_big_workspace_does_not_delay_a_small_one():
    """Two workers; a big workspace queues twenty briefings (each holds its worker until released,
    as a paced post does), then a small workspace queues one. The small one runs as soon as a
    worker is free, not after the big one's queue."""
    import threading

    from bot.briefings.pacing import Lanes

    lanes = Lanes(2)
    order, release, started = [], threading.Semaphore(0), threading.Semaphore(0)

    def big(n):
        def run():
            started.release()
            release.acquire()
            order.append(f"big{n}")
        return run

    try:
        futures = [lanes.submit("T-big", big(n)) for n in range(20)]
        started.acquire()
        started.acquire()  # both workers hold a big briefing
        small = lanes.submit("T-small", lambda: order.append("small") or "done")
        release.release()  # one big post ends: its worker goes to the small workspace
        assert small.result(timeout=10) == "done"
        assert order == ["big0", "small"] or order == ["big1", "small"]
        for _ in range(19):
            release.release()
        for future in futures:
            future.result(timeout=10)
        assert sorted(order) == sorted([f"big{n}" for n in range(20)] + ["small"])
    finally:
        lanes.shutdown()


def test_one_workspace_alone_uses_every_worker():
    import threading

    from bot.briefings.pacing import Lanes

    lanes = Lanes(3)
    barrier = threading.Barrier(3, timeout=10)  # passes only if three run at once
    try:
        assert sorted(f.result(timeout=10) for f in [lanes.submit("T1", barrier.wait) for _ in range(3)]) == [0, 1, 2]
    finally:
        lanes.shutdown()


def test_a_failing_briefing_reaches_its_future_and_the_worker_goes_on():
    from bot.briefings.pacing import Lanes

    lanes = Lanes(1)
    try:
        def boom():
            raise ValueError("no")
        failing = lanes.submit("T1", boom)
        with pytest.raises(ValueError):
            failing.result(timeout=10)
        assert lanes.submit("T1", lambda: 7).result(timeout=10) == 7
    finally:
        lanes.shutdown()


def test_briefings_waiting_for_their_turn_give_their_place_to_others():
    """One place to run, three threads: all three briefings can be waiting for their workspace's
    turn at once (each steps aside while it waits), but only one runs outside a wait at a time."""
    import threading

    from bot.briefings.pacing import Lanes, stepped_aside

    lanes = Lanes(1, threads=3)
    waiting = threading.Barrier(3, timeout=10)  # passes only if three wait at once
    running, most = [0], [0]
    lock = threading.Lock()

    def briefing(n):
        def run():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            with lock:
                running[0] -= 1
            with stepped_aside():
                waiting.wait()
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            with lock:
                running[0] -= 1
            return n
        return run

    try:
        futures = [lanes.submit(f"T{n}", briefing(n)) for n in range(3)]
        assert [f.result(timeout=10) for f in futures] == [0, 1, 2]
        assert most[0] == 1
    finally:
        lanes.shutdown()


def test_without_spare_threads_a_waiting_briefing_keeps_its_place():
    """`threads` defaults to `workers`: a pool of one runs one briefing at a time, waits included."""
    import threading

    from bot.briefings.pacing import Lanes, stepped_aside

    lanes = Lanes(1)
    order = []
    release = threading.Event()

    def first():
        with stepped_aside():
            release.wait(timeout=10)
        order.append("first")

    try:
        a = lanes.submit("T1", first)
        b = lanes.submit("T2", lambda: order.append("second"))
        release.set()
        a.result(timeout=10)
        b.result(timeout=10)
        assert order == ["first", "second"]
    finally:
        lanes.shutdown()


def test_a_briefing_takes_its_turns_of_both_budgets_at_once_and_a_later_part_only_the_channel_gap():
    """Messages: 10 a second; files: 100 a minute (0.6 s). A flat briefing (a message and its chart)
    waits for the slower; a threaded one takes its three messages' and its chart's turns at once."""
    waits = []
    pacer = Pacer(per_second=10, uploads_per_minute=100, per_channel_interval=0.0, clock=lambda: 0.0,
                  sleep=waits.append)
    assert [pacer.wait(f"C{n}", files=0) for n in range(3)] == pytest.approx([0.0, 0.1, 0.2])
    assert pacer.wait("C9", messages=0) == pytest.approx(0.0)
    assert pacer.wait("C9", messages=0) == pytest.approx(0.6)
    # a flat briefing needs a turn of each: the message budget is free at 0.3, the file budget at 1.2
    assert pacer.wait("C8") == pytest.approx(1.2)
    assert pacer.wait("C7", files=0) == pytest.approx(1.3)  # the briefing's message turn was at 1.2
    # a thread: three messages and a file at once; a later part waits for no budget, only its channel
    assert pacer.wait("C6", messages=3, files=1) == pytest.approx(1.8)
    assert pacer.wait("C6", messages=0, files=0) == pytest.approx(1.8)  # right after its parent (no gap here)
    assert pacer.wait("C5", files=0) == pytest.approx(2.1)  # after the thread's three message turns


def test_a_worker_can_tell_it_is_one_so_it_never_waits_on_its_own_pool():
    from bot.briefings.pacing import Lanes

    lanes = Lanes(1)
    try:
        assert not lanes.in_worker()
        assert lanes.submit("T1", lanes.in_worker).result(timeout=10) is True
        assert Lanes(1).in_worker() is False  # another pool's thread is not this pool's
    finally:
        lanes.shutdown()


def test_a_fan_out_whose_briefings_never_wait_runs_on_workers_threads_only():
    """Threads beyond ``workers`` are made only for briefings waiting for a turn."""
    import threading

    from bot.briefings.pacing import Lanes

    lanes = Lanes(2, threads=50)
    seen, lock = set(), threading.Lock()

    def work():
        with lock:
            seen.add(threading.current_thread().name)

    try:
        for future in [lanes.submit(f"T{n % 5}", work) for n in range(200)]:
            future.result(timeout=10)
        assert len(seen) <= 2 and len(lanes._threads) <= 2
    finally:
        lanes.shutdown()
