"""Loading golden sets: JSONL items plus their set defaults, checked line by line.

Every problem is a `ConfigError` naming ``file:line``, the field and the fix. Beyond the
item schema, loading checks what only makes sense with the set's defaults: the scorer has
what it needs (labels, pattern, schema), ids are unique, and the expected answer passes its
own scorer, so a set that cannot be graded never reaches a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config.errors import ConfigError
from harness.config.golden_set import GoldenDefaults, GoldenItemSpec, load_golden_defaults, parse_item
from harness.golden.json_schema import schema_problem, violation
from harness.golden.scorers import ScorerOptions, score
from harness.protocol import PromptItem


@dataclass(frozen=True, slots=True)
class GoldenItem:
    set_name: str
    item_id: str
    line: int
    messages: tuple[dict[str, str], ...] | None
    prompt: str | None
    expected: Any
    scorer: str
    tags: tuple[str, ...]
    weight: float
    options: ScorerOptions


@dataclass(frozen=True, slots=True)
class GoldenSet:
    name: str
    path: Path
    defaults: GoldenDefaults
    items: tuple[GoldenItem, ...]

    def prompt_item(self, item: GoldenItem) -> PromptItem:
        """The request content of `item`: its own messages (or prompt) after the set's system prompt.

        The item's last user message is sent unchanged, so an endpoint (or the simulator's
        golden mode) can recognise the item by it.
        """
        system = self.defaults.system_prompt
        if item.prompt is not None and system is None:
            return PromptItem(id=item.item_id, prompt=item.prompt, tags=item.tags)
        messages = list(item.messages or ({"role": "user", "content": item.prompt or ""},))
        if system is not None:
            messages.insert(0, {"role": "system", "content": system})
        return PromptItem(id=item.item_id, messages=messages, tags=item.tags)


def find_set_files(paths: list[Path]) -> list[Path]:
    """The JSONL files named by `paths`: files as given, folders expanded to their ``*.jsonl``."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise ConfigError(str(path), "(folder)", "holds no *.jsonl golden set", "name a set file")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(str(path), "(file)", "does not exist", "check the path of the golden set")
    return files


def load_sets(paths: list[Path]) -> list[GoldenSet]:
    """Load every set named by `paths` (files or folders); set names must be unique."""
    sets = [load_set(path) for path in find_set_files(paths)]
    seen: dict[str, Path] = {}
    for golden_set in sets:
        if golden_set.name in seen:
            raise ConfigError(
                str(golden_set.path),
                "name",
                f"set name {golden_set.name!r} is also used by {seen[golden_set.name]}",
                "give each set a distinct name in its YAML defaults",
            )
        seen[golden_set.name] = golden_set.path
    return sets


def load_set(path: Path) -> GoldenSet:
    defaults = load_golden_defaults(path)
    _check_named_schemas(path, defaults)
    name = defaults.name or path.stem
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(
            str(path), "(file)", f"cannot read it ({e})", "check the path and encoding"
        ) from None
    items: list[GoldenItem] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(text)
        except ValueError as e:
            raise ConfigError(
                where, "(line)", f"is not valid JSON ({e})", "write one JSON object per line"
            ) from None
        item = _resolve(parse_item(data, where), defaults, name, number, where)
        if item.item_id in seen:
            raise ConfigError(
                where,
                "id",
                f"{item.item_id!r} is already used on line {seen[item.item_id]}",
                "make ids unique",
            )
        seen[item.item_id] = number
        items.append(item)
    if not items:
        raise ConfigError(str(path), "(file)", "holds no items", "add one JSON object per line")
    return GoldenSet(name=name, path=path, defaults=defaults, items=tuple(items))


def _check_named_schemas(path: Path, defaults: GoldenDefaults) -> None:
    for schema_name, schema in defaults.schemas.items():
        problem = schema_problem(schema)
        if problem:
            raise ConfigError(
                str(path.with_suffix(".yaml")),
                f"schemas.{schema_name}",
                problem,
                "use only the keywords listed in golden/README.md",
            )


