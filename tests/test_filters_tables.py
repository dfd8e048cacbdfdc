"""Banned-term tables: innocent Chinese with banned bigrams inside (must pass) and evasions
(must be caught), with the false-positive and catch rates they measure printed by the run."""

from __future__ import annotations

import pytest

from filters.normalize import is_cjk
from filters.terms import Matcher, default_terms

# fmt: off
# Innocent phrases with a banned bigram of the default list across two words: (phrase, bigram).
INNOCENT_ZH = [
    ("颜色情况", "色情"), ("红色情书", "色情"), ("特色情调的咖啡馆", "色情"),
    ("景色情景交融的山水画", "色情"), ("动漫角色情绪表情包", "色情"),
    ("出色情节的电影海报", "色情"), ("红色情人节贺卡", "色情"), ("夜色情侣剪影", "色情"),
    ("绿色情怀的环保海报", "色情"), ("蓝色情调的卧室", "色情"), ("白色情人节的巧克力", "色情"),
    ("灰色情绪的雨天街道", "色情"), ("彩色情侣手环", "色情"), ("粉色情侣装", "色情"),
    ("紫色情书信封", "色情"), ("银色情人节礼物", "色情"), ("金色情人节花束", "色情"),
    ("棕色情侣熊玩偶", "色情"), ("黑色情绪插画", "色情"), ("本色情怀", "色情"),
    ("暖色情调的客厅", "色情"), ("冷色情调的海报", "色情"), ("月色情景", "色情"),
    ("秋色情浓的枫林", "色情"), ("很出色，情况很好", "色情"), ("出色 情况", "色情"),
    ("湖光山色情意浓", "色情"), ("安全裸眼3D", "全裸"), ("完全裸眼观测星空", "全裸"),
    ("齐全裸眼3D设备", "全裸"), ("健全裸眼视力", "全裸"), ("树阴道路", "阴道"),
    ("江阴道路", "阴道"), ("华阴道观", "阴道"), ("天阴道路湿滑", "阴道"),
    ("背阴道路的青苔", "阴道"), ("淮阴道路夜景", "阴道"), ("金黄片状的叶子", "黄片"),
    ("姜黄片", "黄片"), ("泛黄片段的老照片", "黄片"), ("土黄片岩", "黄片"),
    ("淡黄片状结晶", "黄片"), ("枯黄片片落叶", "黄片"), ("蛋黄片", "黄片"), ("混乱伦理", "乱伦"),
    ("杂乱伦敦街头", "乱伦"), ("凌乱伦敦小巷", "乱伦"), ("慌乱伦巴舞", "乱伦"),
    ("战乱伦敦", "乱伦"), ("扰乱伦理秩序", "乱伦"), ("忙乱伦敦地铁", "乱伦"), ("独自慰藉", "自慰"),
    ("来自慰问团的花篮", "自慰"), ("亲自慰问灾民", "自慰"), ("各自慰藉", "自慰"),
    ("暗自慰藉的少女", "自慰"), ("火箭发射精确入轨", "射精"), ("注射精华液", "射精"),
    ("反射精美的光泽", "射精"), ("照射精致的瓷器", "射精"), ("辐射精度", "射精"),
    ("投射精彩的光影", "射精"), ("散射精细的光线", "射精"), ("激光发射精准", "射精"),
    ("华阴部队", "阴部"), ("江阴部分地区有雨", "阴部"), ("山阴部落", "阴部"),
    ("背阴部分的苔藓", "阴部"), ("大学生异性交往", "性交"), ("理性交流的会议", "性交"),
    ("女性交警指挥交通", "性交"), ("男性交警", "性交"), ("个性交友", "性交"), ("理性交谈", "性交"),
    ("感性交流", "性交"), ("弹性交付", "性交"), ("属性交叉", "性交"), ("良性交互", "性交"),
    ("阶段性交付", "性交"), ("慢性交叉感染", "性交"), ("国际性交流", "性交"),
    ("战略性交易", "性交"), ("做爱心蛋糕", "做爱"), ("叫做爱丽丝的女孩", "做爱"),
    ("看做爱人", "做爱"), ("称做爱琴海的地方", "做爱"), ("港口交通繁忙的夜景", "口交"),
    ("出口交易会", "口交"), ("路口交通灯", "口交"), ("接口交互设计", "口交"),
    ("入口交叉处", "口交"), ("端口交换机", "口交"), ("人口交流", "口交"), ("两只野兽交战", "兽交"),
    ("怪兽交响曲", "兽交"), ("猛兽交锋", "兽交"), ("慢性侵蚀", "性侵"), ("恶性侵袭", "性侵"),
    ("毁灭性侵略", "性侵"), ("酸性侵蚀的岩石", "性侵"), ("攻击性侵入", "性侵"),
    ("系统性侵权", "性侵"), ("四肢解放", "肢解"), ("下肢解剖图", "肢解"), ("上肢解剖", "肢解"),
    ("初恋童话", "恋童"), ("眷恋童年", "恋童"), ("迷恋童话故事", "恋童"), ("依恋童年的家", "恋童"),
    ("留恋童年", "恋童"), ("年幼交友", "幼交"), ("自幼交好的朋友", "幼交"),
    ("一杯血腥玛丽鸡尾酒", "血腥"), ("深色情侣对戒", "色情"), ("橘色情调的灯光", "色情"),
    ("神色情急", "色情"), ("肤色情况", "色情"), ("颜色情绪卡片", "色情"),
    ("国际性交通枢纽", "性交"), ("男性交友软件", "性交"), ("阴性交叉反应", "性交"),
    ("渡口交汇处", "口交"), ("胸口交叉的双臂", "口交"), ("港口交易所", "口交"),
]

