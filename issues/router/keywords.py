"""The router before there is a model: a keyword list per default category (campaign DEFAULT_CATEGORIES).

Used by issues.router.suggest while no category model is active (a new deployment, or fewer dispatched tickets than
the trainer's minimum). A category scores by the keywords found in the text, smoothed so that every category keeps a
small score: the list always has every category, best first, and "其他" leads when nothing matched.
"""

from __future__ import annotations

from campaign.models.campaigns import DEFAULT_CATEGORIES
from issues.router.tokens import normalize

OTHER = "其他"

KEYWORDS: dict[str, tuple[str, ...]] = {
    "城市管理": tuple(
        "占道经营 摆摊 流动摊贩 违建 违章搭建 私搭乱建 户外广告 广告牌 小广告 井盖 路灯 城管 渣土 绿化带 树木 共享单车 乱贴".split()
    ),
    "社会保障": tuple(
        "社保 养老金 养老保险 医保 低保 失业 退休 拖欠工资 欠薪 工资 就业 补贴 残疾 特困 救助 劳动合同 高龄".split()
    ),
    "住房物业": tuple(
        "物业 物业费 电梯 漏水 渗水 业主 房屋 租房 房东 维修基金 暖气 供暖 燃气 楼道 门禁 二次供水 开发商 房产证 停水".split()
    ),
    "环境卫生": tuple(
        "垃圾 清运 臭味 异味 污水 排污 油烟 噪音 噪声 扬尘 粉尘 公厕 蚊虫 老鼠 污染 焚烧 下水道 化粪池".split()
    ),
    "道路交通": tuple(
        "红绿灯 信号灯 公交 堵车 拥堵 乱停 违停 停车 路面 坑洼 斑马线 人行道 限速 交通 出租车 地铁 路口 减速带".split()
    ),
    "医疗卫生": tuple(
        "医院 医生 看病 挂号 卫生院 卫生服务中心 诊所 药店 药品 疫苗 接种 体检 门诊 急诊 护士 住院 医疗".split()
    ),
    "教育": tuple("学校 学生 老师 教师 幼儿园 入学 上学 学位 招生 补课 培训机构 校车 学区 小学 中学 放学 校园".split()),
    "治安": tuple("盗窃 被偷 小偷 诈骗 打架 斗殴 报警 派出所 警察 监控 赌博 传销 醉酒 滋事 治安 吸毒 可疑".split()),
    "企业服务": tuple(
        "企业 公司 营业执照 办证 审批 税务 发票 贷款 融资 招工 用工 厂房 园区 优惠政策 营商环境 个体户 工商".split()
    ),
}

# Smoothing: every category starts with PRIOR, "其他" with OTHER_PRIOR, so an unmatched text still gets a ranked
# list (其他 first) and one matched keyword (1 + PRIOR) outranks it.
PRIOR = 0.1
OTHER_PRIOR = 0.5


def keyword_scores(text: str, k: int) -> list[tuple[str, float]]:
    """The k best default categories for `text` with scores in 0..1 (summing to 1 over all categories), best first;
    ties keep DEFAULT_CATEGORIES' order."""
    text = normalize(text)
    weights = {
        category: (OTHER_PRIOR if category == OTHER else PRIOR)
        + sum(1 for word in KEYWORDS.get(category, ()) if word in text)
        for category in DEFAULT_CATEGORIES
    }
    total = sum(weights.values())
    order = sorted(DEFAULT_CATEGORIES, key=lambda c: (-weights[c], DEFAULT_CATEGORIES.index(c)))
    return [(category, weights[category] / total) for category in order[:k]]
