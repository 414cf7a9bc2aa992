"""One post of a directorate covers a country on any given day (SQLite and PostgreSQL).

Two posts covering Vietnam on the same days made a mission in Vietnam count for
both in the per-post figures. The rule is kept by the ledger (``coverage``);
these tests go through it as the API does, on both stores.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from shared.application import coverage
from shared.application.claims import ValueClaim, claim_id
from shared.application.ledger import CommandResult, CooperationLedger
from shared.application.stores import EventStoreConfig
from shared.domain.context import Actor, CommandContext
from shared.domain.post import PostAbroad
from shared.domain.vocabulary import Classification
from shared.errors import ConflictError, DomainRuleViolation, ValueTakenError
from tests.integration.race import at_once

CTX = CommandContext("police", Actor("sub-1", "Agent Dupont"))


def _post(
    city: str,
    host: str,
    covered: list[str],
    opened: date,
    id_: UUID | None = None,
    closed: date | None = None,
) -> PostAbroad:
    return PostAbroad.open(
        CTX,
        id=id_ or uuid4(),
        name=f"SSI {city}",
        city=city,
        host_country=host,
        covered_countries=covered,
        opened_on=opened,
        classification=Classification.PUBLIC,
        closed_on=closed,
    )


def _open(
    ledger: CooperationLedger,
    city: str,
    host: str,
    covered: list[str],
    opened: date,
    closed: date | None = None,
) -> UUID:
    build = lambda id_: _post(city, host, covered, opened, id_, closed)  # noqa: E731
    return ledger.create(build, None).record_id


def _cover(ledger: CooperationLedger, post: UUID, countries: list[str], on: date) -> CommandResult:
    version = ledger.record(PostAbroad, post).version
    return ledger.change(
        PostAbroad, post, version, lambda p: p.change_coverage(CTX, countries, on), None
    )


def _close(ledger: CooperationLedger, post: UUID, on: date) -> CommandResult:
    version = ledger.record(PostAbroad, post).version
    return ledger.change(PostAbroad, post, version, lambda p: p.close(CTX, on), None)


def _claim(ledger: CooperationLedger, country: str) -> ValueClaim:
    found: object = ledger.repository.get(
        claim_id("police", "post abroad", "covered_countries", country)
    )
    assert isinstance(found, ValueClaim)
    return found


def test_a_second_post_covering_a_country_is_refused_naming_the_first_and_nothing_recorded(
    ledger: CooperationLedger,
) -> None:
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "KH", "LA"], date(2005, 9, 1))
    before = ledger.position()

    with pytest.raises(ValueTakenError) as refused:
        _open(ledger, "Phnom Penh", "KH", ["KH"], date(2014, 1, 1))

    assert (refused.value.field, refused.value.rule) == ("covered_countries", "country-covered")
    assert refused.value.holder == str(hanoi)
    assert "KH is covered by 'SSI Hanoï'" in refused.value.detail
    assert "from 2005-09-01 until it closes" in refused.value.detail
    assert ledger.position() == before
    bangkok = _open(ledger, "Bangkok", "TH", ["TH"], date(2007, 1, 1))
    with pytest.raises(ValueTakenError) as added:  # a coverage change adding it: the same
        _cover(ledger, bangkok, ["TH", "LA"], date(2020, 1, 1))
    assert added.value.holder == str(hanoi)
    assert ledger.record(PostAbroad, bangkok).covered_countries == ["TH"]


def test_a_handover_is_the_giving_up_then_the_taking_over_from_that_day_on(
    ledger: CooperationLedger,
) -> None:
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "KH", "LA"], date(2005, 9, 1))
    _cover(ledger, hanoi, ["VN", "LA"], date(2014, 1, 1))

    with pytest.raises(ValueTakenError):  # Hanoï still covered Cambodia in 2013
        _open(ledger, "Phnom Penh", "KH", ["KH"], date(2013, 12, 31))
    phnom_penh = _open(ledger, "Phnom Penh", "KH", ["KH"], date(2014, 1, 1))

    assert _claim(ledger, "KH").holder == phnom_penh
    assert _claim(ledger, "VN").holder == hanoi
    with pytest.raises(ValueTakenError) as back:  # and Hanoï cannot take it back
        _cover(ledger, hanoi, ["VN", "KH", "LA"], date(2020, 1, 1))
    assert back.value.holder == str(phnom_penh)


def test_a_refusal_states_the_whole_coverage_of_the_country_not_its_first_period(
    ledger: CooperationLedger,
) -> None:
    """Santiago covered CL throughout; the refusal said "until 2025-06-01", then, tried
    from that day, "until 2026-01-01": one period of its coverage at a time."""
    buenos_aires = _open(ledger, "Buenos Aires", "AR", ["AR", "CL"], date(2020, 1, 1))
    _cover(ledger, buenos_aires, ["AR", "CL", "UY"], date(2025, 6, 1))
    _cover(ledger, buenos_aires, ["AR", "CL", "UY", "BO"], date(2026, 1, 1))
    _cover(ledger, buenos_aires, ["AR", "UY"], date(2026, 1, 1))  # same day: no day with it
    _cover(ledger, buenos_aires, ["AR", "CL", "UY"], date(2026, 1, 1))

    with pytest.raises(ValueTakenError) as refused:
        _open(ledger, "Santiago", "CL", ["CL"], date(1995, 1, 1))

    assert "CL is covered by 'SSI Buenos Aires'" in refused.value.detail
    assert "from 2020-01-01 until it closes" in refused.value.detail
    _cover(ledger, buenos_aires, ["AR", "UY"], date(2026, 3, 1))
    with pytest.raises(ValueTakenError) as again:
        _open(ledger, "Santiago", "CL", ["CL"], date(2022, 1, 1))
    assert "from 2020-01-01 to 2026-02-28 included" in again.value.detail


def test_a_closure_frees_the_countries_from_its_day_on(ledger: CooperationLedger) -> None:
    vientiane = _open(ledger, "Vientiane", "LA", ["LA"], date(2008, 1, 1))
    hanoi = _open(ledger, "Hanoï", "VN", ["VN"], date(2005, 9, 1))
    _close(ledger, vientiane, date(2015, 1, 1))

    assert _claim(ledger, "LA").holder is None
    with pytest.raises(ValueTakenError):
        _cover(ledger, hanoi, ["VN", "LA"], date(2014, 12, 31))
    _cover(ledger, hanoi, ["VN", "LA"], date(2015, 1, 1))
    assert _claim(ledger, "LA").holder == hanoi


def _withdraw_closure(ledger: CooperationLedger, post: UUID, on: date) -> CommandResult:
    version = ledger.record(PostAbroad, post).version
    withdraw = lambda p: p.withdraw_closure(CTX, "Saisie erronée", on)  # noqa: E731
    return ledger.change(PostAbroad, post, version, withdraw, None)


def test_a_closure_withdrawn_takes_the_countries_back_from_its_day_on(
    ledger: CooperationLedger,
) -> None:
    vientiane = _open(ledger, "Vientiane", "LA", ["LA"], date(2008, 1, 1))
    _close(ledger, vientiane, date(2015, 1, 1))

    _withdraw_closure(ledger, vientiane, date(2015, 1, 5))

    post = ledger.record(PostAbroad, vientiane)
    assert (post.status.value, post.closed_on, post.covered_on(date(2020, 1, 1))) == (
        "open",
        None,
        ["LA"],
    )
    assert _claim(ledger, "LA").holder == vientiane
    with pytest.raises(ValueTakenError) as taken:  # covered again: no other post may take it
        _open(ledger, "Luang Prabang", "LA", ["LA"], date(2016, 1, 1))
    assert taken.value.holder == str(vientiane)


def test_a_closure_is_not_withdrawn_once_another_post_took_a_country_since(
    ledger: CooperationLedger,
) -> None:
    """Hanoï took Laos over after Vientiane closed: Vientiane open again would cover it
    too, from the closing day on, and every mission in Laos would count twice."""
    vientiane = _open(ledger, "Vientiane", "LA", ["LA"], date(2008, 1, 1))
    hanoi = _open(ledger, "Hanoï", "VN", ["VN"], date(2005, 9, 1))
    _close(ledger, vientiane, date(2015, 1, 1))
    _cover(ledger, hanoi, ["VN", "LA"], date(2016, 6, 1))
    before = ledger.position()

    with pytest.raises(ValueTakenError) as refused:
        _withdraw_closure(ledger, vientiane, date(2017, 1, 1))

    assert (refused.value.rule, refused.value.holder) == ("country-covered", str(hanoi))
    assert refused.value.field is None  # the withdrawal names no country nor day to change
    assert "from 2016-06-01 until it closes" in refused.value.detail
    assert refused.value.detail.endswith(
        "the post would cover it again from the day it closed, so its closure cannot be "
        "withdrawn while that coverage stands (a past one, never)"
    )
    assert ledger.position() == before
    assert ledger.record(PostAbroad, vientiane).status.value == "closed"
    assert _claim(ledger, "LA").holder == hanoi


def test_a_back_dated_opening_may_not_cover_a_country_another_post_covered_then(
    ledger: CooperationLedger,
) -> None:
    """Coverage given up in 2014 still counted the actions of 2010-2013 for its post."""
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "KH"], date(2005, 9, 1))
    _cover(ledger, hanoi, ["VN"], date(2014, 1, 1))

    with pytest.raises(ValueTakenError) as refused:
        _open(ledger, "Phnom Penh", "KH", ["KH"], date(2012, 6, 1))

    assert "from 2005-09-01 to 2013-12-31 included" in refused.value.detail
    _open(ledger, "Phnom Penh", "KH", ["KH"], date(2014, 1, 1))


def test_a_post_gives_up_and_takes_back_its_own_country(ledger: CooperationLedger) -> None:
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "KH"], date(2005, 9, 1))
    _cover(ledger, hanoi, ["VN"], date(2014, 1, 1))
    assert _claim(ledger, "KH").holder is None

    _cover(ledger, hanoi, ["VN", "KH"], date(2016, 1, 1))

    assert _claim(ledger, "KH").holder == hanoi
    assert ledger.record(PostAbroad, hanoi).covered_on(date(2015, 1, 1)) == ["VN"]


def test_another_directorate_may_cover_the_same_country(store: EventStoreConfig) -> None:
    police = CooperationLedger("police", store)
    gendarmerie = CooperationLedger("gendarmerie", store)

    _open(police, "Hanoï", "VN", ["VN"], date(2005, 9, 1))
    _open(gendarmerie, "Hanoï", "VN", ["VN"], date(2005, 9, 1))


def test_concurrent_openings_covering_one_country_record_one_post(
    store: EventStoreConfig,
) -> None:
    """Each writer reads the posts before the others save; the country's claim lets one win."""
    ledgers = [CooperationLedger("police", store) for _ in range(4)]
    results = at_once(
        ledgers,
        lambda ledger, index: _open(ledger, f"Poste {index}", "KH", ["KH"], date(2014, 1, 1)),
        ValueTakenError,
    )

    won = [r for r in results if isinstance(r, UUID)]
    refused = [r for r in results if isinstance(r, ValueTakenError)]
    assert len(won) == 1, results
    assert len(refused) == len(ledgers) - 1, results
    assert {r.holder for r in refused} == {str(won[0])}
    assert {r.rule for r in refused} == {"country-covered"}
    assert len(ledgers[0].read_log(0, 100)) == 1


