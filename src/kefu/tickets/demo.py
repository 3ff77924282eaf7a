"""The tickets' part of the demo data set that `make run` loads, and the Chinese words both it and
the benchmark generator (tickets.generate) draw from.

The demo tickets are written through tickets.services when they exist (so that their numbers,
timelines and audit rows are the real thing): a few hundred tickets in every state, some
bouncing between agents, some urged, some waiting in the unassigned queue, with replies, notes
and the customers' own answers. The demo's agent and supervisor share a team that the supervisor
leads. The same seed gives the same tickets.
"""

import contextlib
import datetime
import random
from dataclasses import dataclass, field
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.core import generation
from kefu.tickets.models import Channel, Comment, Priority, Status, Ticket, TicketEvent, TicketType

# --- Words -----------------------------------------------------------------------------------

# What goes wrong with each shipped category, as a customer says it on the phone.
FAULTS: dict[str, tuple[str, ...]] = {
    "air_conditioner": (
        "空调不制冷",
        "空调外机噪音大",
        "空调室内机漏水",
        "空调显示E1故障码",
        "空调不制热",
        "空调遥控器失灵",
        "空调吹出来有异味",
        "空调开机十分钟自动关机",
    ),
    "washing_machine": (
        "洗衣机漏水",
        "洗衣机不脱水",
        "洗衣机显示E21无法排水",
        "洗衣机滚筒异响",
        "洗衣机门锁打不开",
        "洗衣机不进水",
        "洗衣机甩干时剧烈晃动",
        "洗衣机按启动没反应",
    ),
    "refrigerator": (
        "冰箱不制冷",
        "冰箱冷藏室结冰",
        "冰箱压缩机响声大",
        "冰箱门关不严",
        "冰箱显示屏不亮",
        "冰箱冷冻室化霜",
        "冰箱里有异味",
        "冰箱底部漏水",
    ),
    "water_heater": (
        "热水器不出热水",
        "热水器显示E3故障",
        "热水器漏水",
        "燃气热水器打不着火",
        "热水器水温忽冷忽热",
        "热水器漏电保护跳闸",
        "热水器烧水时噪音大",
        "热水器出水量小",
    ),
    "flat_tv": (
        "电视黑屏有声音",
        "电视屏幕出现竖线",
        "电视连不上WiFi",
        "电视遥控器失灵",
        "电视开机反复重启",
        "电视画面闪烁",
        "电视没有声音",
        "电视系统升级失败",
    ),
    "tv": (
        "彩电开不了机",
        "彩电图像偏色",
        "彩电有雪花点",
        "彩电声音很小",
        "彩电换台没反应",
        "彩电屏幕有亮斑",
        "彩电开机有焦味",
        "彩电自动关机",
    ),
    "computer": (
        "电脑开不了机",
        "电脑频繁蓝屏",
        "电脑风扇噪音大",
        "电脑键盘部分按键失灵",
        "电脑充不进电",
        "电脑运行很慢",
        "电脑屏幕闪烁",
        "电脑连不上网络",
    ),
    "phone": (
        "手机屏幕摔碎了",
        "手机充不进电",
        "手机频繁死机",
        "手机信号差",
        "手机听筒没声音",
        "手机摄像头拍照模糊",
        "手机电池鼓包",
        "手机发烫严重",
    ),
    "network_equipment": (
        "路由器频繁掉线",
        "路由器指示灯不亮",
        "WiFi信号弱",
        "路由器管理页面登录不了",
        "宽带连不上",
        "路由器自动重启",
        "网速很慢",
        "路由器发热严重",
    ),
}
GENERIC_FAULTS = (
    "{p}开不了机",
    "{p}有异响",
    "{p}漏电",
    "{p}显示故障码",
    "{p}突然停止工作",
    "{p}有焦味",
    "{p}按键失灵",
    "{p}时好时坏",
)
# Subjects of the other kinds of request, for any product ({p}: what people call it).
SUBJECTS: dict[str, tuple[str, ...]] = {
    TicketType.INSTALLATION: (
        "新买的{p}预约上门安装",
        "{p}移机",
        "{p}安装位置咨询后预约安装",
        "搬家后{p}重新安装",
        "{p}送货后一直没人来安装",
        "{p}需要加装支架",
        "二手房{p}拆旧装新",
        "{p}安装需要打孔",
    ),
    TicketType.CONSULTATION: (
        "咨询{p}保修期",
        "咨询{p}使用方法",
        "咨询{p}延保服务",
        "咨询{p}维修收费标准",
        "查询{p}维修进度",
        "咨询{p}以旧换新活动",
        "咨询{p}配件价格",
        "{p}发票遗失怎么保修",
    ),
    TicketType.COMPLAINT: (
        "师傅上门迟到两小时",
        "{p}维修后又坏了",
        "客服电话一直打不通",
        "{p}维修收费不合理",
        "师傅服务态度差",
        "{p}配件等了半个月还没到",
        "预约了上门没人来",
        "{p}安装后墙面没清理",
    ),
    TicketType.RETURN: (
        "{p}申请退货",
        "新买的{p}有划痕要求换货",
        "{p}七天无理由退货",
        "{p}开箱即坏要求换新",
        "{p}型号发错要求更换",
        "{p}三次维修仍有问题申请换机",
        "{p}尺寸不合适申请换货",
        "{p}退货进度查询",
    ),
    TicketType.MAINTENANCE: (
        "{p}清洗保养",
        "{p}年度保养预约",
        "{p}深度清洗",
        "{p}除垢保养",
        "{p}滤网更换",
        "{p}定期检测",
        "{p}换季保养",
        "{p}加氟保养",
    ),
    TicketType.CARE: (
        "{p}使用情况回访",
        "{p}保修即将到期提醒",
        "老客户生日关怀回访",
        "{p}安装满一年回访",
        "{p}维修后满意度回访",
        "{p}节能使用小贴士",
        "{p}延保到期提醒",
        "{p}夏季使用提醒",
    ),
}
# The rest of the customer's account, after the subject.
DETAILS: dict[str, tuple[str, ...]] = {
    TicketType.REPAIR: (
        "客户来电说从前天开始出现这个问题，已经断电重启过，没有好转。",
        "客户说家里老人在用，比较着急，希望尽快安排师傅上门。",
        "客户反映上个月刚修过一次，现在又出现同样的问题。",
        "客户已按说明书自查，确认电源和插座正常。",
        "客户希望周末上门，工作日家里没人。",
        "客户说用了五六年了，想先了解一下维修大概多少钱。",
        "客户发来照片，能看到明显的水渍。",
        "客户说问题时有时无，晚上用电高峰时更明显。",
    ),
    TicketType.INSTALLATION: (
        "客户已收到货，约定明天上午上门安装。",
        "客户要求安装时顺便把旧机拆走。",
        "客户家在六楼无电梯，需要两位师傅。",
        "客户询问安装是否收取辅材费用。",
        "客户希望下班后晚上七点以后安装。",
        "小区物业要求提前登记施工人员。",
        "客户要求师傅上门时带鞋套。",
        "客户已在网上预约，来电确认时间。",
    ),
    TicketType.CONSULTATION: (
        "客户找不到购机发票，想知道还能不能保修。",
        "客户想了解延保的价格和范围。",
        "客户询问附近的服务网点地址。",
        "已在电话中解答，客户表示清楚了。",
        "客户想知道维修需要多长时间。",
        "客户询问是否可以远程指导操作。",
        "客户咨询上门检测是否收费。",
        "客户要求把收费标准发到微信上。",
    ),
    TicketType.COMPLAINT: (
        "客户情绪比较激动，要求主管回电。",
        "客户表示如果今天得不到答复会向消协投诉。",
        "客户要求给个说法并补偿上门费。",
        "客户说已经打了三次电话都没有结果。",
        "客户要求更换服务师傅。",
        "客户希望书面道歉。",
        "客户要求退还已收取的维修费。",
        "客户对处理进度不满意，要求加急。",
    ),
    TicketType.RETURN: (
        "客户购买未满七天，包装齐全。",
        "客户已拍照留证，外观有明显磕碰。",
        "客户要求上门取件。",
        "客户希望换成同价位的其他型号。",
        "客户说购买时销售承诺可以退换。",
        "客户要求尽快退款到原支付账户。",
        "客户已经维修过三次，要求换新机。",
        "客户询问退货运费由谁承担。",
    ),
    TicketType.MAINTENANCE: (
        "客户说很久没清洗了，制冷效果变差。",
        "客户购买了保养套餐，本次是第二次服务。",
        "客户希望和其他家电一起保养。",
        "客户询问保养的价格。",
        "客户要求用环保清洗剂。",
        "客户家有婴儿，希望彻底消毒。",
        "客户希望周六上午上门。",
        "客户想顺便检查一下线路。",
    ),
    TicketType.CARE: (
        "回访客户，客户表示使用正常。",
        "客户对上次服务比较满意。",
        "客户提出希望增加夜间服务时段。",
        "客户询问是否有老客户优惠。",
        "客户没有接电话，稍后再联系。",
        "客户表示会考虑购买延保。",
        "客户反映说明书字太小。",
        "客户感谢师傅耐心讲解。",
    ),
}
REPLIES = (
    "您好，已为您安排师傅明天上午上门检修，师傅出发前会电话联系您。",
    "您好，问题已处理完毕，如再有异常请随时联系我们。",
    "您好，配件已下单，预计三到五个工作日到货，到货后第一时间为您安排上门。",
    "您好，经检测是主板故障，在保修期内，维修免费。",
    "您好，很抱歉给您带来不便，我们已加急处理，今天下午师傅会上门。",
    "您好，已按您的要求改约到周六上午九点到十二点。",
    "您好，您的退换货申请已通过，快递员会在两天内上门取件。",
    "您好，收费标准已发送到您的手机，请查收。",
)
NOTES = (
    "已联系网点，师傅排期较满，需协调。",
    "客户是老客户，之前投诉过一次，注意沟通方式。",
    "配件缺货，已向仓库催货。",
    "已请主管确认是否可以免收上门费。",
    "客户电话两次未接，已发短信。",
    "技术支持确认是已知批次问题，按换机处理。",
    "与客户约好下午三点再回电。",
    "已同步给区域服务中心。",
)
CUSTOMER_REPLIES = (
    "好的，谢谢，明天上午家里有人。",
    "师傅已经来过了，现在正常了。",
    "请问配件什么时候能到？已经等了好几天了。",
    "可以改到下午吗？上午要上班。",
    "还是不行，又出现同样的问题了。",
    "收到，麻烦尽快。",
    "照片已经上传了，请看一下。",
    "谢谢你们，服务很好。",
)
TRANSFER_REASONS = (
    "涉及安装问题，转安装组处理",
    "客户所在区域由华东组负责",
    "需要技术支持判断故障",
    "投诉类工单转主管跟进",
    "本人休假，转同组同事跟进",
    "退换货需售后专员处理",
    "客户要求更换对接人",
    "涉及费用争议，转财务核实",
)
CLAIM_REASON = "从待分配队列认领"
GENERIC_CATEGORY = "其他"
# The types in a fixed order: the generator's text table is keyed by position.
TYPES = tuple(TicketType.values)


