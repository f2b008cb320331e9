"""No input makes the server answer 500: NUL bytes, lone surrogates, mixed error keys, deep or
huge JSON, integers beyond the database's range (issue 8, items 3–6).

Every check runs on SQLite and on PostgreSQL (``TEST_DATABASE_URL``): PostgreSQL refuses NUL in
text, SQLite and the UTF-8 encoder refuse lone surrogates, and only PostgreSQL has 32-bit ids.
"""

from __future__ import annotations

import json

import pytest

from tests.support.api import error

MP = "/api/mp/v1"
STAFF = "/api/staff/v1"
CONTENT = "乡镇每月要填十几张内容重复的报表，干部天天加班填表，没有时间下村入户。"
BIG = 2**63


def raw_json(client, method: str, url: str, text: str, headers: dict | None = None):
    """Send ``text`` as a JSON body exactly as written (escapes such as \\ud800 stay escapes)."""
    return client.open(url, method=method, data=text.encode(), headers=headers or {}, content_type="application/json")


@pytest.fixture
def people(seeded, staff_login, mp_login):
    return {
        "cadre": mp_login(),
        "triage": staff_login("triage"),
        "handler": staff_login("handler", department_code="city-wb"),
    }


# ------------------------------------------------------------------------ item 3: NUL and surrogates


@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800", "\\udfff"])
def test_nul_and_lone_surrogates_in_feedback_fields_are_422_in_chinese(client, people, bad):
    for field, value in (("content", CONTENT + bad), ("point_code", "GC" + bad), ("region_code", "410102" + bad)):
        body = {"kind": "problem", "content": CONTENT, field: value}
        text = json.dumps(body, ensure_ascii=True).replace("\\\\u", "\\u")
        reply = raw_json(client, "POST", f"{MP}/feedback", text, people["cadre"])
        answer = error(reply, 422)
        assert "无效字符" in answer["errors"][field][0], answer


def test_nul_in_attachment_ids_and_staff_login_is_422_without_login(client, people):
    attachments = '{"kind":"problem","content":"' + CONTENT + '","attachments":["' + "a" * 31 + '\\u0000"]}'
    answer = error(raw_json(client, "POST", f"{MP}/feedback", attachments, people["cadre"]), 422)
    assert "无效字符" in json.dumps(answer["errors"], ensure_ascii=False)
    login = raw_json(client, "POST", f"{STAFF}/auth/login", '{"username":"ad\\u0000min","password":"x"}')
    assert "无效字符" in error(login, 422)["errors"]["username"][0]
    login = raw_json(client, "POST", f"{STAFF}/auth/login", '{"username":"admin","password":"\\ud800"}')
    assert "无效字符" in error(login, 422)["errors"]["password"][0]


def test_nul_in_query_filters_and_staff_notes_is_422(client, people):
    for query in ("tag=pei%00hui", "point=GC%0001", "q=%E5%BD%A2%00", "region=41%00"):
        answer = error(client.get(f"{STAFF}/feedback?{query}", headers=people["triage"]), 422)
        assert answer["errors"], query
    reply = raw_json(client, "POST", f"{STAFF}/feedback/1/reject", '{"reason":"重复\\u0000"}', people["triage"])
    assert "无效字符" in error(reply, 422)["errors"]["reason"][0]
    reply = raw_json(client, "POST", f"{STAFF}/feedback/1/tags", '{"tags":["pei\\u0000hui"]}', people["triage"])
    assert error(reply, 422)["errors"]["tags"]
    reply = raw_json(
        client,
        "POST",
        f"{STAFF}/consultations",
        '{"title":"会商","feedback_ids":[1],"departments":["city-wb\\u0000"]}',
        people["triage"],
    )
    assert error(reply, 422)["errors"]["departments"]


def test_nul_in_path_codes_is_not_a_server_error(client, people):
    for url in (
        f"{STAFF}/ledger/points/GC%0001?month=2026-09",
        f"{STAFF}/summaries/2026-0%00",
        f"{STAFF}/assignments?department=city%00wb",
    ):
        reply = client.get(url, headers=people["triage"])
        assert reply.status_code in (404, 422), (url, reply.status_code)
        error(reply, reply.status_code)


