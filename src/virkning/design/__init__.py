"""The design file: one YAML file that states the analyses of an evaluation, and the only YAML parser of virkning.

    design = load_design("design.yaml")      # raises DesignError listing every problem, with line numbers
    design.effect_design()                     # what the effect evaluation runs (virkning.analyses.effect)
    design.monitoring                          # what monitoring runs (virkning.analyses.monitoring)

- `source`: YAML read node by node, every key keeping its line; bounded against expanding aliases and huge files;
- `messages`: problems located by file, line and key path, and what was expected;
- `types`, `schema`: the value types and the schema, composed from the sections the analyses register;
- `compile`: the checked file as the domain objects each analysis runs on, robustness variants applied.

docs/design-file.md describes every key, its default and the error messages.
"""

from virkning.design.messages import DesignFileError, DesignProblem
from virkning.design.compile import Design, load_design, parse_design

__all__ = ["Design", "DesignFileError", "DesignProblem", "load_design", "parse_design"]
