"""Generate the bundled sample documents that the README demo ingests and queries.

Run from anywhere (needs PyMuPDF and python-docx, both ragkb dependencies)::

    python samples/make_samples.py           # write the files, then check them
    python samples/make_samples.py --check   # only check the files already there

The output is deterministic: running it twice gives byte-identical files (fixed PDF/Word
metadata and dates, fixed zip timestamps in the .docx).

All documents belong to one fictional company, Nebula Networks / 星云网络科技有限公司, whose
product is the NX-3000 Wi-Fi 6 router. Domains use the reserved ``.example`` TLD and phone
numbers the fictional 555 range. Facts repeated across documents agree with each other:

* IT Help Desk ext. 5100, Security Operations Center (SOC) ext. 5110 (24/7), HR/People ext. 8020;
  the VPN client is NebulaConnect at ``vpn.nebulanetworks.example``; lost devices and security
  incidents are reported within 1 hour.
* The router's admin page is http://192.168.8.1, the admin password is unique per device and
  printed on the label, automatic firmware checks run daily 02:00-04:00, firmware 3.2.0 made
  WPA3 the default, and a factory reset means holding RESET for 10 seconds until the Power LED
  blinks amber.

Files and their key facts (every question in QUESTIONS.md is checked against the files by
:func:`check`, including the page for PDFs and the section heading the answer sits under):

zh/差旅报销管理办法.docx   Travel-expense policy; Word Title/Heading 1-3 styles, 第一章 / 一、/ （一）.
    报销时限: 出差结束之日起30日内 (逾期须财务总监批准, 超过90日不予报销); 所需材料 list;
    国内住宿标准 table (一类城市 500/700/1000 元 for 普通员工/经理级/总监及以上); 市内交通 150元/天;
    伙食补助 120/100元; 借款 >5000元, 15日内冲账; 出国（境）: 提前15个工作日申请, 住宿 200/150美元,
    补助 50美元/天, 回国之日起45日内报销.
zh/员工休假制度.pdf         Leave policy, 4 A4 pages; 第X章 headings, 第X条 articles.
    p1 总则 + 年休假 eligibility (满12个月); p2 表1 年假天数 (ruled table: 满1年不满10年 5+3=8天,
    满10年不满20年 10+3=13天, 满20年及以上 15+3=18天), 折算, 申请提前3/10个工作日, 结转至次年
    3月31日 最多5天; p3 病假/事假/婚假10天/产假158天/陪产假10天/育儿假5天/丧假3天;
    p4 审批权限, 旷工, 附则 (施行 2024-03-01).
zh/信息安全规范.md          Security policy; # headings, lists, a 数据分级 table.
    密码 ≥12位, 三类字符, 每90天更换, 不得与最近5次相同, 输错5次锁定30分钟; 5分钟自动锁屏;
    安全事件 1小时内报告 SOC (分机5110, security@nebulanetworks.example).
en/router-manual.html      NX-3000 user manual; h1-h3, LED status table, factory-reset steps, specs.
en/onboarding.md           New-hire guide: accounts/SSO/MFA, VPN setup steps, who-to-contact table.
en/release-notes.txt       Firmware notes with 1. / 1.1 headings: 3.2.0, 3.1.4, 3.0.6, upgrade path.
en/security-faq.pdf        2-page product security FAQ: p1 reporting (psirt@, 3 business days),
                           default credentials, Wi-Fi encryption; p2 updates (≥5 years after
                           end of sale), remote management (port 8443), privacy, bug bounty.
"""

from __future__ import annotations

import json
import argparse
import io
import re
import sys
import zipfile
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import docx
import pymupdf
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent
ZH = HERE / "zh"
EN = HERE / "en"
QA_DIR = HERE.parent / "datasets" / "samples-qa"
COMPANY_ZH = "星云网络科技有限公司"

# --------------------------------------------------------------------------------------------
# zh/差旅报销管理办法.docx
# --------------------------------------------------------------------------------------------

# ("h1" | "h2" | "h3" | "p" | "table", content). Articles (第X条) are body paragraphs.
TRAVEL_POLICY: list[tuple[str, object]] = [
    ("h1", "第一章 总则"),
    ("p", "第一条 为规范公司差旅费用管理，合理控制成本，提高报销效率，根据国家财务会计制度及公司《费用报销管理制度》，制定本办法。"),
    ("p", "第二条 本办法适用于公司全体员工（含试用期员工和实习生）因公务出差发生的城际交通费、住宿费、伙食补助、市内交通费及其他相关费用。"),
    ("p", "第三条 差旅费用管理遵循“事前审批、标准控制、据实报销、超标自理”的原则。"),
    ("h1", "第二章 出差审批"),
    ("h2", "一、审批权限"),
    ("p", "第四条 员工出差前须在OA系统提交《出差申请单》，写明出差事由、目的地、行程天数和预计费用。出差3天以内（含3天）的由部门负责人审批；超过3天的由部门负责人和分管副总裁审批。"),
    ("p", "第五条 因紧急情况无法事前审批的，须在出发后24小时内补办审批手续，未补办的费用不予报销。"),
    ("h2", "二、差旅借款"),
    ("p", "第六条 预计差旅费用超过5000元的，可在OA系统申请差旅借款。借款须在出差结束后15日内办理报销冲账，逾期未冲账的借款将从当月工资中扣回。"),
    ("h1", "第三章 交通与住宿标准"),
    ("h2", "一、城际交通"),
    ("h3", "（一）飞机"),
    ("p", "第七条 员工乘坐飞机一律购买经济舱，应优先选择折扣票并提前7天以上预订。总监及以上人员单程飞行时间超过4小时的，可乘坐公务舱。"),
    ("h3", "（二）火车"),
    ("p", "第八条 总监及以上人员可乘坐高铁、动车一等座，其他员工乘坐二等座。乘坐夜间火车（晚22:00至次日6:00）且行程超过6小时的，可购买卧铺。"),
    ("h2", "二、市内交通"),
    ("p", "第九条 出差期间的市内交通费（出租车、网约车、地铁、公交）凭票据实报销，每人每天上限150元。往返机场、火车站的交通费不计入该上限。"),
    ("h2", "三、住宿标准"),
    ("p", "第十条 国内出差住宿费在下表标准内凭发票据实报销，超出标准的部分由个人承担。"),
    ("caption", "表1 国内出差住宿标准（单位：元/人/晚）"),
    ("table", [
        ["城市类别", "普通员工", "经理级", "总监及以上"],
        ["一类城市（北京、上海、广州、深圳）", "500", "700", "1000"],
        ["二类城市（省会城市、计划单列市）", "400", "550", "800"],
        ["三类城市（其他城市）", "300", "400", "600"],
    ]),
    ("p", "第十一条 两名及以上同性别员工同行出差的，原则上合住一间标准间，按其中较高职级的标准执行。通过公司商旅平台预订的酒店由公司统一结算，员工无需垫付。"),
    ("h2", "四、伙食补助"),
    ("p", "第十二条 出差伙食补助按出差自然日计算，一类城市每人每天120元，其他城市每人每天100元，无需提供发票。会议主办方或接待单位已提供餐食的，不再发放当日伙食补助。"),
    ("h1", "第四章 报销流程"),
    ("h2", "一、报销时限"),
    ("p", "第十三条 差旅报销时限：出差人员应在出差结束（返回工作地）之日起30日内，通过OA系统提交差旅报销申请。"),
    ("p", "第十四条 因特殊原因逾期提交的，须附部门负责人签字的书面说明，经财务总监批准后方可报销；自出差结束之日起超过90日仍未提交的，不予报销。"),
    ("h2", "二、所需材料"),
    ("p", "第十五条 办理差旅报销须提交以下材料："),
    ("p", "（一）已审批通过的《出差申请单》（填写OA流程编号）；"),
    ("p", "（二）交通票据：机票须提供电子发票或航空运输电子客票行程单，火车票须提供铁路电子客票发票；"),
    ("p", f"（三）住宿发票（增值税发票，抬头为“{COMPANY_ZH}”）及酒店水单；"),
    ("p", "（四）市内交通票据，出租车、网约车须附行程单；"),
    ("p", "（五）超标准费用的书面说明（如有）。"),
    ("p", "第十六条 电子发票须上传PDF或OFD原件，不得仅上传截图；同一张发票不得重复报销。"),
    ("h2", "三、审核与付款"),
    ("p", "第十七条 财务部在收到完整报销材料后5个工作日内完成审核，审核通过的款项在3个工作日内转入员工工资卡。材料不全的，退回补充后重新计算审核时间。"),
    ("h1", "第五章 出国（境）出差"),
    ("h2", "一、审批"),
    ("p", "第十八条 出国（境）出差须至少提前15个工作日提交申请，经部门负责人、分管副总裁审批后报总裁批准。赴港澳台地区出差参照本章执行。"),
    ("h2", "二、费用标准"),
    ("p", "第十九条 出国（境）出差住宿费标准：欧洲、北美、日本、澳大利亚每人每晚不超过200美元；其他国家和地区每人每晚不超过150美元。"),
    ("p", "第二十条 出国（境）出差伙食及公杂补助为每人每天50美元，按在境外的自然日计算。"),
    ("p", "第二十一条 国际航班单程飞行时间超过8小时的，经理级人员可乘坐超级经济舱，总监及以上人员可乘坐公务舱。"),
    ("h2", "三、报销要求"),
    ("p", "第二十二条 出国（境）出差应在回国（入境）之日起45日内提交报销申请，并附护照个人信息页、签证页及出入境记录页复印件。"),
    ("p", "第二十三条 境外票据金额按出差结束当日中国人民银行公布的人民币汇率中间价折算为人民币；使用公司信用卡支付的，按信用卡账单实际入账金额报销。境外票据为非中英文的，须附中文翻译说明。"),
    ("h1", "第六章 附则"),
    ("p", "第二十四条 本办法由财务部负责解释。如有疑问，请联系财务部费用组（分机 8050，邮箱 finance@nebulanetworks.example）。"),
    ("p", "第二十五条 本办法自2024年1月1日起施行，原《差旅费管理规定》（2019年版）同时废止。"),
]


