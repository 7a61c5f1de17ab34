"""Invented listed companies: names, stock codes, people, addresses, businesses and their numbers.

Names are made of invented prefixes and industry words; any likeness to a real company is
chance. Web and e-mail domains use the reserved ``.example`` top-level domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from annual_reports.finance import REPORT_YEAR, YEARS, Ledger, Shape, quarters, ratio, segments, simulate


@dataclass(frozen=True)
class Industry:
    word: str  # the name part: 科技 / Instruments
    sector: str  # the industry the MD&A describes
    business: str  # 主营业务: what the company makes and sells
    products: tuple[str, ...]  # revenue lines (营业收入构成)
    customers: str
    shape: Shape


ZH_INDUSTRIES = (
    Industry(
        "科技",
        "仪器仪表制造业",
        "工业传感器、智能检测仪表及配套软件的研发、生产和销售",
        ("工业传感器", "智能检测仪表", "软件及技术服务"),
        "汽车、冶金、化工和电力等行业的工业企业",
        Shape((0.35, 0.5), (0.05, 0.1), (0.07, 0.13), 0.22, 900_000),
    ),
    Industry(
        "医药",
        "医药制造业",
        "化学制剂、原料药及医药中间体的研发、生产和销售",
        ("化学制剂", "原料药", "医药中间体"),
        "全国各级医院、连锁药店和医药流通企业",
        Shape((0.55, 0.75), (0.2, 0.32), (0.06, 0.12), 0.18, 1_100_000),
    ),
    Industry(
        "材料",
        "化学原料和化学制品制造业",
        "高性能改性塑料、特种工程塑料和复合材料的研发、生产和销售",
        ("改性塑料", "特种工程塑料", "复合材料"),
        "家电、汽车零部件和电子电器制造企业",
        Shape((0.14, 0.24), (0.015, 0.04), (0.03, 0.05), 0.28, 2_600_000),
    ),
    Industry(
        "电子",
        "计算机、通信和其他电子设备制造业",
        "印制电路板（PCB）的研发、生产和销售",
        ("多层板", "高密度互连板", "柔性电路板"),
        "通信设备、消费电子和汽车电子领域的客户",
        Shape((0.18, 0.28), (0.015, 0.035), (0.04, 0.06), 0.2, 1_000_000),
    ),
    Industry(
        "新能源",
        "电气机械和器材制造业",
        "锂离子电池正极材料及其前驱体的研发、生产和销售",
        ("三元正极材料", "磷酸铁锂", "前驱体"),
        "动力电池和储能电池制造企业",
        Shape((0.1, 0.2), (0.005, 0.015), (0.03, 0.05), 0.3, 4_500_000),
    ),
    Industry(
        "食品",
        "食品制造业",
        "休闲食品的研发、生产和销售",
        ("坚果炒货", "烘焙糕点", "肉制品零食"),
        "商超、经销商和电商平台上的终端消费者",
        Shape((0.28, 0.4), (0.12, 0.22), (0.005, 0.015), 0.3, 1_200_000),
    ),
    Industry(
        "环境",
        "生态保护和环境治理业",
        "水处理设备制造、水处理工程建设及运营服务",
        ("水处理工程", "运营服务", "设备销售"),
        "地方政府、工业园区和大型工业企业",
        Shape((0.25, 0.38), (0.02, 0.05), (0.03, 0.05), 0.12, 1_500_000),
    ),
    Industry(
        "智能",
        "通用设备制造业",
        "工业机器人及自动化生产线的研发、生产和销售",
        ("工业机器人", "自动化产线", "核心零部件"),
        "汽车、锂电、光伏和3C电子行业的制造企业",
        Shape((0.25, 0.36), (0.04, 0.08), (0.06, 0.11), 0.3, 1_300_000),
    ),
    Industry(
        "生物",
        "医药制造业",
        "体外诊断试剂及诊断仪器的研发、生产和销售",
        ("诊断试剂", "诊断仪器", "检测服务"),
        "各级医院检验科、第三方医学检验实验室和体检中心",
        Shape((0.55, 0.72), (0.15, 0.25), (0.08, 0.15), 0.16, 1_000_000),
    ),
    Industry(
        "物流",
        "交通运输、仓储和邮政业",
        "合同物流、国际货运代理及仓储服务",
        ("合同物流", "国际货代", "仓储服务"),
        "制造业、零售业和跨境电商企业",
        Shape((0.07, 0.13), (0.005, 0.015), (0.003, 0.01), 0.01, 2_200_000),
    ),
    Industry(
        "软件",
        "软件和信息技术服务业",
        "企业管理软件的研发、销售、实施服务及云服务",
        ("软件产品", "云服务", "实施服务"),
        "制造、零售、金融和政府等行业的大中型客户",
        Shape((0.6, 0.78), (0.15, 0.25), (0.15, 0.25), 0.02, 700_000),
    ),
    Industry(
        "装备",
        "铁路、船舶、航空航天和其他运输设备制造业",
        "轨道交通装备关键零部件的研发、生产、销售和维保服务",
        ("制动系统", "车钩缓冲装置", "维保服务"),
        "主机厂和各地铁路局、城市轨道交通运营公司",
        Shape((0.24, 0.34), (0.03, 0.06), (0.04, 0.07), 0.32, 1_400_000),
    ),
)

EN_INDUSTRIES = (
    Industry(
        "Instruments",
        "instrument manufacturing",
        "the research, development, production and sale of precision test and measurement instruments",
        ("Oscilloscopes", "Signal analyzers", "Software and services"),
        "electronics makers, research institutes and universities",
        Shape((0.45, 0.6), (0.08, 0.14), (0.12, 0.2), 0.25, 900_000),
    ),
    Industry(
        "Biotech",
        "pharmaceutical manufacturing",
        "the research, development, production and sale of therapeutic antibody drugs",
        ("Oncology drugs", "Autoimmune drugs", "Contract development services"),
        "hospitals and pharmaceutical distributors",
        Shape((0.7, 0.85), (0.3, 0.4), (0.15, 0.3), 0.15, 1_200_000),
    ),
    Industry(
        "Robotics",
        "general equipment manufacturing",
        "the research, development, production and sale of collaborative robots and motion controllers",
        ("Collaborative robots", "Motion controllers", "Services"),
        "automotive, electronics and logistics companies",
        Shape((0.3, 0.42), (0.06, 0.1), (0.08, 0.14), 0.3, 1_300_000),
    ),
    Industry(
        "Semiconductors",
        "electronic component manufacturing",
        "the design, manufacturing and sale of power semiconductor devices",
        ("IGBT modules", "MOSFETs", "Power ICs"),
        "makers of electric vehicles, inverters and industrial drives",
        Shape((0.28, 0.42), (0.02, 0.04), (0.07, 0.12), 0.3, 1_600_000),
    ),
    Industry(
        "Foods",
        "food manufacturing",
        "the production and sale of plant-based dairy alternatives",
        ("Oat drinks", "Plant-based yogurt", "Foodservice products"),
        "supermarkets, coffee chains and online shoppers",
        Shape((0.3, 0.42), (0.15, 0.24), (0.005, 0.02), 0.25, 1_500_000),
    ),
    Industry(
        "Logistics",
        "transport and warehousing",
        "cold-chain transport, warehousing and distribution services",
        ("Cold-chain transport", "Warehousing", "Distribution"),
        "food, pharmaceutical and retail companies",
        Shape((0.08, 0.14), (0.005, 0.015), (0.003, 0.01), 0.01, 2_000_000),
    ),
    Industry(
        "Materials",
        "chemical manufacturing",
        "the research, development, production and sale of specialty industrial coatings",
        ("Industrial coatings", "Marine coatings", "Powder coatings"),
        "shipyards, machinery makers and construction companies",
        Shape((0.2, 0.3), (0.04, 0.07), (0.03, 0.05), 0.28, 2_400_000),
    ),
    Industry(
        "Software",
        "software and IT services",
        "industrial software for product design, simulation and manufacturing operations",
        ("Design software", "Simulation software", "Maintenance and cloud services"),
        "manufacturers in the automotive, aerospace and electronics industries",
        Shape((0.7, 0.85), (0.2, 0.3), (0.2, 0.3), 0.01, 700_000),
    ),
)

ZH_PREFIXES = (
    ("星海", "xinghai"),
    ("云帆", "yunfan"),
    ("青禾", "qinghe"),
    ("瑞泽", "ruize"),
    ("鼎衡", "dingheng"),
    ("澜川", "lanchuan"),
    ("柏舟", "baizhou"),
    ("曜石", "yaoshi"),
    ("珩宇", "hengyu"),
    ("嘉岳", "jiayue"),
    ("拓川", "tuochuan"),
    ("启衡", "qiheng"),
    ("澄源", "chengyuan"),
    ("远岫", "yuanxiu"),
    ("汇溪", "huixi"),
    ("晟岚", "shenglan"),
    ("翊海", "yihai"),
    ("泓川", "hongchuan"),
    ("霁光", "jiguang"),
    ("铂岩", "boyan"),
    ("翎羽", "lingyu"),
    ("峻岭", "junling"),
    ("锦澜", "jinlan"),
    ("恒屹", "hengyi"),
    ("辰曦", "chenxi"),
    ("砺锋", "lifeng"),
    ("岱川", "daichuan"),
    ("潮汐", "chaoxi"),
    ("沐川", "muchuan"),
    ("栖梧", "qiwu"),
)
EN_PREFIXES = (
    "Northwind",
    "Bluecrest",
    "Silverpine",
    "Harborline",
    "Redfield",
    "Oakhaven",
    "Stonebridge",
    "Clearwater",
    "Westmere",
    "Brightwater",
    "Kestrel",
    "Juniper",
)
EN_SUFFIXES = ("Inc.", "Co., Ltd.", "Holdings Ltd.", "Group Co., Ltd.")
INDUSTRY_EN = {
    "科技": "tech",
    "医药": "pharma",
    "材料": "materials",
    "电子": "electronics",
    "新能源": "energy",
    "食品": "foods",
    "环境": "env",
    "智能": "intelligent",
    "生物": "bio",
    "物流": "logistics",
    "软件": "soft",
    "装备": "equipment",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = (
    "建国",
    "志强",
    "晓明",
    "丽华",
    "海峰",
    "雪梅",
    "文博",
    "国栋",
    "振宇",
    "慧敏",
    "立新",
    "红霞",
    "永刚",
    "静怡",
    "明辉",
    "春燕",
    "德胜",
    "玉兰",
    "思远",
    "嘉豪",
)
EN_FIRST = ("Michael", "Laura", "David", "Emily", "Robert", "Grace", "Daniel", "Helen", "Thomas", "Alice", "Kevin", "Olivia")
EN_LAST = ("Chen", "Whitfield", "Morgan", "Zhao", "Harper", "Lin", "Bennett", "Wu", "Fletcher", "Huang", "Carter", "Xu")
# (province and district, street, postcode; English form)
PLACES = (
    ("江苏省苏州市工业园区", "星湖街", "215000", "Suzhou Industrial Park, Suzhou, Jiangsu", "Xinghu Street"),
    ("浙江省杭州市滨江区", "江南大道", "310051", "Binjiang District, Hangzhou, Zhejiang", "Jiangnan Avenue"),
    ("广东省深圳市南山区", "科技南路", "518057", "Nanshan District, Shenzhen, Guangdong", "Keji South Road"),
    ("上海市浦东新区", "张江路", "201203", "Pudong New Area, Shanghai", "Zhangjiang Road"),
    ("北京市海淀区", "中关村东路", "100080", "Haidian District, Beijing", "Zhongguancun East Road"),
    ("四川省成都市高新区", "天府大道中段", "610041", "High-tech Zone, Chengdu, Sichuan", "Middle Section of Tianfu Avenue"),
    ("湖北省武汉市东湖新技术开发区", "光谷大道", "430074", "East Lake High-tech Zone, Wuhan, Hubei", "Guanggu Avenue"),
    ("山东省青岛市崂山区", "株洲路", "266101", "Laoshan District, Qingdao, Shandong", "Zhuzhou Road"),
    ("安徽省合肥市高新区", "望江西路", "230088", "High-tech Zone, Hefei, Anhui", "Wangjiang West Road"),
    ("福建省厦门市思明区", "环岛南路", "361005", "Siming District, Xiamen, Fujian", "Huandao South Road"),
)
AUDITORS = {
    "zh": (
        "华信永泰会计师事务所（特殊普通合伙）",
        "立诚中天会计师事务所（特殊普通合伙）",
        "致衡远达会计师事务所（特殊普通合伙）",
    ),
    "en": ("Meridian Certified Public Accountants LLP", "Grant Harbor CPA LLP", "Lakeshore & Partners CPA LLP"),
}
EXCHANGES = {
    "6": ("上海证券交易所", "Shanghai Stock Exchange"),
    "0": ("深圳证券交易所", "Shenzhen Stock Exchange"),
    "3": ("深圳证券交易所", "Shenzhen Stock Exchange"),
}
CODE_PREFIXES = ("600", "601", "603", "605", "000", "002", "300", "688")


@dataclass(frozen=True)
class Style:
    """How a report prints: units, negatives, table rules, fonts, page numbers."""

    statement_unit: str  # "元" or "万元": the six financial statements
    mdna_unit: str  # the MD&A tables and the quarterly figures
    negatives: str  # "minus" (-1,234.56) or "parens" ((1,234.56))
    tables: str  # "grid" (every cell ruled) or "rules" (horizontal rules only)
    split_fonts: bool  # digits and punctuation of table numbers in two fonts, placed character by character
    footer: str  # page-number format, e.g. "- {n} -"
    eps_places: int


@dataclass
class Company:
    index: int
    lang: str  # "zh" or "en"
    full_name: str
    short_name: str
    code: str
    industry: Industry
    legal_rep: str
    cfo: str  # 主管会计工作负责人
    accounting_head: str
    secretary: str  # 董事会秘书
    email: str
    website: str
    reg_address: str
    office_address: str
    postcode: str
    phone: str
    fax: str
    auditor: str
    exchange: str
    founded: str
    style: Style
    shares: int
    group: Ledger  # consolidated (合并)
    parent: Ledger  # parent company (母公司)
    quarters: dict[str, list[int]] = field(default_factory=dict)
    segments: dict[str, dict[int, int]] = field(default_factory=dict)

    @property
    def file(self) -> str:
        if self.lang == "zh":
            return f"{self.code}_{self.short_name}_{REPORT_YEAR}年年度报告.pdf"
        return f"{self.code}_{self.short_name.replace(' ', '_')}_{REPORT_YEAR}_Annual_Report.pdf"

    @property
    def header(self) -> str:
        if self.lang == "zh":
            return f"{self.full_name} {REPORT_YEAR}年年度报告全文"
        return f"{self.full_name} {REPORT_YEAR} Annual Report"

    def eps(self, year: int, diluted: bool = False) -> Decimal:
        """Earnings per share (元/股); diluted uses a slightly larger share count where options exist."""
        shares = self.shares + (self.shares // 100 * (self.index % 3) if diluted else 0)
        return ratio(self.group["np_parent"][year], shares * 100, self.style.eps_places)

    def dividend_per_10(self) -> Decimal | None:
        """Proposed cash dividend per 10 shares (元, tax included), or None when none is proposed."""
        profit = self.group["np_parent"][REPORT_YEAR]
        if profit <= 0:
            return None
        return ratio(profit * 3, self.shares * 100, 2, 1)  # 30 % of profit, over 10 shares


def _person(rng: random.Random, lang: str, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) if lang == "zh" else f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
        if name not in taken:
            taken.add(name)
            return name


def _name(rng: random.Random, lang: str, industry: Industry, taken: set[str]) -> tuple[str, str, str]:
    """(full name, short name, web domain); prefixes are not reused until all of them are taken."""
    while True:
        if lang == "zh":
            free = [p for p in ZH_PREFIXES if p[0] not in taken] or list(ZH_PREFIXES)
            prefix, pinyin = rng.choice(free)
            short = prefix + industry.word
            full, domain = short + "股份有限公司", f"{pinyin}{INDUSTRY_EN[industry.word]}.example"
        else:
            prefix = rng.choice([p for p in EN_PREFIXES if p not in taken] or list(EN_PREFIXES))
            short = f"{prefix} {industry.word}"
            full, domain = f"{short} {rng.choice(EN_SUFFIXES)}", f"{prefix.lower()}-{industry.word.lower()}.example"
        if short not in taken:
            taken.update((prefix, short))
            return full, short, domain


def make_company(seed: int, index: int, names_taken: set[str], codes_taken: set[str]) -> Company:
    """Company number ``index`` of a run: its data depend only on (seed, index) and the names drawn before it.

    Every fourth company (index 1, 5, 9, ...) reports in English; the styles rotate with the index,
    so the first two companies already cover split-font numbers, 万元 tables and an English report.
    """
    rng = random.Random(f"{seed}:{index}")
    lang = "en" if index % 4 == 1 else "zh"
    position = index // 4 if lang == "en" else index - (index + 2) // 4  # place among the companies of its language
    industries = ZH_INDUSTRIES if lang == "zh" else EN_INDUSTRIES
    industry = industries[(position + seed) % len(industries)]
    full, short, domain = _name(rng, lang, industry, names_taken)
    prefix = short.split(" ")[0]
    while True:
        code = rng.choice(CODE_PREFIXES) + f"{rng.randrange(1000):03d}"
        if code not in codes_taken:
            codes_taken.add(code)
            break
    people: set[str] = set()
    place = rng.choice(PLACES)
    number = rng.randrange(8, 999)
    office_number = number if rng.random() < 0.6 else rng.randrange(8, 999)
    if lang == "zh":
        reg_address = f"{place[0]}{place[1]}{number}号"
        office_address = f"{place[0]}{place[1]}{office_number}号{industry.word}大厦"
    else:
        reg_address = f"No. {number} {place[4]}, {place[3]}, China"
        office_address = f"{prefix} Tower, No. {office_number} {place[4]}, {place[3]}, China"
    area = rng.choice(("021", "0512", "0571", "0755", "010", "028", "027", "0532", "0551", "0592"))
    phone = f"{area}-{rng.randrange(5000_0000, 8999_9999)}"
    revenue = 10 ** rng.uniform(8.5, 10.1)
    shares = int(revenue * rng.uniform(0.08, 0.3)) // 1000 * 1000 + rng.randrange(1000)
    group = simulate(random.Random(f"{seed}:{index}:group"), industry.shape, revenue, shares, consolidated=True)
    parent = simulate(
        random.Random(f"{seed}:{index}:parent"), industry.shape, revenue * rng.uniform(0.25, 0.7), shares, consolidated=False
    )
    style = Style(
        statement_unit="万元" if index % 5 == 1 else "元",
        mdna_unit="万元" if index % 3 == 0 else "元",
        negatives="parens" if lang == "en" or index % 2 == 0 else "minus",
        tables="rules" if index % 6 == 5 else "grid",
        split_fonts=index % 4 == 0 or index % 8 == 5,
        footer=("{n}", "- {n} -", "{n} / {total}", "第 {n} 页 共 {total} 页" if lang == "zh" else "Page {n} of {total}")[
            rng.randrange(4)
        ],
        eps_places=4 if index % 3 == 2 else 2,
    )
    company = Company(
        index=index,
        lang=lang,
        full_name=full,
        short_name=short,
        code=code,
        industry=industry,
        legal_rep=_person(rng, lang, people),
        cfo=_person(rng, lang, people),
        accounting_head=_person(rng, lang, people),
        secretary=_person(rng, lang, people),
        email=f"ir@{domain}",
        website=f"www.{domain}",
        reg_address=reg_address,
        office_address=office_address,
        postcode=place[2],
        phone=phone,
        fax=f"{area}-{rng.randrange(5000_0000, 8999_9999)}",
        auditor=rng.choice(AUDITORS[lang]),
        exchange=EXCHANGES.get(code[0], EXCHANGES["6"])[0 if lang == "zh" else 1],
        founded=f"{rng.randrange(1995, 2012)}",
        style=style,
        shares=shares,
        group=group,
        parent=parent,
    )
    company.quarters = quarters(random.Random(f"{seed}:{index}:quarters"), group, REPORT_YEAR)
    company.segments = segments(random.Random(f"{seed}:{index}:segments"), group, list(industry.products), YEARS[1:])
    return company


def make_companies(seed: int, count: int) -> list[Company]:
    names: set[str] = set()
    codes: set[str] = set()
    return [make_company(seed, index, names, codes) for index in range(count)]
