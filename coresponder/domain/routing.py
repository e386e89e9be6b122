"""A team's visit route for one shift: who to see, in what order, and when.

One vehicle (the team) sets out from its start point when the route starts, visits
people inside their follow-up windows, and is back at the start point by the end of
the shift. Not every visit fits a shift, so visits are optional, and what is kept
follows one order of importance, the same for the solver and the figures:

1. as many visits as possible made inside their windows;
2. among routes making as many, the higher priority tier kept (tier 1 first, people
   with no tier last) and, inside a tier, the visit whose window closes before the
   shift ends: tomorrow it will be too late;
3. among those, the shortest distance.

Travel is great-circle distance times a detour factor (roads are not straight) at
an average speed; a caller may pass its own matrix instead (a routing server's).
The solver is OR-Tools' vehicle routing with time windows and optional visits
(disjunctions whose penalties follow the order above), deterministic: fixed
first-solution strategies, each improved by local search until no move improves
it (a time limit only as a guard). The greedy nearest-first route a team would
drive by hand, on the same integer matrix, is improved the same way, and the best
of them is returned: never worse than greedy by the order above.

OR-Tools is imported here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

EARTH_RADIUS_KM = 6371.0088
# Road distance over straight-line distance: about 1.2–1.4 in US towns and suburbs
# (circuity studies of road networks); 1.3 unless a program knows better.
DETOUR_FACTOR = 1.3
# Average driving speed between visits, stops and parking included, in km/h.
SPEED_KMH = 40.0
# Minutes at each door: knocking, talking, leaving resources, the note in the car.
SERVICE_MINUTES = 30.0
MAX_TIER_LEVELS = 12
# A guard only: a route is wanted on the doorstep, not after a coffee.
TIME_LIMIT_SECONDS = 5


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Visit:
    """One visit to make: a task's place, the instants its visit may start in, its tier."""

    key: int
    point: Point | None
    opens: dt.datetime
    closes: dt.datetime
    tier: int | None = None


@dataclass(frozen=True)
class Shift:
    """Where and when the team works: start point, when the route starts, when it must be back."""

    start: Point
    starts: dt.datetime
    ends: dt.datetime
    service: dt.timedelta = dt.timedelta(minutes=SERVICE_MINUTES)


class SkipReason(StrEnum):
    NO_PLACE = "no_place"
    CLOSED_BEFORE_START = "closed_before_start"
    OPENS_AFTER_SHIFT = "opens_after_shift"
    OUT_OF_REACH = "out_of_reach"
    NO_TIME = "no_time"


SKIP_REASON_LABELS = {
    SkipReason.NO_PLACE: "No address or location on record",
    SkipReason.CLOSED_BEFORE_START: "Its window closed before the route starts",
    SkipReason.OPENS_AFTER_SHIFT: "Its window opens after the shift",
    SkipReason.OUT_OF_REACH: "Too far to reach in its window and be back by the end of the shift",
    SkipReason.NO_TIME: "No time left in the shift for it beside the visits kept",
}


@dataclass(frozen=True)
class Stop:
    key: int
    arrives: dt.datetime
    starts: dt.datetime  # after waiting for the window to open
    leaves: dt.datetime
    km_from_previous: float


@dataclass(frozen=True)
class Skipped:
    key: int
    reason: SkipReason


@dataclass(frozen=True)
class Route:
    stops: tuple[Stop, ...]
    skipped: tuple[Skipped, ...]
    distance_km: float  # the way back to the start point included
    back_at: dt.datetime
    method: str  # "solver" or "greedy"

    @property
    def windows_met(self) -> int:
        return len(self.stops)


@dataclass(frozen=True)
class Matrix:
    """Metres and seconds between places, the start point first; integers, so both methods
    see exactly the same numbers."""

    metres: tuple[tuple[int, ...], ...]
    seconds: tuple[tuple[int, ...], ...]