def subject_variants(ticket_type: str, category: str, spoken: str) -> tuple[str, ...]:
    """The eight subjects of a request of `ticket_type` about a product of `category`."""
    if ticket_type == TicketType.REPAIR:
        faults = FAULTS.get(category)
        if faults:
            return faults
        return tuple(text.format(p=spoken) for text in GENERIC_FAULTS)
    return tuple(text.format(p=spoken) for text in SUBJECTS[ticket_type])


# --- The demo ------------------------------------------------------------------------------------

DEFAULT_TICKETS = 300
TICKETS_PER_CUSTOMER = 3  # at most: a small archive gets a few tickets per customer
DAYS_BACK = 60  # the demo's tickets were opened over the last two months
# Colleagues of the demo logins, to hand tickets to (they cannot sign in).
COLLEAGUES = {
    "agent-2": ("客服专员·二号", "客服一组"),
    "agent-3": ("客服专员·三号", "客服一组"),
    "agent-4": ("安装调度·四号", "安装服务组"),
    "agent-5": ("安装调度·五号", "安装服务组"),
}
TEAMS = ("客服一组", "安装服务组")
# Where each demo ticket ends up, with its weight: every state, and the unassigned queue.
OUTCOMES = (
    ("unassigned", 8),
    (Status.NEW, 8),
    (Status.OPEN, 18),
    (Status.PENDING_CUSTOMER, 9),
    (Status.PENDING_PARTS, 9),
    (Status.RESOLVED, 14),
    (Status.CLOSED, 30),
    ("reopened", 2),
    ("merged", 2),
)
DEMO_TYPES = tuple(
    (choice, weight)
    for choice, weight in (
        (TicketType.REPAIR, 45),
        (TicketType.INSTALLATION, 18),
        (TicketType.CONSULTATION, 15),
        (TicketType.MAINTENANCE, 8),
        (TicketType.COMPLAINT, 7),
        (TicketType.RETURN, 4),
        (TicketType.CARE, 3),
    )
)
STAFF_CHANNELS = ((Channel.PHONE, 70), (Channel.WALK_IN, 15), (Channel.SALES_VISIT, 5))
INTAKE_CHANNELS = ((Channel.PORTAL, 50), (Channel.SOCIAL, 30), (Channel.EMAIL, 10), (Channel.SYSTEM, 10))
PRIORITIES = ((Priority.NORMAL, 70), (Priority.HIGH, 15), (Priority.LOW, 10), (Priority.URGENT, 5))


