from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from coresponder.domain.suppression import suppress_small


def test_it_hides_counts_from_one_to_ten_and_shows_zero_and_eleven() -> None:
    assert suppress_small(0) == 0
    assert [suppress_small(n) for n in range(1, 11)] == [None] * 10
    assert suppress_small(11) == 11


@given(st.integers(min_value=0, max_value=10**9))
def test_a_shown_count_is_never_between_one_and_ten(count: int) -> None:
    shown = suppress_small(count)
    assert shown is None or not 1 <= shown <= 10
