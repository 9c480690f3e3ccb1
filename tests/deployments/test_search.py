"""The register's text search read period by period (apps/deployments/search.py) gives exactly the pages of the plain
query: the same rows, in the same order, with the same next-page positions — on SQLite (which always reads the plain
query) and on PostgreSQL (where the periods answer)."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.core.pagination import keyset_page
from apps.deployments import search
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Deployment
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ServiceFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"
SEARCH_PAGE_QUERIES = 6  # session, user, permissions, filter choices, the page, its count
# the trigrams the test's titles nearly all share, as the newest titles of a real register would
FIELDS = ("id", "planned_start")  # what a row reads
COMMON = frozenset({"rel", "ele", "lea", "eas", "ase", "ser", "erv", "rvi", "vic", "ice"})


@pytest.fixture
def register(monkeypatch):
    """Forty deployments planned 17 days apart (about 23 periods of the keys, past and future), one undated: every
    other one's title names "service 0042", and one that does not is authorised by the change record "service 0042".
    The periods are made to answer whatever the planner's statistics of so small a table say."""
    monkeypatch.setattr(search, "_dense", lambda *args: False)
    read = search._read_profile
    monkeypatch.setattr(search, "_read_profile", lambda *args: read(*args)._replace(common=COMMON))
    monkeypatch.setattr(search, "_profiles", {})  # no profile of another test's table
    monkeypatch.setattr(search, "LEAD", 4)  # the periods counted down from the fifth newest, as from the 201st
    monkeypatch.setattr(search, "WINDOWS", (8, 40))  # a few periods, then all: as 80,000 and 320,000 deployments
    service, environment, requester = ServiceFactory(), EnvironmentFactory(), UserFactory()
    now = timezone.now().replace(microsecond=0)
    rows = []
    for i in range(40):
        start = now + dt.timedelta(days=17 * (i - 25), hours=i % 3)
        rows.append(
            DeploymentFactory(
                title=f"Release {i} of {'Alpha service 0042' if i % 2 else 'Beta service 0007'}",
                change_ref="service 0042" if i == 10 else f"CHG{i}",
                planned_start=start,
                planned_end=start + dt.timedelta(hours=2),
                service=service,
                environment=environment,
                requester=requester,
                versions=[],
            )
        )
    Deployment.objects.filter(pk=rows[0].pk).update(planned_start=None, planned_end=None)
    return rows


def _base(term: str):
    filterset = DeploymentFilterSet({"q": term}, queryset=Deployment.objects.all())
    return filterset.qs.values(*FIELDS), filterset.text_search()[0]


class Row:
    def __init__(self, values):
        self.pk = self.id = values["id"]
        self.planned_start = values["planned_start"]


@pytest.mark.parametrize("term", ["service 0042", "SERVICE 004", "alpha service 0042", "Beta service 0007"])
def test_every_page_is_the_plain_querys_page(register, term):
    # given the register searched for a term, in its default order, three rows a page
    plain_qs, base = _base(term)
    after, pages, fast = "", 0, 0
    while True:
        # when each page is read through the periods and by the plain query
        page = search.search_page(base, term=term, after=after, size=3, row=Row, fields=FIELDS)
        plain = keyset_page(plain_qs, key="planned_start", descending=True, after=after, size=3, row=Row)
        # then both hold the same rows in the same order, and lead to the same next page
        if page is not None:
            fast += 1
            assert [r.pk for r in page] == [r.pk for r in plain]
            assert (page.has_next, page.next_token) == (plain.has_next, plain.next_token)
        pages += 1
        if not plain.has_next:
            break
        after = plain.next_token
    assert pages > 3
    # and PostgreSQL read the pages through the periods, SQLite by the plain query
    assert (fast > 0) == POSTGRES


def test_the_register_lists_title_and_change_record_matches_newest_first(client, register):
    # given a manager-like user who sees every deployment
    user = UserFactory(roles=["manager"])
    client.force_login(user)
    matching = [d for d in register if "0042" in d.title or d.change_ref == "service 0042"]
    expected = sorted(
        Deployment.objects.filter(pk__in=[d.pk for d in matching]).values_list("planned_start", "id"),
        key=lambda r: (r[0] is None, r[0] or dt.datetime.min.replace(tzinfo=dt.UTC), r[1]),
        reverse=True,
    )
    # when they search the register and walk its pages
    seen, url = [], reverse("deployments:deployment_list") + "?q=service+0042"
    while url:
        response = client.get(url)
        seen += [d.pk for d in response.context["deployments"]]
        next_url = response.context["pager"]["next_url"]
        url = reverse("deployments:deployment_list") + next_url if next_url else ""
    # then they see the title matches and the change record's deployment, the undated first, then newest first
    assert seen == [pk for _, pk in expected]
    assert register[10].pk in seen  # its title does not hold the term: its change record does


