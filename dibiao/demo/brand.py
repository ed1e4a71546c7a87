"""Issue 8's demo brand records for the 2021 program: provincial media reports through the year's
quarters, a national report for most products, a promotional video for most, the two expos the
plan names (the 19th China International Agricultural Trade Fair and the 7th Shanxi special
agricultural products fair) with the products shown, a provincial promotion event, and a
historical-cultural story for 清徐葡萄, published on its public page.

The events are the ones the plan names; everything else — which product appeared where, the
titles, the deals — is invented: titles end in （演示） and the events' notes say so. A few
products are left short of the plan's quotas on purpose (a missing quarter, no national report,
no video), so that the indicators built on these records show amber and red as well as green.
All records go through the brand services as system actions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dibiao.brand.choices import EventKind, EventLevel, MediaLevel, StoryStatus
from dibiao.brand.models import BrandStory, Exhibition, MediaReport, PromoVideo
from dibiao.brand.services.exhibitions import exhibition_create
from dibiao.brand.services.reports import report_create
from dibiao.brand.services.stories import story_create, story_set_status
from dibiao.brand.services.videos import video_create
from dibiao.core.models import Division
from dibiao.registry.models import GIProduct

YEAR = 2021
PROVINCIAL_OUTLETS = ("山西日报", "山西农民报", "黄河新闻网", "山西广播电视台", "山西经济日报")
NATIONAL_OUTLETS = ("农民日报", "中国农网", "央视网", "人民网")
# One provincial report in each quarter, on these days.
QUARTER_DAYS = (
    dt.date(YEAR, 3, 18),
    dt.date(YEAR, 6, 10),
    dt.date(YEAR, 8, 26),
    dt.date(YEAR, 11, 5),
)
QUARTER_TITLES = (
    "{name}：春管正当时，标准化生产开新局（演示）",
    "{name}地理标志保护工程稳步推进（演示）",
    "{name}：特色产业鼓起农民“钱袋子”（演示）",
    "{name}品牌建设见成效（演示）",
)
# Gaps left on purpose (see the module's docstring).
MISSING_QUARTER = {"灵石酸枣仁": 3, "冠山连翘茶": 3, "隆化小米": 2}
NO_NATIONAL = {"灵石酸枣仁", "冠山连翘茶", "平鲁红山荞麦", "斗山杏仁"}
NO_VIDEO = {"灵石酸枣仁", "隆化小米", "王官屯京杏"}
CIAF_PRODUCTS = (
    "清徐葡萄",
    "临县开阳大枣",
    "沁水刺槐蜂蜜",
    "偏关羊肉",
    "上党高粱",
    "七里坡山楂",
    "平鲁红山荞麦",
    "斗山杏仁",
)
PROMOTION_PRODUCTS = ("清徐葡萄", "冠山连翘茶", "王官屯京杏", "隆化小米")
STORY_PRODUCT = "清徐葡萄"
DEMO_NOTE = "演示数据：参展产品、日期与签约情况为示例，并非实际记录。"


def brand_demo_load() -> None:
    products = {p.name: p for p in GIProduct.objects.all()}
    for n, (_, product) in enumerate(sorted(products.items())):
        _reports(product, n)
        _video(product, n)
    _events(products)
    story_product = products.get(STORY_PRODUCT)
    if story_product is not None:
        _story(story_product)


def _reports(product: GIProduct, n: int) -> None:
    if MediaReport.objects.filter(product=product).exists():
        return  # loaded before; the demo user's edits are kept
    for quarter, (day, title) in enumerate(zip(QUARTER_DAYS, QUARTER_TITLES, strict=True)):
        if MISSING_QUARTER.get(product.name) == quarter:
            continue
        _report(
            product,
            MediaLevel.PROVINCIAL,
            PROVINCIAL_OUTLETS[(n + quarter) % len(PROVINCIAL_OUTLETS)],
            day + dt.timedelta(days=n),
            title.format(name=product.name),
        )
    if product.name not in NO_NATIONAL:
        _report(
            product,
            MediaLevel.NATIONAL,
            NATIONAL_OUTLETS[n % len(NATIONAL_OUTLETS)],
            dt.date(YEAR, 9, 20) + dt.timedelta(days=n),
            f"山西{product.name}：小产品做成大产业（演示）",
        )
    _report(
        product,
        MediaLevel.COUNTY,
        "县融媒体中心",
        dt.date(YEAR, 5, 1) + dt.timedelta(days=n),
        f"{product.name}标准化生产技术培训走进田间（演示）",
    )


def _report(product: GIProduct, level: str, outlet: str, day: dt.date, title: str) -> None:
    report_create(
        actor=None,
        data={
            "product": product,
            "outlet": outlet,
            "level": level,
            "published_on": day,
            "title": title,
            "link": "",
            "notes": "演示数据",
        },
    )


def _video(product: GIProduct, n: int) -> None:
    if product.name in NO_VIDEO or PromoVideo.objects.filter(product=product).exists():
        return
    video_create(
        actor=None,
        data={
            "product": product,
            "title": f"《{product.name}》地理标志农产品宣传片（演示）",
            "duration_seconds": 300 + 15 * n,
            "published_on": dt.date(YEAR, 10, 10) + dt.timedelta(days=n),
            "platforms": "学习强国、央视频、抖音",
            "links": "",
            "notes": "演示数据",
        },
    )


def _events(products: dict[str, GIProduct]) -> None:
    def shown(names: tuple[str, ...] | list[str]) -> list[GIProduct]:
        return [products[name] for name in names if name in products]

    taiyuan = Division.objects.filter(code="140100").first()
    events = (
        (
            {
                "kind": EventKind.EXPO,
                "name": "第十九届中国国际农产品交易会",
                "level": EventLevel.NATIONAL,
                "start_on": dt.date(YEAR, 11, 26),
                "end_on": dt.date(YEAR, 11, 29),
                "place": "重庆国际博览中心（山西展区）",
                "division": None,
                "deals_count": 6,
                "deals_amount": Decimal("2350.00"),
            },
            shown(CIAF_PRODUCTS),
        ),
        (
            {
                "kind": EventKind.EXPO,
                "name": "第七届中国（山西）特色农产品交易博览会",
                "level": EventLevel.PROVINCIAL,
                "start_on": dt.date(YEAR, 9, 24),
                "end_on": dt.date(YEAR, 9, 27),
                "place": "太原市（地理标志农产品展区）",
                "division": taiyuan,
                "deals_count": 11,
                "deals_amount": Decimal("3860.50"),
            },
            sorted(products.values(), key=lambda p: p.name),
        ),
        (
            {
                "kind": EventKind.PROMOTION,
                "name": "山西地理标志农产品品牌推介会（演示）",
                "level": EventLevel.PROVINCIAL,
                "start_on": dt.date(YEAR, 7, 16),
                "end_on": dt.date(YEAR, 7, 16),
                "place": "太原市",
                "division": taiyuan,
                "deals_count": 2,
                "deals_amount": Decimal("320.00"),
            },
            shown(PROMOTION_PRODUCTS),
        ),
    )
    for data, chosen in events:
        if not chosen or Exhibition.objects.filter(name=data["name"]).exists():
            continue
        exhibition_create(actor=None, data={**data, "notes": DEMO_NOTE}, products=chosen)


def _story(product: GIProduct) -> None:
    if BrandStory.objects.filter(product=product).exists():
        return
    story = story_create(
        actor=None,
        data={
            "product": product,
            "title": f"{product.name}的故事（演示）",
            "body": product.story or _story_text(product),
        },
    )
    story_set_status(actor=None, story=story, status=StoryStatus.PUBLISHED)


def _story_text(product: GIProduct) -> str:
    """The product's own history (`story`) when the registry has it; else a short text built
    from its registered facts, which says where it comes from and claims no history of its own."""
    places = product.protected_area or "产地"
    quality = product.quality_characteristics or "品质独特"
    return "\n\n".join(
        (
            f"{product.name}产于{places}。",
            f"当地农民世代种植，总结出一套适合本地风土的栽培经验，所产{product.name}"
            f"以{quality}著称。",
            "本文为演示文本：正式发布前，请由证书持有人依据地方志等史料撰写并附上资料来源。",
        )
    )
