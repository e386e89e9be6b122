"""How far ahead of the server a phone's or a partner system's clock may run.

A time a person or system reports is refused as "in the future" only when it is
later than now by more than this.
"""

from __future__ import annotations

import datetime as dt

CLOCK_SKEW = dt.timedelta(minutes=5)
