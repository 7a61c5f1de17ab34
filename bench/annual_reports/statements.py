"""The rows of the six financial statements, as Chinese annual reports print them, with English labels.

A row is (key, Chinese label, English label, indent, scope). ``key`` None marks a heading row
without numbers (流动资产：); scope "group" marks rows that only the consolidated (合并)
statements have (goodwill, minority interests, earnings per share).
"""

from __future__ import annotations

from typing import NamedTuple


class Line(NamedTuple):
    key: str | None
    zh: str
    en: str
    indent: int = 0
    scope: str = "both"  # "both" or "group"


BALANCE_SHEET = (
    Line(None, "流动资产：", "Current assets:"),
    Line("cash", "货币资金", "Monetary funds", 1),
    Line("trading_fa", "交易性金融资产", "Held-for-trading financial assets", 1),
    Line("notes_rec", "应收票据", "Notes receivable", 1),
    Line("accounts_rec", "应收账款", "Accounts receivable", 1),
    Line("receivables_fin", "应收款项融资", "Receivables financing", 1),
    Line("prepayments", "预付款项", "Prepayments", 1),
    Line("other_rec", "其他应收款", "Other receivables", 1),
    Line("inventory", "存货", "Inventories", 1),
    Line("contract_assets", "合同资产", "Contract assets", 1),
    Line("other_ca", "其他流动资产", "Other current assets", 1),
    Line("current_assets", "流动资产合计", "Total current assets", 2),
    Line(None, "非流动资产：", "Non-current assets:"),
    Line("lt_equity_inv", "长期股权投资", "Long-term equity investments", 1),
    Line("other_equity_inv", "其他权益工具投资", "Investments in other equity instruments", 1),
    Line("invest_property", "投资性房地产", "Investment properties", 1),
    Line("fixed_assets", "固定资产", "Fixed assets", 1),
    Line("cip", "在建工程", "Construction in progress", 1),
    Line("rou", "使用权资产", "Right-of-use assets", 1),
    Line("intangibles", "无形资产", "Intangible assets", 1),
    Line("goodwill", "商誉", "Goodwill", 1, "group"),
    Line("lt_prepaid", "长期待摊费用", "Long-term prepaid expenses", 1),
    Line("dta", "递延所得税资产", "Deferred tax assets", 1),
    Line("other_nca", "其他非流动资产", "Other non-current assets", 1),
    Line("noncurrent_assets", "非流动资产合计", "Total non-current assets", 2),
    Line("total_assets", "资产总计", "Total assets"),
    Line(None, "流动负债：", "Current liabilities:"),
    Line("st_loans", "短期借款", "Short-term borrowings", 1),
    Line("notes_pay", "应付票据", "Notes payable", 1),
    Line("accounts_pay", "应付账款", "Accounts payable", 1),
    Line("contract_liab", "合同负债", "Contract liabilities", 1),
    Line("payroll_pay", "应付职工薪酬", "Employee benefits payable", 1),
    Line("taxes_pay", "应交税费", "Taxes payable", 1),
    Line("other_pay", "其他应付款", "Other payables", 1),
    Line("ncl_due", "一年内到期的非流动负债", "Non-current liabilities due within one year", 1),
    Line("other_cl", "其他流动负债", "Other current liabilities", 1),
    Line("current_liabilities", "流动负债合计", "Total current liabilities", 2),
    Line(None, "非流动负债：", "Non-current liabilities:"),
    Line("lt_loans", "长期借款", "Long-term borrowings", 1),
    Line("bonds", "应付债券", "Bonds payable", 1),
    Line("lease_liab", "租赁负债", "Lease liabilities", 1),
    Line("deferred_income", "递延收益", "Deferred income", 1),
    Line("dtl", "递延所得税负债", "Deferred tax liabilities", 1),
    Line("noncurrent_liabilities", "非流动负债合计", "Total non-current liabilities", 2),
    Line("total_liabilities", "负债合计", "Total liabilities"),
    Line(None, "所有者权益（或股东权益）：", "Owners' equity (or shareholders' equity):"),
    Line("share_capital", "实收资本（或股本）", "Paid-in capital (or share capital)", 1),
    Line("capital_reserve", "资本公积", "Capital reserve", 1),
    Line("treasury", "减：库存股", "Less: Treasury shares", 1),
    Line("oci_balance", "其他综合收益", "Other comprehensive income", 1),
    Line("surplus_reserve", "盈余公积", "Surplus reserve", 1),
    Line("retained", "未分配利润", "Undistributed profits", 1),
    Line(
        "equity_parent",
        "归属于母公司所有者权益（或股东权益）合计",
        "Total equity attributable to owners of the parent company",
        1,
        "group",
    ),
    Line("minority_equity", "少数股东权益", "Minority interests", 1, "group"),
    Line("total_equity", "所有者权益（或股东权益）合计", "Total owners' equity (or shareholders' equity)", 2),
    Line(
        "total_liab_equity",
        "负债和所有者权益（或股东权益）总计",
        "Total liabilities and owners' equity (or shareholders' equity)",
    ),
)

