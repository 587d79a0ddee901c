"""Six weeks in the life of FacturaPlus, written out as plain records. Pure.

Given a seed and "now", ``build`` always tells the same story: 40 customer accounts, 200
people, their journey events, the surveys the journey triggered (after a solved ticket,
30 days after sign-up, after the first invoice, before renewal, and the relationship
survey), and the answers. The story obeys the product's own rules, so the demo looks like
real use: surveys go out on weekdays between 9:00 and 17:00 in the recipient's time zone,
nobody is asked twice within three weeks, and a ticket reopened before its survey was due
cancels that survey. Scores follow each account's health, so the NPS lands near +28.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from closeloop.demo.catalog import (
    ACCOUNT_MANAGERS,
    COMMENTS,
    COMPANIES,
    FEATURE_RELEASES,
    FIRST_NAMES,
    LAST_NAMES,
    PLANS,
    TICKET_TOPICS,
    TITLES,
)
from closeloop.demo.records import (
    AccountSeed,
    AnswerSeed,
    ContactSeed,
    EventSeed,
    InvitationSeed,
    Story,
)

SEED = 20260302
WINDOW = timedelta(days=42)
CONTACTS = 200
NEW_ACCOUNTS = 8
TICKETS = 150
RELATIONSHIP_TARGET = 290  # invitations that went out, all touchpoints together
RELATIONSHIP_ATTEMPTS = 6  # random moments tried per person before giving up
WEB_ANSWERS = 70  # answers through the web link on the customer portal
DUE_NOW = 3  # left for the dispatcher, so the outbox fills as soon as a worker runs
FATIGUE = timedelta(days=21)
SCORE_WEIGHTS = {
    # weights of the scores 0..10 by account health
    "happy": (0, 0, 0, 0, 1, 1, 2, 6, 14, 30, 46),
    "neutral": (1, 1, 1, 2, 3, 4, 6, 14, 26, 24, 18),
    "unhappy": (3, 3, 4, 6, 8, 9, 12, 16, 17, 12, 10),
}
HEALTHS = ("happy", "neutral", "unhappy")
WORSE = {"happy": "neutral", "neutral": "unhappy", "unhappy": "unhappy"}


def build(*, now: datetime, seed: int = SEED) -> Story:
    """The whole demo as records whose times are relative to ``now``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible on purpose, not a secret
    return _Teller(now=now, rng=rng).tell()


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def _name_group(locale: str) -> str:
    if locale == "en-IN":
        return "in"
    return locale.split("-", maxsplit=1)[0]


