"""The probe hub: greenlets on one thread that switch at every wait, and the same waits on a plain thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from netaudit.probe.hub import Flag, Hub, current, wait_ready


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    yield a, b
    a.close()
    b.close()


def test_on_a_plain_thread_waits_poll(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    assert current() is None
    started = time.monotonic()
    assert wait_ready(a, 0.1) is False
    assert time.monotonic() - started >= 0.09
    b.send(b"x")
    assert wait_ready(a, 1.0) is True
    assert wait_ready(a, 0.0, writing=True) is True


def test_greenlets_wait_side_by_side_on_one_thread() -> None:
    """Three greenlets each wait 0.3 s for a socket nobody writes to: together about 0.3 s, not 0.9."""
    hub = Hub()
    sockets = [socket.socketpair() for _ in range(3)]
    outcomes: list[tuple[bool, float]] = []
    threads: set[int] = set()
    started = time.monotonic()

    def waiter(sock: socket.socket) -> None:
        assert current() is hub
        threads.add(threading.get_ident())
        outcomes.append((wait_ready(sock, 0.3), time.monotonic() - started))

    for a, _ in sockets:
        a.setblocking(False)
        hub.spawn(waiter, a)
    hub.run()
    for a, b in sockets:
        a.close()
        b.close()
    assert [ready for ready, _ in outcomes] == [False, False, False]
    assert all(0.29 <= at < 0.6 for _, at in outcomes), outcomes
    assert threads == {threading.get_ident()}


def test_a_socket_made_ready_by_another_greenlet_resumes_its_waiter(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    hub = Hub()
    order: list[str] = []

    def reader() -> None:
        order.append("reader waits")
        assert wait_ready(a, 2.0) is True
        order.append(f"reader got {a.recv(10).decode()}")

    def writer() -> None:
        other_a, other_b = socket.socketpair()
        with other_a, other_b:
            order.append("writer waits")
            assert wait_ready(other_a, 0.05) is False  # nothing comes: the timeout passes
        b.send(b"hello")
        order.append("writer sent")

    hub.spawn(reader)
    hub.spawn(writer)
    hub.run()
    assert order == ["reader waits", "writer waits", "writer sent", "reader got hello"]


def test_a_flag_wakes_greenlets_and_threads_and_times_out() -> None:
    hub = Hub()
    flag, never = Flag(), Flag()
    seen: list[object] = []

    def waiter() -> None:
        seen.append(("greenlet", flag.wait(2.0)))
        seen.append(("never", never.wait(0.05)))

    def setter() -> None:
        flag.set()

    thread_saw: list[bool] = []
    thread = threading.Thread(target=lambda: thread_saw.append(flag.wait(2.0)))
    thread.start()
    hub.spawn(waiter)
    hub.spawn(setter)
    hub.run()
    thread.join(2)
    assert seen == [("greenlet", True), ("never", False)]
    assert thread_saw == [True]
    assert flag.wait(0) is True  # set stays set


def test_a_flag_set_on_another_thread_wakes_a_greenlet() -> None:
    hub = Hub()
    flag = Flag()
    seen: list[tuple[bool, float]] = []
    started = time.monotonic()

    def waiter() -> None:
        seen.append((flag.wait(5.0), time.monotonic() - started))

    timer = threading.Timer(0.1, flag.set)
    timer.start()
    hub.spawn(waiter)
    hub.run()
    timer.join()
    assert seen[0][0] is True
    assert seen[0][1] < 2.0


def test_blocking_work_runs_on_a_thread_while_other_greenlets_go_on() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from netaudit.probe.hub import wait_for

    hub = Hub()
    done: list[str] = []
    pool = ThreadPoolExecutor(max_workers=2)

    def blocking() -> None:
        value = wait_for(pool.submit(lambda: (time.sleep(0.2), "slept")[1]))
        done.append(value)

    def failing() -> None:
        def boom() -> None:
            raise ValueError("bad")

        with pytest.raises(ValueError, match="bad"):
            wait_for(pool.submit(boom))
        done.append("raised")

    def quick() -> None:
        other_a, other_b = socket.socketpair()
        with other_a, other_b:
            wait_ready(other_a, 0.05)
        done.append("quick")

    with pool:
        hub.spawn(blocking)
        hub.spawn(failing)
        hub.spawn(quick)
        hub.run()
        assert wait_for(pool.submit(lambda: "on a thread")) == "on a thread"  # a plain thread blocks
    assert done.index("quick") < done.index("slept")
    assert set(done) == {"slept", "raised", "quick"}


def test_an_exception_in_a_greenlet_ends_the_run() -> None:
    hub = Hub()

    def broken() -> None:
        raise RuntimeError("a bug")

    hub.spawn(broken)
    with pytest.raises(RuntimeError, match="a bug"):
        hub.run()


def test_stop_unwinds_parked_greenlets_and_ends_the_run(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    hub = Hub()
    cleaned: list[str] = []

    def parked() -> None:
        try:
            wait_ready(a, 30.0)
        finally:
            cleaned.append("parked")

    def on_a_flag() -> None:
        try:
            Flag().wait(30.0)
        finally:
            cleaned.append("flag")

    hub.spawn(parked)
    hub.spawn(on_a_flag)
    timer = threading.Timer(0.1, hub.stop)
    timer.start()
    started = time.monotonic()
    hub.run()
    timer.join()
    assert time.monotonic() - started < 5
    assert sorted(cleaned) == ["flag", "parked"]


def test_without_epoll_or_poll_the_selectors_and_select_do_the_same(
    monkeypatch: pytest.MonkeyPatch, pair: tuple[socket.socket, socket.socket]
) -> None:
    """Where there is no epoll (macOS, Windows) the hub uses `selectors`; where there is no poll
    (Windows) a thread's wait uses select()."""
    import select

    monkeypatch.delattr(select, "epoll")
    monkeypatch.delattr(select, "poll")
    a, b = pair
    assert wait_ready(a, 0.05) is False
    b.send(b"x")
    assert wait_ready(a, 1.0) is True

    hub = Hub()
    outcomes: list[tuple[bool, float]] = []
    started = time.monotonic()

    def waiter(sock: socket.socket) -> None:
        outcomes.append((wait_ready(sock, 0.3), time.monotonic() - started))

    sockets = [socket.socketpair() for _ in range(3)]
    for one, _ in sockets:
        hub.spawn(waiter, one)
    hub.spawn(waiter, a)  # readable already: resumes at once
    hub.run()
    for one, other in sockets:
        one.close()
        other.close()
    assert sorted(ready for ready, _ in outcomes) == [False, False, False, True]
    assert all(at < 0.6 for _, at in outcomes), outcomes
