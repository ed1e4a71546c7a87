"""The witness: every published checkpoint is also appended to a file outside the database.

A rewritten database cannot rewrite this file too (keep it on other storage, or ship it off the
host: it is plain JSON lines). Before a checkpoint is published, and in every audit, the tree is
proven consistent with the last checkpoint the witness holds.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Witnessed:
    size: int
    root: bytes
    timestamp: str
    note: str
    line: int


def path() -> Path:
    return Path(settings.DIBIAO_LEDGER_WITNESS)


def append(*, size: int, root: bytes, timestamp: str, note: str) -> None:
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {"size": size, "root": root.hex(), "timestamp": timestamp, "note": note},
        ensure_ascii=False,
        sort_keys=True,
    )
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


class WitnessError(ValueError):
    pass


def read() -> list[Witnessed]:
    """Every witnessed checkpoint in file order; WitnessError names a damaged line."""
    target = path()
    if not target.exists():
        return []
    out: list[Witnessed] = []
    with target.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
                out.append(
                    Witnessed(
                        size=int(item["size"]),
                        root=bytes.fromhex(item["root"]),
                        timestamp=str(item["timestamp"]),
                        note=str(item["note"]),
                        line=number,
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise WitnessError(f"见证文件 {target} 第 {number} 行无法解析：{exc}") from exc
    return out


def last() -> Witnessed | None:
    items = read()
    return items[-1] if items else None
