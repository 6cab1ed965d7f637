"""Memory: arena used, stack high-water, static RAM (from the board and from the ELF), peak RAM, flash."""

import pytest

from board_tests.elf import elf_sizes


def test_memory(board, model, target, run_report):
    mem = board.mem()
    out = dict(mem)
    out["flash"] = mem.get("flash_used")
    out["flash_model"] = mem["model_bytes"]
    out["flash_code"] = mem["flash_used"] - mem["model_bytes"]  # firmware, TFLM, kernels, init data
    if target.elf and target.elf.exists():
        sizes = elf_sizes(target.elf)
        stack_sections = {k: v for k, v in sizes["sections"].items() if k in (".stack", ".heap", "._user_heap_stack")}
        out.update({"static_ram_elf": sizes["static_ram"] - sum(stack_sections.values()),
                    "stack_sections": stack_sections, "flash_elf": sizes["flash"],
                    "elf_sections": sizes["sections"]})
    out["peak_ram"] = mem["static_ram"] + mem["stack_used"]
    out["ram_reserved"] = mem["static_ram"] + mem["stack_size"]
    out["peak_ram_formula"] = ("peak RAM = static RAM (.data + .bss, the whole arena included) + stack high-water "
                               "mark; RAM reserved = static RAM + the whole stack; with the arena cut to what is used, peak RAM would be "
                               f"{mem['static_ram'] - mem['arena_size'] + mem['arena_used'] + mem['stack_used']:,} B.")
    out["host_memory_report"] = model.memory_report or None
    run_report["memory"] = out

    assert 0 < mem["arena_used"] <= mem["arena_size"]
    assert 0 < mem["stack_used"] < mem["stack_size"], "stack high-water mark reached the painted limit"
    assert mem["model_bytes"] == len(model.tflite_bytes)
    assert mem["flash_used"] >= mem["model_bytes"]
    assert mem["static_ram"] >= mem["arena_size"]
    if "static_ram_elf" in out:
        assert out["static_ram_elf"] == mem["static_ram"], "board and ELF disagree on .data + .bss"
        assert abs(out["flash_elf"] - mem["flash_used"]) <= 64, "board and ELF disagree on flash"


def test_arena_matches_converter_estimate(board, model):
    kernels = board.info().get("kernels")
    want = model.arena_bytes_for(kernels)
    mem = board.mem()
    assert mem["arena_used"] <= want, (
        f"the device needs {mem['arena_used']:,} B of arena, more than the converter's estimate {want:,} B "
        f"(+{mem['arena_used'] - want:,} B, {kernels} kernels): the firmware built with the "
        "default arena cannot allocate this model")
