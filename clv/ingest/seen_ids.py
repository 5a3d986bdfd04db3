"""Which order ids an import has written so far.

A first import into an empty store need not ask the database whether each order exists: only
an order that appeared earlier in the same file can. `SeenIds` keeps each id's 64-bit hash,
sorted per batch, and a Bloom filter over them (Bloom 1970, "Space/time trade-offs in hash
coding with allowable errors") that answers "certainly not" for almost every new id in 16 bits;
only its few "maybe"s are looked up among the hashes. So an id is reported as seen when it was
(or, once in billions of imports, when its hash equals an earlier id's): the importer then asks
the database, and the answer is never wrong. Bloom layers are added as the ids outgrow the
first (a scalable Bloom filter, Almeida et al. 2007), so an underestimate costs nothing either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

BITS_PER_ID = 16
PROBES = 4  # bits set per id, all in one 64-bit word (a blocked Bloom filter, Putze et al.
# 2007): one memory access per id; about 0.3 % false positives at 16 bits per id
_MIN_WORDS = 1 << 10


class _Layer:
    def __init__(self, capacity: int) -> None:
        words = max(_MIN_WORDS, 1 << (capacity * BITS_PER_ID // 64 - 1).bit_length())
        self.capacity = capacity
        self.count = 0
        self.mask = np.uint64(words - 1)
        self.words = np.zeros(words, dtype=np.uint64)

    def locate(self, hashes: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.intp], Any]:
        """Each id's word and the bits it sets there (from disjoint bits of its hash)."""
        index = (hashes & self.mask).astype(np.intp)
        bits = np.zeros(len(hashes), dtype=np.uint64)
        for probe in range(PROBES):
            shift = np.uint64(64 - 6 * (probe + 1))
            bits |= np.left_shift(np.uint64(1), (hashes >> shift) & np.uint64(63))
        return index, bits

    def contains(self, index: npt.NDArray[np.intp], bits: Any) -> npt.NDArray[np.bool_]:
        return (self.words[index] & bits) == bits  # type: ignore[no-any-return]

    def add(self, index: npt.NDArray[np.intp], bits: Any) -> None:
        # a fancy-indexed |= keeps one of several writes to the same word: write again those
        # whose bits a neighbour's write lost, until every id's bits are in
        while len(index):
            self.words[index] |= bits
            lost = ~self.contains(index, bits)
            index, bits = index[lost], bits[lost]


class SeenIds:
    """The ids added so far; `add` says which of a batch's ids were added before."""

    def __init__(self, expected: int) -> None:
        self._layers = [_Layer(max(expected, 1))]
        self._hashes: list[npt.NDArray[np.uint64]] = []  # each batch's, sorted

    def add(self, ids: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Remember `ids` (distinct); True where an id was added by an earlier call."""
        hashes = np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids)).view(np.uint64)
        maybe = np.zeros(len(ids), dtype=bool)
        for layer in self._layers:
            maybe |= layer.contains(*layer.locate(hashes))
        if maybe.any():
            maybe[maybe] = self._among_earlier(hashes[maybe])
        newest = self._layers[-1]
        if newest.count + len(ids) > newest.capacity:
            newest = _Layer(2 * newest.capacity)
            self._layers.append(newest)
        newest.add(*newest.locate(hashes))
        newest.count += len(ids)
        self._hashes.append(np.sort(hashes))
        return maybe

    def _among_earlier(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        found = np.zeros(len(hashes), dtype=bool)
        for earlier in self._hashes:
            at = np.minimum(np.searchsorted(earlier, hashes), len(earlier) - 1)
            found |= earlier[at] == hashes
        return found

    @property
    def nbytes(self) -> int:
        hashes = sum(batch.nbytes for batch in self._hashes)
        return hashes + sum(layer.words.nbytes for layer in self._layers)