def test_surrogate_or_nul_in_a_field_name_is_rejected_cleanly(client, people):
    for key in ("\\ud800", "a\\u0000"):
        reply = raw_json(
            client,
            "POST",
            f"{MP}/feedback",
            '{"kind":"problem","content":"' + CONTENT + '","' + key + '":1}',
            people["cadre"],
        )
        assert reply.status_code in (400, 422)
        error(reply, reply.status_code)


# -------------------------------------------------------------------- item 4: mixed keys in errors


def test_error_with_list_indexes_and_field_names_is_a_422_not_a_500(client, people):
    ids = ["a" * 32, "b" * 32, "bad"]
    reply = client.post(
        f"{MP}/feedback", json={"kind": "problem", "content": CONTENT, "attachments": ids}, headers=people["cadre"]
    )
    answer = error(reply, 422)
    assert answer["errors"]["attachments"] == {"2": ["附件编号无效"]}
    many = [f"{i:032d}" for i in range(10)] + ["bad"]
    reply = client.post(
        f"{MP}/feedback", json={"kind": "problem", "content": CONTENT, "attachments": many}, headers=people["cadre"]
    )
    assert "10" in error(reply, 422)["errors"]["attachments"]


def test_nested_list_errors_beside_schema_errors_are_422(client, people):
    reply = client.post(
        f"{STAFF}/consultations",
        headers=people["triage"],
        json={"title": "会商", "feedback_ids": [1, "x"], "departments": ["a", 3]},
    )
    answer = error(reply, 422)
    assert answer["errors"]["feedback_ids"] == {"1": ["应为整数"]}


# --------------------------------------------------------------- item 5: deep and huge JSON numbers


def test_deeply_nested_json_is_400_in_chinese_without_login(client):
    for depth in (40, 990, 5000):
        text = '{"code":' + "[" * depth + "]" * depth + "}"
        answer = error(raw_json(client, "POST", f"{MP}/session", text), 400)
        assert "嵌套" in answer["message"], depth


def test_five_thousand_digit_number_is_400_in_chinese(client, people):
    answer = error(raw_json(client, "POST", f"{MP}/session", '{"code":' + "9" * 5000 + "}"), 400)
    assert "数字" in answer["message"]
    reply = raw_json(client, "POST", f"{STAFF}/feedback/1/merge", '{"target_id":1e99999}', people["triage"])
    assert "数字" in error(reply, 400)["message"]
    reply = raw_json(client, "POST", f"{STAFF}/feedback/1/merge", '{"target_id":NaN}', people["triage"])
    assert error(reply, 400)["message"]


# --------------------------------------------------------------------- item 6: integers out of range


def test_integers_beyond_bigint_are_422(client, people):
    triage = people["triage"]
    answer = error(client.get(f"{STAFF}/feedback?page=9223372036854775807", headers=triage), 422)
    assert answer["errors"]["page"]
    answer = error(client.post(f"{STAFF}/feedback/1/merge", json={"target_id": BIG}, headers=triage), 422)
    assert "范围" in answer["errors"]["target_id"][0]
    answer = error(
        client.post(
            f"{STAFF}/consultations",
            headers=triage,
            json={"title": "会商", "feedback_ids": [BIG], "departments": ["city-wb"]},
        ),
        422,
    )
    assert "范围" in json.dumps(answer["errors"], ensure_ascii=False)
    answer = error(
        client.put(f"{STAFF}/summaries/2026-09/excerpts", headers=triage, json={"items": [{"feedback_id": BIG}]}), 422
    )
    assert answer["errors"]["items"]
    answer = error(
        client.post(
            f"{STAFF}/assignments/1/extensions", headers=people["handler"], json={"days": -BIG, "reason": "材料多"}
        ),
        422,
    )
    assert answer["errors"]["days"]


def test_path_ids_beyond_the_column_are_404(client, people):
    triage = people["triage"]
    for url in (
        f"{STAFF}/consultations/2147483648",
        f"{STAFF}/feedback/{BIG}",
        f"{STAFF}/assignments/{BIG * 4}",
        f"{STAFF}/feedback/9223372036854775807",
    ):
        error(client.get(url, headers=triage), 404)
    error(client.get(f"{STAFF}/consultations/2147483647", headers=triage), 404)
