// Entry point of the bare-metal builds: set the board up, then serve the protocol forever.
#include "app.h"
#include "board.h"

int main() {
  board_init();
  app_init();
  for (;;) app_feed(static_cast<char>(board_getc()));
}