INCOME_STATEMENT = (
    Line("total_revenue", "一、营业总收入", "I. Total operating revenue"),
    Line("revenue", "其中：营业收入", "Including: Operating revenue", 1),
    Line("total_cost", "二、营业总成本", "II. Total operating costs"),
    Line("cost_of_sales", "其中：营业成本", "Including: Cost of sales", 1),
    Line("taxes_surcharges", "税金及附加", "Taxes and surcharges", 2),
    Line("selling_expenses", "销售费用", "Selling expenses", 2),
    Line("admin_expenses", "管理费用", "Administrative expenses", 2),
    Line("rd_expenses", "研发费用", "Research and development expenses", 2),
    Line("financial_expenses", "财务费用", "Financial expenses", 2),
    Line("interest_expense", "其中：利息费用", "Including: Interest expenses", 3),
    Line("interest_income", "利息收入", "Interest income", 4),
    Line("other_income", "加：其他收益", "Add: Other income", 1),
    Line("investment_income", "投资收益（损失以“－”号填列）", 'Investment income (loss is listed with "-")', 2),
    Line(
        "fair_value_gains",
        "公允价值变动收益（损失以“－”号填列）",
        'Gains from changes in fair value (loss is listed with "-")',
        2,
    ),
    Line("credit_impairment", "信用减值损失（损失以“－”号填列）", 'Credit impairment losses (loss is listed with "-")', 2),
    Line("asset_impairment", "资产减值损失（损失以“－”号填列）", 'Asset impairment losses (loss is listed with "-")', 2),
    Line("disposal_gains", "资产处置收益（损失以“－”号填列）", 'Gains on disposal of assets (loss is listed with "-")', 2),
    Line("operating_profit", "三、营业利润（亏损以“－”号填列）", 'III. Operating profit (loss is listed with "-")'),
    Line("non_operating_income", "加：营业外收入", "Add: Non-operating income", 1),
    Line("non_operating_expenses", "减：营业外支出", "Less: Non-operating expenses", 1),
    Line("total_profit", "四、利润总额（亏损总额以“－”号填列）", 'IV. Total profit (total loss is listed with "-")'),
    Line("income_tax", "减：所得税费用", "Less: Income tax expenses", 1),
    Line("net_profit", "五、净利润（净亏损以“－”号填列）", 'V. Net profit (net loss is listed with "-")'),
    Line(
        "np_parent",
        "1.归属于母公司股东的净利润（净亏损以“－”号填列）",
        '1. Net profit attributable to shareholders of the parent company (net loss is listed with "-")',
        1,
        "group",
    ),
    Line(
        "minority_profit",
        "2.少数股东损益（净亏损以“－”号填列）",
        '2. Profit or loss attributable to minority shareholders (net loss is listed with "-")',
        1,
        "group",
    ),
    Line("oci", "六、其他综合收益的税后净额", "VI. Other comprehensive income, net of tax"),
    Line("tci", "七、综合收益总额", "VII. Total comprehensive income"),
    Line(
        "tci_parent",
        "归属于母公司所有者的综合收益总额",
        "Total comprehensive income attributable to owners of the parent company",
        1,
        "group",
    ),
    Line(
        "tci_minority",
        "归属于少数股东的综合收益总额",
        "Total comprehensive income attributable to minority shareholders",
        1,
        "group",
    ),
    Line(None, "八、每股收益：", "VIII. Earnings per share:", 0, "group"),
    Line("eps_basic", "（一）基本每股收益（元/股）", "(I) Basic earnings per share (RMB/share)", 1, "group"),
    Line("eps_diluted", "（二）稀释每股收益（元/股）", "(II) Diluted earnings per share (RMB/share)", 1, "group"),
)