# Evasions of the default list, Chinese and English: (text, term that must be found).
EVASIONS = [
    # Chinese: spaces, commas, invisible and blank code points, separators, emoji and line
    # breaks between two characters never break a match
    ("一个裸 体", "裸体"), ("一个裸，体女人", "裸体"), ("裸、体", "裸体"), ("裸。体", "裸体"),
    ("裸  体", "裸体"), ("裸\u3000体", "裸体"), ("裸\u200b体", "裸体"), ("裸\u200c体", "裸体"),
    ("裸\u2060体", "裸体"), ("裸\ufeff体", "裸体"), ("裸\u2800体", "裸体"), ("裸\u3164体", "裸体"),
    ("裸\u115f体", "裸体"), ("裸\uffa0体", "裸体"), ("裸\u00ad体", "裸体"), ("裸\u180e体", "裸体"),
    ("裸\u202e体", "裸体"), ("裸\U000e0020体", "裸体"), ("裸\ufe0f体", "裸体"),
    ("裸\U0001d159体", "裸体"), ("裸_体", "裸体"), ("裸-体", "裸体"), ("裸.体", "裸体"),
    ("裸*体", "裸体"), ("裸/体", "裸体"), ("裸|体", "裸体"), ("裸~体", "裸体"), ("裸·体", "裸体"),
    ("裸•体", "裸体"), ("裸🔥体", "裸体"), ("裸❤️体", "裸体"), ("色\n情", "色情"),
    ("色\t情图片", "色情"), ("色 情 图 片", "色情"), ("色，情，图，片", "色情"),
    ("一张色 情图片", "色情"), ("口 交", "口交"), ("强 奸", "强奸"), ("母子乱 伦", "乱伦"),
    ("阴 道", "阴道"), ("儿 童 色 情", "儿童色情"), ("两人做 爱", "做爱"), ("性，交", "性交"),
    ("血\u200b腥", "血腥"), ("碎 尸", "碎尸"),
    # Chinese: full-width separators, traditional script, both
    ("裸＿体", "裸体"), ("裸．体", "裸体"), ("裸－体", "裸体"), ("裸／体", "裸体"),
    ("裸體", "裸体"), ("一張裸體照片", "裸体"), ("強姦", "强奸"), ("亂倫", "乱伦"),
    ("陰道", "阴道"), ("做愛", "做爱"), ("兒童色情", "儿童色情"), ("碎屍", "碎尸"),
    ("裸 體", "裸体"), ("強 姦", "强奸"), ("兒 童 色 情", "儿童色情"), ("ＡＶ女優", "av女优"),
    # English: separators and invisible characters
    ("n.u.d.e", "nude"), ("n-u-d-e", "nude"), ("n u d e", "nude"), ("n/u/d/e", "nude"),
    ("n~u~d~e", "nude"), ("n·u·d·e", "nude"), ("n—u—d—e", "nude"), ("p.o.r.n", "porn*"),
    ("s-e-x", "sex"), ("r-a-p-e", "rape"), ("r-ape", "rape"), ("nu-de", "nude"),
    ("por-n", "porn*"), ("ra-pe", "rape"), ("sexy-n-u-d-e girl", "nude"), ("n\u200bude", "nude"),
    ("p\u200co\u200drn", "porn*"), ("s\u2060ex", "sex"), ("n\ufeffude", "nude"),
    ("n\u00adude", "nude"), ("nu\u180ede", "nude"),
    # English: look-alikes from Unicode's confusables data
    ("ɑnal sex", "anal sex"), ("pօrn", "porn*"), ("×××", "xxx"), ("рorn", "porn*"), ("ѕех", "sex"),
    ("ΡΟRΝ", "porn*"), ("nսde", "nude"), ("hеntаi", "hentai"), ("ɴᴜᴅᴇ", "nude"), ("ⓝⓤⓓⓔ", "nude"),
    ("𝓷𝓾𝓭𝓮", "nude"), ("𝔫𝔲𝔡𝔢", "nude"), ("🇳🇺🇩🇪", "nude"), ("ⲣorn", "porn*"), ("lօli", "loli"),
    ("ṅüḋë", "nude"), ("n̷u̷d̷e̷", "nude"), ("ᏚᎬX", "sex"), ("ꓑORN", "porn*"), ("Ν∪DΕ", "nude"),
    # English: leet, in every useful reading
    ("p0rn", "porn*"), ("s3x", "sex"), ("4n4l s3x", "anal sex"), ("nud3", "nude"),
    ("r4p3", "rape"), ("1oli", "loli"), ("ch1ld p0rn", "child porn*"),
    ("chi1d p0rn", "child porn*"), ("8dsm", "bdsm"), ("|oli", "loli"), ("|o|i", "loli"),
    ("nipp|e", "nipple*"), ("nipp1e", "nipple*"), ("c|itoris", "clitoris"),
    ("pedophi1e", "pedophil*"), ("mo|ested", "molest*"), ("inc3st", "incest*"), ("or6y", "orgy"),
    ("$ex", "sex"), ("@nal $ex", "anal sex"), ("5ex", "sex"), ("5 3 x", "sex"),
    ("h3nt41", "hentai"),
    # English: repeats, case, full width, glued words
    ("nuuuude", "nude"), ("pooorn", "porn*"), ("NuDe", "nude"), ("ｐｏｒｎ", "porn*"),
    ("ＮＳＦＷ", "nsfw"), ("childporn", "child porn*"), ("child-porn", "child porn*"),
    ("child_porn", "child porn*"), ("Ｎ.ū.Ð.е", "nude"),
]
# fmt: on