def _set_east_asian_font(style, latin: str, east_asian: str) -> None:
    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), east_asian)


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip (a .docx) with fixed timestamps so that the bytes never change."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def make_travel_policy(path: Path) -> None:
    document = docx.Document()
    styles = document.styles
    _set_east_asian_font(styles["Normal"], "Calibri", "宋体")
    styles["Normal"].font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        _set_east_asian_font(styles[name], "Calibri", "黑体")

    core = document.core_properties
    core.title = "差旅报销管理办法"
    core.subject = "差旅费用管理"
    core.author = f"{COMPANY_ZH} 财务部"
    core.last_modified_by = core.author
    core.keywords = "差旅, 报销, 住宿标准, 出国出差"
    core.created = core.modified = datetime(2023, 12, 15, 9, 0, 0)
    core.revision = 3

    document.add_paragraph(f"{COMPANY_ZH}差旅报销管理办法", style="Title")
    meta = document.add_paragraph("文件编号：NN-FIN-2023-012　　发布日期：2023年12月15日　　施行日期：2024年1月1日")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER

    for kind, content in TRAVEL_POLICY:
        if kind in ("h1", "h2", "h3"):
            document.add_heading(content, level=int(kind[1]))
        elif kind == "p":
            document.add_paragraph(content)
        elif kind == "caption":
            caption = document.add_paragraph(content)
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "table":
            rows = content
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = value
                    if r == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_deterministic_zip(buffer.getvalue()))


# --------------------------------------------------------------------------------------------
# PDF layout: a tiny flow writer on top of PyMuPDF (wrapping, headings, ruled tables, footers)
# --------------------------------------------------------------------------------------------

A4 = pymupdf.paper_rect("a4")
_NO_LINE_START = set("，。、；：！？）》」』”’%")
_NO_LINE_END = set("（《「『“‘")


class PdfFlow:
    """Writes text top to bottom; :meth:`page_break` starts a new page (so facts land on known pages).

    CJK text uses MuPDF's built-in ``china-s`` font (Droid Sans Fallback), embedded and then
    subset, so the file stays small and renders the same in every viewer. English uses the
    standard Helvetica fonts.
    """

    def __init__(self, cjk: bool, margin: float = 64, bottom_margin: float = 72):
        self.doc = pymupdf.open()
        self.cjk = cjk
        self.margin = margin
        self.bottom = A4.height - bottom_margin
        self.width = A4.width - 2 * margin
        if cjk:
            self._font = pymupdf.Font("china-s")
            self.fonts = {False: ("cjk", self._font), True: ("cjk", self._font)}
        else:
            self.fonts = {False: ("helv", pymupdf.Font("helv")), True: ("hebo", pymupdf.Font("hebo"))}
        self.page: pymupdf.Page | None = None
        self.y = 0.0
        self.page_break()

    # -- pages -------------------------------------------------------------------------------
    def page_break(self) -> None:
        self.page = self.doc.new_page(width=A4.width, height=A4.height)
        if self.cjk:
            self.page.insert_font(fontname="cjk", fontbuffer=self._font.buffer)
        self.y = self.margin

    def _room(self, height: float) -> None:
        if self.y + height > self.bottom:
            self.page_break()

    def _text(self, x: float, baseline: float, text: str, size: float, bold: bool) -> None:
        fontname, font = self.fonts[bold]
        if bold and self.cjk:  # the CJK font has no bold face: fill + thin stroke
            self.page.insert_text((x, baseline), text, fontname=fontname, fontsize=size, render_mode=2, border_width=0.03)
        else:
            self.page.insert_text((x, baseline), text, fontname=fontname, fontsize=size)

    def _length(self, text: str, size: float, bold: bool = False) -> float:
        return self.fonts[bold][1].text_length(text, fontsize=size)

    # -- text ---------------------------------------------------------------------------------
    def wrap(self, text: str, size: float, width: float, first_width: float | None = None, bold: bool = False) -> list[str]:
        """Greedy line breaking: between CJK characters anywhere, between Latin words at spaces."""
        tokens = re.findall(r"[\x21-\x7e]+ ?| |.", text)
        lines: list[str] = []
        line = ""
        limit = first_width if first_width is not None else width
        for token in tokens:
            candidate = line + token
            if line and self._length(candidate.rstrip(), size, bold) > limit and token[0] not in _NO_LINE_START:
                carry = ""
                while line and line[-1] in _NO_LINE_END:  # an opening bracket never ends a line
                    carry, line = line[-1] + carry, line[:-1]
                lines.append(line.rstrip())
                line = carry + token.lstrip()
                limit = width
            else:
                line = candidate
        if line.strip():
            lines.append(line.rstrip())
        return lines

    def title(self, text: str, size: float = 18, after: float = 10) -> None:
        self._room(size * 2)
        x = (A4.width - self._length(text, size, True)) / 2
        self.y += size
        self._text(x, self.y, text, size, True)
        self.y += after

    def centered(self, text: str, size: float = 9, after: float = 14) -> None:
        x = (A4.width - self._length(text, size)) / 2
        self.y += size
        self._text(x, self.y, text, size, False)
        self.y += after

    def heading(self, text: str, size: float = 14, before: float = 10, after: float = 8) -> None:
        self._room(before + size * 3)  # keep a heading with the text after it
        self.y += before + size
        self._text(self.margin, self.y, text, size, True)
        self.y += after

    def paragraph(self, text: str, size: float = 10.5, indent: float = 0, first_indent: float = 0,
                  leading: float = 1.6, after: float = 5, bold: bool = False) -> None:
        x = self.margin + indent
        width = self.width - indent
        lines = self.wrap(text, size, width, width - first_indent, bold)
        for number, line in enumerate(lines):
            self._room(size * leading)
            self.y += size * leading
            self._text(x + (first_indent if number == 0 else 0), self.y - size * (leading - 1) / 2, line, size, bold)
        self.y += after

    def table(self, rows: list[list[str]], widths: list[float], size: float = 10.5, row_height: float = 24) -> None:
        """A ruled table: every cell is a stroked rectangle, so ``page.find_tables()`` finds it."""
        scale = self.width / sum(widths)
        widths = [w * scale for w in widths]
        self._room(row_height * len(rows) + 8)
        top = self.y + 4
        for r, row in enumerate(rows):
            x = self.margin
            for c, value in enumerate(row):
                cell = pymupdf.Rect(x, top + r * row_height, x + widths[c], top + (r + 1) * row_height)
                self.page.draw_rect(cell, color=(0, 0, 0), fill=(0.88, 0.88, 0.88) if r == 0 else None, width=0.7)
                text_x = cell.x0 + (widths[c] - self._length(value, size, r == 0)) / 2
                self._text(text_x, cell.y1 - (row_height - size) / 2 - 1.5, value, size, r == 0)
                x += widths[c]
        self.y = top + row_height * len(rows) + 10

    # -- output ---------------------------------------------------------------------------------
    def save(self, path: Path, footer, metadata: dict[str, str]) -> None:
        total = self.doc.page_count
        for number, page in enumerate(self.doc, start=1):
            text = footer(number, total)
            size = 9
            x = (A4.width - self._length(text, size)) / 2
            fontname = self.fonts[False][0]
            page.insert_text((x, A4.height - 40), text, fontname=fontname, fontsize=size, color=(0.35, 0.35, 0.35))
        date = metadata.pop("date")
        self.doc.set_metadata({"creator": "ragkb samples/make_samples.py", "producer": "PyMuPDF",
                               "creationDate": date, "modDate": date, **metadata})
        if self.cjk:
            self.doc.subset_fonts()
        self.doc.save(path, garbage=4, deflate=True, no_new_id=True)
        self.doc.close()


