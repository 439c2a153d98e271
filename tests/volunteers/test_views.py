"""The pages through the test client, as each role: scoping, forms that keep what was typed, the whole flow."""

import datetime
import io
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from ledger.models import Event
from tests.factories import CampaignFactory, ServiceActivityFactory, ServiceRecordFactory, VolunteerFactory
from volunteers.imports import TEMPLATE_HEADERS
from volunteers.models import RecordStatus, ServiceActivity, ServiceRecord


def client_for(world, actor):
    client = Client()
    client.force_login(world.user(actor))
    return client


def test_liaison_records_an_activity_with_a_dossier_then_office_confirms(world):
    CampaignFactory(unit=world.unit_a, start_year=2026, end_year=2028)
    people = [VolunteerFactory(organization=world.dept_a, name=f"志愿者{i}") for i in range(3)]
    liaison = client_for(world, "a_liaison")
    data = {
        "organization": world.dept_a.pk,
        "title": "学雷锋进社区",
        "date": "2026-03-05",
        "category": "lei_feng",
        "max_hours": "8",
        "create_dossier": "on",
        "v": [p.pk for p in people],
        **{f"h_{p.pk}": h for p, h in zip(people, ["2", "2.5", "3"], strict=True)},
    }
    response = liaison.post(reverse("volunteers:activity_create"), data)
    activity = ServiceActivity.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "volunteers:activity_detail", args=[activity.pk]
    )
    assert activity.event == Event.objects.get()
    detail = liaison.get(response["Location"]).content.decode()
    assert f'href="{reverse("ledger:detail", args=[activity.event_id])}"' in detail
    assert ServiceRecord.objects.filter(status=RecordStatus.PENDING).count() == 3

    office = client_for(world, "a_office")
    page = office.get(reverse("volunteers:confirm"))
    assert page.context["page"].paginator.count == 3
    office.post(
        reverse("volunteers:confirm"),
        {"records": list(ServiceRecord.objects.values_list("pk", flat=True)), "action": "confirm"},
    )
    assert ServiceRecord.objects.filter(status=RecordStatus.CONFIRMED).count() == 3
    stats = office.get(reverse("volunteers:statistics"), {"org": world.unit_a.pk, "year": 2026}).context["stats"]
    assert stats.confirmed_hours == Decimal("7.5")


def test_the_record_form_keeps_what_was_typed_and_puts_errors_next_to_the_person(world):
    person, other = VolunteerFactory(organization=world.dept_a), VolunteerFactory(organization=world.dept_a)
    response = client_for(world, "a_liaison").post(
        reverse("volunteers:activity_create"),
        {
            "organization": world.dept_a.pk,
            "title": "植树",
            "date": "2026-03-12",
            "category": "environment",
            "max_hours": "8",
            "v": [person.pk, other.pk],
            f"h_{person.pk}": "9",
        },
    )
    assert response.status_code == 200
    rows = {row["v"].pk: row for row in response.context["rows"]}
    assert rows[person.pk]["typed"] == "9" and "超过本活动上限" in rows[person.pk]["error"]
    assert rows[other.pk]["error"] == "请填写时长"
    assert 'value="植树"' in response.content.decode()
    assert ServiceActivity.objects.count() == 0


def test_unit_b_never_sees_unit_a_volunteers(world):
    a = VolunteerFactory(organization=world.dept_a, name="甲方人员")
    VolunteerFactory(organization=world.dept_b, name="乙方人员")
    ServiceRecordFactory(volunteer=a, hours=Decimal("2"))
    for actor in ("b_admin", "b_office", "b_leader", "b_liaison"):
        client = client_for(world, actor)
        listing = client.get(reverse("volunteers:index")).content.decode()
        assert "甲方人员" not in listing
        assert client.get(reverse("volunteers:volunteer_detail", args=[a.pk])).status_code == 404
        sheet = load_workbook(io.BytesIO(client.get(reverse("volunteers:export_volunteers")).content)).active
        assert "甲方人员" not in [row[0] for row in sheet.iter_rows(values_only=True)]
        records = load_workbook(io.BytesIO(client.get(reverse("volunteers:export_records")).content)).active
        assert "甲方人员" not in [row[4] for row in records.iter_rows(values_only=True)]
        assert client.get(reverse("volunteers:statistics"), {"org": world.dept_a.pk}).status_code == 404
    assert "甲方人员" in client_for(world, "a_leader").get(reverse("volunteers:index")).content.decode()


