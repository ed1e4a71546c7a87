"""Demo data of the disclosure app: the province's notice of the 2021 selection results.

Called by the demo loader (`dibiao/demo`). The plan gives no dates for the notice, so the demo
notice runs for seven days from the day it is loaded (and says so), to be open in the demo.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dibiao.accounts.models import Organization
from dibiao.disclosure.choices import NoticeKind
from dibiao.disclosure.models import Notice, local_today
from dibiao.disclosure.services import notice_publish, notice_save

PROVINCE_CODE = "140000"
PROVINCE_DEPT = "山西省农业农村厅"
DEMO_TITLE = "2021年山西省地理标志农产品保护工程实施对象遴选结果公示"
DEMO_DAYS = 7

# From the plan's sections 二 (实施主体) and 四 (资金安排).
SELECTED_PRODUCTS = (
    "隆化小米",
    "冠山连翘茶",
    "斗山杏仁",
    "王官屯京杏",
    "上党高粱",
    "偏关羊肉",
    "七里坡山楂",
    "灵石酸枣仁",
    "沁水刺槐蜂蜜",
    "平鲁红山荞麦",
    "清徐葡萄",
    "临县开阳大枣",
)
FUNDING_WAN_YUAN = {"斗山杏仁": 270, "王官屯京杏": 270}
DEFAULT_FUNDING_WAN_YUAN = 300


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def demo_notice_body(start: dt.date, end: dt.date) -> str:
    lines = [
        "按照《山西省农业农村厅办公室关于申报2021年地理标志农产品保护工程的通知》要求，"
        "经地理标志农产品所在县（市、区）农业农村局申报、县（市、区）人民政府审核确认、"
        "市农业农村局推荐，省级专家组通过审阅申报材料、听取汇报、现场质询，按照评审方案"
        "综合打分，拟确定以下12个产品为2021年地理标志农产品保护工程实施对象：",
        "",
    ]
    for number, name in enumerate(SELECTED_PRODUCTS, start=1):
        funding = FUNDING_WAN_YUAN.get(name, DEFAULT_FUNDING_WAN_YUAN)
        lines.append(f"{number}. {name}（拟补助 {funding} 万元）")
    total = sum(FUNDING_WAN_YUAN.get(n, DEFAULT_FUNDING_WAN_YUAN) for n in SELECTED_PRODUCTS)
    lines += [
        "",
        f"补助资金以中央农业生产发展项目下达资金为准，共计 {total} 万元。"
        "实施主体为地理标志农产品所属县（市、区）农业农村局，支持对象为证书持有人、"
        "用标企业及其他承担项目任务的单位。",
        "",
        f"公示期：{_chinese_date(start)}至{_chinese_date(end)}。"
        "公示期内，如对上述遴选结果有异议，请在本页面提交书面意见，写明事实和理由，"
        "并留下联系方式。",
        "",
        "（演示公示：实施方案未载明公示日期，本公示的公示期为演示数据加载之日起"
        f" {DEMO_DAYS} 天，并非实际公示日期。）",
    ]
    return "\n".join(lines)


@transaction.atomic
def disclosure_demo_load() -> Notice | None:
    """Publish the demo notice once. Returns it (new or existing), or None when the province
    department has not been loaded (run the main demo loader first)."""
    existing = Notice.objects.filter(division__code=PROVINCE_CODE, title=DEMO_TITLE).first()
    if existing is not None:
        return existing
    publisher = (
        Organization.objects.select_related("division")
        .filter(name=PROVINCE_DEPT, division__code=PROVINCE_CODE)
        .first()
    )
    if publisher is None:
        return None
    start = local_today()
    end = start + dt.timedelta(days=DEMO_DAYS)
    notice = notice_save(
        actor=None,
        data={
            "kind": NoticeKind.SELECTION_RESULT,
            "title": DEMO_TITLE,
            "body": demo_notice_body(start, end),
            "start_date": start,
            "end_date": end,
        },
        division=publisher.division,
        publisher=publisher,
    )
    return notice_publish(actor=None, notice=notice)
