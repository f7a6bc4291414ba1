"""Feed alerts go to each channel through its own settings: muted narratives and a higher cut-off are not posted."""

from __future__ import annotations

from tests.feeds.conftest import RigFactory
from tests.feeds.helpers import NEUTRAL_TEXTS, FakeClock, FeedServer, Item, RecordingSender, propaganda_texts, rss


async def test_each_channel_gets_the_feed_alerts_its_settings_allow(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/wire.xml")
    for channel in ("C-all", "C-muted", "C-strict"):
        rig.store.add_subscription("slack", channel, url)
    first = [Item("n0", "Новости", NEUTRAL_TEXTS[0], link=feed_server.url("/news/n0"))]
    feed_server.serve_feed("/wire.xml", rss(first))
    await rig.poller.poll_once()
    texts = dict(reversed(propaganda_texts()))  # the first example of each narrative
    chosen = ["kim-flattery", "west-in-panic"]
    later = [Item(f"p{i}", "Новости", texts[nid], link=feed_server.url(f"/news/p{i}")) for i, nid in enumerate(chosen)]
    scores = {}
    for nid in chosen:
        # scored as the poller will score the item: its title, then its text
        verdict = await rig.core.assessor.assess(f"Новости\n{texts[nid]}")
        assert verdict is not None and verdict.top.narrative_id == nid
        scores[nid] = verdict.top.score
    rig.core.channels.change("slack", "C-muted", ["mute", "kim-flattery"], "U1")
    # A cut-off between the two scores: only the stronger match reaches the strict channel.
    low, high = sorted(chosen, key=lambda nid: scores[nid])
    assert scores[low] < scores[high], scores
    rig.core.channels.change("slack", "C-strict", ["threshold", str(scores[high])], "U1")
    feed_server.serve_feed("/wire.xml", rss([*later, *first]))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    sender = RecordingSender("slack")
    await rig.poller.deliver(sender)
    posted: dict[str, list[str]] = {}
    for alert in sender.alerts:
        posted.setdefault(alert.channel_id, []).append(alert.verdict.top.narrative_id)
    assert sorted(posted["C-all"]) == sorted(chosen)
    assert posted["C-muted"] == ["west-in-panic"]
    assert posted["C-strict"] == [high]
    assert result.alerts_created == 4
