"""The router's features: jieba's words (precise mode) and the character bigrams of each run of Chinese characters.

`analyze` is the TfidfVectorizer's analyzer: a stored pipeline names it by its dotted path (pickle), so it keeps
this name and module. jieba is set up once per process, on first use: its log quieted, its prefix-dictionary cache
written under the project's var dir (settings.VAR_DIR / "jieba"), never to /tmp; the dictionary is the one the package
ships, nothing is downloaded.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from types import ModuleType

from django.conf import settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_jieba: ModuleType | None = None

HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
DIGIT = re.compile(r"\d")
ASCII_WORD = re.compile(r"[a-z]{2,}")
BIGRAM_MARK = "_"  # a bigram is its own feature, apart from the same two characters as a jieba word

# Words of every complaint that say nothing about its subject: particles, pronouns, courtesy, the act of reporting.
STOP_WORDS = frozenset(
    "的 了 是 在 我 我们 你 你们 他 他们 她 它 有 和 与 及 或 就 都 也 很 还 又 被 把 给 让 这 那 这个 那个 这些 那些 一个 一些 "
    "一下 什么 怎么 为什么 如何 因为 所以 但是 而且 如果 已经 没有 不 没 吗 呢 吧 啊 呀 哦 嗯 请 您好 你好 谢谢 麻烦 希望 "
    "能够 能 可以 是否 问题 反映 反应 情况 相关 部门 处理 解决 帮助 帮忙 尽快 要求 现在 目前 一直 经常 多次 本人 居民 群众 "
    "市民 我家 家里 附近 这里 那里 里 上 下 中 等 个 次 天 年 月 日 号".split()
)


def _setup() -> ModuleType:
    """Import jieba and load its dictionary, once per process (thread-safe; jieba's own lock guards its loading)."""
    global _jieba
    if _jieba is not None:
        return _jieba
    with _lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)  # "Building prefix dict…" on stderr, by every worker, otherwise
            cache_dir = settings.VAR_DIR / "jieba"
            cache_dir.mkdir(parents=True, exist_ok=True)
            jieba.dt.tmp_dir = str(cache_dir)
            jieba.dt.initialize()
            _jieba = jieba
    return _jieba


def normalize(text: str) -> str:
    """Full-width letters and digits to half-width (NFKC), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _keep(word: str) -> bool:
    """A word with a Chinese character or an ASCII word of 2+ letters; never digits (phone, house and ID numbers)."""
    if word in STOP_WORDS or DIGIT.search(word):
        return False
    return bool(HAN_RUN.search(word) or ASCII_WORD.fullmatch(word))


def analyze(text: str) -> list[str]:
    """The features of one text: its jieba words (precise mode, `jieba.lcut`), then the character bigrams of each run
    of Chinese characters (so a word jieba's dictionary splits wrongly still counts), stop words and digits left out."""
    text = normalize(text)
    words = [word for word in _setup().lcut(text) if _keep(word)]
    for run in HAN_RUN.findall(text):
        words.extend(BIGRAM_MARK + run[i : i + 2] for i in range(len(run) - 1))
    return words
