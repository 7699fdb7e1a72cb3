"""The programme theory as an SVG diagram, laid out here without a graph library.

Layout: four columns, left to right (target group, activities, mechanisms and short-term results, expected effects
by horizon), as in seed 002's forandringsteori (activity -> mechanism / short-term result -> expected effect) and
seed 003's programme theory; moderators and cross-cutting mechanisms are bands across the bottom, since they act on
the whole chain rather than on one arrow. Nodes are boxes with wrapped text; arrows run from a node's right edge to
the next node's left edge. Within a column, nodes are ordered by the mean position of the nodes they come from (the
barycentre heuristic of layered graph drawing, Sugiyama et al. 1981), which keeps most arrows from crossing; nodes
keep their order in the design where that ties. Activities are grouped by phase when phases are given.

Why no Graphviz: it would be a system dependency for a drawing of four columns; this layout is a page of code,
has no dependency and gives the same bytes for the same design. Text widths are estimated from character counts
(the house sans-serif at 11 px averages about 6 px a character), so wrapping is conservative rather than exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from virkning.analyses.programme.spec import ProgrammeSpec

FONT = 11
LINE = 14
CHAR = 6.4  # average width of a character at FONT px in a sans-serif face
PAD = 7
COL_W = 200
GAP_X = 56
GAP_Y = 10
TOP = 54
MARGIN = 16
COLOURS = {"target": "#f3f3f3", "activity": "#dbe9f6", "mechanism": "#fde9d9", "result": "#fff2cc",
           "effect": "#e2f0d9", "moderator": "#ececec", "cross": "#e4dff0"}
STROKE = "#555555"
ARROW = "#7f7f7f"


@dataclass
class Box:
    id: str
    lines: list[str]
    kind: str
    x: float = 0.0
    y: float = 0.0
    w: float = COL_W
    group: str | None = None  # phase or horizon heading above the box

    @property
    def h(self) -> float:
        return len(self.lines) * LINE + 2 * PAD - 4


def wrap(text: str, width: float = COL_W) -> list[str]:
    """Words into lines of at most (width - 2 * PAD) / CHAR characters; a longer word gets a line of its own."""
    limit = max(8, int((width - 2 * PAD) / CHAR))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _order(boxes: list[Box], sources: dict[str, list[str]], pos: dict[str, float]) -> list[Box]:
    """Barycentre order within a column; boxes without sources keep their place after the others' mean."""
    def key(ib):
        i, b = ib
        src = [pos[s] for s in sources.get(b.id, []) if s in pos]
        return (sum(src) / len(src) if src else float(i), i)

    return [b for _, b in sorted(enumerate(boxes), key=key)]


def _stack(boxes: list[Box], x: float, groups: list[str | None] | None = None) -> float:
    """Place boxes top-down in a column at x; a new group gets a heading line. Returns the column's bottom."""
    y: float = TOP
    last = object()
    for b in boxes:
        if b.group is not None and b.group != last:
            y += LINE + 4
        last = b.group
        b.x, b.y = x, y
        y += b.h + GAP_Y
    return y


def _text(x: float, y: float, lines: list[str], anchor: str = "start", weight: str = "normal") -> str:
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else LINE}">{escape(t)}</tspan>' for i, t in enumerate(lines))
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="#222222">{spans}</text>')


def _box(b: Box) -> str:
    fill = COLOURS[b.kind]
    dash = ' stroke-dasharray="4 3"' if b.kind == "result" else ""
    return (f'<g class="node {b.kind}" id="node-{escape(b.id)}"><rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" '
            f'height="{b.h:.1f}" rx="5" fill="{fill}" stroke="{STROKE}" stroke-width="0.8"{dash}/>'
            + _text(b.x + PAD, b.y + PAD + FONT - 1, b.lines) + "</g>")


def _arrow(a: Box, b: Box) -> str:
    x1, y1 = a.x + a.w, a.y + a.h / 2
    x2, y2 = b.x - 3, b.y + b.h / 2
    if b.x <= a.x:  # an effect leading to another effect in the same column: a loop on the right
        x2 = b.x + b.w + 3
        c = max(a.x + a.w, b.x + b.w) + 28
        return (f'<path d="M{x1:.1f},{y1:.1f} C{c:.1f},{y1:.1f} {c:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" fill="none" '
                f'stroke="{ARROW}" stroke-width="0.9" marker-end="url(#arrow)"/>')
    dx = (x2 - x1) / 2
    return (f'<path d="M{x1:.1f},{y1:.1f} C{x1 + dx:.1f},{y1:.1f} {x2 - dx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" '
            f'fill="none" stroke="{ARROW}" stroke-width="0.9" marker-end="url(#arrow)"/>')


