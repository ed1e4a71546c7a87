"""Training sessions (培训): record, edit, and the optional attendee list.

Person-times (培训人次) are the sessions' attendee counts summed (selectors); the attendee list,
when kept, is evidence for the count, so a count smaller than the list is refused. Attendees'
phone numbers are sealed (core/pii.py) and shown masked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook

from dibiao.accounts.models import Membership, Organization, User
from dibiao.core import pii
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.masking import mask_phone
from dibiao.core.uploads import check_upload
from dibiao.producers.models import Producer
from dibiao.production import selectors
from dibiao.production.errors import ProductionError
from dibiao.production.models import TrainingAttendee, TrainingSession
from dibiao.production.permissions import TRAINING_ROLES, can_record_training

TRAINING_FIELDS = (
    "product",
    "division",
    "held_on",
    "place",
    "topic",
    "trainer",
    "attendee_count",
    "notes",
)
MAX_ATTENDEES = 2000
EARLIEST_YEAR = 2000
# A mainland mobile number, or a landline with its area code (0 + 2–3 digits + 7–8 digits).
_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{9,11})$")
_PHONE_CHARACTERS = re.compile(r"^[\d\s+\-()（）]*$")
_NAME_HEADERS = ("姓名", "名字", "参训人员", "学员姓名")
_PHONE_HEADERS = ("电话", "手机", "手机号", "联系电话", "手机号码", "电话号码")


@dataclass(frozen=True)
class AttendeeInput:
    name: str
    phone: str = ""
    producer: Producer | None = None


def _require_recorder(actor: User | None) -> None:
    if actor is not None and not can_record_training(actor):
        raise ForbiddenError("只有县级管理员、生产经营主体和省级管理员可以记录培训。")


def training_organizer_for(user: User) -> Organization | None:
    """The organization a user records training for: its county bureau, producer or
    provincial department (in that order, when it holds several roles)."""
    memberships = Membership.objects.filter(
        user_id=user.pk, role__in=TRAINING_ROLES, organization__is_active=True
    ).select_related("organization")
    by_role = {m.role: m.organization for m in memberships}
    return next((by_role[r] for r in TRAINING_ROLES if r in by_role), None)


def normalise_attendee_phone(value: str) -> str:
    """The digits of a phone number as stored, or "" for none; raises ValueError when it is
    not a mainland mobile or a landline with area code."""
    if not _PHONE_CHARACTERS.match(value):
        raise ValueError(value)
    phone = pii.normalise_phone(value)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if not phone:
        return ""
    if not _PHONE.match(phone):
        raise ValueError(value)
    return phone


def _shown(phone: str) -> str:
    """A refused phone as an error message quotes it: a number (a digit too many or too few is
    still someone's number, or an ID number typed in the wrong column) masked like a stored
    one; text that is no number ("无") as it is."""
    text = phone.strip()
    return mask_phone(text) if sum(ch.isdigit() for ch in text) >= 7 else text


def _check_attendees(actor: User | None, attendees: Sequence[AttendeeInput]) -> None:
    if len(attendees) > MAX_ATTENDEES:
        raise ProductionError(
            "too_many_attendees", f"参训人员名单最多 {MAX_ATTENDEES} 人，请分场次登记。"
        )
    allowed = (
        None
        if actor is None
        else set(selectors.training_producer_choices(user=actor).values_list("pk", flat=True))
    )
    problems: list[str] = []
    for number, person in enumerate(attendees, start=1):
        name = person.name.strip()
        if not name:
            problems.append(f"第 {number} 人：姓名为空")
        elif len(name) > 50:
            problems.append(f"第 {number} 人：姓名超过 50 个字")
        try:
            normalise_attendee_phone(person.phone)
        except ValueError:
            problems.append(f"第 {number} 人（{name}）：电话“{_shown(person.phone)}”格式不正确")
        if (
            person.producer is not None
            and allowed is not None
            and person.producer.pk not in allowed
        ):
            problems.append(f"第 {number} 人（{name}）：所属主体不在您的数据范围内")
    if problems:
        raise ProductionError(
            "invalid_attendees",
            "参训人员名单有误：" + "；".join(problems[:10]) + ("……" if len(problems) > 10 else ""),
        )


def _attendee_rows(
    session: TrainingSession, attendees: Sequence[AttendeeInput]
) -> list[TrainingAttendee]:
    rows = []
    for person in attendees:
        sealed = pii.seal_phone(normalise_attendee_phone(person.phone))
        rows.append(
            TrainingAttendee(
                session=session,
                name=person.name.strip(),
                producer=person.producer,
                phone_sealed=sealed.sealed,
                phone_digest=sealed.digest,
                phone_masked=sealed.masked,
            )
        )
    return rows


def _count_covers(count: int, listed: int) -> None:
    if listed and count < listed:
        raise ProductionError(
            "attendee_count_too_small",
            f"参训人数 {count} 人少于参训人员名单的 {listed} 人，请改正参训人数。",
        )


def _apply(session: TrainingSession, data: Mapping[str, Any]) -> None:
    for name in TRAINING_FIELDS:
        if name in data:
            value = data[name]
            setattr(session, name, value.strip() if isinstance(value, str) else value)


def _check_choices(actor: User, session: TrainingSession, changed: set[str]) -> None:
    def among(rows: Any, pk: int | None) -> bool:
        return pk is not None and bool(rows.filter(pk=pk).exists())

    products = selectors.training_product_choices(user=actor)
    if {"product", "creating"} & changed and not among(products, session.product_id):
        raise ProductionError("product_out_of_scope", "该产品不在您可以记录培训的范围内。")
    divisions = selectors.training_division_choices(user=actor)
    if {"division", "creating"} & changed and not among(divisions, session.division_id):
        raise ProductionError("division_out_of_scope", "举办地应为您管辖范围内的县。")


def _validate(actor: User | None, session: TrainingSession, *, changed: set[str]) -> None:
    """The row's rules. The product and county are checked against the actor's choices only
    when they are set or changed, so that editing one field of an older session whose product
    has since been cancelled still works."""
    if actor is not None:
        _check_choices(actor, session, changed)
    if isinstance(session.held_on, dt.date) and session.held_on > timezone.localdate():
        raise ProductionError("held_on_in_future", "培训日期不能晚于今天；培训结束后再登记。")
    if isinstance(session.held_on, dt.date) and session.held_on.year < EARLIEST_YEAR:
        # The person-times are summed per year from 2000 (the API's year filter): an older
        # date is a typing error such as 0024 for 2024.
        raise ProductionError("held_on_too_early", f"培训日期不能早于 {EARLIEST_YEAR} 年。")
    if not isinstance(session.attendee_count, int) or session.attendee_count < 1:
        raise ProductionError("invalid_attendee_count", "参训人数应为不小于 1 的整数。")
    try:
        session.full_clean(
            exclude=["recorded_by", "created_at", "product", "division", "organizer"]
        )
    except ValidationError as exc:
        raise ProductionError("invalid_training", _message(exc)) from exc


def _message(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    parts: list[str] = []
    for name, errors in exc.message_dict.items():
        field = None if name == "__all__" else TrainingSession._meta.get_field(name)
        label = str(getattr(field, "verbose_name", name)) if field is not None else ""
        parts.extend(f"{label}：{e}" if label else e for e in errors)
    return "；".join(parts)


@transaction.atomic
def training_create(
    *,
    actor: User | None,
    data: Mapping[str, Any],
    attendees: Sequence[AttendeeInput] = (),
    organizer: Organization | None = None,
) -> TrainingSession:
    """Record a session held by the actor's organization (`organizer` only for a command or
    loader without an actor). `data` holds TRAINING_FIELDS."""
    _require_recorder(actor)
    if actor is not None:
        organizer = training_organizer_for(actor)
    if organizer is None:
        raise ProductionError(
            "organizer_required", "无法确定主办单位：您不属于可以记录培训的机构。"
        )
    missing = [name for name in ("product", "division", "held_on") if data.get(name) is None]
    if missing:
        labels = "、".join(
            str(getattr(TrainingSession._meta.get_field(n), "verbose_name", n)) for n in missing
        )
        raise ProductionError("training_field_required", f"请填写{labels}。")
    session = TrainingSession(organizer=organizer, recorded_by=actor)
    _apply(session, data)
    _validate(actor, session, changed={"creating"})
    _check_attendees(actor, attendees)
    _count_covers(session.attendee_count, len(attendees))
    session.created_at = timezone.now()
    session.save()
    TrainingAttendee.objects.bulk_create(_attendee_rows(session, attendees))
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=session,
        changes={"after": model_snapshot(session)},
        detail=f"参训人员名单 {len(attendees)} 人" if attendees else "",
    )
    return session


def _lock(actor: User | None, session: TrainingSession) -> TrainingSession:
    rows = TrainingSession.objects.select_for_update(of=("self",))
    if actor is not None:
        rows = rows.restrict(actor)
    found = rows.filter(pk=session.pk).first()
    if found is None:
        raise NotFoundError("未找到该培训记录。")
    return found


@transaction.atomic
def training_update(
    *, actor: User | None, session: TrainingSession, data: Mapping[str, Any]
) -> TrainingSession:
    """Change the fields in `data`; the organizer stays the one that held it."""
    _require_recorder(actor)
    session = _lock(actor, session)
    before = model_snapshot(session)
    changed = {
        name
        for name in ("product", "division")
        if name in data and getattr(data[name], "pk", None) != getattr(session, f"{name}_id")
    }
    _apply(session, data)
    _validate(actor, session, changed=changed)
    _count_covers(session.attendee_count, session.attendees.count())
    after = model_snapshot(session)
    diff = snapshot_diff(before, after)
    if diff["after"]:
        session.save()
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=session, changes=diff)
    return session


@transaction.atomic
def training_attendees_replace(
    *, actor: User | None, session: TrainingSession, attendees: Sequence[AttendeeInput]
) -> TrainingSession:
    """Replace the attendee list (an Excel import, or the API's PUT); an empty list clears it."""
    _require_recorder(actor)
    session = _lock(actor, session)
    _check_attendees(actor, attendees)
    _count_covers(session.attendee_count, len(attendees))
    previous = session.attendees.count()
    session.attendees.all().delete()
    TrainingAttendee.objects.bulk_create(_attendee_rows(session, attendees))
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=session,
        detail=f"参训人员名单由 {previous} 人改为 {len(attendees)} 人",
    )
    return session