# --------------------------------------------------------------------------------------------
# zh/员工休假制度.pdf  (page breaks are explicit: the page of every fact is fixed)
# --------------------------------------------------------------------------------------------

LEAVE_TABLE = [
    ["累计工作年限", "法定年休假", "公司福利年假", "年假合计"],
    ["满1年不满10年", "5天", "3天", "8天"],
    ["满10年不满20年", "10天", "3天", "13天"],
    ["满20年及以上", "15天", "3天", "18天"],
]

LEAVE_POLICY: list[list[tuple[str, object]]] = [
    [  # page 1
        ("title", f"{COMPANY_ZH}员工休假制度"),
        ("meta", "文件编号：NN-HR-2024-006　　版本：V2.0　　生效日期：2024年3月1日"),
        ("h", "第一章 总则"),
        ("p", "第一条 为保障员工依法享有休息休假的权利，规范公司休假管理，根据《中华人民共和国劳动法》《职工带薪年休假条例》等法律法规，结合公司实际情况，制定本制度。"),
        ("p", "第二条 本制度适用于与公司签订劳动合同的全体员工（含试用期员工）。实习生、劳务派遣人员的休假按其协议约定执行。"),
        ("p", "第三条 本制度所称假期包括：年休假、病假、事假、婚假、产假、陪产假、育儿假和丧假。法定节假日、休息日不计入年休假天数。"),
        ("p", "第四条 员工休假实行“先申请、后休假”的原则。所有假期均须通过人力资源系统PeopleHub（people.nebulanetworks.example）提交申请，经审批通过后方可休假。"),
        ("h", "第二章 年休假"),
        ("p", "第五条 员工累计工作已满12个月的，享受带薪年休假（以下简称“年假”）。累计工作年限包括员工在本公司及其他单位的工作时间，员工须在入职时提交社保缴费记录或原单位离职证明作为计算依据。"),
        ("p", "第六条 年假由法定年休假和公司福利年假两部分组成，具体天数见本制度第七条表1。公司福利年假在法定年休假的基础上每年额外增加3天，不因病假、事假而扣减。"),
    ],
    [  # page 2
        ("p", "第七条 员工年假天数按累计工作年限确定，标准如下："),
        ("caption", "表1 年假天数标准"),
        ("table", LEAVE_TABLE),
        ("note", "注：累计工作年限不满1年的员工不享受年假；累计工作年限以每年1月1日为计算节点，年度内跨档的，按较高档次执行。"),
        ("p", "第八条 新入职员工当年的年假按以下公式折算：（当年度剩余日历天数 ÷ 365）× 全年应享年假天数。折算后不足1整天的部分不享受年假。"),
        ("p", "第九条 员工休年假应至少提前3个工作日在PeopleHub提交申请；一次连续休年假5个工作日及以上的，应至少提前10个工作日申请，经部门负责人和HRBP审批。"),
        ("p", "第十条 年假可以分段休，最小休假单位为半天（4小时）。"),
        ("p", "第十一条 当年未休完的年假可结转至次年3月31日前使用，结转天数最多5天，逾期未休视为自动放弃。因公司工作安排确实无法休假的，公司按员工日工资收入的300%支付未休年假工资报酬。"),
    ],
    [  # page 3
        ("h", "第三章 病假与事假"),
        ("p", "第十二条 员工因病或非因工负伤需要停止工作治疗的，可申请病假。病假1天的，须于当日上午10:00前告知直属上级，并在复工后2个工作日内补办手续；连续病假2天及以上的，须提供二级及以上医院出具的诊断证明和病假单。"),
        ("p", "第十三条 病假工资：每年累计病假在5个工作日以内的，按本人正常工资全额发放；超过5个工作日的部分，按本人基本工资的80%发放，且不低于当地最低工资标准的80%。"),
        ("p", "第十四条 事假为无薪假期，员工应至少提前1个工作日申请。每年累计事假一般不超过15个工作日，超过的须经分管副总裁批准。"),
        ("h", "第四章 特殊假期"),
        ("p", "第十五条 婚假：依法办理结婚登记的员工享受婚假10天（含法定婚假3天和公司奖励婚假7天），须在结婚登记之日起1年内一次性休完，申请时须提交结婚证复印件。"),
        ("p", "第十六条 产假：女员工生育享受产假158天（含国家规定的98天和地方延长的60天）；难产的增加15天；生育多胞胎的，每多生育1个婴儿增加15天。"),
        ("p", "第十七条 陪产假：男员工在配偶生育期间享受陪产假10天，须在配偶生育之日起30日内休完。"),
        ("p", "第十八条 育儿假：子女未满3周岁的员工，每年享受育儿假5天，夫妻双方均可享受。"),
        ("p", "第十九条 丧假：员工的父母、配偶、子女或配偶父母去世的，给予丧假3天；需前往外地料理丧事的，另按实际路程给予路程假。"),
    ],
    [  # page 4
        ("h", "第五章 请假审批与考勤"),
        ("p", "第二十条 请假审批权限：3天以内（含3天）由直属上级审批；3天以上10天以内（含10天）由部门负责人审批；10天以上由部门负责人和人力资源总监审批。"),
        ("p", "第二十一条 员工未经批准擅自缺勤，或假期届满未续假又未按时返岗的，按旷工处理。连续旷工3个工作日或一年内累计旷工5个工作日的，视为严重违反公司规章制度，公司可依法解除劳动合同。"),
        ("p", "第二十二条 员工休假期间如遇紧急工作需要，公司可与员工协商提前结束休假，未休天数由员工另行安排。"),
        ("h", "第六章 附则"),
        ("p", "第二十三条 本制度由人力资源部负责解释。如有疑问，请联系人力资源部（邮箱 people@nebulanetworks.example，电话分机 8020）。"),
        ("p", "第二十四条 本制度自2024年3月1日起施行，原《考勤与休假管理办法》（2020年版）同时废止。"),
    ],
]


def make_leave_policy(path: Path) -> None:
    flow = PdfFlow(cjk=True)
    for number, page in enumerate(LEAVE_POLICY):
        if number:
            flow.page_break()
        for kind, content in page:
            if kind == "title":
                flow.title(content)
            elif kind == "meta":
                flow.centered(content)
            elif kind == "h":
                flow.heading(content, size=14)
            elif kind == "p":
                flow.paragraph(content, first_indent=21)
            elif kind == "caption":
                flow.paragraph(content, size=10.5, indent=(flow.width - flow._length(content, 10.5)) / 2, after=0, bold=True)
            elif kind == "table":
                flow.table(content, widths=[3, 2, 2, 2])
            elif kind == "note":
                flow.paragraph(content, size=9, leading=1.5, after=8)
    flow.save(path, footer=lambda n, total: f"第 {n} 页 共 {total} 页",
              metadata={"title": "员工休假制度", "author": f"{COMPANY_ZH} 人力资源部",
                        "subject": "年休假、病假、事假及特殊假期管理", "keywords": "年假, 病假, 婚假, 产假",
                        "date": "D:20240301090000+08'00'"})


