"""A tiny knowledge base's documents, English and Chinese, for the tests of ragkb.tune."""

from __future__ import annotations

from pathlib import Path

DOCS = {
    "printer.md": """# Printer manual

## Paper jams

When paper is stuck in the printer, open the rear tray, pull the sheet out slowly and close the tray.
The display shows error E12 until the jam is cleared.

## Toner cartridge

Replace the toner cartridge when the status light blinks orange. Shake the new cartridge five times
before inserting it into the slot.

## Network setup

Connect the printer to a wireless network from the settings menu. Choose the SSID, enter the
passphrase and wait for the Wi-Fi icon to stop blinking.

## Specifications

| Model | Speed | Tray capacity |
|---|---|---|
| P100 | 20 ppm | 150 sheets |
| P200 | 35 ppm | 250 sheets |
""",
    "router.md": """# Router guide

## Factory reset

To restore factory settings, hold the reset button on the back for ten seconds until all lights flash.

## Firmware update

Download the firmware image from the vendor portal and upload it under Administration. Never unplug
the router during the upgrade.

## Guest network

The guest network isolates visitors from your devices. Enable it under Wireless and set a separate password.
""",
    "报销.md": """# 差旅报销制度

## 报销时限

员工出差结束后应在三十天内提交报销申请，逾期提交的申请需要部门经理书面批准。

## 住宿标准

一线城市住宿费用每晚不超过六百元，其他城市每晚不超过四百元，超出部分由员工自行承担。

## 交通费用

出差期间乘坐高铁二等座或经济舱机票可以全额报销，出租车费用需附上发票和行程单。
""",
}


def write_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
