"""Types of the compiled tokenizer (``_scan.c``): content.py's ``scan_ops`` and ``fast_parse``."""

from typing import Any

from .content import Instr, OpList

def configure(ops: dict[bytes, str], special: frozenset[bytes], read: frozenset[str],
              name_first: frozenset[str], text_ops: frozenset[str], state_only: frozenset[str],
              pname: type, pdict: Any, oplist: type, max_pruned_depth: int) -> None: ...
def scan_ops(data: bytes, prune: bool = ...) -> OpList | None: ...
def fast_parse(data: bytes) -> list[Instr] | None: ...