def great_circle_km(a: Point, b: Point) -> float:
    """The distance between two points over the earth's surface (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    d_lat = lat2 - lat1
    d_lon = math.radians(b.longitude - a.longitude)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def travel_seconds(km: float, detour: float = DETOUR_FACTOR, speed_kmh: float = SPEED_KMH) -> int:
    """Driving time for a straight-line distance: distance × detour factor ÷ speed."""
    return round(km * detour / speed_kmh * 3600)


def great_circle_matrix(
    points: Sequence[Point], detour: float = DETOUR_FACTOR, speed_kmh: float = SPEED_KMH
) -> Matrix:
    """Road metres and seconds between every two points, estimated from coordinates."""
    if detour < 1 or speed_kmh <= 0:
        raise ValueError("the detour factor is at least 1 and the speed above 0")
    km = [[great_circle_km(a, b) for b in points] for a in points]
    return Matrix(
        metres=tuple(tuple(round(d * detour * 1000) for d in row) for row in km),
        seconds=tuple(tuple(travel_seconds(d, detour, speed_kmh) for d in row) for row in km),
    )


def route_points(start: Point, visits: Sequence[Visit]) -> list[Point]:
    """The places a matrix is asked for: the start point, then each visit that has one."""
    return [start, *(v.point for v in visits if v.point is not None)]


# A pair the routing server cannot join (no road) costs this: never worth taking.
NO_ROAD = 10_000_000


def matrix_from_table(answer: object, size: int) -> Matrix:
    """An OSRM-compatible table answer (`durations` in seconds, `distances` in metres) as a
    matrix; ValueError when it is not one for `size` places."""
    if not isinstance(answer, Mapping):
        raise ValueError("the routing server's answer is not a JSON object")
    if answer.get("code", "Ok") != "Ok":
        raise ValueError(f"the routing server answered {answer.get('code')!r}")

    def table(key: str) -> tuple[tuple[int, ...], ...]:
        rows = answer.get(key)
        if not isinstance(rows, list) or len(rows) != size:
            raise ValueError(f"the answer has no {key} for {size} places")
        out = []
        for row in rows:
            if not isinstance(row, list) or len(row) != size:
                raise ValueError(f"the answer's {key} are not {size} by {size}")
            out.append(tuple(NO_ROAD if v is None else max(0, round(float(v))) for v in row))
        return tuple(out)

    return Matrix(metres=table("distances"), seconds=table("durations"))


# --- The instance both methods solve --------------------------------------------


@dataclass(frozen=True)
class _Problem:
    shift: Shift
    visits: tuple[Visit, ...]  # the candidates, node i + 1 each
    windows: tuple[tuple[int, int], ...]  # seconds after the route starts
    weights: tuple[int, ...]  # tier and last-chance weight, 1 and up
    matrix: Matrix
    service: int
    horizon: int
    skipped: tuple[Skipped, ...]


def _seconds(at: dt.datetime, origin: dt.datetime) -> int:
    return math.floor((at - origin).total_seconds())


def _weights(visits: Sequence[Visit], shift_ends: dt.datetime) -> list[int]:
    """Each visit's weight: each tier outweighs every lower one put together, and a window
    closing before the shift ends adds one."""
    tiers = sorted({v.tier for v in visits if v.tier is not None})
    # Past a dozen tiers the lowest share one weight, so penalties stay inside int64.
    levels = min(len(tiers) + 1, MAX_TIER_LEVELS)
    weights = []
    for visit in visits:
        rank = tiers.index(visit.tier) if visit.tier is not None else len(tiers)
        rank = min(rank, levels - 1)
        last_chance = 1 if visit.closes <= shift_ends else 0
        weights.append(2 * 2 ** (levels - 1 - rank) + last_chance)
    return weights


def _sub_matrix(matrix: Matrix, rows: Sequence[int]) -> Matrix:
    return Matrix(
        metres=tuple(tuple(matrix.metres[i][j] for j in rows) for i in rows),
        seconds=tuple(tuple(matrix.seconds[i][j] for j in rows) for i in rows),
    )


def _problem(shift: Shift, visits: Sequence[Visit], matrix: Matrix | None) -> _Problem:
    if shift.ends <= shift.starts:
        raise ValueError("the shift ends before it starts")
    horizon = _seconds(shift.ends, shift.starts)
    service = round(shift.service.total_seconds())
    skipped: list[Skipped] = []
    kept: list[Visit] = []
    windows: list[tuple[int, int]] = []
    rows = [0]
    located = 0
    for visit in visits:
        if visit.point is None:
            skipped.append(Skipped(visit.key, SkipReason.NO_PLACE))
            continue
        located += 1
        if visit.closes < shift.starts:
            skipped.append(Skipped(visit.key, SkipReason.CLOSED_BEFORE_START))
        elif visit.opens >= shift.ends:
            skipped.append(Skipped(visit.key, SkipReason.OPENS_AFTER_SHIFT))
        else:
            kept.append(visit)
            rows.append(located)
            # Opening rounds up and closing down, so a whole second never stretches a window.
            opens = max(0, math.ceil((visit.opens - shift.starts).total_seconds()))
            windows.append((opens, min(horizon, _seconds(visit.closes, shift.starts))))
    if matrix is None:
        matrix = great_circle_matrix([shift.start, *(v.point for v in kept if v.point)])
    elif len(matrix.seconds) != located + 1 or len(matrix.metres) != located + 1:
        raise ValueError("the matrix has a row for the start point, then one for each place")
    else:
        matrix = _sub_matrix(matrix, rows)
    problem = _Problem(
        shift, tuple(kept), tuple(windows), tuple(_weights(kept, shift.ends)), matrix, service,
        horizon, tuple(skipped),
    )  # fmt: skip
    return _drop_out_of_reach(problem)


def _drop_out_of_reach(problem: _Problem) -> _Problem:
    """Visits the team could not make even alone, straight there and back, leave first."""
    keep = []
    skipped = list(problem.skipped)
    for index, visit in enumerate(problem.visits):
        node = index + 1
        opens, closes = problem.windows[index]
        starts = max(opens, problem.matrix.seconds[0][node])
        back = starts + problem.service + problem.matrix.seconds[node][0]
        if starts <= closes and back <= problem.horizon:
            keep.append(index)
        else:
            skipped.append(Skipped(visit.key, SkipReason.OUT_OF_REACH))
    return _Problem(
        shift=problem.shift,
        visits=tuple(problem.visits[i] for i in keep),
        windows=tuple(problem.windows[i] for i in keep),
        weights=tuple(problem.weights[i] for i in keep),
        matrix=_sub_matrix(problem.matrix, [0, *(i + 1 for i in keep)]),
        service=problem.service,
        horizon=problem.horizon,
        skipped=tuple(skipped),
    )


def _schedule(problem: _Problem, order: Sequence[int]) -> list[int] | None:
    """The earliest start at each node of the order (1-based nodes), or None if it does not fit."""
    t, here, starts = 0, 0, []
    for node in order:
        opens, closes = problem.windows[node - 1]
        start = max(t + problem.matrix.seconds[here][node], opens)
        if start > closes:
            return None
        starts.append(start)
        t, here = start + problem.service, node
    if t + problem.matrix.seconds[here][0] > problem.horizon:
        return None
    return starts


def _score(problem: _Problem, order: Sequence[int]) -> tuple[int, int, int]:
    """Higher is better: visits made, then their weight, then less distance."""
    path = [0, *order, 0]
    metres = sum(problem.matrix.metres[a][b] for a, b in zip(path, path[1:], strict=False))
    return (len(order), sum(problem.weights[n - 1] for n in order), -metres)


def _route(problem: _Problem, order: Sequence[int], method: str) -> Route:
    starts = _schedule(problem, order)
    if starts is None:
        raise ValueError("the order does not fit the shift")  # never: both methods check
    origin = problem.shift.starts
    stops = []
    here, t = 0, 0
    for node, start in zip(order, starts, strict=True):
        arrives = t + problem.matrix.seconds[here][node]
        stops.append(
            Stop(
                key=problem.visits[node - 1].key,
                arrives=origin + dt.timedelta(seconds=arrives),
                starts=origin + dt.timedelta(seconds=start),
                leaves=origin + dt.timedelta(seconds=start + problem.service),
                km_from_previous=problem.matrix.metres[here][node] / 1000,
            )
        )
        here, t = node, start + problem.service
    served = set(order)
    skipped = [
        *problem.skipped,
        *(
            Skipped(v.key, SkipReason.NO_TIME)
            for i, v in enumerate(problem.visits)
            if i + 1 not in served
        ),
    ]
    return Route(
        stops=tuple(stops),
        skipped=tuple(sorted(skipped, key=lambda s: s.key)),
        distance_km=-_score(problem, order)[2] / 1000,
        back_at=origin + dt.timedelta(seconds=t + problem.matrix.seconds[here][0]),
        method=method,
    )


# --- Greedy nearest-first: what a team does by hand ------------------------------


def _greedy_order(problem: _Problem) -> list[int]:
    """From where the team stands, the nearest visit it can still make in its window and be
    back in time; again until none is left."""
    order: list[int] = []
    left = set(range(1, len(problem.visits) + 1))
    while left:
        here = order[-1] if order else 0
        reachable = [n for n in left if _schedule(problem, [*order, n]) is not None]
        if not reachable:
            break
        nearest = min(reachable, key=lambda n: (problem.matrix.metres[here][n], n))
        order.append(nearest)
        left.remove(nearest)
    return order


def greedy_route(shift: Shift, visits: Sequence[Visit], matrix: Matrix | None = None) -> Route:
    """The nearest-first route: the baseline the solver is measured against."""
    problem = _problem(shift, visits, matrix)
    return _route(problem, _greedy_order(problem), "greedy")


# --- The solver ------------------------------------------------------------------


# Each first solution is improved by local search until no move improves it: the search
# ends by itself, at the same place on every machine, with the time limit only a guard.
FIRST_SOLUTIONS = (
    routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
    routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
    routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
)


def _parameters(first: int | None) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    if first is not None:
        params.first_solution_strategy = first
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.seconds = TIME_LIMIT_SECONDS
    return params


def _solve(problem: _Problem, first: int | None, initial: Sequence[int] = ()) -> list[int] | None:
    """One search: from a first-solution strategy, or from an order already made."""
    size = len(problem.visits) + 1
    manager = pywrapcp.RoutingIndexManager(size, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    distance = routing.RegisterTransitMatrix([list(row) for row in problem.matrix.metres])
    routing.SetArcCostEvaluatorOfAllVehicles(distance)
    # Time at a node is when its visit starts; leaving it takes the service time first.
    time_rows = [
        [problem.matrix.seconds[i][j] + (problem.service if i else 0) for j in range(size)]
        for i in range(size)
    ]
    transit = routing.RegisterTransitMatrix(time_rows)
    routing.AddDimension(transit, problem.horizon, problem.horizon, True, "time")
    time = routing.GetDimensionOrDie("time")
    # A kept visit outweighs any distance, and one more visit any mix of weights.
    longest = sum(max(row) for row in problem.matrix.metres) + 1
    one_more = longest * (sum(problem.weights) + 1)
    for node in range(1, size):
        index = manager.NodeToIndex(node)
        time.CumulVar(index).SetRange(*problem.windows[node - 1])
        routing.AddDisjunction([index], one_more + longest * problem.weights[node - 1])
    time.CumulVar(routing.End(0)).SetMax(problem.horizon)
    params = _parameters(first)
    if first is not None:
        solution = routing.SolveWithParameters(params)
    else:
        routes = [[manager.NodeToIndex(n) for n in initial]]
        solution = routing.SolveFromAssignmentWithParameters(
            routing.ReadAssignmentFromRoutes(routes, True), params
        )
    if solution is None:
        return None
    order = []
    index = solution.Value(routing.NextVar(routing.Start(0)))
    while not routing.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return order


def plan_route(shift: Shift, visits: Sequence[Visit], matrix: Matrix | None = None) -> Route:
    """The shift's route: ordered stops with their times, and the visits left out and why.

    `matrix`, when given, has the start point first, then each visit that has a place, in
    order (`route_points` lists them; a routing server's table, `matrix_from_table`).
    """
    problem = _problem(shift, visits, matrix)
    greedy = _greedy_order(problem)
    if not problem.visits:
        return _route(problem, [], "solver")
    # Several starts, each searched to its local optimum, and the greedy route improved
    # the same way: the best of them, so the answer is never worse than greedy.
    found = [_solve(problem, first) for first in FIRST_SOLUTIONS]
    found.append(_solve(problem, None, greedy))
    orders = [order for order in found if order is not None and _schedule(problem, order)]
    if not orders:
        return _route(problem, greedy, "greedy")
    best = max(orders, key=lambda order: _score(problem, order))
    if _score(problem, best) < _score(problem, greedy):
        return _route(problem, greedy, "greedy")
    return _route(problem, best, "solver")
