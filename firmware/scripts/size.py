#!/usr/bin/env python3
"""Flash and RAM use of a firmware ELF against a board's limits; exit status 1 when it does not fit.

Flash = code (+ read-only data) + the embedded model + the initial values of .data.
RAM = .data + .bss (which holds the model's tensor arena) + the reserved stack.
"""
import argparse
import re
import subprocess
import sys


def sections(elf, size_tool):
    out = subprocess.run([size_tool, "-A", elf], check=True, capture_output=True, text=True).stdout
    result = {}
    for line in out.splitlines():
        m = re.match(r"^(\.\S+)\s+(\d+)\s+(\d+)", line)
        if m:
            result[m.group(1)] = int(m.group(2))
    return result


def symbol_sizes(elf, nm_tool, pattern):
    """Sizes of the symbols whose (demangled) name matches `pattern`."""
    out = subprocess.run([nm_tool, "-C", "-S", elf], check=True, capture_output=True, text=True).stdout
    sizes = []
    for line in out.splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4 and re.search(pattern, parts[3]):
            sizes.append(int(parts[1], 16))
    return sizes


def symbol_size(elf, nm_tool, pattern):
    return (symbol_sizes(elf, nm_tool, pattern) or [0])[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--elf", required=True)
    ap.add_argument("--board", required=True)
    ap.add_argument("--flash", type=int, required=True, help="flash bytes of the board")
    ap.add_argument("--ram", type=int, required=True, help="RAM bytes for data, arena (and stack)")
    ap.add_argument("--stack-ram", type=int, default=0,
                    help="bytes of a separate stack region (the Nucleo's CCM); 0: the stack is in --ram")
    ap.add_argument("--size-tool", default="arm-none-eabi-size")
    ap.add_argument("--nm-tool", default="arm-none-eabi-nm")
    args = ap.parse_args()

    s = sections(args.elf, args.size_tool)
    model = symbol_size(args.elf, args.nm_tool, r"^g_model_data$")
    arena = symbol_size(args.elf, args.nm_tool, r"g_arena$")
    # The generated tokenizer tables (tokenizer_data.cc); the few bytes of the added tokens' strings count as code.
    tokenizer = sum(symbol_sizes(args.elf, args.nm_tool, r"^kTok[A-Z]\w*$"))
    flash_sections = [".text", ".ARM.extab", ".ARM.exidx", ".init_array"]
    text = sum(s.get(k, 0) for k in flash_sections)
    data, bss, stack = s.get(".data", 0), s.get(".bss", 0), s.get(".stack", 0)
    flash = text + data
    ram = data + bss + (0 if args.stack_ram else stack)

    def pct(a, b):
        return f"{100.0 * a / b:5.1f}%"

    separate = f" + {args.stack_ram} bytes for the stack" if args.stack_ram else ""
    print(f"board {args.board}: flash {args.flash} bytes, RAM {args.ram} bytes{separate}")
    print(f"  flash  code {text - model - tokenizer:8d}  model {model:8d}  tokenizer tables {tokenizer:6d}"
          f"  data init {data:6d}"
          f"  total {flash:8d}  {pct(flash, args.flash)}")
    print(f"  RAM    static (.data+.bss) {data + bss:8d}  of which arena {arena:8d}"
          f"  stack {stack:6d}  total {ram:8d}  {pct(ram, args.ram)}")
    ok = True
    if flash > args.flash:
        print(f"size: image does not fit: {flash} > {args.flash} bytes of flash", file=sys.stderr)
        ok = False
    if ram > args.ram:
        what = "arena + static data" + ("" if args.stack_ram else " + stack")
        print(f"size: {what} do not fit: {ram} > {args.ram} bytes of RAM (over by {ram - args.ram})",
              file=sys.stderr)
        ok = False
    if args.stack_ram and stack > args.stack_ram:
        print(f"size: the stack does not fit: {stack} > {args.stack_ram} bytes", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