# Known limits of segmentation, kept here so a better segmenter shows up as an XPASS.
LIMITS = [
    # 山阴道上 (a saying, "on the road to Shanyin") is one dictionary word, cut inside as
    # 山/阴道/上: 阴道 is found.
    pytest.param("山阴道上", False, id="saying cut through"),
    # jieba knows 男女性 ("male and female sex"), so 男女性交 is 男女性/交 and 性交 is lost.
    pytest.param("男女性交", True, id="term cut by a longer word"),
]


@pytest.fixture(scope="module")
def defaults() -> Matcher:
    return Matcher(default_terms())


def readable(text: str) -> str:
    return text.encode("unicode_escape").decode()[:32]


@pytest.mark.parametrize(("phrase", "bigram"), INNOCENT_ZH, ids=[p for p, _ in INNOCENT_ZH])
def test_innocent_chinese_passes(defaults: Matcher, phrase: str, bigram: str) -> None:
    assert bigram in "".join(filter(is_cjk, phrase))  # the table tests what it claims
    assert not defaults.check(phrase).blocked, defaults.check(phrase)


@pytest.mark.parametrize(("text", "term"), EVASIONS, ids=[readable(t) for t, _ in EVASIONS])
def test_evasion_is_caught(defaults: Matcher, text: str, term: str) -> None:
    assert term in defaults.check(text).terms, defaults.check(text)


@pytest.mark.parametrize(("text", "blocked"), LIMITS)
@pytest.mark.xfail(strict=True, reason="segmentation gets these wrong")
def test_known_limits(defaults: Matcher, text: str, blocked: bool) -> None:
    assert defaults.check(text).blocked is blocked


def test_rates(defaults: Matcher, capsys: pytest.CaptureFixture[str]) -> None:
    blocked = sum(defaults.check(phrase).blocked for phrase, _ in INNOCENT_ZH)
    caught = sum(term in defaults.check(text).terms for text, term in EVASIONS)
    with capsys.disabled():
        print(
            f"\nbanned terms: {blocked}/{len(INNOCENT_ZH)} innocent Chinese phrases blocked "
            f"(false positives {blocked / len(INNOCENT_ZH):.1%}), {caught}/{len(EVASIONS)} "
            f"evasions caught ({caught / len(EVASIONS):.1%})"
        )
    assert len(INNOCENT_ZH) >= 100 and len(EVASIONS) >= 100
    assert (blocked, caught) == (0, len(EVASIONS))
