"""Rules v7: the tagger follows the burden, not one article's wording (issue 11, item 5).

Policy notices, measures and praise that only name a burden stay untagged; complaints that describe
a burden indirectly are tagged, with the words that decided shown as evidence. Every sentence here
is written for these tests, in several styles, as the unseen sources are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feedback.tag_model import TagModel
from feedback.tagging import Tagger, Taxonomy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped() -> Tagger:
    """The tagger as a worker runs it: the taxonomy, the user dictionary and the shipped model."""
    model = TagModel.load(ROOT / "config" / "tagger_model.json")
    return Tagger(Taxonomy.load(ROOT / "config" / "taxonomy.yaml"), ROOT / "config" / "userdict.txt", model=model)


NO_BURDEN = [
    # policy notices from an authority
    "省委办公厅近日印发通知，明确各级会议一律从严控制，全年发文数量压减三成。",
    "国务院办公厅发布意见，要求统筹规范督查检查考核，防止多头检查。",
    # measures taken
    "该区建立督查检查考核计划管理制度，未列入计划的检查一律不得开展。",
    "县里严格执行借调审批备案制度，今年已有十二名借调干部回到乡镇岗位。",
    "借调干部期满后按规定回原单位工作，组织部门做好衔接。",
    "该镇推行“无会日”制度，每周三不安排任何会议，腾出时间下村走访。",
    # commentary that prescribes
    "应当建立容错纠错机制，给敢于担当的干部撑腰鼓劲。",
    "各级机关应统筹整合政务应用，让基层干部把精力用在服务群众上。",
    # praise of results
    "通过推行“一张表”统筹采集，社区每月报表由四十多张减到七张，干部有更多时间走访居民。",
    "精简文件之后，镇里的公文数量同比下降四成，基层干部普遍点赞。",
    "市里取消了十四项评比达标活动，得到基层干部的广泛好评。",
    "会议明显减少了，大家能沉下心来为群众办实事。",
    "县里明确防止会议过多、检查扎堆，统一制定年度计划。",
    "针对会议多、报表多的问题，区里列出了十二条具体办法。",
    "要防止问责泛化、简单化，让干部敢于担当。",
    "各地要改进考核方式，避免考核与实际工作脱节。",
    # v11: strict rules as a measure; a concession that a practice is fine in itself
    "市里从严审批借调，严格规范借调程序，杜绝长期借用。",
    "工作留痕本身没有错，关键是别让它变了味。",
    "县里发文明确，打卡次数不再作为考核内容，基层干部纷纷叫好。",
    "坚决整治过度留痕，不再以台账多少论成绩。",
    # v14: the burden word as the subject of a fix that follows it
    "过度留痕问题得到有效整治，台账从三十多本压缩到五本。",
    "各地积极推进基层减负，陪同调研、迎来送往等现象大为减少。",
    "打卡、截图等做法被叫停后，网格员的负担轻了不少。",
    "今年县里对督查检查考核进行了统筹，检查次数减少了六成。",
    "为了减轻基层负担，市里将报表数量压减至十二张。",
    "接待工作要简朴，不搞层层陪同。",
    "会议要求各部门减少对基层的打扰，不得占用基层干部的休息时间。",
    # v15: the policy voice (会议指出, 文件规定…一般不超过, 加强…管理) and relief (不必再, 只需…一次)
    "会议指出，要持续为基层减负，让干部把精力用在抓落实上。",
    "文件规定，借调期限一般不超过一年。",
    "加强对借调干部的管理，借调期满及时返回。",
    "市纪委对违规借调等问题进行了通报。",
    "部门间数据实现共享后，乡镇不必再重复报送同一数据。",
    "全市统一了各类政务平台的入口，干部只需登录一次。",
    "通过减负，基层干部不用再一天到晚泡在会上。",
    "县里梳理出乡镇履职事项清单，厘清了部门与乡镇的权责。",
    "对属地管理事项实行清单化管理，明确县乡职责边界。",
    # v18: the burden told as the past of an improvement
    "过去，村干部每月要填二十多张报表。推行一表通后，只需填一张。",
    "以前手机里有三十多个工作群，消息响个不停。现在群整合了，干部清静多了。",
    "曾经，镇里干部一周有三天在开会。如今会议少了，大家都下村了。",
    "此前，各部门都往村里派任务。县里出台准入清单后，这种情况得到了扭转。",
    "乡镇干部小李说，以前每天都要在APP上打卡，现在取消了，他有更多时间走访群众。",
    # v19: a work group used to serve residents or to pass on a notice
    "村里建了微信群，村民有什么事直接在群里说，干部及时回复。",
    "镇里通过工作群发布防汛通知，村干部第一时间转发给群众。",
    "村干部在群里发布了疫苗接种通知，并提醒大家带好身份证。",
    "镇里组建了微信工作群，方便群众随时反映问题。",
    # v20: one word weighed 0.5 is not enough on its own
    "县里组织开展“晒晒我的工作照”活动，干部纷纷晒照。",
    # about the topic, no burden
    "镇政府召开春耕生产动员会，部署今年的粮食生产任务。",
    "小王今年考上了县里的公务员，父母很高兴。",
]


@pytest.mark.parametrize("text", NO_BURDEN)
def test_policy_measures_and_praise_stay_untagged(shipped, text):
    assert shipped.tag(text) == []


INDIRECT = [
    ("镇里干部一周五天有三天在会上，村里的事只能晚上干。", "peihui"),
    ("我一天的时间一半都花在开会上，群众来了找不到人。", "peihui"),
    ("开会从早开到晚，散会了才能回村处理急事。", "peihui"),
    ("县里搞活动总让我们去当背景板，一站就是半天。", "peihui"),
    ("每次领导来检查，镇里都得派人全程陪着，一陪就是一天。", "peihui"),
    ("上面一个电话，下面跑断腿，任务都推到我们村里。", "shudi"),
    ("在这里干得好不如写得好，材料漂亮比什么都强。", "liuhen"),
    ("现在是以台账论英雄，谁的盒子多谁就先进。", "liuhen"),
    ("拍照签字一样不落，就为了留痕给上面看。", "liuhen"),
    ("文件一个接一个地下来，每份都要求写落实情况。", "wenshan"),
    ("一天收到的通知看都看不过来，哪有时间下村。", "wenshan"),
    ("各个部门都来要数据，同样的表一个月要填好几遍。", "tianbao"),
    ("白天跑村里，晚上加班填表报数，天天到深夜。", "tianbao"),
    # v8: a burden word and a word of too many in one clause
    ("这阵子会议接连不断，驻村的事一拖再拖。", "peihui"),
    ("今年的检查轮番上阵，我们光准备就顾不过来。", "dujiankao"),
    # v9: how many meetings, said with a count or plainly
    ("去年光是县一级的会议我就参加了一百多次。", "peihui"),
    ("有时一上午要开两个会，下午还得去另一个。", "peihui"),
    ("乡镇的会议越来越多，干部都坐不住了。", "peihui"),
    # v10: abused accountability; inspections out of touch with the work
    ("出一点小事就问责，问责快成了万能的办法。", "wenze"),
    ("检查考核跟农时完全脱节，插秧的时候偏偏来考核。", "dujiankao"),
    # v12: trails made up after the fact; trails put before the work
    ("年底前大家熬夜编记录、凑资料，把一年的事补齐。", "liuhen"),
    ("在我们这儿，照片胜过实干，总结走在行动前面。", "liuhen"),
    # v16: meetings in place of the work; of all kinds; everyone must attend; events to fill seats
    ("我们不是在开会，就是在去开会的路上。", "peihui"),
    ("开会成了主业，干事倒成了副业。", "peihui"),
    ("开会的时间比干活的时间还多。", "peihui"),
    ("大大小小的会议参加了不少，真正跟乡镇有关的没几个。", "peihui"),
    ("每周的例会、调度会、推进会排得满满的，根本没时间下村。", "peihui"),
    ("县里一开会，乡镇干部就得全部到场。", "peihui"),
    ("上级部门组织的观摩活动，每个乡镇都要派人参加。", "peihui"),
    ("调研扎堆，基层疲于接待。", "peihui"),
    ("会议室一坐就是一天，手机上的群消息都来不及看。", "peihui"),
    ("开会开得大家直叫苦，村里的活只能往后放。", "peihui"),
    # v17: duties pushed down; a department's duty that became ours; power above, blame below
    ("部门动动嘴，基层跑断腿。", "shudi"),
    ("本该部门干的事，一纸通知就变成了乡镇的任务。", "shudi"),
    ("权力在上面，责任在下面。", "shudi"),
    ("环保、安全、信访，样样都让乡镇兜底。", "shudi"),
    ("出了事就找属地，部门却能全身而退。", "shudi"),
    ("县直部门的活儿全推到了村里，却不给人不给钱。", "shudi"),
    # v19: a work group that presses on cadres
    ("工作群里半夜还在发通知，要求马上回复收到。", "zhijian"),
    ("群里的通知一个接一个，每条都要回复收到。", "zhijian"),
    ("领导在群里一句话，我们拿着手机随时待命。", "zhijian"),
    # v13: online counts used to judge people
    ("单位每周通报学习积分排名，大家只好开着手机挂机。", "zhijian"),
]


@pytest.mark.parametrize(("text", "code"), INDIRECT)
def test_indirect_complaints_are_tagged_with_their_evidence(shipped, text, code):
    hit = next((h for h in shipped.tag(text) if h.code == code), None)
    assert hit is not None, text
    assert hit.matched or hit.learned  # every tag says why


def test_a_complaint_about_a_local_rule_is_not_taken_for_a_policy_notice(shipped):
    # "出台规定" by a local office, quoted as the burden, is not an authority's policy announcement.
    text = "县里出台规定：凡是有一户没参保，包村干部就要被问责。"
    assert "wenze" in {h.code for h in shipped.tag(text)}


def test_returning_seconded_staff_is_a_measure_but_not_being_able_to_return_is_a_complaint(shipped):
    assert shipped.tag("全县今年已有三十名借调人员全部回到原单位。") == []
    assert "jiediao" in {h.code for h in shipped.tag("他被借调到县里三年了，一直回不了原单位，村里缺人手。")}


def test_the_learned_layer_does_not_give_back_a_tag_the_dampers_took_away(shipped):
    # The rules find the burden words but a fix verb governs them; the model alone would tag it.
    text = "整治陪会陪检，让干部回归本职。"
    analysis = shipped.analyse(text)
    assert "peihui" in analysis.vetoed
    assert shipped.tag(text) == []


def test_a_fix_after_the_burden_word_damps_it_unless_the_sentence_says_it_did_not_work(shipped):
    assert shipped.tag("督查检查考核事项精简了一半。") == []
    assert "dujiankao" in {h.code for h in shipped.tag("督查检查考核事项精简了一半，但检查组照样一拨接一拨。")}
    assert "liuhen" in {h.code for h in shipped.tag("说是过度留痕问题得到整治，可台账一本也没少。")}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("以前一周开一次会，现在天天开会。", "peihui"),
        ("过去只填一张表，现在同样的数据要重复填报三遍。", "tianbao"),
        ("以前手机里有三十多个工作群，现在群更多了，消息响个不停。", "zhijian"),
    ],
)
def test_a_past_that_got_worse_is_still_a_complaint(shipped, text, code):
    assert code in {h.code for h in shipped.tag(text)}