def _resolve(
    spec: GoldenItemSpec, defaults: GoldenDefaults, set_name: str, line: int, where: str
) -> GoldenItem:
    scorer = spec.scorer or defaults.scorer
    if spec.messages is not None and defaults.api == "completions":
        raise ConfigError(where, "messages", "the set uses the completions API", 'write a "prompt" instead')
    options = ScorerOptions(
        accept=tuple(spec.accept),
        pattern=spec.pattern,
        labels=tuple(spec.labels or defaults.labels or ()),
        tolerance=spec.tolerance if spec.tolerance is not None else defaults.tolerance,
        rel_tolerance=spec.rel_tolerance if spec.rel_tolerance is not None else defaults.rel_tolerance,
        schema=_schema(spec, defaults, where),
        fields=tuple(spec.fields) if spec.fields is not None else None,
    )
    _check_scorer_inputs(scorer, spec, options, where)
    item = GoldenItem(
        set_name=set_name,
        item_id=spec.id,
        line=line,
        messages=tuple(m.model_dump() for m in spec.messages) if spec.messages is not None else None,
        prompt=spec.prompt,
        expected=spec.expected,
        scorer=scorer,
        tags=tuple(spec.tags),
        weight=spec.weight,
        options=options,
    )
    answer = spec.expected if isinstance(spec.expected, str) else json.dumps(spec.expected)
    if score(scorer, spec.expected, answer, options) < 1.0:
        raise ConfigError(
            where,
            "expected",
            f"the expected answer does not pass its own {scorer} scorer",
            _self_check_fix(scorer),
        )
    return item


def _schema(spec: GoldenItemSpec, defaults: GoldenDefaults, where: str) -> dict[str, Any] | None:
    ref = spec.json_schema
    if ref is None:
        return None
    if isinstance(ref, str):
        if ref not in defaults.schemas:
            known = ", ".join(defaults.schemas) or "none defined"
            raise ConfigError(
                where, "schema", f"names unknown schema {ref!r} (known: {known})", "fix the name"
            )
        return defaults.schemas[ref]
    problem = schema_problem(ref)
    if problem:
        raise ConfigError(where, "schema", problem, "use only the keywords listed in golden/README.md")
    return ref


def _check_scorer_inputs(scorer: str, spec: GoldenItemSpec, options: ScorerOptions, where: str) -> None:
    if scorer == "regex" and options.pattern is None:
        raise ConfigError(where, "pattern", "the regex scorer needs a pattern", 'add "pattern": "..."')
    if scorer == "label":
        if not options.labels:
            raise ConfigError(
                where, "labels", "the label scorer needs the list of labels", "add labels to the set's YAML"
            )
        if spec.expected not in options.labels:
            raise ConfigError(
                where,
                "expected",
                f"{spec.expected!r} is not one of the labels",
                "use one of: " + ", ".join(options.labels),
            )
    if scorer == "numeric" and not (
        isinstance(spec.expected, int | float) and not isinstance(spec.expected, bool)
    ):
        raise ConfigError(where, "expected", "the numeric scorer needs a number", "write the number unquoted")
    if scorer in ("exact", "normalized", "contains", "regex") and not isinstance(spec.expected, str):
        raise ConfigError(where, "expected", f"the {scorer} scorer needs a string", "quote the answer")
    if scorer == "json" and options.schema is not None:
        problem = violation(spec.expected, options.schema)
        if problem:
            raise ConfigError(
                where, "expected", f"breaks its own schema: {problem}", "fix the answer or the schema"
            )


def _self_check_fix(scorer: str) -> str:
    if scorer == "regex":
        return "make the pattern match the expected answer"
    if scorer == "label":
        return "make expected name exactly one of the labels"
    return "fix the expected answer or the scorer options"
