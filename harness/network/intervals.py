"""Sets of integers kept as sorted disjoint closed intervals: IPv4 addresses and port numbers."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_V4_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class IntervalSet:
    """An immutable set of integers stored as sorted, disjoint, non-adjacent closed intervals.

    Used for IPv4 address sets (addresses as integers) and for port and ICMP-type sets, so that questions over
    65536 ports or a /8 are answered by interval arithmetic instead of enumeration.
    """

    spans: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        previous = None
        for lo, hi in self.spans:
            if lo > hi:
                raise ValueError(f"interval {lo}-{hi} is reversed")
            if previous is not None and lo <= previous + 1:
                raise ValueError("intervals must be sorted, disjoint and non-adjacent; use IntervalSet.of()")
            previous = hi

    @classmethod
    def of(cls, spans: Iterable[tuple[int, int]]) -> IntervalSet:
        """Normalise any iterable of closed intervals (overlapping or not) into a set."""
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(spans):
            if lo > hi:
                raise ValueError(f"interval {lo}-{hi} is reversed")
            if merged and lo <= merged[-1][1] + 1:
                if hi > merged[-1][1]:
                    merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        return cls(tuple(merged))

    @classmethod
    def span(cls, lo: int, hi: int) -> IntervalSet:
        return cls(((lo, hi),))

    @classmethod
    def single(cls, value: int) -> IntervalSet:
        return cls(((value, value),))

    @classmethod
    def network(cls, net: ipaddress.IPv4Network) -> IntervalSet:
        return cls(((int(net.network_address), int(net.broadcast_address)),))

    @classmethod
    def networks(cls, nets: Iterable[ipaddress.IPv4Network]) -> IntervalSet:
        return cls.of((int(n.network_address), int(n.broadcast_address)) for n in nets)

    @classmethod
    def all_ipv4(cls) -> IntervalSet:
        return cls(((0, _V4_MAX),))

    def __bool__(self) -> bool:
        return bool(self.spans)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.spans)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        return any(lo <= value <= hi for lo, hi in self.spans)

    @property
    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.spans)

    @property
    def first(self) -> int:
        if not self.spans:
            raise ValueError("empty set has no first element")
        return self.spans[0][0]

    def union(self, other: IntervalSet) -> IntervalSet:
        if not other.spans:
            return self
        if not self.spans:
            return other
        return IntervalSet.of(self.spans + other.spans)

    def intersection(self, other: IntervalSet) -> IntervalSet:
        out: list[tuple[int, int]] = []
        i = j = 0
        a, b = self.spans, other.spans
        while i < len(a) and j < len(b):
            lo = max(a[i][0], b[j][0])
            hi = min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return IntervalSet(tuple(out))

    def difference(self, other: IntervalSet) -> IntervalSet:
        out: list[tuple[int, int]] = []
        j = 0
        b = other.spans
        for lo, hi in self.spans:
            cur = lo
            while j < len(b) and b[j][1] < cur:
                j += 1
            k = j
            while k < len(b) and b[k][0] <= hi:
                if b[k][0] > cur:
                    out.append((cur, b[k][0] - 1))
                cur = max(cur, b[k][1] + 1)
                k += 1
            if cur <= hi:
                out.append((cur, hi))
        return IntervalSet(tuple(out))

    def covers(self, other: IntervalSet) -> bool:
        """True when every element of ``other`` is in this set."""
        return not other.difference(self)

    def overlaps(self, other: IntervalSet) -> bool:
        return bool(self.intersection(other))

    def cut(self, boundaries: Iterable[IntervalSet]) -> list[IntervalSet]:
        """Split this set into atoms: pieces on which membership in every boundary set is constant."""
        points: set[int] = set()
        for b in boundaries:
            for lo, hi in b.spans:
                points.add(lo)
                points.add(hi + 1)
        atoms: list[IntervalSet] = []
        for lo, hi in self.spans:
            inner = sorted(p for p in points if lo < p <= hi)
            start = lo
            for p in inner:
                atoms.append(IntervalSet.span(start, p - 1))
                start = p
            atoms.append(IntervalSet.span(start, hi))
        return atoms

    def describe_ipv4(self) -> str:
        """Render as CIDR blocks (``10.0.0.0/16``), single addresses, or ranges (``10.0.1.4-10.0.1.254``)."""
        parts: list[str] = []
        for lo, hi in self.spans:
            first, last = ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)
            blocks = list(ipaddress.summarize_address_range(first, last))
            if len(blocks) == 1:
                parts.append(str(first) if lo == hi else str(blocks[0]))
            else:
                parts.append(f"{first}-{last}")
        if len(parts) > 6:
            return ", ".join(parts[:6]) + f" and {len(parts) - 6} more"
        return ", ".join(parts) if parts else "no address"

    def describe_ports(self) -> str:
        """Render as ``22, 1024-65535``."""
        if not self.spans:
            return "no port"
        return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.spans)


EMPTY = IntervalSet()
ALL_PORTS = IntervalSet.span(0, 65535)
ALL_ICMP_TYPES = IntervalSet.span(0, 255)
EPHEMERAL_PORTS = IntervalSet.span(1024, 65535)
