from __future__ import annotations

import pytest

from dibiao.core.excel import neutralise, xlsx_response
from dibiao.core.masking import mask_field, mask_id_number, mask_phone
from dibiao.testing.responses import xlsx_rows


def test_phone_and_id_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("14010519900101123X") == "140105********123X"
    assert mask_field("password", "secret") == "******"
    assert mask_field("name", "张三") == "张三"
    assert mask_field("phone", "") == ""


@pytest.mark.parametrize("value", ["=1+1", "+86", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_cells_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_plain_values_pass_through():
    assert neutralise("清徐葡萄") == "清徐葡萄"
    assert neutralise(-5) == -5


def test_xlsx_response_is_a_real_workbook():
    response = xlsx_response(
        filename="导出", sheet_title="表", headers=["名称", "数量"], rows=[["=HYPERLINK()", 3]]
    )
    assert xlsx_rows(response) == [("名称", "数量"), ("'=HYPERLINK()", 3)]
    assert "filename*=UTF-8''" in response["Content-Disposition"]


@pytest.mark.django_db
def test_deferred_join_pages_keep_order_and_relations(django_assert_max_num_queries):
    from dibiao.core.models import Division
    from dibiao.core.paging import DeferredJoinPaginator
    from dibiao.testing.factories import division_tree

    division_tree()
    qs = Division.objects.select_related("parent").order_by("-code")
    expected = list(qs)
    pages = DeferredJoinPaginator(qs, 2)
    seen: list[Division] = []
    for number in pages.page_range:
        with django_assert_max_num_queries(2):
            page = pages.page(number)
            seen.extend(page.object_list)
            names = [d.parent.name for d in page.object_list if d.parent]
        assert len(names) <= 2
    assert seen == expected
    assert DeferredJoinPaginator([1, 2, 3], 2).page(2).object_list == [3]
