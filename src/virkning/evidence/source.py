"""Reading YAML so that every key path keeps the line it was written on.

``read_yaml_with_lines`` walks the node tree of PyYAML's safe loader (no Python objects are ever built) and
records, for each path such as ``("studies", 3, "appraisal", "method", "reliability")``, the 1-based line of
its key (or list item). Validation errors found later on the plain data are then reported with a line number.

The design-file reader (``virkning.design``) has its own copy of this walk; the lead is moving it to a shared
``virkning.design.source``. This module keeps the same call shape -- ``(data, lines, problems)`` -- so the evidence
loader can be pointed at the shared one by changing one import.
"""

from __future__ import annotations

from typing import Any

import yaml

from virkning.evidence.errors import EvidenceFileError, EvidenceProblem

Loc = tuple[Any, ...]


class _SafeNodes(yaml.SafeLoader):
    """PyYAML's safe loader; only its composer and scalar constructors are used."""


def read_yaml_with_lines(text: str, source: str) -> tuple[Any, dict[Loc, int], list[EvidenceProblem]]:
    """Parse ``text`` (from the file named ``source``). Returns the plain data (dicts, lists, scalars), the line
    of every key path, and the problems found while reading (a key written twice). A YAML syntax error raises
    :class:`EvidenceFileError` at once, with its line."""
    lines: dict[Loc, int] = {(): 1}
    problems: list[EvidenceProblem] = []
    loader = _SafeNodes(text)
    building: set[int] = set()  # an alias that contains itself would recurse forever

    def build(node: yaml.Node, path: Loc) -> Any:
        if isinstance(node, yaml.ScalarNode):
            try:
                return loader.construct_object(node, deep=True)
            except ValueError:  # e.g. a date-like value that is no date: keep the text for the checks
                return node.value
        if node.tag not in (yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                            yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG):
            raise EvidenceFileError([EvidenceProblem(source, node.start_mark.line + 1, "", display(path),
                                                     f"YAML tag {node.tag} is not allowed; write plain lists and "
                                                     "mappings")])
        if id(node) in building:
            problems.append(EvidenceProblem(source, node.start_mark.line + 1, "", display(path),
                                            "an alias refers to the list or mapping that contains it"))
            return None
        building.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                out_list = []
                for i, item in enumerate(node.value):
                    lines[(*path, i)] = item.start_mark.line + 1
                    out_list.append(build(item, (*path, i)))
                return out_list
            loader.flatten_mapping(node)  # resolves '<<' merge keys
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                key = build(knode, path) if isinstance(knode, yaml.ScalarNode) else None
                line = knode.start_mark.line + 1
                if key is None and not isinstance(knode, yaml.ScalarNode):
                    problems.append(EvidenceProblem(source, line, "", display(path),
                                                    "a key must be a word or number, not a list or mapping"))
                    continue
                kpath = (*path, key)
                if key in out:
                    problems.append(EvidenceProblem(source, line, "", display(kpath),
                                                    f"key '{key}' appears twice (first on line {lines[kpath]}); "
                                                    "write each key once"))
                    continue
                lines[kpath] = line
                out[key] = build(vnode, kpath)
            return out
        finally:
            building.discard(id(node))

    try:
        root = loader.get_single_node()
        data = build(root, ()) if root is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "unreadable YAML"
        hint = "; indent with spaces, not tabs" if "\t" in what or "\\t" in what else ""
        raise EvidenceFileError([EvidenceProblem(source, mark.line + 1 if mark else None, "", "",
                                                 f"YAML syntax error: {what}{hint}")]) from None
    except yaml.YAMLError as e:
        raise EvidenceFileError([EvidenceProblem(source, None, "", "", f"YAML syntax error: {e}")]) from None
    finally:
        loader.dispose()
    return data, lines, problems


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of ``loc`` or of its nearest written ancestor (a missing key is reported where its parent is)."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def display(loc: Loc) -> str:
    """``findings[2].value`` for ("findings", 1, "value"): list items are counted from 1, as people count."""
    out = ""
    for seg in loc:
        if isinstance(seg, int):
            out += f"[{seg + 1}]"
        else:
            out += ("." if out else "") + str(seg)
    return out