def _band(title: str, labels: list[tuple[str, str]], kind: str, y: float, width: float) -> tuple[list[str], float]:
    """A band across the diagram: its title and the items as boxes flowing left to right."""
    out = [_text(MARGIN, y + FONT, [title], weight="bold")]
    y += LINE + 6
    x: float = MARGIN
    row_h = 0.0
    for id_, label in labels:
        b = Box(id_, wrap(label, COL_W), kind, w=COL_W)
        if x + b.w > width - MARGIN and x > MARGIN:
            x, y = MARGIN, y + row_h + GAP_Y
            row_h = 0.0
        b.x, b.y = x, y
        out.append(_box(b))
        x += b.w + GAP_Y
        row_h = max(row_h, b.h)
    return out, y + row_h + GAP_Y + 6


def programme_svg(spec: ProgrammeSpec, words: dict[str, str], title: str = "") -> str:
    """The diagram as a standalone SVG document (UTF-8 text). `words` holds the column and band headings and the
    horizon names in the report's language."""
    columns: list[list[Box]] = [[Box(f"target-{i}", wrap(t), "target") for i, t in enumerate(spec.target_group)]]
    columns.append([Box(a.id, wrap(a.label), "activity", group=a.phase) for a in spec.activities])
    if any(a.phase for a in spec.activities):  # phases in the order they first appear
        phases = list(dict.fromkeys(a.phase for a in spec.activities))
        columns[1].sort(key=lambda b: phases.index(b.group))
    columns.append([Box(m.id, wrap(m.label), "result" if m.kind == "result" else "mechanism") for m in spec.mechanisms])
    horizon_order = {"kort": 0, "mellemlang": 1, "lang": 2, None: 3}
    effects = [Box(e.id, wrap(e.label), "effect", group=words.get(f"h_{e.horizon}") if e.horizon else
                   (words["h_none"] if any(x.horizon for x in spec.effects) else None)) for e in spec.effects]
    columns.append(effects)
    sources = {m.id: m.from_ for m in spec.mechanisms}
    sources.update({e.id: e.from_ for e in spec.effects})
    pos: dict[str, float] = {}
    bottoms: list[float] = []
    for c, boxes in enumerate(columns):
        if c >= 2:
            boxes[:] = _order(boxes, sources, pos)
        if c == 3:
            by_h = {e.id: horizon_order[e.horizon] for e in spec.effects}
            boxes.sort(key=lambda b: by_h[b.id])  # stable: the barycentre order within each horizon
        if c == 2 and not boxes:
            bottoms.append(TOP)
            continue
        bottoms.append(_stack(boxes, MARGIN + c * (COL_W + GAP_X)))
        for i, b in enumerate(boxes):
            pos[b.id] = b.y + b.h / 2
    tallest = max(bottoms)
    for boxes, bottom in zip(columns, bottoms):  # centre the shorter columns on the tallest
        shift = (tallest - bottom) / 2
        for b in boxes:
            b.y += shift
    width = MARGIN * 2 + 4 * COL_W + 3 * GAP_X + 30
    heads = [words["col_target"], words["col_activities"], words["col_mechanisms"], words["col_effects"]]
    body = [_text(MARGIN + c * (COL_W + GAP_X), TOP - 20, [h], weight="bold") for c, h in enumerate(heads)]
    for boxes in columns:
        last = object()
        for b in boxes:
            if b.group is not None and b.group != last:
                body.append(_text(b.x, b.y - 6, [b.group], weight="bold"))
            last = b.group
    index = {b.id: b for boxes in columns for b in boxes}
    arrows = [_arrow(index[s], index[t]) for t, srcs in sources.items() for s in srcs if s in index and t in index]
    # Activities without a mechanism lead straight to the effects that name them; those named by nothing stand alone.
    nodes = [_box(b) for boxes in columns for b in boxes]
    y = max(bottoms) + 8
    bands = []
    if spec.moderators:
        part, y = _band(words["band_moderators"], [(m.id, m.label) for m in spec.moderators], "moderator", y, width)
        bands += part
    if spec.cross_cutting:
        part, y = _band(words["band_cross"], [(c.id, c.label) for c in spec.cross_cutting], "cross", y, width)
        bands += part
    height = y + MARGIN
    name = escape(title or words["col_effects"])
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
            f'height="{height:.0f}" font-family="DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif" '
            f'role="img" aria-labelledby="title">\n<title id="title">{name}</title>\n'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{ARROW}"/></marker></defs>\n'
            f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="white"/>\n'
            + "\n".join(arrows + nodes + body + bands) + "\n</svg>\n")


def inline(svg: str, stem: str) -> str:
    """The SVG for an HTML page: no XML prolog, ids unique to the figure, scalable to the page width."""
    text = svg.split("?>", 1)[1].lstrip() if svg.startswith("<?xml") else svg
    text = text.replace(' xmlns="http://www.w3.org/2000/svg"', "")
    text = text.replace('id="', f'id="{stem}-').replace("url(#arrow)", f"url(#{stem}-arrow)")
    text = text.replace('aria-labelledby="title"', f'aria-labelledby="{stem}-title" class="figure-svg"')
    return text.strip()
