"""What a label code is: parse it, verify its MAC, find its range. The one place that answers
"is this code genuine?"; the scan page, the trace API and the counterfeit signals all ask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from dibiao.trace import codes, prepared
from dibiao.trace.choices import CodeStatus, SegmentState
from dibiao.trace.models import CodeSegment


@dataclass(frozen=True)
class CodeCheck:
    status: str  # CodeStatus; `suspicious` is decided by the counterfeit signals, not here
    code: str = ""  # normalised, when it parsed
    parsed: codes.ParsedCode | None = None
    segment: CodeSegment | None = None
    mac_failed: bool = False  # parsed, but the MAC is not the key's: a forged code

    @property
    def batch_id(self) -> int | None:
        return self.segment.batch_id if self.segment is not None else None


def segment_for(serial: int) -> CodeSegment | None:
    """The segment holding `serial`: one indexed lookup on `first_serial`, whatever the number of
    labels issued. Its issuance and batch come in the same query (the batch's version keys the
    cached scan facts); the query is compiled once per process (`prepared.py`)."""
    segment = prepared.segment_at_or_below(serial)
    if segment is None or segment.last_serial < serial:
        return None
    return segment


def check_code(text: str) -> CodeCheck:
    try:
        parsed = codes.parse(text)
    except codes.CodeFormatError:
        return CodeCheck(CodeStatus.UNKNOWN)
    code = codes.normalise(text)
    if not codes.verify(parsed):
        return CodeCheck(CodeStatus.UNKNOWN, code=code, parsed=parsed, mac_failed=True)
    segment = segment_for(parsed.serial)
    if segment is None or segment.issuance.key_id != parsed.key_id:
        # A correct MAC on a serial never issued means the key is known outside: the
        # counterfeit signals treat it like a forged code.
        return CodeCheck(CodeStatus.UNKNOWN, code=code, parsed=parsed, mac_failed=True)
    status = {
        SegmentState.ACTIVE: CodeStatus.GENUINE,
        SegmentState.ISSUED: CodeStatus.NOT_ACTIVATED,
        SegmentState.VOIDED: CodeStatus.VOIDED,
    }[SegmentState(segment.state)]
    return CodeCheck(status, code=code, parsed=parsed, segment=segment)