def test_liaison_sees_only_their_department(world):
    VolunteerFactory(organization=world.dept_a, name="办公室人员")
    VolunteerFactory(organization=world.affiliate_a, name="同创单位人员")
    listing = client_for(world, "a_liaison").get(reverse("volunteers:index")).content.decode()
    assert "办公室人员" in listing and "同创单位人员" not in listing


def test_export_volunteers_has_hours_and_stars(world):
    person = VolunteerFactory(organization=world.dept_a, name="老志愿者")
    old = ServiceActivityFactory(organization=world.dept_a, date=datetime.date(2025, 6, 1), max_hours=Decimal("24"))
    ServiceRecordFactory(volunteer=person, activity=old, hours=Decimal("100"), status=RecordStatus.CONFIRMED)
    ServiceRecordFactory(volunteer=person, hours=Decimal("4"), status=RecordStatus.CONFIRMED)
    content = client_for(world, "a_office").get(reverse("volunteers:export_volunteers"), {"year": 2026}).content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][-3:] == ("本年时长", "累计时长", "星级")
    assert rows[1][0] == "老志愿者" and rows[1][-3:] == (4, 104, "一星")


def _xlsx(rows):
    wb = Workbook()
    wb.active.append(TEMPLATE_HEADERS)
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "hours.xlsx"
    return buffer


def test_web_import_previews_errors_then_saves_a_good_file_whole(world):
    VolunteerFactory(organization=world.dept_a, name="王芳", phone="13900001234", number="V-1")
    VolunteerFactory(organization=world.dept_b, name="乙方", phone="13900005555", number="V-2")
    office = client_for(world, "a_office")
    bad = office.post(
        reverse("volunteers:import"),
        {
            "organization": world.dept_a.pk,
            "file": _xlsx([["王芳", "1234", "活动", "2026-03-05", 2], ["乙方", "5555", "活动", "2026-03-05", 2]]),
        },
    )
    assert [str(e) for e in bad.context["plan"].errors] == ["第3行：登记册中找不到志愿者“乙方”（手机号后四位 5555）"]
    assert "token" not in bad.context and ServiceRecord.objects.count() == 0

    preview = office.post(
        reverse("volunteers:import"),
        {
            "organization": world.dept_a.pk,
            "confirmed": "on",
            "file": _xlsx([["王芳", "1234", "活动", "2026-03-05", 2]]),
        },
    )
    token = preview.context["token"]
    assert ServiceRecord.objects.count() == 0
    done = office.post(reverse("volunteers:import"), {"token": token})
    assert done.status_code == 302
    record = ServiceRecord.objects.get()
    assert (record.volunteer.name, record.hours, record.status) == ("王芳", Decimal("2"), RecordStatus.CONFIRMED)
    assert office.post(reverse("volunteers:import"), {"token": token}).status_code == 302
    assert ServiceRecord.objects.count() == 1


def test_a_liaison_import_is_never_confirmed_and_matches_only_their_department(world):
    VolunteerFactory(organization=world.dept_a, name="王芳", phone="13900001234")
    VolunteerFactory(organization=world.affiliate_a, name="同创", phone="13900004321")
    liaison = client_for(world, "a_liaison")
    preview = liaison.post(
        reverse("volunteers:import"),
        {
            "organization": world.dept_a.pk,
            "confirmed": "on",
            "file": _xlsx([["同创", "4321", "活动", "2026-03-05", 2]]),
        },
    )
    assert [e.message for e in preview.context["plan"].errors] == ["登记册中找不到志愿者“同创”（手机号后四位 4321）"]
    preview = liaison.post(
        reverse("volunteers:import"),
        {
            "organization": world.dept_a.pk,
            "confirmed": "on",
            "file": _xlsx([["王芳", "1234", "活动", "2026-03-05", 2]]),
        },
    )
    liaison.post(reverse("volunteers:import"), {"token": preview.context["token"]})
    assert ServiceRecord.objects.get().status == RecordStatus.PENDING


