"""The timed-event queue (`timing/events.py`): callbacks in time order, owners cancelled,
every change undone with the transaction it belongs to; DeleteJob releases a job's timers."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from moto_iotjobs.state.transaction import Journal
from moto_iotjobs.timing.events import EventQueue


def test_due_callbacks_fire_in_time_order_with_their_own_time() -> None:
    queue = EventQueue(Journal())
    fired: list[tuple[str, float]] = []
    queue.at(30.0, lambda when: fired.append(("c", when)))
    queue.at(10.0, lambda when: fired.append(("a", when)))
    queue.at(10.0, lambda when: fired.append(("b", when)))  # same time: arming order
    queue.at(99.0, lambda when: fired.append(("late", when)))
    queue.advance(50.0)
    assert fired == [("a", 10.0), ("b", 10.0), ("c", 30.0)]
    assert len(queue) == 1


def test_a_callback_may_arm_an_event_that_is_already_due() -> None:
    queue = EventQueue(Journal())
    fired: list[float] = []
    queue.at(1.0, lambda when: queue.at(when + 1, fired.append))
    queue.advance(5.0)
    assert fired == [2.0]


def test_cancel_owner_drops_only_that_owners_events() -> None:
    queue = EventQueue(Journal())
    fired: list[str] = []
    queue.at(1.0, lambda when: fired.append("job-a"), owner="a")
    queue.at(2.0, lambda when: fired.append("job-a again"), owner="a")
    queue.at(1.5, lambda when: fired.append("job-b"), owner="b")
    assert queue.cancel_owner("a") == 2
    assert queue.cancel_owner("a") == 0
    assert len(queue) == 1
    queue.advance(10.0)
    assert fired == ["job-b"]


def test_a_rolled_back_transaction_leaves_the_queue_as_it_was() -> None:
    journal = Journal()
    queue = EventQueue(journal)
    fired: list[str] = []
    queue.at(1.0, lambda when: fired.append("due"), owner="a")
    queue.at(5.0, lambda when: fired.append("later"), owner="a")
    with pytest.raises(RuntimeError), journal.atomic():
        queue.advance(2.0)  # fires "due"
        queue.at(3.0, lambda when: fired.append("armed in the failed call"))
        queue.cancel_owner("a")
        raise RuntimeError("the operation failed")
    assert len(queue) == 2
    fired.clear()
    queue.advance(10.0)
    assert fired == ["due", "later"]


def test_delete_job_releases_its_timers(iotjobs, iot, jobs_data, fleet) -> None:
    with freeze_time("2026-03-01 12:00:00"):
        iot.create_job(
            jobId="paced",
            targets=[fleet],
            document="{}",
            jobExecutionsRolloutConfig={"maximumPerMinute": 1},
            timeoutConfig={"inProgressTimeoutInMinutes": 5},
        )
        jobs_data.start_next_pending_job_execution(thingName="t0", stepTimeoutInMinutes=2)
        events = iotjobs.backend().store.events
        assert len(events) >= 3  # next rollout batch, in-progress and step timers
        iot.delete_job(jobId="paced", force=True)
        assert len(events) == 0