@pytest.mark.parametrize("role", ["manager", "product_owner"])
def test_a_search_walks_tied_pages_of_what_the_user_may_see(client, register, monkeypatch, role):
    from apps.deployments.views import register as pages

    # given pages of 3, a user who sees every deployment or only their own requests, and eight more deployments
    # planned at one instant whose titles hold the term, every other one requested by that user, as are four of the
    # others (one found by its change record)
    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    answered = []

    def search_page(*args, **kwargs):
        answered.append(search.search_page(*args, **kwargs))
        return answered[-1]

    monkeypatch.setattr(pages, "search_page", search_page)
    user, other = UserFactory(roles=[role]), register[1].requester
    tied = register[22].planned_start
    for i in range(8):
        DeploymentFactory(
            title=f"Tie {i} of Alpha service 0042",
            planned_start=tied,
            planned_end=tied + dt.timedelta(hours=2),
            service=register[1].service,
            environment=register[1].environment,
            requester=user if i % 2 else other,
            versions=[],
        )
    Deployment.objects.filter(pk__in=[register[i].pk for i in (1, 10, 21, 23)]).update(requester=user)
    visible = Deployment.objects.filter(Q(title__icontains="service 0042") | Q(change_ref="service 0042"))
    if role != "manager":
        visible = visible.filter(requester=user)
    expected = sorted(
        visible.values_list("planned_start", "id"),
        key=lambda r: (r[0] is None, r[0] or dt.datetime.min.replace(tzinfo=dt.UTC), r[1]),
        reverse=True,
    )
    client.force_login(user)
    # when they search the register and walk its pages
    seen, url = [], reverse("deployments:deployment_list") + "?q=service+0042"
    while url:
        response = client.get(url)
        seen.append([d.pk for d in response.context["deployments"]])
        next_url = response.context["pager"]["next_url"]
        url = reverse("deployments:deployment_list") + next_url if next_url else ""
    # then they see what they may see and nothing else, newest first and by id within the instant, in full pages
    assert [pk for rows in seen for pk in rows] == [pk for _, pk in expected]
    assert all(len(rows) == 3 for rows in seen[:-1])
    assert len(seen) == -(-len(expected) // 3)
    # and on PostgreSQL the periods answered the pages (SQLite reads the plain query)
    assert any(page is not None for page in answered) == POSTGRES


def test_a_reference_or_no_trigram_is_left_to_the_plain_query(register):
    # a reference is found by its own index, and "ab" has no trigram for the keys
    for term in (register[3].reference, "ab"):
        assert search.search_page(_base(term)[1], term=term, size=3) is None


def test_deployments_planned_years_ahead_leave_the_periods_answering(register):
    # given a few deployments planned five years ahead, beyond every period of the rest
    far = timezone.now().replace(microsecond=0) + dt.timedelta(days=5 * 365)
    for i in range(3):
        DeploymentFactory(
            title=f"Release far {i} of Alpha service 0042",
            planned_start=far + dt.timedelta(days=i),
            planned_end=far + dt.timedelta(days=i, hours=1),
            service=register[1].service,
            environment=register[1].environment,
            versions=[],
        )
    plain_qs, base = _base("service 0042")
    # when the first page is searched
    page = search.search_page(base, term="service 0042", size=5, row=Row, fields=FIELDS)
    plain = keyset_page(plain_qs, key="planned_start", descending=True, size=5, row=Row)
    # then it is the plain query's page, the far deployments first, and on PostgreSQL the periods answered it
    assert (page is not None) == POSTGRES
    if page is not None:
        assert [r.pk for r in page] == [r.pk for r in plain]
        assert (page.has_next, page.next_token) == (plain.has_next, plain.next_token)


@pytest.mark.parametrize(("far", "ahead"), [(0, 0), (16, 200), (16, 3 * 365)])
def test_the_common_trigrams_are_sampled_from_the_anchor_down(monkeypatch, far, ahead):
    # given titles that nearly all name a service, four in forty "Alpha service 0042", and `far` deployments planned
    # `ahead` days ahead (a profiling run's) with titles of their own, more than the periods' lead and the sample: 200
    # days are within the widest window of the rest, three years beyond it
    monkeypatch.setattr(search, "_dense", lambda *args: False)
    monkeypatch.setattr(search, "_profiles", {}, raising=False)
    monkeypatch.setattr(search, "LEAD", 4)
    monkeypatch.setattr(search, "SAMPLE", 16)
    monkeypatch.setattr(search, "COMMON", 0.5)
    service, environment = ServiceFactory(), EnvironmentFactory()
    now = timezone.now().replace(microsecond=0)
    plans = [
        *(
            (now - dt.timedelta(days=3 * i), f"Release {i} of {'Alpha service 0042' if i % 10 == 3 else 'Service'}")
            for i in range(40)
        ),
        *((now + dt.timedelta(days=ahead, hours=i), f"Bench write {i}-{i}") for i in range(far)),
    ]
    for start, title in plans:
        DeploymentFactory(
            title=title,
            planned_start=start,
            planned_end=start + dt.timedelta(hours=1),
            service=service,
            environment=environment,
            versions=[],
        )
    plain_qs, base = _base("service 0042")
    after, pages = "", []
    while True:
        # when the register is searched, page by page
        page = search.search_page(base, term="service 0042", after=after, size=3, row=Row, fields=FIELDS)
        plain = keyset_page(plain_qs, key="planned_start", descending=True, after=after, size=3, row=Row)
        # then the periods answer on PostgreSQL, with the plain query's pages: the common trigrams ("service") come
        # from the titles the periods read, not from the far deployments' alone
        assert (page is not None) == POSTGRES
        if page is not None:
            assert [r.pk for r in page] == [r.pk for r in plain]
            assert (page.has_next, page.next_token) == (plain.has_next, plain.next_token)
        pages.append([r.pk for r in plain])
        if not plain.has_next:
            break
        after = plain.next_token
    assert len(pages) == 2


def test_a_search_page_reads_its_page_and_count_alone(client, register, monkeypatch, django_assert_num_queries):
    from apps.deployments.views import register as pages

    # given a manager-like user, pages of 3, and the register searched once (the process has read the table's profile)
    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    client.force_login(UserFactory(roles=["manager"]))
    url = reverse("deployments:deployment_list") + "?q=service+0042"
    client.get(url)
    # when it is searched again, and again for another term
    for term in ("service+0042", "beta+service+0007"):
        with django_assert_num_queries(SEARCH_PAGE_QUERIES) as captured:
            response = client.get(reverse("deployments:deployment_list") + "?q=" + term)
        # then it reads the page (through the keys on PostgreSQL) and the count: no statistics, no plan, no trigrams
        sql = [q["sql"] for q in captured.captured_queries]
        assert sum("dep_search_keys" in q for q in sql) == (1 if POSTGRES else 0)
        assert not any(word in q for q in sql for word in ("EXPLAIN", "show_trgm", "pg_class"))
        assert len(response.context["deployments"]) == 3


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize(
    "titles",
    [
        (),
        ("SERVICE 0042 RELEASE",) * 3 + ("SERVICE 0043",) * 197,
        ("SERVICE 0042 RELEASE",) * 2 + ("SERVICE 0043",) * 198,
        ("AAAAAA",) + ("B",) * 99,  # overlapping occurrences in one title count once
        ("AA\nAA",) * 2 + ("B",) * 98,  # a title with a line break of its own
        ("SERVICE 0042 SERVICE 0042",) * 2 + ("X",) * 98,  # two occurrences in a title, one title
    ],
)
@pytest.mark.parametrize("term", ["service 0042", "aaa", "aa\naa", "a", "0042", "x"])
def test_whether_a_term_is_dense_is_the_count_of_titles_holding_it(titles, term):
    # given a profile's sampled titles
    profile = search.Profile(0, (0,), (len(titles),), True, frozenset(), titles)
    # when it is asked whether the term is too common for the periods
    dense = search._dense(profile, term)
    # then the answer is that of counting the titles that hold it, one by one
    needle = term.upper()
    assert dense == (sum(needle in title for title in titles) > search.DENSE * max(len(titles), 1))


def _profile(periods, counts, complete):
    return search.Profile(periods[0] if periods else None, tuple(periods), tuple(counts), complete, frozenset(), ())


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize(
    ("top", "deployments", "periods", "counts", "complete", "low"),
    [
        # dense: the first period alone holds the window's deployments
        (100, 80, [100, 99, 98], [90, 90, 90], False, 100),
        # ten times sparser: ten periods hold as many
        (100, 80, list(range(100, 88, -1)), [9] * 12, False, 92),
        # periods without deployments are not counted, but the window spans them
        (100, 20, [100, 95, 90], [9, 9, 9], False, 90),
        # a position further down: counted from its period
        (98, 80, [100, 99, 98, 97, 96], [90, 90, 50, 20, 20], False, 96),
        # the profile lists every period holding deployments: the oldest bounds the window
        (100, 80, [100, 99], [9, 9], True, 99),
        # past the counted periods, the listed ones at the counted ones' mean
        (100, 80, [100, 99, 97, 90, 80], [30, 10, None, None, None], False, 90),
        (100, 80, [100, 99, 97, 90, 80], [30, 10, None, None, None], True, 90),
        (100, 200, [100, 99, 97], [30, 10, None], True, 97),
        # past the listed periods, as many more as their mean count would fill
        (100, 80, [100, 99], [20, 20], False, 97),
        # a position below every listed period: by their mean count from its own
        (50, 60, [100, 99], [20, 20], False, 48),
        # never more than SPAN periods
        (200, 10_000, [200], [1], False, 200 - search.SPAN + 1),
    ],
)
def test_a_window_holds_its_deployments_whatever_the_density(top, deployments, periods, counts, complete, low):
    # given a table's profile: the periods holding deployments, newest first, and how many each holds
    profile = _profile(periods, counts, complete)
    # when a window of `deployments` is cut from the period `top` down
    # then it reaches as far down as the periods (or their mean) hold that many, never past SPAN periods
    assert search._low(top, deployments, profile) == low


@pytest.mark.skipif(not POSTGRES, reason="the periods answer on PostgreSQL only")
@pytest.mark.parametrize("per_period", [1, 3])
def test_the_profile_counts_the_first_windows_periods_and_lists_the_rest(monkeypatch, per_period):
    # given deployments in eleven consecutive periods of the keys, `per_period` in each, and windows of 4 and 9
    monkeypatch.setattr(search, "LEAD", 0)
    monkeypatch.setattr(search, "WINDOWS", (4, 9))
    newest = search._period(timezone.now()) - 1
    service, environment = ServiceFactory(), EnvironmentFactory()
    for n in range(newest - 10, newest + 1):
        for k in range(per_period):
            start = search.EPOCH + n * search.PERIOD + dt.timedelta(days=1 + k)
            DeploymentFactory(
                title=f"Release {n}-{k}",
                planned_start=start,
                planned_end=start + dt.timedelta(hours=1),
                service=service,
                environment=environment,
                versions=[],
            )
    # when the profile is read
    profile = search._read_profile("default", Deployment._meta.db_table)
    # then it lists every period from the newest down, and knows it lists them all
    assert profile.anchor == newest
    assert profile.periods == tuple(range(newest, newest - 11, -1))
    assert profile.complete
    # and counts the deployments of those the first window needs (4 deployments: four periods or two), no more
    first = -(-4 // per_period)
    assert profile.counts == (per_period,) * first + (None,) * (11 - first)
    # and its sample is those periods' titles
    assert sorted(profile.titles) == sorted(
        f"RELEASE {n}-{k}" for n in range(newest - first + 1, newest + 1) for k in range(per_period)
    )
    # and so a window is narrower where the register is denser, the wider one counted at the first's density
    assert search._low(newest, 4, profile) == newest - first + 1
    assert search._low(newest, 9, profile) == newest - -(-9 // per_period) + 1


@pytest.mark.skipif(not POSTGRES, reason="the periods answer on PostgreSQL only")
def test_the_profile_lists_at_most_span_periods(monkeypatch):
    # given deployments in six periods, two of them older than a SPAN of four
    monkeypatch.setattr(search, "LEAD", 0)
    monkeypatch.setattr(search, "SPAN", 4)
    monkeypatch.setattr(search, "WINDOWS", (2, 3))
    newest = search._period(timezone.now()) - 1
    for n in range(newest - 5, newest + 1):
        start = search.EPOCH + n * search.PERIOD + dt.timedelta(days=2)
        DeploymentFactory(planned_start=start, planned_end=start + dt.timedelta(hours=1), versions=[])
    # when the profile is read, it lists the four newest, counts the first window's two, and knows more are older
    profile = search._read_profile("default", Deployment._meta.db_table)
    assert (profile.periods, profile.counts, profile.complete) == (
        tuple(range(newest, newest - 4, -1)),
        (1, 1, None, None),
        False,
    )
