"""The overview's charts, drawn on the server by pygal as SVG: no JavaScript, readable printed, each
bar a link to the list behind it. Every number comes from models/status.py (a StatusSummary or
tallies of it), so the charts agree with the cards, tables, reports and CLI.

The pages allow no inline style or script (the Content-Security-Policy), so the SVG is put in the page
without pygal's <style> and <script>; the same rules are served once as /static/charts.css (pygal's
no_prefix: they do not depend on the chart).
"""
import re
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from models.numbers import percent
from models.status import FOUR, StatusCategory

# One colour per category, the same as the page's cards (green, orange, blue, red).
COLOURS = {StatusCategory.DONE_ON_TIME: "#2e7d32", StatusCategory.DONE_LATE: "#ef6c00",
           StatusCategory.OPEN_IN_TIME: "#1565c0", StatusCategory.OPEN_OVERDUE: "#c62828"}
_STYLE_BLOCK = re.compile(r"<style[^>]*>.*?</style>", re.S)
_SCRIPT_BLOCK = re.compile(r"<script[^>]*>.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="[^"]*"')  # the tooltip's opacity: 0 (in the stylesheet instead)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its value and the list it opens."""
    label: str
    value: float | None
    href: str
    note: str = ""  # said in the bar's tooltip/title: "12 / 30"


def _style(colours):
    from pygal.style import Style
    return Style(colors=tuple(colours), background="white", plot_background="white", foreground="#222",
                 foreground_strong="#000", foreground_subtle="#555", font_family="Arial, 'Segoe UI', sans-serif",
                 label_font_size=13, major_label_font_size=13, value_font_size=13, title_font_size=16,
                 legend_font_size=13, tooltip_font_size=13, opacity="1", opacity_hover="0.85")


def _config(**extra) -> dict:
    return {**dict(no_prefix=True, js=[], disable_xml_declaration=True, print_values=True, print_values_position="top",
                   truncate_label=-1, truncate_legend=-1, show_y_guides=True), **extra}


def _inline(chart, chart_id: str, label: str) -> Markup:
    """The chart's SVG for the page: without its <style> and <script> (CSP), named for screen readers."""
    svg = chart.render(is_unicode=True)
    svg = _STYLE_ATTRIBUTE.sub("", _COMMENT.sub("", _SCRIPT_BLOCK.sub("", _STYLE_BLOCK.sub("", svg))))
    svg = svg.replace('id=""', f'id="{chart_id}" role="img" aria-labelledby="{chart_id}-title"', 1)
    svg = svg.replace("<defs>", f'<title id="{chart_id}-title">{_escape(label)}</title><defs>', 1)
    return Markup(svg)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def rate_chart(bars: list[Bar], chart_id: str, title: str) -> Markup:
    """Horizontal bars of on-time rates (percent), lowest first, each linking to its list."""
    import pygal
    height = 80 + 34 * max(1, len(bars))
    chart = pygal.HorizontalBar(style=_style([COLOURS[StatusCategory.DONE_ON_TIME]]),
                                **_config(width=900, height=height, show_legend=False, range=(0, 100),
                                          value_formatter=lambda v: percent(v / 100), margin_left=10))
    chart.title = title
    chart.x_labels = [bar.label for bar in bars]
    chart.add(title, [{"value": bar.value, "label": bar.note, "xlink": {"href": bar.href, "target": "_self"}}
                      for bar in bars])
    return _inline(chart, chart_id, title)


def quarters_chart(quarters: list[tuple[str, dict[StatusCategory, int], str]], chart_id: str, title: str,
                   names: dict[StatusCategory, str]) -> Markup:
    """The four categories stacked, per quarter: (label, counts, href of that quarter's list)."""
    import pygal
    chart = pygal.StackedBar(style=_style([COLOURS[c] for c in FOUR]),
                             **_config(width=1000, height=420, legend_at_bottom=True, legend_at_bottom_columns=4,
                                       x_label_rotation=-45, print_values=False))
    chart.title = title
    chart.x_labels = [label for label, _, _ in quarters]
    for category in FOUR:
        chart.add(names[category], [{"value": counts.get(category, 0), "xlink": {"href": href, "target": "_self"}}
                                    for _, counts, href in quarters])
    return _inline(chart, chart_id, title)


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """pygal's rules for both kinds of chart, as one stylesheet (what _inline took out)."""
    import pygal
    css = []
    for kind, colours in ((pygal.HorizontalBar, [COLOURS[StatusCategory.DONE_ON_TIME]]),
                          (pygal.StackedBar, [COLOURS[c] for c in FOUR])):
        chart = kind(style=_style(colours), **_config())
        for number in range(len(colours)):  # a rule per series colour
            chart.add(str(number), [1])
        for block in _STYLE_BLOCK.findall(chart.render(is_unicode=True)):
            text = re.sub(r"^<style[^>]*>|</style>$", "", block).replace("&gt;", ">")
            if text not in css:
                css.append(text)
    return "\n".join(css) + "\n.pygal-chart { width: 100%; height: auto; }\n.pygal-chart .tooltip { display: none; }\n"
