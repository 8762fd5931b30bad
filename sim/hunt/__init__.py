"""`quorumsim hunt`: run a scenario over many seeds until a run goes wrong, then shrink that run
to a small scenario that still goes wrong the same way.

`verdict` says what went wrong in a run (its *signature*), `search` runs seeds in parallel and
stops at the first bad one (or the first k), `concrete` turns a run's faults.csv into an explicit
`faults:` list, `shrink` reduces it by delta debugging, and `report` writes the hunt directory.
"""

from sim.hunt.search import Found, HuntProgress, hunt
from sim.hunt.shrink import Shrunk, shrink
from sim.hunt.verdict import signature

__all__ = ["Found", "HuntProgress", "Shrunk", "hunt", "shrink", "signature"]
