"""Read YAML text node by node so that every key and list item keeps the line it was written on.

A duplicated key is an error rather than silently overwritten (as plain YAML loaders do), an alias that contains
itself is refused, and the reader is bounded: a file over `MAX_BYTES`, more than `MAX_ALIASES` aliases or nesting
deeper than `MAX_DEPTH` is refused before it can take time or memory (YAML's "billion laughs"). Only plain values
are built (the safe loader): no Python objects.
"""

from __future__ import annotations

from typing import Any

import yaml

from virkning.design.messages import DesignFileError, DesignProblem, Loc, display, show

MAX_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_DEPTH = 50
MAX_NODES = 100_000


class _Loader(yaml.SafeLoader):
    """The safe loader (no Python objects); `read_yaml` walks its nodes so that each key path keeps its line."""


class _TooBig(Exception):
    pass


def read_yaml(text: str, source: str) -> tuple[Any, dict[Loc, int], list[DesignProblem]]:
    """(data, line of every key path, problems found while reading); raises DesignFileError for unreadable YAML."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise DesignFileError([DesignProblem(source, None, "", f"the file is larger than {MAX_BYTES:,} bytes; a "
                                                               "design file is a page or two of YAML")])
    lines: dict[Loc, int] = {(): 1}
    problems: list[DesignProblem] = []
    loader = _Loader(text)

    open_nodes: set[int] = set()  # collections being built, to refuse an alias that contains itself
    seen: set[int] = set()  # collections built once: building one again is an alias
    budget = {"nodes": 0, "aliases": 0}

    def build(node: yaml.Node, path: Loc) -> Any:
        budget["nodes"] += 1
        if budget["nodes"] > MAX_NODES or len(path) > MAX_DEPTH:
            raise _TooBig(node)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if node.tag not in (yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                                yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG):
                raise DesignFileError([DesignProblem(source, node.start_mark.line + 1, display(path, None),
                                                     f"the YAML tag {node.tag} is not allowed; write plain lists "
                                                     "and mappings")])
            if id(node) in seen:
                budget["aliases"] += 1
                if budget["aliases"] > MAX_ALIASES:
                    raise _TooBig(node)
            seen.add(id(node))
            if id(node) in open_nodes:
                problems.append(DesignProblem(source, node.start_mark.line + 1, display(path, None),
                                              "an alias refers to the list or mapping that contains it"))
                return None
            open_nodes.add(id(node))
            try:
                return collection(node, path)
            finally:
                open_nodes.discard(id(node))
        return scalar(node)

    def collection(node: yaml.Node, path: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict = {}
            for knode, vnode in node.value:
                key = scalar(knode)
                line = knode.start_mark.line + 1
                try:
                    hash(key)
                except TypeError:
                    problems.append(DesignProblem(source, line, display(path, None), "a key must be a plain word "
                                                  "or number, not a list or mapping"))
                    continue
                kpath = (*path, key)
                if key in out:
                    problems.append(DesignProblem(source, line, display(kpath, None),
                                                  f"key {show(key)} appears twice (first on line {lines[kpath]}); "
                                                  "write each key once"))
                    continue
                lines[kpath] = line
                out[key] = build(vnode, kpath)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                items.append(build(item, (*path, i)))
            return items

    def scalar(node: yaml.Node) -> Any:
        try:
            return loader.construct_object(node, deep=True)
        except ValueError:  # a date-like value that is no date (2018-02-30): left as text for the checks
            return node.value

    try:
        root = loader.get_single_node()
        data = build(root, ()) if root is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "unreadable YAML"
        hint = ""
        if "\\t" in what or "\t" in what:
            hint = "; indent with spaces, not tabs"
        elif "'>'" in what or "'<'" in what:
            hint = '; write comparison signs in quotes, e.g. op: ">"'
        context = ""
        if e.context and e.context_mark and e.problem:
            context = f" ({e.context} on line {e.context_mark.line + 1})"
        raise DesignFileError([DesignProblem(source, mark.line + 1 if mark else None, "",
                                             f"YAML syntax error: {what}{context}{hint}")]) from None
    except yaml.YAMLError as e:
        raise DesignFileError([DesignProblem(source, None, "", f"YAML syntax error: {e}")]) from None
    except _TooBig as e:
        node = e.args[0]
        raise DesignFileError([DesignProblem(
            source, node.start_mark.line + 1, "",
            f"the YAML expands beyond {MAX_NODES:,} values, {MAX_ALIASES} aliases or {MAX_DEPTH} levels of nesting "
            "(aliases that repeat each other?); write the design without nested aliases")]) from None
    finally:
        loader.dispose()
    return data, lines, problems