# --------------------------------------------------------------------------------------------
# en/security-faq.pdf
# --------------------------------------------------------------------------------------------

SECURITY_FAQ: list[list[tuple[str, str]]] = [
    [  # page 1
        ("title", "Nebula Networks Product Security FAQ"),
        ("meta", "Applies to: NX-3000 Wi-Fi 6 Router   |   Document SEC-FAQ-07   |   Last reviewed: May 2024"),
        ("h", "1. Reporting a Vulnerability"),
        ("q", "How do I report a security vulnerability in a Nebula product?"),
        ("p", "Email our Product Security Incident Response Team (PSIRT) at psirt@nebulanetworks.example. Encrypt sensitive details with the PGP key published at https://nebulanetworks.example/security. Please include the product model, the firmware version, the steps to reproduce the issue and its impact."),
        ("q", "How quickly will you respond?"),
        ("p", "We acknowledge every report within 3 business days and give you a case number. For critical vulnerabilities we aim to publish a fixed firmware within 30 days of the report. We ask you not to disclose the issue publicly until a fix is available or 90 days have passed since your report, whichever comes first."),
        ("h", "2. Default Credentials"),
        ("q", "Does the router ship with a default password?"),
        ("p", "No shared default password exists. Every NX-3000 leaves the factory with its own unique admin password and its own Wi-Fi password, both printed on the label on the bottom of the device. The first time you log in to the web interface you must replace the admin password with a new one of at least 10 characters."),
        ("h", "3. Wireless Security"),
        ("q", "Which Wi-Fi encryption does the router use?"),
        ("p", "Since firmware 3.2.0, new installations use WPA3-Personal (SAE) by default. WPA2/WPA3 transition mode is available for older phones and laptops. WEP and WPA with TKIP are not supported. The WPS PIN method was removed in firmware 3.1.4; the WPS push button can be turned off under Wireless > WPS."),
    ],
    [  # page 2
        ("h", "4. Security Updates"),
        ("q", "How long will my router receive security updates?"),
        ("p", "Nebula provides security updates for the NX-3000 for at least 5 years after its end-of-sale date. The end-of-sale date has not been announced yet. Security advisories are published at https://nebulanetworks.example/security/advisories with identifiers of the form NB-SA-YYYY-NN."),
        ("q", "Are updates installed automatically?"),
        ("p", "Yes. Automatic updates are on by default: the router checks for new firmware once a day between 02:00 and 04:00 local time and installs security updates automatically. You can change this under System > Firmware Update."),
        ("h", "5. Remote Management"),
        ("q", "Can the router be managed from the Internet?"),
        ("p", "Remote management is disabled by default. If you enable it under System > Remote Management, the web interface is reachable over HTTPS only, on port 8443, and we recommend allowing only specific IP addresses. Nebula support staff cannot access your router unless you give them a temporary support code, which expires after 24 hours."),
        ("h", "6. Data and Privacy"),
        ("q", "Does the router send my data to Nebula?"),
        ("p", "The router never sends browsing data to Nebula. The daily firmware check sends only the model and the firmware version. Anonymous crash reports are sent only if you opt in; the option is off by default. A factory reset erases all settings and logs stored on the device."),
        ("h", "7. Bug Bounty"),
        ("q", "Do you pay for vulnerability reports?"),
        ("p", "Yes. Valid reports of qualifying vulnerabilities are rewarded according to severity: up to USD 5,000 for critical, up to USD 2,000 for high and up to USD 500 for medium issues. Only the first report of an issue is rewarded."),
    ],
]


def make_security_faq(path: Path) -> None:
    flow = PdfFlow(cjk=False)
    for number, page in enumerate(SECURITY_FAQ):
        if number:
            flow.page_break()
        for kind, content in page:
            if kind == "title":
                flow.title(content, size=18)
            elif kind == "meta":
                flow.centered(content, size=9)
            elif kind == "h":
                flow.heading(content, size=13, before=8, after=4)
            elif kind == "q":
                flow.paragraph(content, size=10.5, leading=1.5, after=1, bold=True)
            elif kind == "p":
                flow.paragraph(content, size=10.5, leading=1.45, after=6)
    flow.save(path, footer=lambda n, total: f"Nebula Networks Product Security FAQ - Page {n} of {total}",
              metadata={"title": "Nebula Networks Product Security FAQ", "author": "Nebula Networks PSIRT",
                        "subject": "NX-3000 product security", "keywords": "security, vulnerability, PSIRT, updates",
                        "date": "D:20240520100000+00'00'"})


# --------------------------------------------------------------------------------------------
# zh/信息安全规范.md
# --------------------------------------------------------------------------------------------

SECURITY_POLICY_MD = """\
# 星云网络信息安全规范

> 文件编号：NN-SEC-2024-001 ｜ 版本：V3.0 ｜ 生效日期：2024年4月1日 ｜ 归口部门：信息安全部

## 一、适用范围

本规范适用于星云网络科技有限公司全体员工、实习生以及能够接触公司信息系统和数据的外包人员、供应商人员。违反本规范的，按第八节的规定处理。

## 二、账号与密码

### （一）密码要求

所有办公账号（统一身份认证SSO、邮箱、VPN等）的密码必须满足以下要求：

- 长度不少于12位；
- 至少包含大写字母、小写字母、数字、特殊字符中的三类；
- 每90天必须更换一次，新密码不得与最近5次使用过的密码相同；
- 不得使用姓名、生日、工号、公司名称等容易被猜到的信息；
- 连续输错密码5次，账号将被锁定30分钟。

### （二）多因素认证

所有员工必须为SSO账号启用多因素认证（MFA），入职第一天完成绑定。访问生产环境的工程师还必须使用信息安全部发放的硬件安全密钥。

### （三）账号管理

- 严禁共享账号或将密码告知他人，包括IT人员——IT人员不会通过电话或邮件索要密码；
- 员工转岗时，原岗位权限在转岗生效后3个工作日内回收；
- 员工离职当天，人力资源部通知IT停用其全部账号。

## 三、数据分类分级

公司数据按敏感程度分为四级，处理要求如下：

| 级别 | 定义 | 示例 | 处理要求 |
|------|------|------|----------|
| 公开 | 可对外公开的信息 | 官网内容、产品手册、新闻稿 | 无特殊要求 |
| 内部 | 仅限公司内部使用 | 组织架构、内部制度、会议纪要 | 不得发送至公司外部 |
| 机密 | 泄露会给公司造成重大损失 | 客户数据、源代码、财务报表 | 加密存储和传输；对外提供须经部门负责人审批 |
| 绝密 | 泄露会给公司造成严重损害 | 未公开财报、并购信息、生产环境密钥 | 仅限授权人员访问；禁止通过邮件或即时通讯工具传输 |

文件的密级由文件起草人标注，未标注的按“内部”级处理。

## 四、终端与设备安全

1. 公司电脑必须启用全盘加密（Windows使用BitLocker，macOS使用FileVault）。
2. 离开座位时必须锁定屏幕；电脑在5分钟无操作后自动锁屏。
3. 禁止使用未经IT登记的U盘、移动硬盘等移动存储设备。
4. 只能安装软件中心（Windows为Software Center，macOS为Self Service）提供的软件，其他软件须提交IT申请。
5. 公司电脑、手机丢失或被盗的，须在1小时内按第七节报告。

## 五、远程办公

- 在公司网络以外访问内部系统（内部Wiki、GitLab、PeopleHub等）必须连接公司VPN客户端NebulaConnect；
- 禁止在咖啡馆、机场等公共Wi-Fi环境下不连接VPN处理工作；
- 不得在公共场所处理“机密”及以上级别的数据。

## 六、电子邮件与钓鱼防范

收到可疑邮件时，不要点击链接、不要打开附件，直接点击Outlook工具栏中的“报告钓鱼”按钮，邮件会自动转给安全运营中心分析。信息安全部每季度组织一次钓鱼演练，连续两次演练中点击钓鱼链接的员工须重新参加安全培训。

## 七、安全事件报告

发现以下安全事件时，须在1小时内报告安全运营中心（SOC）：

- 电脑、手机等设备丢失或被盗；
- 账号疑似被盗用，或收到非本人操作的MFA验证请求；
- 数据泄露或疑似泄露；
- 电脑感染病毒或出现勒索软件提示。

报告方式：拨打安全运营中心电话分机 5110（7×24小时值守），或发送邮件至 security@nebulanetworks.example，并同时告知直属上级。不得自行删除证据或私下处理。

## 八、违规处理

违反本规范的，视情节轻重给予书面警告、取消年度评优资格直至解除劳动合同；造成损失或触犯法律的，公司将依法追究责任。本规范由信息安全部负责解释，自2024年4月1日起施行。
"""


