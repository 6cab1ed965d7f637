"""Boot a firmware ELF on an emulated board (QEMU) with its serial port on a local TCP socket.

    with QemuBoard("build/firmware/.../firmware.elf", board="qemu") as b:
        ser = serial.serial_for_url(b.url, timeout=10)   # pyserial: socket://127.0.0.1:PORT
        ...
    b.wait()        # the firmware's semihosting exit status, when it stops by itself

The listening socket is bound by this process (port 0: the kernel picks a free one) and handed to
QEMU as an inherited file descriptor, so there is no race for the port. QEMU waits for the first
connection before it starts the CPU (`wait=on`), so nothing the board prints at boot is lost, and
`nodelay=on` keeps replies from stalling ~40 ms each. `-icount shift=0` makes the instruction count
(and with it the cycle counts the firmware reports) deterministic.
"""

import os
import shutil
import socket
import subprocess

# QEMU machine for each emulated board of firmware/boards/.
MACHINES = {"qemu": "mps2-an386", "qemu_stm32": "netduinoplus2"}
# Real boards whose port also runs on a QEMU machine, for tests: (machine, index of the serial port the
# port uses). The Nucleo's STM32F4 port talks on USART3, netduinoplus2's third serial port; its image must
# be linked with boards/nucleo_f429zi/linker_qemu.ld (QEMU has no CCM for the stack), and its DWT reads 0.
STAND_INS = {"nucleo_f429zi": ("netduinoplus2", 2)}

QEMU = os.environ.get("QEMU", "qemu-system-arm")


def qemu_available():
    """True when the QEMU binary is on PATH."""
    return shutil.which(QEMU) is not None


def qemu_command(elf, board, chardev_fd=None, icount_shift=0):
    """The QEMU command line for `elf` on `board`; serial on the listening socket `chardev_fd`."""
    if board in MACHINES:
        machine, serial_index = MACHINES[board], 0
    elif board in STAND_INS:
        machine, serial_index = STAND_INS[board]
    else:
        raise ValueError(f"not an emulated board: {board!r} (one of {sorted(MACHINES) + sorted(STAND_INS)})")
    cmd = [QEMU, "-M", machine, "-nographic", "-monitor", "none",
           "-icount", f"shift={icount_shift},align=off,sleep=off",
           "-semihosting-config", "enable=on,target=native",
           "-kernel", str(elf)]
    cmd += ["-serial", "null"] * serial_index
    if chardev_fd is None:
        cmd += ["-serial", "stdio"]
    else:
        cmd += ["-chardev", f"socket,id=ser0,fd={chardev_fd},server=on,wait=on,nodelay=on",
                "-serial", "chardev:ser0"]
    return cmd


class QemuBoard:
    """One QEMU process running `elf` on `board`; its serial line is at `url` (pyserial)."""

    def __init__(self, elf, board="qemu", icount_shift=0, log_path=None):
        self.elf = str(elf)
        self.board = board
        self.icount_shift = icount_shift
        self.log_path = log_path
        self.proc = None
        self.port = None
        self._log = None

    @property
    def url(self):
        return f"socket://127.0.0.1:{self.port}"

    def start(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        self.port = sock.getsockname()[1]
        fd = sock.fileno()
        os.set_inheritable(fd, True)
        self._log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(
                qemu_command(self.elf, self.board, chardev_fd=fd, icount_shift=self.icount_shift),
                pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        finally:
            sock.close()  # QEMU holds its own copy of the listening socket
        return self

    def wait(self, timeout=None):
        """Waits for QEMU to exit; returns its exit status (the firmware's semihosting status)."""
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout=5):
        """Terminates QEMU if it still runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