@transaction.atomic
def training_attendee_add(
    *, actor: User | None, session: TrainingSession, attendee: AttendeeInput
) -> TrainingAttendee:
    _require_recorder(actor)
    session = _lock(actor, session)
    _check_attendees(actor, [attendee])
    _count_covers(session.attendee_count, session.attendees.count() + 1)
    row = _attendee_rows(session, [attendee])[0]
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=session,
        detail=f"添加参训人员「{pii.mask_person_name(row.name)}」",
    )
    return row


@transaction.atomic
def training_attendee_remove(
    *, actor: User | None, session: TrainingSession, attendee_id: int
) -> None:
    _require_recorder(actor)
    session = _lock(actor, session)
    row = session.attendees.filter(pk=attendee_id).first()
    if row is None:
        raise NotFoundError("未找到该参训人员。")
    row.delete()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=session,
        detail=f"删除参训人员「{pii.mask_person_name(row.name)}」",
    )


# --- Excel import ----------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a numeric cell
    return str(value).strip()


def _sheet_rows(upload: Any) -> Generator[tuple[Any, ...], None, None]:
    """The first sheet's rows. A damaged workbook (a sheet that is not XML, a sheet missing
    from the archive, ...) fails wherever openpyxl happens to read it: when opened, or only
    when its row is reached. Whatever it raises then, the file is unreadable; the consumer's
    own errors do not pass through this generator."""
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as exc:
        raise ProductionError("invalid_attendee_file", "无法读取该 Excel 文件。") from exc
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    except Exception as exc:
        raise ProductionError("invalid_attendee_file", "无法读取该 Excel 文件。") from exc
    finally:
        workbook.close()