class _Teller:
    def __init__(self, *, now: datetime, rng: random.Random) -> None:
        self.now = now
        self.start = now - WINDOW
        self.rng = rng
        self.story = Story()
        self.health: list[str] = []
        self.signed_up: list[datetime] = []
        self.members: list[list[int]] = []  # contact indices per account
        self.asked: dict[int, list[datetime]] = {}  # when each person was (to be) surveyed
        self.went_out = 0
        self.decks: dict[str, list[int]] = {}

    def tell(self) -> Story:
        self._accounts()
        self._contacts()
        self._billing()
        self._feature_releases()
        self._tickets_and_support_surveys()
        self._lifecycle_surveys()
        self._relationship_surveys()
        self._web_answers()
        self.story.events.sort(key=lambda event: event.occurred_at)
        self.story.invitations.sort(key=lambda invitation: invitation.due_at)
        return self.story

    # customers and people

    def _accounts(self) -> None:
        new = set(self.rng.sample(range(len(COMPANIES)), NEW_ACCOUNTS))
        for index, company in enumerate(COMPANIES):
            plan, segment, price, _ = self.rng.choices(PLANS, weights=(30, 35, 25, 10))[0]
            days = self.rng.randint(5, 38) if index in new else self.rng.randint(120, 1100)
            since = self.now - timedelta(days=days, minutes=self.rng.randint(0, 600))
            years = 1 + (self.now - since).days // 365
            renewal = since.date() + timedelta(days=365 * years)
            self.signed_up.append(since)
            weights = (45, 55, 0) if index in new else (35, 42, 23)
            self.health.append(self.rng.choices(HEALTHS, weights=weights)[0])
            traits = {
                "plan": plan,
                "segment": segment,
                "industry": company.industry,
                "country": company.country,
                "mrr_eur": price,
                "customer_since": since.date().isoformat(),
                "renewal_date": renewal.isoformat(),
                "account_manager": self.rng.choice(ACCOUNT_MANAGERS),
            }
            self.story.accounts.append(
                AccountSeed(
                    external_id=f"demo-account-{index + 1:02d}",
                    name=company.name,
                    domain=company.domain,
                    time_zone=company.time_zone,
                    traits=traits,
                    created_at=since,
                )
            )

    def _team_sizes(self) -> list[int]:
        by_plan = {plan: size for plan, _, _, size in PLANS}
        sizes = [
            max(2, by_plan[account.traits["plan"]] + self.rng.randint(-1, 2))
            for account in self.story.accounts
        ]
        while sum(sizes) != CONTACTS:
            index = self.rng.randrange(len(sizes))
            if sum(sizes) > CONTACTS and sizes[index] > 2:
                sizes[index] -= 1
            elif sum(sizes) < CONTACTS:
                sizes[index] += 1
        return sizes

    def _contacts(self) -> None:
        taken: set[str] = set()
        for account_index, size in enumerate(self._team_sizes()):
            account, company = self.story.accounts[account_index], COMPANIES[account_index]
            self.members.append([])
            for position in range(size):
                role = (
                    ("decision_maker", "primary_contact")[position] if position < 2 else "end_user"
                )
                group = _name_group(company.locale)
                first = self.rng.choice(FIRST_NAMES[group])
                last = self.rng.choice(LAST_NAMES[group])
                local = f"{_ascii(first)}.{_ascii(last)}"
                email = f"{local}@{account.domain}"
                suffix = 2
                while email in taken:
                    email, suffix = f"{local}{suffix}@{account.domain}", suffix + 1
                taken.add(email)
                joined = account.created_at + timedelta(days=self.rng.randint(0, 3) * position)
                if position >= 2 and self.rng.random() < 0.1:
                    joined = self.now - timedelta(days=self.rng.randint(3, 40))
                self.members[account_index].append(len(self.story.contacts))
                self.story.contacts.append(
                    ContactSeed(
                        external_id=f"demo-contact-{len(self.story.contacts) + 1:03d}",
                        account=account_index,
                        name=f"{first} {last}",
                        email=email,
                        role=role,
                        locale="en-US" if self.rng.random() < 0.06 else company.locale,
                        time_zone=company.time_zone,
                        traits={"title": self.rng.choice(TITLES[role])},
                        created_at=min(joined, self.now - timedelta(hours=1)),
                    )
                )
                if self.start <= joined < self.now:
                    self._event("Signed Up", len(self.story.contacts) - 1, joined)

    # journey events

    def _event(self, name: str, contact: int, at: datetime, **properties: Any) -> None:
        props = {key: value for key, value in properties.items() if value is not None}
        self.story.events.append(EventSeed(name, contact, at, props))

    def _billing_contact(self, account: int) -> int:
        members = self.members[account]
        return members[1] if len(members) > 1 else members[0]

    def _billing(self) -> None:
        for index, account in enumerate(self.story.accounts):
            # after a two-week trial, the subscription is paid monthly on the same day
            first = self.signed_up[index] + timedelta(days=14)
            day = first
            while day < self.now:
                if day >= self.start:
                    paid = day.replace(hour=6) + timedelta(minutes=self.rng.randint(0, 180))
                    self._event(
                        "Invoice Paid",
                        self._billing_contact(index),
                        min(paid, self.now - timedelta(minutes=5)),
                        invoice_number=f"FP-{day:%Y%m}-{index + 1:03d}",
                        amount=account.traits["mrr_eur"],
                        currency="EUR",
                        plan=account.traits["plan"],
                        first_invoice=day == first or None,
                    )
                day += timedelta(days=30)

    def _feature_releases(self) -> None:
        for feature, days_ago in FEATURE_RELEASES:
            released = (self.now - timedelta(days=days_ago)).replace(hour=8, minute=0)
            for index in range(len(self.story.accounts)):
                self._event(
                    "Feature Released", self._billing_contact(index), released, feature=feature
                )

    def _business_time(self, around: datetime, contact: int) -> datetime:
        """The first weekday moment at or after ``around`` inside 9:00–17:00 local time."""
        zone = ZoneInfo(self.story.contacts[contact].time_zone)
        local = around.astimezone(zone)
        if local.hour >= 17:
            local = datetime.combine(local.date() + timedelta(days=1), time(9), zone)
        elif local.hour < 9:
            local = datetime.combine(local.date(), time(9), zone)
        while local.weekday() >= 5:
            local = datetime.combine(local.date() + timedelta(days=1), time(9), zone)
        return local.astimezone(UTC)

    def _random_business_time(self, contact: int, earliest: datetime) -> datetime:
        span = max(1, int((self.now - earliest).total_seconds() // 60))
        moment = earliest + timedelta(minutes=self.rng.randrange(span))
        return self._business_time(moment, contact)

    def _tickets_and_support_surveys(self) -> None:
        people = range(len(self.story.contacts))
        weights = [
            (3 if c.role == "end_user" else 2 if c.role == "primary_contact" else 1)
            * (2 if self.health[c.account] == "unhappy" else 1)
            for c in self.story.contacts
        ]
        for number in range(TICKETS):
            contact = self.rng.choices(people, weights=weights)[0]
            opened = self._random_business_time(contact, self.start)
            if opened >= self.now:
                continue
            health = self.health[self.story.contacts[contact].account]
            ticket = {
                "ticket_id": f"T-{4100 + number}",
                "topic": self.rng.choice(TICKET_TOPICS),
                "priority": self.rng.choices(("low", "normal", "high"), weights=(3, 6, 2))[0],
                "channel": self.rng.choice(("chat", "email", "phone")),
            }
            self._event("Ticket Opened", contact, opened, **ticket)
            hours = min(96.0, self.rng.expovariate(1 / 14)) + 0.5
            solved = opened + timedelta(hours=hours)
            if solved >= self.now:
                continue
            self._event("Ticket Solved", contact, solved, **ticket)
            reopened: datetime | None = None
            if self.rng.random() < (0.3 if health == "unhappy" else 0.1):
                reopened = solved + timedelta(hours=self.rng.uniform(3, 60))
                if reopened < self.now:
                    self._event("Ticket Reopened", contact, reopened, **ticket)
                    resolved_again = reopened + timedelta(hours=self.rng.uniform(4, 48))
                    if resolved_again < self.now:
                        self._event("Ticket Solved", contact, resolved_again, **ticket)
            # the support survey: a day after "Ticket Solved", cancelled if it was reopened
            mood = WORSE[health] if hours > 48 else health
            self._invite(contact, "support", solved + timedelta(days=1), mood, cancel_at=reopened)

    def _lifecycle_surveys(self) -> None:
        for index, account in enumerate(self.story.accounts):
            since, health = self.signed_up[index], self.health[index]
            decision_maker = self.members[index][0]
            if since >= self.start - timedelta(days=30):
                for contact in self.members[index][:2]:
                    self._invite(contact, "onboarding", since + timedelta(days=30), health)
                self._invite(decision_maker, "first_billing", since + timedelta(days=17), health)
            renewal = datetime.combine(
                date.fromisoformat(account.traits["renewal_date"]), time(9), UTC
            )
            if renewal - timedelta(days=60) < self.now + timedelta(days=7):
                due = max(renewal - timedelta(days=60), self.start + timedelta(days=1))
                self._invite(decision_maker, "renewal", due, health)

    def _relationship_surveys(self) -> None:
        order = list(range(len(self.story.contacts)))
        self.rng.shuffle(order)
        for contact in order:
            if self.went_out >= RELATIONSHIP_TARGET:
                break
            health = self.health[self.story.contacts[contact].account]
            earliest = max(self.start, self.story.contacts[contact].created_at)
            for _ in range(RELATIONSHIP_ATTEMPTS):
                due = self._random_business_time(contact, earliest)
                if self._invite(contact, "relationship", due, health):
                    break
        # due now, to people who may be asked and (preferably) are at work right now
        allowed = [
            contact
            for contact in order
            if all(abs(self.now - asked) >= FATIGUE for asked in self.asked.get(contact, []))
        ]
        allowed.sort(key=lambda contact: self._business_time(self.now, contact) != self.now)
        for contact in allowed[:DUE_NOW]:
            self.asked.setdefault(contact, []).append(self.now)
            self.story.invitations.append(
                InvitationSeed(contact, "relationship", "scheduled", self.now, self.now)
            )

    def _web_answers(self) -> None:
        for _ in range(WEB_ANSWERS):
            contact = self.rng.randrange(len(self.story.contacts))
            at = self._random_business_time(contact, self.start)
            if at < self.now:
                health = self.health[self.story.contacts[contact].account]
                self.story.web_answers.append(self._answer(contact, "website", "web", at, health))

    # surveys and answers

    def _invite(
        self,
        contact: int,
        touchpoint: str,
        due: datetime,
        mood: str,
        *,
        cancel_at: datetime | None = None,
    ) -> bool:
        """Survey ``contact`` at the first send-window moment after ``due``, if allowed."""
        due = self._business_time(due, contact)
        created = due - timedelta(days=1)
        if any(abs(due - asked) < FATIGUE for asked in self.asked.get(contact, [])):
            # the fatigue rule: at most one survey per person in three weeks; a recurring
            # survey simply skips the person, a triggered one is recorded as suppressed
            if touchpoint != "relationship" and due < self.now:
                self.story.invitations.append(
                    InvitationSeed(
                        contact, touchpoint, "suppressed", due, created, ended_at=due,
                        reason="surveyed within the last 21 days",
                    )
                )  # fmt: skip
            return False
        if cancel_at is not None and cancel_at < min(due, self.now):
            invitation = InvitationSeed(
                contact, touchpoint, "cancelled", due, created, ended_at=cancel_at,
                reason="cancelled by Ticket Reopened",
            )  # fmt: skip
        elif due >= self.now:
            self.asked.setdefault(contact, []).append(due)
            invitation = InvitationSeed(contact, touchpoint, "scheduled", due, created)
        else:
            self.asked.setdefault(contact, []).append(due)
            self.went_out += 1
            answer = None
            answered_at = due + timedelta(minutes=min(7200.0, self.rng.expovariate(1 / 400)) + 2)
            if answered_at < self.now and self.rng.random() < 0.88:
                answer = self._answer(contact, touchpoint, "email", answered_at, mood)
            state = "answered" if answer is not None else "sent"
            invitation = InvitationSeed(
                contact, touchpoint, state, due, created, sent_at=due, answer=answer
            )
        self.story.invitations.append(invitation)
        return True

    def _answer(
        self, contact: int, touchpoint: str, channel: str, at: datetime, mood: str
    ) -> AnswerSeed:
        score = self._draw_score(mood)
        return AnswerSeed(
            contact, score, self._comment(contact, score, touchpoint), channel, touchpoint, at
        )

    def _draw_score(self, mood: str) -> int:
        """Scores dealt from a shuffled deck that holds each score as often as its weight.

        Independent draws would let the demo's NPS wander by ±10 with the day it is
        loaded on; a deck keeps every mood's distribution exact, so only the mix moves.
        """
        deck = self.decks.setdefault(mood, [])
        if not deck:
            deck.extend(s for s, weight in enumerate(SCORE_WEIGHTS[mood]) for _ in range(weight))
            self.rng.shuffle(deck)
        return deck.pop()

    def _comment(self, contact: int, score: int, touchpoint: str) -> str | None:
        if self.rng.random() < 0.28:
            return None
        person = self.story.contacts[contact]
        category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        language = person.locale.split("-")[0]
        pools = COMMENTS[category]
        pool = pools[language] if language in pools and self.rng.random() < 0.4 else pools["en"]
        support = [comment for comment in pool if comment.theme == "support"]
        if touchpoint == "support" and support and self.rng.random() < 0.6:
            pool = tuple(support)
        manager = self.story.accounts[person.account].traits["account_manager"]
        return self.rng.choice(pool).text.format(manager=manager.split(".")[0].capitalize())
