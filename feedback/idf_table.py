"""jieba's IDF table in 6 MB instead of 34: its words as one sorted UTF-8 blob, looked up by bisection.

As a dict of str to float the 270,000 entries cost every gunicorn worker 34 MB (loaded on the first
submission, after the fork). Here they are three flat buffers, loaded once in the master before the
fork (``Tagger.warm_up``) and so shared; a submission looks up its few dozen candidate words in
about twenty steps each (3 µs a word). Values and the median are exactly those of the file (the last
line wins for a repeated word, as a dict would have it).

Building the buffers takes about half a second, so they are kept in a cache file beside jieba's own
dictionary cache (the temp directory), named for the source file's size and time; the next start
reads them in milliseconds. A cache that cannot be read or written is simply rebuilt.
"""

from __future__ import annotations

import os
import struct
import tempfile
from array import array
from itertools import accumulate

_HEADER = struct.Struct("<QQd")  # entries, blob bytes, median


# Words looked up recently, with their value (None: not in the table). Keywords follow Zipf's law,
# so most of a submission's few dozen candidates were looked up before; bounded (< 1 MB a worker).
_MEMO_SIZE = 4096


class IdfTable:
    def __init__(self, blob: bytes, starts: array, values: array, median: float) -> None:
        self._blob, self._starts, self._values, self.median = blob, starts, values, median
        self._memo: dict[str, float | None] = {}

    @classmethod
    def from_entries(cls, entries: dict[bytes, float]) -> IdfTable:
        keys = sorted(entries)
        values = array("d", map(entries.__getitem__, keys))
        ordered = sorted(values)
        median = ordered[len(ordered) // 2] if ordered else 0.0
        return cls(b"".join(keys), array("Q", accumulate(map(len, keys), initial=0)), values, median)

    @classmethod
    def from_file(cls, path: str) -> IdfTable:
        """``word value`` per line, UTF-8, through the cache file when there is a current one."""
        info = os.stat(path)
        cache = os.path.join(tempfile.gettempdir(), f"feedback-idf-{info.st_size}-{info.st_mtime_ns}.bin")
        try:
            return cls._read_cache(cache)
        except (OSError, ValueError, struct.error):
            pass
        with open(path, "rb") as fh:  # bytes: the words are kept as UTF-8 anyway
            pairs = [line.split() for line in fh]
        table = cls.from_entries({p[0]: float(p[1]) for p in pairs if p})
        table._write_cache(cache)
        return table

    @classmethod
    def _read_cache(cls, cache: str) -> IdfTable:
        with open(cache, "rb") as fh:
            data = fh.read()
        count, blob_size, median = _HEADER.unpack_from(data)
        at = _HEADER.size
        blob = data[at : at + blob_size]
        at += blob_size
        starts, values = array("Q"), array("d")
        starts.frombytes(data[at : at + 8 * (count + 1)])
        at += 8 * (count + 1)
        values.frombytes(data[at : at + 8 * count])
        if len(blob) != blob_size or len(values) != count or at + 8 * count != len(data) or starts[-1] != blob_size:
            raise ValueError("truncated IDF cache")
        return cls(blob, starts, values, median)

    def _write_cache(self, cache: str) -> None:
        partial = f"{cache}.{os.getpid()}"
        try:
            with open(partial, "wb") as fh:
                fh.write(_HEADER.pack(len(self._values), len(self._blob), self.median))
                fh.write(self._blob)
                fh.write(self._starts.tobytes())
                fh.write(self._values.tobytes())
            os.replace(partial, cache)
        except OSError:
            pass

    def __len__(self) -> int:
        return len(self._values)

    def get(self, word: str, default: float) -> float:
        memo = self._memo
        if word in memo:
            found = memo[word]
            return default if found is None else found
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        found = memo[word] = self._find(word)
        return default if found is None else found

    def _find(self, word: str) -> float | None:
        key, blob, starts = word.encode(), self._blob, self._starts
        lo, hi = 0, len(self._values)
        while lo < hi:
            mid = (lo + hi) // 2
            found = blob[starts[mid] : starts[mid + 1]]
            if found < key:
                lo = mid + 1
            elif found > key:
                hi = mid
            else:
                return self._values[mid]
        return None
