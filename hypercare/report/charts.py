"""A report chart: an hourly series of the window over the band of the same hours of the baseline.

Charts are plain plotly figure specs (dicts), rendered with validation off: building
`plotly.graph_objects` figures validated every property and cost ~0.3 s per small chart, most of
the report's rendering time; these specs use only documented plotly.js attributes.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hypercare.report.model import Chart

WINDOW_COLOUR = "#1d4ed8"
BASELINE_COLOUR = "#475569"
BAND_COLOUR = "rgba(100, 116, 139, 0.25)"
TARGET_COLOUR = "#b45309"
GRID = "#e2e8f0"
# Fits an A4 page's text width (170 mm at 96 dpi) so printing never rescales it.
WIDTH, HEIGHT = 640, 210


def chart_spec(chart: Chart, timezone: str) -> dict:
    """Window values as a line; the baseline's low–high band shaded and its mean dotted; the
    target (if any) dashed. Hours are shown on the team's wall clock."""
    tz = ZoneInfo(timezone)
    x = [h.astimezone(tz).strftime("%Y-%m-%d %H:%M") for h in chart.hours]
    data = []
    if any(v is not None for v in chart.baseline_high):
        data.append({"type": "scatter", "x": x, "y": list(chart.baseline_high), "mode": "lines",
                     "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False})
        data.append({"type": "scatter", "x": x, "y": list(chart.baseline_low), "mode": "lines",
                     "line": {"width": 0}, "fill": "tonexty", "fillcolor": BAND_COLOUR,
                     "name": "baseline range", "hoverinfo": "skip"})
    if any(v is not None for v in chart.baseline_mean):
        data.append({"type": "scatter", "x": x, "y": list(chart.baseline_mean), "mode": "lines",
                     "name": "baseline (same hours)", "line": {"color": BASELINE_COLOUR, "width": 1.5, "dash": "dot"},
                     "hovertemplate": "baseline %{x|%a %H:%M}: %{y:,.1f}<extra></extra>"})
    # drawn last, so the window's line stays on top where it equals the baseline
    data.append({"type": "scatter", "x": x, "y": list(chart.values), "mode": "lines", "name": "since go-live",
                 "line": {"color": WINDOW_COLOUR, "width": 2},
                 "hovertemplate": "%{x|%a %H:%M}: %{y:,.1f}<extra></extra>"})
    layout = {
        "width": WIDTH, "height": HEIGHT, "margin": {"l": 45, "r": 10, "t": 42, "b": 30},
        "title": {"text": chart.title, "font": {"size": 13}, "x": 0.01},
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right", "font": {"size": 10}},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", "size": 11},
        "plot_bgcolor": "white", "paper_bgcolor": "white",
        "xaxis": {"type": "date", "tickformat": "%a %H:%M", "gridcolor": GRID},
        "yaxis": {"gridcolor": GRID, "rangemode": "tozero", "zeroline": False},
    }
    if chart.target is not None:  # a percentage against its target is read near the top; 100 % stays visible
        low = min([v for v in (*chart.values, *chart.baseline_low) if v is not None] + [chart.target])
        layout["yaxis"]["range"] = [max(low - 1, 0), 100.5]
        layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": chart.target,
                             "y1": chart.target, "line": {"color": TARGET_COLOUR, "width": 1, "dash": "dash"}}]
        layout["annotations"] = [{"xref": "paper", "x": 1, "y": chart.target, "yanchor": "top", "xanchor": "right",
                                  "text": f"target {chart.target:g}", "showarrow": False,
                                  "font": {"color": TARGET_COLOUR, "size": 10}}]
    return {"data": data, "layout": layout}
