"""The department directory, the places read from appeals, and dispatch with its reasons."""

from __future__ import annotations

import pytest

from classifier import CodeStandard
from router import Catalogue, CatalogueError, Directory, DirectoryError, Router, department_kinds

REGIONS = (
    "name,type,parent,aliases\n示例市,city,,\n"
    "东湖区,district,示例市,东湖\n湖滨街道,street,东湖区,\n"
)
UNITS = (
    "id,name,kind,level,region,parent,phone,aliases\n"
    "C1,市住建局,住房城乡建设,city,示例市,,,\n"
    "D1,东湖区住建局,住房城乡建设,district,东湖区,C1,,\n"
)


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(Directory.demo(), Catalogue.default(), CodeStandard.default())


def test_demo_city_has_every_kind_and_a_local_government_everywhere():
    d = Directory.demo()
    assert {u.kind for u in d.units.values()} == {k.name for k in department_kinds()}
    for region in d.regions.values():
        if region.type in ("district", "county", "street", "township"):
            assert d.unit_for("综合属地", region.name).region == region.name


@pytest.mark.parametrize(
    ("units", "regions", "expected"),
    [
        (UNITS.replace("住房城乡建设,district", "房管,district"), REGIONS, "line 3: kind '房管'"),
        (UNITS.replace("district,东湖区", "district,西湖区"), REGIONS, "line 3: region '西湖区'"),
        (UNITS.replace("东湖区,C1", "东湖区,C9"), REGIONS, "unknown parent unit 'C9'"),
        (UNITS, REGIONS.replace("东湖区,district", "东湖区,planet"), "line 3: type"),
        (UNITS + "C1,重复,住房城乡建设,city,示例市,,,\n", REGIONS, "line 4: id 'C1' appears twice"),
    ],
)
def test_bad_directories_are_refused_with_the_line(units, regions, expected):
    with pytest.raises(DirectoryError, match=expected):
        Directory.from_texts(units, regions)


def test_bad_catalogue_rule_is_refused_with_the_line():
    header = "rule,priority,code_prefix,keywords,lead_kind,assisting_kinds,scope,note\n"
    with pytest.raises(CatalogueError, match="line 2: 房管 is not a department kind"):
        Catalogue.from_csv_text(header + "1,10,01,,房管,,local,\n", "rules.csv")
    with pytest.raises(CatalogueError, match="line 2: .*code prefix or keywords"):
        Catalogue.from_csv_text(header + "1,10,,,公安,,local,\n", "rules.csv")
    with pytest.raises(CatalogueError, match="line 2"):
        Catalogue.from_csv_text(header + "1,10,,(unclosed,公安,,local,\n", "rules.csv")


def test_property_complaint_goes_to_the_district_housing_bureau_with_a_reason(router):
    decision = router.route("金色家园小区物业不作为，乱收停车费，业委会也不管", "0102")
    assert decision.place == "金色家园"
    assert decision.lead.name == "示例市东湖区住房和城乡建设局"
    assert "金色家园" in decision.reason and f"规则 {decision.rule.rule}" in decision.reason


def test_a_water_cut_goes_to_the_water_company(router):
    decision = router.route("湖滨街道这边停水两天了，自来水一直没来", "01")
    assert decision.lead.name == "示例市自来水有限公司"


def test_village_affairs_go_to_the_township_government(router):
    d = router.directory
    township = next(r.name for r in d.regions.values() if r.type == "township")
    decision = router.route(f"{township}的村干部私自占用集体土地，村民意见很大", "01")
    assert decision.lead_kind == "综合属地"
    assert decision.lead.region == township


def test_history_of_past_cases_overrides_the_catalogue_and_says_so(router, cache_dir):
    from classifier import Encoder
    from router import RoutingHistory

    encoder = Encoder.shared(cache_dir, threads=2)
    past = ["金色家园小区物业乱收停车费", "金色家园物业不管停车", "小区物业停车收费太贵"]
    history = RoutingHistory(encoder.dim)
    history.add(encoder.encode_queries(past), ["综合属地"] * 3)
    with_history = Router(router.directory, router.catalogue, router.codes, history)
    text = "金色家园小区物业乱收停车费，业委会也不管"
    decision = with_history.route(text, "0102", encoder.encode_queries(text))
    assert decision.lead_kind == "综合属地" and decision.lead.name == "东湖区湖滨街道办事处"
    assert "相似历史工单" in decision.reason
    assert router.route(text, "0102").lead_kind == "住房城乡建设"  # no history: the catalogue


def test_a_model_learned_from_closed_cases_routes_similar_cases_and_says_so(router, cache_dir):
    from classifier import Encoder
    from router.kind_model import KindModel

    encoder = Encoder.shared(cache_dir, threads=2)
    past = ["金色家园小区物业乱收停车费", "金色家园物业不管停车", "小区物业停车收费太贵",
            "湖滨路夜间有人飙车炸街", "小区门口有人打架斗殴", "电动车被偷了请警察处理"]  # fmt: skip
    kinds = ["综合属地"] * 3 + ["公安"] * 3
    model = KindModel.train(past, kinds, encoder)
    learned = Router(router.directory, router.catalogue, router.codes, model)
    text = "金色家园小区物业乱收停车费，业委会也不管"
    decision = learned.route(text, "0102", encoder.encode_queries(text))
    assert decision.lead_kind == "综合属地" and decision.lead.name == "东湖区湖滨街道办事处"
    assert "相似历史工单多由综合属地类单位办理" in decision.reason
    assert "已办结工单" in decision.reason
    assert decision.assisting_kinds == ["住房城乡建设"]  # the catalogue's unit assists
    assert learned.route(text, "0102").lead_kind == "住房城乡建设"  # no vector: the catalogue