def attendees_from_xlsx(upload: Any) -> list[AttendeeInput]:
    """Read an attendee list from an .xlsx file: a header row with 姓名 and 电话 (or 手机…)
    columns, then one person per row; blank rows are skipped. Nothing is saved here."""
    check_upload(upload, allowed=frozenset({"xlsx"}))
    rows = _sheet_rows(upload)
    try:
        header = [_cell_text(v) for v in next(rows, ())]
        name_col = next((i for i, h in enumerate(header) if h in _NAME_HEADERS), None)
        phone_col = next((i for i, h in enumerate(header) if h in _PHONE_HEADERS), None)
        if name_col is None:
            raise ProductionError(
                "invalid_attendee_file", "第一行应为表头，并包含“姓名”列（可另有“电话”列）。"
            )
        people: list[AttendeeInput] = []
        problems: list[str] = []
        for line, row in enumerate(rows, start=2):
            name = _cell_text(row[name_col]) if name_col < len(row) else ""
            phone = (
                _cell_text(row[phone_col]) if phone_col is not None and phone_col < len(row) else ""
            )
            if not name and not phone:
                continue
            if not name:
                problems.append(f"第 {line} 行：姓名为空")
            try:
                normalise_attendee_phone(phone)
            except ValueError:
                problems.append(f"第 {line} 行：电话“{_shown(phone)}”格式不正确")
            people.append(AttendeeInput(name=name, phone=phone))
            if len(people) > MAX_ATTENDEES:
                raise ProductionError(
                    "too_many_attendees", f"参训人员名单最多 {MAX_ATTENDEES} 人，请分场次登记。"
                )
    finally:
        rows.close()
    if problems:
        raise ProductionError(
            "invalid_attendee_file",
            "；".join(problems[:10]) + ("……" if len(problems) > 10 else ""),
        )
    if not people:
        raise ProductionError("invalid_attendee_file", "文件中没有参训人员。")
    return people
