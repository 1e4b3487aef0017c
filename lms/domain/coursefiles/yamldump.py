"""YAML written the way docs/CONTENT.md shows course files: block strings, inline short
lists, keys in the given order, Chinese left readable."""
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes course files the way CONTENT.md shows them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as in the examples, not flush with it.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.SequenceNode:
    # Short lists of plain values (answers, tags, audience) read best inline: [A, C].
    flat = all(isinstance(v, (str, int, bool)) and "\n" not in str(v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: Any) -> str:
    """YAML text for ``data``, keys in the given order, Chinese left readable."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=10_000)