@dataclass
class DemoResult:
    tickets: int = 0
    states: dict[str, int] = field(default_factory=dict)
    bouncing: int = 0
    urged: int = 0
    unassigned: int = 0
    skipped: bool = False


class _Clock:
    """The time the services see while a demo ticket's story is told: each step a little after
    the last, so that a ticket opened five weeks ago has the numbers, timeline and times of a
    ticket that lived those weeks. Only `django.utils.timezone.now` is moved; the audit trail
    keeps the real time at which the loader wrote it."""

    def __init__(self):
        self.at: datetime.datetime | None = None
        self._real = timezone.now

    def __call__(self) -> datetime.datetime:
        return self.at or self._real()

    def advance(self, rng: random.Random, *, low: int, high: int) -> datetime.datetime:
        """Move on by `low` to `high` minutes, never past the real now."""
        moved = (self.at or self._real()) + datetime.timedelta(minutes=rng.randrange(low, high))
        at = min(moved, self._real() - datetime.timedelta(seconds=1))
        self.at = at
        return at


@contextlib.contextmanager
def _clock():
    clock = _Clock()
    with mock.patch("django.utils.timezone.now", clock):
        yield clock


def ensure_teams() -> tuple[list[User], User]:
    """The demo's two teams, both led by the demo supervisor: 客服一组 (the demo agent, the
    supervisor and two colleagues) and 安装服务组 (two colleagues). Returns the agents who take
    tickets and the supervisor. Idempotent."""
    supervisor = User.objects.get(username="supervisor")
    teams = {}
    for name in TEAMS:
        team, _created = Team.objects.get_or_create(name=name, defaults={"supervisor": supervisor})
        if team.supervisor_id != supervisor.pk:
            team.supervisor = supervisor
            team.save(update_fields=["supervisor"])
        teams[name] = team
    agent_group = Group.objects.get(name="agent")
    agents = []
    for username in ("agent", "supervisor"):
        user = User.objects.get(username=username)
        user.team = teams[TEAMS[0]]
        user.save(update_fields=["team"])
        if username == "agent":
            agents.append(user)
    unusable = make_password(None)
    for username, (display_name, team_name) in COLLEAGUES.items():
        user, _created = User.objects.get_or_create(
            username=username, defaults={"display_name": display_name, "password": unusable}
        )
        user.team = teams[team_name]
        user.is_active = True
        user.save(update_fields=["team", "is_active"])
        user.groups.add(agent_group)
        agents.append(user)
    return agents, supervisor