CASH_FLOW_STATEMENT = (
    Line(None, "一、经营活动产生的现金流量：", "I. Cash flows from operating activities:"),
    Line("cfo_sales", "销售商品、提供劳务收到的现金", "Cash received from sales of goods and rendering of services", 1),
    Line("cfo_tax_refund", "收到的税费返还", "Refunds of taxes and surcharges", 1),
    Line("cfo_other_in", "收到其他与经营活动有关的现金", "Other cash received relating to operating activities", 1),
    Line("cfo_in", "经营活动现金流入小计", "Subtotal of cash inflows from operating activities", 2),
    Line("cfo_purchases", "购买商品、接受劳务支付的现金", "Cash paid for goods and services", 1),
    Line("cfo_staff", "支付给职工以及为职工支付的现金", "Cash paid to and on behalf of employees", 1),
    Line("cfo_taxes", "支付的各项税费", "Payments of taxes and surcharges", 1),
    Line("cfo_other_out", "支付其他与经营活动有关的现金", "Other cash paid relating to operating activities", 1),
    Line("cfo_out", "经营活动现金流出小计", "Subtotal of cash outflows from operating activities", 2),
    Line("cfo", "经营活动产生的现金流量净额", "Net cash flows from operating activities"),
    Line(None, "二、投资活动产生的现金流量：", "II. Cash flows from investing activities:"),
    Line("cfi_recover", "收回投资收到的现金", "Cash received from disposal of investments", 1),
    Line("cfi_returns", "取得投资收益收到的现金", "Cash received from returns on investments", 1),
    Line(
        "cfi_disposal",
        "处置固定资产、无形资产和其他长期资产收回的现金净额",
        "Net cash received from disposal of fixed assets, intangible assets and other long-term assets",
        1,
    ),
    Line("cfi_in", "投资活动现金流入小计", "Subtotal of cash inflows from investing activities", 2),
    Line(
        "cfi_capex",
        "购建固定资产、无形资产和其他长期资产支付的现金",
        "Cash paid to acquire fixed assets, intangible assets and other long-term assets",
        1,
    ),
    Line("cfi_invest", "投资支付的现金", "Cash paid for investments", 1),
    Line("cfi_out", "投资活动现金流出小计", "Subtotal of cash outflows from investing activities", 2),
    Line("cfi", "投资活动产生的现金流量净额", "Net cash flows from investing activities"),
    Line(None, "三、筹资活动产生的现金流量：", "III. Cash flows from financing activities:"),
    Line("cff_equity", "吸收投资收到的现金", "Cash received from capital contributions", 1),
    Line("cff_borrow", "取得借款收到的现金", "Cash received from borrowings", 1),
    Line("cff_in", "筹资活动现金流入小计", "Subtotal of cash inflows from financing activities", 2),
    Line("cff_repay", "偿还债务支付的现金", "Cash repayments of borrowings", 1),
    Line(
        "cff_dividends",
        "分配股利、利润或偿付利息支付的现金",
        "Cash paid for distribution of dividends or profits or for interest expenses",
        1,
    ),
    Line("cff_other_out", "支付其他与筹资活动有关的现金", "Other cash paid relating to financing activities", 1),
    Line("cff_out", "筹资活动现金流出小计", "Subtotal of cash outflows from financing activities", 2),
    Line("cff", "筹资活动产生的现金流量净额", "Net cash flows from financing activities"),
    Line(
        "fx_effect",
        "四、汇率变动对现金及现金等价物的影响",
        "IV. Effect of foreign exchange rate changes on cash and cash equivalents",
    ),
    Line("cash_increase", "五、现金及现金等价物净增加额", "V. Net increase in cash and cash equivalents"),
    Line("cash_begin", "加：期初现金及现金等价物余额", "Add: Cash and cash equivalents at the beginning of the year", 1),
    Line("cash_end", "六、期末现金及现金等价物余额", "VI. Cash and cash equivalents at the end of the year"),
)

PER_SHARE = frozenset({"eps_basic", "eps_diluted"})


def lines(statement: tuple[Line, ...], consolidated: bool) -> list[Line]:
    """The rows one version prints: the parent company's statements leave out the group-only rows."""
    return [line for line in statement if consolidated or line.scope == "both"]
