// Minimal newlib and C++ runtime stubs for the bare-metal ports: no heap, no files.
#include <sys/stat.h>

#include <cerrno>
#include <cstddef>

extern "C" {

void* _sbrk(ptrdiff_t) {
  errno = ENOMEM;
  return reinterpret_cast<void*>(-1);
}
int _write(int, const char*, int len) { return len; }
int _read(int, char*, int) { return 0; }
int _close(int) { return -1; }
int _lseek(int, int, int) { return 0; }
int _fstat(int, struct stat* st) {
  st->st_mode = S_IFCHR;
  return 0;
}
int _isatty(int) { return 1; }
int _getpid() { return 1; }
int _kill(int, int) {
  errno = EINVAL;
  return -1;
}
void _exit(int) {
  for (;;) {
  }
}

}  // extern "C"

// Objects are never deleted (no heap); virtual destructors still reference these.
void operator delete(void*) noexcept {}
void operator delete(void*, size_t) noexcept {}
