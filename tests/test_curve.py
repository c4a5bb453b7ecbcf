"""The Curve widget draws what it is given, labels the latest value and min/max, and fits its size."""

import asyncio
import math

import pytest
from textual.app import App
from textual.geometry import Region

from bftui.widgets.curve import Curve, format_value, resample


class CurveApp(App):
    CSS = "Curve { height: 1fr; }"  # fill the screen so a terminal resize resizes the curve

    def compose(self):
        yield Curve("reward", id="curve")


def screen_lines(curve: Curve) -> list[str]:
    strips = curve.render_lines(Region(0, 0, curve.size.width, curve.size.height))
    return ["".join(segment.text for segment in strip) for strip in strips]


def braille_dots(lines: list[str]) -> int:
    return sum(bin(ord(ch) - 0x2800).count("1") for line in lines for ch in line if 0x2800 < ord(ch) <= 0x28FF)


def test_points_change_the_plot_and_labels():
    asyncio.run(_test_points_change_the_plot_and_labels())


async def _test_points_change_the_plot_and_labels():
    app = CurveApp()
    async with app.run_test(size=(50, 10)) as pilot:
        curve = app.query_one(Curve)
        curve.add("return", 1.0)
        curve.add("return", 2.0)
        await pilot.pause()
        before = screen_lines(curve)
        assert "reward" in before[0] and "2" in before[0]
        for i in range(100):
            curve.add("return", 3.0 + math.sin(i / 5))
        await pilot.pause()
        after = screen_lines(curve)
        assert after != before
        assert braille_dots(after) > braille_dots(before)
        assert format_value(3.0 + math.sin(99 / 5)) in after[0]
        # max label on the first plot row, min label on the last.
        assert after[1].strip().startswith(format_value(max(curve.series("return"))))
        assert after[-1].strip().startswith(format_value(1.0))


def test_empty_series_shows_placeholder():
    asyncio.run(_test_empty_series_shows_placeholder())


async def _test_empty_series_shows_placeholder():
    app = CurveApp()
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        lines = screen_lines(app.query_one(Curve))
        assert any("no data yet" in line for line in lines)
        assert braille_dots(lines) == 0


def test_two_series_both_labelled_and_set_series_replaces():
    asyncio.run(_test_two_series_both_labelled_and_set_series_replaces())


async def _test_two_series_both_labelled_and_set_series_replaces():
    app = CurveApp()
    async with app.run_test(size=(60, 10)) as pilot:
        curve = app.query_one(Curve)
        curve.set_series("kl", [0.01, 0.02, 0.03])
        curve.set_series("clipfrac", [0.5, 0.4])
        await pilot.pause()
        header = screen_lines(curve)[0]
        assert "kl 0.03" in header and "clipfrac 0.4" in header
        curve.set_series("kl", [7.0])
        await pilot.pause()
        assert "kl 7" in screen_lines(curve)[0]
        assert curve.series("kl") == [7.0]


def test_resize_redraws_to_new_width():
    asyncio.run(_test_resize_redraws_to_new_width())


async def _test_resize_redraws_to_new_width():
    app = CurveApp()
    async with app.run_test(size=(40, 10)) as pilot:
        curve = app.query_one(Curve)
        for i in range(300):
            curve.add("return", float(i % 17))
        await pilot.pause()
        narrow = screen_lines(curve)
        await pilot.resize_terminal(90, 14)
        await pilot.pause()
        wide = screen_lines(curve)
        assert len(wide) > len(narrow)
        assert max(len(line.rstrip()) for line in wide) > max(len(line.rstrip()) for line in narrow)
        assert braille_dots(wide) > braille_dots(narrow)


def test_non_finite_values_are_labelled_not_plotted():
    curve = Curve("x")
    curve.add("v", 1.0)
    curve.add("v", float("nan"))
    assert curve.series("v") == [1.0]
    assert math.isnan(curve.latest("v"))


def test_history_is_bounded_but_keeps_its_shape():
    curve = Curve("x", max_points=64)
    for i in range(1000):
        curve.add("v", float(i))
    values = curve.series("v")
    assert len(values) <= 64
    assert values == sorted(values) and values[0] < 10 and values[-1] > 990


@pytest.mark.parametrize("n,width", [(10, 4), (5, 10), (7, 3)])
def test_resample_means_buckets(n, width):
    values = [float(i) for i in range(n)]
    out = resample(values, width)
    assert len(out) == min(n, width)
    assert sum(out) / len(out) == pytest.approx(sum(values) / n, rel=0.2)


def test_extend_matches_repeated_add():
    one, many = Curve("x", max_points=16), Curve("x", max_points=16)
    values = [math.cos(i / 3) for i in range(100)]
    for v in values:
        one.add("v", v)
    many.extend("v", values)
    assert many.series("v") == one.series("v") and many.latest("v") == values[-1]
    assert many._draw(30, 6).plain == one._draw(30, 6).plain
