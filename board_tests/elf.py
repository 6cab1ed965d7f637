"""Flash and static RAM of a firmware image, from its ELF section headers (no dependency).

Sections are classed by their flags, as `arm-none-eabi-size` does in its Berkeley format:
`text` = allocated and executable or read-only (code, rodata, the model), `data` = allocated, writable,
with contents, `bss` = allocated, writable, no contents; these three agree with `arm-none-eabi-size`.
Flash = text + data (data's initial values live in flash). Static RAM = data + bss, less the constructor
tables (`.init_array` and friends): they are writable by their flags, so `size` counts them as data, but
the firmware's linker script (sections.ld) places them in flash.

Example:

    sizes = elf_sizes("firmware/build/qemu/firmware.elf")
    sizes["flash"], sizes["static_ram"], sizes["sections"][".text"]
"""

from __future__ import annotations

import os
import struct

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHT_NOBITS = 8


FLASH_TABLES = (".init_array", ".fini_array", ".preinit_array")


def elf_sizes(path: str | os.PathLike) -> dict:
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
        fmt = end + "IIQQQQIIQQ"
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)
        fmt = end + "IIIIIIIIII"
    heads = [struct.unpack_from(fmt, data, shoff + i * shentsize) for i in range(shnum)]
    str_off = heads[shstrndx][4]

    def name(off: int) -> str:
        j = data.index(b"\0", str_off + off)
        return data[str_off + off : j].decode("ascii", "replace")

    text = rodata = dat = bss = flash_tables = 0
    sections = {}
    for h in heads:
        sh_name, sh_type, flags, size = h[0], h[1], h[2], h[5]
        if not flags & SHF_ALLOC or size == 0:
            continue
        nm = name(sh_name)
        sections[nm] = size
        if flags & SHF_WRITE:
            if nm in FLASH_TABLES:
                flash_tables += size
            if sh_type == SHT_NOBITS:
                bss += size
            else:
                dat += size
        elif flags & SHF_EXECINSTR:
            text += size
        else:
            rodata += size
    return {"text": text + rodata, "code": text, "rodata": rodata, "data": dat, "bss": bss,
            "flash": text + rodata + dat, "static_ram": dat + bss - flash_tables, "sections": sections}