def test_every_template_renders(world):
    """Render each page once with data, as 创建办 (who sees every control)."""
    CampaignFactory(unit=world.unit_a, start_year=2020, end_year=2030)
    record = ServiceRecordFactory(volunteer=VolunteerFactory(organization=world.dept_a), status=RecordStatus.RETURNED)
    office = client_for(world, "a_office")
    for name, args in [
        ("volunteers:index", []),
        ("volunteers:volunteer_create", []),
        ("volunteers:volunteer_detail", [record.volunteer_id]),
        ("volunteers:volunteer_update", [record.volunteer_id]),
        ("volunteers:activity_list", []),
        ("volunteers:activity_create", []),
        ("volunteers:activity_detail", [record.activity_id]),
        ("volunteers:activity_add_hours", [record.activity_id]),
        ("volunteers:confirm", []),
        ("volunteers:statistics", []),
        ("volunteers:targets", []),
        ("volunteers:import", []),
    ]:
        response = office.get(reverse(name, args=args))
        assert response.status_code == 200, name


def test_list_pages_use_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _i in range(40):
        ServiceRecordFactory(volunteer=VolunteerFactory(organization=world.dept_a), hours=Decimal("2"))
    office = client_for(world, "a_office")
    office.get(reverse("volunteers:index"))  # warm the session
    with django_assert_max_num_queries(12):
        office.get(reverse("volunteers:index"))
    with django_assert_max_num_queries(12):
        office.get(reverse("volunteers:activity_list"))
    with django_assert_max_num_queries(20):
        office.get(reverse("volunteers:statistics"))


def test_other_units_office_cannot_confirm_and_liaison_cannot_record_outside_their_department(world):
    """GIVEN a pending record of unit A WHEN unit B's 创建办 posts its id THEN nothing changes; and a liaison's
    form ignores hours typed for a volunteer outside their department (they are not offered either)."""
    record = ServiceRecordFactory(volunteer=VolunteerFactory(organization=world.dept_a), hours=Decimal("2"))
    client_for(world, "b_office").post(reverse("volunteers:confirm"), {"records": [record.pk], "action": "confirm"})
    record.refresh_from_db()
    assert record.status == RecordStatus.PENDING

    own, outsider = VolunteerFactory(organization=world.dept_a), VolunteerFactory(organization=world.affiliate_a)
    liaison = client_for(world, "a_liaison")
    page = liaison.get(reverse("volunteers:activity_create"))
    assert {row["v"].pk for row in page.context["rows"]} == {record.volunteer.pk, own.pk}
    liaison.post(
        reverse("volunteers:activity_create"),
        {
            "organization": world.dept_a.pk,
            "title": "活动",
            "date": "2026-03-05",
            "category": "other",
            "max_hours": "8",
            f"h_{own.pk}": "2",
            f"h_{outsider.pk}": "2",
        },
    )
    assert list(ServiceActivity.objects.get(title="活动").records.values_list("volunteer", flat=True)) == [own.pk]


def test_confirm_queue_uses_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _ in range(30):
        ServiceRecordFactory(volunteer=VolunteerFactory(organization=world.dept_a), hours=Decimal("2"))
    office = client_for(world, "a_office")
    office.get(reverse("volunteers:confirm"))
    with django_assert_max_num_queries(10):
        response = office.get(reverse("volunteers:confirm"))
    assert response.context["page"].paginator.count == 30


def test_city_office_compares_units_on_the_same_measures(world):
    """Under the city office are units 甲 and 乙; a unit's own office sees no comparison."""
    VolunteerFactory(organization=world.dept_a, name="甲方人员")
    response = client_for(world, "city_office").get(reverse("volunteers:statistics"), {"year": 2026})
    comparison = {s.organization.name: s.registered for s in response.context["comparison"]}
    assert comparison == {"甲单位": 1, "乙单位": 0}
    assert client_for(world, "a_office").get(reverse("volunteers:statistics")).context["comparison"] == []