def _pick(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _backdate_comment(comment: Comment, at: datetime.datetime) -> None:
    """A comment takes its time from its model's default, which the clock does not move: set it,
    and its event's, to the story's time."""
    Comment.objects.filter(pk=comment.pk).update(created_at=at, updated_at=at)
    TicketEvent.objects.filter(ticket_id=comment.ticket_id, data__comment=comment.pk).update(occurred_at=at)


class _Story:
    """One demo ticket from its opening to where OUTCOMES says it ends."""

    def __init__(self, rng: random.Random, clock: _Clock, agents: list[User], supervisor: User):
        self.rng, self.clock, self.agents, self.supervisor = rng, clock, agents, supervisor

    def reply(self, ticket: Ticket, by: User, *, public: bool = True) -> None:
        from kefu.tickets import services

        at = self.clock.advance(self.rng, low=20, high=600)
        body = self.rng.choice(REPLIES if public else NOTES)
        _backdate_comment(services.add_comment(ticket=ticket, by=by, body=body, public=public), at)

    def customer_reply(self, ticket: Ticket) -> None:
        from kefu.tickets import services

        at = self.clock.advance(self.rng, low=30, high=900)
        _backdate_comment(
            services.add_customer_reply(ticket=ticket, body=self.rng.choice(CUSTOMER_REPLIES)), at
        )

    def move(self, ticket: Ticket, by: User, *statuses: str) -> Ticket:
        from kefu.tickets import services

        for status in statuses:
            self.clock.advance(self.rng, low=30, high=1440)
            ticket = services.transition_ticket(ticket=ticket, by=by, status=status)
        return ticket

    def tell(self, outcome: str, customer, product) -> Ticket:
        from kefu.tickets import services

        rng = self.rng
        ticket_type = _pick(rng, DEMO_TYPES)
        category = product.model.category.code if product else ""
        spoken = _spoken(category)
        subject = rng.choice(subject_variants(ticket_type, category, spoken))
        description = f"{subject}。{rng.choice(DETAILS[ticket_type])}"
        by_staff = outcome != "unassigned" and rng.random() < 0.7
        opener = rng.choice(self.agents) if by_staff else None
        ticket = services.open_ticket(
            by=opener,
            customer=customer,
            product=product if ticket_type not in (TicketType.CONSULTATION, TicketType.CARE) else None,
            subject=subject,
            description=description,
            type=ticket_type,
            channel=_pick(rng, STAFF_CHANNELS if by_staff else INTAKE_CHANNELS),
            priority=_pick(rng, PRIORITIES),
        )
        if outcome == "unassigned":
            if rng.random() < 0.3:
                self.clock.advance(rng, low=10, high=240)
                ticket = services.urge_ticket(ticket=ticket, via="portal")
            return ticket
        owner = opener
        if owner is None:
            owner = rng.choice(self.agents)
            self.clock.advance(rng, low=5, high=180)
            ticket = services.claim_ticket(ticket=ticket, by=owner)
        if outcome == Status.NEW:
            return ticket
        ticket = self.move(ticket, owner, Status.OPEN)
        # A hand-off or two (two make it bounce: flagged for the supervisor).
        for _hop in range(_pick(rng, ((0, 70), (1, 20), (2, 8), (3, 2)))):
            to_user = rng.choice([agent for agent in self.agents if agent.pk != owner.pk])
            self.clock.advance(rng, low=30, high=720)
            ticket = services.transfer_ticket(
                ticket=ticket, by=owner, to_user=to_user, reason=rng.choice(TRANSFER_REASONS)
            )
            owner = to_user
        if rng.random() < 0.35:
            self.reply(ticket, owner, public=False)
        for _urge in range(_pick(rng, ((0, 80), (1, 14), (2, 6)))):
            self.clock.advance(rng, low=60, high=1440)
            via = rng.choice(("portal", "phone"))
            ticket = services.urge_ticket(
                ticket=ticket,
                by=owner if via == "phone" else None,
                via=via,
                note="客户来电催促，希望尽快处理" if via == "phone" else "",
            )
        if outcome == Status.OPEN:
            if rng.random() < 0.5:
                self.reply(ticket, owner)
            return ticket
        self.reply(ticket, owner)
        if outcome in (Status.PENDING_CUSTOMER, Status.PENDING_PARTS):
            return self.move(ticket, owner, outcome)
        if rng.random() < 0.4:
            self.customer_reply(ticket)
        ticket = self.move(ticket, owner, Status.RESOLVED)
        if outcome == Status.RESOLVED:
            return ticket
        ticket = self.move(ticket, owner, Status.CLOSED)
        if outcome == "reopened":
            ticket = self.move(ticket, owner, Status.OPEN)
            self.reply(ticket, owner)
        return ticket


def _spoken(category: str) -> str:
    from kefu.customers.demo import SPOKEN_NAMES

    return SPOKEN_NAMES.get(category, "家电")


@transaction.atomic
def load_demo_data(*, tickets: int = DEFAULT_TICKETS, seed: int | None = None) -> DemoResult:
    """Into a database without tickets, `tickets` demo tickets (at most three per customer) for the
    demo customers, through the services. Idempotent: nothing is added when there are tickets
    already."""
    from kefu.customers.models import Customer
    from kefu.tickets import services

    agents, supervisor = ensure_teams()
    services.intake_user()
    if Ticket.objects.exists() or tickets <= 0:
        return DemoResult(skipped=Ticket.objects.exists())
    customers = list(
        Customer.objects.filter(merged_into__isnull=True).prefetch_related("products__model__category")
    )
    if not customers:
        return DemoResult(skipped=True)
    tickets = min(tickets, TICKETS_PER_CUSTOMER * len(customers))
    rng = random.Random(seed)
    now = timezone.now()
    outcomes = [_pick(rng, OUTCOMES) for _ in range(tickets)]
    # Older tickets are the finished ones; the open ones are recent.
    ages = sorted((rng.random() ** 1.5 * DAYS_BACK for _ in range(tickets)), reverse=True)
    done = {Status.CLOSED, "reopened", "merged", Status.RESOLVED}
    outcomes.sort(key=lambda outcome: 0 if outcome in done else 1)
    result = DemoResult(tickets=tickets)
    opened: dict[int, Ticket] = {}
    with _clock() as clock:
        story = _Story(rng, clock, agents, supervisor)
        for outcome, age in zip(outcomes, ages, strict=True):
            clock.at = now - datetime.timedelta(days=age, minutes=rng.randrange(0, 600))
            if outcome == "merged" and opened:
                # The customer called again about the same thing: a duplicate, merged into it.
                original = opened[rng.choice(sorted(opened))]
                customer = original.customer
                duplicate = story.tell(Status.NEW, customer, original.product)
                clock.advance(rng, low=10, high=120)
                services.merge_ticket(
                    duplicate=duplicate, into=original, by=supervisor, reason="客户重复来电"
                )
                key = "merged"
            else:
                customer = rng.choice(customers)
                products = list(customer.products.all())
                product = rng.choice(products) if products and rng.random() < 0.85 else None
                ticket = story.tell(Status.CLOSED if outcome == "merged" else outcome, customer, product)
                opened.setdefault(customer.pk, ticket)
                key = ticket.status if outcome not in ("unassigned", "reopened") else outcome
            result.states[key] = result.states.get(key, 0) + 1
    result.bouncing = Ticket.objects.filter(bounce_count__gte=2).count()
    result.urged = Ticket.objects.filter(urge_count__gt=0).count()
    result.unassigned = Ticket.objects.filter(owner=services.intake_user()).open().count()
    return result


def _load_step(counts, seed: int | None) -> list[str]:
    result = load_demo_data(tickets=counts.get("tickets", DEFAULT_TICKETS), seed=seed)
    if result.skipped:
        return ["There are tickets already (or no customers): no demo tickets added."]
    states = ", ".join(f"{count} {state}" for state, count in sorted(result.states.items()))
    return [
        f"Added {result.tickets} demo tickets ({states}); {result.bouncing} bouncing, {result.urged} urged, "
        f"{result.unassigned} in the unassigned queue."
    ]


DEMO_STEP = generation.DemoStep(
    name="tickets",
    options=(("tickets", DEFAULT_TICKETS, "How many demo tickets to open, at most three per customer"),),
    load=_load_step,
)
