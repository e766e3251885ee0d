"""Synthetic residents of the demo platform: card data, phone on file and report content.

All people here are invented. ID numbers are well-formed (GB 11643 check character) so the
kiosk's checks pass; they belong to nobody. Besides holders of a resident ID card there are a
Taiwan resident with a residence permit, a foreign permanent resident with a card of the 2023
kind and a child under 14 (platform-api.md §2 and §2b: documents, and no face check for
children).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def make_id_number(region: str, birth: str, sequence: str) -> str:
    """An 18-character ID number: 6-digit region, YYYYMMDD, 3-digit sequence, check char."""
    first17 = region + birth + sequence
    return first17 + id_check_char(first17)


# Documents a certified reader reads (platform-api.md §2b), as the attest call names them.
RESIDENT_ID = "resident_id"  # 居民身份证
HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证, numbers 81/82/83...
FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"  # 外国人永久居留身份证, 9...

# Sections in the order the platform sends them (platform-api.md §4).
SECTION_TITLES: dict[str, str] = {
    "identity": "身份信息",
    "honors": "表彰奖励",
    "redlist": "守信激励名单",
    "admin_license": "行政许可",
    "admin_penalty": "行政处罚",
    "dishonest_debtor": "失信被执行人",
    "serious_dishonesty": "严重失信主体名单",
    "tax": "纳税信用",
    "social_insurance": "社会保险",
    "commitments": "信用承诺履约",
    "repair": "信用修复记录",
    "objections": "异议处理",
    "query_log": "查询记录",
}


@dataclasses.dataclass(frozen=True)
class Resident:
    """One synthetic resident: what their card holds and what the platform knows."""

    key: str
    id_number: str
    name: str
    sex: str  # "1" male, "2" female
    ethnicity: str  # GB/T 3304 code; empty on documents without it (permits, foreigners)
    birth_date: str  # YYYYMMDD
    address: str
    issuing_authority: str
    valid_from: str
    valid_until: str  # YYYYMMDD or "长期"
    phone: str | None
    records: dict[str, list[dict[str, Any]]]
    document: str = RESIDENT_ID

    @property
    def id_masked(self) -> str:
        """ID number with only the first 4 and last 4 characters shown."""
        return self.id_number[:4] + "*" * 10 + self.id_number[-4:]

    @property
    def phone_masked(self) -> str | None:
        """Phone with the middle four digits hidden."""
        return None if self.phone is None else self.phone[:3] + "****" + self.phone[-4:]

    def sections(self) -> list[dict[str, Any]]:
        """Every section in platform order, empty ones included."""
        return [
            {"code": code, "title": title, "records": list(self.records.get(code, []))}
            for code, title in SECTION_TITLES.items()
        ]


def _record(
    rid: str,
    date: str,
    authority: str,
    title: str,
    status: str = "in_effect",
    detail: str | None = None,
    repair: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "record_id": rid,
        "date": date,
        "authority": authority,
        "title": title,
        "status": status,
    }
    if detail is not None:
        rec["detail"] = detail
    if repair is not None:
        rec["repair"] = repair
    return rec


ZHANG_WEI = Resident(
    key="zhang_wei",
    id_number=make_id_number("321102", "19870315", "001"),
    name="张伟",
    sex="1",
    ethnicity="01",
    birth_date="19870315",
    address="江苏省镇江市京口区学府路88号",
    issuing_authority="镇江市公安局京口分局",
    valid_from="20190601",
    valid_until="20390601",
    phone="13800001234",
    records={
        "identity": [_record("I-1", "2019-06-01", "镇江市公安局", "居民身份证登记")],
        "honors": [_record("H-1", "2023-03-05", "镇江市文明办", "志愿服务先进个人")],
        "admin_penalty": [
            _record(
                "P-1",
                "2024-05-02",
                "镇江市市场监督管理局",
                "未按规定明码标价",
                detail="镇市监罚〔2024〕112号，罚款人民币2000元。",
                repair={
                    "eligible": True,
                    "guide_id": "repair-admin-penalty",
                    "earliest_date": "2025-05-02",
                },
            ),
        ],
        "dishonest_debtor": [
            _record(
                "D-1",
                "2022-11-20",
                "镇江市京口区人民法院",
                "未履行生效判决确定的给付义务",
                status="repaired",
                detail="（2022）苏1102执1234号，已全部履行。",
                repair={
                    "eligible": False,
                    "guide_id": "repair-dishonest-debtor",
                    "earliest_date": None,
                },
            ),
        ],
        "tax": [_record("T-1", "2025-04-01", "国家税务总局镇江市税务局", "个人所得税按期申报")],
        "commitments": [
            _record(
                "C-1", "2025-08-10", "镇江市人力资源和社会保障局", "就业补贴申领信用承诺，已履约"
            )
        ],
        "query_log": [
            _record("Q-1", "2026-10-12", "中国银行镇江分行", "贷款审批"),
            _record("Q-2", "2026-11-03", "本人（自助终端）", "本人查询"),
        ],
    },
)

WANG_XIUYING = Resident(
    key="wang_xiuying",
    id_number=make_id_number("321102", "19520808", "024"),
    name="王秀英",
    sex="2",
    ethnicity="01",
    birth_date="19520808",
    address="江苏省镇江市京口区正东路12号",
    issuing_authority="镇江市公安局京口分局",
    valid_from="20120808",
    valid_until="长期",
    phone=None,
    records={
        "identity": [_record("I-1", "2012-08-08", "镇江市公安局", "居民身份证登记")],
        "social_insurance": [
            _record("S-1", "2012-09-01", "镇江市社会保险基金管理中心", "城乡居民养老保险按时缴费")
        ],
        "query_log": [_record("Q-1", "2026-09-01", "本人（自助终端）", "本人查询")],
    },
)


def _many_records() -> dict[str, list[dict[str, Any]]]:
    authorities = [
        "南京市市场监督管理局",
        "南京市交通运输局",
        "南京市城市管理局",
        "南京市生态环境局",
        "南京市应急管理局",
    ]
    penalties = [
        _record(
            f"P-{i + 1}",
            (dt.date(2021, 1, 15) + dt.timedelta(days=41 * i)).isoformat(),
            authorities[i % len(authorities)],
            f"行政处罚决定（第{i + 1}项）",
            status=("in_effect", "repaired", "expired", "under_objection")[i % 4],
            repair={
                "eligible": i % 3 != 0,
                "guide_id": "repair-admin-penalty",
                "earliest_date": (dt.date(2022, 1, 15) + dt.timedelta(days=41 * i)).isoformat(),
            },
        )
        for i in range(24)
    ]
    queries = [
        _record(
            f"Q-{i + 1}",
            (dt.date(2026, 1, 5) + dt.timedelta(days=9 * i)).isoformat(),
            ("招商银行南京分行", "南京市住房保障和房产局", "本人（自助终端）")[i % 3],
            "信用审查",
        )
        for i in range(12)
    ]
    return {"admin_penalty": penalties, "query_log": queries}


LI_NA = Resident(
    key="li_na",
    id_number=make_id_number("320102", "19790521", "046"),
    name="李娜",
    sex="2",
    ethnicity="01",
    birth_date="19790521",
    address="江苏省南京市玄武区中山路200号",
    issuing_authority="南京市公安局玄武分局",
    valid_from="20160301",
    valid_until="20360301",
    phone="13900005678",
    records=_many_records(),
)

CHEN_JING = Resident(
    key="chen_jing",  # a clean report: positive records only, nothing to repair
    id_number=make_id_number("321111", "19910214", "062"),
    name="陈静",
    sex="2",
    ethnicity="01",
    birth_date="19910214",
    address="江苏省镇江市润州区南徐大道66号",
    issuing_authority="镇江市公安局润州分局",
    valid_from="20210214",
    valid_until="20410214",
    phone="13700002468",
    records={
        "identity": [_record("I-1", "2021-02-14", "镇江市公安局", "居民身份证登记")],
        "honors": [_record("H-1", "2024-12-20", "镇江市人民政府", "优秀共产党员")],
        "redlist": [
            _record("R-1", "2025-06-01", "镇江市发展和改革委员会", "诚信纳税人守信激励名单")
        ],
        "admin_license": [
            _record("L-1", "2023-09-12", "镇江市卫生健康委员会", "医师执业注册", status="expired")
        ],
        "tax": [_record("T-1", "2025-04-01", "国家税务总局镇江市税务局", "纳税信用A级")],
        "social_insurance": [
            _record("S-1", "2013-07-01", "镇江市社会保险基金管理中心", "职工养老保险连续缴费")
        ],
        "commitments": [
            _record("C-1", "2024-03-18", "镇江市市场监督管理局", "告知承诺制审批，已履约")
        ],
        "query_log": [_record("Q-1", "2026-08-30", "工商银行镇江分行", "信用卡审批")],
    },
)

ZHAO_LEI = Resident(
    key="zhao_lei",  # the sections the others lack: serious dishonesty, repair, objections
    id_number=make_id_number("321181", "19750930", "017"),
    name="赵磊",
    sex="1",
    ethnicity="01",
    birth_date="19750930",
    address="江苏省丹阳市云阳镇新民中路18号",
    issuing_authority="丹阳市公安局",
    valid_from="20150930",
    valid_until="20350930",
    phone="13600001357",
    records={
        "identity": [_record("I-1", "2015-09-30", "丹阳市公安局", "居民身份证登记")],
        "admin_license": [_record("L-1", "2018-04-02", "丹阳市行政审批局", "道路货物运输经营许可")],
        "admin_penalty": [
            _record(
                "P-1",
                "2019-07-15",
                "丹阳市交通运输局",
                "超限运输",
                status="expired",
                detail="丹交罚〔2019〕45号，罚款人民币5000元，公示期满。",
            ),
            _record(
                "P-2",
                "2025-03-03",
                "丹阳市生态环境局",
                "未按规定处置固体废物",
                status="under_objection",
                detail="本人已对该记录提出异议，核查期间标注“异议处理中”。",
                repair={
                    "eligible": True,
                    "guide_id": "repair-admin-penalty",
                    "earliest_date": "2026-03-03",
                },
            ),
        ],
        "serious_dishonesty": [
            _record(
                "SD-1",
                "2024-01-10",
                "江苏省交通运输厅",
                "严重违法失信超限超载运输当事人",
                detail="列入期限三年。",
                repair={
                    "eligible": False,
                    "guide_id": "repair-serious-dishonesty",
                    "earliest_date": "2025-01-10",
                },
            )
        ],
        "repair": [
            _record(
                "RP-1",
                "2021-08-20",
                "丹阳市发展和改革委员会",
                "行政处罚信息信用修复（丹交罚〔2019〕45号）",
                status="repaired",
            )
        ],
        "objections": [
            _record(
                "O-1",
                "2026-10-08",
                "镇江市公共信用信息中心",
                "对“未按规定处置固体废物”提出异议，核查中",
                status="under_objection",
            )
        ],
        "query_log": [_record("Q-1", "2026-10-30", "本人（自助终端）", "本人查询")],
    },
)

LIN_ZHIHAO = Resident(
    key="lin_zhihao",  # a Taiwan resident: residence permit number 830000...
    id_number=make_id_number("830000", "19880612", "035"),
    name="林志豪",
    sex="1",
    ethnicity="",
    birth_date="19880612",
    address="江苏省镇江市京口区梦溪路9号",
    issuing_authority="镇江市公安局京口分局",
    valid_from="20230315",
    valid_until="20280315",
    phone="13500003579",
    document=HMT_RESIDENCE_PERMIT,
    records={
        "identity": [
            _record("I-1", "2023-03-15", "镇江市公安局", "港澳台居民居住证登记"),
        ],
        "admin_license": [
            _record("L-1", "2024-02-20", "镇江市京口区行政审批局", "个体工商户营业执照登记")
        ],
        "tax": [_record("T-1", "2025-04-01", "国家税务总局镇江市税务局", "个体工商户按期申报")],
        "query_log": [_record("Q-1", "2026-07-18", "本人（自助终端）", "本人查询")],
    },
)

ANNA_MULLER = Resident(
    key="anna_muller",  # a foreign permanent resident, card of the 2023 kind: 9, 32, 276...
    id_number=make_id_number("932276", "19800203", "022"),
    name="安娜·米勒",
    sex="2",
    ethnicity="",
    birth_date="19800203",
    address="江苏省镇江市润州区金山路120号",
    issuing_authority="国家移民管理局",
    valid_from="20240110",
    valid_until="20340110",
    phone=None,
    document=FOREIGN_PERMANENT_RESIDENT,
    records={
        "identity": [
            _record("I-1", "2024-01-10", "国家移民管理局", "外国人永久居留身份证登记"),
        ],
        "social_insurance": [
            _record("S-1", "2019-05-01", "镇江市社会保险基金管理中心", "职工养老保险连续缴费")
        ],
        "query_log": [_record("Q-1", "2026-05-06", "建设银行镇江分行", "房贷审批")],
    },
)

LIU_XIAOYU = Resident(
    key="liu_xiaoyu",  # a child (born 2018): never offered the face check
    id_number=make_id_number("321102", "20180520", "048"),
    name="刘小雨",
    sex="2",
    ethnicity="01",
    birth_date="20180520",
    address="江苏省镇江市京口区学府路88号",
    issuing_authority="镇江市公安局京口分局",
    valid_from="20240520",
    valid_until="20290520",
    phone=None,
    records={
        "identity": [_record("I-1", "2024-05-20", "镇江市公安局", "居民身份证登记")],
        "honors": [_record("H-1", "2026-06-01", "镇江市京口区教育局", "区级三好学生")],
        "query_log": [_record("Q-1", "2026-09-15", "本人（自助终端）", "本人查询")],
    },
)

RESIDENTS: dict[str, Resident] = {
    r.key: r
    for r in (
        ZHANG_WEI,
        WANG_XIUYING,
        LI_NA,
        CHEN_JING,
        ZHAO_LEI,
        LIN_ZHIHAO,
        ANNA_MULLER,
        LIU_XIAOYU,
    )
}


def _guide(
    title: str, steps: list[str], where: str, documents: list[str], window: str
) -> dict[str, Any]:
    return {
        "title": title,
        "steps": steps,
        "where": where,
        "documents": documents,
        "hall_window": window,
        "hours": "周一至周五 9:00-12:00，13:30-17:00（法定节假日除外）",
    }


# Every guide_id a resident's record names has a guide here (the tests check it).
REPAIR_GUIDES: dict[str, dict[str, Any]] = {
    "repair-admin-penalty": _guide(
        "行政处罚信息信用修复",
        [
            "确认已履行行政处罚决定（缴清罚款、完成整改）。",
            "确认已过最短公示期（一般处罚信息三个月）。",
            "在“信用中国”网站或到窗口提交信用修复申请和信用承诺书。",
            "等待审核，一般在受理后五个工作日内办结。",
        ],
        "镇江市京口区政务服务中心，或“信用中国”网站在线办理",
        ["居民身份证原件", "行政处罚决定书", "罚款缴纳凭证", "信用修复承诺书"],
        "3号窗口（信用服务）",
    ),
    "repair-dishonest-debtor": _guide(
        "失信被执行人信息修复",
        [
            "全部履行生效法律文书确定的义务，或与申请执行人达成和解并履行。",
            "向作出失信决定的人民法院申请删除失信信息。",
            "法院删除后，信用平台同步更新，无需另行申请。",
        ],
        "作出失信决定的人民法院执行局",
        ["居民身份证原件", "履行完毕的证明材料", "案件执行文书"],
        "法院诉讼服务中心执行窗口",
    ),
    "repair-serious-dishonesty": _guide(
        "严重失信主体名单信用修复",
        [
            "确认已纠正失信行为、履行相关义务。",
            "确认已满最短公示期限（一般为一年）。",
            "向认定部门提交信用修复申请、信用承诺书和信用报告。",
            "参加信用修复专题培训并提交培训证明。",
            "认定部门审核通过后移出名单。",
        ],
        "作出认定的行政机关，或本中心信用服务窗口代为受理",
        ["居民身份证原件", "纠正失信行为的证明材料", "信用修复承诺书", "信用修复培训证明"],
        "3号窗口（信用服务）",
    ),
}