# --------------------------------------------------------------------------------------------
# en/onboarding.md
# --------------------------------------------------------------------------------------------

ONBOARDING_MD = """\
# Welcome to Nebula Networks: New Employee Onboarding Guide

This guide walks you through your first week at Nebula Networks: the accounts you get, how to
connect to the VPN, your equipment, and who to ask when something does not work. Keep it handy;
your manager and your onboarding buddy will go through it with you on day one.

## 1. Before Your First Day

- Three business days before your start date, IT sends an account activation email to the
  personal email address you gave the recruiter.
- Reply to the People Team with your bank details and emergency contact if you have not done so.
- Your first day starts at 9:30 at the reception desk on the 1st floor. Bring a photo ID.

## 2. Accounts and Sign-in

### 2.1 Your Nebula Account (SSO)

Your Nebula account is your single sign-on (SSO) identity for email, Slack, Jira, GitLab and
PeopleHub. The username has the form `firstname.lastname@nebulanetworks.example`.

1. Open the activation link in the email from IT. The link is valid for 48 hours; if it has
   expired, call the IT Help Desk to get a new one.
2. Choose a password of at least 12 characters (see the Information Security Policy for the
   full rules). Passwords expire every 90 days.
3. Sign in at https://id.nebulanetworks.example and check that your name and manager are correct.

### 2.2 Multi-Factor Authentication

Multi-factor authentication (MFA) is mandatory and must be set up on your first day. Enroll at
https://id.nebulanetworks.example/mfa with an authenticator app on your phone. Engineers who
need production access also receive a hardware security key from the Security team.

### 2.3 Other Tools

| Tool | Used for | How to get access |
|------|----------|-------------------|
| Email and calendar | Day-to-day communication | Active as soon as your account is activated |
| Slack | Chat; join #general and #it-help | Sign in with SSO |
| Jira and Confluence | Tickets and the internal wiki | Sign in with SSO (VPN needed outside the office) |
| GitLab | Source code | Request in the IT portal; your manager approves |
| PeopleHub | Leave requests, payslips, benefits | Sign in with SSO (VPN needed outside the office) |

## 3. VPN Setup

Internal systems (the wiki, GitLab, PeopleHub) are reachable only from the office network or
through the company VPN. The VPN client is **NebulaConnect**.

1. Install NebulaConnect from Self Service (macOS) or Software Center (Windows). It is
   pre-installed on laptops issued after January 2024.
2. Start NebulaConnect and enter the server address `vpn.nebulanetworks.example`.
3. Click Sign In, log in with your Nebula account and approve the MFA prompt on your phone.
4. Leave the gateway on "Auto (nearest)" unless IT tells you otherwise. Manual choices are
   Shanghai, Frankfurt and San Jose.
5. A green shield icon in the menu bar or system tray means you are connected.

Things to know:

- VPN sessions end after 12 hours; sign in again to reconnect.
- Only company traffic goes through the VPN (split tunneling); video calls go directly.
- Error `AUTH-403` means your account is not in the VPN group yet. New accounts are added
  automatically within 4 hours of activation; if it takes longer, contact the IT Help Desk.

## 4. Your Equipment

Your laptop (a MacBook Pro or a ThinkPad T14, depending on your role) is handed out on your
first day at the IT Bar on the 3rd floor. It comes encrypted and enrolled in device management.
If a laptop or phone with company data is lost or stolen, report it to the IT Help Desk and the
Security Operations Center within 1 hour.

## 5. Who to Contact

| Need help with | Contact | How to reach them |
|----------------|---------|-------------------|
| Account, password, laptop, VPN | IT Help Desk | it-help@nebulanetworks.example, ext. 5100, Slack #it-help; Mon-Fri 8:00-20:00 |
| Payroll, benefits, leave | People Team | people@nebulanetworks.example, ext. 8020 |
| Badge, desk, parking | Facilities | facilities@nebulanetworks.example, reception on the 1st floor |
| Security incident, phishing, lost device | Security Operations Center | security@nebulanetworks.example, ext. 5110, 24/7 |
| Expense claims | Finance | finance@nebulanetworks.example, ext. 8050 |
| Anything else in your first weeks | Your onboarding buddy | Named in your welcome email |

## 6. Your First Weeks

- Day 1: collect your laptop, activate your account, set up MFA and the VPN, meet your buddy.
- Week 1: complete the mandatory security awareness training in PeopleHub (about 45 minutes).
- Within 30 days of your start date: enroll in health insurance and other benefits in PeopleHub.
- Salaries are paid on the 10th of each month.
- Your probation period lasts 3 months and ends with a review meeting with your manager.
"""


# --------------------------------------------------------------------------------------------
# en/release-notes.txt  (numbered headings "1." / "1.1"; bullets, never numbered body lines)
# --------------------------------------------------------------------------------------------

RELEASE_NOTES_TXT = """\
NebulaOS Firmware Release Notes
NX-3000 Wi-Fi 6 Router
Last updated: 2024-05-14

1. Version 3.2.0 (2024-05-14)

Firmware 3.2.0 is a recommended update for all NX-3000 routers. Routers with automatic updates
turned on install it during their next nightly check (02:00-04:00 local time).

1.1 New Features

- WPA3-Personal is now the default Wi-Fi security mode for new installations. Existing
  configurations keep their current mode; WPA2/WPA3 transition mode remains available.
- Guest network schedules: turn the guest Wi-Fi on and off automatically under
  Wireless > Guest Network > Schedule.
- Parental controls can now pause Internet access per device from the mobile app.
- The System Log page can export logs as a .txt file for support cases.

1.2 Improvements

- Faster boot: the router is ready about 40 seconds sooner after a restart.
- Better roaming between the 2.4 GHz and 5 GHz bands for phones that support 802.11k/v.
- The web interface now warns when the admin password is shorter than 10 characters.

1.3 Bug Fixes

- Fixed an issue where 5 GHz clients could be disconnected after about 72 hours of uptime.
- Fixed port forwarding rules not being applied after a reboot when the WAN uses PPPoE.
- Fixed the Internet LED staying amber for up to a minute after the connection was restored.

1.4 Known Issues

- IPv6 prefix delegation may fail with some DSL providers. Workaround: set IPv6 to
  "Passthrough" under Network > IPv6.
- Some older Android devices cannot join a network set to WPA3-only. Workaround: use
  WPA2/WPA3 transition mode.

2. Version 3.1.4 (2024-02-02)

Security update. Installing it is strongly recommended.

2.1 Security Fixes

- NB-SA-2024-01 (High): fixed a command injection in the Ping diagnostics tool that an
  authenticated administrator could exploit.
- NB-SA-2024-02 (Medium): web interface session cookies now carry the Secure and HttpOnly flags.
- The WPS PIN method has been removed; WPS push-button pairing is unchanged.

2.2 Bug Fixes

- Fixed the guest network being reachable from the main network when client isolation was on.
- Fixed wrong time zone for Asia/Shanghai after daylight-saving changes in other regions.

3. Version 3.0.6 (2023-10-20)

Maintenance release and required intermediate step for older routers (see section 4).

- Updated the firmware signing certificate. Routers on firmware older than 3.0.0 cannot
  verify newer images until they run 3.0.6.
- Fixed DHCP leases not being renewed after 49 days of uptime.

4. Upgrade Instructions

4.1 Before You Upgrade

- Routers running firmware older than 3.0.0 must first be upgraded to 3.0.6 and can then be
  upgraded to 3.2.0. Routers on 3.0.0 or later can upgrade to 3.2.0 directly.
- Back up your settings under System > Backup & Reset > Download Backup.
- Use a wired connection to the router if you can.

4.2 Upgrading from the Web Interface

Log in at http://192.168.8.1, open System > Firmware Update, click Check for Updates (or
Upload to install a downloaded image) and confirm. The upgrade takes about 5 minutes. During
the upgrade the Power LED blinks green. Do not unplug the router or press the RESET button
until the Power LED is solid green again; the settings are kept.

5. Support

Firmware images and checksums: https://nebulanetworks.example/support/nx-3000
Questions: support@nebulanetworks.example or +1-800-555-0142 (Mon-Fri 8:00-18:00 PT).
Security reports: psirt@nebulanetworks.example.
"""