def test_posts_recorded_before_the_rule_keep_working(ledger: CooperationLedger) -> None:
    """An earlier release let two posts cover Cambodia: nothing is altered, either can be
    corrected or closed, and neither can add a country the other covers."""
    hanoi = _post("Hanoï", "VN", ["VN", "KH"], date(2005, 9, 1))
    phnom_penh = _post("Phnom Penh", "KH", ["KH"], date(2014, 1, 1))
    ledger.save(hanoi)  # saved as an earlier release did: no claims, no check
    ledger.save(phnom_penh)

    version = ledger.record(PostAbroad, hanoi.id).version
    ledger.change(
        PostAbroad,
        hanoi.id,
        version,
        lambda p: p.correct(CTX, {"city": "Hà Nội"}, "Graphie officielle", date(2015, 1, 1)),
        None,
    )
    with pytest.raises(ValueTakenError):
        _cover(ledger, phnom_penh.id, ["KH", "VN"], date(2016, 1, 1))
    _close(ledger, phnom_penh.id, date(2020, 1, 1))
    _cover(ledger, hanoi.id, ["VN", "KH", "LA"], date(2021, 1, 1))
    assert _claim(ledger, "LA").holder == hanoi.id


def test_a_post_saved_between_the_claims_read_and_the_posts_read_makes_the_save_collide(
    store: EventStoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving the threads above may or may not hit, forced: another process
    opens Phnom Penh after this writer read Cambodia's claim (none) and before the posts
    it compares with were read (so they do not show Phnom Penh)."""
    ledger, other = CooperationLedger("police", store), CooperationLedger("police", store)
    check = coverage._refuse_overlap
    first: list[UUID] = []

    def posts_read_before_the_other_save(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(coverage, "_refuse_overlap", check)
        first.append(_open(other, "Phnom Penh", "KH", ["KH"], date(2014, 1, 1)))

    monkeypatch.setattr(coverage, "_refuse_overlap", posts_read_before_the_other_save)
    with pytest.raises(ValueTakenError) as refused:
        _open(ledger, "Bangkok", "TH", ["TH", "KH"], date(2014, 1, 1))

    assert (refused.value.rule, refused.value.holder) == ("country-covered", str(first[0]))
    assert [e.aggregate_type for _, e in ledger.read_log(0, 100)] == ["post-abroad"]


def _redate(ledger: CooperationLedger, post: UUID, on: date) -> CommandResult:
    version = ledger.record(PostAbroad, post).version
    return ledger.change(
        PostAbroad,
        post,
        version,
        lambda p: p.redate_coverage(CTX, on, "Date de l'arrêté", date(2016, 1, 1)),
        None,
    )


def test_a_change_redated_later_keeps_what_it_gave_up_only_where_no_other_post_took_it(
    ledger: CooperationLedger,
) -> None:
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "KH"], date(2005, 9, 1))
    _cover(ledger, hanoi, ["VN"], date(2014, 1, 1))
    phnom_penh = _open(ledger, "Phnom Penh", "KH", ["KH"], date(2014, 3, 1))
    before = ledger.position()

    with pytest.raises(ValueTakenError) as refused:  # Hanoï would cover KH until June
        _redate(ledger, hanoi, date(2014, 6, 1))

    assert (refused.value.rule, refused.value.holder) == ("country-covered", str(phnom_penh))
    assert refused.value.field == "effective_on"  # what the redating asked, not a coverage
    assert ledger.position() == before
    _redate(ledger, hanoi, date(2014, 3, 1))  # up to the day Phnom Penh took it: fine
    assert ledger.record(PostAbroad, hanoi).covered_on(date(2014, 2, 28)) == ["VN", "KH"]


def test_a_change_redated_earlier_adds_its_countries_only_where_no_other_post_had_them(
    ledger: CooperationLedger,
) -> None:
    vientiane = _open(ledger, "Vientiane", "LA", ["LA"], date(2008, 1, 1))
    hanoi = _open(ledger, "Hanoï", "VN", ["VN"], date(2005, 9, 1))
    _close(ledger, vientiane, date(2015, 6, 1))
    _cover(ledger, hanoi, ["VN", "LA"], date(2015, 9, 1))

    with pytest.raises(ValueTakenError) as refused:
        _redate(ledger, hanoi, date(2015, 1, 1))

    assert (refused.value.holder, refused.value.field) == (str(vientiane), "effective_on")
    _redate(ledger, hanoi, date(2015, 6, 1))
    assert ledger.record(PostAbroad, hanoi).covered_on(date(2015, 6, 1)) == ["VN", "LA"]


def test_a_change_redated_later_writes_the_free_claims_it_keeps_so_a_taking_collides(
    ledger: CooperationLedger,
) -> None:
    """The claim of what it gave up is free; rewritten (released again) by the redating,
    a post taking it at the same moment collides instead of both being recorded."""
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "KH"], date(2005, 9, 1))
    _cover(ledger, hanoi, ["VN"], date(2014, 1, 1))
    version = _claim(ledger, "KH").version

    _redate(ledger, hanoi, date(2014, 6, 1))

    claim = _claim(ledger, "KH")
    assert (claim.holder, claim.version) == (None, version + 1)


def test_a_post_taking_a_country_while_a_redating_keeps_it_makes_the_redating_collide(
    store: EventStoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Phnom Penh opens after the redating read Cambodia's claim (free) and before it
    compared the posts: the redating must not be recorded as well."""
    ledger, other = CooperationLedger("police", store), CooperationLedger("police", store)
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "KH"], date(2005, 9, 1))
    _cover(ledger, hanoi, ["VN"], date(2014, 1, 1))
    check = coverage._refuse_overlap
    first: list[UUID] = []

    def posts_read_before_the_other_save(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(coverage, "_refuse_overlap", check)
        first.append(_open(other, "Phnom Penh", "KH", ["KH"], date(2014, 3, 1)))

    monkeypatch.setattr(coverage, "_refuse_overlap", posts_read_before_the_other_save)
    with pytest.raises(ValueTakenError) as refused:
        _redate(ledger, hanoi, date(2014, 6, 1))

    assert (refused.value.rule, refused.value.holder) == ("country-covered", str(first[0]))
    assert refused.value.field == "effective_on"
    assert ledger.record(PostAbroad, hanoi).coverage_since == date(2014, 1, 1)


def test_a_post_of_the_past_is_opened_closed_beside_the_post_covering_its_country_now(
    ledger: CooperationLedger,
) -> None:
    """An open post covers its countries until it closes: Santiago (1995-2005) could
    not be recorded while Buenos Aires covers Chile from 2020, closed or not."""
    buenos_aires = _open(ledger, "Buenos Aires", "AR", ["AR", "CL"], date(2020, 1, 1))
    version = _claim(ledger, "CL").version

    santiago = _open(ledger, "Santiago", "CL", ["CL", "BO"], date(1995, 1, 1), date(2005, 1, 1))

    record = ledger.record(PostAbroad, santiago)
    assert (record.status.value, record.version) == ("closed", 2)
    assert record.covered_on(date(2004, 12, 31)) == ["CL", "BO"]
    assert record.covered_on(date(2005, 1, 1)) == []
    # Taken again by its holder, unchanged: written so a command at that moment collides.
    assert (_claim(ledger, "CL").holder, _claim(ledger, "CL").version) == (
        buenos_aires,
        version + 1,
    )
    assert _claim(ledger, "BO").holder is None  # written free: a taking now collides
    with pytest.raises(ValueTakenError) as refused:  # its days are another post's
        _open(ledger, "La Paz", "BO", ["BO", "CL"], date(2004, 6, 1), date(2019, 1, 1))
    assert (refused.value.holder, refused.value.field) == (str(santiago), "covered_countries")
    assert "from 1995-01-01 to 2004-12-31 included" in refused.value.detail
    with pytest.raises(ValueTakenError) as late:  # and up to Buenos Aires' first day
        _open(ledger, "La Paz", "BO", ["BO", "CL"], date(2005, 1, 1), date(2020, 1, 2))
    assert late.value.holder == str(buenos_aires)
    _open(ledger, "La Paz", "BO", ["BO", "CL"], date(2005, 1, 1), date(2020, 1, 1))


def test_a_post_of_the_past_covers_at_least_one_day(ledger: CooperationLedger) -> None:
    before = ledger.position()

    with pytest.raises(DomainRuleViolation) as refused:
        _open(ledger, "Santiago", "CL", ["CL"], date(1995, 1, 1), date(1995, 1, 1))

    assert (refused.value.rule, refused.value.field) == ("dates-in-order", "closed_on")
    assert ledger.position() == before


def test_a_post_taking_a_country_while_a_past_post_is_recorded_makes_one_collide(
    store: EventStoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """La Paz opens for Chile from 2000 after Santiago's opening read Chile's claim (free)
    and before it compared the posts: both would cover Chile in 2000-2004."""
    ledger, other = CooperationLedger("police", store), CooperationLedger("police", store)
    check = coverage._refuse_overlap
    first: list[UUID] = []

    def posts_read_before_the_other_save(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(coverage, "_refuse_overlap", check)
        first.append(_open(other, "La Paz", "BO", ["BO", "CL"], date(2000, 1, 1)))

    monkeypatch.setattr(coverage, "_refuse_overlap", posts_read_before_the_other_save)
    with pytest.raises(ValueTakenError) as refused:
        _open(ledger, "Santiago", "CL", ["CL"], date(1995, 1, 1), date(2005, 1, 1))

    assert (refused.value.holder, refused.value.field) == (str(first[0]), "covered_countries")


def test_posts_of_the_past_sent_together_over_the_same_days_record_one(
    store: EventStoreConfig,
) -> None:
    """Kenya's claim held by the open post was left alone by both: both were recorded,
    covering Kenya in June 2004 (a probe sent them together; 8 runs in 8)."""
    ledgers = [CooperationLedger("police", store) for _ in range(4)]
    nairobi = _open(ledgers[0], "Nairobi", "KE", ["KE"], date(2010, 1, 1))

    results = at_once(
        ledgers,
        lambda ledger, index: _open(
            ledger, f"Mombasa {index}", "KE", ["KE"], date(2004, 1, 1 + index), date(2005, 1, 1)
        ),
        ConflictError,
    )

    won = [r for r in results if isinstance(r, UUID)]
    assert len(won) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if not isinstance(r, UUID))
    assert _claim(ledgers[0], "KE").holder == nairobi


def test_a_post_of_the_past_meeting_an_opening_at_the_same_moment_is_never_told_of_an_overlap(
    store: EventStoreConfig,
) -> None:
    """Niamey (open from 2003) and a post of 2001 sent together: the one whose save
    collided was told "covered by 'SSI Niamey'" though their days never meet."""
    for attempt in range(4):
        ledgers = [CooperationLedger("police", store) for _ in range(2)]
        country = ["NE", "ML", "TD", "BF"][attempt]

        def open_one(ledger: CooperationLedger, index: int, country: str = country) -> UUID:
            if index == 0:
                return _open(ledger, f"Capitale {country}", country, [country], date(2003, 1, 1))
            return _open(
                ledger, f"Ancien {country}", country, [country], date(2001, 1, 1), date(2002, 1, 1)
            )

        results = at_once(ledgers, open_one, ConflictError)

        refused = [r for r in results if isinstance(r, ConflictError)]
        assert not [r for r in refused if isinstance(r, ValueTakenError)], refused


def _reopen(ledger: CooperationLedger, post: UUID, on: date) -> CommandResult:
    version = ledger.record(PostAbroad, post).version
    return ledger.change(
        PostAbroad,
        post,
        version,
        lambda p: p.redate_opening(CTX, on, "Date of the decree", date(2020, 1, 1)),
        None,
    )


def test_an_opening_redated_earlier_covers_its_first_countries_only_where_no_post_had_them(
    ledger: CooperationLedger,
) -> None:
    """Typed 2016 for 2006: moved back, the post covers its first countries over the days
    it gains, which Vientiane covered until it closed in 2008."""
    vientiane = _open(ledger, "Vientiane", "LA", ["LA"], date(2001, 1, 1))
    _close(ledger, vientiane, date(2008, 1, 1))
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "LA"], date(2016, 9, 1))
    _cover(ledger, hanoi, ["VN"], date(2018, 1, 1))
    before = ledger.position()

    with pytest.raises(ValueTakenError) as refused:
        _reopen(ledger, hanoi, date(2006, 9, 1))

    assert (refused.value.rule, refused.value.holder) == ("country-covered", str(vientiane))
    assert refused.value.field == "opened_on"
    assert "cannot be redated into that coverage" in refused.value.detail
    assert ledger.position() == before
    version = _claim(ledger, "LA").version
    _reopen(ledger, hanoi, date(2008, 1, 1))  # from the day Vientiane closed: fine
    post = ledger.record(PostAbroad, hanoi)
    assert (post.opened_on, post.covered_on(date(2008, 1, 1))) == (date(2008, 1, 1), ["VN", "LA"])
    # Laos (no longer Hanoï's, its claim free) is written again: a post taking it collides.
    assert (_claim(ledger, "LA").holder, _claim(ledger, "LA").version) == (None, version + 1)


def test_an_opening_redated_later_frees_the_days_it_gives_up(ledger: CooperationLedger) -> None:
    hanoi = _open(ledger, "Hanoï", "VN", ["VN", "KH"], date(2005, 9, 1))

    _reopen(ledger, hanoi, date(2006, 9, 1))
    phnom_penh = _open(ledger, "Phnom Penh", "KH", ["KH"], date(2006, 1, 1), date(2006, 9, 1))

    assert ledger.record(PostAbroad, hanoi).covered_on(date(2006, 8, 31)) == []
    assert ledger.record(PostAbroad, phnom_penh).covered_on(date(2006, 8, 31)) == ["KH"]
