"""Queues with known answers: the M/M/1 and M/M/c scenarios against queueing theory at 40,000 requests.

The theory is worked out here, independently of threadsim: Erlang C for the probability of waiting, the
mean wait and response time, and the response-time distribution for the percentiles. A run is one sample:
over seeds, the mean response time of 40,000 requests at utilization 0.6 varies by about 2% (sd), so the
checks allow 5% (percentiles 6%); the seed is the scenario's, so the test is deterministic.
"""

import math

import attrs
import pytest

from simulator import Scenario, load_scenario, simulate
from simulator.trace import TraceEvent
from tests.conftest import SCENARIOS

MS = 1_000_000
REQUESTS = 40_000


def erlang_c(servers: int, load: float) -> float:
    """The probability that an arriving request waits in an M/M/c queue (load = arrival rate / service rate)."""
    below = sum(load**k / math.factorial(k) for k in range(servers))
    at_or_above = load**servers / math.factorial(servers) * servers / (servers - load)
    return at_or_above / (below + at_or_above)


def response_survival(t: float, servers: int, arrival_rate: float, service_rate: float) -> float:
    """P(response time > t) in M/M/c: the service, plus (with probability C) an exponential wait of rate
    c*mu - lambda."""
    waits = erlang_c(servers, arrival_rate / service_rate)
    theta = servers * service_rate - arrival_rate
    served = math.exp(-service_rate * t)
    if math.isclose(theta, service_rate):
        return (1 - waits) * served + waits * served * (1 + service_rate * t)
    queued = (theta * served - service_rate * math.exp(-theta * t)) / (theta - service_rate)
    return (1 - waits) * served + waits * queued


def response_percentile(p: float, servers: int, arrival_rate: float, service_rate: float) -> float:
    """The time t with P(response <= t) = p, by bisection."""
    low, high = 0.0, 1.0
    while response_survival(high, servers, arrival_rate, service_rate) > 1 - p:
        high *= 2
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (
            (middle, high) if response_survival(middle, servers, arrival_rate, service_rate) > 1 - p else (low, middle)
        )
    return (low + high) / 2


def with_requests(scenario: Scenario, count: int) -> Scenario:
    """The scenario with `count` copies of its request thread."""
    process = scenario.processes[0]
    request = attrs.evolve(process.threads[0], count=count)
    return attrs.evolve(scenario, processes=(attrs.evolve(process, threads=(request,)),))


class WaitTimes:
    """A listener: how long each request queued at the device before its service started."""

    def __init__(self) -> None:
        self.asked: dict[str, int] = {}
        self.waits: list[int] = []

    def __call__(self, event: TraceEvent) -> None:
        if event.event == "block":
            self.asked[event.thread] = event.time  # type: ignore[index]
        elif event.event == "io_start":
            self.waits.append(event.time - self.asked.pop(event.thread))  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "servers", "service_mean"), [("mm1-queue.yaml", 1, 0.6), ("mmc-queue.yaml", 3, 1.8)])
def test_the_queue_matches_queueing_theory(name: str, servers: int, service_mean: float) -> None:
    """Mean response, P(wait), mean wait (Erlang C) and the response percentiles, within a few percent."""
    scenario = with_requests(load_scenario(SCENARIOS / name), REQUESTS)
    waits = WaitTimes()
    metrics = simulate(scenario, listeners=[waits])
    (span,) = metrics.spans
    assert span.name == "response" and span.count == REQUESTS
    arrival_rate, service_rate = 1.0, 1 / service_mean  # per ms
    waiting = erlang_c(servers, arrival_rate / service_rate)
    mean_wait = waiting / (servers * service_rate - arrival_rate)
    assert float(span.mean) / MS == pytest.approx(mean_wait + service_mean, rel=0.05)  # type: ignore[arg-type]
    assert sum(1 for wait in waits.waits if wait) / REQUESTS == pytest.approx(waiting, rel=0.05)
    assert sum(waits.waits) / REQUESTS / MS == pytest.approx(mean_wait, rel=0.08)
    for p, measured in ((0.5, span.p50), (0.9, span.p90), (0.99, span.p99)):
        expected = response_percentile(p, servers, arrival_rate, service_rate)
        assert measured / MS == pytest.approx(expected, rel=0.06), p  # type: ignore[operator]


def test_the_theory_helpers_agree_with_textbook_values() -> None:
    """Erlang C(1, rho) = rho; C(2, 1) = 1/3; M/M/1 response times are exponential of rate mu - lambda."""
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert response_percentile(0.5, 1, 1.0, 1 / 0.6) == pytest.approx(math.log(2) * 1.5)
    assert response_percentile(0.9, 1, 1.0, 1 / 0.6) == pytest.approx(math.log(10) * 1.5)