# --------------------------------------------------------------------------------------------
# en/router-manual.html
# --------------------------------------------------------------------------------------------

ROUTER_MANUAL_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>NX-3000 Wi-Fi 6 Router User Manual</title>
<style>
  body { font-family: Helvetica, Arial, sans-serif; max-width: 820px; margin: 2em auto; line-height: 1.5; }
  table { border-collapse: collapse; margin: 1em 0; }
  th, td { border: 1px solid #999; padding: 4px 10px; text-align: left; }
  th { background: #eee; }
  .note { background: #fff7d6; padding: 0.5em 1em; }
  .warning { background: #ffe3e3; padding: 0.5em 1em; }
</style>
</head>
<body>
<nav><a href="#getting-started">Getting started</a> | <a href="#leds">LEDs</a> | <a href="#reset">Factory reset</a> | <a href="#support">Support</a></nav>
<main>
<h1>Nebula NX-3000 Wi-Fi 6 Router User Manual</h1>
<p>Document version 2.1, for firmware 3.2 and later. Model: NX-3000 (AX3000 dual-band Wi-Fi 6).</p>

<h2 id="contents">1. Package Contents</h2>
<ul>
  <li>NX-3000 router</li>
  <li>12 V / 2 A power adapter</li>
  <li>1.5 m Cat6 Ethernet cable</li>
  <li>Quick Start Guide</li>
</ul>

<h2 id="getting-started">2. Getting Started</h2>
<h3>2.1 Connecting the Router</h3>
<ol>
  <li>Connect the blue WAN port on the back of the router to your modem with the Ethernet cable.</li>
  <li>Plug in the power adapter. The Power LED blinks green while the router starts up.</li>
  <li>Wait until the Power LED is solid green (about 2 minutes).</li>
  <li>Connect your computer or phone to the Wi-Fi network name (SSID) and password printed on the label on the bottom of the router.</li>
</ol>
<h3>2.2 Logging in to the Web Interface</h3>
<p>Open <code>http://192.168.8.1</code> (or <code>http://router.nebula</code>) in a browser. The username is <code>admin</code>; the admin password is unique to your device and printed on the label. At the first login you must choose a new admin password of at least 10 characters.</p>

<h2 id="leds">3. LED Indicators</h2>
<p>The three LEDs on the front panel show the status of the router:</p>
<table>
  <thead><tr><th>LED</th><th>Status</th><th>Meaning</th></tr></thead>
  <tbody>
    <tr><td>Power</td><td>Solid green</td><td>The router is on and working normally.</td></tr>
    <tr><td>Power</td><td>Blinking green</td><td>Starting up or installing a firmware update. Do not unplug the router.</td></tr>
    <tr><td>Power</td><td>Blinking amber</td><td>Factory reset in progress.</td></tr>
    <tr><td>Power</td><td>Off</td><td>No power. Check the adapter and the power outlet.</td></tr>
    <tr><td>Internet</td><td>Solid white</td><td>Connected to the Internet.</td></tr>
    <tr><td>Internet</td><td>Solid amber</td><td>The WAN cable is connected but there is no Internet access.</td></tr>
    <tr><td>Internet</td><td>Off</td><td>No cable in the WAN port.</td></tr>
    <tr><td>Wi-Fi</td><td>Solid blue</td><td>At least one Wi-Fi band (2.4 GHz or 5 GHz) is on.</td></tr>
    <tr><td>Wi-Fi</td><td>Blinking blue</td><td>WPS pairing is active (up to 2 minutes).</td></tr>
    <tr><td>Wi-Fi</td><td>Off</td><td>Wi-Fi is turned off.</td></tr>
  </tbody>
</table>

<h2 id="reset">4. Resetting the Router to Factory Settings</h2>
<p>A factory reset returns the device to its factory default settings. It erases all your settings: Wi-Fi names and passwords, the admin password, port forwarding rules and parental controls. The installed firmware version is kept. To keep a copy of your settings, first download a backup under <em>System &gt; Backup &amp; Reset &gt; Download Backup</em>.</p>
<h3>4.1 Reset with the RESET Button</h3>
<ol>
  <li>Make sure the router is powered on and the Power LED is solid green.</li>
  <li>Find the recessed RESET button on the back panel, next to the power port.</li>
  <li>With a straightened paperclip, press and hold the RESET button for at least 10 seconds, until the Power LED starts blinking amber.</li>
  <li>Release the button. The router erases its settings and restarts, which takes about 3 minutes. Do not unplug it during this time.</li>
  <li>When the Power LED is solid green again, connect to the default Wi-Fi network printed on the label and log in at <code>http://192.168.8.1</code> with the default admin password from the label.</li>
</ol>
<p class="note">Note: pressing the RESET button for less than 5 seconds only restarts the router; your settings are kept.</p>
<h3>4.2 Reset from the Web Interface</h3>
<ol>
  <li>Log in to the web interface at <code>http://192.168.8.1</code>.</li>
  <li>Open <em>System &gt; Backup &amp; Reset</em>.</li>
  <li>Click <strong>Factory Reset</strong> and confirm. The router restarts with factory settings after about 3 minutes.</li>
</ol>
<p class="warning">Warning: if you forgot the admin password, use the RESET button method; the web interface method needs the current password.</p>

<h2 id="firmware">5. Updating the Firmware</h2>
<p>Automatic updates are on by default: the router checks for new firmware every day between 02:00 and 04:00 local time. To update manually, open <em>System &gt; Firmware Update</em> and click <strong>Check for Updates</strong>. The update takes about 5 minutes; the Power LED blinks green until it is finished. Routers on firmware older than 3.0.0 must be updated to 3.0.6 first (see the release notes).</p>

<h2 id="troubleshooting">6. Troubleshooting</h2>
<h3>6.1 The Internet LED Is Amber</h3>
<p>Restart your modem and wait 2 minutes, check that the cable is in the blue WAN port, and check under <em>Network &gt; WAN</em> that the connection type (DHCP, PPPoE or static IP) matches what your Internet provider gave you.</p>
<h3>6.2 I Forgot the Admin Password</h3>
<p>The admin password cannot be recovered. Reset the router to factory settings with the RESET button (see section 4.1) and log in with the password on the label.</p>
<h3>6.3 Devices Drop Off the 5 GHz Network</h3>
<p>Update to firmware 3.2.0 or later, which fixes disconnections after long uptime.</p>

<h2 id="specs">7. Specifications</h2>
<table>
  <tr><th>Wi-Fi standard</th><td>IEEE 802.11ax (Wi-Fi 6), AX3000</td></tr>
  <tr><th>Wi-Fi speed</th><td>574 Mbps (2.4 GHz) + 2402 Mbps (5 GHz)</td></tr>
  <tr><th>Ports</th><td>1 x 2.5 Gbps WAN, 4 x 1 Gbps LAN, 1 x USB 3.0</td></tr>
  <tr><th>Security</th><td>WPA3-Personal, WPA2/WPA3 transition mode, WPA2-Personal</td></tr>
  <tr><th>Power</th><td>12 V DC, 2 A</td></tr>
  <tr><th>Dimensions</th><td>230 x 150 x 45 mm</td></tr>
  <tr><th>Operating temperature</th><td>0 to 40 &deg;C</td></tr>
</table>

<h2 id="support">8. Warranty and Support</h2>
<p>The NX-3000 comes with a 2-year limited warranty from the date of purchase. Keep your receipt. Contact support at <a href="mailto:support@nebulanetworks.example">support@nebulanetworks.example</a> or +1-800-555-0142 (Monday to Friday, 8:00 to 18:00 Pacific Time). Report security issues to psirt@nebulanetworks.example.</p>
</main>
<footer><p>&copy; 2024 Nebula Networks. All rights reserved.</p></footer>
</body>
</html>
"""


# --------------------------------------------------------------------------------------------
# Questions (QUESTIONS.md is generated from this list and every entry is checked)
# --------------------------------------------------------------------------------------------
# section: the heading path the answer sits under (for PDFs: the chapter/numbered heading);
# page: 1-based PDF page, None for other formats; evidence: strings that must all occur in the
# same passage (whitespace ignored), on that page and under that section's last heading.

QUESTIONS: list[dict] = [
    dict(lang="zh", question="差旅报销的时限是多久？", key=['30日'],
         answer="出差结束（返回工作地）之日起30日内通过OA系统提交；逾期须附部门负责人书面说明并经财务总监批准，超过90日不予报销（第十三、十四条）。",
         file="zh/差旅报销管理办法.docx", page=None, section=["第四章 报销流程", "一、报销时限"],
         evidence=["出差结束（返回工作地）之日起30日内"]),
    dict(lang="zh", question="经理级员工到上海出差，每晚住宿标准是多少？", key=['700'],
         answer="700元/人/晚（上海属一类城市，表1 国内出差住宿标准）。",
         file="zh/差旅报销管理办法.docx", page=None, section=["第三章 交通与住宿标准", "三、住宿标准"],
         evidence=["一类城市（北京、上海、广州、深圳）", "700"]),
    dict(lang="zh", question="报销差旅费需要提交哪些材料？", key=['出差申请单'],
         answer="已审批的《出差申请单》、交通票据（机票电子发票或行程单、铁路电子客票发票）、住宿发票及酒店水单、市内交通票据（网约车/出租车附行程单）、超标准费用书面说明（如有）；电子发票须上传PDF/OFD原件。",
         file="zh/差旅报销管理办法.docx", page=None, section=["第四章 报销流程", "二、所需材料"],
         evidence=["住宿发票（增值税发票"]),
    dict(lang="zh", question="出国出差回来后多久内要提交报销？境外住宿标准是多少？", key=['45日'],
         answer="回国（入境）之日起45日内，并附护照信息页、签证页及出入境记录页复印件；住宿费欧洲、北美、日本、澳大利亚每晚不超过200美元，其他地区不超过150美元。",
         file="zh/差旅报销管理办法.docx", page=None, section=["第五章 出国（境）出差", "三、报销要求"],
         evidence=["回国（入境）之日起45日内"]),
    dict(lang="zh", question="累计工作满12年的员工每年有多少天年假？", key=['13天'],
         answer="13天：法定年休假10天加公司福利年假3天（表1，满10年不满20年）。",
         file="zh/员工休假制度.pdf", page=2, section=["第二章 年休假"],
         evidence=["满10年不满20年", "13天"]),
    dict(lang="zh", question="当年没休完的年假可以结转吗？", key=['3月31日'],
         answer="可以结转至次年3月31日前使用，最多结转5天，逾期视为自动放弃（第十一条）。",
         file="zh/员工休假制度.pdf", page=2, section=["第二章 年休假"],
         evidence=["结转至次年3月31日前使用，结转天数最多5天"]),
    dict(lang="zh", question="婚假有几天？", key=['10天'],
         answer="10天（法定3天+公司奖励7天），须在结婚登记之日起1年内一次性休完（第十五条）。",
         file="zh/员工休假制度.pdf", page=3, section=["第四章 特殊假期"],
         evidence=["享受婚假10天"]),
    dict(lang="zh", question="发现电脑丢失等信息安全事件后应该多久内、向谁报告？", key=['1小时'],
         answer="1小时内报告安全运营中心（SOC）：电话分机5110（7×24小时）或邮件 security@nebulanetworks.example，并告知直属上级。",
         file="zh/信息安全规范.md", page=None, section=["星云网络信息安全规范", "七、安全事件报告"],
         evidence=["须在1小时内报告安全运营中心"]),
    dict(lang="zh", question="办公账号密码有什么要求？多久要更换一次？", key=['90天'],
         answer="不少于12位，至少包含大写字母、小写字母、数字、特殊字符中的三类；每90天更换，不得与最近5次相同；连续输错5次锁定30分钟。",
         file="zh/信息安全规范.md", page=None, section=["星云网络信息安全规范", "二、账号与密码", "（一）密码要求"],
         evidence=["每90天必须更换一次"]),
    dict(lang="en", question="How do I reset the device to factory settings?", key=['10 seconds'],
         answer="With the router powered on, press and hold the recessed RESET button on the back for at least 10 seconds (paperclip) until the Power LED blinks amber, release, and wait about 3 minutes; then log in at http://192.168.8.1 with the password on the label. Alternatively System > Backup & Reset > Factory Reset in the web interface.",
         file="en/router-manual.html", page=None,
         section=["Nebula NX-3000 Wi-Fi 6 Router User Manual", "4. Resetting the Router to Factory Settings", "4.1 Reset with the RESET Button"],
         evidence=["press and hold the RESET button for at least 10 seconds"]),
    dict(lang="en", question="What does a solid amber Internet LED mean?", key=['no Internet access'],
         answer="The WAN cable is connected but there is no Internet access (restart the modem, check the WAN port and connection type).",
         file="en/router-manual.html", page=None, section=["Nebula NX-3000 Wi-Fi 6 Router User Manual", "3. LED Indicators"],
         evidence=["Solid amber", "The WAN cable is connected but there is no Internet access"]),
    dict(lang="en", question="How do I set up the VPN and what server address do I use?", key=['vpn.nebulanetworks.example'],
         answer="Install NebulaConnect from Self Service/Software Center, enter server vpn.nebulanetworks.example, sign in with your Nebula account and approve the MFA prompt; leave the gateway on Auto (nearest). Sessions end after 12 hours.",
         file="en/onboarding.md", page=None, section=["Welcome to Nebula Networks: New Employee Onboarding Guide", "3. VPN Setup"],
         evidence=["enter the server address", "vpn.nebulanetworks.example"]),
    dict(lang="en", question="Who do I contact if my laptop or VPN does not work?", key=['IT Help Desk'],
         answer="The IT Help Desk: it-help@nebulanetworks.example, ext. 5100 or Slack #it-help, Mon-Fri 8:00-20:00.",
         file="en/onboarding.md", page=None, section=["Welcome to Nebula Networks: New Employee Onboarding Guide", "5. Who to Contact"],
         evidence=["| IT Help Desk | it-help@nebulanetworks.example, ext. 5100"]),
    dict(lang="en", question="Which firmware version fixed 5 GHz clients being disconnected after a few days?", key=['3.2.0'],
         answer="Firmware 3.2.0 (2024-05-14) fixed 5 GHz clients being disconnected after about 72 hours of uptime.",
         file="en/release-notes.txt", page=None, section=["1. Version 3.2.0 (2024-05-14)", "1.3 Bug Fixes"],
         evidence=["5 GHz clients could be disconnected after about 72 hours of uptime"]),
    dict(lang="en", question="My router runs firmware 2.9. Can I upgrade straight to 3.2.0?", key=['3.0.6'],
         answer="No. Firmware older than 3.0.0 must first be upgraded to 3.0.6, then to 3.2.0.",
         file="en/release-notes.txt", page=None, section=["4. Upgrade Instructions", "4.1 Before You Upgrade"],
         evidence=["must first be upgraded to 3.0.6"]),
    dict(lang="en", question="How do I report a security vulnerability, and how fast will Nebula respond?", key=['3 business days'],
         answer="Email PSIRT at psirt@nebulanetworks.example (PGP key on the security page); reports are acknowledged within 3 business days, critical fixes targeted within 30 days.",
         file="en/security-faq.pdf", page=1, section=["1. Reporting a Vulnerability"],
         evidence=["We acknowledge every report within 3 business days"]),
    dict(lang="en", question="How long will the NX-3000 receive security updates?", key=['5 years'],
         answer="For at least 5 years after its end-of-sale date (not yet announced); updates install automatically (daily check 02:00-04:00).",
         file="en/security-faq.pdf", page=2, section=["4. Security Updates"],
         evidence=["at least 5 years after its end-of-sale date"]),
]


UNANSWERABLE = [
    dict(lang="zh", question="公司食堂的营业时间是几点到几点？"),
    dict(lang="zh", question="员工的年终奖怎么计算？"),
    dict(lang="en", question="What is the maximum Wi-Fi range of the NX-5000 outdoor model?"),
    dict(lang="en", question="How many parking spaces does the headquarters have?"),
]
"""Questions the samples do not answer: a good answerer says so instead of guessing."""


def write_qa_jsonl(path: Path) -> None:
    """The QA set for `ragkb eval answers`: short key answers, the gold file, refusal cases."""
    rows = [
        {"question": q["question"], "answers": q["key"], "support": q["key"], "source": Path(q["file"]).name, "lang": q["lang"]}
        for q in QUESTIONS
    ] + [{"question": q["question"], "unanswerable": True, "lang": q["lang"]} for q in UNANSWERABLE]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8", newline="\n")


def write_questions(path: Path) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "# Sample questions for the QA evaluation",
        "",
        "Generated by `make_samples.py` together with the documents; every answer below is checked",
        "against the files (the evidence text must occur on the given PDF page and under the given",
        "section heading). File paths are relative to `samples/`; pages are 1-based and only given",
        "for PDFs; a section is the heading path, outermost first.",
        "",
    ]
    for lang, title in (("zh", "Chinese"), ("en", "English")):
        lines += [f"## {title}", "", "| # | Question | Expected answer | File | Page | Section | Evidence |", "|---|---|---|---|---|---|---|"]
        for number, q in enumerate((q for q in QUESTIONS if q["lang"] == lang), start=1):
            lines.append(
                f"| {lang}-{number} | {cell(q['question'])} | {cell(q['answer'])} | {q['file']} | {q['page'] or '-'} | "
                f"{cell(' > '.join(q['section']))} | {cell(' … '.join(q['evidence']))} |"
            )
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8", newline="\n")


# --------------------------------------------------------------------------------------------
# Checking: extract passages (section, page, text) from each file the way a reader would
# --------------------------------------------------------------------------------------------

def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _passages_docx(path: Path) -> list[tuple[list[str], int | None, str]]:
    document = docx.Document(path)
    path_: list[str] = []
    out = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            style = paragraph.style.name if paragraph.style is not None else ""
            if style.startswith("Heading "):
                level = int(style.split()[1])
                path_ = path_[: level - 1] + [paragraph.text]
            elif paragraph.text.strip():
                out.append((list(path_), None, paragraph.text))
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            for row in table.rows:
                out.append((list(path_), None, " | ".join(c.text for c in row.cells)))
    return out


def _passages_pdf(path: Path, heading: re.Pattern[str]) -> list[tuple[list[str], int | None, str]]:
    out = []
    section: list[str] = []
    with pymupdf.open(path) as document:
        for number, page in enumerate(document, start=1):
            body: list[str] = []
            for line in page.get_text().splitlines():
                if heading.match(line.strip()):
                    if body:
                        out.append((list(section), number, "\n".join(body)))
                        body = []
                    section = [line.strip()]
                else:
                    body.append(line)
            if body:
                out.append((list(section), number, "\n".join(body)))
    return out


def _passages_markdown(path: Path) -> list[tuple[list[str], int | None, str]]:
    out = []
    path_: list[str] = []
    for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = paragraph.strip().splitlines()
        if lines and (m := re.match(r"^(#{1,6})\s+(.*)$", lines[0])):
            path_ = path_[: len(m[1]) - 1] + [m[2].strip()]
            lines = lines[1:]
        if lines:
            out.append((list(path_), None, "\n".join(lines)))
    return out


def _passages_text(path: Path) -> list[tuple[list[str], int | None, str]]:
    out = []
    path_: list[str] = []
    for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        text = paragraph.strip()
        if m := re.match(r"^(\d+(?:\.\d+)*)\.?\s+[A-Z][^\n]*$", text):
            depth = m[1].count(".") + 1
            path_ = path_[: depth - 1] + [text]
        elif text:
            out.append((list(path_), None, text))
    return out


class _HtmlPassages(HTMLParser):
    BLOCKS = {"p", "li", "tr", "h1", "h2", "h3", "h4", "title", "nav", "footer"}

    def __init__(self) -> None:
        super().__init__()
        self.out: list[tuple[list[str], int | None, str]] = []
        self.path: list[str] = []
        self.buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.buffer = []
        elif tag in ("td", "th") and self.buffer:
            self.buffer.append(" | ")

    def handle_endtag(self, tag):
        if tag not in self.BLOCKS:
            return
        text = re.sub(r"\s+", " ", "".join(self.buffer)).strip()
        if tag in ("h1", "h2", "h3", "h4"):
            level = int(tag[1])
            self.path = self.path[: level - 1] + [text]
        elif text:
            self.out.append((list(self.path), None, text))
        self.buffer = []

    def handle_data(self, data):
        self.buffer.append(data)


def _passages_html(path: Path) -> list[tuple[list[str], int | None, str]]:
    parser = _HtmlPassages()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.out


def passages(path: Path) -> list[tuple[list[str], int | None, str]]:
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _passages_docx(path)
    if suffix == ".pdf":
        return _passages_pdf(path, re.compile(r"^(第[一二三四五六七八九十]+章 \S+|\d+\. [A-Z].*)$"))
    if suffix == ".md":
        return _passages_markdown(path)
    if suffix == ".html":
        return _passages_html(path)
    return _passages_text(path)


def check() -> list[str]:
    """Return a list of problems (empty when every file and every question is fine)."""
    problems = []
    files = sorted(p for p in HERE.rglob("*") if p.is_file() and p.parent != HERE)
    total = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    for p in files:
        if p.stat().st_size > 200 * 1024:
            problems.append(f"{p.relative_to(HERE)} is {p.stat().st_size} bytes (> 200 KB)")
    if total > 1024 * 1024:
        problems.append(f"samples/ is {total} bytes (> 1 MB)")

    for pdf, pages in (("zh/员工休假制度.pdf", 4), ("en/security-faq.pdf", 2)):
        with pymupdf.open(HERE / pdf) as document:
            if document.page_count != pages:
                problems.append(f"{pdf}: {document.page_count} pages, expected {pages}")
            text = "".join(page.get_text() for page in document)
            if "\ufffd" in text or "?" * 3 in text:
                problems.append(f"{pdf}: text extraction shows replacement characters")
    with pymupdf.open(HERE / "zh/员工休假制度.pdf") as document:
        tables = document[1].find_tables().tables
        if len(tables) != 1 or tables[0].extract() != LEAVE_TABLE:
            problems.append(f"员工休假制度.pdf: find_tables() on page 2 gave {[t.extract() for t in tables]}")

    for q in QUESTIONS:
        found = [
            (section, page) for section, page, text in passages(HERE / q["file"])
            if all(_squash(e) in _squash(text) for e in q["evidence"])
        ]
        if not found:
            problems.append(f"{q['question']}: evidence {q['evidence']} not found in {q['file']}")
        elif (q["section"], q["page"]) not in found and ([q["section"][-1]], q["page"]) not in found:
            problems.append(f"{q['question']}: evidence found at {found}, QUESTIONS says {q['section']} page {q['page']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the existing files")
    args = parser.parse_args()
    if not args.check:
        ZH.mkdir(exist_ok=True)
        EN.mkdir(exist_ok=True)
        make_travel_policy(ZH / "差旅报销管理办法.docx")
        make_leave_policy(ZH / "员工休假制度.pdf")
        (ZH / "信息安全规范.md").write_text(SECURITY_POLICY_MD, encoding="utf-8", newline="\n")
        (EN / "router-manual.html").write_text(ROUTER_MANUAL_HTML, encoding="utf-8", newline="\n")
        (EN / "onboarding.md").write_text(ONBOARDING_MD, encoding="utf-8", newline="\n")
        (EN / "release-notes.txt").write_text(RELEASE_NOTES_TXT, encoding="utf-8", newline="\n")
        make_security_faq(EN / "security-faq.pdf")
        QA_DIR.mkdir(parents=True, exist_ok=True)
        write_questions(QA_DIR / "QUESTIONS.md")  # outside samples/, so the demo KB never indexes the answers
        write_qa_jsonl(QA_DIR / "qa.jsonl")
    problems = check()
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    for p in sorted(HERE.rglob("*")):
        if p.is_file() and p.parent != HERE:
            print(f"{p.stat().st_size:>8}  {p.relative_to(HERE)}")
    print(f"{len(QUESTIONS)} questions checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
