"""The demo's complaint texts (issue 15 item 2): varied, as residents say them to a cadre or the 12345 line.

`complaint_text(rng, category)` draws a matter of the category (issues.texts.matters: about a dozen per category, each
in a few phrasings), a place, and — each with its own chance — how long it has lasted, who suffers, what was tried
and what is asked, wrapped in one of several openings and closings, or typed tersely as a cadre would. Used by the
demo seed (issues.seed), the city builder (bench/city/tickets.py) and the router's accuracy floor, which trains on
these texts and measures on hand-written complaints written apart from them (tests/data/, never read here).
A call is a few rng draws and a join: ~10 µs.
"""

from __future__ import annotations

import random

from issues.texts.matters import MATTERS

CATEGORIES: tuple[str, ...] = tuple(MATTERS)

PLACES = (
    "小区", "我们小区", "小区门口", "小区东门", "小区后门", "{n}号楼", "{n}栋", "{n}单元", "楼下", "楼道",
    "家门口", "村口", "菜市场", "菜市场旁边", "学校旁边", "幸福路", "建设路", "人民路", "解放路口", "和平街",
    "老街", "新村", "安置小区", "公园旁边", "十字路口", "地铁口", "商业街", "工业园", "城中村", "老旧小区",
)  # fmt: skip
OPENINGS = (
    "", "", "", "你好，", "您好，", "你好，我想反映一下，", "我要反映个问题，", "麻烦问一下，", "同志，",
    "我是这个小区的住户，", "我是附近的居民，", "打扰了，", "我想投诉一下，", "有个事想请你们帮忙，",
)  # fmt: skip
DURATIONS = (
    "已经好几天了", "都一个多月了", "这两个月一直这样", "最近天天这样", "好长时间了", "说了很多次了",
    "从去年就开始了", "已经{n}天了", "持续{n}个星期了",
)  # fmt: skip
IMPACTS = (
    "家里老人孩子受不了", "影响大家正常生活", "住户意见很大", "晚上觉都睡不好", "出门很不方便",
    "存在安全隐患", "周边居民都有意见", "租户也在抱怨", "孩子上学不安全",
)  # fmt: skip
TRIES = (
    "找过物业没人管", "打过电话没回音", "跟社区说过了", "反映过好几次都没解决", "自己协调过没用",
    "上次来人看了一下就走了", "在网上也留言了",
)  # fmt: skip
ASKS = (
    "希望尽快处理", "请相关部门管一管", "麻烦派人来看看", "希望给个说法", "请帮忙协调解决",
    "希望早点解决", "请尽快答复", "盼望能落实", "看看能不能帮忙",
)  # fmt: skip
CLOSINGS = ("", "", "", "谢谢！", "谢谢。", "辛苦了。", "拜托了！")


def _fill(rng: random.Random, text: str) -> str:
    if "{p}" in text:
        text = text.replace("{p}", rng.choice(PLACES), 1).replace("{p}", "")
    if "{n}" in text:
        text = text.replace("{n}", str(rng.randint(2, 12)))
    return text


def complaint_text(rng: random.Random, category: str) -> str:
    """One complaint of `category` (one of CATEGORIES; another raises KeyError), deterministic for rng's state."""
    core = _fill(rng, rng.choice(rng.choice(MATTERS[category])))
    if rng.random() < 0.2:  # terse, as a cadre types it on the phone
        return core if rng.random() < 0.5 else f"{core}，{_fill(rng, rng.choice(ASKS))}"
    parts = [core]
    for pool, chance in ((DURATIONS, 0.45), (IMPACTS, 0.4), (TRIES, 0.3)):
        if rng.random() < chance:
            parts.append(_fill(rng, rng.choice(pool)))
    parts.append(rng.choice(ASKS))
    return rng.choice(OPENINGS) + "，".join(parts) + rng.choice(("。", "！", "。")) + rng.choice(CLOSINGS)
